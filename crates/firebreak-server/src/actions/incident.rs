//! Changes to one incident: declaring it, updating its fields and
//! severity, moving its phase through the gates, marking checklist items,
//! notes and members. Each decision runs inside the store's
//! `change_incident` transaction.

use serde_json::json;

use firebreak_api::{
    DeclareIncident, GateItem, ImpactFacts, Incident, MarkItem, MarkStatus, Phase, Severity,
    UpdateIncident,
};
use firebreak_core::auth::{Action, kind_change_refused};
use firebreak_core::phase::ItemAction;
use firebreak_core::severity::{severity_choice_needs_reason, suggest, triage_severity};
use firebreak_core::{GateState, TransitionKind};
use firebreak_store::incidents::{IncidentFields, ItemWrite};
use firebreak_store::{IncidentChange, NewIncident, TimelineEntry};

use crate::error::ApiError;
use crate::escalate::{self, IncidentInfo};
use firebreak_core::escalation::{History, View, decide};

use super::{Ctx, text, title};

fn severity_entry(
    from: Option<Severity>,
    to: Severity,
    facts: &ImpactFacts,
    reason: Option<&str>,
) -> TimelineEntry {
    let s = suggest(facts);
    let summary = match from {
        None => format!("Severity set to {to}"),
        Some(from) if to > from => format!("Severity raised from {from} to {to} (impact grows)"),
        Some(from) => format!("Severity lowered from {from} to {to}"),
    };
    TimelineEntry {
        kind: "severity_changed",
        summary,
        reason: reason.map(str::to_owned),
        details: json!({
            "from": from, "to": to, "suggested": s.severity, "rule": s.rule,
            "rule_explanation": s.rule.explanation(),
        }),
    }
}

/// Declares an incident, directly or from an untriaged report.
pub async fn declare(
    cx: &Ctx<'_>,
    req: &DeclareIncident,
    from_report: Option<i64>,
) -> Result<Incident, ApiError> {
    cx.require(Action::Triage)?;
    let title = title("title", &req.title)?;
    let summary = text("summary", req.summary.as_deref(), false)?.unwrap_or_default();
    let reason = text("severity_reason", req.severity_reason.as_deref(), false)?;
    let facts = req.facts.unwrap_or_default();
    let suggestion = suggest(&facts);
    if let Some(sev) = req.severity
        && severity_choice_needs_reason(None, suggestion.severity, sev)
        && reason.is_none()
    {
        return Err(ApiError::invalid(
            "severity_reason",
            format!(
                "the facts suggest {} ({}); choosing {sev} needs a reason",
                suggestion.severity,
                suggestion.rule.explanation()
            ),
        ));
    }
    let dir = cx.store.directory().await?;
    let owner_id = match &req.owner {
        Some(name) => Some(cx.assignee(&dir, "owner", name)?),
        None => None,
    };
    let lead_id = match &req.lead {
        Some(name) => Some(cx.assignee(&dir, "lead", name)?),
        None => None,
    };
    let service_id = match &req.service {
        Some(name) => Some(cx.service_id("service", name).await?),
        None => None,
    };
    if let Some(report_id) = from_report {
        // The report must exist for this user before it can be declared.
        cx.report(report_id).await?;
    }
    let mut timeline = vec![TimelineEntry {
        kind: "declared",
        summary: match from_report {
            Some(r) => format!("Declared from report {r}: {title}"),
            None => format!("Declared: {title}"),
        },
        reason: None,
        details: json!({"kind": req.kind, "from_report": from_report}),
    }];
    // No severity chosen: the facts' suggestion is the severity, so the
    // escalation rules see it and the page goes out.
    let severity = triage_severity(req.severity, &facts);
    let mut entry = severity_entry(None, severity, &facts, reason.as_deref());
    if req.severity.is_none() {
        entry.summary = format!(
            "Severity set to {severity} (the facts' suggestion: {})",
            suggestion.rule.explanation()
        );
    }
    timeline.push(entry);
    for (who, id) in [("owner", owner_id), ("lead", lead_id)] {
        if let (Some(id), Some(name)) = (
            id,
            if who == "owner" {
                &req.owner
            } else {
                &req.lead
            },
        ) {
            timeline.push(TimelineEntry {
                kind: "assigned",
                summary: format!(
                    "{} assigned: {name}",
                    if who == "owner" {
                        "Owner"
                    } else {
                        "Incident lead"
                    }
                ),
                reason: None,
                details: json!({"role": who, "user_id": id}),
            });
        }
    }
    let decisions = decide(
        &View::default(),
        &View {
            severity: Some(severity),
            facts,
        },
        &History::default(),
    );
    let info = IncidentInfo {
        service: req.service.as_deref(),
        owner_id,
    };
    let (escalations, lines) = escalate::plan(&dir, cx.escalation, &info, &decisions, cx.now);
    timeline.extend(lines);
    let mut members = vec![cx.user.id];
    members.extend(owner_id);
    members.extend(lead_id);
    let new = NewIncident {
        fields: IncidentFields {
            title,
            summary,
            kind: req.kind,
            severity: Some(severity),
            suggested_severity: suggestion.severity,
            severity_rule: suggestion.rule,
            phase: Phase::Triage,
            owner_id,
            lead_id,
            service_id,
            facts,
        },
        from_report,
        timeline,
        members,
        escalations,
    };
    let incident = cx.store.declare_incident(&new, &cx.actor(), cx.now).await?;
    if !new.escalations.is_empty() {
        cx.wake.wake();
    }
    Ok(incident)
}

