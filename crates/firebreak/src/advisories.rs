//! Commands over the API: `advisory …`, a disclosure's advisory drafted,
//! shown, edited, published and listed.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;

use firebreak_api::disclosure::{Advisory, AdvisoryEdit};

use crate::cli::AdvisoryCommand;
use crate::remote::call;

pub async fn advisory(cmd: AdvisoryCommand) -> Result<ExitCode> {
    match cmd {
        AdvisoryCommand::Draft(a) => {
            call(
                &a.client,
                async |c| c.draft_advisory(a.disclosure).await,
                render_advisory,
            )
            .await
        }
        AdvisoryCommand::Show(a) => {
            call(
                &a.client,
                async |c| c.advisory_of_disclosure(a.disclosure).await,
                render_advisory,
            )
            .await
        }
        AdvisoryCommand::Edit(a) => {
            let edit = AdvisoryEdit {
                title: a.title,
                summary: a.summary,
                affected: a.affected,
                fix: a.fix,
                credit: a.credit,
            };
            call(
                &a.client,
                async |c| c.edit_advisory(a.advisory, &edit).await,
                render_advisory,
            )
            .await
        }
        AdvisoryCommand::Publish(a) => {
            call(
                &a.client,
                async |c| c.publish_advisory(a.advisory).await,
                |v| {
                    format!(
                        "advisory {} published at /security/advisories/{}",
                        v.id, v.slug
                    )
                },
            )
            .await
        }
        AdvisoryCommand::List(a) => {
            call(
                &a.client,
                async |c| c.advisories().await,
                |v| render_list(v),
            )
            .await
        }
    }
}

fn severity(a: &Advisory) -> String {
    let mut s = a
        .severity
        .map_or_else(|| "not scored".to_owned(), |v| v.to_string());
    if let Some(score) = a.cvss_score {
        let _ = write!(s, " {score:.1}");
    }
    s
}

/// One advisory for people.
pub fn render_advisory(a: &Advisory) -> String {
    let mut s = format!(
        "advisory {} ({}) of disclosure {}: {}\n",
        a.id, a.state, a.disclosure_id, a.slug
    );
    let _ = writeln!(s, "title:    {}", a.title);
    let _ = writeln!(s, "severity: {}", severity(a));
    if let Some(v) = &a.cvss_vector {
        let _ = writeln!(s, "vector:   {v}");
    }
    let _ = writeln!(s, "affected: {}", a.affected);
    let _ = writeln!(s, "fix:      {}", a.fix);
    let _ = writeln!(s, "credit:   {}", a.credit.as_deref().unwrap_or("(none)"));
    if let Some(p) = a.published_at {
        let _ = writeln!(s, "published: {}", p.format("%Y-%m-%d %H:%M UTC"));
    }
    let _ = write!(s, "\n{}", a.summary);
    s
}

/// The list for people: one line each.
pub fn render_list(all: &[Advisory]) -> String {
    if all.is_empty() {
        return "no advisories".to_owned();
    }
    let mut s = String::new();
    for a in all {
        let _ = writeln!(
            s,
            "{:>4}  {:<9}  {:<16}  {:<12}  {}",
            a.id,
            a.state,
            a.slug,
            severity(a),
            a.title
        );
    }
    s
}
