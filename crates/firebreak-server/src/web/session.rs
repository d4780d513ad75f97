//! Who is signed in to the browser, and the one-time message a form leaves
//! for the next page.
//!
//! Sessions are cookies holding a random id whose hash is stored; the
//! flash cookie holds the outcome of the last form (`e.<text>` or
//! `n.<text>`, form-encoded) and is cleared by the first page that shows it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use firebreak_store::SessionInfo;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "fb_session";
/// The outcome of the last form: `e.<text>` or `n.<text>`, form-encoded.
const FLASH_COOKIE: &str = "fb_flash";
const CLEAR_FLASH: &str = "fb_flash=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

/// A signed-in browser user; anyone else is sent to the sign-in page.
///
/// The session is also left in the request's extensions, where
/// [`crate::web::CsrfForm`] finds it.
pub struct WebUser(pub SessionInfo);

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(s) = parts.extensions.get::<SessionInfo>() {
            return Ok(WebUser(s.clone()));
        }
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let to_login =
            || Redirect::to(&format!("/login?next={}", super::encode(&next))).into_response();
        let Some(id) = session_cookie(&parts.headers) else {
            return Err(to_login());
        };
        match state.store.session(&id, state.now()).await {
            Ok(Some(s)) => {
                parts.extensions.insert(s.clone());
                Ok(WebUser(s))
            }
            Ok(None) => Err(to_login()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// The session id the browser sent.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// A flash message is shown once: any page (not a redirect) answered to a
/// request that carried one clears it.
pub async fn clear_flash(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let had = cookie_value(req.headers(), FLASH_COOKIE).is_some();
    let mut res = next.run(req).await;
    if had && !res.status().is_redirection() {
        res.headers_mut()
            .append(header::SET_COOKIE, HeaderValue::from_static(CLEAR_FLASH));
    }
    res
}

/// Leaves `text` for the next page: `kind` `e` (an error) or `n` (a notice).
pub fn set_flash(res: &mut Response, kind: char, text: &str) {
    // Cookies hold about 4 KB: long notices are cut.
    let text: String = text.chars().take(1000).collect();
    let cookie = format!(
        "{FLASH_COOKIE}={kind}.{}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60",
        super::encode(&text)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The outcome of the last form, from the flash cookie `back` set. Text in
/// the query string (`?error=…`) is never shown: anyone can write a link.
#[derive(Default)]
pub struct Flash {
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl Flash {
    /// Only an error (or nothing).
    pub fn error(error: Option<String>) -> Flash {
        Flash {
            error,
            notice: None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut f = Flash::default();
        if let Some(v) = cookie_value(&parts.headers, FLASH_COOKIE)
            && let Some((kind, text)) = v.split_once('.')
        {
            let text = percent_decoded(&text.replace('+', " "));
            match kind {
                "e" => f.error = Some(text),
                "n" => f.notice = Some(text),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// `%XX` sequences decoded (others left as they are), as a browser would.
pub fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
