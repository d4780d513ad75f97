//! Commands over the API for intake administration: `integration …`,
//! `rule …`, `silence …`, `maintenance …` and `alert list`. Like
//! [`crate::remote`], each sends a request through `firebreak-client` and
//! prints the answer, as pretty JSON with `--json` or as text.
//!
//! Flags are checked by clap before any request (kinds and severities by
//! name, matchers by Alertmanager's syntax, times as RFC 3339, a mapping as
//! JSON); the server checks the rest and its refusal names the field.

use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;

use firebreak_client::{AlertQuery, CreateIntegration, MaintenanceBody, RuleBody, SilenceBody};

use crate::cli::{
    AlertCommand, IntegrationCommand, MaintenanceCommand, RuleCommand, SilenceCommand,
};
use crate::remote::{client, print};
use crate::render;

pub async fn integration(cmd: IntegrationCommand) -> Result<ExitCode> {
    match cmd {
        IntegrationCommand::Create(a) => {
            let a = *a;
            let req = CreateIntegration {
                name: a.name,
                kind: a.kind,
                service: a.service,
                mapping: a.mapping,
                hmac_secret: a.hmac_secret,
                hmac_timestamp_header: a.hmac_timestamp_header,
                auto_declare: a.auto_declare,
            };
            let created = client(&a.client)?.create_integration(&req).await?;
            print(&a.client, &created, |c| {
                let i = &c.integration;
                format!(
                    "integration {} {} ({}) created; it acts as {}\n{}\n{}",
                    i.id,
                    i.name,
                    i.kind,
                    i.user,
                    render::auto_declare(i),
                    render::integration_key(c)
                )
            })
        }
        IntegrationCommand::List(a) => {
            let list = client(&a.client)?.integrations().await?;
            print(&a.client, &list, |l| render::integration_table(l))
        }
        IntegrationCommand::Show(a) => {
            let i = client(&a.client)?.integration(a.id).await?;
            print(&a.client, &i, render::integration_full)
        }
        IntegrationCommand::RotateKey(a) => {
            let created = client(&a.client)?.rotate_integration_key(a.id).await?;
            print(&a.client, &created, |c| {
                format!(
                    "integration {} {}: new key; the old one no longer works\n{}",
                    c.integration.id,
                    c.integration.name,
                    render::integration_key(c)
                )
            })
        }
        IntegrationCommand::AutoDeclare(a) => {
            let i = client(&a.client)?
                .set_integration_auto_declare(a.id, a.setting)
                .await?;
            print(&a.client, &i, |i| {
                format!(
                    "integration {} {}: {}",
                    i.id,
                    i.name,
                    render::auto_declare(i)
                )
            })
        }
        IntegrationCommand::Disable(a) => {
            let i = client(&a.client)?.disable_integration(a.id).await?;
            print(&a.client, &i, |i| {
                format!(
                    "integration {} {} disabled: its key no longer works; its alerts and reports stay",
                    i.id, i.name
                )
            })
        }
    }
}

pub async fn rule(cmd: RuleCommand) -> Result<ExitCode> {
    match cmd {
        RuleCommand::List(a) => {
            let list = client(&a.client)?.rules().await?;
            print(&a.client, &list, |l| render::rule_table(l))
        }
        RuleCommand::Add(a) => {
            let req = RuleBody {
                name: a.name,
                position: a.position,
                enabled: !a.disabled,
                matchers: a.matchers,
                set_service: a.set_service,
                set_kind: a.set_kind,
                set_severity: a.set_severity,
                declare: a.declare,
            };
            let r = client(&a.client)?.create_rule(&req).await?;
            print(&a.client, &r, |r| {
                format!(
                    "rule {} `{}` added at position {}{}: {} → {}",
                    r.id,
                    r.name,
                    r.position,
                    if r.enabled { "" } else { " (disabled)" },
                    render::matchers(&r.matchers),
                    render::rule_effect(r)
                )
            })
        }
        RuleCommand::Remove(a) => {
            client(&a.client)?.delete_rule(a.id).await?;
            // The server answers 204 with no body; say what was removed.
            let done = serde_json::json!({ "id": a.id, "removed": true });
            print(&a.client, &done, |_| format!("rule {} removed", a.id))
        }
    }
}

pub async fn silence(cmd: SilenceCommand) -> Result<ExitCode> {
    match cmd {
        SilenceCommand::List(a) => {
            let list = client(&a.client)?.silences().await?;
            let now = Utc::now();
            print(&a.client, &list, |l| render::silence_table(l, now))
        }
        SilenceCommand::Add(a) => {
            let req = SilenceBody {
                matchers: a.matchers,
                starts_at: a.from,
                ends_at: a.until,
                reason: a.reason,
            };
            let s = client(&a.client)?.create_silence(&req).await?;
            print(&a.client, &s, |s| {
                format!(
                    "silence {} added, from {} until {}: {}",
                    s.id,
                    render::time(&s.starts_at),
                    render::time(&s.ends_at),
                    render::matchers(&s.matchers)
                )
            })
        }
        SilenceCommand::Expire(a) => {
            let s = client(&a.client)?.expire_silence(a.id).await?;
            print(&a.client, &s, |s| {
                format!(
                    "silence {} expired at {}",
                    s.id,
                    render::time(s.expired_at.as_ref().unwrap_or(&s.ends_at))
                )
            })
        }
    }
}

pub async fn maintenance(cmd: MaintenanceCommand) -> Result<ExitCode> {
    match cmd {
        MaintenanceCommand::List(a) => {
            let list = client(&a.client)?.maintenance_windows().await?;
            let now = Utc::now();
            print(&a.client, &list, |l| render::maintenance_table(l, now))
        }
        MaintenanceCommand::Add(a) => {
            let req = MaintenanceBody {
                service: a.service,
                starts_at: a.from,
                ends_at: a.until,
                reason: a.reason,
            };
            let m = client(&a.client)?.create_maintenance(&req).await?;
            print(&a.client, &m, |m| {
                format!(
                    "maintenance window {} for {} added, from {} until {}",
                    m.id,
                    m.service,
                    render::time(&m.starts_at),
                    render::time(&m.ends_at)
                )
            })
        }
        MaintenanceCommand::End(a) => {
            let m = client(&a.client)?.end_maintenance(a.id).await?;
            print(&a.client, &m, |m| {
                format!(
                    "maintenance window {} for {} ended at {}",
                    m.id,
                    m.service,
                    render::time(&m.ends_at)
                )
            })
        }
    }
}

pub async fn alert(cmd: AlertCommand) -> Result<ExitCode> {
    match cmd {
        AlertCommand::List(a) => {
            let query = AlertQuery {
                integration: a.integration,
                status: a.status,
                limit: a.limit,
            };
            let list = client(&a.client)?.alerts(&query).await?;
            print(&a.client, &list, |l| render::alert_table(l))
        }
    }
}
