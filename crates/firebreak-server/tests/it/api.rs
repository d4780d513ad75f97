//! The JSON API as its users and their tools call it.

use firebreak_testkit::json::{any_with, find_with, strs_of};
use firebreak_testkit::{assert_contains, assert_lacks};
use serde_json::{Value, json};

use firebreak_core::Role;
use firebreak_core::auth::{Action, PERMISSIONS};

use crate::harness::{TestApp, on_both_databases, spawn};

/// The process end to end over the API: a report becomes a critical
/// security incident that passes every gate to closed.
async fn run_incident_to_closed(app: &TestApp) {
    let admin = app.admin_token.clone();
    let responder = app.user("responder1", "responder").await;
    let support = app.user("support1", "support").await;
    // Owner and lead must be reachable.
    app.reachable("responder1").await;
    app.reachable("admin").await;

    let report = app.post_expect(&support, "/api/v1/reports", json!({"title": "Customer sees another tenant's invoices", "description": "ticket 4411", "source": "support"}), 201).await;
    assert_eq!(report["status"], "untriaged");
    let queue = app.get_expect(&admin, "/api/v1/reports", 200).await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert!(queue[0]["age_seconds"].as_i64().unwrap() >= 0);

    // Critical without the facts to back it needs a reason.
    let rid = report["id"].as_i64().unwrap();
    let p = app
        .post_expect(
            &admin,
            &format!("/api/v1/reports/{rid}/declare"),
            json!({"kind": "security", "severity": "critical"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "severity_reason");

    let inc = app.post_expect(&admin,
            &format!("/api/v1/reports/{rid}/declare"),
            json!({"kind": "security", "severity": "critical", "facts": {"customer_data_accessed": true}, "owner": "responder1", "lead": "admin"}), 201).await;
    assert_eq!(inc["reference"], format!("INC-{}", inc["id"]));
    assert_eq!(inc["suggested_severity"], "critical");
    assert_eq!(inc["severity_rule"], "customer_data_accessed");
    let id = inc["reference"].as_str().unwrap().to_owned();
    let (_, r) = app.get(&admin, &format!("/api/v1/reports/{rid}")).await;
    assert_eq!(r["status"], "declared");
    assert_eq!(r["incident_ref"], id.as_str());

    // Leaving containment with open gates is refused, naming the gate.
    app.post_expect(
        &responder,
        &format!("/api/v1/incidents/{id}/transition"),
        json!({"to": "containment"}),
        200,
    )
    .await;
    let p = app
        .post_expect(
            &responder,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": "remediation"}),
            409,
        )
        .await;
    assert_eq!(p["gate"], "impact_contained");
    assert!(p["detail"].as_str().unwrap().contains("impact_contained"));

    // Evidence cannot be waived on a security incident.
    let (s, p) = app
        .post(
            &responder,
            &format!("/api/v1/incidents/{id}/checklist/evidence_preserved"),
            json!({"status": "waived", "reason": "no time"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");

    let steps: &[(&str, &[(&str, Value)])] = &[
        (
            "remediation",
            &[
                (
                    "impact_contained",
                    json!({"status": "done", "note": "sessions revoked, endpoint disabled"}),
                ),
                (
                    "evidence_preserved",
                    json!({"status": "done", "note": "logs snapshotted to evidence bucket"}),
                ),
            ],
        ),
        (
            "recovery",
            &[
                (
                    "fix_deployed",
                    json!({"status": "done", "note": "tenant check added, v2.3.1"}),
                ),
                ("deployment_verified", json!({"status": "done"})),
            ],
        ),
        (
            "post_incident",
            &[
                ("service_restored", json!({"status": "done"})),
                (
                    "data_integrity_confirmed",
                    json!({"status": "done", "note": "no writes crossed tenants"}),
                ),
                (
                    "access_confirmed",
                    json!({"status": "waived", "reason": "no access change was needed"}),
                ),
            ],
        ),
        (
            "closed",
            &[
                (
                    "postmortem_done",
                    json!({"status": "done", "note": "PM-12"}),
                ),
                (
                    "follow_ups_tracked",
                    json!({"status": "done", "note": "JIRA SEC-1..4"}),
                ),
            ],
        ),
    ];
    // The affected tenant is told, in wording the sender approved (a
    // security incident): that is what `customer_communication_sent` now
    // follows (issue 11), so it is not ticked by hand.
    let actor = firebreak_store::Actor::local("test");
    let tenant = app
        .store
        .create_customer("tenant-4411", "the tenant", &actor, chrono::Utc::now())
        .await
        .unwrap();
    app.store
        .add_customer_contact(
            tenant.id,
            "security contact",
            json!({"kind": "webhook", "url": "https://tenant.example/hook"}),
            &actor,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    app.store
        .set_incident_affected(
            inc["id"].as_i64().unwrap(),
            firebreak_api::comms::AffectedMode::Customers,
            &[tenant.id],
            &actor,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let notice = app
        .post_expect(
            &admin,
            &format!("/api/v1/incidents/{id}/notices"),
            json!({"kind": "customer_notice", "title": "Invoice display issue",
                "impact": "Invoices of another account could be seen.", "actions": "The view is fixed."}),
            201,
        )
        .await;
    app.post_expect(
        &admin,
        &format!("/api/v1/incidents/{id}/notices/{}/send", notice["id"]),
        json!({"approved": true}),
        200,
    )
    .await;
    for (to, items) in steps {
        for (item, body) in *items {
            app.post_expect(
                &responder,
                &format!("/api/v1/incidents/{id}/checklist/{item}"),
                body.clone(),
                200,
            )
            .await;
        }
        let b = app
            .post_expect(
                &responder,
                &format!("/api/v1/incidents/{id}/transition"),
                json!({"to": to}),
                200,
            )
            .await;
        assert_eq!(b["phase"], *to);
    }
    let (_, inc) = app.get(&admin, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(inc["open"], false);
    let entered: Vec<&str> = strs_of(&inc["phase_entries"], "phase");
    assert_eq!(
        entered,
        [
            "triage",
            "containment",
            "remediation",
            "recovery",
            "post_incident",
            "closed"
        ]
    );

    let timeline = app
        .get_expect(&admin, &format!("/api/v1/incidents/{id}/timeline"), 200)
        .await;
    let kinds: Vec<&str> = strs_of(&timeline, "kind");
    assert_eq!(
        kinds.iter().filter(|k| **k == "phase_changed").count(),
        5,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "checklist").count(),
        9,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "notice.sent").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds[0], "declared");
    assert!(kinds.contains(&"severity_changed") && kinds.contains(&"assigned"));
    let waiver = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == "Access confirmed: waived")
        .unwrap();
    assert_eq!(waiver["reason"], "no access change was needed");
    assert_eq!(waiver["actor"], "responder1");
    assert!(waiver["at"].as_str().unwrap().ends_with('Z'));

    // A viewer does not see the security incident at all; the owner does.
    let viewer = app.user("viewer1", "viewer").await;
    app.get_expect(&viewer, &format!("/api/v1/incidents/{id}"), 404)
        .await;
    app.get_expect(&viewer, &format!("/api/v1/incidents/{id}/timeline"), 404)
        .await;
    let (_, list) = app.get(&viewer, "/api/v1/incidents").await;
    assert!(list.as_array().unwrap().is_empty());
    app.get_expect(&responder, &format!("/api/v1/incidents/{id}"), 200)
        .await;

    let v = app.get_expect(&admin, "/api/v1/audit/verify", 200).await;
    assert_eq!(v["ok"], true, "{v}");
}

on_both_databases!(
    incident_from_report_to_closed_on_sqlite,
    incident_from_report_to_closed_on_postgres,
    |app| run_incident_to_closed(&app).await
);

#[tokio::test]
async fn a_wrong_or_missing_token_gets_401() {
    let app = spawn().await;
    let p = app
        .get_expect("fbk_not-a-real-token", "/api/v1/incidents", 401)
        .await;
    assert_eq!(p["title"], "Unauthorized");
    let res = app.get_anonymous("/api/v1/incidents").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(res.headers().contains_key("www-authenticate"));
}

async fn counts(app: &TestApp) -> (usize, usize, usize) {
    let (_, i) = app.get(&app.admin_token, "/api/v1/incidents").await;
    let (_, r) = app.get(&app.admin_token, "/api/v1/reports").await;
    let (_, a) = app.get(&app.admin_token, "/api/v1/audit?limit=1000").await;
    (
        i.as_array().unwrap().len(),
        r.as_array().unwrap().len(),
        a.as_array().unwrap().len(),
    )
}

#[tokio::test]
async fn bad_input_gets_a_problem_naming_the_field_and_changes_nothing() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let (s, inc) = app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "db slow", "kind": "availability"}),
        )
        .await;
    assert_eq!(s, 201);
    let id = inc["id"].as_i64().unwrap();
    let before = counts(&app).await;
    let big = format!(
        r#"{{"title": "{}", "kind": "availability"}}"#,
        "x".repeat(200_000)
    );
    // (path, content type, body, status, field named)
    type Case<'a> = (&'a str, &'a str, Vec<u8>, u16, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "/api/v1/incidents",
            "application/json",
            b"{\"title\": ".to_vec(),
            400,
            None,
        ),
        (
            "/api/v1/incidents",
            "application/json",
            b"[1,2]".to_vec(),
            400,
            None,
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"title":"t","kind":"availability","bogus":1}"#.to_vec(),
            400,
            Some("bogus"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"title":"t","kind":"outage"}"#.to_vec(),
            400,
            Some("kind"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"kind":"security"}"#.to_vec(),
            400,
            Some("title"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"title":"t","kind":"security","facts":{"full_outage":"yes"}}"#.to_vec(),
            400,
            Some("facts.full_outage"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"title":"  ","kind":"security"}"#.to_vec(),
            422,
            Some("title"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            br#"{"title":"t","kind":"security","owner":"nobody"}"#.to_vec(),
            422,
            Some("owner"),
        ),
        (
            "/api/v1/incidents",
            "application/json",
            big.into_bytes(),
            413,
            None,
        ),
        (
            "/api/v1/incidents",
            "text/plain",
            br#"{"title":"t","kind":"security"}"#.to_vec(),
            415,
            None,
        ),
        (
            "/api/v1/reports",
            "application/json",
            br#"{"title":"t","source":"pager"}"#.to_vec(),
            400,
            Some("source"),
        ),
        (
            "/api/v1/reports",
            "application/json",
            br#"{"title":"t"} trailing"#.to_vec(),
            400,
            None,
        ),
    ];
    for (path, ct, body, status, field) in cases {
        let (s, content_type, p) = app.post_raw(&t, path, ct, body).await;
        assert_eq!(s, status, "{path} {p}");
        assert_eq!(content_type, "application/problem+json", "{p}");
        assert_eq!(p["status"], status);
        assert_eq!(p["field"].as_str(), field, "{p}");
    }
    let transitions: Vec<(Value, u16, Option<&str>)> = vec![
        (json!({"to": "finished"}), 400, Some("to")),
        (json!({"to": "containment", "why": "x"}), 400, Some("why")),
        (json!({"to": "containment"}), 409, None),
    ];
    for (body, status, field) in transitions {
        let (s, p) = app
            .post(&t, &format!("/api/v1/incidents/{id}/transition"), body)
            .await;
        assert_eq!(s, status, "{p}");
        assert_eq!(p["field"].as_str(), field, "{p}");
    }
    let (s, p) = app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/checklist/made_up"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!((s, p["field"].as_str()), (400, Some("item")));
    let (s, p) = app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/checklist/owner_set"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("item")));
    let (s, p) = app.get(&t, "/api/v1/incidents?phase=bogus").await;
    assert_eq!((s, p["field"].as_str()), (400, Some("phase")));
    let (s, p) = app.get(&t, "/api/v1/incidents?colour=red").await;
    assert_eq!((s, p["field"].as_str()), (400, Some("colour")));
    app.get_expect(&t, "/api/v1/incidents/INC-999", 404).await;
    app.get_expect(&t, "/api/v1/incidents/banana", 404).await;
    app.get_expect(&t, "/api/v1/nothing-here", 404).await;
    let (s, p) = app
        .patch(
            &t,
            &format!("/api/v1/incidents/{id}"),
            json!({"severity": "high"}),
        )
        .await;
    assert_eq!(
        (s, p["field"].as_str()),
        (422, Some("reason")),
        "choosing against the suggestion (low) needs a reason"
    );
    assert_eq!(counts(&app).await, before, "nothing stored changed");
    let (_, after) = app.get(&t, &format!("/api/v1/incidents/{id}")).await;
    // Declared without a severity: the facts' suggestion (low), never none.
    assert_eq!(after["severity"], "low");
    assert_eq!(after["phase"], "triage");
}

