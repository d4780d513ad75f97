//! The HTTP channels on the wire: webhook, Slack, Teams and the templated
//! Http channel, and the one table that says which answers are worth a
//! retry.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};

use crate::notify::outgoing::{OutgoingPolicy, refusal};
use crate::notify::payload::WebhookPayload;
use crate::notify::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use crate::notify::templates::{http_context, render_one};
use crate::notify::{Channel, Delivered, DeliveryError, Message, NotifyError, Rendered};

/// The client for one delivery and, for targets users set, the outgoing
/// policy (whose resolver that client already uses for names; literal
/// addresses are checked here, before the request).
pub(crate) struct Outbound<'a> {
    pub client: &'a reqwest::Client,
    pub policy: Option<&'a OutgoingPolicy>,
}

impl Outbound<'_> {
    fn request(&self, method: Method, url: Url) -> Result<reqwest::RequestBuilder, DeliveryError> {
        if let Some(policy) = self.policy
            && let Err(refused) = policy.check_literal(&url)
        {
            return Err(DeliveryError::permanent(format!("refused: {refused}")));
        }
        Ok(self.client.request(method, url))
    }
}

/// Parses `url` and refuses anything but http and https.
pub(crate) fn check_url(field: &str, url: &str) -> Result<Url, NotifyError> {
    let parsed = Url::parse(url.trim()).map_err(|e| NotifyError::Invalid {
        field: field.to_owned(),
        detail: format!("not a URL: {e}"),
    })?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some() => Ok(parsed),
        "http" | "https" => Err(NotifyError::Invalid {
            field: field.to_owned(),
            detail: "the URL has no host".to_owned(),
        }),
        other => Err(NotifyError::Invalid {
            field: field.to_owned(),
            detail: format!("only http and https URLs are allowed, not {other}:"),
        }),
    }
}

/// A signed JSON POST of [`WebhookPayload`].
pub(crate) async fn webhook(
    client: &Outbound<'_>,
    url: &str,
    secret: Option<&str>,
    msg: &Message,
    now: DateTime<Utc>,
) -> Result<Delivered, DeliveryError> {
    let url = check_url("url", url)?;
    let body = serde_json::to_vec(&WebhookPayload::new(msg))
        .map_err(|e| DeliveryError::permanent(format!("encoding the webhook body: {e}")))?;
    let timestamp = now.timestamp();
    let mut request = client
        .request(Method::POST, url)?
        .header(CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", header_value(&msg.idempotency_key)?)
        .header(TIMESTAMP_HEADER, timestamp.to_string());
    if let Some(secret) = secret {
        request = request.header(
            SIGNATURE_HEADER,
            format!("v1={}", sign(secret, timestamp, &body)),
        );
    }
    finish(request.body(body).send().await, now).await
}

/// A signed JSON POST of a body built by the caller: a customer notice or
/// a status-page update to a webhook (see [`crate::notify::Verbatim`]).
pub(crate) async fn signed_json(
    client: &Outbound<'_>,
    url: &str,
    secret: Option<&str>,
    idempotency_key: &str,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Delivered, DeliveryError> {
    let url = check_url("url", url)?;
    let body = serde_json::to_vec(body)
        .map_err(|e| DeliveryError::permanent(format!("encoding the webhook body: {e}")))?;
    let timestamp = now.timestamp();
    let mut request = client
        .request(Method::POST, url)?
        .header(CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", header_value(idempotency_key)?)
        .header(TIMESTAMP_HEADER, timestamp.to_string());
    if let Some(secret) = secret {
        request = request.header(
            SIGNATURE_HEADER,
            format!("v1={}", sign(secret, timestamp, &body)),
        );
    }
    finish(request.body(body).send().await, now).await
}

/// A JSON POST without signature: Slack and Teams, whose secret is the URL.
pub(crate) async fn post_json(
    client: &Outbound<'_>,
    field: &str,
    url: &str,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Delivered, DeliveryError> {
    let url = check_url(field, url)?;
    let body = serde_json::to_vec(body)
        .map_err(|e| DeliveryError::permanent(format!("encoding the body: {e}")))?;
    let request = client
        .request(Method::POST, url)?
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    finish(request.send().await, now).await
}

/// An Http channel's request with its templates rendered.
#[derive(Debug)]
pub(crate) struct HttpRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: String,
}

/// Renders an Http channel's method, URL, headers and body for `msg`.
pub(crate) fn render_http(
    channel: &Channel,
    msg: &Message,
    rendered: &Rendered,
) -> Result<HttpRequest, NotifyError> {
    let Channel::Http {
        method,
        url,
        headers,
        body,
        content_type,
        secret,
        ..
    } = channel
    else {
        return Err(NotifyError::Invalid {
            field: "kind".to_owned(),
            detail: "not an http channel".to_owned(),
        });
    };
    let ctx = http_context(msg, rendered, secret.as_deref());
    let method_text = render_one("method", method, &ctx)?;
    let method =
        Method::from_bytes(method_text.trim().to_ascii_uppercase().as_bytes()).map_err(|_| {
            NotifyError::Invalid {
                field: "method".to_owned(),
                detail: format!("not an HTTP method: {method_text:?}"),
            }
        })?;
    let url = check_url("url", &render_one("url", url, &ctx)?)?;
    let mut header_map = HeaderMap::new();
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let header_name =
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| NotifyError::Invalid {
                field: field.clone(),
                detail: "not a valid header name".to_owned(),
            })?;
        let value = render_one(&field, value, &ctx)?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| NotifyError::Invalid {
            field,
            detail: "the value has characters a header cannot carry (a line break?)".to_owned(),
        })?;
        header_map.append(header_name, value);
    }
    if let Some(content_type) = content_type {
        let value =
            HeaderValue::from_str(content_type.trim()).map_err(|_| NotifyError::Invalid {
                field: "content_type".to_owned(),
                detail: "not a valid header value".to_owned(),
            })?;
        header_map.insert(CONTENT_TYPE, value);
    }
    let body = render_one("body", body, &ctx)?;
    Ok(HttpRequest {
        method,
        url,
        headers: header_map,
        body,
    })
}

