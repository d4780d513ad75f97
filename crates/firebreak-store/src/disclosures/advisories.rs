//! Advisories (issue 12, item 6): drafted from a disclosure, edited by the
//! security team, and published once the disclosure is `disclosed`.
//!
//! A draft is as confidential as its disclosure. Only the public readers
//! here ([`Store::published_advisories`], [`Store::published_advisory`],
//! [`Store::acknowledgments`]) serve the pages without sign-in, and they
//! return an advisory only when it is published *and* its disclosure is
//! disclosed, so nothing of an unpublished disclosure can reach them.
//!
//! The severity, vector and score follow the disclosure's: a draft copies
//! them, and each edit and the publication copy them again, so a rescored
//! disclosure never publishes a stale score.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use firebreak_api::Severity;
use firebreak_api::disclosure::{Advisory, AdvisoryEdit};
use firebreak_core::disclosure::DisclosureState;

use super::disclosure_event;
use crate::record::returned_id;
use crate::{Actor, Result, Store, StoreError, Tx, ms};

/// The `state` of a draft.
pub const DRAFT: &str = "draft";
/// The `state` of a published advisory.
pub const PUBLISHED: &str = "published";

/// An advisory as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryRecord {
    pub id: i64,
    pub disclosure_id: i64,
    /// The disclosure's tracking id.
    pub tracking_id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub affected: String,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    pub cvss_score_tenths: Option<i64>,
    pub fix: String,
    pub credit: Option<String>,
    /// [`DRAFT`] or [`PUBLISHED`].
    pub state: String,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AdvisoryRecord {
    pub fn is_published(&self) -> bool {
        self.state == PUBLISHED
    }

    /// The score as shown (9.8).
    pub fn cvss_score(&self) -> Option<f64> {
        self.cvss_score_tenths.map(|t| t as f64 / 10.0)
    }

    /// The wire form.
    pub fn view(&self) -> Advisory {
        Advisory {
            id: self.id,
            disclosure_id: self.disclosure_id,
            slug: self.slug.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            affected: self.affected.clone(),
            severity: self.severity,
            cvss_vector: self.cvss_vector.clone(),
            cvss_score: self.cvss_score(),
            fix: self.fix.clone(),
            credit: self.credit.clone(),
            state: self.state.clone(),
            published_at: self.published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A researcher credited on a published advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgment {
    pub name: String,
    pub slug: String,
    pub title: String,
    pub published_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT a.id, a.disclosure_id, d.tracking_id, a.slug, a.title, a.summary, \
    a.affected, a.severity, a.cvss_vector, a.cvss_score_tenths, a.fix, a.credit, a.state, \
    a.published_at, a.created_at, a.updated_at FROM advisories a \
    JOIN disclosures d ON d.id = a.disclosure_id";

/// The condition every public reader adds: published, and its disclosure
/// disclosed.
const PUBLIC: &str = "a.state = 'published' AND d.state = 'disclosed'";

fn record(row: &sqlx::any::AnyRow) -> Result<AdvisoryRecord> {
    from_row! { row, AdvisoryRecord { id, disclosure_id, tracking_id, slug, title, summary,
    affected, severity, cvss_vector, cvss_score_tenths, fix, credit, state, published_at,
    created_at, updated_at } }
}

/// The first paragraph of `text` (up to the first blank line), trimmed.
pub fn first_paragraph(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            break;
        }
        out.push(line.trim_end());
    }
    out.join("\n")
}

/// The slug of the advisory of the disclosure tracked as `tracking_id`:
/// `VULN-2026-0007` → `vuln-2026-0007`.
pub fn slug_of(tracking_id: &str) -> String {
    tracking_id.to_ascii_lowercase()
}

/// What a publication or an edit copies from the disclosure.
struct ParentFacts {
    state: DisclosureState,
    credit: bool,
    severity: Option<Severity>,
    cvss_vector: Option<String>,
    cvss_score_tenths: Option<i64>,
}

async fn disclosure_facts(tx: &mut Tx, disclosure_id: i64) -> Result<ParentFacts> {
    let row = sqlx::query(
        "SELECT state, credit, severity, cvss_vector, cvss_score_tenths FROM disclosures \
         WHERE id = $1",
    )
    .bind(disclosure_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("disclosure {disclosure_id}")))?;
    from_row! { &row, ParentFacts { state, credit, severity, cvss_vector,
    cvss_score_tenths } }
}

async fn advisory_in(tx: &mut Tx, id: i64) -> Result<AdvisoryRecord> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("advisory {id}")))?;
    record(&row)
}

