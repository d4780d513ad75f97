//! Notification delivery against real receivers on loopback: an SMTP sink
//! (mailin's state machine over a tokio socket), axum receivers that check
//! signatures and record what arrives, and receivers that refuse.

use firebreak_testkit::assert_contains;
use firebreak_testkit::json::{find_with, strs_at};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use chrono::{TimeZone, Utc};
use firebreak_server::notify::{
    Channel, Message, Notifier, SIGNATURE_HEADER, SmtpConfig, SmtpSecurity, TIMESTAMP_HEADER,
    Templates, WebhookPayload, sign, verify,
};
use firebreak_testkit::smtp::{Mails, Rcpt, SmtpSink};
use serde_json::Value;
use tokio::net::TcpListener;

const SECRET: &str = "whsec_test_secret";

fn message() -> Message {
    Message {
        idempotency_key: "outbox-17".into(),
        event: "page".into(),
        incident_ref: "INC-7".into(),
        incident_title: "Checkout returns 502".into(),
        severity: Some("Critical".into()),
        kind: "availability".into(),
        phase: "containment".into(),
        reason: "Rule critical-page: a Critical incident pages its lead.".into(),
        incident_url: "https://firebreak.example/incidents/INC-7".into(),
        ack_url: Some("https://firebreak.example/ack/tok".into()),
        runbook_url: Some("https://wiki.example/runbooks/checkout".into()),
        recipient_name: "Grace Hopper".into(),
        created_at: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
    }
}

fn notifier() -> Notifier {
    Notifier::new(None, Templates::default()).unwrap()
}

// ---------------------------------------------------------------- HTTP side

#[derive(Clone, Debug)]
struct Recorded {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Seen = Arc<Mutex<Vec<Recorded>>>;

/// A receiver on 127.0.0.1:0: `/hook` checks `X-Firebreak-Signature`
/// (401 when it does not verify), `/status/{code}` answers that code,
/// anything else is recorded and answered 201 with a Twilio-like body.
async fn receiver() -> (String, Seen) {
    async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let timestamp: i64 = headers[TIMESTAMP_HEADER].to_str().unwrap().parse().unwrap();
        if let Some(sig) = headers.get(SIGNATURE_HEADER) {
            let ok = verify(
                SECRET,
                timestamp,
                &body,
                sig.to_str().unwrap(),
                Utc::now().timestamp(),
                300,
            );
            if !ok {
                return StatusCode::UNAUTHORIZED;
            }
        }
        seen.lock().unwrap().push(Recorded {
            method: Method::POST,
            path: "/hook".into(),
            headers,
            body,
        });
        StatusCode::NO_CONTENT
    }

    async fn status(Path(code): Path<u16>) -> Response {
        let code = StatusCode::from_u16(code).unwrap();
        let mut response = (code, "nope: refused by the test receiver").into_response();
        if code == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert("Retry-After", "7".parse().unwrap());
        }
        if code.is_redirection() {
            response
                .headers_mut()
                .insert("Location", "https://elsewhere.example/".parse().unwrap());
        }
        response
    }

    async fn record(
        State(seen): State<Seen>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        seen.lock().unwrap().push(Recorded {
            method,
            path: uri.to_string(),
            headers,
            body,
        });
        (StatusCode::CREATED, r#"{"sid":"SM123","status":"queued"}"#)
    }

    let seen = Seen::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/status/{code}", any(status))
        .fallback(record)
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn webhook_is_signed_and_the_receiver_verifies_it() {
    let (base, seen) = receiver().await;
    let notifier = notifier();
    let channel = Channel::Webhook {
        url: format!("{base}/hook"),
        secret: Some(SECRET.into()),
    };
    let now = Utc::now();
    let delivered = notifier.deliver(&channel, &message(), now).await.unwrap();
    assert_eq!(delivered.detail, "HTTP 204 No Content");

    let got = seen.lock().unwrap().pop().unwrap();
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("idempotency-key"), Some("outbox-17"));
    assert!(got.header("user-agent").unwrap().starts_with("firebreak/"));
    let timestamp: i64 = got.header(TIMESTAMP_HEADER).unwrap().parse().unwrap();
    assert_eq!(timestamp, now.timestamp());
    let signature = got.header(SIGNATURE_HEADER).unwrap().to_owned();
    assert_eq!(
        signature,
        format!("v1={}", sign(SECRET, timestamp, &got.body))
    );

    let payload: WebhookPayload = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(payload, WebhookPayload::new(&message()));
    let json = got.json();
    assert_eq!(json["incident"]["ref"], "INC-7");
    assert_eq!(json["incident"]["severity"], "Critical");
    assert_eq!(json["recipient"], "Grace Hopper");
    assert_eq!(json["created_at"], "2025-03-01T12:00:00Z");

    // Tamper with one byte: the signature no longer holds.
    let mut tampered = got.body.to_vec();
    tampered[10] ^= 0x01;
    assert!(verify(
        SECRET, timestamp, &got.body, &signature, timestamp, 300
    ));
    assert!(!verify(
        SECRET, timestamp, &tampered, &signature, timestamp, 300
    ));
    // A replay ten minutes later is refused, however good the signature.
    assert!(!verify(
        SECRET,
        timestamp,
        &got.body,
        &signature,
        timestamp + 600,
        300
    ));
    // A wrong secret is refused.
    assert!(!verify(
        "other", timestamp, &got.body, &signature, timestamp, 300
    ));
}

