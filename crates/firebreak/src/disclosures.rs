//! Commands over the API: `disclosure …` (alias `disclosures`), the
//! security team's side of responsible disclosure.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};

use firebreak_api::Severity;
use firebreak_api::disclosure::{
    DeclareFromDisclosure, Disclosure, DisclosureDetail, DisclosureFilter, DisclosureReply,
    DisclosureState, MoveDisclosure, SetCvss, SetEmbargo, TriageDisclosure, TriageOutcome,
};

use crate::cli::DisclosureCommand;
use crate::remote::call;
use crate::render;

fn score(d: &Disclosure) -> String {
    match (d.severity, d.cvss_score) {
        (Some(s), Some(c)) => format!("{s} ({c:.1})"),
        (Some(s), None) => s.to_string(),
        _ => "not scored".to_owned(),
    }
}

fn next_due(d: &Disclosure) -> String {
    d.due
        .iter()
        .min_by_key(|x| x.at)
        .map(|x| {
            format!(
                "{} {}{}",
                x.what.label(),
                render::time(&x.at),
                if x.overdue { " OVERDUE" } else { "" }
            )
        })
        .unwrap_or_else(|| "—".to_owned())
}

/// The list as a table.
pub fn list(ds: &[Disclosure]) -> String {
    if ds.is_empty() {
        return "no disclosures\n".to_owned();
    }
    let rows: Vec<Vec<String>> = ds
        .iter()
        .map(|d| {
            vec![
                d.tracking_id.clone(),
                d.state.to_string(),
                score(d),
                next_due(d),
                d.title.clone(),
            ]
        })
        .collect();
    render::table(
        &["TRACKING", "STATE", "SEVERITY", "NEXT DUE", "TITLE"],
        &rows,
    )
}

/// One disclosure in a line.
pub fn one(d: &Disclosure) -> String {
    format!(
        "{} {}: {} · severity {} · next due {}{}",
        d.tracking_id,
        d.state,
        d.title,
        score(d),
        next_due(d),
        d.incident_id
            .map(|i| format!(" · incident {i}"))
            .unwrap_or_default()
    )
}

/// The whole record.
pub fn show(x: &DisclosureDetail) -> String {
    let d = &x.disclosure;
    let mut out = format!(
        "{}: {}\nstate: {}{}\nseverity: {}{}\nreceived: {} by {}\npublic disclosure: {}\n",
        d.tracking_id,
        d.title,
        d.state,
        d.triage_outcome
            .map(|o| format!(
                " ({o}{})",
                d.triage_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ))
            .unwrap_or_default(),
        score(d),
        d.cvss_vector
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        render::time(&d.received_at),
        d.channel,
        render::time(&d.embargo_until),
    );
    for u in &d.due {
        out.push_str(&format!(
            "due: {} by {}{}\n",
            u.what.label(),
            render::time(&u.at),
            if u.overdue { " OVERDUE" } else { "" }
        ));
    }
    out.push_str(&format!("\n{}\n", d.description));
    if !x.messages.is_empty() {
        out.push_str("\nmessages:\n");
        for m in &x.messages {
            out.push_str(&format!(
                "- {} {}{}: {}\n",
                render::time(&m.created_at),
                m.user.as_deref().unwrap_or(&m.author),
                if m.internal { " (internal)" } else { "" },
                m.body
            ));
        }
    }
    if !x.attachments.is_empty() {
        out.push_str("\nfiles:\n");
        for a in &x.attachments {
            out.push_str(&format!(
                "- {} {} bytes sha256 {}\n",
                a.filename.as_deref().unwrap_or("(unnamed)"),
                a.size,
                a.sha256
            ));
        }
    }
    out.push_str("\ntimeline:\n");
    for e in &x.timeline {
        out.push_str(&format!(
            "- {} {} by {}\n",
            render::time(&e.at),
            e.kind,
            e.actor
        ));
    }
    out
}

