//! The one place where incidents and reports change.
//!
//! Each action (1) checks the actor's permission and that the record exists
//! for them, (2) asks `firebreak-core` whether the change is allowed and what
//! it implies, and (3) hands the store one change to write in one
//! transaction with its timeline events and audit entry. The JSON API, the
//! web pages and (through the API) the CLI all call these functions; there
//! is no second path.

use chrono::{DateTime, Utc};
use serde_json::json;

use firebreak_api::{
    DeclareIncident, DismissReport, GateItem, ImpactFacts, Incident, MarkItem, MarkStatus,
    NewReport, Phase, Report, ReportSource, Severity, UpdateIncident, User,
};
use firebreak_core::auth::{Action, allowed, can_see_confidential, kind_change_refused};
use firebreak_core::phase::ItemAction;
use firebreak_core::severity::{severity_choice_needs_reason, suggest, triage_severity};
use firebreak_core::{GateState, TransitionKind};
use firebreak_store::incidents::{IncidentFields, ItemWrite};
use firebreak_store::{
    Actor, IncidentChange, NewIncident, NewReportRecord, Reader, Store, TimelineEntry,
};

use crate::error::ApiError;
use crate::escalate::{self, EscalationConfig, IncidentInfo};
use firebreak_core::escalation::{Audience, Decision, History, Rule, View, decide};

/// Longest title accepted, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest free text (summary, description, note, reason), in characters.
pub const MAX_TEXT: usize = 20_000;

/// Who is acting, and when.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub user: &'a User,
    pub now: DateTime<Utc>,
    pub escalation: &'a EscalationConfig,
    /// Wakes the workers when a change queued work for them.
    pub wake: &'a crate::Waker,
}

impl Ctx<'_> {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.name)
    }

    pub fn reader(&self) -> Reader {
        Reader {
            user_id: self.user.id,
            sees_all_confidential: can_see_confidential(self.user.role, false),
        }
    }

    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if allowed(self.user.role, action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "role `{}` may not {}",
                self.user.role, action
            )))
        }
    }

    /// The incident if it exists for this user: security incidents are
    /// missing, not forbidden, to everyone the rule does not admit.
    pub async fn incident(&self, id: i64) -> Result<Incident, ApiError> {
        self.require(Action::Read)?;
        self.store
            .incident(id, &self.reader())
            .await?
            .ok_or_else(|| ApiError::NotFound(firebreak_api::incident_ref(id)))
    }

    pub async fn report(&self, id: i64) -> Result<Report, ApiError> {
        self.require(Action::Read)?;
        self.store
            .report(id, &self.reader(), self.now)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("report {id}")))
    }

    async fn user_id(&self, field: &str, name: &str) -> Result<i64, ApiError> {
        match self.store.user_by_name(name).await? {
            Some(u) if !u.disabled => Ok(u.id),
            _ => Err(ApiError::invalid(field, format!("no user named `{name}`"))),
        }
    }

    /// The user `name` if they may be made owner or incident lead
    /// ([`escalate::assignable`]); refused naming `field` otherwise.
    fn assignee(
        &self,
        dir: &firebreak_store::Directory,
        field: &str,
        name: &str,
    ) -> Result<i64, ApiError> {
        escalate::assignable(dir, name).map_err(|why| ApiError::invalid(field, why))
    }

    async fn service_id(&self, field: &str, name: &str) -> Result<i64, ApiError> {
        match self.store.service_by_name(name).await? {
            Some(s) => Ok(s.id),
            None => Err(ApiError::invalid(
                field,
                format!("no service named `{name}`"),
            )),
        }
    }
}

/// Checks a required single-line text field.
pub fn title(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if v.chars().count() > MAX_TITLE {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_TITLE} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must be one line"),
        ));
    }
    Ok(v.to_owned())
}

