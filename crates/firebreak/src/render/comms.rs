//! How `notices list` prints an incident's customer communication.

use firebreak_api::comms::{Communication, Need};

use super::{table, time};

/// What is owed (overdue first in words), the recipients, and the notices.
pub fn communication(c: &Communication) -> String {
    let mut out = String::new();
    if c.due.is_empty() {
        out.push_str("Nothing is due.\n");
    }
    for d in &c.due {
        let need = match d.need {
            Need::Required => "required",
            Need::Offered => "offered",
        };
        let when = if d.overdue {
            format!("OVERDUE since {}", time(&d.overdue_at))
        } else {
            format!("due {}", time(&d.due_at))
        };
        out.push_str(&format!("{} ({need}), {when}: {}\n", d.kind, d.why));
    }
    if c.blocks_close {
        out.push_str("A required notice is unsent: the incident cannot close.\n");
    }
    match c.affected_mode {
        None => out.push_str("Affected customers: not chosen yet.\n"),
        Some(m) => {
            let names: Vec<&str> = c.affected.iter().map(|a| a.name.as_str()).collect();
            out.push_str(&format!("Affected customers ({m}): {}\n", names.join(", ")));
        }
    }
    let rows: Vec<Vec<String>> = c
        .notices
        .iter()
        .map(|n| {
            vec![
                n.id.to_string(),
                n.kind.to_string(),
                n.sent_at
                    .as_ref()
                    .map(time)
                    .unwrap_or_else(|| "draft".into()),
                n.recipients.len().to_string(),
                n.subject.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(&["ID", "KIND", "SENT", "TO", "SUBJECT"], &rows));
    }
    out
}
