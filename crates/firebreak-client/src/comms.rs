//! Customer communication: what an incident owes its customers, and its
//! notices (drafting, preview, sending).

use firebreak_api::comms::{Communication, DraftNotice, Notice, NoticePreview, SendNotice};

use crate::{Client, Result};

impl Client {
    /// `GET /api/v1/incidents/{id}/communication`.
    pub async fn communication(&self, id_or_ref: &str) -> Result<Communication> {
        self.api_get(&["incidents", id_or_ref, "communication"])
            .await
    }

    /// `POST /api/v1/incidents/{id}/notices`: a draft from the template.
    pub async fn draft_notice(&self, id_or_ref: &str, req: &DraftNotice) -> Result<Notice> {
        self.api_post(&["incidents", id_or_ref, "notices"], req)
            .await
    }

    /// `POST /api/v1/incidents/{id}/notices/{notice_id}/preview`.
    pub async fn preview_notice(&self, id_or_ref: &str, notice_id: i64) -> Result<NoticePreview> {
        self.api_post(
            &[
                "incidents",
                id_or_ref,
                "notices",
                &notice_id.to_string(),
                "preview",
            ],
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /api/v1/incidents/{id}/notices/{notice_id}/send`.
    pub async fn send_notice(
        &self,
        id_or_ref: &str,
        notice_id: i64,
        req: &SendNotice,
    ) -> Result<Notice> {
        self.api_post(
            &[
                "incidents",
                id_or_ref,
                "notices",
                &notice_id.to_string(),
                "send",
            ],
            req,
        )
        .await
    }
}
