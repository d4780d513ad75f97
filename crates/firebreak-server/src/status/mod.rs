//! The public status page (no sign-in): `/status`, its Statuspage-shaped
//! JSON (`/status.json`, `/api/v2/*.json`), its Atom and RSS feeds, a
//! private page per customer behind a secret link, and subscriptions
//! ([`subscribe`]).
//!
//! Everything public is rendered once per change into memory ([`Files`],
//! swapped whole behind an `Arc`) with an `ETag` (SHA-256 of the bytes)
//! and a `Last-Modified`; requests are answered from memory (304 on
//! revalidation) without touching the database. A background task
//! ([`spawn_refresher`]) renders again when the store's change marker
//! moves (on PostgreSQL, other servers' changes too) and at least once a
//! minute (maintenance windows start and end with time); a render that
//! fails keeps the last one, so the page keeps answering while the
//! database is down. The model is computed purely from one snapshot
//! ([`model`]); the feeds are in [`feeds`].

pub mod feeds;
pub mod model;
pub mod subscribe;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration as StdDuration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use firebreak_store::StoreError;
use firebreak_store::secrets;

use crate::AppState;
use model::{Incident, Page, PageMeta};

/// `[status_page]` in the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusPageConfig {
    /// The page's name; `<host of public_url> status` when unset.
    pub name: Option<String>,
}

/// How often the refresher looks at the change marker.
const POLL: StdDuration = StdDuration::from_secs(1);
/// The longest a render stays without a look at the clock's effects.
const MAX_AGE: StdDuration = StdDuration::from_secs(60);
/// Customer pages kept in memory at most.
const MAX_CUSTOMER_PAGES: usize = 10_000;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// One rendered response body with its validators.
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub content_type: &'static str,
    pub etag: String,
    /// When these bytes were first rendered (whole seconds).
    pub modified: DateTime<Utc>,
}

impl Rendered {
    fn new(body: Vec<u8>, content_type: &'static str, now: DateTime<Utc>) -> Rendered {
        let hash = Sha256::digest(&body);
        Rendered {
            etag: format!("\"{}\"", hex::encode(&hash[..16])),
            body: Bytes::from(body),
            content_type,
            modified: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
        }
    }

    /// The same bytes keep their validators across renders.
    fn keep(old: Option<&Arc<Rendered>>, new: Rendered) -> Arc<Rendered> {
        match old {
            Some(o) if o.etag == new.etag => Arc::clone(o),
            _ => Arc::new(new),
        }
    }
}

/// Every public file, rendered from one [`Page`].
#[derive(Debug)]
pub struct Files {
    pub page: Arc<Page>,
    pub generation: u64,
    pub html: Arc<Rendered>,
    pub summary: Arc<Rendered>,
    pub status: Arc<Rendered>,
    pub components: Arc<Rendered>,
    pub incidents: Arc<Rendered>,
    pub unresolved: Arc<Rendered>,
    pub maintenances: Arc<Rendered>,
    pub atom: Arc<Rendered>,
    pub rss: Arc<Rendered>,
}

/// The in-memory status page of one server.
#[derive(Debug, Default)]
pub struct StatusCache {
    files: RwLock<Option<Arc<Files>>>,
    rendering: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    customers: Mutex<HashMap<String, (u64, Arc<Rendered>)>>,
    /// Subscription requests per client address.
    pub limiter: subscribe::Limiter,
}

