//! The schedule pages: the list with a form to add a schedule, and a
//! schedule's page to edit it. The form holds the schedule as fields (time
//! zone, layers of rotations, overrides in local time); "Add a layer" and
//! "Add an override" show it again with one more empty row, "Preview"
//! shows who would be on call for the next 14 days without saving, and
//! "Save" stores it through the API's [`api::save_schedule`].

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use firebreak_core::auth::Action;
use firebreak_core::oncall::{Layer, Override, Rotation, Schedule, ShiftLength, Source};

use super::{SetupForm, form_error, split_list, status_of};
use crate::AppState;
use crate::actions::Ctx;
use crate::error::ApiError;
use crate::oncall::api;
use crate::oncall::board::{Stamp, Zones};
use crate::web::{CsrfForm, Flash, Layout, WebUser, back, error_page, page_with_status};

/// How far ahead the preview looks.
const PREVIEW_DAYS: i64 = 14;

/// A schedule as its form holds it: the text as entered.
#[derive(Default)]
pub(super) struct ScheduleFields {
    pub name: String,
    pub zone: String,
    pub layers: Vec<LayerFields>,
    pub overrides: Vec<OverrideFields>,
}

/// One layer's fields; `i` is its number on the form (from 0).
#[derive(Default)]
pub(super) struct LayerFields {
    pub i: usize,
    pub name: String,
    pub start: String,
    pub length: String,
    /// `hours`, `days` or `weeks`.
    pub unit: String,
    pub members: String,
}

/// One override's fields, its times local to the schedule's zone.
#[derive(Default)]
pub(super) struct OverrideFields {
    pub i: usize,
    pub user: String,
    pub from: String,
    pub until: String,
}

impl LayerFields {
    fn blank(i: usize) -> LayerFields {
        LayerFields {
            i,
            name: format!("layer-{}", i + 1),
            length: "1".into(),
            unit: "weeks".into(),
            ..LayerFields::default()
        }
    }

    /// Nothing entered but what a new row starts with.
    fn is_blank(&self) -> bool {
        self.start.trim().is_empty() && self.members.trim().is_empty()
    }
}

impl OverrideFields {
    fn is_blank(&self) -> bool {
        self.user.trim().is_empty() && self.from.trim().is_empty() && self.until.trim().is_empty()
    }
}

