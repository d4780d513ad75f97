//! The sign-in page, signing in (throttled, audited when it fails) and
//! signing out.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use firebreak_store::secrets;

use super::{self as signin, ClientAddr};
use crate::AppState;
use crate::error::ApiError;
use crate::web::csrf::TokenOnly;
use crate::web::session::{SESSION_COOKIE, percent_decoded, session_cookie};
use crate::web::{
    CsrfForm, Flash, Layout, WebUser, age, back, encode, page, page_with_status, with_headers,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// Refuses a sign-in posted from another site (login CSRF): browsers send
/// `Sec-Fetch-Site`, and `Origin` on POST.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        _ => true,
    }
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
}

async fn login_page(
    f: Flash,
    q: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = q.map(|Query(q)| q.next).unwrap_or_default();
    page(&LoginPage {
        layout: Layout::anonymous(f),
        next: next.unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only same-site paths are followed after sign-in: one leading `/` (not
/// `//` nor `/\`), no backslash, control or white-space character, both as
/// given and after percent-decoding (browsers drop tabs and newlines from
/// URLs, so `/%09/evil.example` would become `//evil.example`).
fn safe_next(next: &str) -> &str {
    fn local(p: &str) -> bool {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    }
    let decoded = percent_decoded(next);
    if local(next) && local(&decoded) {
        next
    } else {
        // The home page: the getting-started checklist on a new install,
        // else the incident list.
        "/"
    }
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return with_headers((StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response());
    }
    let Ok(Form(form)) = form else {
        return back(
            "/login",
            Err(ApiError::bad("username", "fill in user name and password")),
        );
    };
    let fail = || {
        back(
            &format!("/login?next={}", encode(&form.next)),
            Err(ApiError::Invalid {
                detail: "wrong user name or password".into(),
                field: None,
            }),
        )
    };
    let now = state.now();
    // Throttled per address and account; hashing runs on a bounded pool.
    if let Err(wait) = state.signin.check(addr, &form.username, now) {
        let msg = format!(
            "Too many failed sign-ins. Try again in {}.",
            age(wait.as_secs().try_into().unwrap_or(i64::MAX))
        );
        return login_refused(
            StatusCode::TOO_MANY_REQUESTS,
            wait.as_secs(),
            msg,
            &form.next,
        );
    }
    let (user, hash) = match state.store.user_for_login(&form.username).await {
        Ok(Some((user, hash))) => (Some(user), hash),
        _ => (None, None),
    };
    // Without a user or hash this checks a dummy hash, in the same time,
    // so user names cannot be probed.
    let verified = match signin::verify_password(&form.password, hash.as_deref()).await {
        Ok(ok) => ok,
        Err(busy) => {
            return login_refused(
                StatusCode::SERVICE_UNAVAILABLE,
                5,
                busy.to_string(),
                &form.next,
            );
        }
    };
    let user = match user {
        Some(user) if verified && !user.disabled => user,
        user => {
            state.signin.failed(addr, &form.username, now);
            let reason = match &user {
                None => "unknown user",
                Some(u) if u.disabled => "disabled user",
                Some(_) if hash.is_none() => "no password set",
                Some(_) => "wrong password",
            };
            let name: String = form.username.chars().take(64).collect();
            let audited = state
                .store
                .record(
                    &firebreak_store::Actor {
                        user_id: user.as_ref().map(|u| u.id),
                        name: name.clone(),
                    },
                    "session.login_failed",
                    &format!("user:{name}"),
                    serde_json::json!({"reason": reason, "address": addr.map(|a| a.to_string())}),
                    now,
                )
                .await;
            if let Err(e) = audited {
                tracing::error!(error = %e, "cannot audit a failed sign-in");
            }
            return fail();
        }
    };
    state.signin.succeeded(&form.username);
    let session_id = secrets::random_secret();
    let csrf = secrets::random_secret();
    let expires = now + chrono::Duration::hours(state.config.session_hours);
    if let Err(e) = state
        .store
        .create_session(&session_id, &user, &csrf, now, expires)
        .await
    {
        return ApiError::from(e).into_response();
    }
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.config.session_hours * 3600
    );
    let mut res = Redirect::to(safe_next(&form.next)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The sign-in page again with `msg`, answered with `status` (429 or 503)
/// and `Retry-After`.
fn login_refused(status: StatusCode, retry_after_secs: u64, msg: String, next: &str) -> Response {
    let mut res = page_with_status(
        status,
        &LoginPage {
            layout: Layout::anonymous(Flash::error(Some(msg))),
            next: next.to_owned(),
        },
    );
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs.max(1)),
    );
    res
}

async fn logout(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<TokenOnly>,
) -> Response {
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = state.store.end_session(&id, &s.user, state.now()).await
    {
        tracing::error!(error = %e, "cannot end a session");
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("fb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

#[cfg(test)]
mod tests;
