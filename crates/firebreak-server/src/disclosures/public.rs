//! The researcher's pages, no sign-in and no JavaScript: `/security` (the
//! policy and the submission form), the page shown once after a report,
//! and the private status link `/security/status/{token}` (state, due
//! dates, the conversation without internal notes, files, and a reply
//! form).
//!
//! There is no session, so no CSRF token: a forged cross-site post could
//! only file a report under the forger's words, from the victim's address
//! and against its rate limit, and the status link's reply form is
//! authenticated by the secret in its URL, which a third site does not
//! know. Bots are held off by the per-address rate limit ([`Limiter`]) and
//! a hidden honeypot field (a form that fills it is refused, saying why).
//!
//! A wrong, unknown or malformed status link is answered with one fixed
//! 404, byte for byte the same whatever the token. Every page here is
//! `Cache-Control: no-store` and `Referrer-Policy: no-referrer` (the
//! token is in the URL).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine;

use firebreak_api::disclosure::{MAX_SHORT, MAX_TEXT, MAX_TITLE};
use firebreak_core::disclosure::{DisclosureChannel, DisclosurePolicy, default_policy_text};
use firebreak_store::Actor;
use firebreak_store::disclosures::{DisclosureRecord, NewDisclosureMessage, RESEARCHER, STAFF};
use firebreak_store::intake::AttachmentWrite;

use super::intake::{SubmitInput, attachment, check_attachments, day, submit};
use super::limits::{Limiter, REPLIES_PER_HOUR, posts_per_hour, safe_filename};
use crate::AppState;
use crate::error::ApiError;
use crate::signin::ClientAddr;

/// Room for the multipart framing and the text fields beyond the files.
const FORM_MARGIN: usize = 1024 * 1024;
/// The name of the honeypot field.
pub const HONEYPOT: &str = "hp_leave_empty";

/// The public pages, with the form's own body limit (the policy's files
/// and a margin) in place of the global one.
pub fn routes(policy: &DisclosurePolicy) -> Router<AppState> {
    let limit = policy
        .attachments_max
        .saturating_mul(policy.attachment_max_bytes)
        .saturating_add(FORM_MARGIN);
    Router::new()
        .route(
            "/security",
            get(form_page)
                .post(form_post)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/security/status/{token}",
            get(status_page)
                .post(status_reply)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route("/security/status/{token}/files/{id}", get(download))
        .route("/static/security.css", get(stylesheet))
        .layer(Extension(Arc::new(Limiter::default())))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/security.css"),
    )
        .into_response()
}

/// Whether the client prefers an HTML page to a problem body.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn private(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn html(status: StatusCode, t: &impl Template) -> Response {
    private(crate::web::page_with_status(status, t))
}

#[derive(Template)]
#[template(path = "disclosure_public_message.html")]
struct MessagePage {
    heading: String,
    text: String,
}

fn message(status: StatusCode, heading: &str, text: String) -> Response {
    html(
        status,
        &MessagePage {
            heading: heading.to_owned(),
            text,
        },
    )
}

fn too_many(wait: i64, browser: bool, what: &str) -> Response {
    let mut res = if browser {
        message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!(
                "Too many {what} from your address in the last hour. Try again in {} minutes.",
                (wait + 59) / 60
            ),
        )
    } else {
        let body = serde_json::json!({
            "type": "https://firebreak.dev/problems/too-many-requests",
            "title": "Too many requests",
            "status": 429,
            "detail": format!("too many {what} from this address; retry in {wait} s"),
        });
        let mut res = (StatusCode::TOO_MANY_REQUESTS, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        private(res)
    };
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The one answer to a status link that names no disclosure, the same
/// bytes whatever the token.
fn no_such_link(browser: bool) -> Response {
    if browser {
        message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no page at this address.".to_owned(),
        )
    } else {
        private(ApiError::NotFound("status link".to_owned()).into_response())
    }
}

