//! Commands over the API for escalation: `oncall`, `schedule …`,
//! `policy …`, `service …` and `contact …`. Like [`crate::remote`], each
//! sends a request or two through `firebreak-client` and prints the answer,
//! as pretty JSON with `--json` or as text.
//!
//! Definitions (schedules, policies) are read from a JSON file, or standard
//! input for `-`, and sent as they are: the server validates them and its
//! refusal names the field at fault. A file that cannot be read or is not
//! JSON is refused here, naming the file, with exit code 1.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use firebreak_api::{CreateService, NewContactMethod};
use firebreak_client::{Client, ServiceEscalation};

use crate::cli::{
    ContactCommand, ListArgs, OncallArgs, PolicyCommand, PutArgs, ScheduleCommand, ServiceCommand,
};
use crate::remote::{call, client, emit, print};
use crate::render;

/// Longest definition or runbook file read, in bytes (the server's own
/// limits are lower; this only keeps a wrong file from filling memory).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The text of `path`, or of standard input for `-`.
fn read_input(path: &Path) -> Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    if text.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "{} is larger than {MAX_FILE_BYTES} bytes",
            describe_input(path)
        );
    }
    Ok(text)
}

fn describe_input(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// A JSON object from `path` (or standard input for `-`).
fn read_json_object(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = read_input(path)?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => bail!("{} must hold a JSON object", describe_input(path)),
        Err(e) => bail!("{} is not valid JSON: {e}", describe_input(path)),
    }
}

pub async fn oncall(a: OncallArgs) -> Result<ExitCode> {
    let c = client(&a.client)?;
    let answers = c.oncall(a.schedule.as_deref(), a.at).await?;
    if a.client.json {
        return print(&a.client, &answers, |_| String::new());
    }
    // The schedules' zones, to show handoffs in local time; UTC alone if
    // they cannot be read.
    let zones = match c.schedules().await {
        Ok(defs) => render::schedule_zones(&defs),
        Err(_) => Default::default(),
    };
    print(&a.client, &answers, |l| render::oncall(l, &zones))
}

