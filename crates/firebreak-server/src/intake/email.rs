//! Inbound e-mail over HTTP (`POST /api/v1/inbound/email`, a raw RFC 5322
//! message as the body, for mail gateways that can forward by HTTP), shared
//! with the SMTP listener ([`crate::intake::smtp`]); and reading a report's
//! messages and attachments back.
//!
//! A subject the process document's responsible-disclosure line matches
//! (`firebreak_intake::email::is_responsible_disclosure`) starts a
//! confidential `disclosure` report, visible only to the security team,
//! admins and members of the incident it becomes. Anything else starts an
//! `email` report. A reply (its In-Reply-To or References naming a stored
//! message) joins the report of the thread instead, whatever its subject.
//! A message whose Message-ID is already stored is a redelivery and changes
//! nothing. Attachments are kept as evidence with their SHA-256: the
//! content when at most [`ATTACHMENT_LIMIT`], the hash and size always.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use firebreak_api::intake::EmailView;
use firebreak_api::{Problem, ReportSource};
use firebreak_core::auth::Action;
use firebreak_intake::email::{InboundEmail, is_responsible_disclosure, parse_email};
use firebreak_store::intake::{AttachmentWrite, EmailOutcome, EmailWrite};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::AuthUser;
use crate::intake::wire::{attachment_view, positive_id};
use crate::intake::{
    ATTACHMENT_LIMIT, EMAIL_LIMIT, Integration, Runtime, bearer, clip, intake_problem, one_line,
    read_body,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbound))
        .routes(routes!(inbound_keyed))
        .routes(routes!(report_messages))
        .routes(routes!(attachment))
}

/// Longest message text kept on the message record.
const MAX_BODY: usize = 200_000;

/// What a delivered message became.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Received {
    pub report_id: i64,
    /// The stored message (for a researcher's reply threaded into a
    /// disclosure by its tracking id: the disclosure message).
    pub email_id: i64,
    /// A reply that joined the report of its thread.
    pub threaded: bool,
    /// A Message-ID already stored: a redelivery that changed nothing.
    pub duplicate: bool,
    /// A responsible disclosure: a confidential `disclosure` report.
    pub disclosure: bool,
    /// The ids of the attachments kept.
    pub attachments: Vec<i64>,
}

/// Receives one raw e-mail message, keyed by bearer.
///
/// For mail gateways that forward by HTTP. Authentication is the integration
/// key of an `email` integration as `Authorization: Bearer <integration
/// key>` (not a user token). The message starts an `email` report, a
/// confidential `disclosure` report when its subject is a responsible
/// disclosure, or joins the report of its thread when it is a reply.
#[utoipa::path(post, path = "/api/v1/inbound/email", tag = "intake",
    security(("integration_key" = [])),
    request_body(content = String, content_type = "message/rfc822",
        description = "One raw RFC 5322 message, headers and body, as received (at most 10 MiB). The request's Content-Type is not checked."),
    responses(
        (status = 201, description = "Stored: a new message.", body = Received),
        (status = 200, description = "A Message-ID already stored: nothing changed (`duplicate` is true).", body = Received),
        (status = 400, description = "Not an e-mail message (e.g. no headers), or a body that could not be read.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, wrong or disabled key, or the key of another kind of integration.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 10 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing is known to be stored; retry.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn inbound(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = bearer(&headers).map(str::to_owned);
    receive(&state, &rt, key.as_deref(), &headers, body).await
}

/// Receives one raw e-mail message, keyed by path.
///
/// For mail gateways that forward by HTTP. Authentication is the integration
/// key of an `email` integration in the path. The message starts an `email`
/// report, a confidential `disclosure` report when its subject is a
/// responsible disclosure, or joins the report of its thread when it is a
/// reply.
#[utoipa::path(post, path = "/api/v1/inbound/email/{key}", tag = "intake",
    security(()),
    params(("key" = String, Path, description = "The integration key.")),
    request_body(content = String, content_type = "message/rfc822",
        description = "One raw RFC 5322 message, headers and body, as received (at most 10 MiB). The request's Content-Type is not checked."),
    responses(
        (status = 201, description = "Stored: a new message.", body = Received),
        (status = 200, description = "A Message-ID already stored: nothing changed (`duplicate` is true).", body = Received),
        (status = 400, description = "Not an e-mail message (e.g. no headers), or a body that could not be read.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or disabled key, or the key of another kind of integration.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 10 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Nothing is known to be stored; retry.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn inbound_keyed(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    receive(&state, &rt, Some(&key), &headers, body).await
}

async fn receive(
    state: &AppState,
    rt: &Runtime,
    key: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let integration = rt.authenticate(state, "email", key).await?;
    let raw = read_body(headers, body, EMAIL_LIMIT).await?;
    let parsed = parse_email(&raw).map_err(|e| intake_problem(&e))?;
    let received = deliver(state, &integration, &raw, &parsed).await?;
    let status = if received.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(received)).into_response())
}