fn problem(e: ApiError) -> Response {
    if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
        tracing::error!(error = ?e, "security pages");
    }
    private(e.into_response())
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// The values of the form, kept when it is shown back.
#[derive(Debug, Clone, Default)]
struct FormValues {
    title: String,
    description: String,
    steps: String,
    impact: String,
    asset: String,
    researcher_name: String,
    researcher_email: String,
    credit: bool,
}

#[derive(Template)]
#[template(path = "disclosure_public_form.html")]
struct FormPage {
    policy_html: String,
    error: Option<String>,
    v: FormValues,
    max_title: usize,
    max_text: usize,
    max_short: usize,
    files_max: usize,
    file_max: String,
}

fn form(state: &AppState, status: StatusCode, error: Option<String>, v: FormValues) -> Response {
    let policy = &state.config.disclosure;
    let text = if policy.policy_text.trim().is_empty() {
        default_policy_text(policy)
    } else {
        policy.policy_text.clone()
    };
    html(
        status,
        &FormPage {
            policy_html: crate::web::markdown::to_safe_html(&text),
            error,
            v,
            max_title: MAX_TITLE,
            max_text: MAX_TEXT,
            max_short: MAX_SHORT,
            files_max: policy.attachments_max,
            file_max: human_size(policy.attachment_max_bytes),
        },
    )
}

/// `GET /security`: the policy and the form.
async fn form_page(State(state): State<AppState>) -> Response {
    form(&state, StatusCode::OK, None, FormValues::default())
}

/// The parts of a multipart post: text fields and files.
#[derive(Debug, Default)]
struct Parts {
    text: HashMap<String, String>,
    files: Vec<AttachmentWrite>,
}

/// Reads a multipart body: text fields by name (the last one of a name),
/// files of the `attachments` field (an empty file input is skipped), each
/// within the policy's limits; a refusal names the field.
async fn read_parts(mut mp: Multipart, policy: &DisclosurePolicy) -> Result<Parts, ApiError> {
    let mut parts = Parts::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                return Err(if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::invalid(
                        "attachments",
                        format!(
                            "the files are too large: at most {} files of {} each",
                            policy.attachments_max,
                            human_size(policy.attachment_max_bytes)
                        ),
                    )
                } else {
                    ApiError::bad("body", format!("not a readable form: {}", e.body_text()))
                });
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" {
            let filename = field.file_name().map(str::to_owned);
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(|e| {
                ApiError::invalid("attachments", format!("a file could not be read: {e}"))
            })?;
            if bytes.is_empty() && filename.as_deref().is_none_or(str::is_empty) {
                continue;
            }
            if bytes.len() > policy.attachment_max_bytes {
                return Err(ApiError::invalid(
                    "attachments",
                    format!(
                        "{} is larger than {}",
                        filename.as_deref().unwrap_or("a file"),
                        human_size(policy.attachment_max_bytes)
                    ),
                ));
            }
            parts
                .files
                .push(attachment(filename.as_deref(), &content_type, &bytes));
            check_attachments("attachments", &parts.files, policy)?;
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::bad(&name, format!("not readable text: {e}")))?;
            parts.text.insert(name, text);
        }
    }
    Ok(parts)
}

#[derive(Template)]
#[template(path = "disclosure_public_sent.html")]
struct SentPage {
    tracking_id: String,
    status_url: String,
    emailed: bool,
}

fn researcher() -> Actor {
    Actor {
        user_id: None,
        name: RESEARCHER.to_owned(),
    }
}

fn refusal_text(e: &ApiError) -> String {
    match e {
        ApiError::Internal(_) | ApiError::Unavailable(_) => {
            "Something went wrong on our side; please try again later.".to_owned()
        }
        ApiError::Invalid {
            detail,
            field: Some(f),
        }
        | ApiError::BadRequest {
            detail,
            field: Some(f),
        } => format!("{detail} (field: {}).", f.replace('_', " ")),
        other => other.to_string(),
    }
}

