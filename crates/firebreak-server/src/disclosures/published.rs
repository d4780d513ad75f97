//! The public side of advisories (issue 12, items 6 and 7), no sign-in:
//! `/security/advisories` (newest first), one advisory at
//! `/security/advisories/{slug}`, the Atom feed
//! `/security/advisories.atom`, the researchers credited at
//! `/security/acknowledgments`, and security.txt (RFC 9116) at
//! `/.well-known/security.txt` and `/security.txt`.
//!
//! Every page reads the store's public readers only, which return an
//! advisory only when it is published and its disclosure disclosed: a
//! draft, or anything of a disclosure not yet disclosed, is absent from
//! every page here and the feed.

use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, SecondsFormat, Utc};

use firebreak_core::cvss::format_score;
use firebreak_store::disclosures::advisories::{Acknowledgment, AdvisoryRecord};

use crate::AppState;
use crate::error::ApiError;
use crate::status::feeds::xml;
use crate::web::{Flash, Layout, page};

/// How many advisories the feed carries.
pub const FEED_ENTRIES: usize = 50;

/// How far ahead security.txt's `Expires` is set (RFC 9116 advises less
/// than a year); it is computed per request, so it renews itself.
pub const SECURITY_TXT_LIFETIME_DAYS: i64 = 180;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/security/advisories", get(advisories_page))
        .route("/security/advisories.atom", get(advisories_atom))
        .route("/security/advisories/{slug}", get(advisory_page))
        .route("/security/acknowledgments", get(acknowledgments_page))
        .route("/.well-known/security.txt", get(security_txt))
        .route("/security.txt", get(security_txt))
}

/// An advisory as the public pages show it.
pub struct AdvisoryView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub affected: String,
    pub fix: String,
    pub credit: Option<String>,
    /// `critical`, `high`, … or empty when not scored.
    pub severity: String,
    pub vector: Option<String>,
    pub score: Option<String>,
    pub published: String,
    pub published_iso: String,
}

impl AdvisoryView {
    pub fn of(a: &AdvisoryRecord) -> AdvisoryView {
        let at = a.published_at.unwrap_or(a.updated_at);
        AdvisoryView {
            slug: a.slug.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            affected: a.affected.clone(),
            fix: a.fix.clone(),
            credit: a.credit.clone().filter(|c| !c.trim().is_empty()),
            severity: a.severity.map(|s| s.to_string()).unwrap_or_default(),
            vector: a.cvss_vector.clone(),
            score: a.cvss_score_tenths.map(format_score),
            published: at.format("%Y-%m-%d").to_string(),
            published_iso: at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    /// The severity as a word for people: `Critical`.
    pub fn severity_label(&self) -> String {
        let mut c = self.severity.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => "Not scored".to_owned(),
        }
    }

    /// The severity with the score and vector, one line of text.
    pub fn severity_line(&self) -> String {
        let mut s = self.severity_label();
        if let Some(score) = &self.score {
            let _ = write!(s, " ({score})");
        }
        if let Some(v) = &self.vector {
            let _ = write!(s, " {v}");
        }
        s
    }
}

#[derive(Template)]
#[template(path = "security_advisories.html")]
struct AdvisoriesPage {
    layout: Layout,
    advisories: Vec<AdvisoryView>,
}

#[derive(Template)]
#[template(path = "security_advisory.html")]
struct AdvisoryPage {
    layout: Layout,
    a: AdvisoryView,
}

#[derive(Template)]
#[template(path = "security_acknowledgments.html")]
struct AcknowledgmentsPage {
    layout: Layout,
    people: Vec<Acknowledgment>,
}

impl AcknowledgmentsPage {
    fn date(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%d").to_string()
    }
}

fn base(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

fn unavailable(e: firebreak_store::StoreError) -> Response {
    ApiError::Unavailable(e.to_string()).into_response()
}

async fn advisories_page(State(state): State<AppState>) -> Response {
    match state.store.published_advisories().await {
        Ok(all) => page(&AdvisoriesPage {
            layout: Layout::anonymous(Flash::default()),
            advisories: all.iter().map(AdvisoryView::of).collect(),
        }),
        Err(e) => unavailable(e),
    }
}

async fn advisory_page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match state.store.published_advisory(&slug).await {
        Ok(Some(a)) => page(&AdvisoryPage {
            layout: Layout::anonymous(Flash::default()),
            a: AdvisoryView::of(&a),
        }),
        Ok(None) => crate::web::not_found_page("this advisory"),
        Err(e) => unavailable(e),
    }
}

async fn acknowledgments_page(State(state): State<AppState>) -> Response {
    match state.store.acknowledgments().await {
        Ok(people) => page(&AcknowledgmentsPage {
            layout: Layout::anonymous(Flash::default()),
            people,
        }),
        Err(e) => unavailable(e),
    }
}

/// The Atom feed of published advisories, newest first.
pub fn atom(base: &str, advisories: &[AdvisoryRecord], now: DateTime<Utc>) -> String {
    let home = format!("{base}/security/advisories");
    let updated = advisories.iter().map(|a| a.updated_at).max().unwrap_or(now);
    let mut s = String::new();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{home}</id>\n<title>Security advisories</title>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{home}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{home}.atom\"/>\n\
         <author><name>Security team</name></author>\n",
        updated.to_rfc3339_opts(SecondsFormat::Secs, true),
        home = xml(&home),
    );
    for a in advisories.iter().take(FEED_ENTRIES) {
        let v = AdvisoryView::of(a);
        let link = format!("{home}/{}", a.slug);
        let mut text = format!("Severity: {}\n", v.severity_line());
        if !v.affected.is_empty() {
            let _ = writeln!(text, "Affected: {}", v.affected);
        }
        let _ = write!(text, "\n{}\n", v.summary);
        if !v.fix.is_empty() {
            let _ = write!(text, "\nFix: {}\n", v.fix);
        }
        if let Some(c) = &v.credit {
            let _ = write!(text, "\nCredit: {c}\n");
        }
        let published = a.published_at.unwrap_or(a.updated_at);
        let _ = write!(
            s,
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <published>{}</published>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <summary type=\"text\">{}</summary>\n<content type=\"text\">{}</content>\n</entry>\n",
            xml(&link),
            xml(&a.title),
            a.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            published.to_rfc3339_opts(SecondsFormat::Secs, true),
            xml(&link),
            xml(&v.severity_line()),
            xml(&text),
        );
    }
    s.push_str("</feed>\n");
    s
}