/// A change that has nothing to write.
struct Unchanged;

enum Refusal {
    Api(ApiError),
    Unchanged(Unchanged),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Api(e)
    }
}

/// Runs a decision through the store, turning refusals into errors and
/// "nothing to change" into the incident as it is.
async fn change(
    cx: &Ctx<'_>,
    id: i64,
    decide: impl FnOnce(&firebreak_store::IncidentState) -> Result<IncidentChange, Refusal>,
) -> Result<Incident, ApiError> {
    match cx
        .store
        .change_incident(id, &cx.actor(), cx.now, decide)
        .await?
    {
        Ok(incident) => Ok(incident),
        Err(Refusal::Api(e)) => Err(e),
        Err(Refusal::Unchanged(_)) => cx.incident(id).await,
    }
}

/// Changes severity, kind, facts, owner, lead, service, title or summary.
pub async fn update(cx: &Ctx<'_>, id: i64, req: &UpdateIncident) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let title = req
        .title
        .as_deref()
        .map(|t| title("title", t))
        .transpose()?;
    let summary = match &req.summary {
        Some(s) => Some(text("summary", Some(s), false)?.unwrap_or_default()),
        None => None,
    };
    let reason = text("reason", req.reason.as_deref(), false)?;
    let dir = cx.store.directory().await?;
    let owner = match &req.owner {
        Some(name) => Some((name.clone(), cx.assignee(&dir, "owner", name)?)),
        None => None,
    };
    let lead = match &req.lead {
        Some(name) => Some((name.clone(), cx.assignee(&dir, "lead", name)?)),
        None => None,
    };
    let service = match &req.service {
        Some(name) => Some((name.clone(), cx.service_id("service", name).await?)),
        None => None,
    };
    let services = cx.store.list_services().await?;
    let role = cx.user.role;
    let incident = change(cx, id, |state| {
        let old = &state.fields;
        let mut c = IncidentChange::from(state, "incident.update");
        let mut changed = Vec::new();
        if let Some(t) = &title
            && *t != old.title
        {
            c.fields.title = t.clone();
            c.timeline.push(TimelineEntry {
                kind: "retitled",
                summary: format!("Title changed to: {t}"),
                reason: None,
                details: json!({"from": old.title}),
            });
            changed.push("title");
        }
        if let Some(s) = &summary
            && *s != old.summary
        {
            c.fields.summary = s.clone();
            c.timeline.push(TimelineEntry {
                kind: "summary_changed",
                summary: "Summary updated".into(),
                reason: None,
                details: json!({}),
            });
            changed.push("summary");
        }
        if let Some(facts) = req.facts
            && facts != old.facts
        {
            c.fields.facts = facts;
            let s = suggest(&facts);
            c.timeline.push(TimelineEntry {
                kind: "facts_changed",
                summary: format!(
                    "Impact facts updated; they now suggest {} ({})",
                    s.severity,
                    s.rule.explanation()
                ),
                reason: reason.clone(),
                details: json!({"from": old.facts, "to": facts}),
            });
            changed.push("facts");
        }
        let suggestion = suggest(&c.fields.facts);
        if let Some(kind) = req.kind
            && kind != old.kind
        {
            if let Some(why) = kind_change_refused(role, old.kind, kind) {
                return Err(ApiError::ForbiddenField {
                    detail: why,
                    field: "kind".into(),
                }
                .into());
            }
            if reason.is_none() {
                return Err(ApiError::invalid("reason", "changing the kind needs a reason").into());
            }
            c.fields.kind = kind;
            c.timeline.push(TimelineEntry {
                kind: "kind_changed",
                summary: format!("Kind changed from {} to {kind}", old.kind),
                reason: reason.clone(),
                details: json!({"from": old.kind, "to": kind}),
            });
            changed.push("kind");
        }
        if let Some(sev) = req.severity
            && Some(sev) != old.severity
        {
            if severity_choice_needs_reason(old.severity, suggestion.severity, sev)
                && reason.is_none()
            {
                let why = match old.severity {
                    Some(_) => "changing the severity needs a reason".to_owned(),
                    None => format!(
                        "the facts suggest {} ({}); choosing {sev} needs a reason",
                        suggestion.severity,
                        suggestion.rule.explanation()
                    ),
                };
                return Err(ApiError::invalid("reason", why).into());
            }
            c.fields.severity = Some(sev);
            c.timeline.push(severity_entry(
                old.severity,
                sev,
                &c.fields.facts,
                reason.as_deref(),
            ));
            changed.push("severity");
        }
        c.fields.suggested_severity = suggestion.severity;
        c.fields.severity_rule = suggestion.rule;
        for (label, who, field, target) in [
            ("Owner", "owner", &owner, &mut c.fields.owner_id),
            ("Incident lead", "lead", &lead, &mut c.fields.lead_id),
        ] {
            if let Some((name, uid)) = field
                && Some(*uid) != *target
            {
                *target = Some(*uid);
                c.add_members.push(*uid);
                c.timeline.push(TimelineEntry {
                    kind: "assigned",
                    summary: format!("{label} assigned: {name}"),
                    reason: reason.clone(),
                    details: json!({"role": who, "user_id": uid}),
                });
                changed.push(who);
            }
        }
        if let Some((name, sid)) = &service
            && Some(*sid) != old.service_id
        {
            c.fields.service_id = Some(*sid);
            c.timeline.push(TimelineEntry {
                kind: "service_changed",
                summary: format!("Service set to {name}"),
                reason: None,
                details: json!({"service_id": sid}),
            });
            changed.push("service");
        }
        if changed.is_empty() {
            return Err(Refusal::Unchanged(Unchanged));
        }
        check_gates(state, &c)?;
        let before = View {
            severity: old.severity,
            facts: old.facts,
        };
        let after = View {
            severity: c.fields.severity,
            facts: c.fields.facts,
        };
        // A closed incident pages nobody, whatever changes.
        let decisions = if state.fields.phase.escalates() {
            decide(&before, &after, &state.history)
        } else {
            Vec::new()
        };
        let service_name = c
            .fields
            .service_id
            .and_then(|sid| services.iter().find(|s| s.id == sid))
            .map(|s| s.name.as_str());
        let info = IncidentInfo {
            service: service_name,
            owner_id: c.fields.owner_id,
        };
        let (escalations, lines) = escalate::plan(&dir, cx.escalation, &info, &decisions, cx.now);
        c.escalations = escalations;
        c.timeline.extend(lines);
        c.audit_details = json!({"changed": changed, "reason": reason});
        Ok(c)
    })
    .await?;
    cx.wake.wake();
    Ok(incident)
}