/// Checks free text; `required` refuses empty text.
pub fn text(field: &str, value: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let v = value.map(str::trim).filter(|v| !v.is_empty());
    match v {
        None if required => Err(ApiError::invalid(field, format!("`{field}` is required"))),
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => Err(ApiError::invalid(
            field,
            format!("`{field}` is longer than {MAX_TEXT} characters"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

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

/// Escalates by hand: to the incident lead (a page by policy), to
/// leadership, or to one user (a page).
pub async fn escalate_manual(
    cx: &Ctx<'_>,
    id: i64,
    to: &str,
    reason: &str,
) -> Result<Incident, ApiError> {
    cx.require(Action::Respond)?;
    let incident = cx.incident(id).await?;
    if !incident.phase.escalates() {
        return Err(ApiError::invalid(
            "phase",
            format!(
                "{} is {}: a closed incident cannot be escalated",
                incident.reference,
                incident.phase.label()
            ),
        ));
    }
    let reason = text("reason", Some(reason), true)?.unwrap_or_default();
    let audience = match to.trim() {
        "incident_lead" => Audience::IncidentLead,
        "leadership" => Audience::Leadership,
        name => {
            cx.user_id("to", name).await?;
            Audience::User(name.to_owned())
        }
    };
    let decision = Decision {
        rule: Rule::Manual,
        audience,
        page: true,
        reason: format!("{} escalated by hand: {reason}", cx.user.name),
    };
    let dir = cx.store.directory().await?;
    let info = IncidentInfo {
        service: incident.service.as_deref(),
        owner_id: incident.owner.as_ref().map(|o| o.id),
    };
    let (writes, lines) = escalate::plan(
        &dir,
        cx.escalation,
        &info,
        std::slice::from_ref(&decision),
        cx.now,
    );
    cx.store
        .escalate(id, &writes, &lines, &cx.actor(), cx.now)
        .await?;
    cx.wake.wake();
    cx.incident(id).await
}

/// Acknowledges an incident's active pages: their escalation stops.
pub async fn acknowledge(cx: &Ctx<'_>, id: i64) -> Result<firebreak_api::Acknowledged, ApiError> {
    cx.require(Action::Respond)?;
    cx.incident(id).await?;
    let (incident_id, chains) = cx
        .store
        .acknowledge(Some(id), None, &cx.actor(), cx.now)
        .await?;
    Ok(firebreak_api::Acknowledged {
        incident_id,
        chains,
    })
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

/// Submits a report to the triage queue.
pub async fn submit_report(
    cx: &Ctx<'_>,
    req: &NewReport,
    default_source: ReportSource,
) -> Result<Report, ApiError> {
    cx.require(Action::SubmitReport)?;
    let title = title("title", &req.title)?;
    let description = text("description", req.description.as_deref(), false)?.unwrap_or_default();
    let source = req.source.unwrap_or(default_source);
    let reporter = match &req.reporter {
        Some(r) => self::title("reporter", r)?,
        None => cx.user.name.clone(),
    };
    let confidential = req.confidential.unwrap_or(false) || source == ReportSource::Disclosure;
    let service_id = match &req.service {
        Some(name) => Some(cx.service_id("service", name).await?),
        None => None,
    };
    let new = NewReportRecord {
        source,
        reporter,
        title,
        description,
        confidential,
        service_id,
    };
    Ok(cx.store.create_report(&new, &cx.actor(), cx.now).await?)
}

/// Links an untriaged report to an incident the user can see.
pub async fn link_report(
    cx: &Ctx<'_>,
    report_id: i64,
    incident_id: i64,
) -> Result<Report, ApiError> {
    cx.require(Action::Triage)?;
    let report = cx.report(report_id).await?;
    let incident = cx.incident(incident_id).await.map_err(|e| match e {
        ApiError::NotFound(what) => ApiError::invalid("incident", format!("{what} not found")),
        e => e,
    })?;
    // A confidential report makes the incident it joins confidential: hiding
    // a public incident from everyone not on it is the security team's call,
    // like declassifying one.
    if report.confidential && !incident.confidential && !cx.reader().sees_all_confidential {
        return Err(ApiError::ForbiddenField {
            field: "incident".to_owned(),
            detail: format!(
                "report {report_id} is confidential: linking it would hide {} from everyone who is not on it; only the security team or an admin may",
                incident.reference
            ),
        });
    }
    cx.store
        .link_report(report_id, incident_id, &cx.actor(), cx.now)
        .await?;
    cx.report(report_id).await
}

/// Dismisses an untriaged report with a reason.
pub async fn dismiss_report(
    cx: &Ctx<'_>,
    report_id: i64,
    req: &DismissReport,
) -> Result<Report, ApiError> {
    cx.require(Action::Triage)?;
    cx.report(report_id).await?;
    let reason = text("reason", Some(&req.reason), true)?.unwrap_or_default();
    cx.store
        .dismiss_report(report_id, &reason, &cx.actor(), cx.now)
        .await?;
    cx.report(report_id).await
}
