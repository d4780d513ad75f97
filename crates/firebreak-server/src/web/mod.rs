//! What every web page shares: the page response and its security headers,
//! the redirect back after a form with its one-time flash message, the
//! error page, and the small text helpers forms and pages use. Sessions and
//! the flash cookie are in [`session`], the CSRF check in [`csrf`], the
//! fields every page's frame shows in [`layout`].
//!
//! Every page works without JavaScript; forms post back and redirect (303)
//! to the page they came from, with an error or notice in a short-lived
//! cookie the next page shows once (never text from the URL, which anyone
//! can put in a link). Every response carries a Content-Security-Policy
//! that allows only our own stylesheet.
//!
//! The pages themselves live with their feature (`incidents::web`,
//! `reports::web`, `oncall::web`, `accounts::web`, `signin::web`,
//! `settings::web`, and the home page and set-up hub in `setup::web`);
//! [`routes`] gathers them.

pub mod csrf;
pub mod layout;
pub mod live;
pub mod markdown;
pub mod session;

use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use firebreak_store::SessionInfo;

use crate::AppState;
use crate::error::ApiError;

pub use csrf::CsrfForm;
pub use layout::Layout;
pub use session::{Flash, WebUser};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every page and form of the web UI, by feature, with the flash cookie
/// cleared once shown.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .merge(crate::signin::web::routes())
        .merge(crate::incidents::web::routes())
        .merge(crate::comms::web::routes())
        .merge(crate::disclosures::web::routes())
        .merge(crate::oncall::web::routes())
        .merge(crate::oncall::setup::routes())
        .merge(crate::reports::web::routes())
        .merge(crate::accounts::web::routes())
        .merge(crate::accounts::user_page::routes())
        .merge(crate::settings::web::routes())
        .merge(crate::setup::web::routes())
        .merge(crate::intake::rules_web::routes())
        .merge(crate::intake::setup_web::routes())
        .merge(crate::customers::web::routes())
        .merge(crate::disclosures::advisory_web::routes())
        .merge(live::routes())
        .layer(axum::middleware::from_fn(session::clear_flash))
        .layer(axum::middleware::from_fn(layout::remember_path))
}

async fn stylesheet(headers: HeaderMap) -> Response {
    static_file(
        &headers,
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

/// The project's own small script: progressive enhancement only (every
/// page works without it). No framework, nothing vendored or minified.
async fn script(headers: HeaderMap) -> Response {
    static_file(
        &headers,
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

/// A static file, revalidated on every use (`no-cache` with an `ETag` of
/// its content): after an upgrade a browser never keeps the old script or
/// stylesheet, and otherwise gets a bodiless 304.
fn static_file(headers: &HeaderMap, content_type: &'static str, body: &'static str) -> Response {
    // FNV-1a: stable, and enough to tell two versions of a file apart.
    let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let etag = format!("\"{hash:016x}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// A page response with the security headers every page carries.
pub fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => with_headers(Html(html).into_response()),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

/// [`page`] answered with another status than 200.
pub fn page_with_status(status: StatusCode, t: &impl Template) -> Response {
    let mut res = page(t);
    *res.status_mut() = status;
    res
}

/// Adds the headers every web response carries.
pub fn with_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Where to go after a form: back to `to`, with the outcome in the flash
/// cookie.
pub fn back(to: &str, outcome: Result<String, ApiError>) -> Response {
    let flash = match outcome {
        Ok(notice) if notice.is_empty() => None,
        Ok(notice) => Some(('n', notice)),
        Err(ApiError::Internal(e)) => {
            tracing::error!(error = %e, "internal error in a form");
            Some((
                'e',
                "Something went wrong on our side; it has been logged.".to_owned(),
            ))
        }
        Err(e) => {
            let mut msg = e.to_string();
            let p = e.problem();
            if let Some(g) = p.gate {
                msg = format!("{msg} (gate: {g})");
            }
            Some(('e', msg))
        }
    };
    let mut res = Redirect::to(to).into_response();
    if let Some((kind, text)) = flash {
        session::set_flash(&mut res, kind, &text);
    }
    res
}

/// Back to the incident's page with the outcome.
pub fn back_to_incident(id: i64, outcome: Result<String, ApiError>) -> Response {
    back(&format!("/incidents/{id}"), outcome)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: String,
}

/// The page a browser gets for an address no route answers (the API and
/// other clients get a problem body): a 404 in the site's frame, without
/// the navigation of a session.
pub fn not_found_page(path: &str) -> Response {
    let layout = Layout::anonymous(Flash::error(Some(format!("Nothing lives at {path}."))));
    page_with_status(
        StatusCode::NOT_FOUND,
        &ErrorPage {
            layout,
            title: "Not found".to_owned(),
        },
    )
}

/// The error page for a signed-in user, answered with the error's status.
pub fn error_page(user: &SessionInfo, e: ApiError) -> Response {
    let (status, title) = e.status();
    let detail = match &e {
        ApiError::Internal(_) => None,
        e => Some(e.to_string()),
    };
    let layout = Layout::signed_in(user, Flash::error(detail));
    page_with_status(
        status,
        &ErrorPage {
            layout,
            title: title.to_owned(),
        },
    )
}

/// Form-encodes `s` for a URL or cookie.
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The trimmed text, or `None` when it is empty.
pub fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Parses a form field into an enum, refusing with the field named.
pub fn parse_field<T>(field: &str, value: &str) -> Result<T, ApiError>
where
    T: std::str::FromStr<Err = firebreak_core::ParseEnumError>,
{
    value
        .parse()
        .map_err(|e: firebreak_core::ParseEnumError| ApiError::bad(field, e.to_string()))
}

/// A short human age: "3 min", "2 h 5 min", "4 d 1 h".
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests;