/// `POST /security`: a new report from the form (multipart). A browser
/// gets a page; any other client a JSON answer (`201` with the tracking
/// id and status link) or a problem body.
async fn form_post(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<Limiter>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let browser = wants_html(&headers);
    let policy = &state.config.disclosure;
    // Two budgets: accepted reports (`form_per_hour`, counted only when
    // one is stored) and posts of any kind (refusals included).
    let now = state.now();
    if let Err(wait) = limiter
        .check(addr, "report", policy.form_per_hour, now)
        .and_then(|()| limiter.hit(addr, "post", posts_per_hour(policy), now))
    {
        return too_many(wait, browser, "reports");
    }
    let refuse = |v: FormValues, e: ApiError| {
        if browser {
            let (status, _) = e.status();
            form(&state, status, Some(refusal_text(&e)), v)
        } else {
            problem(e)
        }
    };
    let parts = match read_parts(mp, policy).await {
        Ok(p) => p,
        Err(e) => return refuse(FormValues::default(), e),
    };
    let get = |k: &str| parts.text.get(k).cloned().unwrap_or_default();
    let v = FormValues {
        title: get("title"),
        description: get("description"),
        steps: get("steps"),
        impact: get("impact"),
        asset: get("asset"),
        researcher_name: get("researcher_name"),
        researcher_email: get("researcher_email"),
        credit: !get("credit").is_empty(),
    };
    if !get(HONEYPOT).is_empty() {
        return refuse(
            v,
            ApiError::invalid(
                HONEYPOT,
                "the hidden field \"Leave this field empty\", which catches bots, was filled in; \
                 leave it empty",
            ),
        );
    }
    let input = SubmitInput {
        channel: Some(DisclosureChannel::Form),
        title: v.title.clone(),
        description: v.description.clone(),
        steps: v.steps.clone(),
        impact: v.impact.clone(),
        asset: v.asset.clone(),
        researcher_name: Some(v.researcher_name.clone()),
        researcher_email: Some(v.researcher_email.clone()),
        credit: v.credit,
        client_addr: addr,
        attachments: parts.files,
        on_report: None,
    };
    let submitted = submit(&state, input, &researcher(), state.now()).await;
    if submitted.is_ok() {
        // Counted after the fact: a burst of concurrent posts may pass the
        // check together, by at most the number in flight.
        let _ = limiter.hit(addr, "report", u32::MAX, now);
    }
    match submitted {
        Ok(s) if browser => html(
            StatusCode::OK,
            &SentPage {
                tracking_id: s.tracking_id,
                status_url: s.status_url,
                emailed: s.receipt_queued,
            },
        ),
        Ok(s) => private(
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({
                    "tracking_id": s.tracking_id,
                    "status_url": s.status_url,
                    "receipt_sent": s.receipt_queued,
                })),
            )
                .into_response(),
        ),
        Err(e) => refuse(v, e),
    }
}

/// One message as the researcher sees it.
struct MessageView {
    who: &'static str,
    class: &'static str,
    at: String,
    body: String,
    /// (id, name, size, sha256)
    files: Vec<(i64, String, i64, String)>,
}

