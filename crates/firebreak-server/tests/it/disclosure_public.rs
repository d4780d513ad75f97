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

/// A client whose connections come from `ip` (any 127.0.0.0/8 address is
/// the loopback on Linux): a second client address for the rate limit.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(ip.parse().unwrap()))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn report_form(marker: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text(
            "description",
            format!("{marker} SQL injection in login\nDetails."),
        )
        .text("steps", "POST /login with ' OR 1=1")
        .text("impact", "Account takeover")
        .text("asset", "login.example.org")
        .text("researcher_name", "Rae")
        .text("researcher_email", "rae@example.net")
        .text("credit", "1")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"poc bytes".to_vec())
                .file_name("poc.txt")
                .mime_str("text/plain")
                .unwrap(),
        )
}

/// The form over real HTTP: the record with its file and hash, the
/// receipt in the SMTP sink whose link opens the status page; the
/// honeypot and an over-size file refused naming the field; a wrong
/// token is the same 404 as any other; the researcher's reply reaches the
/// messages and the timeline, and a staff reply shows signed "Security
/// team" while an internal note does not show.
#[tokio::test]
async fn form_receipt_status_page_and_reply() {
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            configure(c);
            c.disclosure.attachment_max_bytes = 1024;
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    let http = client_from("127.0.0.1");
    let res = http
        .post(format!("{}/security", app.url))
        .multipart(report_form("MARK-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let tracking = created["tracking_id"].as_str().unwrap().to_owned();
    let rec = app
        .store
        .disclosure_by_tracking_id(&tracking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.channel, DisclosureChannel::Form);
    assert_eq!(rec.asset, "login.example.org");
    assert_eq!(rec.steps, "POST /login with ' OR 1=1");
    assert_eq!(rec.title, "MARK-1 SQL injection in login");
    assert_eq!(rec.client_addr.as_deref(), Some("127.0.0.1"));
    let files = app.store.disclosure_attachments(rec.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename.as_deref(), Some("poc.txt"));
    assert_eq!(
        files[0].sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"poc bytes"))
    );

    workers.run_once(Utc::now()).await.unwrap();
    let (subject, text) = mail_to(&sink, "rae@example.net").expect("the receipt");
    assert!(subject.contains(&format!("[{tracking}]")), "{subject}");
    let link = link_in(&text, "/security/status/");
    let page = http
        .get(&link)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let body = page.text().await.unwrap();
    assert!(body.contains(&tracking), "{body}");
    assert!(body.contains("Received"), "{body}");
    assert!(body.contains("poc.txt"), "{body}");
    // The researcher sees what they reported.
    assert!(body.contains("id=\"report\""), "{body}");
    assert!(
        body.contains("POST /login with &#x27; OR 1=1")
            || body.contains("POST /login with &#39; OR 1=1"),
        "{body}"
    );
    assert!(body.contains("Account takeover"), "{body}");

    // The file downloads as octet-stream, never rendered.
    let file = http
        .get(format!("{link}/files/{}", files[0].id))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.headers()["content-type"], "application/octet-stream");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(
        file.headers()["content-disposition"],
        "attachment; filename=\"poc.txt\""
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"poc bytes");

    // Wrong tokens: one 404, the same bytes as any other unknown token.
    let token = link.rsplit('/').next().unwrap();
    let mut wrong = token.to_owned();
    let last = if wrong.ends_with('A') { "B" } else { "A" };
    wrong.replace_range(wrong.len() - 1.., last);
    let mut bodies = Vec::new();
    for t in [
        wrong.as_str(),
        "nope",
        "0000000000000000000000000000000000000000",
    ] {
        for accept in ["text/html", "application/json"] {
            let r = http
                .get(format!("{}/security/status/{t}", app.url))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 404);
            assert_eq!(r.headers()["referrer-policy"], "no-referrer");
            bodies.push((accept, r.bytes().await.unwrap()));
        }
        let r = http
            .get(format!(
                "{}/security/status/{t}/files/{}",
                app.url, files[0].id
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
    for (accept, b) in &bodies {
        let first = &bodies.iter().find(|(a, _)| a == accept).unwrap().1;
        assert_eq!(b, first, "every unknown token answers the same");
        assert!(!String::from_utf8_lossy(b).contains("nope"));
    }

    // A staff reply and an internal note (through the store).
    let staff = Actor::user(1, "admin");
    for (body, internal) in [
        ("STAFF-REPLY-7 thanks, confirmed", false),
        ("INTERNAL-NOTE-9", true),
    ] {
        app.store
            .add_disclosure_message(
                rec.id,
                &firebreak_store::disclosures::NewDisclosureMessage {
                    author: firebreak_store::disclosures::STAFF,
                    body: body.into(),
                    internal,
                    email_message_id: None,
                    attachments: Vec::new(),
                },
                None,
                &staff,
                Utc::now(),
            )
            .await
            .unwrap();
    }
    let body = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("STAFF-REPLY-7"), "{body}");
    assert!(body.contains("Security team"), "{body}");
    assert!(!body.contains("INTERNAL-NOTE-9"), "{body}");
    assert!(!body.contains(">admin<"), "no staff name: {body}");

    // A member of the security team (made now, so the only mail they get
    // is the word of the researcher's reply).
    let (st, _) = app
        .post(
            &app.admin_token,
            "/api/v1/users",
            serde_json::json!({"name": "sec", "role": "security", "email": "sec@example.org"}),
        )
        .await;
    assert_eq!(st, 201);

    // The researcher replies with a file.
    let reply = reqwest::multipart::Form::new()
        .text("body", "REPLY-FROM-RAE here is more")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"more".to_vec()).file_name("more.txt"),
        );
    let r = http
        .post(&link)
        .header("accept", "text/html")
        .multipart(reply)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let msgs = app.store.disclosure_messages(rec.id, true).await.unwrap();
    let last = msgs.last().unwrap();
    assert_eq!(last.author, "researcher");
    assert_eq!(last.body, "REPLY-FROM-RAE here is more");
    let events = app.store.disclosure_events(rec.id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "disclosure.message" && e.detail["author"] == "researcher"),
        "{events:?}"
    );
    let body = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("REPLY-FROM-RAE"), "{body}");
    assert!(body.contains("more.txt"), "{body}");
    // The security team is told (without the content).
    workers.run_once(Utc::now()).await.unwrap();
    let (subject, text) = mail_to(&sink, "sec@example.org").expect("the team's word");
    assert!(subject.contains("The researcher replied"), "{subject}");
    assert!(subject.contains(&rec.tracking_id), "{subject}");
    assert!(!text.contains("REPLY-FROM-RAE"), "{text}");
    // An empty reply is refused naming the field.
    let r = http
        .post(&link)
        .multipart(reqwest::multipart::Form::new().text("body", "  "))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["field"], "body");

    // The honeypot: refused, saying why, nothing stored.
    let before = app.store.disclosures(None).await.unwrap().len();
    let r = http
        .post(format!("{}/security", app.url))
        .multipart(report_form("BOT").text("hp_leave_empty", "http://spam.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["field"], "hp_leave_empty");
    // A browser gets the form back with its values and the reason.
    let r = client_from("127.0.0.3")
        .post(format!("{}/security", app.url))
        .header("accept", "text/html")
        .multipart(report_form("KEEP-ME").text("hp_leave_empty", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("KEEP-ME SQL injection"),
        "values kept: {page}"
    );
    assert!(page.contains("was not sent"), "{page}");

    // An over-size file: refused naming the field.
    let big = reqwest::multipart::Form::new()
        .text("description", "big file")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(vec![7u8; 2000]).file_name("big.bin"),
        );
    let r = client_from("127.0.0.3")
        .post(format!("{}/security", app.url))
        .multipart(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["field"], "attachments", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("big.bin"), "{p}");
    assert_eq!(app.store.disclosures(None).await.unwrap().len(), before);
}

/// A flood of form posts from one address gets 429 with a problem body
/// (a browser gets a page saying why) while another address is still
/// served, its form post and its pages.
/// A researcher correcting mistakes is not locked out: refused posts count
/// only against the wider budget of posts, accepted reports against
/// `form_per_hour`.
#[tokio::test]
async fn refused_posts_do_not_use_up_the_report_budget() {
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            configure(c);
            c.disclosure.form_per_hour = 2;
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let me = client_from("127.0.0.7");
    let post = |description: &str| {
        me.post(format!("{}/security", app.url))
            .multipart(reqwest::multipart::Form::new().text("description", description.to_owned()))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(post("").await.unwrap().status().as_u16(), 422);
    }
    assert_eq!(
        post("the real report").await.unwrap().status().as_u16(),
        201
    );
    assert_eq!(post("a second one").await.unwrap().status().as_u16(), 201);
    assert_eq!(post("a third one").await.unwrap().status().as_u16(), 429);
    // The wider budget of posts (30 here) holds too.
    let other = client_from("127.0.0.8");
    let mut last = 0;
    for _ in 0..31 {
        last = other
            .post(format!("{}/security", app.url))
            .multipart(reqwest::multipart::Form::new().text("description", ""))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn a_flood_from_one_address_is_limited_alone() {
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            configure(c);
            c.disclosure.form_per_hour = 3;
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let flooder = client_from("127.0.0.5");
    let other = client_from("127.0.0.6");
    let post = |c: &reqwest::Client, html: bool| {
        let mut r = c
            .post(format!("{}/security", app.url))
            .multipart(reqwest::multipart::Form::new().text("description", "flood"));
        if html {
            r = r.header("accept", "text/html");
        }
        r.send()
    };
    for _ in 0..3 {
        assert_eq!(post(&flooder, false).await.unwrap().status().as_u16(), 201);
    }
    // The flood goes on concurrently while the other address is served.
    let flood = {
        let flooder = flooder.clone();
        let url = format!("{}/security", app.url);
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..40 {
                let r = flooder
                    .post(&url)
                    .multipart(reqwest::multipart::Form::new().text("description", "flood"))
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        })
    };
    let r = post(&flooder, false).await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("retry-after"));
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["status"], 429);
    let r = post(&flooder, true).await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.text().await.unwrap().contains("Too many reports"));

    assert_eq!(post(&other, false).await.unwrap().status().as_u16(), 201);
    let page = other
        .get(format!("{}/security", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let (st, _) = app.get(&app.admin_token, "/api/v1/incidents").await;
    assert_eq!(st, 200);
    let statuses = flood.await.unwrap();
    assert!(statuses.iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(app.store.disclosures(None).await.unwrap().len(), 4);
}

/// A raw mail with a text part and one attachment.
fn raw_mail(
    subject: &str,
    from: &str,
    message_id: &str,
    text: &str,
    file: (&str, &[u8]),
) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(file.1);
    format!(
        "From: Rae Search <{from}>\r\nTo: security@example.org\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--XYZ\r\n\
         Content-Type: text/plain; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--XYZ--\r\n",
        name = file.0,
    )
    .into_bytes()
}

async fn deliver(app: &TestApp, url: &str, raw: Vec<u8>) -> (u16, serde_json::Value) {
    let res = app
        .http
        .post(url)
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    firebreak_testkit::app::decode(res).await
}

/// A disclosure email with an attachment is the same record the form
/// makes (fields and SHA-256), on exactly one report; a reply naming the
/// tracking id from the researcher's address threads in once; the same
/// from another address is a new disclosure, not attached.
#[tokio::test]
async fn email_makes_the_same_record_and_replies_thread_in_sqlite() {
    email_makes_the_same_record_and_replies_thread_in(spawn(Db::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn email_makes_the_same_record_and_replies_thread_in_postgres() {
    if let Some(app) = spawn(Db::Postgres).await {
        email_makes_the_same_record_and_replies_thread_in(app).await;
    }
}

async fn email_makes_the_same_record_and_replies_thread_in(app: TestApp) {
    let b = app
        .post_expect(
            &app.admin_token,
            "/api/v1/intake/integrations",
            serde_json::json!({"name": "security-mailbox", "kind": "email"}),
            201,
        )
        .await;
    let url = b["url"].as_str().unwrap().to_owned();
    let text = "Open redirect on the login page.\r\nIt sends users anywhere.\r\n\r\n\
                Steps to reproduce:\r\nGET /login?next=//evil.example\r\n\r\n\
                Impact:\r\nPhishing\r\n\r\nAffected: login.example.org";
    let file: (&str, &[u8]) = ("poc.txt", b"redirect proof");
    let (st, b) = deliver(
        &app,
        &url,
        raw_mail(
            "Security - Responsible disclosure",
            "rae@example.net",
            "d1@example.net",
            text,
            file,
        ),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["disclosure"], true);
    let report_id = b["report_id"].as_i64().unwrap();
    let by_mail = app
        .store
        .disclosure_of_report(report_id)
        .await
        .unwrap()
        .expect("a disclosure on the mail's report");
    assert_eq!(by_mail.channel, DisclosureChannel::Email);

    // The form with the same fields.
    let form = submit(
        &app.state,
        SubmitInput {
            channel: Some(DisclosureChannel::Form),
            description: "Open redirect on the login page.\nIt sends users anywhere.".into(),
            steps: "GET /login?next=//evil.example".into(),
            impact: "Phishing".into(),
            asset: "login.example.org".into(),
            researcher_email: Some("rae@example.net".into()),
            researcher_name: Some("Rae Search".into()),
            attachments: vec![attachment(Some("poc.txt"), "text/plain", b"redirect proof")],
            ..SubmitInput::default()
        },
        &researcher(),
        Utc::now(),
    )
    .await
    .unwrap();
    let by_form = app.store.disclosure(form.id).await.unwrap().unwrap();
    let fields = |r: &firebreak_store::disclosures::DisclosureRecord| {
        (
            r.title.clone(),
            r.description.clone(),
            r.steps.clone(),
            r.impact.clone(),
            r.asset.clone(),
            r.researcher_name.clone(),
            r.researcher_email.clone(),
            r.state,
        )
    };
    assert_eq!(fields(&by_mail), fields(&by_form));
    let hashes = |files: Vec<firebreak_api::disclosure::DisclosureAttachment>| {
        files
            .into_iter()
            .map(|f| (f.filename, f.sha256, f.size, f.stored))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        hashes(app.store.disclosure_attachments(by_mail.id).await.unwrap()),
        hashes(app.store.disclosure_attachments(by_form.id).await.unwrap())
    );
    // Exactly one report per disclosure.
    let reports: Vec<i64> = app
        .store
        .disclosures(None)
        .await
        .unwrap()
        .iter()
        .map(|d| d.report_id)
        .collect();
    assert_eq!(reports.len(), 2);
    assert_ne!(reports[0], reports[1]);
    let (_, list) = app
        .get(&app.admin_token, "/api/v1/reports?source=disclosure")
        .await;
    let n = list
        .as_array()
        .map(|a| a.iter().filter(|r| r["source"] == "disclosure").count())
        .unwrap_or_else(|| {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["source"] == "disclosure")
                .count()
        });
    assert_eq!(n, 2, "{list}");

    // A reply naming the tracking id from the researcher's address threads
    // in (its file too); a redelivery is stored once.
    let subject = format!("Re: [{}] We received your report", by_mail.tracking_id);
    let reply = raw_mail(
        &subject,
        "RAE@example.net",
        "d2@example.net",
        "MAIL-REPLY-3 more info",
        ("more.txt", b"more"),
    );
    let (st, b) = deliver(&app, &url, reply.clone()).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["threaded"], true);
    assert_eq!(b["report_id"], report_id);
    let (st, b) = deliver(&app, &url, reply).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["duplicate"], true);
    let msgs = app
        .store
        .disclosure_messages(by_mail.id, true)
        .await
        .unwrap();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].author, "researcher");
    assert!(msgs[0].body.contains("MAIL-REPLY-3"));
    let files = app.store.disclosure_attachments(by_mail.id).await.unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.filename.as_deref() == Some("more.txt") && f.message_id == Some(msgs[0].id))
    );
    let events = app.store.disclosure_events(by_mail.id).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "disclosure.message"));

    // The tracking id in lower case (as some clients and people write it)
    // threads in all the same: never an ordinary, visible report.
    let lower = raw_mail(
        &subject.to_lowercase(),
        "rae@example.net",
        "d2-lower@example.net",
        "MAIL-REPLY-LOWER",
        ("lower.txt", b"lower"),
    );
    let (st, b) = deliver(&app, &url, lower).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["threaded"], true, "{b}");
    assert_eq!(b["report_id"], report_id);
    let msgs = app
        .store
        .disclosure_messages(by_mail.id, true)
        .await
        .unwrap();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[1].body.contains("MAIL-REPLY-LOWER"));

    // From another address: not attached; a disclosure of its own.
    let before = app.store.disclosures(None).await.unwrap().len();
    let other = raw_mail(
        &subject,
        "mallory@example.com",
        "d3@example.com",
        "MALLORY-4 hijack",
        ("x.txt", b"x"),
    );
    let (st, b) = deliver(&app, &url, other).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["threaded"], false);
    assert_ne!(b["report_id"], report_id);
    assert_eq!(
        app.store
            .disclosure_messages(by_mail.id, true)
            .await
            .unwrap()
            .len(),
        2
    );
    let all = app.store.disclosures(None).await.unwrap();
    assert_eq!(all.len(), before + 1);
    assert_eq!(
        all[0].researcher_email.as_deref(),
        Some("mallory@example.com")
    );
    assert!(all[0].description.contains("MALLORY-4"));
}