impl StatusCache {
    /// The last render, if any.
    pub fn current(&self) -> Option<Arc<Files>> {
        self.files
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn customers(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Arc<Rendered>)>> {
        self.customers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The page's name and address from the configuration.
pub fn meta(state: &AppState) -> PageMeta {
    let base = state.config.public_url.trim_end_matches('/');
    let name = state.config.status_page.name.clone().unwrap_or_else(|| {
        let host = url::Url::parse(base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "Firebreak".to_owned());
        format!("{host} status")
    });
    PageMeta {
        name,
        url: format!("{base}/status"),
    }
}

#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusTemplate<'a> {
    pub page: &'a Page,
    /// A customer's private page: their name and incidents.
    pub customer: Option<(&'a str, &'a [Incident])>,
}

impl StatusTemplate<'_> {
    fn date(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    fn iso(t: &DateTime<Utc>) -> String {
        t.to_rfc3339()
    }

    fn component_names(&self, ids: &[i64]) -> String {
        self.page
            .components
            .iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

fn html(t: &StatusTemplate<'_>) -> Result<Vec<u8>, StoreError> {
    t.render()
        .map(String::into_bytes)
        .map_err(|e| StoreError::Other(format!("status template: {e}")))
}

/// Reads the snapshot, renders every file and swaps them in. A failure
/// keeps the last render.
pub async fn refresh(state: &AppState) -> Result<Arc<Files>, StoreError> {
    let cache = &state.status;
    let _one = cache.rendering.lock().await;
    let now = state.now();
    let snap = state.store.status_snapshot(now).await?;
    let page = Arc::new(model::page(meta(state), &snap, now));
    let old = cache.current();
    let old = old.as_deref();
    let p = &*page;
    let json_t = "application/json; charset=utf-8";
    let html_body = html(&StatusTemplate {
        page: p,
        customer: None,
    })?;
    use firebreak_api::status as sp;
    let page_doc = model::sp_page(p);
    let made = [
        Rendered::new(html_body, "text/html; charset=utf-8", now),
        Rendered::new(json(&model::sp_summary(p)), json_t, now),
        Rendered::new(
            json(&sp::SpStatusDoc {
                page: page_doc.clone(),
                status: model::sp_status(p),
            }),
            json_t,
            now,
        ),
        Rendered::new(
            json(&sp::SpComponents {
                page: page_doc.clone(),
                components: model::sp_components(p),
            }),
            json_t,
            now,
        ),
        Rendered::new(
            json(&sp::SpIncidents {
                page: page_doc.clone(),
                incidents: p
                    .incidents
                    .iter()
                    .take(50)
                    .map(|i| model::sp_incident(p, i))
                    .collect(),
            }),
            json_t,
            now,
        ),
        Rendered::new(
            json(&sp::SpIncidents {
                page: page_doc.clone(),
                incidents: p.active().map(|i| model::sp_incident(p, i)).collect(),
            }),
            json_t,
            now,
        ),
        Rendered::new(
            json(&sp::SpMaintenances {
                page: page_doc,
                scheduled_maintenances: p
                    .maintenances
                    .iter()
                    .rev()
                    .take(50)
                    .map(|m| model::sp_maintenance(p, m))
                    .collect(),
            }),
            json_t,
            now,
        ),
        Rendered::new(
            feeds::atom(p).into_bytes(),
            "application/atom+xml; charset=utf-8",
            now,
        ),
        Rendered::new(
            feeds::rss(p).into_bytes(),
            "application/rss+xml; charset=utf-8",
            now,
        ),
    ];
    let [
        html,
        summary,
        status,
        components,
        incidents,
        unresolved,
        maintenances,
        atom,
        rss,
    ] = made;
    // Every render is a new generation: a customer's page may change when
    // the public one does not (a notice sent to customers only).
    let generation = cache.generation.fetch_add(1, Ordering::AcqRel) + 1;
    let files = Arc::new(Files {
        html: Rendered::keep(old.map(|o| &o.html), html),
        summary: Rendered::keep(old.map(|o| &o.summary), summary),
        status: Rendered::keep(old.map(|o| &o.status), status),
        components: Rendered::keep(old.map(|o| &o.components), components),
        incidents: Rendered::keep(old.map(|o| &o.incidents), incidents),
        unresolved: Rendered::keep(old.map(|o| &o.unresolved), unresolved),
        maintenances: Rendered::keep(old.map(|o| &o.maintenances), maintenances),
        atom: Rendered::keep(old.map(|o| &o.atom), atom),
        rss: Rendered::keep(old.map(|o| &o.rss), rss),
        page,
        generation,
    });
    *cache
        .files
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&files));
    Ok(files)
}

/// Renders at once and then whenever the change marker moves, and at
/// least every minute, until the returned task is aborted.
pub fn spawn_refresher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut marker = String::new();
        let mut rendered_at: Option<tokio::time::Instant> = None;
        let mut failing = false;
        loop {
            let read = state.store.change_marker().await;
            let due = match &read {
                Ok(m) => *m != marker || rendered_at.is_none_or(|t| t.elapsed() >= MAX_AGE),
                Err(_) => rendered_at.is_none_or(|t| t.elapsed() >= MAX_AGE),
            };
            if due {
                match refresh(&state).await {
                    Ok(_) => {
                        if let Ok(m) = read {
                            marker = m;
                        }
                        if failing {
                            tracing::info!("status page: rendering again");
                        }
                        failing = false;
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "status page: render failed; serving the last one");
                        }
                        failing = true;
                    }
                }
                rendered_at = Some(tokio::time::Instant::now());
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// The current files, rendering first if nothing was rendered yet.
async fn files(state: &AppState) -> Result<Arc<Files>, Response> {
    if let Some(f) = state.status.current() {
        return Ok(f);
    }
    match refresh(state).await {
        Ok(f) => Ok(f),
        Err(e) => {
            tracing::warn!(error = %e, "status page: first render failed");
            Err(crate::error::ApiError::Unavailable(e.to_string()).into_response())
        }
    }
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the request's validators match `r` (then: 304).
fn fresh(r: &Rendered, headers: &HeaderMap) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        return inm.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t == r.etag || t.strip_prefix("W/") == Some(r.etag.as_str())
            })
        });
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| r.modified <= since)
}

/// Answers with `r` from memory (or 304).
pub fn respond(r: &Rendered, headers: &HeaderMap, cache_control: &'static str) -> Response {
    let mut res = if fresh(r, headers) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = r.body.clone().into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(r.content_type),
        );
        res
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&r.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(r.modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if r.content_type.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    res
}