/// Sends an Http channel's request, rendered by [`render_http`].
pub(crate) async fn http(
    client: &Outbound<'_>,
    request: HttpRequest,
    basic_auth: Option<&(String, String)>,
    now: DateTime<Utc>,
) -> Result<Delivered, DeliveryError> {
    let HttpRequest {
        method,
        url,
        headers,
        body,
    } = request;
    let mut request = client.request(method, url)?.headers(headers);
    if let Some((user, password)) = basic_auth {
        request = request.basic_auth(user, Some(password));
    }
    if !body.is_empty() {
        request = request.body(body);
    }
    finish(request.send().await, now).await
}

fn header_value(s: &str) -> Result<HeaderValue, DeliveryError> {
    HeaderValue::from_str(s)
        .map_err(|_| DeliveryError::permanent("the idempotency key cannot be sent in a header"))
}

/// Turns an answer (or its absence) into the outcome. The answer's body
/// and headers are never part of the error: a target a user chose must not
/// be readable through `last_error` (only the status and a fixed reason).
async fn finish(
    sent: Result<reqwest::Response, reqwest::Error>,
    now: DateTime<Utc>,
) -> Result<Delivered, DeliveryError> {
    let response = sent.map_err(transport_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(Delivered {
            detail: format!("HTTP {status}"),
        });
    }
    let retry_after = retry_after(response.headers(), now);
    let mut message = format!("HTTP {status}");
    if status.is_redirection() {
        message.push_str(" (a redirect, which is not followed; configure the final URL)");
    }
    Err(DeliveryError {
        retryable: is_retryable(status),
        message,
        retry_after: retry_after.filter(|_| {
            matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
        }),
    })
}

/// The retry table: server trouble and "slow down" are worth waiting for;
/// a refusal of the request itself is not.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || matches!(
            status,
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_EARLY | StatusCode::TOO_MANY_REQUESTS
        )
}

/// A request that got no answer: timeouts and connection failures are
/// retryable, a request that could not even be built is not. The URL is
/// left out, since it may be a credential.
fn transport_error(e: reqwest::Error) -> DeliveryError {
    if let Some(refused) = refusal(&e) {
        return DeliveryError::permanent(format!("refused: {refused}"));
    }
    let retryable = !e.is_builder();
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_builder() {
        "could not build the request"
    } else {
        "request failed"
    };
    // `reqwest::Error`'s own Display is terse; its sources say why.
    let e = e.without_url();
    let message = chain(format!("{what}: {e}"), &e);
    DeliveryError {
        retryable,
        message,
        retry_after: None,
    }
}