/// `firebreak doctor`: prints every paging path and what is missing on it;
/// exits 1 when something would page nobody.
pub async fn doctor(a: ListArgs) -> Result<ExitCode> {
    let report = client(&a.client)?.doctor().await?;
    print(&a.client, &report, render::doctor)?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn schedule(cmd: ScheduleCommand) -> Result<ExitCode> {
    match cmd {
        ScheduleCommand::Put(a) => {
            let mut body = read_json_object(&a.file)?;
            // The file may leave the name to the command line.
            body.entry("name")
                .or_insert_with(|| serde_json::Value::String(a.name.clone()));
            call(
                &a.client,
                async |c| {
                    c.put_schedule(&a.name, &serde_json::Value::Object(body))
                        .await
                },
                |d| format!("schedule {} saved", d.name),
            )
            .await
        }
        ScheduleCommand::List(a) => {
            call(&a.client, Client::schedules, |l| render::schedule_table(l)).await
        }
        ScheduleCommand::Show(a) => {
            call(
                &a.client,
                async |c| c.schedule(&a.name).await,
                |d| {
                    format!(
                        "schedule {} (updated {})\n{}",
                        d.name,
                        render::time(&d.updated_at),
                        serde_json::to_string_pretty(&d.definition).unwrap_or_default()
                    )
                },
            )
            .await
        }
        ScheduleCommand::Shifts(a) => {
            let c = client(&a.client)?;
            let shifts = c.shifts(&a.name, a.from, a.to).await?;
            if a.client.json {
                return print(&a.client, &shifts, |_| String::new());
            }
            let tz = match c.schedule(&a.name).await {
                Ok(def) => render::schedule_zones(std::slice::from_ref(&def)).remove(&def.name),
                Err(_) => None,
            };
            print(&a.client, &shifts, |s| render::shift_table(s, tz))
        }
        ScheduleCommand::Calendar(a) => {
            let ics = client(&a.client)?.calendar(&a.name, &a.user).await?;
            if a.client.json {
                return print(&a.client, &serde_json::json!({ "ics": ics }), |_| {
                    String::new()
                });
            }
            emit(&ics)
        }
    }
}

async fn put_policy(a: PutArgs) -> Result<ExitCode> {
    let body = read_json_object(&a.file)?;
    call(
        &a.client,
        async |c| {
            c.put_policy(&a.name, &serde_json::Value::Object(body))
                .await
        },
        |d| {
            format!(
                "escalation policy {} saved: {}",
                d.name,
                render::policy_summary(&d.definition)
            )
        },
    )
    .await
}

pub async fn policy(cmd: PolicyCommand) -> Result<ExitCode> {
    match cmd {
        PolicyCommand::Put(a) => put_policy(a).await,
        PolicyCommand::List(a) => {
            call(&a.client, Client::policies, |l| render::policy_table(l)).await
        }
        PolicyCommand::Show(a) => {
            let list = client(&a.client)?.policies().await?;
            let Some(def) = list.into_iter().find(|d| d.name == a.name) else {
                bail!("no escalation policy named `{}`", a.name);
            };
            print(&a.client, &def, |d| {
                format!(
                    "escalation policy {} (updated {})\n  {}\n{}",
                    d.name,
                    render::time(&d.updated_at),
                    render::policy_summary(&d.definition),
                    serde_json::to_string_pretty(&d.definition).unwrap_or_default()
                )
            })
        }
    }
}

pub async fn service(cmd: ServiceCommand) -> Result<ExitCode> {
    match cmd {
        ServiceCommand::Create(a) => {
            let req = CreateService {
                name: a.name,
                owner_team: a.owner_team,
                description: a.description,
            };
            call(
                &a.client,
                async |c| c.create_service(&req).await,
                |s| format!("service {} created (owner team {})", s.name, s.owner_team),
            )
            .await
        }
        ServiceCommand::List(a) => {
            call(&a.client, Client::services, |l| render::service_table(l)).await
        }
        ServiceCommand::Escalation(a) => {
            let runbook = match &a.runbook_file {
                Some(path) => read_input(path)?,
                None => String::new(),
            };
            let req = ServiceEscalation {
                escalation_policy: a.policy.clone(),
                runbook,
            };
            client(&a.client)?
                .set_service_escalation(&a.name, &req)
                .await?;
            print(&a.client, &req, |r| {
                let policy = r.escalation_policy.as_deref().map_or_else(
                    || "none (the configured incident-lead policy applies)".to_owned(),
                    |p| format!("`{p}`"),
                );
                let runbook = if r.runbook.is_empty() {
                    "none".to_owned()
                } else {
                    format!("{} bytes", r.runbook.len())
                };
                format!(
                    "service {}: escalation policy {policy}, runbook {runbook}",
                    a.name
                )
            })
        }
    }
}

pub async fn contact(cmd: ContactCommand) -> Result<ExitCode> {
    match cmd {
        ContactCommand::Add(a) => {
            let req = NewContactMethod {
                label: a.label,
                channel: a.channel_json,
                delay_secs: a.delay_secs,
            };
            call(
                &a.client,
                async |c| c.add_contact_method(&a.user, &req).await,
                |c| {
                    let kind = c
                        .channel
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("unknown");
                    let delay = match req.delay_secs {
                        Some(n) if n > 0 => format!(", used {n} s after a page"),
                        _ => String::new(),
                    };
                    format!(
                        "contact method {} ({kind} to {}) added for {}{delay}",
                        c.id,
                        render::channel_target(&c.channel),
                        a.user
                    )
                },
            )
            .await
        }
        ContactCommand::List(a) => {
            call(
                &a.client,
                async |c| c.contact_methods(&a.user).await,
                |l| render::contact_table(l),
            )
            .await
        }
    }
}
