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

use firebreak_client::{
    AlertQuery, Client, CreateIntegration, MaintenanceBody, RuleBody, SilenceBody,
};

use crate::cli::{
    AlertCommand, IntegrationCommand, MaintenanceCommand, RuleCommand, SilenceCommand,
};
use crate::remote::{call, client, print};
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
            call(
                &a.client,
                async |c| c.create_integration(&req).await,
                |c| {
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
                },
            ).await
        }
        IntegrationCommand::List(a) => call(
            &a.client,
            Client::integrations,
            |l| render::integration_table(l),
        ).await,
        IntegrationCommand::Show(a) => call(
            &a.client,
            async |c| c.integration(a.id).await,
            render::integration_full,
        ).await,
        IntegrationCommand::RotateKey(a) => call(
            &a.client,
            async |c| c.rotate_integration_key(a.id).await,
            |c| {
                format!(
                    "integration {} {}: new key; the old one no longer works\n{}",
                    c.integration.id,
                    c.integration.name,
                    render::integration_key(c)
                )
            },
        ).await,
        IntegrationCommand::AutoDeclare(a) => call(
            &a.client,
            async |c| c.set_integration_auto_declare(a.id, a.setting).await,
            |i| {
                format!(
                    "integration {} {}: {}",
                    i.id,
                    i.name,
                    render::auto_declare(i)
                )
            },
        ).await,
        IntegrationCommand::Disable(a) => call(
            &a.client,
            async |c| c.disable_integration(a.id).await,
            |i| {
                format!(
                    "integration {} {} disabled: its key no longer works; its alerts and reports stay",
                    i.id, i.name
                )
            },
        ).await,
    }
}

pub async fn rule(cmd: RuleCommand) -> Result<ExitCode> {
    match cmd {
        RuleCommand::List(a) => call(&a.client, Client::rules, |l| render::rule_table(l)).await,
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
            call(
                &a.client,
                async |c| c.create_rule(&req).await,
                |r| {
                    format!(
                        "rule {} `{}` added at position {}{}: {} → {}",
                        r.id,
                        r.name,
                        r.position,
                        if r.enabled { "" } else { " (disabled)" },
                        render::matchers(&r.matchers),
                        render::rule_effect(r)
                    )
                },
            )
            .await
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
            call(&a.client, Client::silences, |l| {
                render::silence_table(l, Utc::now())
            })
            .await
        }
        SilenceCommand::Add(a) => {
            let req = SilenceBody {
                matchers: a.matchers,
                starts_at: a.period.from,
                ends_at: a.period.until,
                reason: a.reason,
            };
            call(
                &a.client,
                async |c| c.create_silence(&req).await,
                |s| {
                    format!(
                        "silence {} added, {}: {}",
                        s.id,
                        render::period(&s.starts_at, &s.ends_at),
                        render::matchers(&s.matchers)
                    )
                },
            )
            .await
        }
        SilenceCommand::Expire(a) => {
            call(
                &a.client,
                async |c| c.expire_silence(a.id).await,
                |s| {
                    format!(
                        "silence {} expired at {}",
                        s.id,
                        render::time(s.expired_at.as_ref().unwrap_or(&s.ends_at))
                    )
                },
            )
            .await
        }
    }
}

pub async fn maintenance(cmd: MaintenanceCommand) -> Result<ExitCode> {
    match cmd {
        MaintenanceCommand::List(a) => {
            call(&a.client, Client::maintenance_windows, |l| {
                render::maintenance_table(l, Utc::now())
            })
            .await
        }
        MaintenanceCommand::Add(a) => {
            let req = MaintenanceBody {
                service: a.service,
                starts_at: a.period.from,
                ends_at: a.period.until,
                reason: a.reason,
                public_title: a.public_title,
                public_body: a.public_body,
            };
            call(
                &a.client,
                async |c| c.create_maintenance(&req).await,
                |m| {
                    format!(
                        "maintenance window {} for {} added, {}",
                        m.id,
                        m.service,
                        render::period(&m.starts_at, &m.ends_at)
                    )
                },
            )
            .await
        }
        MaintenanceCommand::End(a) => {
            call(
                &a.client,
                async |c| c.end_maintenance(a.id).await,
                |m| {
                    format!(
                        "maintenance window {} for {} ended at {}",
                        m.id,
                        m.service,
                        render::time(&m.ends_at)
                    )
                },
            )
            .await
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
            call(
                &a.client,
                async |c| c.alerts(&query).await,
                |l| render::alert_table(l),
            )
            .await
        }
    }
}