fn chain(mut message: String, e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use expect_test::expect;

    use super::*;
    use crate::notify::Templates;
    use crate::notify::templates::sample_message;

    #[test]
    fn retry_table() {
        let table: Vec<String> = [
            200u16, 301, 400, 401, 403, 404, 408, 410, 413, 425, 429, 500, 502, 503, 504,
        ]
        .into_iter()
        .map(|s| {
            let code = StatusCode::from_u16(s).unwrap();
            format!(
                "{s} {}",
                if is_retryable(code) {
                    "retry"
                } else {
                    "give up"
                }
            )
        })
        .collect();
        expect![[r#"
            200 give up
            301 give up
            400 give up
            401 give up
            403 give up
            404 give up
            408 retry
            410 give up
            413 give up
            425 retry
            429 retry
            500 retry
            502 retry
            503 retry
            504 retry"#]]
        .assert_eq(&table.join("\n"));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(check_url("url", "https://x.example/a?b=c").is_ok());
        assert!(check_url("url", "http://127.0.0.1:8080/").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://x.example/",
            "x.example/hook",
            "javascript:alert(1)",
            "http://",
        ] {
            assert!(check_url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = sample_message().created_at;
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sat, 01 Mar 2025 12:02:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn http_channel_renders_twilio_form() {
        let channel = Channel::Http {
            method: "post".into(),
            url: "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json".into(),
            headers: BTreeMap::from([("Idempotency-Key".into(), "{{ idempotency_key }}".into())]),
            body: "To={{ '+15551230000'|urlencode }}&From={{ '+15557654321'|urlencode }}\
                   &Body={{ subject|urlencode }}"
                .into(),
            content_type: Some("application/x-www-form-urlencoded".into()),
            basic_auth: Some(("AC123".into(), "token".into())),
            secret: None,
        };
        let msg = sample_message();
        let rendered = Templates::default().render(&msg).unwrap();
        let r = render_http(&channel, &msg, &rendered).unwrap();
        expect![[r#"
            POST https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json
            {"idempotency-key": "sample-0001", "content-type": "application/x-www-form-urlencoded"}
            To=%2B15551230000&From=%2B15557654321&Body=%5BFirebreak%5D+Paged%3A+INC-42+Checkout+unavailable+%28Critical%29"#]].assert_eq(&format!(
            "{} {}\n{:?}\n{}",
            r.method, r.url, r.headers, r.body
        ));
    }

    #[test]
    fn the_documented_examples_render() {
        let msg = sample_message();
        let rendered = Templates::default().render(&msg).unwrap();
        let channel: Channel = serde_json::from_value(serde_json::json!({
            "kind": "http",
            "method": "POST",
            "url": "https://gateway.example.net/send?key={{ secret|urlencode }}&to=%2B15551230000&msg={{ subject|urlencode }}",
            "body": "Body={{ (subject ~ ' ' ~ (ack_url or incident_url))|urlencode }}\n{\"urgent\": {{ (event == 'page')|tojson }}}",
            "secret": "k&y",
        }))
        .unwrap();
        let r = render_http(&channel, &msg, &rendered).unwrap();
        expect![[r#"
            https://gateway.example.net/send?key=k%26y&to=%2B15551230000&msg=%5BFirebreak%5D+Paged%3A+INC-42+Checkout+unavailable+%28Critical%29
            Body=%5BFirebreak%5D+Paged%3A+INC-42+Checkout+unavailable+%28Critical%29+https%3A%2F%2Ffirebreak.example%2Fack%2Fsample
            {"urgent": true}"#]].assert_eq(&format!("{}\n{}", r.url, r.body));
    }

    #[test]
    fn http_channel_refuses_bad_parts() {
        let msg = sample_message();
        let rendered = Templates::default().render(&msg).unwrap();
        let base = Channel::Http {
            method: "POST".into(),
            url: "https://sms.example/send".into(),
            headers: BTreeMap::new(),
            body: String::new(),
            content_type: None,
            basic_auth: None,
            secret: None,
        };
        let with = |f: &dyn Fn(&mut Channel)| {
            let mut c = base.clone();
            f(&mut c);
            render_http(&c, &msg, &rendered).unwrap_err().to_string()
        };
        let errors = [
            with(&|c| {
                if let Channel::Http { url, .. } = c {
                    *url = "file:///{{ incident_ref }}".into();
                }
            }),
            with(&|c| {
                if let Channel::Http { method, .. } = c {
                    *method = "PO ST".into();
                }
            }),
            with(&|c| {
                if let Channel::Http { headers, .. } = c {
                    headers.insert("Authorization".into(), "Bearer {{ secret }}".into());
                }
            }),
            with(&|c| {
                if let Channel::Http { headers, .. } = c {
                    headers.insert("X-Text".into(), "{{ text }}".into());
                }
            }),
        ];
        expect![[r#"
            url: only http and https URLs are allowed, not file:
            method: not an HTTP method: "PO ST"
            template headers.Authorization, line 1: undefined value: `secret` is undefined
            headers.X-Text: the value has characters a header cannot carry (a line break?)"#]]
        .assert_eq(&errors.join("\n"));
    }
}
