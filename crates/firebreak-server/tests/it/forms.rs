//! Every form of every page: posted with a forged CSRF token, or none, it
//! is refused with 403 and changes nothing (the audit log, which every write goes
//! into, does not move). The forms are read from the pages themselves, as
//! an admin sees them over the accessibility check's data, so a form added
//! later is covered without a line here; a form without the session's
//! token fails the test unless it is one of the two that need none (the
//! sign-in form and the signed acknowledgment link).

use std::sync::Arc;

use firebreak_server::SystemClock;
use firebreak_testkit::WebhookReceiver;
use firebreak_testkit::web::{first_cookie, no_redirects, page, post_login};
use regex::Regex;

use crate::a11y::{Seeded, pages, seed};
use crate::harness::{Db, TestApp, spawn_with};

/// A form as the page offers it: where it posts and the fields a browser
/// would send (the first named button's value among them).
#[derive(Debug)]
struct Form {
    on_page: String,
    action: String,
    fields: Vec<(String, String)>,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attrs(tag: &str) -> Vec<(String, String)> {
    let re = Regex::new(r#"([a-zA-Z][\w-]*)(?:="([^"]*)")?"#).unwrap();
    re.captures_iter(tag)
        .skip(1) // the tag's name
        .map(|c| {
            (
                c[1].to_ascii_lowercase(),
                c.get(2).map_or(String::new(), |v| unescape(v.as_str())),
            )
        })
        .collect()
}

fn attr<'a>(a: &'a [(String, String)], name: &str) -> Option<&'a str> {
    a.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The POST forms of `html`.
fn forms(on_page: &str, html: &str) -> Vec<Form> {
    let form = Regex::new(r"(?s)<form\b([^>]*)>(.*?)</form>").unwrap();
    let control =
        Regex::new(r"(?s)<(input|button)\b[^>]*>|<select\b([^>]*)>(.*?)</select>|<textarea\b([^>]*)>(.*?)</textarea>")
            .unwrap();
    let option = Regex::new(r"<option\b[^>]*>").unwrap();
    let mut out = Vec::new();
    for f in form.captures_iter(html) {
        let fa = attrs(&format!("<form {}>", &f[1]));
        if !attr(&fa, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")) {
            continue;
        }
        let mut fields = Vec::new();
        let mut button = false;
        for c in control.captures_iter(&f[2]) {
            let whole = &c[0];
            if whole.starts_with("<select") {
                let a = attrs(&format!("<select {}>", &c[2]));
                let Some(name) = attr(&a, "name") else {
                    continue;
                };
                let first = option
                    .find(&c[3])
                    .map(|o| attrs(o.as_str()))
                    .and_then(|o| attr(&o, "value").map(str::to_owned))
                    .unwrap_or_default();
                fields.push((name.to_owned(), first));
            } else if whole.starts_with("<textarea") {
                let a = attrs(&format!("<textarea {}>", &c[4]));
                if let Some(name) = attr(&a, "name") {
                    fields.push((name.to_owned(), unescape(&c[5])));
                }
            } else {
                let a = attrs(whole);
                let Some(name) = attr(&a, "name") else {
                    continue;
                };
                let kind = attr(&a, "type").unwrap_or("text");
                let value = attr(&a, "value").unwrap_or("").to_owned();
                match kind {
                    "checkbox" | "radio" if attr(&a, "checked").is_none() => {}
                    "checkbox" | "radio" => fields.push((
                        name.to_owned(),
                        if value.is_empty() { "on".into() } else { value },
                    )),
                    "submit" if whole.starts_with("<button") || whole.starts_with("<input") => {
                        if !button {
                            button = true;
                            fields.push((name.to_owned(), value));
                        }
                    }
                    _ if whole.starts_with("<button") => {
                        if !button {
                            button = true;
                            fields.push((name.to_owned(), value));
                        }
                    }
                    _ => fields.push((name.to_owned(), value)),
                }
            }
        }
        out.push(Form {
            on_page: on_page.to_owned(),
            action: attr(&fa, "action").unwrap_or(on_page).to_owned(),
            fields,
        });
    }
    out
}

#[test]
fn forms_are_read_as_a_browser_sends_them() {
    let html = r#"<form method="post" action="/x?a=1&amp;b=2"><input type="hidden" name="csrf" value="t">
      <select name="role" id="r"><option value="lead">lead</option><option value="viewer" selected>v</option></select>
      <textarea name="body">a &lt;b&gt;</textarea><input type="checkbox" name="off"><input type="checkbox" name="on" value="y" checked>
      <button type="submit" name="change" value="role">Set</button><button type="submit" name="change" value="disable">D</button></form>
      <form method="get" action="/search"><input name="q"></form>"#;
    let f = forms("/p", html);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].action, "/x?a=1&b=2");
    let got: Vec<(&str, &str)> = f[0]
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("csrf", "t"),
            ("role", "lead"),
            ("body", "a <b>"),
            ("on", "y"),
            ("change", "role")
        ]
    );
}