macro_rules! file_route {
    ($name:ident, $field:ident) => {
        async fn $name(State(state): State<AppState>, headers: HeaderMap) -> Response {
            match files(&state).await {
                Ok(f) => respond(&f.$field, &headers, "public, no-cache"),
                Err(res) => res,
            }
        }
    };
    ($name:ident, $field:ident, $path:literal, $body:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = "status", security(()),
            responses(
                (status = 200, description = "Success (served from memory, with `ETag` and `Last-Modified`).", body = $body),
                (status = 304, description = "Not modified (`If-None-Match` or `If-Modified-Since`)."),
            ))]
        async fn $name(State(state): State<AppState>, headers: HeaderMap) -> Response {
            match files(&state).await {
                Ok(f) => respond(&f.$field, &headers, "public, no-cache"),
                Err(res) => res,
            }
        }
    };
}

use firebreak_api::status::{SpComponents, SpIncidents, SpMaintenances, SpStatusDoc, SpSummary};

file_route!(status_page, html);
file_route!(
    summary_json,
    summary,
    "/api/v2/summary.json",
    SpSummary,
    "The page in the shape of Statuspage's `summary.json`."
);
file_route!(
    status_dot_json,
    summary,
    "/status.json",
    SpSummary,
    "The same document as `/api/v2/summary.json`."
);
file_route!(
    status_json,
    status,
    "/api/v2/status.json",
    SpStatusDoc,
    "The page's overall state (Statuspage's `status.json`)."
);
file_route!(
    components_json,
    components,
    "/api/v2/components.json",
    SpComponents,
    "The public components and their state now."
);
file_route!(
    incidents_json,
    incidents,
    "/api/v2/incidents.json",
    SpIncidents,
    "The last 50 incidents with public updates, unresolved first."
);
file_route!(
    unresolved_json,
    unresolved,
    "/api/v2/incidents/unresolved.json",
    SpIncidents,
    "The unresolved incidents with public updates."
);
file_route!(
    maintenances_json,
    maintenances,
    "/api/v2/scheduled-maintenances.json",
    SpMaintenances,
    "Maintenance windows given public wording, newest first."
);
file_route!(feed_atom, atom);
file_route!(feed_rss, rss);

async fn stylesheet(headers: HeaderMap) -> Response {
    static STYLE: std::sync::OnceLock<Rendered> = std::sync::OnceLock::new();
    let r = STYLE.get_or_init(|| {
        Rendered::new(
            include_str!("../../static/status.css").as_bytes().to_vec(),
            "text/css; charset=utf-8",
            DateTime::<Utc>::UNIX_EPOCH,
        )
    });
    respond(r, &headers, "public, no-cache")
}

/// A customer's private page: the public page and the customer's own
/// incidents. Rendered on demand and kept per customer until the public
/// page changes; while the database is down, the last one is served.
async fn customer_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let files = match files(&state).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let hash = secrets::secret_hash(&token);
    let cached = state.status.customers().get(&hash).cloned();
    if let Some((generation, r)) = &cached
        && *generation == files.generation
    {
        return private(respond(r, &headers, "private, no-cache"));
    }
    let found = match state.store.customer_status(&hash, state.now()).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "status page: reading a customer page");
            return match cached {
                Some((_, r)) => private(respond(&r, &headers, "private, no-cache")),
                None => crate::error::ApiError::Unavailable(e.to_string()).into_response(),
            };
        }
    };
    let Some(c) = found else {
        return crate::web::not_found_page("/status/c/…");
    };
    let incidents = model::incidents(&c.incidents, &c.updates, &c.spans);
    let body = match html(&StatusTemplate {
        page: &files.page,
        customer: Some((&c.name, &incidents)),
    }) {
        Ok(b) => b,
        Err(e) => return crate::error::ApiError::Internal(e.to_string()).into_response(),
    };
    let r = Arc::new(Rendered::new(body, "text/html; charset=utf-8", state.now()));
    {
        let mut map = state.status.customers();
        if map.len() >= MAX_CUSTOMER_PAGES {
            map.clear();
        }
        map.insert(hash, (files.generation, Arc::clone(&r)));
    }
    private(respond(&r, &headers, "private, no-cache"))
}

/// A private page's link must not leave through the Referer header.
fn private(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The status page's JSON documents and the subscription API, with their
/// OpenAPI operations (no sign-in; served from memory).
pub fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(summary_json))
        .routes(routes!(status_dot_json))
        .routes(routes!(status_json))
        .routes(routes!(components_json))
        .routes(routes!(incidents_json))
        .routes(routes!(unresolved_json))
        .routes(routes!(maintenances_json))
        .routes(routes!(subscribe::subscribe_json))
}

/// The page, its feeds and its forms: no sign-in, no session.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(status_page))
        .route("/status/feed.atom", get(feed_atom))
        .route("/status/feed.rss", get(feed_rss))
        .route("/static/status.css", get(stylesheet))
        .route("/status/c/{token}", get(customer_page))
        .merge(subscribe::routes())
}
