//! The CSRF check of every web form: a form body is refused with 403
//! unless it carries the session's token (checked before the form itself
//! is read, so a missing token is a 403 too), then read as before.

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use firebreak_store::SessionInfo;

use crate::AppState;

/// A form body of type `T`, read as `T` reads itself ([`WebForm`]) and
/// accepted only with the session's CSRF token. Put it after [`WebUser`]
/// (whose session it checks against) and any `Path`.
///
/// [`WebUser`]: crate::web::WebUser
pub struct CsrfForm<T>(pub T);

/// A form a web handler takes: how its body is read, and the CSRF token it
/// carried.
pub trait WebForm: Sized + Send {
    /// The token the form carried; `None` when there is nothing to check
    /// (the form could not be read, and the handler answers that itself).
    fn csrf(&self) -> Option<&str>;

    /// Reads the body; a refusal is answered as it is.
    fn read(req: Request, state: &AppState) -> impl Future<Output = Result<Self, Response>> + Send;
}

/// Implements [`WebForm`] for form structs with a `csrf` field, read with
/// axum's `Form`.
macro_rules! url_encoded_forms {
    ($($form:ty),* $(,)?) => {$(
        impl $crate::web::csrf::WebForm for $form {
            fn csrf(&self) -> Option<&str> {
                Some(&self.csrf)
            }

            async fn read(
                req: axum::extract::Request,
                state: &$crate::AppState,
            ) -> Result<Self, axum::response::Response> {
                $crate::web::csrf::url_encoded(req, state).await
            }
        }
    )*};
}
pub(crate) use url_encoded_forms;

/// Reads a form body as axum's `Form` does, its rejection answered as is.
pub async fn url_encoded<T: DeserializeOwned + Send>(
    req: Request,
    state: &AppState,
) -> Result<T, Response> {
    Form::<T>::from_request(req, state)
        .await
        .map(|Form(f)| f)
        .map_err(IntoResponse::into_response)
}

impl<T: WebForm> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = match parts.extensions.get::<SessionInfo>() {
            Some(s) => s.clone(),
            None => {
                super::WebUser::from_request_parts(&mut parts, state)
                    .await?
                    .0
            }
        };
        // The token is checked before the form is read, so a body without
        // it (or one that is not this form at all) is refused with 403
        // rather than answered with the form's own parse error.
        let bytes = axum::body::to_bytes(body, state.config.body_limit)
            .await
            .map_err(|_| {
                super::with_headers(
                    (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response(),
                )
            })?;
        let carried = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        if !carried.is_some_and(|t| same_token(&session, &t)) {
            return Err(refused());
        }
        let form = T::read(
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            state,
        )
        .await?;
        match form.csrf() {
            Some(token) if !same_token(&session, token) => Err(refused()),
            _ => Ok(CsrfForm(form)),
        }
    }
}

fn same_token(session: &SessionInfo, token: &str) -> bool {
    bool::from(session.csrf_token.as_bytes().ct_eq(token.as_bytes()))
}

/// The answer to a form whose CSRF token is not the session's.
fn refused() -> Response {
    super::with_headers(
        (
            StatusCode::FORBIDDEN,
            "The form has expired or did not come from this site. Go back, reload and try again.",
        )
            .into_response(),
    )
}

/// A form of nothing but its CSRF token (sign-out, acknowledge).
#[derive(serde::Deserialize)]
pub struct TokenOnly {
    csrf: String,
}

url_encoded_forms!(TokenOnly);