/// Headless Chromium screenshots of `path` at 375 and 1440 px, in
/// `target/screenshots/{name}-{width}.png`.
async fn screenshots(url: &str, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for width in [375, 1440] {
        let out = dir.join(format!("{name}-{width}.png"));
        let profile = tempfile::tempdir().unwrap();
        let st = tokio::process::Command::new("/usr/lib/chromium/chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                &format!("--user-data-dir={}", profile.path().display()),
                &format!("--window-size={width},2000"),
                &format!("--screenshot={}", out.display()),
                url,
            ])
            .output()
            .await
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
}

/// The first acceptance line, in Chromium: the researcher fills the form
/// (with a file), the receipt with the tracking id and link reaches the
/// SMTP sink, the link shows the state; a staff reply appears signed
/// "Security team"; the researcher replies in the browser and the reply
/// is in the staff's view and the timeline. Screenshots of both pages.
#[tokio::test]
async fn in_the_browser_a_researcher_reports_follows_and_replies() {
    use crate::web::{browser, chromedriver, click, fill, submit, text};
    use fantoccini::Locator;
    let app = spawn(Db::Sqlite).await.unwrap();
    let sink = SmtpSink::start(Rcpt::Accept).await;
    let workers = workers(&app, sink.port).await;
    let driver = chromedriver();
    let c = browser(&driver).await;
    screenshots(&format!("{}/security", app.url), "security").await;

    c.goto(&format!("{}/security", app.url)).await.unwrap();
    assert!(text(&c, "#policy").await.contains("Safe harbour"));
    fill(&c, "#title", "CSRF on profile update").await;
    fill(&c, "#description", "The profile form has no CSRF token.").await;
    fill(
        &c,
        "#steps",
        "1. Host a form posting to /profile\n2. Visit it signed in",
    )
    .await;
    fill(&c, "#impact", "Email change, account takeover").await;
    fill(&c, "#asset", "app.example.org").await;
    fill(&c, "#researcher_name", "Rae").await;
    fill(&c, "#researcher_email", "rae@example.net").await;
    click(&c, "input[name=credit]").await;
    let dir = tempfile::tempdir().unwrap();
    let poc = dir.path().join("poc.html");
    std::fs::write(&poc, b"<form action=/profile></form>").unwrap();
    c.find(Locator::Css("#attachments"))
        .await
        .unwrap()
        .send_keys(poc.to_str().unwrap())
        .await
        .unwrap();
    submit(&c, "#submit-report").await;
    let tracking = text(&c, "#tracking-id").await;
    assert!(tracking.starts_with("VULN-"), "{tracking}");
    let shown = text(&c, "#status-link").await;
    assert!(text(&c, "#emailed").await.contains("email"));

    workers.run_once(Utc::now()).await.unwrap();
    let (subject, body) = mail_to(&sink, "rae@example.net").expect("the receipt");
    assert!(subject.contains(&format!("[{tracking}]")), "{subject}");
    let link = link_in(&body, "/security/status/");
    assert_eq!(link, shown);
    c.goto(&link).await.unwrap();
    assert_eq!(text(&c, "#tracking-id").await, tracking);
    assert_eq!(text(&c, "#state").await, "Received");
    assert!(text(&c, "#files").await.contains("poc.html"));

    // A staff reply (through the staff API) appears, signed by the team.
    let rec = app
        .store
        .disclosure_by_tracking_id(&tracking)
        .await
        .unwrap()
        .unwrap();
    assert!(rec.credit);
    assert_eq!(rec.asset, "app.example.org");
    app.post_expect(
        &app.admin_token,
        &format!("/api/v1/disclosures/{tracking}/messages"),
        serde_json::json!({"body": "Thanks, we can reproduce it."}),
        201,
    )
    .await;
    c.goto(&link).await.unwrap();
    let conv = text(&c, "#messages").await;
    assert!(conv.contains("Thanks, we can reproduce it."), "{conv}");
    assert!(conv.contains("Security team"), "{conv}");
    screenshots(&link, "security-status").await;

    // The researcher replies.
    fill(&c, "#body", "Glad to help. BROWSER-REPLY-5").await;
    submit(&c, "#send-reply").await;
    assert!(text(&c, "#messages").await.contains("BROWSER-REPLY-5"));
    let msgs = app.store.disclosure_messages(rec.id, true).await.unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].author, "researcher");
    assert!(msgs[1].body.contains("BROWSER-REPLY-5"));
    let events = app.store.disclosure_events(rec.id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "disclosure.message" && e.detail["author"] == "researcher")
            .count(),
        1
    );
    // The staff's view (API) has it too, on the timeline.
    let detail = app
        .get_expect(
            &app.admin_token,
            &format!("/api/v1/disclosures/{tracking}"),
            200,
        )
        .await;
    assert!(detail.to_string().contains("BROWSER-REPLY-5"), "{detail}");
    c.close().await.unwrap();
}
