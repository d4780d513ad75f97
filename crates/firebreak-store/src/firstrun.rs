//! What the first-run checklist asks of the database beyond the
//! [`Directory`](crate::Directory): whether a test page was ever delivered,
//! and how many monitoring integrations are enabled.

use sqlx::Row;

use crate::{Result, Store};

/// The first-run checklist's facts the directory does not hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstRunFacts {
    /// Test pages (`test_pages` rows) whose message was delivered.
    pub test_pages_delivered: i64,
    /// Intake integrations not disabled.
    pub integrations: i64,
}

impl Store {
    /// Counts what the first-run checklist ticks.
    pub async fn first_run_facts(&self) -> Result<FirstRunFacts> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM test_pages t JOIN outbox o ON o.id = t.outbox_id \
                 WHERE o.state = 'sent') AS delivered, \
               (SELECT COUNT(*) FROM intake_integrations WHERE disabled_at IS NULL) AS integrations",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(FirstRunFacts {
            test_pages_delivered: row.try_get("delivered")?,
            integrations: row.try_get("integrations")?,
        })
    }
}