#[tokio::test]
async fn moving_back_needs_a_reason_and_reopens_gates() {
    let app = spawn().await;
    app.reachable("admin").await;
    let t = app.admin_token.clone();
    let (_, inc) = app
        .post(&t, "/api/v1/incidents", json!({"title": "API 500s in eu-west", "kind": "availability", "facts": {"regional_degradation": true}, "severity": "medium", "owner": "admin"}))
        .await;
    let id = inc["id"].as_i64().unwrap();
    for (item, body) in [
        ("impact_contained", json!({"status": "done"})),
        (
            "evidence_preserved",
            json!({"status": "waived", "reason": "availability incident, nothing to keep"}),
        ),
    ] {
        app.post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/checklist/{item}"),
            body,
            200,
        )
        .await;
    }
    let (s, b) = app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": "remediation"}),
        )
        .await;
    assert_eq!(
        s, 200,
        "skipping over containment with its gate settled: {b}"
    );
    let (s, p) = app
        .post(
            &t,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": "containment"}),
        )
        .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("reason")));
    let b = app
        .post_expect(
            &t,
            &format!("/api/v1/incidents/{id}/transition"),
            json!({"to": "containment", "reason": "errors recurred"}),
            200,
        )
        .await;
    let item = find_with(&b["checklist"], "item", "impact_contained");
    assert_eq!(item["status"], "open");
    let (_, tl) = app
        .get(&t, &format!("/api/v1/incidents/{id}/timeline"))
        .await;
    let back = tl
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "phase_changed")
        .unwrap()
        .clone();
    assert_eq!(back["reason"], "errors recurred");
    assert_eq!(
        back["details"]["reopened"],
        json!(["impact_contained", "evidence_preserved"])
    );

    // Raising severity is "impact grows", with its reason on the timeline.
    app.patch_expect(
        &t,
        &format!("/api/v1/incidents/{id}"),
        json!({"severity": "high", "reason": "now two regions"}),
        200,
    )
    .await;
    let (_, tl) = app
        .get(&t, &format!("/api/v1/incidents/{id}/timeline"))
        .await;
    let events = tl.as_array().unwrap();
    let raised = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "severity_changed")
        .unwrap()
        .clone();
    assert_eq!(
        raised["summary"],
        "Severity raised from medium to high (impact grows)"
    );
    assert_eq!(raised["reason"], "now two regions");
    // The raise calls for the incident lead; with no policy configured the
    // timeline says nobody could be paged rather than staying silent.
    // Then the warning that nobody was paged (and no fallback is set).
    let warning = events.last().unwrap();
    assert_eq!(warning["kind"], "unrouted", "{warning}");
    let last = &events[events.len() - 2];
    assert_eq!(last["kind"], "escalated");
    assert!(
        last["summary"]
            .as_str()
            .unwrap()
            .contains("no escalation policy is configured"),
        "{last}"
    );
}

