//! Responsible disclosure, the researcher's side (issue 12): `submit` (the
//! one way in), the public `/security` form and status link, the abuse
//! limits, and the email path, over real HTTP with the SMTP sink.

use std::sync::Arc;

use chrono::Utc;

use firebreak_core::disclosure::DisclosureChannel;
use firebreak_server::disclosures::intake::{SubmitInput, attachment, submit};
use firebreak_server::notify::{Notifier, SmtpConfig, SmtpSecurity, Templates};
use firebreak_server::workers::{WorkerConfig, Workers};
use firebreak_server::{ServerConfig, SystemClock};
use firebreak_store::Actor;
use firebreak_testkit::smtp::{Mail, Rcpt, SmtpSink};

use crate::harness::{Db, TestApp, spawn_with};

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: Some("firebreak".into()),
        password: Some(firebreak_server::notify::Secret::new("smtp-pass")),
        from: "Security <security@example.org>".into(),
        timeout_secs: 10,
    }
}

pub(crate) fn configure(c: &mut ServerConfig) {
    c.email_configured = true;
}

pub(crate) async fn spawn(db: Db) -> Option<TestApp> {
    spawn_with(db, configure, Arc::new(SystemClock)).await
}

/// A worker over an SMTP sink for the app.
pub(crate) async fn workers(app: &TestApp, port: u16) -> Workers {
    let notifier = Notifier::new(Some(smtp_config(port)), Templates::default()).unwrap();
    Workers::new(app.state.clone(), notifier, WorkerConfig::default())
        .await
        .unwrap()
}

pub(crate) fn parse(mail: &Mail) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap()
}

/// The link in `text` that contains `path`.
pub(crate) fn link_in(text: &str, path: &str) -> String {
    let at = text
        .find(path)
        .unwrap_or_else(|| panic!("{path} in {text}"));
    let start = text[..at].rfind("http").unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// The mail to `to` in the sink, with its subject and text.
pub(crate) fn mail_to(sink: &SmtpSink, to: &str) -> Option<(String, String)> {
    sink.mails().iter().find_map(|m| {
        m.to.iter().any(|t| t == to).then(|| {
            let p = parse(m);
            (
                p.subject().unwrap_or_default().to_owned(),
                p.body_text(0).unwrap_or_default().into_owned(),
            )
        })
    })
}

fn researcher() -> Actor {
    Actor {
        user_id: None,
        name: "researcher".into(),
    }
}

/// `submit` stores the record with its tracking id and files, queues the
/// receipt (tracking id in brackets, the status link, the promised dates,
/// the embargo) and tells the security team; bad fields are refused by
/// name and store nothing.
#[tokio::test]
async fn submit_stores_and_sends_the_receipt_sqlite() {
    submit_stores_and_sends_the_receipt(spawn(Db::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn submit_stores_and_sends_the_receipt_postgres() {
    if let Some(app) = spawn(Db::Postgres).await {
        submit_stores_and_sends_the_receipt(app).await;
    }
}

async fn submit_stores_and_sends_the_receipt(app: TestApp) {
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    let (st, _) = app
        .post(
            &app.admin_token,
            "/api/v1/users",
            serde_json::json!({"name": "sec", "role": "security", "email": "sec@example.org"}),
        )
        .await;
    assert_eq!(st, 201);
    let now = Utc::now();
    let input = SubmitInput {
        channel: Some(DisclosureChannel::Form),
        title: String::new(),
        description: "Stored XSS in search\nThe q parameter is echoed.".into(),
        steps: "Open /search?q=<script>".into(),
        impact: "Session theft".into(),
        asset: "www.example.org".into(),
        researcher_name: Some("Rae".into()),
        researcher_email: Some("rae@example.net".into()),
        credit: true,
        attachments: vec![attachment(
            Some("poc.html"),
            "text/html",
            b"<script>1</script>",
        )],
        ..SubmitInput::default()
    };
    let s = submit(&app.state, input.clone(), &researcher(), now)
        .await
        .unwrap();
    assert!(s.tracking_id.starts_with("VULN-"), "{}", s.tracking_id);
    assert!(s.receipt_queued);
    let rec = app.store.disclosure(s.id).await.unwrap().unwrap();
    assert_eq!(rec.title, "Stored XSS in search");
    assert_eq!(rec.channel, DisclosureChannel::Form);
    assert_eq!(rec.researcher_email.as_deref(), Some("rae@example.net"));
    assert!(rec.credit);
    assert_eq!(
        rec.embargo_until.timestamp_millis(),
        app.state
            .config
            .disclosure
            .default_embargo(now)
            .timestamp_millis()
    );
    let files = app.store.disclosure_attachments(s.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            b"<script>1</script>"
        )),
        "kept with its SHA-256"
    );
    let token = s.status_url.rsplit('/').next().unwrap();
    let by_token = app.store.disclosure_by_token(token).await.unwrap().unwrap();
    assert_eq!(by_token.id, s.id);

    workers.run_once(Utc::now()).await.unwrap();
    let (subject, text) = mail_to(&sink, "rae@example.net").expect("the receipt");
    assert!(
        subject.contains(&format!("[{}]", s.tracking_id)),
        "{subject}"
    );
    assert!(text.contains(&s.tracking_id), "{text}");
    assert_eq!(link_in(&text, "/security/status/"), s.status_url);
    assert!(text.contains("Acknowledgment: by"), "{text}");
    assert!(text.contains("Public disclosure: by"), "{text}");
    let (team_subject, team_text) = mail_to(&sink, "sec@example.org").expect("the team's notice");
    assert!(team_subject.contains(&s.tracking_id), "{team_subject}");
    assert!(
        !team_text.contains("Stored XSS"),
        "no content by mail: {team_text}"
    );

    // Refusals name the field and store nothing.
    let before = app.store.disclosures(None).await.unwrap().len();
    for (field, input) in [
        (
            "description",
            SubmitInput {
                description: "  ".into(),
                ..input.clone()
            },
        ),
        (
            "researcher_email",
            SubmitInput {
                researcher_email: Some("not-an-address".into()),
                ..input.clone()
            },
        ),
        (
            "title",
            SubmitInput {
                title: "t".repeat(201),
                ..input.clone()
            },
        ),
        (
            "asset",
            SubmitInput {
                asset: "a\nb".into(),
                ..input.clone()
            },
        ),
        (
            "attachments",
            SubmitInput {
                attachments: vec![attachment(
                    Some("big.bin"),
                    "application/octet-stream",
                    &vec![0u8; app.state.config.disclosure.attachment_max_bytes + 1],
                )],
                ..input.clone()
            },
        ),
    ] {
        let e = submit(&app.state, input, &researcher(), now)
            .await
            .unwrap_err();
        assert_eq!(e.problem().field.as_deref(), Some(field), "{e}");
        assert_eq!(e.problem().status, 422);
    }
    assert_eq!(app.store.disclosures(None).await.unwrap().len(), before);
}