#[derive(Template)]
#[template(path = "disclosure_public_status.html")]
struct StatusPage {
    base: String,
    tracking_id: String,
    title: String,
    /// What the researcher reported: (heading, text), the empty left out.
    report: Vec<(&'static str, String)>,
    /// The triage verdict in the researcher's words, once triaged.
    outcome: Option<String>,
    /// When it was disclosed, and the published advisory's path.
    disclosed: Option<String>,
    advisory: Option<String>,
    state: &'static str,
    received: String,
    severity: Option<String>,
    cvss: Option<String>,
    embargo: String,
    /// (what, when, overdue)
    due: Vec<(&'static str, String, bool)>,
    messages: Vec<MessageView>,
    files: Vec<(i64, String, i64, String)>,
    error: Option<String>,
    draft: String,
    max_text: usize,
}

async fn status_view(
    state: &AppState,
    token: &str,
    rec: &DisclosureRecord,
    error: Option<String>,
    draft: String,
) -> Result<StatusPage, ApiError> {
    let now = state.now();
    let messages = state.store.disclosure_messages(rec.id, false).await?;
    let attachments = state.store.disclosure_attachments(rec.id).await?;
    let file = |a: &firebreak_api::disclosure::DisclosureAttachment| {
        (
            a.id,
            a.filename
                .clone()
                .unwrap_or_else(|| format!("file-{}", a.id)),
            a.size,
            a.sha256.clone(),
        )
    };
    let messages = messages
        .into_iter()
        .filter(|m| !m.internal)
        .map(|m| {
            let staff = m.author == STAFF;
            MessageView {
                who: if staff { "Security team" } else { "You" },
                class: if staff { "staff" } else { "researcher" },
                at: day(m.created_at),
                body: m.body,
                files: attachments
                    .iter()
                    .filter(|a| a.message_id == Some(m.id) && a.stored)
                    .map(file)
                    .collect(),
            }
        })
        .collect();
    let outcome = match rec.triage_outcome {
        Some(firebreak_core::disclosure::TriageOutcome::Valid) => {
            Some("Confirmed: we are treating it as a vulnerability.".to_owned())
        }
        Some(firebreak_core::disclosure::TriageOutcome::Duplicate) => {
            Some(match &rec.duplicate_of {
                Some(o) => {
                    format!("Already reported to us ({o}): we work on it under that report.")
                }
                None => "Already reported to us.".to_owned(),
            })
        }
        Some(firebreak_core::disclosure::TriageOutcome::NotApplicable) => Some(format!(
            "Not applicable: {}",
            rec.triage_reason
                .as_deref()
                .unwrap_or("no reason was given")
        )),
        None => None,
    };
    let advisory = match state.store.advisory_of_disclosure(rec.id).await? {
        Some(a) if a.state == "published" => Some(format!("/security/advisories/{}", a.slug)),
        _ => None,
    };
    let report = [
        ("Description", &rec.description),
        ("Steps to reproduce", &rec.steps),
        ("Impact", &rec.impact),
        ("Affected asset", &rec.asset),
    ]
    .into_iter()
    .filter(|(_, t)| !t.trim().is_empty())
    .map(|(h, t)| (h, t.clone()))
    .collect();
    Ok(StatusPage {
        base: format!("/security/status/{token}"),
        tracking_id: rec.tracking_id.clone(),
        title: rec.title.clone(),
        report,
        outcome,
        disclosed: rec.disclosed_at.map(day),
        advisory,
        state: rec.state.label(),
        received: day(rec.received_at),
        severity: rec.severity.map(|s| s.to_string()),
        cvss: rec.cvss_vector.as_ref().map(|v| match rec.cvss_score() {
            Some(score) => format!("{score:.1} ({v})"),
            None => v.clone(),
        }),
        embargo: day(rec.embargo_until),
        due: rec
            .due(&state.config.disclosure, now)
            .into_iter()
            .map(|d| (d.what.label(), day(d.at), d.overdue))
            .collect(),
        messages,
        files: attachments
            .iter()
            .filter(|a| a.message_id.is_none() && a.stored)
            .map(file)
            .collect(),
        error,
        draft,
        max_text: MAX_TEXT,
    })
}

async fn by_token(state: &AppState, token: &str) -> Result<Option<DisclosureRecord>, ApiError> {
    Ok(state.store.disclosure_by_token(token).await?)
}

/// `GET /security/status/{token}`: the researcher's view of their report.
async fn status_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rec = match by_token(&state, &token).await {
        Ok(Some(r)) => r,
        Ok(None) => return no_such_link(wants_html(&headers)),
        Err(e) => return problem(e),
    };
    match status_view(&state, &token, &rec, None, String::new()).await {
        Ok(page) => html(StatusCode::OK, &page),
        Err(e) => problem(e),
    }
}

/// `POST /security/status/{token}`: the researcher's reply (multipart:
/// `body` and `attachments`), then back to the page.
async fn status_reply(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<Limiter>>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let browser = wants_html(&headers);
    let rec = match by_token(&state, &token).await {
        Ok(Some(r)) => r,
        Ok(None) => return no_such_link(browser),
        Err(e) => return problem(e),
    };
    if let Err(wait) = limiter.hit(addr, "reply", REPLIES_PER_HOUR, state.now()) {
        return too_many(wait, browser, "replies");
    }
    let policy = &state.config.disclosure;
    let refuse = |draft: String, e: ApiError| async {
        if !browser {
            return problem(e);
        }
        let (status, _) = e.status();
        match status_view(&state, &token, &rec, Some(refusal_text(&e)), draft).await {
            Ok(page) => html(status, &page),
            Err(e) => problem(e),
        }
    };
    let parts = match read_parts(mp, policy).await {
        Ok(p) => p,
        Err(e) => return refuse(String::new(), e).await,
    };
    let body = parts
        .text
        .get("body")
        .map(|b| b.trim().replace("\r\n", "\n"))
        .unwrap_or_default();
    if body.is_empty() && parts.files.is_empty() {
        return refuse(
            body,
            ApiError::invalid("body", "write a message or add a file"),
        )
        .await;
    }
    if body.chars().count() > MAX_TEXT {
        return refuse(
            body,
            ApiError::invalid("body", format!("longer than {MAX_TEXT} characters")),
        )
        .await;
    }
    let msg = NewDisclosureMessage {
        author: RESEARCHER,
        body: if body.is_empty() {
            "(files added)".to_owned()
        } else {
            body.clone()
        },
        internal: false,
        email_message_id: None,
        attachments: parts.files,
    };
    let key = firebreak_store::secrets::random_secret();
    let notify =
        match super::intake::researcher_replied(&state, rec.id, &rec.tracking_id, &key).await {
            Ok(n) => n,
            Err(e) => return refuse(body, e).await,
        };
    match state
        .store
        .add_disclosure_message(rec.id, &msg, notify, &researcher(), state.now())
        .await
    {
        Ok(_) if browser => {
            private(Redirect::to(&format!("/security/status/{token}#messages")).into_response())
        }
        Ok(added) => private(
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({
                    "message_id": added.message_id,
                    "attachments": added.attachment_ids,
                })),
            )
                .into_response(),
        ),
        Err(e) => refuse(body, e.into()).await,
    }
}