/// The accessibility check's seeded install, on SQLite with the
/// incident-lead policy and leadership set; the receiver must live as long
/// as the app.
async fn seeded_app() -> (TestApp, Seeded, WebhookReceiver) {
    let hook = WebhookReceiver::start();
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            c.escalation.incident_lead_policy = Some("incident-lead".into());
            c.escalation.leadership = vec!["cto".into()];
        },
        Arc::new(SystemClock),
    )
    .await
    .expect("SQLite is always there");
    let seeded = seed(&app, &hook).await;
    (app, seeded, hook)
}

#[tokio::test]
async fn every_form_on_every_page_refuses_a_forged_token_and_changes_nothing() {
    let (app, seeded, _hook) = seeded_app().await;
    let http = no_redirects();
    let res = post_login(&app, &http, "admin", &app.admin_password, None).await;
    assert_eq!(res.status(), 303);
    let cookie = first_cookie(&res);
    // The newest audit entry: every write adds one.
    let audit_len = || async {
        app.get_list(&app.admin_token, "/api/v1/audit?limit=1")
            .await
            .first()
            .cloned()
    };
    let before = audit_len().await;

    let mut all = Vec::new();
    for p in pages(&seeded) {
        let (_, html) = page(&app, &http, &cookie, &p.path).await;
        all.extend(forms(&p.path, &html));
    }
    let (_, html) = page(&app, &http, "", "/login").await;
    all.extend(forms("/login", &html));
    assert!(all.len() > 40, "only {} forms found", all.len());

    let mut tokenless = Vec::new();
    let mut wrong = Vec::new();
    let mut tried = std::collections::BTreeSet::new();
    for f in &all {
        if !f.fields.iter().any(|(k, _)| k == "csrf") {
            let root = f.action.split('/').nth(1).unwrap_or("").to_owned();
            tokenless.push(root);
            continue;
        }
        let body: Vec<(String, String)> = f
            .fields
            .iter()
            .map(|(k, v)| {
                if k == "csrf" {
                    (k.clone(), "forged".to_owned())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        tried.insert(f.action.split('?').next().unwrap_or("").to_owned());
        let res = http
            .post(format!("{}{}", app.url, f.action))
            .header("cookie", &cookie)
            .form(&body)
            .send()
            .await
            .unwrap();
        if res.status() != 403 {
            wrong.push(format!(
                "{} on {} answered {} ({:?})",
                f.action,
                f.on_page,
                res.status(),
                f.fields
            ));
        }
        // Without any token at all: the same 403, not a parse error.
        let without: Vec<&(String, String)> =
            f.fields.iter().filter(|(k, _)| k != "csrf").collect();
        let res = http
            .post(format!("{}{}", app.url, f.action))
            .header("cookie", &cookie)
            .form(&without)
            .send()
            .await
            .unwrap();
        if res.status() != 403 {
            wrong.push(format!(
                "{} on {} without a token answered {}",
                f.action,
                f.on_page,
                res.status()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "forms that took a forged token:\n{}",
        wrong.join("\n")
    );
    tokenless.sort();
    tokenless.dedup();
    // The public status page's forms have no session to tie a token to:
    // subscribing needs the mailed confirmation, and the confirm and
    // unsubscribe links carry their own HMAC. Nor has the public
    // `/security` report form (rate limited per address, with a honeypot;
    // see docs/disclosure.md).
    assert_eq!(
        tokenless,
        ["ack", "login", "security", "status"],
        "forms without the session's token"
    );
    assert_eq!(
        audit_len().await,
        before,
        "a refused form changed something"
    );
    eprintln!(
        "{} forms, {} distinct actions refused a forged token",
        all.len(),
        tried.len()
    );
}

/// The other half of "the web UI offers nothing the permission table
/// forbids the signed-in role": each role signs in and opens every page of
/// the accessibility check; every same-site link on the pages it may open
/// must not answer 403, and every form it is offered, posted as offered
/// (with its own valid token), must not be refused for its role (no 403, no
/// "role `x` may not …" in the answer or its flash message). The forms'
/// default values are mostly refused as incomplete, which is fine: only a
/// refusal for the role is a failure. Admins may do everything; the other
/// six roles are walked.
#[tokio::test]
async fn each_role_is_offered_only_links_and_forms_it_may_use() {
    let (app, seeded, _hook) = seeded_app().await;
    let http = no_redirects();
    let href = Regex::new(r#"href="(/[^"]*)""#).unwrap();
    let mut wrong = Vec::new();
    let mut walked = 0;
    for role in [
        "viewer",
        "support",
        "leadership",
        "responder",
        "security",
        "lead",
    ] {
        let name = format!("as-{role}");
        app.user(&name, role).await;
        let res = post_login(&app, &http, &name, "a long enough password", None).await;
        assert_eq!(res.status(), 303, "{role} signs in");
        let cookie = first_cookie(&res);
        let refused = format!("role `{role}` may not");
        let mut offered = Vec::new();
        let mut links = std::collections::BTreeSet::new();
        let mut opened = 0;
        for p in pages(&seeded) {
            let (status, html) = page(&app, &http, &cookie, &p.path).await;
            if status == 403 || status == 404 {
                continue;
            }
            opened += 1;
            offered.extend(forms(&p.path, &html));
            for l in href.captures_iter(&html) {
                let l = unescape(&l[1]);
                let l = l.split('#').next().unwrap_or("").to_owned();
                if l.starts_with("//") || l.starts_with("/static/") || l == "/events" {
                    continue;
                }
                links.insert(l);
            }
        }
        assert!(opened > 3, "{role} opened only {opened} pages");
        for l in &links {
            let (status, _) = page(&app, &http, &cookie, l).await;
            if status == 403 {
                wrong.push(format!("{role}: a link to {l} answers 403"));
            }
        }
        for f in &offered {
            if f.action == "/logout" || !f.fields.iter().any(|(k, _)| k == "csrf") {
                continue;
            }
            walked += 1;
            let res = http
                .post(format!("{}{}", app.url, f.action))
                .header("cookie", &cookie)
                .form(&f.fields)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let flash: String = res
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| form_urlencoded::parse(v.as_bytes()))
                .map(|(_, v)| v.into_owned())
                .collect();
            let body = res.text().await.unwrap_or_default();
            if status == 403 || flash.contains(&refused) || body.contains(&refused) {
                wrong.push(format!(
                    "{role}: {} on {} is offered but refused ({status})",
                    f.action, f.on_page
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "offered but forbidden:\n{}",
        wrong.join("\n")
    );
    assert!(walked > 20, "only {walked} forms walked");
    eprintln!("{walked} offered forms posted by six roles, none refused for the role");
}