#[tokio::test]
async fn a_badly_signed_webhook_is_refused_by_the_receiver_and_not_retried() {
    let (base, seen) = receiver().await;
    let channel = Channel::Webhook {
        url: format!("{base}/hook"),
        secret: Some("not-the-receivers-secret".into()),
    };
    let err = notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap_err();
    assert!(!err.retryable, "{err:?}");
    assert!(err.message.starts_with("HTTP 401"), "{}", err.message);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_webhook_without_secret_is_sent_unsigned() {
    let (base, seen) = receiver().await;
    let channel = Channel::Webhook {
        url: format!("{base}/hook"),
        secret: None,
    };
    notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap();
    let got = seen.lock().unwrap().pop().unwrap();
    assert_eq!(got.header(SIGNATURE_HEADER), None);
    assert!(got.header(TIMESTAMP_HEADER).is_some());
}

#[tokio::test]
async fn answers_decide_whether_to_retry() {
    let (base, _seen) = receiver().await;
    let notifier = notifier();
    let mut table = Vec::new();
    for code in [500u16, 502, 503, 400, 404, 410, 429, 302] {
        let channel = Channel::Webhook {
            url: format!("{base}/status/{code}"),
            secret: Some(SECRET.into()),
        };
        let err = notifier
            .deliver(&channel, &message(), Utc::now())
            .await
            .unwrap_err();
        table.push(format!(
            "{code}: retryable={} retry_after={:?} message={}",
            err.retryable, err.retry_after, err.message
        ));
    }
    expect_test::expect![[r#"
        500: retryable=true retry_after=None message=HTTP 500 Internal Server Error
        502: retryable=true retry_after=None message=HTTP 502 Bad Gateway
        503: retryable=true retry_after=None message=HTTP 503 Service Unavailable
        400: retryable=false retry_after=None message=HTTP 400 Bad Request
        404: retryable=false retry_after=None message=HTTP 404 Not Found
        410: retryable=false retry_after=None message=HTTP 410 Gone
        429: retryable=true retry_after=Some(7s) message=HTTP 429 Too Many Requests
        302: retryable=false retry_after=None message=HTTP 302 Found (a redirect, which is not followed; configure the final URL)"#]]
    .assert_eq(&table.join("\n"));
}

#[tokio::test]
async fn an_unreachable_receiver_is_retryable_and_its_url_is_not_in_the_error() {
    let addr = closed_port().await;
    let channel = Channel::Slack {
        webhook_url: format!("http://{addr}/services/T000/B000/secret-token"),
    };
    let err = notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap_err();
    assert!(err.retryable, "{err:?}");
    assert!(
        err.message.starts_with("could not connect"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("secret-token"), "{}", err.message);
}

#[tokio::test]
async fn slack_gets_blocks_with_link_buttons() {
    let (base, seen) = receiver().await;
    let channel = Channel::Slack {
        webhook_url: format!("{base}/services/T000/B000/XXXX"),
    };
    notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap();
    let got = seen.lock().unwrap().pop().unwrap();
    assert_eq!(got.path, "/services/T000/B000/XXXX");
    assert_eq!(got.header("content-type"), Some("application/json"));
    let json = got.json();
    assert_eq!(
        json["text"],
        "[Firebreak] Paged: INC-7 Checkout returns 502 (Critical)"
    );
    let blocks = json["blocks"].as_array().unwrap();
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["header", "section", "section", "actions", "context"]
    );
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(blocks[1]["text"]["type"], "mrkdwn");
    let buttons: Vec<(&str, &str)> = blocks[3]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "button");
            (
                e["text"]["text"].as_str().unwrap(),
                e["url"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        buttons,
        [
            ("Open incident", "https://firebreak.example/incidents/INC-7"),
            ("Acknowledge", "https://firebreak.example/ack/tok"),
            ("Runbook", "https://wiki.example/runbooks/checkout"),
        ]
    );
}

#[tokio::test]
async fn slack_without_ack_url_has_no_ack_button() {
    let (base, seen) = receiver().await;
    let channel = Channel::Slack {
        webhook_url: format!("{base}/slack"),
    };
    let msg = Message {
        ack_url: None,
        runbook_url: None,
        ..message()
    };
    notifier()
        .deliver(&channel, &msg, Utc::now())
        .await
        .unwrap();
    let json = seen.lock().unwrap().pop().unwrap().json();
    let actions = find_with(&json["blocks"], "type", "actions");
    assert_eq!(actions["elements"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn teams_gets_an_adaptive_card() {
    let (base, seen) = receiver().await;
    let channel = Channel::Teams {
        webhook_url: format!("{base}/webhookb2/abc"),
    };
    notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap();
    let json = seen.lock().unwrap().pop().unwrap().json();
    assert_eq!(json["type"], "message");
    let attachment = &json["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(card["body"][0]["type"], "TextBlock");
    assert_eq!(
        card["body"][0]["text"],
        "[Firebreak] Paged: INC-7 Checkout returns 502 (Critical)"
    );
    let facts = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "FactSet")
        .unwrap()["facts"]
        .clone();
    assert!(
        facts
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"title": "Severity", "value": "Critical"}))
    );
    let actions = strs_at(&card["actions"], ["type", "title", "url"]);
    assert_eq!(
        actions,
        [
            [
                "Action.OpenUrl",
                "Open incident",
                "https://firebreak.example/incidents/INC-7"
            ],
            [
                "Action.OpenUrl",
                "Acknowledge",
                "https://firebreak.example/ack/tok"
            ],
            [
                "Action.OpenUrl",
                "Runbook",
                "https://wiki.example/runbooks/checkout"
            ],
        ]
    );
}

#[tokio::test]
async fn http_channel_sends_a_twilio_style_form_with_basic_auth() {
    let (base, seen) = receiver().await;
    // What docs/notifications.md shows, with the receiver's address.
    let channel: Channel = serde_json::from_value(serde_json::json!({
        "kind": "http",
        "method": "POST",
        "url": format!("{base}/2010-04-01/Accounts/AC0123/Messages.json"),
        "content_type": "application/x-www-form-urlencoded",
        "headers": {"I-Twilio-Idempotency-Token": "{{ idempotency_key }}"},
        "body": "To={{ '+15551230000'|urlencode }}&From={{ '+15557654321'|urlencode }}&Body={{ subject|urlencode }}",
        "basic_auth": ["AC0123", "auth-token-xyz"],
    }))
    .unwrap();
    let delivered = notifier()
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap();
    assert_eq!(delivered.detail, "HTTP 201 Created");

    let got = seen.lock().unwrap().pop().unwrap();
    assert_eq!(got.method, Method::POST);
    assert_eq!(got.path, "/2010-04-01/Accounts/AC0123/Messages.json");
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(got.header("i-twilio-idempotency-token"), Some("outbox-17"));
    use base64::Engine;
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC0123:auth-token-xyz")
    );
    assert_eq!(got.header("authorization"), Some(expected_auth.as_str()));
    let form: BTreeMap<String, String> = form_urlencoded::parse(&got.body).into_owned().collect();
    assert_eq!(
        form,
        BTreeMap::from([
            ("To".to_owned(), "+15551230000".to_owned()),
            ("From".to_owned(), "+15557654321".to_owned()),
            (
                "Body".to_owned(),
                "[Firebreak] Paged: INC-7 Checkout returns 502 (Critical)".to_owned()
            ),
        ])
    );
}

#[tokio::test]
async fn http_channel_sends_json_with_a_bearer_secret() {
    let (base, seen) = receiver().await;
    let channel: Channel = serde_json::from_value(serde_json::json!({
        "kind": "http",
        "method": "POST",
        "url": format!("{base}/v1/sms?ref={{{{ incident_ref|urlencode }}}}"),
        "content_type": "application/json",
        "headers": {"Authorization": "Bearer {{ secret }}"},
        "body": r#"{"to": "+15551230000", "text": {{ subject|tojson }}, "priority": {{ (severity == "Critical")|tojson }}}"#,
        "secret": "gw-token-123",
    }))
    .unwrap();
    let msg = Message {
        incident_title: r#"Checkout "502" \ gateway"#.into(),
        ..message()
    };
    notifier()
        .deliver(&channel, &msg, Utc::now())
        .await
        .unwrap();
    let got = seen.lock().unwrap().pop().unwrap();
    assert_eq!(got.path, "/v1/sms?ref=INC-7");
    assert_eq!(got.header("authorization"), Some("Bearer gw-token-123"));
    assert_eq!(
        got.json(),
        serde_json::json!({
            "to": "+15551230000",
            "text": r#"[Firebreak] Paged: INC-7 Checkout "502" \ gateway (Critical)"#,
            "priority": true,
        })
    );
}

#[tokio::test]
async fn http_channel_refuses_urls_that_are_not_http() {
    for url in [
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "127.0.0.1:8080/x",
    ] {
        let channel = Channel::Http {
            method: "GET".into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: String::new(),
            content_type: None,
            basic_auth: None,
            secret: None,
        };
        let err = notifier()
            .deliver(&channel, &message(), Utc::now())
            .await
            .unwrap_err();
        assert!(!err.retryable, "{url}: {err:?}");
        assert!(err.message.starts_with("url: "), "{}", err.message);
    }
}

// ---------------------------------------------------------------- SMTP side

/// An SMTP sink on 127.0.0.1: its port and the messages it keeps.
async fn smtp_sink(rcpt: Rcpt) -> (u16, Mails) {
    let sink = SmtpSink::start(rcpt).await;
    (sink.port, sink.mails)
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: Some("firebreak".into()),
        password: Some(firebreak_server::notify::Secret::new("smtp-pass")),
        from: "Firebreak <firebreak@example.org>".into(),
        timeout_secs: 10,
    }
}

#[tokio::test]
async fn email_reaches_an_smtp_sink_with_subject_body_and_message_id() {
    let (port, mails) = smtp_sink(Rcpt::Accept).await;
    let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
    let channel = Channel::Email {
        to: "Grace Hopper <grace@example.net>".into(),
    };
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 5).unwrap();
    let delivered = notifier.deliver(&channel, &message(), now).await.unwrap();
    assert!(
        delivered.detail.starts_with("SMTP 250"),
        "{}",
        delivered.detail
    );
    // A retry of the same message is recognisable by its Message-ID.
    notifier.deliver(&channel, &message(), now).await.unwrap();

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    let mail = &mails[0];
    assert_eq!(mail.from, "firebreak@example.org");
    assert_eq!(mail.to, ["grace@example.net"]);
    assert_eq!(
        mail.auth,
        Some(("firebreak".to_owned(), "smtp-pass".to_owned()))
    );

    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("[Firebreak] Paged: INC-7 Checkout returns 502 (Critical)")
    );
    assert_eq!(parsed.message_id(), Some("firebreak.outbox-17@example.org"));
    assert_eq!(
        parsed
            .header("X-Firebreak-Incident")
            .and_then(|h| h.as_text()),
        Some("INC-7")
    );
    assert_eq!(parsed.date().unwrap().to_timestamp(), now.timestamp());
    let body = parsed.body_text(0).unwrap();
    assert_contains(&body, "Hello Grace Hopper,");
    assert_contains(
        &body,
        "Rule critical-page: a Critical incident pages its lead.",
    );
    assert_contains(
        &body,
        "Acknowledge:       https://firebreak.example/ack/tok",
    );

    let again = mail_parser::MessageParser::default()
        .parse(&mails[1].data)
        .unwrap();
    assert_eq!(again.message_id(), parsed.message_id());
}

