//! The server itself and its administration: health, the paging doctor,
//! the OpenAPI document, users, tokens and the audit log.

use firebreak_api::{
    AuditEntry, AuditVerification, CreateToken, CreateUser, DoctorReport, Health, TokenCreated,
    User,
};
use serde::Serialize;

use crate::{Client, Result};

impl Client {
    /// `GET /healthz`: the process is up. Needs no token.
    pub async fn healthz(&self) -> Result<Health> {
        self.get(&["healthz"]).await
    }

    /// `GET /readyz`: the database answers. Needs no token.
    pub async fn readyz(&self) -> Result<Health> {
        self.get(&["readyz"]).await
    }

    /// `GET /api/v1/doctor`: every paging path, and each missing link
    /// (admins).
    pub async fn doctor(&self) -> Result<DoctorReport> {
        self.api_get(&["doctor"]).await
    }

    /// `GET /api/v1/openapi.json`: the OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.api_get(&["openapi.json"]).await
    }

    /// `GET /api/v1/me`: the owner of the token.
    pub async fn me(&self) -> Result<User> {
        self.api_get(&["me"]).await
    }

    /// `GET /api/v1/users`.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.api_get(&["users"]).await
    }

    /// `POST /api/v1/users` (admins).
    pub async fn create_user(&self, req: &CreateUser) -> Result<User> {
        self.api_post(&["users"], req).await
    }

    /// `POST /api/v1/tokens`: a token for yourself or (admins) another user.
    pub async fn create_token(&self, req: &CreateToken) -> Result<TokenCreated> {
        self.api_post(&["tokens"], req).await
    }

    /// `GET /api/v1/audit`: the newest entries (admins); the server's
    /// default limit when `limit` is `None`.
    pub async fn audit(&self, limit: Option<i64>) -> Result<Vec<AuditEntry>> {
        #[derive(Serialize)]
        struct Q {
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<i64>,
        }
        self.api_query(&["audit"], &Q { limit }).await
    }

    /// `GET /api/v1/audit/verify`: checks the hash chain (admins).
    pub async fn audit_verify(&self) -> Result<AuditVerification> {
        self.api_get(&["audit", "verify"]).await
    }
}