/// Refuses a change that would leave a gate open behind the phase.
fn check_gates(state: &firebreak_store::IncidentState, c: &IncidentChange) -> Result<(), ApiError> {
    let mut gate: GateState = state.gate();
    gate.kind = c.fields.kind;
    gate.severity = c.fields.severity;
    gate.owner_set = c.fields.owner_id.is_some();
    gate.facts = c.fields.facts;
    gate.check_invariant().map_err(ApiError::from)
}

/// Moves an incident to another phase.
pub async fn transition(
    cx: &Ctx<'_>,
    id: i64,
    to: Phase,
    reason: Option<&str>,
) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let reason = text("reason", reason, false)?;
    change(cx, id, |state| {
        let mut gate = state.gate();
        let from = gate.phase;
        let how = gate
            .check_transition(to, reason.as_deref())
            .map_err(ApiError::from)?;
        gate.apply_transition(to, &how);
        let mut c = IncidentChange::from(state, "incident.transition");
        c.fields.phase = to;
        let reopened: Vec<GateItem> = match &how {
            TransitionKind::Backward { reopened } => reopened.clone(),
            TransitionKind::Forward => Vec::new(),
        };
        c.items = reopened
            .iter()
            .map(|item| ItemWrite {
                item: *item,
                status: firebreak_api::ItemStatus::Open,
                note: None,
            })
            .collect();
        let summary = match &how {
            TransitionKind::Forward => format!("Moved from {} to {}", from.label(), to.label()),
            TransitionKind::Backward { .. } => {
                format!("Moved back from {} to {}", from.label(), to.label())
            }
        };
        c.timeline.push(TimelineEntry {
            kind: "phase_changed",
            summary,
            reason: reason.clone(),
            details: json!({"from": from, "to": to, "reopened": reopened}),
        });
        c.audit_details = json!({"from": from, "to": to, "reason": reason});
        Ok(c)
    })
    .await
}