#[tokio::test]
async fn admin_templates_shape_the_email() {
    let (port, mails) = smtp_sink(Rcpt::Accept).await;
    let templates = Templates {
        subject: "{{ severity|upper }} {{ incident_ref }} needs you".into(),
        text: "{{ recipient_name }}: {{ incident_url }}\n".into(),
    };
    let notifier = Notifier::new(Some(smtp_config(port)), templates).unwrap();
    let channel = Channel::Email {
        to: "grace@example.net".into(),
    };
    notifier
        .deliver(&channel, &message(), Utc::now())
        .await
        .unwrap();
    let data = mails.lock().unwrap()[0].data.clone();
    let parsed = mail_parser::MessageParser::default().parse(&data).unwrap();
    assert_eq!(parsed.subject(), Some("CRITICAL INC-7 needs you"));
    assert_eq!(
        parsed.body_text(0).unwrap().trim_end(),
        "Grace Hopper: https://firebreak.example/incidents/INC-7"
    );
}

#[tokio::test]
async fn a_broken_template_is_refused_before_anything_is_sent() {
    let err = Notifier::new(
        None,
        Templates {
            subject: "{{ incident_ref }".into(),
            text: String::new(),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("template subject, line 1"),
        "{err}"
    );
}

#[tokio::test]
async fn smtp_refusals_permanent_are_final_and_transient_are_retryable() {
    let channel = Channel::Email {
        to: "grace@example.net".into(),
    };
    for (code, retryable) in [(550, false), (553, false), (451, true), (452, true)] {
        let (port, mails) = smtp_sink(Rcpt::Refuse(code)).await;
        let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
        let err = notifier
            .deliver(&channel, &message(), Utc::now())
            .await
            .unwrap_err();
        assert_eq!(err.retryable, retryable, "{code}: {err:?}");
        assert!(err.message.contains(&code.to_string()), "{}", err.message);
        assert!(mails.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn smtp_wrong_password_is_final() {
    let (port, _mails) = smtp_sink(Rcpt::Accept).await;
    let config = SmtpConfig {
        password: Some(firebreak_server::notify::Secret::new("wrong")),
        ..smtp_config(port)
    };
    let notifier = Notifier::new(Some(config), Templates::default()).unwrap();
    let err = notifier
        .deliver(
            &Channel::Email {
                to: "grace@example.net".into(),
            },
            &message(),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(!err.retryable, "{err:?}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retryable() {
    let port = closed_port().await.port();
    let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
    let started = std::time::Instant::now();
    let err = notifier
        .deliver(
            &Channel::Email {
                to: "grace@example.net".into(),
            },
            &message(),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(err.retryable, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn email_without_smtp_or_with_a_bad_address_is_final() {
    let err = notifier()
        .deliver(
            &Channel::Email {
                to: "grace@example.net".into(),
            },
            &message(),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(!err.retryable);
    assert!(err.message.contains("no SMTP server"), "{}", err.message);

    let (port, mails) = smtp_sink(Rcpt::Accept).await;
    let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
    let err = notifier
        .deliver(
            &Channel::Email {
                to: "grace at example".into(),
            },
            &message(),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(!err.retryable);
    assert!(err.message.starts_with("to: "), "{}", err.message);
    assert!(mails.lock().unwrap().is_empty());
}