/// `GET /security/status/{token}/files/{id}`: a file of the researcher's
/// report, always as a download.
async fn download(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let browser = wants_html(&headers);
    let rec = match by_token(&state, &token).await {
        Ok(Some(r)) => r,
        Ok(None) => return no_such_link(browser),
        Err(e) => return problem(e),
    };
    let Ok(file_id) = id.parse::<i64>() else {
        return no_such_link(browser);
    };
    let (meta, content) = match state.store.disclosure_attachment(rec.id, file_id).await {
        Ok(Some((m, Some(c)))) => (m, c),
        Ok(_) => return no_such_link(browser),
        Err(e) => return problem(e.into()),
    };
    let internal_note = match meta.message_id {
        Some(mid) => match state.store.disclosure_messages(rec.id, false).await {
            Ok(ms) => !ms.iter().any(|m| m.id == mid),
            Err(e) => return problem(e.into()),
        },
        None => false,
    };
    if internal_note {
        return no_such_link(browser);
    }
    let bytes = match base64::engine::general_purpose::STANDARD.decode(content.as_bytes()) {
        Ok(b) => b,
        Err(e) => return problem(ApiError::Internal(format!("stored file {file_id}: {e}"))),
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"{}\"",
            safe_filename(meta.filename.as_deref(), file_id)
        ))
        .unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&meta.sha256) {
        h.insert("x-content-sha256", v);
    }
    private(res)
}
