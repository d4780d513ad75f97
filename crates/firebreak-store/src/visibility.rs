//! The one visibility rule for confidential records, as SQL.
//!
//! An incident and the reports declared as or linked to it are tied
//! together: their readers follow the most confidential of them. The group
//! is confidential when the incident is a security incident or any of its
//! reports is confidential. Then every record of the group exists only for
//! the security team and admins (`$2 = 1`), the incident's members, and,
//! for a report, the user who submitted it. Every query that lists, reads or
//! counts incidents, reports or alerts uses [`INCIDENT_VISIBLE`] or
//! [`REPORT_VISIBLE`] with `$1` the reader's user id and `$2` 1 or 0, and read
//! the effective flag with `confidential_group!("i.id")` or
//! `report_confidential!()`.

/// `1` when the incident whose id is the SQL expression `$id` is a
/// confidential group, as an SQL boolean.
macro_rules! confidential_group {
    ($id:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM incidents ci WHERE ci.id = ",
            $id,
            " AND ci.kind = 'security') OR EXISTS (SELECT 1 FROM reports cr WHERE cr.incident_id = ",
            $id,
            " AND cr.confidential = 1))"
        )
    };
}

/// Whether reader `$1` was added to the incident whose id is `$id`.
macro_rules! member_of {
    ($id:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = ",
            $id,
            " AND m.user_id = $1)"
        )
    };
}

/// Report `r` is confidential: itself, or through its incident (an SQL
/// boolean; `CASE WHEN … THEN 1 ELSE 0 END` makes it a 0/1 column).
macro_rules! report_confidential {
    () => {
        concat!(
            "(r.confidential = 1 OR ",
            confidential_group!("r.incident_id"),
            ")"
        )
    };
}

/// The condition under which reader `$1` (`$2`: sees all confidential
/// records) sees incident `i`.
pub(crate) const INCIDENT_VISIBLE: &str = concat!(
    "($2 = 1 OR ",
    member_of!("i.id"),
    " OR NOT ",
    confidential_group!("i.id"),
    ")"
);

/// The condition under which reader `$1` (`$2`: sees all confidential
/// records) sees report `r`.
pub(crate) const REPORT_VISIBLE: &str = concat!(
    "($2 = 1 OR r.created_by = $1 OR ",
    member_of!("r.incident_id"),
    " OR (r.confidential = 0 AND NOT ",
    confidential_group!("r.incident_id"),
    "))"
);