#[tokio::test]
async fn a_kind_change_that_would_reopen_a_passed_gate_is_refused() {
    let app = spawn().await;
    app.reachable("admin").await;
    let t = app.admin_token.clone();
    let (_, inc) = app.post(&t, "/api/v1/incidents", json!({"title": "odd logins", "kind": "availability", "severity": "low", "owner": "admin"})).await;
    let id = inc["id"].as_i64().unwrap();
    app.post(
        &t,
        &format!("/api/v1/incidents/{id}/checklist/impact_contained"),
        json!({"status": "done"}),
    )
    .await;
    app.post(
        &t,
        &format!("/api/v1/incidents/{id}/checklist/evidence_preserved"),
        json!({"status": "waived", "reason": "n/a"}),
    )
    .await;
    app.post_expect(
        &t,
        &format!("/api/v1/incidents/{id}/transition"),
        json!({"to": "remediation"}),
        200,
    )
    .await;
    let p = app
        .patch_expect(
            &t,
            &format!("/api/v1/incidents/{id}"),
            json!({"kind": "security", "reason": "it was an attack"}),
            409,
        )
        .await;
    assert_eq!(p["gate"], "evidence_preserved");
}

/// Each row of the permission table, tried over HTTP for every role.
#[tokio::test]
async fn permission_table_holds_over_http_row_by_row() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let (_, inc) = app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "shared", "kind": "availability"}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    for role in Role::ALL {
        let name = format!("u-{role}");
        let token = app.user(&name, role.as_str()).await;
        for (action, roles) in PERMISSIONS {
            let expected = roles.contains(role);
            let (status, body) = match action {
                Action::Read => app.get(&token, "/api/v1/incidents").await,
                Action::SubmitReport => {
                    app.post(
                        &token,
                        "/api/v1/reports",
                        json!({"title": format!("from {name}")}),
                    )
                    .await
                }
                Action::Triage => {
                    app.post(
                        &token,
                        "/api/v1/incidents",
                        json!({"title": format!("by {name}"), "kind": "availability"}),
                    )
                    .await
                }
                Action::AddNote => {
                    app.post(
                        &token,
                        &format!("/api/v1/incidents/{id}/notes"),
                        json!({"body": format!("note by {name}")}),
                    )
                    .await
                }
                Action::Respond => {
                    app.patch(
                        &token,
                        &format!("/api/v1/incidents/{id}"),
                        json!({"summary": format!("summary by {name}")}),
                    )
                    .await
                }
                Action::ManageServices => {
                    app.post(
                        &token,
                        "/api/v1/services",
                        json!({"name": format!("svc-{role}"), "owner_team": "team"}),
                    )
                    .await
                }
                Action::ManageUsers => {
                    app.post(
                        &token,
                        "/api/v1/users",
                        json!({"name": format!("made-by-{role}"), "role": "viewer"}),
                    )
                    .await
                }
                Action::Audit => app.get(&token, "/api/v1/audit/verify").await,
                Action::ReadCustomers => app.get(&token, "/api/v1/customers").await,
                Action::ManageCustomers => {
                    app.post(
                        &token,
                        "/api/v1/customers",
                        json!({"name": format!("customer of {role}")}),
                    )
                    .await
                }
                Action::ReadDisclosures => app.get(&token, "/api/v1/disclosures").await,
                Action::ManageDisclosures => {
                    app.post(
                        &token,
                        "/api/v1/disclosures",
                        json!({"title": format!("by {name}"), "description": "found by phone"}),
                    )
                    .await
                }
                Action::Declassify => {
                    // A security incident this user is a member of, so that
                    // it exists for them: only the kind change is refused.
                    let (_, sec) = app
                        .post(
                            &t,
                            "/api/v1/incidents",
                            json!({"title": format!("secret for {name}"), "kind": "security"}),
                        )
                        .await;
                    let sid = sec["id"].as_i64().unwrap();
                    app.post_expect(
                        &t,
                        &format!("/api/v1/incidents/{sid}/members"),
                        json!({"user": name}),
                        200,
                    )
                    .await;
                    app.patch(
                        &token,
                        &format!("/api/v1/incidents/{sid}"),
                        json!({"kind": "availability", "reason": format!("{name} says it is not")}),
                    )
                    .await
                }
            };
            if expected {
                assert!(
                    (200..300).contains(&status),
                    "{role} should be allowed to {action}: {status} {body}"
                );
            } else {
                assert_eq!(
                    status, 403,
                    "{role} should not be allowed to {action}: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_permission_doc_matches_the_table() {
    let doc = include_str!("../../../../docs/permissions.md");
    for (action, roles) in PERMISSIONS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{action}` ")))
            .unwrap_or_else(|| panic!("docs/permissions.md has no row for `{action}`"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | action | description | admin | lead | responder | security | leadership | support | viewer |
        for (i, role) in Role::ALL.iter().enumerate() {
            let cell = cells[3 + i];
            assert_eq!(
                cell == "yes",
                roles.contains(role),
                "{action} / {role}: doc says `{cell}`"
            );
        }
    }
}

#[tokio::test]
async fn operational_endpoints_and_openapi() {
    let app = spawn().await;
    app.reachable("admin").await;
    let (s, b) = app.get("", "/healthz").await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ok")));
    let (s, b) = app.get("", "/readyz").await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ready")));
    app.post(
        &app.admin_token,
        "/api/v1/incidents",
        json!({"title": "m", "kind": "availability", "severity": "low", "owner": "admin"}),
    )
    .await;
    let metrics = app.get_anonymous("/metrics").await.text().await.unwrap();
    assert_contains(&metrics, "firebreak_open_incidents{severity=\"low\"} 1");
    assert_contains(&metrics, "firebreak_untriaged_reports 0");
    let doc = app.get_expect("", "/api/v1/openapi.json", 200).await;
    for path in [
        "/api/v1/incidents",
        "/api/v1/incidents/{id}/transition",
        "/api/v1/reports/{id}/declare",
        "/api/v1/audit/verify",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("Incident").is_some());
    assert!(
        doc["components"]["schemas"]["DeclareIncident"]["properties"]
            .get("severity_reason")
            .is_some()
    );

    // Every intake route (crates/firebreak-server/src/intake/mod.rs), with
    // its methods.
    for (path, methods) in [
        ("/api/v1/intake/alertmanager", &["post"][..]),
        ("/api/v1/intake/alertmanager/{key}", &["post"]),
        ("/api/v1/intake/grafana", &["post"]),
        ("/api/v1/intake/grafana/{key}", &["post"]),
        ("/api/v1/intake/generic", &["post"]),
        ("/api/v1/intake/generic/{key}", &["post"]),
        ("/v2/enqueue", &["post"]),
        ("/v2/change/enqueue", &["post"]),
        ("/api/v1/inbound/email", &["post"]),
        ("/api/v1/inbound/email/{key}", &["post"]),
        ("/api/v1/intake/integrations", &["get", "post"]),
        ("/api/v1/intake/integrations/{id}", &["get"]),
        ("/api/v1/intake/integrations/{id}/disable", &["post"]),
        ("/api/v1/intake/integrations/{id}/rotate-key", &["post"]),
        ("/api/v1/intake/test", &["post"]),
        ("/api/v1/intake/rules", &["get", "post"]),
        ("/api/v1/intake/rules/{id}", &["put", "delete"]),
        ("/api/v1/intake/silences", &["get", "post"]),
        ("/api/v1/intake/silences/{id}/expire", &["post"]),
        ("/api/v1/intake/maintenance", &["get", "post"]),
        ("/api/v1/intake/maintenance/{id}/end", &["post"]),
        ("/api/v1/intake/alerts", &["get"]),
        ("/api/v1/intake/changes", &["get"]),
        ("/api/v1/intake/reports/{id}/messages", &["get"]),
        ("/api/v1/intake/attachments/{id}", &["get"]),
        ("/api/v1/intake/triage", &["get"]),
        ("/api/v1/intake/triage/backlog", &["get"]),
        ("/api/v1/intake/triage/bulk", &["post"]),
        ("/api/v1/intake/noise", &["get"]),
    ] {
        for method in methods {
            assert!(
                doc["paths"][path].get(*method).is_some(),
                "openapi lacks {method} {path}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    let props = |name: &str| -> Vec<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("openapi lacks the {name} schema"))
            .keys()
            .cloned()
            .collect()
    };
    let create = props("CreateIntegration");
    for field in [
        "name",
        "kind",
        "service",
        "mapping",
        "hmac_secret",
        "hmac_timestamp_header",
    ] {
        assert!(
            create.iter().any(|f| f == field),
            "CreateIntegration lacks {field}"
        );
    }
    assert_eq!(
        schemas["IntegrationKind"]["enum"],
        json!(["alertmanager", "pagerduty", "grafana", "generic", "email"])
    );
    let view = props("IntegrationView");
    for field in ["id", "name", "kind", "key_hint", "url", "enabled"] {
        assert!(
            view.iter().any(|f| f == field),
            "IntegrationView lacks {field}"
        );
    }
    for field in ["title", "severity_map", "dedup_key", "resolved_values"] {
        assert!(
            props("Mapping").iter().any(|f| f == field),
            "Mapping lacks {field}"
        );
    }
    for field in ["status", "alerts"] {
        assert!(
            props("Delivered").iter().any(|f| f == field),
            "Delivered lacks {field}"
        );
    }
    for field in [
        "dedup_key",
        "outcome",
        "alert_id",
        "report_id",
        "count",
        "incident",
    ] {
        assert!(
            props("AlertResult").iter().any(|f| f == field),
            "AlertResult lacks {field}"
        );
    }
    // Query parameters are listed, and refusals are problem bodies.
    let params: Vec<&str> = doc["paths"]["/api/v1/intake/alerts"]["get"]["parameters"]
        .as_array()
        .expect("alert query parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(params, ["integration", "status", "limit"]);
    let created = &doc["paths"]["/api/v1/intake/integrations"]["post"]["responses"];
    assert!(
        created["201"]["content"]["application/json"].is_object(),
        "{created}"
    );
    assert!(
        created["422"]["content"]["application/problem+json"].is_object(),
        "{created}"
    );
    let email = &doc["paths"]["/api/v1/inbound/email/{key}"]["post"];
    assert!(
        email["requestBody"]["content"]["message/rfc822"].is_object(),
        "{email}"
    );
    let pagerduty = &doc["paths"]["/v2/enqueue"]["post"]["responses"];
    for status in ["202", "400", "413", "503"] {
        assert!(
            pagerduty.get(status).is_some(),
            "/v2/enqueue lacks {status}"
        );
    }
}

#[tokio::test]
async fn confidential_reports_exist_only_for_the_security_team() {
    let app = spawn().await;
    let support = app.user("s1", "support").await;
    let viewer = app.user("v1", "viewer").await;
    let security = app.user("sec1", "security").await;
    let r = app
        .post_expect(
            &support,
            "/api/v1/reports",
            json!({"title": "XSS in search", "source": "disclosure"}),
            201,
        )
        .await;
    assert_eq!(r["confidential"], true);
    let id = r["id"].as_i64().unwrap();
    app.get_expect(&viewer, &format!("/api/v1/reports/{id}"), 404)
        .await;
    let (_, q) = app.get(&viewer, "/api/v1/reports").await;
    assert!(q.as_array().unwrap().is_empty());
    app.get_expect(&security, &format!("/api/v1/reports/{id}"), 200)
        .await;
    app.get_expect(&support, &format!("/api/v1/reports/{id}"), 200)
        .await;
    // It is a disclosure like any other: a tracking id on one report.
    let ds = app.get_expect(&security, "/api/v1/disclosures", 200).await;
    let ds = ds.as_array().unwrap();
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0]["report_id"], id);
    assert_eq!(ds[0]["title"], "XSS in search");
    assert!(ds[0]["tracking_id"].as_str().unwrap().starts_with("VULN-"));
    // Dismissing needs a reason, and nothing is deleted.
    let (s, p) = app
        .post(
            &security,
            &format!("/api/v1/reports/{id}/dismiss"),
            json!({"reason": " "}),
        )
        .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("reason")));
    let r = app
        .post_expect(
            &security,
            &format!("/api/v1/reports/{id}/dismiss"),
            json!({"reason": "duplicate of a known issue"}),
            200,
        )
        .await;
    assert_eq!(r["status"], "dismissed");
    app.post_expect(
        &security,
        &format!("/api/v1/reports/{id}/dismiss"),
        json!({"reason": "again"}),
        409,
    )
    .await;
    let (_, dismissed) = app.get(&security, "/api/v1/reports?status=dismissed").await;
    assert_eq!(dismissed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reports_link_to_an_existing_incident() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let (_, inc) = app
        .post(
            &t,
            "/api/v1/incidents",
            json!({"title": "checkout down", "kind": "availability"}),
        )
        .await;
    let (_, r) = app
        .post(
            &t,
            "/api/v1/reports",
            json!({"title": "cannot pay", "source": "support"}),
        )
        .await;
    let rid = r["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &t,
            &format!("/api/v1/reports/{rid}/link"),
            json!({"incident": "INC-77"}),
        )
        .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("incident")));
    let r = app
        .post_expect(
            &t,
            &format!("/api/v1/reports/{rid}/link"),
            json!({"incident": inc["reference"]}),
            200,
        )
        .await;
    assert_eq!(r["status"], "linked");
    let (_, i) = app
        .get(&t, &format!("/api/v1/incidents/{}", inc["id"]))
        .await;
    assert_eq!(i["report_ids"], json!([rid]));
    let (_, tl) = app
        .get(&t, &format!("/api/v1/incidents/{}/timeline", inc["id"]))
        .await;
    assert!(any_with(&tl, "kind", "report_linked"));
}

/// `/metrics` needs no sign-in by default, so it counts no confidential
/// record; every label takes only known values (standard methods else
/// `other`, route templates, never raw paths). With `metrics_token` set it
/// needs that bearer token and counts everything.
#[tokio::test]
async fn metrics_bound_their_labels_and_leave_confidential_records_out() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    app.reachable("admin").await;
    app.post_expect(&t,
            "/api/v1/incidents",
            json!({"title": "breach", "kind": "security", "severity": "high", "severity_reason": "test", "owner": "admin"}), 201).await;
    app.post_expect(
        &t,
        "/api/v1/incidents",
        json!({"title": "outage", "kind": "availability", "severity": "low", "owner": "admin"}),
        201,
    )
    .await;
    app.post_expect(
        &t,
        "/api/v1/reports",
        json!({"title": "secret", "confidential": true}),
        201,
    )
    .await;
    // Anonymous requests with invented methods and raw paths.
    for i in 0..5 {
        let method = reqwest::Method::from_bytes(format!("ZXMETHOD{i}").as_bytes()).unwrap();
        app.http
            .request(method, format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap();
        app.http
            .get(format!("{}/zx-raw-path-{i}", app.url))
            .send()
            .await
            .unwrap();
        app.http
            .get(format!("{}/api/v1/incidents/9999{i}", app.url))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
    }
    let res = app.get_anonymous("/metrics").await;
    assert_eq!(res.status(), 200);
    let metrics = res.text().await.unwrap();
    for leaked in ["ZXMETHOD", "zx-raw-path", "99990"] {
        assert!(!metrics.contains(leaked), "{leaked} in {metrics}");
    }
    assert_contains(&metrics, "method=\"other\"");
    assert_contains(&metrics, "route=\"/api/v1/incidents/{id}\"");
    assert_contains(&metrics, "firebreak_open_incidents{severity=\"low\"} 1");
    assert_lacks(&metrics, "firebreak_open_incidents{severity=\"high\"}");
    assert_contains(&metrics, "firebreak_untriaged_reports 0");

    // With a token: refused without it or with a wrong one; everything with it.
    let app = crate::harness::spawn_configured(|c| {
        c.metrics_token = Some(firebreak_server::notify::Secret::new("zx-metrics-token"))
    })
    .await;
    app.reachable("admin").await;
    app.post_expect(&app.admin_token,
            "/api/v1/incidents",
            json!({"title": "breach", "kind": "security", "severity": "high", "severity_reason": "test", "owner": "admin"}), 201).await;
    let url = format!("{}/metrics", app.url);
    let res = app.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(&url)
        .bearer_auth("zx-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let metrics = res.text().await.unwrap();
    assert_contains(&metrics, "firebreak_open_incidents{severity=\"high\"} 1");
}

/// Changing a security incident's kind declassifies it: a responder who is
/// a member may not (403, a problem naming `kind`, nothing changed); the
/// security team may, with a reason.
#[tokio::test]
async fn only_the_security_team_or_an_admin_declassifies_a_security_incident() {
    let app = spawn().await;
    let t = app.admin_token.clone();
    let responder = app.user("resp1", "responder").await;
    let sec = app.user("sec1", "security").await;
    let inc = app
        .post_expect(
            &t,
            "/api/v1/incidents",
            json!({"title": "token theft", "kind": "security"}),
            201,
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    app.post_expect(
        &t,
        &format!("/api/v1/incidents/{id}/members"),
        json!({"user": "resp1"}),
        200,
    )
    .await;
    let path = format!("/api/v1/incidents/{id}");
    let p = app
        .patch_expect(
            &responder,
            &path,
            json!({"kind": "availability", "reason": "just an outage"}),
            403,
        )
        .await;
    assert_eq!(p["field"], "kind", "{p}");
    let (_, now) = app.get(&t, &path).await;
    assert_eq!(now["kind"], "security");
    // The security team needs a reason too.
    let p = app
        .patch_expect(&sec, &path, json!({"kind": "availability"}), 422)
        .await;
    assert_eq!(p["field"], "reason");
    let p = app
        .patch_expect(
            &sec,
            &path,
            json!({"kind": "availability", "reason": "no attacker: a bad deploy"}),
            200,
        )
        .await;
    assert_eq!(p["kind"], "availability");
    // Anyone with `respond` may make an incident a security incident.
    let p = app
        .patch_expect(
            &responder,
            &path,
            json!({"kind": "security", "reason": "it was an attack after all"}),
            200,
        )
        .await;
    assert_eq!(p["kind"], "security");
}