/// Stores a parsed message for `integration`: the one path of HTTP and
/// SMTP intake.
pub(crate) async fn deliver(
    state: &AppState,
    integration: &Integration,
    raw: &[u8],
    mail: &InboundEmail,
) -> Result<Received, ApiError> {
    let raw_sha256 = hex::encode(Sha256::digest(raw));
    let message_id = mail
        .message_id
        .clone()
        .filter(|m| !m.trim().is_empty() && m.len() <= 998)
        .unwrap_or_else(|| format!("sha256-{raw_sha256}@firebreak.invalid"));
    let subject = mail.subject.clone().unwrap_or_default();
    // A researcher's reply naming its tracking id threads into that
    // disclosure; naming one from another address is a new disclosure.
    if let Some(rec) = crate::disclosures::email::replied_to(state, mail).await? {
        let (email_id, attachments, duplicate) =
            crate::disclosures::email::thread_in(state, &rec, mail, &message_id).await?;
        return Ok(Received {
            report_id: rec.report_id,
            email_id,
            threaded: true,
            duplicate,
            disclosure: true,
            attachments,
        });
    }
    let disclosure = is_responsible_disclosure(&subject)
        || firebreak_core::disclosure::find_tracking_id(&subject).is_some();
    let from = mail.from.as_ref().map(|m| m.address.clone());
    let sender = from.clone().unwrap_or_else(|| "unknown sender".to_owned());

    let mut title = if disclosure {
        one_line(&format!("Responsible disclosure from {sender}"), 200)
    } else {
        one_line(&subject, 200)
    };
    if title.is_empty() {
        title = one_line(&format!("E-mail from {sender}"), 200);
    }

    // At most `email_max_attachments` are recorded, and their content kept
    // while the total stays within `email_max_attachment_bytes`; the others
    // keep their size and hash, and the rest are only counted.
    let limits = &state.config.intake;
    let mut kept_bytes = 0usize;
    let dropped = mail
        .attachments
        .len()
        .saturating_sub(limits.email_max_attachments);
    let attachments: Vec<AttachmentWrite> = mail
        .attachments
        .iter()
        .take(limits.email_max_attachments)
        .map(|a| {
            let size = a.bytes.len();
            let keep = size <= ATTACHMENT_LIMIT
                && kept_bytes.saturating_add(size) <= limits.email_max_attachment_bytes;
            if keep {
                kept_bytes += size;
            }
            AttachmentWrite {
                filename: a.filename.as_deref().map(|f| one_line(f, 255)),
                content_type: one_line(&a.content_type, 255),
                size: i64::try_from(a.bytes.len()).unwrap_or(i64::MAX),
                sha256: a.sha256.clone(),
                content: keep.then(|| STANDARD.encode(&a.bytes)),
            }
        })
        .collect();

    let mut description = String::new();
    description.push_str(&format!("From: {sender}\n"));
    if !mail.to.is_empty() {
        let to: Vec<&str> = mail.to.iter().map(|m| m.address.as_str()).collect();
        description.push_str(&format!("To: {}\n", to.join(", ")));
    }
    if let Some(date) = mail.date {
        description.push_str(&format!("Date: {}\n", date.to_rfc3339()));
    }
    description.push_str(&format!("Subject: {}\n", one_line(&subject, 998)));
    description.push_str(&format!("Message-ID: <{message_id}>\n\n"));
    description.push_str(mail.text.trim());
    if !attachments.is_empty() {
        description.push_str("\n\nAttachments (kept as evidence):\n");
        for a in &attachments {
            description.push_str(&format!(
                "- {} ({}, {} bytes, SHA-256 {}){}\n",
                a.filename.as_deref().unwrap_or("unnamed"),
                a.content_type,
                a.size,
                a.sha256,
                if a.content.is_some() {
                    ""
                } else {
                    " — over the size limit: only its hash is kept"
                }
            ));
        }
    }
    if dropped > 0 {
        description.push_str(&format!(
            "- and {dropped} more attachment(s), not kept: over the limit of {} per message\n",
            limits.email_max_attachments
        ));
    }

    let write = EmailWrite {
        integration_id: Some(integration.record.id),
        actor: integration.record.actor(),
        message_id,
        in_reply_to: mail.in_reply_to.clone(),
        references: mail.references.clone(),
        from_address: from,
        subject: one_line(&subject, 998),
        body: clip(&mail.text, MAX_BODY),
        sent_at: mail.date,
        raw_sha256,
        raw_size: i64::try_from(raw.len()).unwrap_or(i64::MAX),
        report_source: if disclosure {
            ReportSource::Disclosure
        } else {
            ReportSource::Email
        },
        report_title: title,
        report_description: clip(&description, crate::actions::MAX_TEXT),
        reporter: one_line(&sender, 200),
        confidential: disclosure,
        service_id: integration.record.service_id,
        attachments,
    };
    let EmailOutcome {
        report_id,
        email_id,
        threaded,
        duplicate,
        attachment_ids,
    } = state
        .store
        .ingest_email(&write, state.now())
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    // One disclosure record on the one report (a redelivery makes it only
    // if an earlier delivery stopped before it).
    if disclosure && !threaded {
        crate::disclosures::email::record(state, report_id, mail, &integration.record.actor())
            .await?;
    }
    Ok(Received {
        report_id,
        email_id,
        threaded,
        duplicate,
        disclosure,
        attachments: attachment_ids,
    })
}

