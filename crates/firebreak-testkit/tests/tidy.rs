//! Checks over the source tree that keep `ARCHITECTURE.md` true: the file
//! size limit, the code map, and the invariants that a reading of the code
//! can enforce (who knows SQL and HTTP, the one path for incident changes,
//! what may be deleted, which writes are audited). Like rust-analyzer's
//! `tidy` tests, they read the files as text; each failure names the file
//! and the rule.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `crates/firebreak-testkit`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the workspace root is two levels above the crate")
        .to_path_buf()
}

fn crates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    out.sort();
    out
}

/// Every file below `dir` (recursively), sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root().join("crates"))
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Source files that are not tests: below a crate's `src/`, not named
/// `tests.rs` and not inside a `tests/` module directory.
fn sources() -> Vec<PathBuf> {
    crates()
        .iter()
        .flat_map(|c| walk(&c.join("src")))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| {
            let r = rel(p);
            !r.ends_with("/tests.rs") && !r.contains("/tests/")
        })
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn no_source_file_outside_tests_is_over_800_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter_map(|p| {
            let n = read(p).lines().count();
            (n > 800).then(|| format!("{} ({n} lines)", rel(p)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by idea (unit tests go in a tests.rs beside): {long:?}"
    );
}

#[test]
fn the_code_map_names_every_crate_and_module_directory() {
    let map = read(&root().join("ARCHITECTURE.md"));
    let mut missing = Vec::new();
    for c in crates() {
        let name = rel(&c);
        if !map.contains(&format!("{name}/")) {
            missing.push(format!("{name}/"));
        }
        for dir in sources()
            .iter()
            .filter(|p| p.starts_with(&c))
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect::<std::collections::BTreeSet<_>>()
        {
            let r = format!("{}/", rel(&dir));
            if r == format!("{name}/src/") {
                continue;
            }
            if !map.contains(&r) {
                missing.push(r);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {missing:?}"
    );
}

/// The `[dependencies]` of a crate (not dev- or build-dependencies).
fn dependencies(krate: &Path) -> Vec<String> {
    let toml = read(&krate.join("Cargo.toml"));
    let mut on = false;
    let mut out = Vec::new();
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            on = t == "[dependencies]";
            continue;
        }
        if on
            && let Some(name) = t.split(['=', '.', ' ']).next().filter(|n| !n.is_empty())
            && !name.starts_with('#')
        {
            out.push(name.to_owned());
        }
    }
    out
}

#[test]
fn only_the_store_knows_sql_and_only_the_server_knows_http() {
    // Invariant 1. The binary and the benchmark start the server and the
    // store; they may depend on them, never on sqlx or axum themselves.
    let mut wrong = Vec::new();
    for c in crates() {
        let name = rel(&c);
        if name == "firebreak-testkit" {
            // The tests' own crate: it opens databases and serves HTTP to
            // test the two crates that own them.
            continue;
        }
        for dep in dependencies(&c) {
            let owner = match dep.as_str() {
                "sqlx" => "firebreak-store",
                "axum" | "axum-extra" | "tower-http" | "askama" => "firebreak-server",
                _ => continue,
            };
            if name != owner {
                wrong.push(format!("{name} depends on {dep}"));
            }
        }
        if name == "firebreak-core" || name == "firebreak-intake" || name == "firebreak-api" {
            for dep in dependencies(&c) {
                if ["tokio", "reqwest", "sqlx", "axum", "hyper"].contains(&dep.as_str()) {
                    wrong.push(format!("{name} (pure) depends on {dep}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// The files (relative to `crates/`) whose text contains `needle`.
fn files_containing(needle: &str, under: &str) -> Vec<String> {
    sources()
        .iter()
        .filter(|p| rel(p).starts_with(under))
        .filter(|p| read(p).contains(needle))
        .map(|p| rel(p))
        .collect()
}

#[test]
fn incidents_change_only_through_the_actions_module() {
    // Invariant 2: the server calls the store's incident-changing functions
    // only from `actions`; every interface (API, web, intake rules) goes
    // through it.
    for call in [
        ".change_incident(",
        ".acknowledge(",
        ".escalate(",
        ".declare_incident(",
    ] {
        let outside: Vec<String> = files_containing(call, "firebreak-server/src/")
            .into_iter()
            .filter(|f| !f.starts_with("firebreak-server/src/actions"))
            .collect();
        assert!(
            outside.is_empty(),
            "{call} is called outside firebreak-server/src/actions: {outside:?}"
        );
    }
    let writers: Vec<String> = files_containing("UPDATE incidents ", "firebreak-store/src/")
        .into_iter()
        .filter(|f| !f.starts_with("firebreak-store/src/incidents"))
        .collect();
    assert!(
        writers.is_empty(),
        "incident rows are updated outside the store's incidents module: {writers:?}"
    );
}

#[test]
fn nothing_a_responder_recorded_is_deleted() {
    // Invariant 6: the only rows ever deleted are sign-in sessions, a
    // checklist mark when its gate reopens (the timeline keeps the mark)
    // and a routing rule (its audit entry keeps it).
    // A contact method removed by its user or an admin (with its
    // notification rule; the audit entry keeps its label and kind).
    let allowed = [
        "sessions",
        "checklist_items",
        "intake_rules",
        "contact_methods",
        "notification_rules",
        // Configuration a manager changes (the audit entry keeps what was
        // removed) and whom an incident affects, which is replaced as a
        // whole (its timeline keeps every earlier set).
        "customers",
        "customer_contacts",
        "customer_components",
        "incident_customers",
        "incident_components",
        // A status page subscriber's components, replaced as a whole when
        // they subscribe again (audited as `status.subscribe`).
        "status_subscriber_components",
    ];
    let mut wrong = Vec::new();
    for p in sources() {
        let text = read(&p);
        for (i, _) in text.match_indices("DELETE FROM ") {
            let table: String = text[i + "DELETE FROM ".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !allowed.contains(&table.as_str()) {
                wrong.push(format!("{}: DELETE FROM {table}", rel(&p)));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}
