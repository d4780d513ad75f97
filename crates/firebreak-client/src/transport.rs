//! How a request goes out and an answer comes back: route URLs, the bearer
//! token, JSON bodies, and turning a failed answer into an [`Error`] that
//! keeps the server's problem body.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{Client, Error, MAX_QUOTED_BODY, Problem, Result};

/// The segments of the route `/api/v1/<rest>`.
fn v1<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    ["api", "v1"]
        .into_iter()
        .chain(rest.iter().copied())
        .collect()
}

impl Client {
    /// The URL of a route: the base URL with `segments` appended, each
    /// percent-encoded, so an id can never change the route.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Http(format!("`{}` cannot take a path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    pub(crate) fn request(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder> {
        let mut req = self
            .http
            .request(method, self.url(segments)?)
            .header(ACCEPT, "application/json, application/problem+json");
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        Ok(req)
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T> {
        self.execute(self.request(Method::GET, segments)?).await
    }

    /// `GET /api/v1/<rest>`.
    pub(crate) async fn api_get<T: DeserializeOwned>(&self, rest: &[&str]) -> Result<T> {
        self.get(&v1(rest)).await
    }

    /// `GET /api/v1/<rest>?<query>`.
    pub(crate) async fn api_query<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        rest: &[&str],
        query: &Q,
    ) -> Result<T> {
        self.execute(self.request(Method::GET, &v1(rest))?.query(query))
            .await
    }

    /// `<method> /api/v1/<rest>` with `body` as JSON.
    pub(crate) async fn api_send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        rest: &[&str],
        body: &B,
    ) -> Result<T> {
        self.execute(self.with_body(method, rest, body)?).await
    }

    /// `POST /api/v1/<rest>` with `body` as JSON.
    pub(crate) async fn api_post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        rest: &[&str],
        body: &B,
    ) -> Result<T> {
        self.api_send(Method::POST, rest, body).await
    }

    /// `POST /api/v1/<rest>` without a body: an action on what `rest` names.
    pub(crate) async fn api_act<T: DeserializeOwned>(&self, rest: &[&str]) -> Result<T> {
        self.execute(self.request(Method::POST, &v1(rest))?).await
    }

    /// A request to `/api/v1/<rest>` with `body` as JSON.
    pub(crate) fn with_body<B: Serialize + ?Sized>(
        &self,
        method: Method,
        rest: &[&str],
        body: &B,
    ) -> Result<RequestBuilder> {
        let body = encode(body)?;
        Ok(self
            .request(method, &v1(rest))?
            .header(CONTENT_TYPE, "application/json")
            .body(body))
    }

    /// The response of a successful request, else its [`Error`].
    pub(crate) async fn response(&self, req: RequestBuilder) -> Result<Response> {
        let res = req.send().await.map_err(|e| self.transport_error(&e))?;
        if res.status().is_success() {
            return Ok(res);
        }
        Err(api_error(res).await)
    }

    pub(crate) async fn execute<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let res = self.response(req).await?;
        let bytes = res.bytes().await.map_err(|e| self.transport_error(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// For routes that answer `204 No Content`.
    pub(crate) async fn execute_empty(&self, req: RequestBuilder) -> Result<()> {
        self.response(req).await.map(drop)
    }

    pub(crate) fn transport_error(&self, e: &reqwest::Error) -> Error {
        if e.is_connect() {
            Error::Http(format!(
                "cannot reach the Firebreak server at {}: {} (is it running? check --url or FIREBREAK_URL)",
                self.base.as_str().trim_end_matches('/'),
                root_cause(e)
            ))
        } else if e.is_timeout() {
            Error::Http(format!(
                "the Firebreak server at {} did not answer in time",
                self.base.as_str().trim_end_matches('/')
            ))
        } else {
            Error::Http(format!("request to {} failed: {}", self.base, chain(e)))
        }
    }
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::Http(format!("cannot encode the request: {e}")))
}

/// The error of a failed response: its problem body, or one made from the
/// status and the start of whatever body came instead.
async fn api_error(res: Response) -> Error {
    let status = res.status();
    let code = status.as_u16();
    let bytes = res.bytes().await.unwrap_or_default();
    let problem = serde_json::from_slice::<Problem>(&bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        let detail = if text.is_empty() {
            None
        } else {
            let mut quoted: String = text.chars().take(MAX_QUOTED_BODY).collect();
            if quoted.len() < text.len() {
                quoted.push('…');
            }
            Some(quoted)
        };
        Problem {
            type_: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("HTTP error").to_owned(),
            status: code,
            detail,
            field: None,
            gate: None,
        }
    });
    Error::Api {
        status: code,
        problem: Box::new(problem),
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The innermost cause of an error, for "connection refused".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
