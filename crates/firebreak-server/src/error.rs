//! The one error type of the HTTP layer and its status table.
//!
//! Every handler, JSON or web, returns [`ApiError`]. JSON routes send it as
//! an RFC 9457 `application/problem+json` body naming the field or gate at
//! fault; internal details are logged and never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use firebreak_api::Problem;
use firebreak_core::{ChecklistError, OpenGate, TransitionError};
use firebreak_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request: bad JSON, a wrong type, an unknown field.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        field: Option<String>,
    },
    /// Well-formed but not acceptable: a missing reason, an unknown user.
    #[error("{detail}")]
    Invalid {
        detail: String,
        field: Option<String>,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// Not allowed for this user's role, naming the field that asked for it.
    #[error("not allowed: {detail}")]
    ForbiddenField { detail: String, field: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A phase move refused by a gate.
    #[error("{detail}")]
    GateOpen { detail: String, gate: String },
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    #[error("expected content type {0}")]
    UnsupportedMediaType(&'static str),
    #[error("internal error")]
    Internal(String),
    #[error("service unavailable")]
    Unavailable(String),
}

impl ApiError {
    pub fn bad(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            detail: detail.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            detail: detail.into(),
            field: Some(field.to_owned()),
        }
    }

    /// The status and problem title of each variant: the one table.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "Bad request"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            ApiError::Forbidden(_) | ApiError::ForbiddenField { .. } => {
                (StatusCode::FORBIDDEN, "Forbidden")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            ApiError::GateOpen { .. } => (StatusCode::CONFLICT, "Gate open"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
        }
    }

    /// The problem body sent to the client.
    pub fn problem(&self) -> Problem {
        let (status, title) = self.status();
        let (field, gate) = match self {
            ApiError::BadRequest { field, .. } | ApiError::Invalid { field, .. } => {
                (field.clone(), None)
            }
            ApiError::GateOpen { gate, .. } => (None, Some(gate.clone())),
            ApiError::ForbiddenField { field, .. } => (Some(field.clone()), None),
            _ => (None, None),
        };
        let detail = match self {
            // Never leak internals.
            ApiError::Internal(_) | ApiError::Unavailable(_) => None,
            other => Some(other.to_string()),
        };
        let slug = title.to_ascii_lowercase().replace(' ', "-");
        Problem {
            type_: format!("https://firebreak.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            field,
            gate,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(e) => tracing::error!(error = %e, "internal error"),
            ApiError::Unavailable(e) => tracing::warn!(error = %e, "unavailable"),
            _ => {}
        }
        let (status, _) = self.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"firebreak\""),
            );
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::BadUrl(e) | StoreError::Other(e) => ApiError::Internal(e),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        match &e {
            TransitionError::GateOpen { item, .. } => ApiError::GateOpen {
                detail: e.to_string(),
                gate: item.as_str().to_owned(),
            },
            TransitionError::ReasonRequired { .. } => ApiError::invalid("reason", e.to_string()),
            TransitionError::SamePhase(_) => ApiError::Conflict(e.to_string()),
        }
    }
}

impl From<ChecklistError> for ApiError {
    fn from(e: ChecklistError) -> Self {
        match &e {
            ChecklistError::ReasonRequired(_) => ApiError::invalid("reason", e.to_string()),
            ChecklistError::NotWaivable { .. } => ApiError::invalid("status", e.to_string()),
            ChecklistError::Derived(_) | ChecklistError::NotApplicable(_) => {
                ApiError::invalid("item", e.to_string())
            }
            ChecklistError::AlreadyDone(_) => ApiError::Conflict(e.to_string()),
        }
    }
}

impl From<OpenGate> for ApiError {
    fn from(e: OpenGate) -> Self {
        ApiError::GateOpen {
            detail: e.to_string(),
            gate: e.item.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let cases: Vec<(ApiError, u16, Option<&str>)> = vec![
            (ApiError::bad("title", "x"), 400, Some("title")),
            (ApiError::invalid("reason", "x"), 422, Some("reason")),
            (ApiError::Unauthorized, 401, None),
            (ApiError::Forbidden("x".into()), 403, None),
            (ApiError::NotFound("INC-1".into()), 404, None),
            (ApiError::Conflict("x".into()), 409, None),
            (
                ApiError::GateOpen {
                    detail: "x".into(),
                    gate: "impact_contained".into(),
                },
                409,
                None,
            ),
            (ApiError::TooLarge(10), 413, None),
            (
                ApiError::UnsupportedMediaType("application/json"),
                415,
                None,
            ),
            (ApiError::Internal("secret db detail".into()), 500, None),
            (ApiError::Unavailable("db down".into()), 503, None),
        ];
        for (err, status, field) in cases {
            let p = err.problem();
            assert_eq!(p.status, status, "{err:?}");
            assert_eq!(p.field.as_deref(), field, "{err:?}");
            assert_eq!(err.into_response().status().as_u16(), status);
        }
    }

    #[test]
    fn internal_details_are_not_sent() {
        let p = ApiError::Internal("password=hunter2".into()).problem();
        assert_eq!(p.detail, None);
        assert!(!serde_json::to_string(&p).unwrap().contains("hunter2"));
    }

    #[test]
    fn gate_refusals_name_the_gate() {
        let e: ApiError = TransitionError::GateOpen {
            phase: firebreak_core::Phase::Containment,
            item: firebreak_core::GateItem::EvidencePreserved,
        }
        .into();
        let p = e.problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.gate.as_deref(), Some("evidence_preserved"));
        assert!(p.detail.unwrap().contains("evidence_preserved"));
    }
}
