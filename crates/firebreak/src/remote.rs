//! Commands over the API: `incident …` and `report …`. Each sends one or two
//! requests through `firebreak-client` and prints the answer, as pretty
//! JSON with `--json` or as text for people (see [`crate::render`]).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use firebreak_api::{
    AddMember, DeclareFromReport, DeclareIncident, DismissReport, Escalate, ImpactFacts,
    IncidentFilter, LinkReport, MarkItem, MarkStatus, NewNote, NewReport, ReportFilter, Transition,
    UpdateIncident,
};
use firebreak_client::Client;

use crate::cli::{ClientArgs, IncidentCommand, NoticesCommand, ReportCommand};
use crate::render;

pub(crate) fn client(args: &ClientArgs) -> Result<Client> {
    Ok(Client::new(&args.url, args.token.as_deref().unwrap_or(""))?)
}

/// Sends one request through a client for `args` and prints its answer,
/// as [`print`] does.
pub(crate) async fn call<T: Serialize>(
    args: &ClientArgs,
    request: impl AsyncFnOnce(&Client) -> firebreak_client::Result<T>,
    human: impl FnOnce(&T) -> String,
) -> Result<ExitCode> {
    let value = request(&client(args)?).await?;
    print(args, &value, human)
}

/// Prints `value` as pretty JSON, or the text `human` makes of it.
pub(crate) fn print<T: Serialize>(
    args: &ClientArgs,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> Result<ExitCode> {
    let mut text = if args.json {
        serde_json::to_string_pretty(value).context("cannot encode JSON")?
    } else {
        human(value)
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    emit(&text)
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an
/// error: the command did its work, and the rest is not wanted.
pub(crate) fn emit(text: &str) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// Impact facts from their names (already checked by clap).
fn facts(names: &[String]) -> Result<Option<ImpactFacts>> {
    if names.is_empty() {
        return Ok(None);
    }
    let facts = ImpactFacts::from_names(names).context("invalid impact fact")?;
    Ok(Some(facts))
}

pub async fn incident(cmd: IncidentCommand) -> Result<ExitCode> {
    match cmd {
        IncidentCommand::Declare(a) => {
            let req = DeclareIncident {
                title: a.title,
                summary: a.summary,
                kind: a.class.kind,
                severity: a.class.severity,
                severity_reason: a.class.reason,
                facts: facts(&a.facts.facts)?,
                owner: a.people.owner,
                lead: a.people.lead,
                service: a.service,
            };
            call(
                &a.client,
                async |c| c.declare_incident(&req).await,
                |i| format!("declared {}\n{}", i.reference, render::incident_header(i)),
            )
            .await
        }
        IncidentCommand::List(a) => {
            let filter = IncidentFilter {
                phase: a.phase,
                severity: a.severity,
                kind: a.kind,
                open: if a.open {
                    Some(true)
                } else if a.closed {
                    Some(false)
                } else {
                    None
                },
                ..IncidentFilter::default()
            };
            call(
                &a.client,
                async |c| c.list_incidents(&filter).await,
                |l| render::incident_table(l),
            )
            .await
        }
        IncidentCommand::Show(a) => {
            let c = client(&a.client)?;
            let inc = c.incident(&a.id).await?;
            let events = c.timeline(&inc.reference).await?;
            if a.client.json {
                // The incident's own fields, plus its timeline.
                let mut value = serde_json::to_value(&inc).context("cannot encode JSON")?;
                if let serde_json::Value::Object(map) = &mut value {
                    map.insert(
                        "timeline".to_owned(),
                        serde_json::to_value(&events).context("cannot encode JSON")?,
                    );
                }
                print(&a.client, &value, |_| String::new())
            } else {
                print(&a.client, &inc, |i| render::incident_full(i, &events))
            }
        }
        IncidentCommand::Transition(a) => {
            let req = Transition {
                to: a.to,
                reason: a.reason,
            };
            call(
                &a.client,
                async |c| c.transition(&a.id, &req).await,
                |i| format!("{} is now in {}", i.reference, i.phase.label()),
            )
            .await
        }
        IncidentCommand::Check(a) => {
            let req = if a.waive {
                MarkItem {
                    status: MarkStatus::Waived,
                    note: None,
                    reason: a.reason,
                }
            } else {
                MarkItem {
                    status: MarkStatus::Done,
                    note: a.note,
                    reason: None,
                }
            };
            call(
                &a.client,
                async |c| c.mark_item(&a.id, a.item, &req).await,
                |i| {
                    let status = i
                        .checklist
                        .iter()
                        .find(|e| e.item == a.item)
                        .map_or("updated", |e| e.status.as_str());
                    format!("{}: {} {status}", i.reference, a.item)
                },
            )
            .await
        }
        IncidentCommand::Note(a) => {
            call(
                &a.client,
                async |c| c.add_note(&a.id, &NewNote { body: a.text }).await,
                |n| {
                    format!(
                        "note {} added to {}",
                        n.id,
                        firebreak_api::incident_ref(n.incident_id)
                    )
                },
            )
            .await
        }
        IncidentCommand::Assign(a) => {
            let req = UpdateIncident {
                owner: a.people.owner,
                lead: a.people.lead,
                ..UpdateIncident::default()
            };
            call(
                &a.client,
                async |c| c.update_incident(&a.id, &req).await,
                |i| {
                    format!(
                        "{}: owner {}, lead {}",
                        i.reference,
                        render::user(i.owner.as_ref()),
                        render::user(i.lead.as_ref())
                    )
                },
            )
            .await
        }
        IncidentCommand::Severity(a) => {
            let req = UpdateIncident {
                severity: Some(a.severity),
                reason: Some(a.reason),
                ..UpdateIncident::default()
            };
            call(
                &a.client,
                async |c| c.update_incident(&a.id, &req).await,
                |i| format!("{}: severity {}", i.reference, render::severity(i)),
            )
            .await
        }
        IncidentCommand::Timeline(a) => {
            call(
                &a.client,
                async |c| c.timeline(&a.id).await,
                |e| render::timeline(e),
            )
            .await
        }
        IncidentCommand::Member(a) => {
            call(
                &a.client,
                async |c| {
                    c.add_member(
                        &a.id,
                        &AddMember {
                            user: a.user.clone(),
                        },
                    )
                    .await
                },
                |i| format!("{} added to {}", a.user, i.reference),
            )
            .await
        }
        IncidentCommand::Ack(a) => {
            let c = client(&a.client)?;
            let ack = c.acknowledge(&a.id).await?;
            print(&a.client, &ack, |k| {
                let reference = firebreak_api::incident_ref(k.incident_id);
                match k.chains {
                    0 => format!("{reference}: no active page to acknowledge"),
                    1 => format!("{reference}: acknowledged; escalation stopped (1 page chain)"),
                    n => format!("{reference}: acknowledged; escalation stopped ({n} page chains)"),
                }
            })
        }
        IncidentCommand::Escalate(a) => {
            let c = client(&a.client)?;
            let inc = c
                .escalate(
                    &a.id,
                    &Escalate {
                        to: a.to.clone(),
                        reason: a.reason,
                    },
                )
                .await?;
            if a.client.json {
                return print(&a.client, &inc, |_| String::new());
            }
            // Say who was reached: the newest escalation is this one.
            let escalations = c.escalations(&inc.reference).await?;
            print(&a.client, &inc, |i| match escalations.last() {
                // The recipient when `to` named a role (or nobody could be
                // found for it).
                Some(e) if e.to != a.to => format!(
                    "{}: escalated to {} ({}): {}",
                    i.reference, a.to, e.to, e.reason
                ),
                Some(e) => format!("{}: escalated to {}: {}", i.reference, a.to, e.reason),
                None => format!("{}: escalated to {}", i.reference, a.to),
            })
        }
        IncidentCommand::Escalations(a) => {
            call(
                &a.client,
                async |c| c.escalations(&a.id).await,
                |l| render::escalation_table(l),
            )
            .await
        }
        IncidentCommand::Notifications(a) => {
            call(
                &a.client,
                async |c| c.notifications(&a.id).await,
                |l| render::notification_table(l),
            )
            .await
        }
        IncidentCommand::Affected(a) => crate::customers::affected(a).await,
        IncidentCommand::Components(a) => crate::customers::incident_components(a).await,
    }
}

pub async fn report(cmd: ReportCommand) -> Result<ExitCode> {
    match cmd {
        ReportCommand::Submit(a) => {
            let req = NewReport {
                title: a.title,
                description: a.description,
                source: a.source,
                reporter: a.reporter,
                confidential: a.confidential.then_some(true),
                service: a.service,
            };
            call(
                &a.client,
                async |c| c.submit_report(&req).await,
                |r| format!("report {} submitted ({})", r.id, r.status.as_str()),
            )
            .await
        }
        ReportCommand::List(a) => {
            let filter = ReportFilter {
                status: a.status,
                source: a.source,
            };
            call(
                &a.client,
                async |c| c.reports(&filter).await,
                |l| render::report_table(l),
            )
            .await
        }
        ReportCommand::Show(a) => {
            call(
                &a.client,
                async |c| c.report(a.id).await,
                render::report_full,
            )
            .await
        }
        ReportCommand::Declare(a) => {
            let req = DeclareFromReport {
                title: a.title,
                kind: a.class.kind,
                severity: a.class.severity,
                severity_reason: a.class.reason,
                facts: facts(&a.facts.facts)?,
                owner: a.people.owner,
                lead: a.people.lead,
            };
            call(
                &a.client,
                async |c| c.declare_report(a.id, &req).await,
                |i| {
                    format!(
                        "report {} declared as {}\n{}",
                        a.id,
                        i.reference,
                        render::incident_header(i)
                    )
                },
            )
            .await
        }
        ReportCommand::Link(a) => {
            call(
                &a.client,
                async |c| {
                    c.link_report(
                        a.id,
                        &LinkReport {
                            incident: a.incident,
                        },
                    )
                    .await
                },
                |r| {
                    format!(
                        "report {} linked to {}",
                        r.id,
                        r.incident_ref.as_deref().unwrap_or("-")
                    )
                },
            )
            .await
        }
        ReportCommand::Dismiss(a) => {
            call(
                &a.client,
                async |c| {
                    c.dismiss_report(a.id, &DismissReport { reason: a.reason })
                        .await
                },
                |r| format!("report {} dismissed", r.id),
            )
            .await
        }
    }
}

/// `notices …`: an incident's customer communication.
pub async fn notices(cmd: NoticesCommand) -> Result<ExitCode> {
    use firebreak_api::comms::{DraftNotice, NoticeKind, PublicStatus, SendNotice};
    match cmd {
        NoticesCommand::List(a) => {
            call(
                &a.client,
                async |c| c.communication(&a.incident).await,
                render::communication,
            )
            .await
        }
        NoticesCommand::Draft(a) => {
            let kind = a
                .kind
                .as_deref()
                .map(str::parse::<NoticeKind>)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
            let public_status = a
                .public_status
                .as_deref()
                .map(str::parse::<PublicStatus>)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--public-status: {e}"))?;
            let req = DraftNotice {
                kind,
                title: a.title,
                impact: a.impact,
                actions: a.actions,
                next_update_at: None,
                internal_note: a.internal_note,
                public_status,
                on_status_page: a.status_page.then_some(true),
                to_customers: None,
            };
            call(
                &a.client,
                async |c| c.draft_notice(&a.incident, &req).await,
                |n| {
                    format!(
                        "draft {} ({})\nSubject: {}\n\n{}",
                        n.id, n.kind, n.subject, n.body
                    )
                },
            )
            .await
        }
        NoticesCommand::Send(a) => {
            let req = SendNotice {
                approved: a.approve,
            };
            call(
                &a.client,
                async |c| c.send_notice(&a.incident, a.notice, &req).await,
                |n| {
                    format!(
                        "notice {} sent to {} contact(s){}",
                        n.id,
                        n.recipients.len(),
                        if n.on_status_page {
                            " and posted on the status page"
                        } else {
                            ""
                        }
                    )
                },
            )
            .await
        }
    }
}
