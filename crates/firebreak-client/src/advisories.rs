//! Advisories of disclosures: drafting one from a disclosure, editing,
//! publishing, and the list (security team and admins only).

use firebreak_api::disclosure::{Advisory, AdvisoryEdit};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// `POST /api/v1/disclosures/{id}/advisory`: a draft from the disclosure.
    pub async fn draft_advisory(&self, disclosure_id: i64) -> Result<Advisory> {
        self.api_act(&["disclosures", &disclosure_id.to_string(), "advisory"])
            .await
    }

    /// `GET /api/v1/disclosures/{id}/advisory`.
    pub async fn advisory_of_disclosure(&self, disclosure_id: i64) -> Result<Advisory> {
        self.api_get(&["disclosures", &disclosure_id.to_string(), "advisory"])
            .await
    }

    /// `GET /api/v1/advisories`: drafts and published, newest first.
    pub async fn advisories(&self) -> Result<Vec<Advisory>> {
        self.api_get(&["advisories"]).await
    }

    /// `PATCH /api/v1/advisories/{id}`.
    pub async fn edit_advisory(&self, id: i64, edit: &AdvisoryEdit) -> Result<Advisory> {
        self.api_send(Method::PATCH, &["advisories", &id.to_string()], edit)
            .await
    }

    /// `POST /api/v1/advisories/{id}/publish`.
    pub async fn publish_advisory(&self, id: i64) -> Result<Advisory> {
        self.api_act(&["advisories", &id.to_string(), "publish"])
            .await
    }
}