/// `2024-03-25 09:00`, as the form shows a local time.
fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A local date and time as entered (`2024-03-25T09:00`, seconds or a
/// space allowed), or an error naming `field`.
fn parse_local(field: &str, text: &str) -> Result<NaiveDateTime, ApiError> {
    let t = text.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .ok_or_else(|| {
        ApiError::bad(
            field,
            format!("`{t}` is not a local date and time such as 2024-03-25T09:00"),
        )
    })
}

/// The instant a local time in `tz` stands for, placed as a rotation's
/// handoff is (a time in a daylight-saving gap is its end, a repeated one
/// its first occurrence).
fn place(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    Rotation {
        name: "override".into(),
        participants: vec!["-".into()],
        shift: ShiftLength::Hours(1),
        handoff: local,
        time_zone: tz,
    }
    .first_handoff()
}

impl ScheduleFields {
    /// A new schedule's form: one empty layer, in UTC.
    pub fn blank() -> ScheduleFields {
        ScheduleFields {
            zone: "UTC".into(),
            layers: vec![LayerFields::blank(0)],
            ..ScheduleFields::default()
        }
    }

    /// The form with an empty override row at the end, to add one.
    fn with_blank_override(mut self) -> ScheduleFields {
        if self.overrides.last().is_none_or(|o| !o.is_blank()) {
            let i = self.overrides.len();
            self.overrides.push(OverrideFields {
                i,
                ..OverrideFields::default()
            });
        }
        self
    }

    /// The form as it was posted.
    fn from_form(f: &SetupForm) -> ScheduleFields {
        let mut layers = Vec::new();
        while f.has_prefix(&format!("layer-{}-", layers.len())) {
            let i = layers.len();
            let g = |k: &str| f.get(&format!("layer-{i}-{k}"));
            layers.push(LayerFields {
                i,
                name: g("name"),
                start: g("start"),
                length: g("length"),
                unit: g("unit"),
                members: g("members"),
            });
        }
        let mut overrides = Vec::new();
        while f.has_prefix(&format!("override-{}-", overrides.len())) {
            let i = overrides.len();
            let g = |k: &str| f.get(&format!("override-{i}-{k}"));
            overrides.push(OverrideFields {
                i,
                user: g("user"),
                from: g("from"),
                until: g("until"),
            });
        }
        ScheduleFields {
            name: f.get("name"),
            zone: f.get("zone"),
            layers,
            overrides,
        }
    }

    /// A stored schedule's form. A rotation handing off in another zone
    /// than the schedule's is shown from its first handoff in the
    /// schedule's zone (the form has one zone).
    fn from_schedule(s: &Schedule) -> ScheduleFields {
        let tz = s.time_zone;
        let layers = s
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let r = &l.rotation;
                let start = if r.time_zone == tz {
                    r.handoff
                } else {
                    r.first_handoff()
                        .map(|t| t.with_timezone(&tz).naive_local())
                        .unwrap_or(r.handoff)
                };
                let (length, unit) = match r.shift {
                    ShiftLength::Hours(n) => (n, "hours"),
                    ShiftLength::Days(n) => (n, "days"),
                    ShiftLength::Weeks(n) => (n, "weeks"),
                };
                LayerFields {
                    i,
                    name: l.name.clone(),
                    start: local_text(start),
                    length: length.to_string(),
                    unit: unit.into(),
                    members: r.participants.join(", "),
                }
            })
            .collect();
        let overrides = s
            .overrides
            .iter()
            .enumerate()
            .map(|(i, o)| OverrideFields {
                i,
                user: o.user.clone(),
                from: local_text(o.start.with_timezone(&tz).naive_local()),
                until: local_text(o.end.with_timezone(&tz).naive_local()),
            })
            .collect();
        ScheduleFields {
            name: s.name.clone(),
            zone: tz.name().to_owned(),
            layers,
            overrides,
        }
    }

    /// The schedule the fields describe, in the API's type. Rows left
    /// blank at the end are not part of it. What the form cannot read (a
    /// zone, a date, a number) is refused here naming the API's field; the
    /// schedule's rules are the API's, checked after.
    fn to_schedule(&self) -> Result<Schedule, ApiError> {
        let zone = self.zone.trim();
        let tz: Tz = serde_json::from_value(serde_json::Value::String(zone.to_owned()))
            .map_err(|e| ApiError::bad("time_zone", format!("invalid `time_zone`: {e}")))?;
        let layer_count = self.layers.len()
            - self
                .layers
                .iter()
                .rev()
                .take_while(|l| l.is_blank())
                .count();
        let mut layers = Vec::new();
        for (i, l) in self.layers.iter().take(layer_count).enumerate() {
            let at = |f: &str| format!("layers[{i}].rotation.{f}");
            let handoff = parse_local(&at("handoff"), &l.start)?;
            let n: u32 = l.length.trim().parse().map_err(|_| {
                ApiError::bad(
                    &at("shift"),
                    format!("`{}` is not a whole number", l.length.trim()),
                )
            })?;
            let shift = match l.unit.as_str() {
                "hours" => ShiftLength::Hours(n),
                "days" => ShiftLength::Days(n),
                "weeks" => ShiftLength::Weeks(n),
                other => {
                    return Err(ApiError::bad(
                        &at("shift"),
                        format!("unknown unit `{other}`: hours, days or weeks"),
                    ));
                }
            };
            let name = l.name.trim().to_owned();
            layers.push(Layer {
                name: name.clone(),
                rotation: Rotation {
                    name,
                    participants: split_list(&l.members),
                    shift,
                    handoff,
                    time_zone: tz,
                },
            });
        }
        let mut overrides = Vec::new();
        for (k, o) in self.overrides.iter().filter(|o| !o.is_blank()).enumerate() {
            let instant = |field: &str, text: &str| {
                let path = format!("overrides[{k}].{field}");
                let local = parse_local(&path, text)?;
                place(tz, local).ok_or_else(|| {
                    ApiError::bad(&path, format!("{local} cannot be placed in {tz}"))
                })
            };
            let start = instant("start", &o.from)?;
            let end = instant("end", &o.until)?;
            overrides.push(Override {
                user: o.user.trim().to_owned(),
                start,
                end,
            });
        }
        Ok(Schedule {
            name: self.name.trim().to_owned(),
            time_zone: tz,
            layers,
            overrides,
        })
    }
}

