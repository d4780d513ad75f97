//! Roles, actions and the one permission table.
//!
//! Every permission check in Firebreak asks [`allowed`]; `docs/permissions.md`
//! prints the same table and a test compares the two row by row. Visibility
//! of confidential records (security incidents, disclosure reports) is a
//! separate rule, [`can_see_confidential`]: to anyone it does not admit, such
//! a record does not exist.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;
use crate::severity::Kind;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Lead,
    Responder,
    Security,
    Leadership,
    Support,
    Viewer,
}

named_enum!(Role, "role", {
    Admin => "admin",
    Lead => "lead",
    Responder => "responder",
    Security => "security",
    Leadership => "leadership",
    Support => "support",
    Viewer => "viewer",
});

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read incidents, reports, timelines and the triage queue.
    Read,
    /// Submit a report to the triage queue.
    SubmitReport,
    /// Declare, link or dismiss reports; declare incidents.
    Triage,
    /// Add a note to an incident.
    AddNote,
    /// Change an incident: severity, kind, facts, owner, lead, members,
    /// checklist items and phase.
    Respond,
    /// Manage services.
    ManageServices,
    /// Create and change users (role, disabled), manage others' tokens, and
    /// set contact-method targets on private addresses.
    ManageUsers,
    /// Read and verify the audit log.
    Audit,
    /// Read customers, their contacts and the components they use.
    ReadCustomers,
    /// Create, change and delete customers, their contacts and components;
    /// make a customer's private status link.
    ManageCustomers,
    /// Read disclosures, their messages, attachments and timeline, and
    /// advisory drafts. Only the security team and admins: to anyone else a
    /// disclosure does not exist.
    ReadDisclosures,
    /// Reply to researchers, acknowledge, triage, score, set the embargo,
    /// declare the security incident, mark fixed and disclosed, and draft
    /// and publish advisories.
    ManageDisclosures,
    /// Change a security incident's kind to another kind, which makes it
    /// visible to everyone who may read incidents (with `respond` and a
    /// reason, like every change of kind).
    Declassify,
}

named_enum!(Action, "action", {
    Read => "read",
    SubmitReport => "submit_report",
    Triage => "triage",
    AddNote => "add_note",
    Respond => "respond",
    ManageServices => "manage_services",
    ManageUsers => "manage_users",
    Audit => "audit",
    ReadCustomers => "read_customers",
    ManageCustomers => "manage_customers",
    ReadDisclosures => "read_disclosures",
    ManageDisclosures => "manage_disclosures",
    Declassify => "declassify",
});

/// The permission table: which roles may take each action.
pub const PERMISSIONS: &[(Action, &[Role])] = {
    use Role::*;
    &[
        (
            Action::Read,
            &[
                Admin, Lead, Responder, Security, Leadership, Support, Viewer,
            ],
        ),
        (
            Action::SubmitReport,
            &[Admin, Lead, Responder, Security, Leadership, Support],
        ),
        (Action::Triage, &[Admin, Lead, Responder, Security]),
        (
            Action::AddNote,
            &[Admin, Lead, Responder, Security, Leadership, Support],
        ),
        (Action::Respond, &[Admin, Lead, Responder, Security]),
        (Action::ManageServices, &[Admin, Lead]),
        (Action::ManageUsers, &[Admin]),
        (Action::Audit, &[Admin]),
        (
            Action::ReadCustomers,
            &[Admin, Lead, Responder, Security, Leadership, Support],
        ),
        (Action::ManageCustomers, &[Admin, Lead]),
        (Action::ReadDisclosures, &[Admin, Security]),
        (Action::ManageDisclosures, &[Admin, Security]),
        (Action::Declassify, &[Admin, Security]),
    ]
};

/// Whether `role` may take `action`.
pub fn allowed(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .find(|(a, _)| *a == action)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// Whether a user of `role` may be made an incident's owner or incident
/// lead: only roles that may respond to it (change it, mark its checklist,
/// move its phase). Viewers, support and leadership may not. The server
/// adds the part that needs data: the user must be enabled, not an
/// integration's service account, and reachable (a contact method).
pub fn may_own_incident(role: Role) -> bool {
    allowed(role, Action::Respond)
}

/// Whether a user may see a confidential record (a security incident or a
/// disclosure report): the security team and admins always, anyone else only
/// when added to that incident.
pub fn can_see_confidential(role: Role, is_member: bool) -> bool {
    matches!(role, Role::Security | Role::Admin) || is_member
}

/// Why `role` may not change an incident's kind from `from` to `to`, or
/// `None` when it may (the caller has checked `respond`). Moving a security
/// incident to another kind declassifies it, so it needs
/// [`Action::Declassify`]; every other change of kind needs nothing more.
pub fn kind_change_refused(role: Role, from: Kind, to: Kind) -> Option<String> {
    if from == Kind::Security && to != Kind::Security && !allowed(role, Action::Declassify) {
        Some(format!(
            "role `{role}` may not change a security incident to `{to}`: that makes it visible \
             to everyone; only the security team and admins may (with a reason)"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_row() {
        for action in Action::ALL {
            let rows = PERMISSIONS.iter().filter(|(a, _)| a == action).count();
            assert_eq!(rows, 1, "{action}");
        }
    }

    #[test]
    fn viewers_only_read_and_admins_do_everything() {
        for action in Action::ALL {
            assert!(allowed(Role::Admin, *action), "{action}");
            assert_eq!(
                allowed(Role::Viewer, *action),
                *action == Action::Read,
                "{action}"
            );
        }
    }

    #[test]
    fn only_responding_roles_may_own_or_lead() {
        for role in Role::ALL {
            let expected = matches!(
                role,
                Role::Admin | Role::Lead | Role::Responder | Role::Security
            );
            assert_eq!(may_own_incident(*role), expected, "{role}");
        }
    }

    #[test]
    fn only_security_and_admins_declassify() {
        for role in Role::ALL {
            let may = matches!(role, Role::Security | Role::Admin);
            assert_eq!(
                kind_change_refused(*role, Kind::Security, Kind::Availability).is_none(),
                may,
                "{role}"
            );
            assert!(kind_change_refused(*role, Kind::Availability, Kind::Security).is_none());
            assert!(kind_change_refused(*role, Kind::Security, Kind::Security).is_none());
        }
    }

    #[test]
    fn confidential_records_are_for_security_admin_and_members() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Security | Role::Admin);
            assert_eq!(can_see_confidential(*role, false), expected, "{role}");
            assert!(can_see_confidential(*role, true), "{role}");
        }
    }
}
