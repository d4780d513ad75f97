//! Issue 12's release side: advisories through the API (drafted, edited,
//! published only once the disclosure is disclosed), the staff's advisory
//! page, the public advisories pages, Atom feed and acknowledgments (only
//! published advisories, only agreed credits: checked with a marker
//! string), and security.txt (every field, `Expires` renewed by the clock).
//!
//! Disclosures are created with the store directly and moved to a state
//! with a plain SQL UPDATE: the staff workflow that moves them (and its
//! API) is another helper's part of issue 12.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use firebreak_api::disclosure::DisclosureChannel;
use firebreak_store::Actor;
use firebreak_store::disclosures::NewDisclosureRecord;
use firebreak_testkit::db::Sql;
use firebreak_testkit::web::WebSession;
use firebreak_testkit::{assert_contains, assert_lacks};

use crate::harness::{Db, ManualClock, TestApp, on_both_databases, spawn, spawn_with};

/// Written into everything that must stay confidential: drafts and
/// disclosures not yet disclosed. It must never reach a public page.
const MARKER: &str = "ZQX-UNPUBLISHED-5150";

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

fn sql(app: &TestApp) -> Sql {
    let url = app.store_url();
    match url.strip_prefix("sqlite:") {
        Some(path) if !path.starts_with("//") => Sql::new(format!("sqlite://{path}")),
        _ => Sql::new(url),
    }
}

/// A disclosure stored as the form would store it.
async fn disclosure(app: &TestApp, title: &str, name: &str, credit: bool) -> i64 {
    let new = NewDisclosureRecord {
        channel: DisclosureChannel::Form,
        title: title.into(),
        description: format!("{title}: the lead paragraph.\n\nSecret details {MARKER}."),
        steps: format!("steps {MARKER}"),
        impact: format!("impact {MARKER}"),
        asset: "shop.example.com 4.2".into(),
        researcher_name: Some(name.into()),
        researcher_email: Some(format!("{}@example.org", name.to_lowercase())),
        credit,
        client_addr: Some("203.0.113.7".into()),
        embargo_until: Utc::now() + Duration::days(90),
        attachments: Vec::new(),
    };
    app.store
        .create_disclosure(&new, &|_, _| None, &Actor::system(), Utc::now())
        .await
        .unwrap()
        .id
}

/// Moves a disclosure to `state` and scores it, behind the API's back.
async fn set_state(app: &TestApp, id: i64, state: &str) {
    sql(app)
        .exec(&format!(
            "UPDATE disclosures SET state = '{state}', severity = 'critical', \
             cvss_vector = '{CRITICAL}', cvss_score_tenths = 98 WHERE id = {id}"
        ))
        .await;
}

on_both_databases!(
    advisories_api_drafts_edits_and_publishes_once_disclosed_sqlite,
    advisories_api_drafts_edits_and_publishes_once_disclosed_postgres,
    |app| advisories_api(app).await
);