/// One stretch of the preview.
pub(super) struct PreviewRow {
    pub user: String,
    pub start: Stamp,
    pub end: Stamp,
    /// The layer, or "override".
    pub source: String,
}

/// Who would be on call for the next [`PREVIEW_DAYS`] days.
pub(super) struct Preview {
    pub zone: String,
    pub from: Stamp,
    pub until: Stamp,
    pub rows: Vec<PreviewRow>,
}

fn preview(schedule: &Schedule, now: DateTime<Utc>) -> Preview {
    let zones = Zones {
        schedule: schedule.time_zone,
        viewer: schedule.time_zone,
    };
    let until = now + Duration::days(PREVIEW_DAYS);
    // The stretch under way is shown from when it began, the last one
    // until it ends.
    let current = schedule.on_call_at(now);
    let last = schedule.on_call_at(until);
    let rows = schedule
        .shifts_between(now, until)
        .into_iter()
        .map(|s| PreviewRow {
            start: zones.stamp(match &current {
                Some(c) if s.start <= now && c.user == s.user => c.shift_start,
                _ => s.start,
            }),
            end: zones.stamp(match &last {
                Some(l) if s.end >= until && l.user == s.user => l.shift_end,
                _ => s.end,
            }),
            user: s.user,
            source: match s.source {
                Source::Layer(l) => l,
                Source::Override => "override".into(),
            },
        })
        .collect();
    Preview {
        zone: schedule.time_zone.name().to_owned(),
        from: zones.stamp(now),
        until: zones.stamp(until),
        rows,
    }
}

/// A schedule in the list.
pub(super) struct ScheduleRow {
    pub name: String,
    pub zone: String,
    pub layers: usize,
    pub overrides: usize,
}

#[derive(Template)]
#[template(path = "schedules.html")]
struct ListPage {
    layout: Layout,
    schedules: Vec<ScheduleRow>,
    form: ScheduleFields,
    preview: Option<Preview>,
    /// Where the form posts.
    action: String,
    editing: bool,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct EditPage {
    layout: Layout,
    form: ScheduleFields,
    preview: Option<Preview>,
    action: String,
    editing: bool,
}

/// The form shown with `error` (or the preview), on the list page for a
/// new schedule, or the schedule's own page.
async fn render(
    state: &AppState,
    s: &firebreak_store::SessionInfo,
    editing: Option<&str>,
    form: ScheduleFields,
    preview: Option<Preview>,
    error: Option<ApiError>,
) -> Response {
    let status = error.as_ref().map(status_of).unwrap_or_default();
    let layout = Layout::signed_in(s, Flash::error(error.as_ref().map(form_error)));
    match editing {
        Some(name) => page_with_status(
            status,
            &EditPage {
                layout,
                form: form.with_blank_override(),
                preview,
                action: format!("/admin/schedules/{}", crate::web::encode(name)),
                editing: true,
            },
        ),
        None => match rows(state).await {
            Ok(schedules) => page_with_status(
                status,
                &ListPage {
                    layout,
                    schedules,
                    form: form.with_blank_override(),
                    preview,
                    action: "/admin/schedules".into(),
                    editing: false,
                },
            ),
            Err(e) => error_page(s, e),
        },
    }
}

async fn rows(state: &AppState) -> Result<Vec<ScheduleRow>, ApiError> {
    Ok(state
        .store
        .schedules()
        .await?
        .into_iter()
        .map(|d| {
            let parsed = serde_json::from_value::<Schedule>(d.definition).ok();
            ScheduleRow {
                name: d.name,
                zone: parsed
                    .as_ref()
                    .map(|s| s.time_zone.name().to_owned())
                    .unwrap_or_else(|| "(unreadable)".into()),
                layers: parsed.as_ref().map(|s| s.layers.len()).unwrap_or(0),
                overrides: parsed.as_ref().map(|s| s.overrides.len()).unwrap_or(0),
            }
        })
        .collect())
}

/// The schedules, and the form to add one.
pub(super) async fn list(State(state): State<AppState>, WebUser(s): WebUser, f: Flash) -> Response {
    if let Err(e) = state.ctx(&s.user).require(Action::ManageServices) {
        return error_page(&s, e);
    }
    match rows(&state).await {
        Ok(schedules) => page_with_status(
            Default::default(),
            &ListPage {
                layout: Layout::signed_in(&s, f),
                schedules,
                form: ScheduleFields::blank().with_blank_override(),
                preview: None,
                action: "/admin/schedules".into(),
                editing: false,
            },
        ),
        Err(e) => error_page(&s, e),
    }
}

/// A schedule's page: its form, filled in.
pub(super) async fn edit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    f: Flash,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageServices) {
        return error_page(&s, e);
    }
    let stored = match state.store.schedules().await {
        Ok(defs) => defs.into_iter().find(|d| d.name == name),
        Err(e) => return error_page(&s, e.into()),
    };
    let Some(def) = stored else {
        return error_page(&s, ApiError::NotFound(format!("schedule `{name}`")));
    };
    let schedule = match serde_json::from_value::<Schedule>(def.definition) {
        Ok(sch) => sch,
        Err(e) => {
            return error_page(
                &s,
                ApiError::Internal(format!("stored schedule {name}: {e}")),
            );
        }
    };
    let mut form = ScheduleFields::from_schedule(&schedule);
    if form.layers.is_empty() {
        form.layers.push(LayerFields::blank(0));
    }
    page_with_status(
        Default::default(),
        &EditPage {
            layout: Layout::signed_in(&s, f),
            form: form.with_blank_override(),
            preview: None,
            action: format!("/admin/schedules/{}", crate::web::encode(&name)),
            editing: true,
        },
    )
}

