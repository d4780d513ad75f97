//! Responsible disclosures, the security team's side (`read_disclosures`,
//! `manage_disclosures`). A disclosure is named by its id or tracking id.

use reqwest::Method;

use firebreak_api::disclosure::{
    CreatedDisclosure, DeclareFromDisclosure, Disclosure, DisclosureDetail, DisclosureFilter,
    DisclosureReply, MoveDisclosure, NewDisclosure, SetCvss, SetEmbargo, TriageDisclosure,
};

use crate::{Client, Result};

impl Client {
    /// `GET /api/v1/disclosures`.
    pub async fn disclosures(&self, filter: &DisclosureFilter) -> Result<Vec<Disclosure>> {
        self.api_query(&["disclosures"], filter).await
    }

    /// `POST /api/v1/disclosures`.
    pub async fn create_disclosure(&self, req: &NewDisclosure) -> Result<CreatedDisclosure> {
        self.api_post(&["disclosures"], req).await
    }

    /// `GET /api/v1/disclosures/{id}` (id or tracking id).
    pub async fn disclosure(&self, id: &str) -> Result<DisclosureDetail> {
        self.api_get(&["disclosures", id]).await
    }

    /// `POST /api/v1/disclosures/{id}/messages`.
    pub async fn reply_disclosure(
        &self,
        id: &str,
        req: &DisclosureReply,
    ) -> Result<DisclosureDetail> {
        self.api_post(&["disclosures", id, "messages"], req).await
    }

    /// `POST /api/v1/disclosures/{id}/acknowledge`.
    pub async fn acknowledge_disclosure(&self, id: &str) -> Result<Disclosure> {
        self.api_post(&["disclosures", id, "acknowledge"], &serde_json::json!({}))
            .await
    }

    /// `POST /api/v1/disclosures/{id}/triage`.
    pub async fn triage_disclosure(&self, id: &str, req: &TriageDisclosure) -> Result<Disclosure> {
        self.api_post(&["disclosures", id, "triage"], req).await
    }

    /// `PUT /api/v1/disclosures/{id}/cvss`.
    pub async fn set_disclosure_cvss(&self, id: &str, req: &SetCvss) -> Result<Disclosure> {
        self.api_send(Method::PUT, &["disclosures", id, "cvss"], req)
            .await
    }

    /// `PUT /api/v1/disclosures/{id}/embargo`.
    pub async fn set_disclosure_embargo(&self, id: &str, req: &SetEmbargo) -> Result<Disclosure> {
        self.api_send(Method::PUT, &["disclosures", id, "embargo"], req)
            .await
    }

    /// `POST /api/v1/disclosures/{id}/state`.
    pub async fn move_disclosure(&self, id: &str, req: &MoveDisclosure) -> Result<Disclosure> {
        self.api_post(&["disclosures", id, "state"], req).await
    }

    /// `POST /api/v1/disclosures/{id}/incident`.
    pub async fn declare_from_disclosure(
        &self,
        id: &str,
        req: &DeclareFromDisclosure,
    ) -> Result<Disclosure> {
        self.api_post(&["disclosures", id, "incident"], req).await
    }
}