fn parse_until(raw: &str) -> Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| anyhow!("until: not a date"));
    }
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| anyhow!("until: a date like 2026-09-30 or an RFC 3339 time"))
}

/// `disclosure …`.
pub async fn disclosure(cmd: DisclosureCommand) -> Result<ExitCode> {
    match cmd {
        DisclosureCommand::List(a) => {
            let state = a
                .state
                .as_deref()
                .map(str::parse::<DisclosureState>)
                .transpose()
                .map_err(|e| anyhow!("--state: {e}"))?;
            let filter = DisclosureFilter { state };
            call(
                &a.client,
                async |c| c.disclosures(&filter).await,
                |v| list(v),
            )
            .await
        }
        DisclosureCommand::Create(a) => {
            let req = firebreak_api::disclosure::NewDisclosure {
                title: a.title,
                description: a.description,
                steps: a.steps,
                impact: a.impact,
                asset: a.asset,
                researcher_name: a.name,
                researcher_email: a.email,
                credit: a.credit,
            };
            call(
                &a.client,
                async |c| c.create_disclosure(&req).await,
                |x| {
                    format!(
                        "{}\nstatus link (shown only once): {}",
                        one(&x.disclosure),
                        x.status_url
                    )
                },
            )
            .await
        }
        DisclosureCommand::Show(a) => {
            call(&a.client, async |c| c.disclosure(&a.disclosure).await, show).await
        }
        DisclosureCommand::Reply(a) => {
            let req = DisclosureReply {
                body: a.body,
                internal: a.internal,
            };
            call(
                &a.client,
                async |c| c.reply_disclosure(&a.disclosure, &req).await,
                |x| {
                    format!(
                        "{} {} added",
                        x.disclosure.tracking_id,
                        if req.internal {
                            "internal note"
                        } else {
                            "reply"
                        }
                    )
                },
            )
            .await
        }
        DisclosureCommand::Ack(a) => {
            call(
                &a.client,
                async |c| c.acknowledge_disclosure(&a.disclosure).await,
                one,
            )
            .await
        }
        DisclosureCommand::Triage(a) => {
            let outcome = a
                .outcome
                .parse::<TriageOutcome>()
                .map_err(|e| anyhow!("outcome: {e}"))?;
            let req = TriageDisclosure {
                outcome,
                reason: a.reason,
                duplicate_of: a.duplicate_of,
            };
            call(
                &a.client,
                async |c| c.triage_disclosure(&a.disclosure, &req).await,
                one,
            )
            .await
        }
        DisclosureCommand::Cvss(a) => {
            let req = SetCvss { vector: a.vector };
            call(
                &a.client,
                async |c| c.set_disclosure_cvss(&a.disclosure, &req).await,
                one,
            )
            .await
        }
        DisclosureCommand::Embargo(a) => {
            let req = SetEmbargo {
                embargo_until: parse_until(&a.until)?,
                reason: a.reason,
            };
            call(
                &a.client,
                async |c| c.set_disclosure_embargo(&a.disclosure, &req).await,
                one,
            )
            .await
        }
        DisclosureCommand::State(a) => {
            let state = a
                .state
                .parse::<DisclosureState>()
                .map_err(|e| anyhow!("state: {e}"))?;
            let req = MoveDisclosure {
                state,
                message: a.message,
            };
            call(
                &a.client,
                async |c| c.move_disclosure(&a.disclosure, &req).await,
                one,
            )
            .await
        }
        DisclosureCommand::Declare(a) => {
            let severity = a
                .severity
                .as_deref()
                .map(str::parse::<Severity>)
                .transpose()
                .map_err(|e| anyhow!("--severity: {e}"))?;
            let req = DeclareFromDisclosure {
                severity,
                lead: a.lead,
            };
            call(
                &a.client,
                async |c| c.declare_from_disclosure(&a.disclosure, &req).await,
                one,
            )
            .await
        }
    }
}