/// The messages of a report the reader can see, oldest first.
///
/// With each attachment's name, declared type, size and SHA-256.
#[utoipa::path(get, path = "/api/v1/intake/reports/{id}/messages", tag = "intake",
    params(("id" = String, Path, description = "The report id.")),
    responses(
        (status = 200, description = "Success.", body = [EmailView]),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or one the reader may not see.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn report_messages(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<EmailView>>, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let id = positive_id("report", &id)?;
    cx.report(id).await?;
    let messages = state.store.report_emails(id).await?;
    Ok(Json(messages))
}

/// An attachment's content, if its report is visible to the reader. Sent as
/// `application/octet-stream` whatever the sender claimed, as a download:
/// evidence is never rendered by the browser.
#[utoipa::path(get, path = "/api/v1/intake/attachments/{id}", tag = "intake",
    params(("id" = String, Path, description = "The attachment id.")),
    responses(
        (status = 200, description = "The attachment's bytes, as a download.", content_type = "application/octet-stream",
            headers(
                ("X-Content-SHA256" = String, description = "The content's SHA-256, hex."),
                ("Content-Disposition" = String, description = "`attachment; filename=\"attachment-{id}.bin\"`"),
            )),
        (status = 401, description = "A missing or wrong user token (`Authorization: Bearer <token>`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attachment, or one of a report the reader may not see.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The attachment was over the size limit: only its SHA-256 was kept.", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn attachment(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cx = state.ctx(&user);
    cx.require(Action::Read)?;
    let id = positive_id("attachment", &id)?;
    let missing = || ApiError::NotFound(format!("attachment {id}"));
    let (meta, content) = state.store.attachment(id).await?.ok_or_else(missing)?;
    cx.report(meta.report_id).await.map_err(|_| missing())?;
    let Some(content) = content else {
        return Err(ApiError::Conflict(format!(
            "attachment {id} was over the size limit: only its SHA-256 ({}) was kept",
            meta.sha256
        )));
    };
    let bytes = STANDARD
        .decode(content.as_bytes())
        .map_err(|e| ApiError::Internal(format!("stored attachment {id}: {e}")))?;
    let view = attachment_view(meta);
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"attachment-{id}.bin\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    if let Ok(v) = HeaderValue::from_str(&view.sha256) {
        h.insert("x-content-sha256", v);
    }
    Ok(res)
}