/// Marks a checklist item done or waived.
pub async fn mark(
    cx: &Ctx<'_>,
    id: i64,
    item: GateItem,
    req: &MarkItem,
) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let note = text("note", req.note.as_deref(), false)?;
    let reason = text("reason", req.reason.as_deref(), false)?;
    let (action, said) = match req.status {
        MarkStatus::Done => (ItemAction::Done, note.clone()),
        MarkStatus::Waived => (ItemAction::Waive, reason.clone()),
    };
    change(cx, id, |state| {
        let gate = state.gate();
        gate.check_item(item, action, said.as_deref())
            .map_err(ApiError::from)?;
        let mut c = IncidentChange::from(state, "incident.checklist");
        let status = match action {
            ItemAction::Done => firebreak_api::ItemStatus::Done,
            ItemAction::Waive => firebreak_api::ItemStatus::Waived,
        };
        c.items.push(ItemWrite {
            item,
            status,
            note: said.clone(),
        });
        let summary = match (action, &said) {
            (ItemAction::Done, Some(n)) => format!("{}: done ({n})", item.label()),
            (ItemAction::Done, None) => format!("{}: done", item.label()),
            (ItemAction::Waive, _) => format!("{}: waived", item.label()),
        };
        c.timeline.push(TimelineEntry {
            kind: "checklist",
            summary,
            reason: if action == ItemAction::Waive {
                said.clone()
            } else {
                None
            },
            details: json!({"item": item, "status": status, "phase": item.phase()}),
        });
        c.audit_details = json!({"item": item, "status": status, "text": said});
        Ok(c)
    })
    .await
}

/// Adds a note to the incident's timeline.
pub async fn note(cx: &Ctx<'_>, id: i64, body: &str) -> Result<Incident, ApiError> {
    cx.require(Action::AddNote)?;
    cx.incident(id).await?;
    let body = text("body", Some(body), true)?.unwrap_or_default();
    change(cx, id, |state| {
        let mut c = IncidentChange::from(state, "incident.note");
        c.note = Some(body.clone());
        c.timeline.push(TimelineEntry {
            kind: "note",
            summary: body.clone(),
            reason: None,
            details: json!({}),
        });
        c.audit_details = json!({"length": body.len()});
        Ok(c)
    })
    .await
}

/// Adds a person to the incident: on a security incident this is what lets
/// someone outside the security team see it.
pub async fn add_member(cx: &Ctx<'_>, id: i64, name: &str) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let uid = cx.user_id("user", name).await?;
    let name = name.to_owned();
    change(cx, id, |state| {
        if state.members.contains(&uid) {
            return Err(Refusal::Unchanged(Unchanged));
        }
        let mut c = IncidentChange::from(state, "incident.member_add");
        c.add_members.push(uid);
        c.timeline.push(TimelineEntry {
            kind: "member_added",
            summary: format!("{name} added to the incident"),
            reason: None,
            details: json!({"user_id": uid}),
        });
        c.audit_details = json!({"user": name});
        Ok(c)
    })
    .await
}
