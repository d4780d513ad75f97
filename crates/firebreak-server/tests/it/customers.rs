//! Customers, contacts, components and whom an incident affects, over the
//! API (both databases) and in the web pages.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_both_databases};

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.send(Method::DELETE, token, path, None).await
}

/// A service `api`, components `Web` and `Mail` of it, customers `Acme`
/// (uses Web) and `Globex` (uses Web and Mail); their ids.
async fn seed(app: &TestApp) -> (i64, i64, i64, i64) {
    let t = &app.admin_token;
    app.post_expect(
        t,
        "/api/v1/services",
        json!({"name": "api", "owner_team": "edge"}),
        201,
    )
    .await;
    let web = app
        .post_expect(
            t,
            "/api/v1/components",
            json!({"name": "Web", "service": "api"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mail = app
        .post_expect(
            t,
            "/api/v1/components",
            json!({"name": "Mail", "service": "api", "public": false, "description": "outbound"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let acme = app
        .post_expect(t, "/api/v1/customers", json!({"name": "Acme"}), 201)
        .await["id"]
        .as_i64()
        .unwrap();
    let globex = app
        .post_expect(
            t,
            "/api/v1/customers",
            json!({"name": "Globex", "description": "big one"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.put_expect(
        t,
        &format!("/api/v1/customers/{acme}/components"),
        json!({"component_ids": [web]}),
        200,
    )
    .await;
    app.put_expect(
        t,
        &format!("/api/v1/customers/{globex}/components"),
        json!({"component_ids": [web, mail]}),
        200,
    )
    .await;
    (web, mail, acme, globex)
}

async fn crud(app: TestApp) {
    let t = app.admin_token.clone();
    let (web, mail, acme, globex) = seed(&app).await;

    let list = app.get_list(&t, "/api/v1/customers").await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "Acme");
    assert_eq!(list[1]["component_ids"], json!([web, mail]));
    assert_eq!(list[1]["has_status_link"], false);

    let c = app
        .patch_expect(
            &t,
            &format!("/api/v1/customers/{acme}"),
            json!({"description": "renamed below"}),
            200,
        )
        .await;
    assert_eq!(c["description"], "renamed below");
    let (s, p) = app
        .patch(
            &t,
            &format!("/api/v1/customers/{acme}"),
            json!({"name": "Globex"}),
        )
        .await;
    assert_eq!(s, 409, "{p}");

    // Contacts: email, and a webhook whose secret is generated and shown once.
    let added = app
        .post_expect(
            &t,
            &format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "ops", "kind": "email", "target": "ops@acme.example"}),
            201,
        )
        .await;
    assert_eq!(added["contact"]["target"], "ops@acme.example");
    assert!(added.get("secret").is_none(), "{added}");
    let hook = app
        .post_expect(
            &t,
            &format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "hook", "kind": "webhook", "target": "https://hooks.acme.example/in"}),
            201,
        )
        .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    let got = app
        .get_expect(&t, &format!("/api/v1/customers/{acme}"), 200)
        .await;
    assert_eq!(got["contacts"].as_array().unwrap().len(), 2);
    assert!(
        !got.to_string().contains(&secret),
        "the secret leaks: {got}"
    );
    let hook_id = hook["contact"]["id"].as_i64().unwrap();
    let (s, _) = delete(
        &app,
        &t,
        &format!("/api/v1/customers/{globex}/contacts/{hook_id}"),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = delete(
        &app,
        &t,
        &format!("/api/v1/customers/{acme}/contacts/{hook_id}"),
    )
    .await;
    assert_eq!(s, 204);

    // A status link, shown once.
    let link = app
        .post_expect(
            &t,
            &format!("/api/v1/customers/{acme}/status-link"),
            json!(null),
            201,
        )
        .await;
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/status/c/", app.url)), "{url}");
    let token = url.rsplit('/').next().unwrap();
    assert_eq!(
        app.store
            .customer_by_status_token(token)
            .await
            .unwrap()
            .unwrap()
            .id,
        acme
    );

    // Components: update, status by PATCH.
    let comp = app
        .patch_expect(
            &t,
            &format!("/api/v1/components/{mail}"),
            json!({"status": "partial_outage", "position": 0}),
            200,
        )
        .await;
    assert_eq!(comp["status"], "partial_outage");
    assert_eq!(comp["service"]["name"], "api");
    let comps = app.get_list(&t, "/api/v1/components").await;
    assert_eq!(comps[0]["name"], "Mail");

    // Whom an incident affects.
    let inc = app
        .post_expect(
            &t,
            "/api/v1/incidents",
            json!({"title": "mail down", "kind": "availability"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let a = app
        .get_expect(&t, &format!("/api/v1/incidents/{inc}/affected"), 200)
        .await;
    assert_eq!(a["mode"], Value::Null);
    let a = app
        .put_expect(
            &t,
            &format!("/api/v1/incidents/INC-{inc}/affected"),
            json!({"mode": "customers", "customer_ids": [globex]}),
            200,
        )
        .await;
    assert_eq!(a["customer_ids"], json!([globex]));
    let a = app
        .put_expect(
            &t,
            &format!("/api/v1/incidents/{inc}/components"),
            json!({"components": [{"component_id": mail, "status": "major_outage"}]}),
            200,
        )
        .await;
    assert_eq!(a["components"][0]["name"], "Mail");
    let a = app
        .put_expect(
            &t,
            &format!("/api/v1/incidents/{inc}/affected"),
            json!({"mode": "components"}),
            200,
        )
        .await;
    assert_eq!(a["customer_ids"], json!([globex]));
    let timeline = app
        .get_list(&t, &format!("/api/v1/incidents/{inc}/timeline"))
        .await;
    assert!(
        timeline.iter().any(|e| e["kind"] == "components.set"
            && e["summary"] == "Affected components set to: Mail (major outage)"),
        "{timeline:?}"
    );

    // A customer an incident names is not deleted; an unnamed one is.
    let (s, _) = delete(&app, &t, &format!("/api/v1/customers/{acme}")).await;
    assert_eq!(s, 204);
    app.put_expect(
        &t,
        &format!("/api/v1/incidents/{inc}/affected"),
        json!({"mode": "customers", "customer_ids": [globex]}),
        200,
    )
    .await;
    let (s, p) = delete(&app, &t, &format!("/api/v1/customers/{globex}")).await;
    assert_eq!(s, 409, "{p}");
    // The refusal names no incident: the caller may not be able to see it.
    let text = p.to_string();
    assert!(text.contains("is named by an incident"), "{text}");
    assert!(!text.contains("INC-"), "{text}");
    let (s, _) = app.get(&t, &format!("/api/v1/customers/{acme}")).await;
    assert_eq!(s, 404);
}

on_both_databases!(
    customers_components_and_affected_crud_sqlite,
    customers_components_and_affected_crud_postgres,
    |app| crud(app).await
);

/// The field a 4xx problem names.
async fn refused(app: &TestApp, method: Method, path: &str, body: Value) -> (u16, String) {
    let (s, p) = app.send(method, &app.admin_token, path, Some(body)).await;
    assert!((400..500).contains(&s), "{s} {p}");
    (s, p["field"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = crate::harness::spawn().await;
    let (web, _mail, acme, _globex) = seed(&app).await;
    let t = app.admin_token.clone();
    let inc = app
        .post_expect(
            &t,
            "/api/v1/incidents",
            json!({"title": "x", "kind": "availability"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let long_url = format!("https://hooks.example/{}", "a".repeat(2_000));
    let long_mail = format!("{}@b.example", "a".repeat(2_000));
    let cases = [
        (
            Method::POST,
            format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "x", "kind": "webhook", "target": long_url}),
            422,
            "target",
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "x", "kind": "email", "target": long_mail}),
            422,
            "target",
        ),
        (
            Method::PATCH,
            format!("/api/v1/components/{web}"),
            json!({"position": 1_000_001}),
            422,
            "position",
        ),
        (
            Method::PATCH,
            format!("/api/v1/components/{web}"),
            json!({"position": -1}),
            422,
            "position",
        ),
        (
            Method::POST,
            "/api/v1/components".to_owned(),
            json!({"name": "Far", "service": "api", "position": 2_000_000}),
            422,
            "position",
        ),
        (
            Method::POST,
            "/api/v1/customers".to_owned(),
            json!({"name": ""}),
            422,
            "name",
        ),
        (
            Method::POST,
            "/api/v1/customers".to_owned(),
            json!({"name": "123"}),
            422,
            "name",
        ),
        (
            Method::POST,
            "/api/v1/customers".to_owned(),
            json!({"name": "a=b"}),
            422,
            "name",
        ),
        (
            Method::POST,
            "/api/v1/customers".to_owned(),
            json!({"name": "x", "nme": 1}),
            400,
            "",
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "x", "kind": "email", "target": "not an address"}),
            422,
            "target",
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "x", "kind": "sms", "target": "+1"}),
            400,
            "",
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{acme}/contacts"),
            json!({"label": "", "kind": "email", "target": "a@b.example"}),
            422,
            "label",
        ),
        (
            Method::PUT,
            format!("/api/v1/customers/{acme}/components"),
            json!({"component_ids": [9999]}),
            422,
            "component_ids",
        ),
        (
            Method::POST,
            "/api/v1/components".to_owned(),
            json!({"name": "New", "service": "nope"}),
            422,
            "service",
        ),
        (
            Method::PATCH,
            format!("/api/v1/components/{web}"),
            json!({"status": "down"}),
            400,
            "",
        ),
        (
            Method::PUT,
            format!("/api/v1/incidents/{inc}/affected"),
            json!({"mode": "all", "customer_ids": [acme]}),
            422,
            "customer_ids",
        ),
        (
            Method::PUT,
            format!("/api/v1/incidents/{inc}/affected"),
            json!({"mode": "customers"}),
            422,
            "customer_ids",
        ),
        (
            Method::PUT,
            format!("/api/v1/incidents/{inc}/affected"),
            json!({"mode": "customers", "customer_ids": [4242]}),
            422,
            "customer_ids",
        ),
        (
            Method::PUT,
            format!("/api/v1/incidents/{inc}/components"),
            json!({"components": [{"component_id": 4242, "status": "major_outage"}]}),
            422,
            "components[0].component_id",
        ),
    ];
    let audit_before = app.store.audit_entries(10_000).await.unwrap().len();
    for (method, path, body, status, field) in cases {
        let (s, f) = refused(&app, method, &path, body.clone()).await;
        assert_eq!(s, status, "{path} {body}");
        if !field.is_empty() {
            assert_eq!(f, field, "{path} {body}");
        }
    }
    assert_eq!(
        app.store.audit_entries(10_000).await.unwrap().len(),
        audit_before,
        "a refusal wrote something"
    );
    assert!(
        app.store
            .incident_affected(inc)
            .await
            .unwrap()
            .mode
            .is_none()
    );
}

#[tokio::test]
async fn a_webhook_contact_to_the_servers_own_network_is_refused() {
    let app = crate::harness::spawn().await;
    let (_, _, acme, _) = seed(&app).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
    ] {
        let (s, p) = app
            .post(
                &app.admin_token,
                &format!("/api/v1/customers/{acme}/contacts"),
                json!({"label": "hook", "kind": "webhook", "target": url}),
            )
            .await;
        assert_eq!(
            (s, p["field"].as_str()),
            (422, Some("target")),
            "{url}: {p}"
        );
    }
    let c = app.store.customer(acme).await.unwrap().unwrap();
    assert!(c.contacts.is_empty());
}

#[tokio::test]
async fn only_managers_manage_customers_and_viewers_do_not_read_them() {
    let app = crate::harness::spawn().await;
    let (web, _, acme, _) = seed(&app).await;
    let responder = app.user("resp", "responder").await;
    let viewer = app.user("view", "viewer").await;
    let lead = app.user("leader", "lead").await;
    for token in [&responder, &viewer] {
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/customers".to_owned(),
                json!({"name": "New"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/customers/{acme}"),
                json!({"description": "x"}),
            ),
            (
                Method::POST,
                format!("/api/v1/customers/{acme}/contacts"),
                json!({"label": "x", "kind": "email", "target": "x@y.example"}),
            ),
            (
                Method::POST,
                format!("/api/v1/customers/{acme}/status-link"),
                json!(null),
            ),
            (
                Method::DELETE,
                format!("/api/v1/customers/{acme}"),
                json!(null),
            ),
            (
                Method::POST,
                "/api/v1/components".to_owned(),
                json!({"name": "C", "service": "api"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/components/{web}"),
                json!({"name": "Webby"}),
            ),
        ] {
            let (s, p) = app.send(method, token, &path, Some(body)).await;
            assert_eq!(s, 403, "{path}: {p}");
        }
    }
    // Reading: responders yes, viewers no; components are for everyone.
    assert_eq!(app.get(&responder, "/api/v1/customers").await.0, 200);
    assert_eq!(app.get(&viewer, "/api/v1/customers").await.0, 403);
    assert_eq!(app.get(&viewer, "/api/v1/components").await.0, 200);
    // A responder records a component's state; a viewer may not.
    app.patch_expect(
        &responder,
        &format!("/api/v1/components/{web}"),
        json!({"status": "degraded_performance"}),
        200,
    )
    .await;
    assert_eq!(
        app.patch(
            &viewer,
            &format!("/api/v1/components/{web}"),
            json!({"status": "operational"})
        )
        .await
        .0,
        403
    );
    app.post_expect(&lead, "/api/v1/customers", json!({"name": "By lead"}), 201)
        .await;
}

#[tokio::test]
async fn a_security_incidents_affected_set_exists_only_for_the_security_team() {
    let app = crate::harness::spawn().await;
    let (web, _, acme, _) = seed(&app).await;
    let security = app.user("sec", "security").await;
    let responder = app.user("resp", "responder").await;
    let inc = app
        .post_expect(
            &security,
            "/api/v1/incidents",
            json!({"title": "breach", "kind": "security"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.put_expect(
        &security,
        &format!("/api/v1/incidents/{inc}/affected"),
        json!({"mode": "customers", "customer_ids": [acme]}),
        200,
    )
    .await;
    let path = format!("/api/v1/incidents/{inc}/affected");
    assert_eq!(app.get(&responder, &path).await.0, 404);
    assert_eq!(
        app.put(&responder, &path, json!({"mode": "all"})).await.0,
        404
    );
    assert_eq!(
        app.put(
            &responder,
            &format!("/api/v1/incidents/{inc}/components"),
            json!({"components": [{"component_id": web, "status": "major_outage"}]})
        )
        .await
        .0,
        404
    );
    let a = app.get_expect(&security, &path, 200).await;
    assert_eq!(a["customer_ids"], json!([acme]));
    // The refused writes changed nothing.
    let web_now = app.store.component(web).await.unwrap().unwrap();
    assert_eq!(web_now.status.as_str(), "operational");
}

/// The accessibility check's customers: components of `checkout`, two
/// customers with contacts, and whom `incident` affects; the first
/// customer's and component's ids.
pub(crate) async fn seed_customers(app: &TestApp, incident: i64) -> (i64, i64) {
    let t = &app.admin_token;
    let mut components = Vec::new();
    for (name, public) in [
        ("Checkout API", true),
        ("Payments dashboard", true),
        ("Internal batch", false),
    ] {
        components.push(
            app.post_expect(
                t,
                "/api/v1/components",
                json!({"name": name, "service": "checkout", "public": public,
                    "description": format!("{name} of the checkout service")}),
                201,
            )
            .await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut customers = Vec::new();
    for name in ["Acme Corporation", "Globex", "Initech"] {
        let id = app
            .post_expect(
                t,
                "/api/v1/customers",
                json!({"name": name, "description": "enterprise plan"}),
                201,
            )
            .await["id"]
            .as_i64()
            .unwrap();
        app.put_expect(
            t,
            &format!("/api/v1/customers/{id}/components"),
            json!({"component_ids": [components[0], components[1]]}),
            200,
        )
        .await;
        customers.push(id);
    }
    app.post_expect(
        t,
        &format!("/api/v1/customers/{}/contacts", customers[0]),
        json!({"label": "ops desk", "kind": "email", "target": "ops@acme.example"}),
        201,
    )
    .await;
    app.post_expect(
        t,
        &format!("/api/v1/customers/{}/contacts", customers[0]),
        json!({"label": "status webhook", "kind": "webhook", "target": "https://hooks.acme.example/firebreak"}),
        201,
    )
    .await;
    app.post_expect(
        t,
        &format!("/api/v1/customers/{}/status-link", customers[0]),
        json!(null),
        201,
    )
    .await;
    app.put_expect(
        t,
        &format!("/api/v1/incidents/{incident}/components"),
        json!({"components": [{"component_id": components[0], "status": "major_outage"}]}),
        200,
    )
    .await;
    app.put_expect(
        t,
        &format!("/api/v1/incidents/{incident}/affected"),
        json!({"mode": "customers", "customer_ids": [customers[0], customers[1]]}),
        200,
    )
    .await;
    (customers[0], components[0])
}

/// In Chromium: an admin adds a customer, a webhook contact (its secret
/// shown once), its components and a private link (shown once), then sets
/// whom an incident affects from the incident page's panel.
#[tokio::test]
async fn customers_and_the_affected_panel_in_the_browser() {
    use crate::web::{browser, chromedriver, click, fill, login, select, submit, text};
    let app = crate::harness::spawn().await;
    let (web, mail, _acme, _globex) = seed(&app).await;
    let inc = app
        .post_expect(
            &app.admin_token,
            "/api/v1/incidents",
            json!({"title": "web down", "kind": "availability"}),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let driver = chromedriver();
    let c = browser(&driver).await;
    login(&c, &app, "admin", &app.admin_password).await;

    c.goto(&format!("{}/admin", app.url)).await.unwrap();
    submit(&c, "a[href='/admin/customers']").await;
    fill(&c, "#customer-name", "Initech").await;
    submit(&c, "#customer-submit").await;
    assert!(text(&c, "h1").await.contains("Initech"));
    let id: i64 = c
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    select(&c, "#contact-kind", "webhook").await;
    fill(&c, "#contact-label", "status hook").await;
    // Long enough to overflow a phone screen unless it wraps.
    fill(
        &c,
        "#contact-target",
        "https://hooks.initech.example/in/a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9",
    )
    .await;
    submit(&c, "#contact-submit").await;
    let secret = c
        .find(fantoccini::Locator::Css("#shown-once-value"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(secret.len() >= 32, "{secret}");
    let stored = app.store.customer_contact_channels(&[id]).await.unwrap();
    assert_eq!(stored[0].channel["secret"], secret.as_str());
    // Shown once: the customer's page again does not have it.
    c.goto(&format!("{}/admin/customers/{id}", app.url))
        .await
        .unwrap();
    let html = c.source().await.unwrap();
    assert!(!html.contains(&secret));
    for width in [375, 1440] {
        crate::a11y::screenshot(&c, &format!("customer-contacts-{width}"), width).await;
    }

    // A contact to the server's own network is refused, with the field named.
    fill(&c, "#contact-label", "local").await;
    fill(&c, "#contact-target", "http://127.0.0.1:9/in").await;
    select(&c, "#contact-kind", "webhook").await;
    submit(&c, "#contact-submit").await;
    assert!(
        text(&c, ".error").await.contains("target"),
        "{}",
        text(&c, ".error").await
    );

    click(&c, &format!("#uses-{mail}")).await;
    submit(&c, "#customer-components-submit").await;
    assert_eq!(
        app.store.customer(id).await.unwrap().unwrap().component_ids,
        vec![mail]
    );
    submit(&c, "#status-link-submit").await;
    let link = c
        .find(fantoccini::Locator::Css("#shown-once-value"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(
        app.store
            .customer_by_status_token(token)
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );

    // The incident's panel: components first, then "from components".
    c.goto(&format!("{}/incidents/{inc}", app.url))
        .await
        .unwrap();
    assert_eq!(text(&c, "#affected-summary").await, "Not set yet.");
    // The open panel, photographed at both widths (target/screenshots/).
    for width in [375, 1440] {
        crate::a11y::screenshot(&c, &format!("customers-affected-panel-{width}"), width).await;
    }
    select(&c, &format!("#affected-status-{mail}"), "partial_outage").await;
    submit(&c, "#affected-components-submit").await;
    assert!(
        text(&c, "#affected-components-now")
            .await
            .contains("Mail (partial outage)")
    );
    // Still not set: the form stays open.
    click(&c, "#affected-mode-components").await;
    submit(&c, "#affected-submit").await;
    let summary = text(&c, "#affected-summary").await;
    assert!(
        summary.contains("Globex") && summary.contains("Initech"),
        "{summary}"
    );
    assert!(!summary.contains("Acme"), "{summary}");
    // These customers, picked from the list.
    click(&c, "#affected-edit-open").await;
    click(&c, "#affected-mode-customers").await;
    select(&c, "#affected-customers", &id.to_string()).await;
    submit(&c, "#affected-submit").await;
    assert_eq!(
        text(&c, "#affected-summary").await,
        "These customers: Initech."
    );
    assert!(
        text(&c, "#timeline")
            .await
            .contains("Affected customers set to: Initech")
    );
    let _ = web;
    c.close().await.unwrap();
}