async fn advisories_api(app: TestApp) {
    let admin = app.admin_token.clone();
    let sec = app.user("sam", "security").await;
    let id = disclosure(&app, "Stored XSS in reviews", "Rita", true).await;
    set_state(&app, id, "fixed").await;

    let a = app
        .post_expect(
            &sec,
            &format!("/api/v1/disclosures/{id}/advisory"),
            json!({}),
            201,
        )
        .await;
    let aid = a["id"].as_i64().unwrap();
    assert_eq!(a["state"], "draft");
    assert_eq!(a["title"], "Stored XSS in reviews");
    assert_eq!(a["summary"], "Stored XSS in reviews: the lead paragraph.");
    assert_eq!(a["affected"], "shop.example.com 4.2");
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["cvss_vector"], CRITICAL);
    assert_eq!(a["cvss_score"], json!(9.8));
    assert_eq!(a["credit"], "Rita");
    assert_eq!(a["fix"], "");
    let slug = a["slug"].as_str().unwrap().to_owned();
    assert!(slug.starts_with("vuln-"), "{slug}");

    // One advisory per disclosure.
    let p = app
        .post_expect(
            &admin,
            &format!("/api/v1/disclosures/{id}/advisory"),
            json!({}),
            409,
        )
        .await;
    assert_contains(p["detail"].as_str().unwrap(), "already has advisory");
    app.post_expect(&admin, "/api/v1/disclosures/99999/advisory", json!({}), 404)
        .await;
    let got = app
        .get_expect(&admin, &format!("/api/v1/disclosures/{id}/advisory"), 200)
        .await;
    assert_eq!(got["id"], aid);

    // Edits: the fields given; bad ones named.
    let e = app
        .patch_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}"),
            json!({"fix": "Upgrade to 4.3", "credit": "Rita R."}),
            200,
        )
        .await;
    assert_eq!(e["fix"], "Upgrade to 4.3");
    assert_eq!(e["credit"], "Rita R.");
    assert_eq!(e["title"], "Stored XSS in reviews");
    let p = app
        .patch_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}"),
            json!({"title": " "}),
            422,
        )
        .await;
    assert_eq!(p["field"], "title");
    let p = app
        .patch_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}"),
            json!({"affected": "x".repeat(301)}),
            422,
        )
        .await;
    assert_eq!(p["field"], "affected");
    let p = app
        .patch_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}"),
            json!({"severity": "low"}),
            400,
        )
        .await;
    assert_contains(p["detail"].as_str().unwrap(), "severity");

    // Not disclosed yet: publishing is refused, naming the state.
    let p = app
        .post_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}/publish"),
            json!({}),
            409,
        )
        .await;
    assert_contains(p["detail"].as_str().unwrap(), "`fixed`");
    assert_contains(p["detail"].as_str().unwrap(), "`disclosed`");
    assert_eq!(
        app.get_anonymous(&format!("/security/advisories/{slug}"))
            .await
            .status(),
        404
    );

    set_state(&app, id, "disclosed").await;
    let p = app
        .post_expect(
            &sec,
            &format!("/api/v1/advisories/{aid}/publish"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(p["state"], "published");
    assert!(p["published_at"].is_string());
    app.post_expect(
        &sec,
        &format!("/api/v1/advisories/{aid}/publish"),
        json!({}),
        409,
    )
    .await;
    let all = app.get_list(&admin, "/api/v1/advisories").await;
    assert_eq!(all.len(), 1);
    let res = app
        .get_anonymous(&format!("/security/advisories/{slug}"))
        .await;
    assert_eq!(res.status(), 200);
    assert_contains(res.text().await.unwrap(), "Upgrade to 4.3");

    // The timeline and the audit log have each step.
    let kinds: Vec<String> = app
        .store
        .disclosure_events(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "disclosure.advisory")
        .map(|e| e.detail["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["draft", "edit", "publish"]);
}

/// Roles other than security and admin learn nothing: every advisory URL
/// answers like a missing one, the list is forbidden.
#[tokio::test]
async fn other_roles_get_404_on_advisories_like_a_missing_one() {
    let app = spawn().await;
    let id = disclosure(&app, &format!("Draft {MARKER}"), "Rita", true).await;
    let a = app
        .post_expect(
            &app.admin_token,
            &format!("/api/v1/disclosures/{id}/advisory"),
            json!({}),
            201,
        )
        .await;
    let aid = a["id"].as_i64().unwrap();
    for role in ["viewer", "responder", "support", "lead", "leadership"] {
        let t = app.user(&format!("{role}-user"), role).await;
        let missing = app
            .get_expect(&t, "/api/v1/disclosures/99999/advisory", 404)
            .await;
        for (status, body) in [
            app.get(&t, &format!("/api/v1/disclosures/{id}/advisory"))
                .await,
            app.post(&t, &format!("/api/v1/disclosures/{id}/advisory"), json!({}))
                .await,
            app.patch(
                &t,
                &format!("/api/v1/advisories/{aid}"),
                json!({"fix": "x"}),
            )
            .await,
            app.post(&t, &format!("/api/v1/advisories/{aid}/publish"), json!({}))
                .await,
        ] {
            assert_eq!(status, 404, "{role}: {body}");
            assert_eq!(body["title"], missing["title"], "{role}");
            assert_lacks(body.to_string(), MARKER);
        }
        let (status, body) = app.get(&t, "/api/v1/advisories").await;
        assert_eq!(status, 403, "{role}: {body}");
        assert_lacks(body.to_string(), MARKER);
    }
    // Nothing changed.
    let still = app.store.advisory(aid).await.unwrap().unwrap();
    assert_eq!(still.state, "draft");
    assert_eq!(still.fix, "");
}

on_both_databases!(
    public_pages_and_feed_show_only_published_advisories_sqlite,
    public_pages_and_feed_show_only_published_advisories_postgres,
    |app| public_pages(app).await
);

async fn get_text(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.get_anonymous(path).await;
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

async fn public_pages(app: TestApp) {
    let admin = app.admin_token.clone();
    // Empty states first.
    let (s, _, html) = get_text(&app, "/security/advisories").await;
    assert_eq!(s, 200);
    assert_contains(&html, "No advisories have been published yet");
    let (_, _, html) = get_text(&app, "/security/acknowledgments").await;
    assert_contains(&html, "No one is credited yet");
    let (s, ct, atom) = get_text(&app, "/security/advisories.atom").await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/atom+xml; charset=utf-8");
    let feed = feed_rs::parser::parse(atom.as_bytes()).expect("the empty feed parses");
    assert!(feed.entries.is_empty());

    // Published and credited; its title needs escaping.
    let public = disclosure(&app, "Auth bypass <admin> & more", "Pat", true).await;
    // Published, the researcher did not agree to be credited.
    let shy = disclosure(&app, "Open redirect", "Sandy Shy", false).await;
    // A draft of a disclosed disclosure.
    let draft = disclosure(&app, &format!("Draft {MARKER}"), "Dora Draft", true).await;
    // A disclosure not yet disclosed, with a draft advisory.
    let fixing = disclosure(&app, &format!("Fixing {MARKER}"), "Fiona Fixing", true).await;
    // Disclosed, never drafted.
    let bare = disclosure(&app, &format!("Bare {MARKER}"), "Bart Bare", true).await;
    for id in [public, shy, draft, bare] {
        set_state(&app, id, "disclosed").await;
    }
    set_state(&app, fixing, "fixing").await;
    let mut slugs = Vec::new();
    for id in [public, shy, draft, fixing] {
        let a = app
            .post_expect(
                &admin,
                &format!("/api/v1/disclosures/{id}/advisory"),
                json!({}),
                201,
            )
            .await;
        let aid = a["id"].as_i64().unwrap();
        app.patch_expect(
            &admin,
            &format!("/api/v1/advisories/{aid}"),
            json!({"fix": format!("Upgrade (advisory {aid})")}),
            200,
        )
        .await;
        slugs.push((aid, a["slug"].as_str().unwrap().to_owned()));
    }
    for (aid, _) in &slugs[..2] {
        app.post_expect(
            &admin,
            &format!("/api/v1/advisories/{aid}/publish"),
            json!({}),
            200,
        )
        .await;
    }

    let (_, ct, html) = get_text(&app, "/security/advisories").await;
    assert_eq!(ct, "text/html; charset=utf-8");
    assert_contains(&html, "Auth bypass &#60;admin&#62; &#38; more");
    assert_lacks(&html, "<admin>");
    assert_contains(&html, "Open redirect");
    assert_contains(&html, CRITICAL);
    assert_contains(&html, "9.8");
    assert_contains(&html, "shop.example.com 4.2");
    let newest = html.find("Open redirect").unwrap();
    let older = html.find("Auth bypass").unwrap();
    assert!(newest < older, "newest first");
    let (s, _, one) = get_text(&app, &format!("/security/advisories/{}", slugs[0].1)).await;
    assert_eq!(s, 200);
    assert_contains(&one, "Pat");
    assert_contains(&one, format!("Upgrade (advisory {})", slugs[0].0));
    let (_, _, shy_page) = get_text(&app, &format!("/security/advisories/{}", slugs[1].1)).await;
    assert_lacks(&shy_page, "Sandy");
    for (_, slug) in &slugs[2..] {
        let (s, _, page) = get_text(&app, &format!("/security/advisories/{slug}")).await;
        assert_eq!(s, 404, "{slug}");
        assert_lacks(&page, MARKER);
    }

    let (_, _, acks) = get_text(&app, "/security/acknowledgments").await;
    assert_contains(&acks, "Pat");
    for absent in ["Sandy", "Dora", "Fiona", "Bart"] {
        assert_lacks(&acks, absent);
    }

    let (_, _, atom) = get_text(&app, "/security/advisories.atom").await;
    let feed = feed_rs::parser::parse(atom.as_bytes()).expect("the feed parses");
    assert_eq!(feed.entries.len(), 2);
    let base = &app.url;
    assert_eq!(feed.id, format!("{base}/security/advisories"));
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["Open redirect", "Auth bypass <admin> & more"]);
    assert_eq!(
        feed.entries[1].links[0].href,
        format!("{base}/security/advisories/{}", slugs[0].1)
    );
    assert_eq!(
        feed.entries[1].id,
        format!("{base}/security/advisories/{}", slugs[0].1)
    );
    assert!(feed.entries[1].updated.is_some());

    for path in [
        "/security/advisories",
        "/security/advisories.atom",
        "/security/acknowledgments",
        "/security.txt",
    ] {
        let (_, _, body) = get_text(&app, path).await;
        assert_lacks(&body, MARKER);
        assert_lacks(&body, "Fiona");
    }
}

fn field_values<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    body.split("\r\n")
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

#[tokio::test]
async fn security_txt_has_every_field_and_renews_its_expiry() {
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
    let clock = ManualClock::new(t0);
    let app = spawn_with(
        Db::Sqlite,
        |c| {
            c.disclosure.contact = vec!["mailto:security@example.com".into()];
            c.disclosure.encryption = Some("https://example.com/pgp-key.txt".into());
            c.disclosure.preferred_languages = "en, de".into();
        },
        clock.clone(),
    )
    .await
    .unwrap();
    let base = app.url.clone();
    let (s, ct, body) = get_text(&app, "/.well-known/security.txt").await;
    assert_eq!(s, 200);
    assert_eq!(ct, "text/plain; charset=utf-8");
    let (_, ct2, body2) = get_text(&app, "/security.txt").await;
    assert_eq!(ct2, ct);
    assert_eq!(body2, body, "the same body at both places");

    // RFC 9116: every line ends in CRLF; each field is `Name: value`.
    assert!(body.ends_with("\r\n"));
    for line in body.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(!line.contains('\n'));
        assert!(
            line.starts_with('#') || line.split_once(": ").is_some(),
            "{line}"
        );
    }
    assert_eq!(
        field_values(&body, "Contact"),
        [
            format!("{base}/security").as_str(),
            "mailto:security@example.com"
        ]
    );
    assert_eq!(field_values(&body, "Policy"), [format!("{base}/security")]);
    assert_eq!(
        field_values(&body, "Acknowledgments"),
        [format!("{base}/security/acknowledgments")]
    );
    assert_eq!(field_values(&body, "Preferred-Languages"), ["en, de"]);
    assert_eq!(
        field_values(&body, "Canonical"),
        [format!("{base}/.well-known/security.txt")]
    );
    assert_eq!(
        field_values(&body, "Encryption"),
        ["https://example.com/pgp-key.txt"]
    );
    let expires = |body: &str| -> DateTime<Utc> {
        let v = field_values(body, "Expires");
        assert_eq!(v.len(), 1, "exactly one Expires:\n{body}");
        DateTime::parse_from_rfc3339(v[0]).unwrap().to_utc()
    };
    let e = expires(&body);
    assert!(e > t0 && e <= t0 + Duration::days(365), "{e}");

    // A year later it has renewed itself.
    let later = t0 + Duration::days(366);
    clock.set(later);
    let (_, _, body) = get_text(&app, "/.well-known/security.txt").await;
    let e = expires(&body);
    assert!(e > later && e <= later + Duration::days(365), "{e}");
}

/// The staff's page: draft, edit, the refused publication, publication;
/// the same 404 as a missing page for a viewer.
#[tokio::test]
async fn the_staff_advisory_page_drafts_edits_and_publishes() {
    let app = spawn().await;
    let id = disclosure(&app, "SSRF in webhooks", "Rita", true).await;
    set_state(&app, id, "fixed").await;
    let web = WebSession::admin(&app).await;
    let path = format!("/disclosures/{id}/advisory");
    let (s, html) = web.get(&app, &path).await;
    assert_eq!(s, 200, "{html}");
    assert_contains(&html, "No advisory has been drafted");
    let (s, _, html) = web
        .post_following(&app, &format!("{path}/draft"), &[])
        .await;
    assert_eq!(s, 303);
    assert_contains(&html, "drafted from the disclosure");
    assert_contains(&html, "SSRF in webhooks");
    let a = app.store.advisory_of_disclosure(id).await.unwrap().unwrap();
    let aid = a.id.to_string();
    let (_, _, html) = web
        .post_following(
            &app,
            &format!("{path}/edit"),
            &[
                ("advisory_id", &aid),
                ("title", "SSRF in outgoing webhooks"),
                ("summary", "A webhook URL could reach internal hosts."),
                ("affected", "firebreak < 1.4"),
                ("fix", "Upgrade to 1.4"),
                ("credit", "Rita"),
            ],
        )
        .await;
    assert_contains(&html, "Advisory saved");
    assert_contains(&html, "Upgrade to 1.4");
    assert_contains(&html, "firebreak &#60; 1.4");
    let (_, _, html) = web
        .post_following(&app, &format!("{path}/publish"), &[("advisory_id", &aid)])
        .await;
    assert_contains(&html, "`fixed`");
    assert_eq!(
        app.store.advisory(a.id).await.unwrap().unwrap().state,
        "draft"
    );
    set_state(&app, id, "disclosed").await;
    let (_, _, html) = web
        .post_following(&app, &format!("{path}/publish"), &[("advisory_id", &aid)])
        .await;
    assert_contains(&html, format!("/security/advisories/{}", a.slug));
    let res = app
        .get_anonymous(&format!("/security/advisories/{}", a.slug))
        .await;
    assert_eq!(res.status(), 200);

    // A viewer: the page is missing, as a missing one is.
    app.user("vera", "viewer").await;
    let vera = WebSession::sign_in(&app, "vera", "a long enough password").await;
    let (s, html) = vera.get(&app, &path).await;
    assert_eq!(s, 404);
    assert_lacks(&html, "SSRF");
    let (s2, _) = vera.get(&app, "/disclosures/99999/advisory").await;
    assert_eq!(s2, 404);
    let (s, _, _) = vera
        .post(
            &app,
            &format!("{path}/edit"),
            &[("advisory_id", &aid), ("fix", "x")],
        )
        .await;
    assert_eq!(s, 404);
}
