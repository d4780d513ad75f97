//! Customers, components and whom an incident affects, through the CLI.

use crate::support::Server;
use firebreak_testkit::assert_contains;

#[test]
fn customers_components_and_an_incidents_affected_set_through_the_cli() {
    let server = Server::start();
    let admin = server.as_admin();
    admin
        .run(&["service", "create", "checkout", "--owner-team", "payments"])
        .ok();
    let out = admin
        .run(&[
            "component",
            "create",
            "Checkout API",
            "--service",
            "checkout",
        ])
        .ok();
    assert_contains(&out, "Checkout API (checkout)");
    admin
        .run(&[
            "components",
            "create",
            "Admin",
            "--service",
            "checkout",
            "--private",
        ])
        .ok();
    admin
        .run(&["customers", "create", "Acme Corp", "--description", "first"])
        .ok();
    admin.run(&["customer", "create", "Globex"]).ok();
    let out = admin
        .run(&[
            "customer",
            "add-contact",
            "Acme Corp",
            "--label",
            "hook",
            "--webhook",
            "https://hooks.acme.example/in",
        ])
        .ok();
    assert_contains(&out, "secret: ");
    assert_contains(&out, "shown only once");
    admin
        .run(&[
            "customer",
            "add-contact",
            "Acme Corp",
            "--label",
            "ops",
            "--email",
            "ops@acme.example",
        ])
        .ok();
    admin
        .run(&[
            "customer",
            "set-components",
            "Acme Corp",
            "--component",
            "Checkout API,Admin",
        ])
        .ok();
    let out = admin.run(&["customer", "show", "Acme Corp"]).ok();
    assert_contains(&out, "components: Checkout API, Admin");
    assert_contains(&out, "ops (email): ops@acme.example");
    let out = admin.run(&["customer", "list"]).ok();
    assert_contains(&out, "Globex");
    let out = admin.run(&["customer", "status-link", "Acme Corp"]).ok();
    assert_contains(&out, "/status/c/");

    let inc = admin.declare("checkout down", "availability", &[]);
    let id = inc["id"].as_i64().unwrap().to_string();
    let out = admin
        .run(&[
            "incidents",
            "components",
            &id,
            "--component",
            "Checkout API=major_outage",
        ])
        .ok();
    assert_contains(&out, "components: Checkout API=major_outage");
    let out = admin
        .run(&["incident", "affected", &id, "--from-components"])
        .ok();
    assert_contains(&out, "affected customers: components");
    assert_contains(&out, "customers: Acme Corp");
    let out = admin
        .run(&["incident", "affected", &id, "--customer", "Globex"])
        .ok();
    assert_contains(&out, "customers: Globex");
    let json = admin.run(&["incident", "affected", &id, "--json"]).json();
    assert_eq!(json["mode"], "customers");
    let out = admin.run(&["component", "list"]).ok();
    assert_contains(&out, "major_outage");
    admin
        .run(&["component", "set-status", "Checkout API", "operational"])
        .ok();

    // Bad input: a clear message and a non-zero exit.
    let err = admin
        .run(&["incident", "components", &id, "--component", "Checkout API"])
        .fails(1);
    assert_contains(&err, "NAME=STATUS");
    let err = admin
        .run(&[
            "incident",
            "components",
            &id,
            "--component",
            "Checkout API=down",
        ])
        .fails(1);
    assert_contains(&err, "major_outage");
    let err = admin
        .run(&["incident", "affected", &id, "--customer", "Nobody Inc"])
        .fails(1);
    assert_contains(&err, "no customer named `Nobody Inc`");
    let err = admin.run(&["customer", "delete", "Globex"]).fails(1);
    assert_contains(&err, "named by an incident");
    let err = admin.run(&["customer", "create", "Acme Corp"]).fails(1);
    assert_contains(&err, "already exists");
    let err = admin
        .run(&["incident", "affected", &id, "--all", "--nobody"])
        .fails(2);
    assert_contains(&err, "cannot be used with");
}