/// The list page's form: a new schedule (refused when the name is taken,
/// so that adding never replaces one by accident).
pub(super) async fn submit_new(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    handle(&state, &s, None, &f).await
}

/// A schedule's page's form.
pub(super) async fn submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(name): Path<String>,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Response {
    handle(&state, &s, Some(&name), &f).await
}

async fn handle(
    state: &AppState,
    s: &firebreak_store::SessionInfo,
    editing: Option<&str>,
    f: &SetupForm,
) -> Response {
    let c = state.ctx(&s.user);
    if let Err(e) = c.require(Action::ManageServices) {
        return error_page(s, e);
    }
    let mut form = ScheduleFields::from_form(f);
    match f.action().as_str() {
        "add-layer" => {
            form.layers.push(LayerFields::blank(form.layers.len()));
            render(state, s, editing, form, None, None).await
        }
        "add-override" => {
            let i = form.overrides.len();
            form.overrides.push(OverrideFields {
                i,
                ..OverrideFields::default()
            });
            render(state, s, editing, form, None, None).await
        }
        "preview" => {
            let checked = async {
                let schedule = form.to_schedule()?;
                let name = editing.unwrap_or(&schedule.name).to_owned();
                api::check_schedule(&c, &name, &schedule).await?;
                Ok::<_, ApiError>(schedule)
            }
            .await;
            match checked {
                Ok(schedule) => {
                    let p = preview(&schedule, c.now);
                    render(state, s, editing, form, Some(p), None).await
                }
                Err(e) => render(state, s, editing, form, None, Some(e)).await,
            }
        }
        _ => match save(&c, editing, &form).await {
            Ok(name) => back(
                &format!("/admin/schedules/{}", crate::web::encode(&name)),
                Ok(format!("Schedule {name} saved")),
            ),
            Err(e) => render(state, s, editing, form, None, Some(e)).await,
        },
    }
}

async fn save(
    c: &Ctx<'_>,
    editing: Option<&str>,
    form: &ScheduleFields,
) -> Result<String, ApiError> {
    let schedule = form.to_schedule()?;
    let name = match editing {
        Some(n) => n.to_owned(),
        None => {
            let name = schedule.name.clone();
            if c.store.schedules().await?.iter().any(|d| d.name == name) {
                return Err(ApiError::Conflict(format!(
                    "a schedule named `{name}` exists: change it on its own page"
                )));
            }
            name
        }
    };
    api::save_schedule(c, &name, &schedule).await?;
    Ok(name)
}