async fn advisories_atom(State(state): State<AppState>) -> Response {
    match state.store.published_advisories().await {
        Ok(all) => {
            let body = atom(base(&state), &all, state.now());
            let mut res = body.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            );
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => unavailable(e),
    }
}

/// The security.txt body (RFC 9116) at `now`: `Contact` (the `/security`
/// page, then the policy's contacts), `Expires` (`now` + 180 days),
/// `Encryption` when set, `Acknowledgments`, `Preferred-Languages`,
/// `Canonical` and `Policy`. Lines end in CRLF, as the RFC's ABNF has it.
pub fn security_txt_body(
    base: &str,
    policy: &firebreak_core::disclosure::DisclosurePolicy,
    now: DateTime<Utc>,
) -> String {
    // One line per field; a value with a line break would forge another
    // field, so such a value is left out.
    fn field(out: &mut String, name: &str, value: &str) {
        let value = value.trim();
        if !value.is_empty() && !value.contains(['\r', '\n']) {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    let mut s = String::new();
    s.push_str("# Report a security vulnerability: see the Policy and Contact below.\r\n");
    field(&mut s, "Contact", &format!("{base}/security"));
    for c in &policy.contact {
        field(&mut s, "Contact", c);
    }
    let expires = now + Duration::days(SECURITY_TXT_LIFETIME_DAYS);
    field(
        &mut s,
        "Expires",
        &expires.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    if let Some(e) = &policy.encryption {
        field(&mut s, "Encryption", e);
    }
    field(
        &mut s,
        "Acknowledgments",
        &format!("{base}/security/acknowledgments"),
    );
    field(&mut s, "Preferred-Languages", &policy.preferred_languages);
    field(
        &mut s,
        "Canonical",
        &format!("{base}/.well-known/security.txt"),
    );
    field(&mut s, "Policy", &format!("{base}/security"));
    s
}

async fn security_txt(State(state): State<AppState>) -> Response {
    let body = security_txt_body(base(&state), &state.config.disclosure, state.now());
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn security_txt_has_every_field_once_with_crlf() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
        let policy = firebreak_core::disclosure::DisclosurePolicy {
            contact: vec![
                "mailto:security@example.com".into(),
                "bad\nExpires: x".into(),
            ],
            encryption: Some("https://example.com/pgp.asc".into()),
            preferred_languages: "en, de".into(),
            ..Default::default()
        };
        let body = security_txt_body("https://fb.example", &policy, now);
        assert!(body.ends_with("\r\n"));
        assert!(!body.replace("\r\n", "").contains('\n'), "{body:?}");
        let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
        let values = |name: &str| -> Vec<&str> {
            lines
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("{name}: ")[..]))
                .collect()
        };
        assert_eq!(
            values("Contact"),
            ["https://fb.example/security", "mailto:security@example.com"]
        );
        assert_eq!(values("Expires"), ["2027-05-31T06:00:00Z"]);
        assert_eq!(values("Encryption"), ["https://example.com/pgp.asc"]);
        assert_eq!(
            values("Acknowledgments"),
            ["https://fb.example/security/acknowledgments"]
        );
        assert_eq!(values("Preferred-Languages"), ["en, de"]);
        assert_eq!(
            values("Canonical"),
            ["https://fb.example/.well-known/security.txt"]
        );
        assert_eq!(values("Policy"), ["https://fb.example/security"]);
    }
}
