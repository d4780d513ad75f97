//! The notice template: a fixed format over the public fields (title,
//! impact, what we are doing, next update), each bounded; the subject and
//! body it renders are what is sent, word for word. The internal note is
//! never rendered.

use chrono::{DateTime, Utc};

use firebreak_api::Phase;
use firebreak_api::comms::{MAX_NOTICE_TEXT, MAX_NOTICE_TITLE, NoticeKind, PublicStatus};
use firebreak_store::comms::NoticeWrite;

use crate::error::ApiError;

/// A notice's fields before checking.
#[derive(Debug, Clone)]
pub struct Fields {
    pub kind: NoticeKind,
    pub title: String,
    pub impact: String,
    pub actions: String,
    pub next_update_at: Option<DateTime<Utc>>,
    pub internal_note: String,
    pub public_status: PublicStatus,
    pub on_status_page: bool,
    pub to_customers: bool,
}

/// The title a draft starts with: the incident's for most incidents; never
/// a security incident's internal title.
/// The default public title: never drawn from the incident's internal
/// title or summary, only from the affected components' (public) names.
pub fn default_title(security: bool, components: &[String]) -> String {
    if security {
        "Security incident".to_owned()
    } else if components.is_empty() {
        "Service disruption".to_owned()
    } else {
        format!("Service disruption: {}", components.join(", "))
    }
}

pub fn default_impact(security: bool) -> &'static str {
    if security {
        "We are investigating a security issue. We will tell you directly if your data is affected."
    } else {
        "Some customers may see errors or slow responses."
    }
}

pub fn default_actions(phase: Phase) -> &'static str {
    match phase {
        Phase::Triage => "We are investigating the cause.",
        Phase::Containment => "We have identified the issue and are limiting its impact.",
        Phase::Remediation => "The impact is contained; we are deploying a fix.",
        Phase::Recovery => "A fix is in place; we are monitoring the recovery.",
        Phase::PostIncident | Phase::Closed => {
            "The issue is resolved; we are reviewing what happened."
        }
    }
}

fn bounded(field: &str, value: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ApiError::invalid(field, format!("`{field}` is required")));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` has control characters"),
        ));
    }
    Ok(v.replace("\r\n", "\n"))
}

/// Checks `f`'s bounds and renders its subject and body.
pub fn checked(f: Fields) -> Result<NoticeWrite, ApiError> {
    let title = crate::actions::title("title", &f.title)?;
    if title.chars().count() > MAX_NOTICE_TITLE {
        return Err(ApiError::invalid(
            "title",
            format!("`title` is longer than {MAX_NOTICE_TITLE} characters"),
        ));
    }
    let impact = bounded("impact", &f.impact, MAX_NOTICE_TEXT, true)?;
    let actions = bounded("actions", &f.actions, MAX_NOTICE_TEXT, true)?;
    let internal_note = bounded("internal_note", &f.internal_note, MAX_NOTICE_TEXT, false)?;
    if !f.on_status_page && !f.to_customers {
        return Err(ApiError::invalid(
            "to_customers",
            "a notice goes to the affected customers, the status page or both",
        ));
    }
    if f.kind == NoticeKind::StatusPost && f.to_customers {
        return Err(ApiError::invalid(
            "to_customers",
            "a status page post is not sent to customers: choose another kind",
        ));
    }
    if f.kind != NoticeKind::StatusPost && !f.to_customers {
        return Err(ApiError::invalid(
            "to_customers",
            format!(
                "a {} goes to the affected customers; for the status page alone choose a status page post",
                f.kind.label().to_lowercase()
            ),
        ));
    }
    Ok(Fields {
        title,
        impact,
        actions,
        internal_note,
        ..f
    }
    .into())
}

/// The subject and body of `f`, in the fixed format.
pub fn render(f: &Fields) -> (String, String) {
    let subject = format!("[{}] {}", f.public_status.label(), f.title);
    let mut body = format!(
        "{}\n\nStatus: {}\n\nImpact:\n{}\n\nWhat we are doing:\n{}\n",
        f.title,
        f.public_status.label(),
        f.impact,
        f.actions
    );
    if let Some(at) = f.next_update_at {
        body.push_str(&format!(
            "\nNext update: by {}\n",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            kind: NoticeKind::CustomerNotice,
            title: "Checkout errors".into(),
            impact: "Some payments fail.".into(),
            actions: "We rolled back.".into(),
            next_update_at: None,
            internal_note: "MARKER the db is on fire".into(),
            public_status: PublicStatus::Identified,
            on_status_page: true,
            to_customers: true,
        }
    }

    #[test]
    fn the_internal_note_is_never_rendered_and_bounds_name_the_field() {
        let w = checked(fields()).unwrap();
        assert_eq!(w.subject, "[Identified] Checkout errors");
        assert!(!w.body.contains("MARKER") && !w.subject.contains("MARKER"));
        assert!(w.body.contains("Some payments fail."));
        let mut long = fields();
        long.impact = "x".repeat(MAX_NOTICE_TEXT + 1);
        let e = checked(long).unwrap_err();
        assert!(format!("{e:?}").contains("impact"), "{e:?}");
        let mut nowhere = fields();
        nowhere.on_status_page = false;
        nowhere.to_customers = false;
        assert!(format!("{:?}", checked(nowhere).unwrap_err()).contains("to_customers"));
    }
}