async fn copy_score(tx: &mut Tx, id: i64, facts: &ParentFacts) -> Result<()> {
    sqlx::query(
        "UPDATE advisories SET severity = $1, cvss_vector = $2, cvss_score_tenths = $3 \
         WHERE id = $4",
    )
    .bind(facts.severity.map(|s| s.to_string()))
    .bind(facts.cvss_vector.as_deref())
    .bind(facts.cvss_score_tenths)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Drafts the advisory of disclosure `disclosure_id` from it: its
    /// title, the description's first paragraph as the summary, the asset
    /// as what is affected, its severity, vector and score, an empty fix,
    /// and the researcher's name as the credit when they agreed to it.
    /// A `disclosure.advisory` event and the audit entry go with it.
    /// `Conflict` when the disclosure has one already.
    pub async fn draft_advisory(
        &self,
        disclosure_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AdvisoryRecord> {
        let mut tx = self.begin().await?;
        let Some(d) = sqlx::query(
            "SELECT tracking_id, title, description, asset, researcher_name, credit, severity, \
             cvss_vector, cvss_score_tenths FROM disclosures WHERE id = $1",
        )
        .bind(disclosure_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Err(StoreError::NotFound(format!("disclosure {disclosure_id}")));
        };
        let existing = sqlx::query("SELECT id FROM advisories WHERE disclosure_id = $1")
            .bind(disclosure_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            let id: i64 = row.try_get("id")?;
            return Err(StoreError::Conflict(format!(
                "this disclosure already has advisory {id}; edit it instead"
            )));
        }
        let tracking: String = d.try_get("tracking_id")?;
        let description: String = d.try_get("description")?;
        let credit_agreed = d.try_get::<i64, _>("credit")? != 0;
        let name: Option<String> = d.try_get("researcher_name")?;
        let credit = name
            .map(|n| n.trim().to_owned())
            .filter(|n| credit_agreed && !n.is_empty());
        let slug = slug_of(&tracking);
        let row = sqlx::query(
            "INSERT INTO advisories (disclosure_id, slug, title, summary, affected, severity, \
             cvss_vector, cvss_score_tenths, fix, credit, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, 'draft', $10, $10) RETURNING id",
        )
        .bind(disclosure_id)
        .bind(&slug)
        .bind(d.try_get::<String, _>("title")?)
        .bind(first_paragraph(&description))
        .bind(d.try_get::<String, _>("asset")?)
        .bind(d.try_get::<Option<String>, _>("severity")?)
        .bind(d.try_get::<Option<String>, _>("cvss_vector")?)
        .bind(d.try_get::<Option<i64>, _>("cvss_score_tenths")?)
        .bind(credit.as_deref())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let id = returned_id(&row)?;
        disclosure_event(
            &mut tx,
            disclosure_id,
            "disclosure.advisory",
            actor,
            json!({"action": "draft", "advisory_id": id, "slug": slug}),
            now,
        )
        .await?;
        let rec = advisory_in(&mut tx, id).await?;
        self.commit_audited(
            tx,
            actor,
            "advisory.draft",
            &format!("advisory:{id}"),
            json!({"disclosure_id": disclosure_id, "slug": slug}),
            now,
        )
        .await?;
        Ok(rec)
    }

    /// Advisory `id` (draft or published).
    pub async fn advisory(&self, id: i64) -> Result<Option<AdvisoryRecord>> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    /// The advisory of disclosure `disclosure_id`, if drafted.
    pub async fn advisory_of_disclosure(
        &self,
        disclosure_id: i64,
    ) -> Result<Option<AdvisoryRecord>> {
        let sql = format!("{SELECT} WHERE a.disclosure_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(disclosure_id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    /// Every advisory, drafts included, newest first (staff only).
    pub async fn advisories(&self) -> Result<Vec<AdvisoryRecord>> {
        let sql = format!("{SELECT} ORDER BY a.id DESC");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// The published advisories of disclosed disclosures, newest first:
    /// what the public pages and the feed show.
    pub async fn published_advisories(&self) -> Result<Vec<AdvisoryRecord>> {
        let sql = format!("{SELECT} WHERE {PUBLIC} ORDER BY a.published_at DESC, a.id DESC");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// The published advisory `slug`; `None` for a draft or any other slug.
    pub async fn published_advisory(&self, slug: &str) -> Result<Option<AdvisoryRecord>> {
        if slug.is_empty() || slug.len() > 100 {
            return Ok(None);
        }
        let sql = format!("{SELECT} WHERE a.slug = $1 AND {PUBLIC}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    /// The researchers credited on published advisories (who agreed to be
    /// credited), newest first.
    pub async fn acknowledgments(&self) -> Result<Vec<Acknowledgment>> {
        let sql = format!(
            "SELECT a.credit, a.slug, a.title, a.published_at FROM advisories a \
             JOIN disclosures d ON d.id = a.disclosure_id \
             WHERE {PUBLIC} AND d.credit = 1 AND a.credit IS NOT NULL AND a.credit <> '' \
             ORDER BY a.published_at DESC, a.id DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|row| {
                from_row! { row, Acknowledgment { name: "credit", slug, title,
                published_at } }
            })
            .collect()
    }

    /// Edits advisory `id` (the fields given), copying the disclosure's
    /// current severity, vector and score. A credit is kept only when the
    /// researcher agreed to be credited (`Conflict` otherwise); an empty
    /// one removes it.
    pub async fn edit_advisory(
        &self,
        id: i64,
        edit: &AdvisoryEdit,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AdvisoryRecord> {
        let mut tx = self.begin().await?;
        let before = advisory_in(&mut tx, id).await?;
        let facts = disclosure_facts(&mut tx, before.disclosure_id).await?;
        let credit = match &edit.credit {
            None => before.credit.clone(),
            Some(c) if c.trim().is_empty() => None,
            Some(_) if !facts.credit => {
                return Err(StoreError::Conflict(
                    "the researcher did not agree to be credited: the credit must stay empty"
                        .to_owned(),
                ));
            }
            Some(c) => Some(c.trim().to_owned()),
        };
        let pick = |new: &Option<String>, old: &str| {
            new.as_deref()
                .map_or_else(|| old.to_owned(), |v| v.trim().to_owned())
        };
        let title = pick(&edit.title, &before.title);
        let summary = pick(&edit.summary, &before.summary);
        let affected = pick(&edit.affected, &before.affected);
        let fix = pick(&edit.fix, &before.fix);
        sqlx::query(
            "UPDATE advisories SET title = $1, summary = $2, affected = $3, fix = $4, \
             credit = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&title)
        .bind(&summary)
        .bind(&affected)
        .bind(&fix)
        .bind(credit.as_deref())
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        copy_score(&mut tx, id, &facts).await?;
        let changed: Vec<&str> = [
            ("title", title != before.title),
            ("summary", summary != before.summary),
            ("affected", affected != before.affected),
            ("fix", fix != before.fix),
            ("credit", credit != before.credit),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.then_some(k))
        .collect();
        disclosure_event(
            &mut tx,
            before.disclosure_id,
            "disclosure.advisory",
            actor,
            json!({"action": "edit", "advisory_id": id, "changed": changed}),
            now,
        )
        .await?;
        let rec = advisory_in(&mut tx, id).await?;
        self.commit_audited(
            tx,
            actor,
            "advisory.edit",
            &format!("advisory:{id}"),
            json!({"changed": changed}),
            now,
        )
        .await?;
        Ok(rec)
    }

    /// Publishes advisory `id`: only when its disclosure is `disclosed`
    /// (`Conflict` naming the state otherwise) and not published already.
    /// The disclosure's current severity, vector and score are copied.
    pub async fn publish_advisory(
        &self,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AdvisoryRecord> {
        let mut tx = self.begin().await?;
        let before = advisory_in(&mut tx, id).await?;
        if before.is_published() {
            return Err(StoreError::Conflict(format!(
                "advisory {} is already published",
                before.slug
            )));
        }
        let facts = disclosure_facts(&mut tx, before.disclosure_id).await?;
        if facts.state != DisclosureState::Disclosed {
            return Err(StoreError::Conflict(format!(
                "the disclosure is `{}`: an advisory is published only once its disclosure \
                 is `disclosed`",
                facts.state
            )));
        }
        if !facts.credit && before.credit.is_some() {
            return Err(StoreError::Conflict(
                "the researcher did not agree to be credited: remove the credit first".to_owned(),
            ));
        }
        sqlx::query(
            "UPDATE advisories SET state = 'published', published_at = $1, updated_at = $1 \
             WHERE id = $2 AND state = 'draft'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        copy_score(&mut tx, id, &facts).await?;
        disclosure_event(
            &mut tx,
            before.disclosure_id,
            "disclosure.advisory",
            actor,
            json!({"action": "publish", "advisory_id": id, "slug": before.slug}),
            now,
        )
        .await?;
        let rec = advisory_in(&mut tx, id).await?;
        self.commit_audited(
            tx,
            actor,
            "advisory.publish",
            &format!("advisory:{id}"),
            json!({"slug": before.slug, "disclosure_id": before.disclosure_id}),
            now,
        )
        .await?;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_the_first_paragraph() {
        assert_eq!(
            first_paragraph("One line.\nTwo.\n\nThree."),
            "One line.\nTwo."
        );
        assert_eq!(first_paragraph("\n\n  Lead.  \n \nrest"), "Lead.");
        assert_eq!(first_paragraph(""), "");
        assert_eq!(slug_of("VULN-2026-0007"), "vuln-2026-0007");
    }
}
