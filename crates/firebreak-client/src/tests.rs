//! Route URLs, query encoding, refused base URLs, the hidden token and
//! problem text, without a server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;

use super::*;

#[test]
fn routes_are_appended_to_the_base_and_ids_are_escaped() {
    let c = Client::new("http://h:1/prefix/?x=1#f", "t").unwrap();
    let url = c
        .url(&["api", "v1", "incidents", "INC-1/../../x", "timeline"])
        .unwrap();
    assert_eq!(
        url.as_str(),
        "http://h:1/prefix/api/v1/incidents/INC-1%2F..%2F..%2Fx/timeline"
    );
    let c = Client::new("http://h:1", "").unwrap();
    assert_eq!(c.url(&["healthz"]).unwrap().as_str(), "http://h:1/healthz");
    assert!(c.token.is_none());
}

#[test]
fn query_times_are_encoded() {
    let c = Client::new("http://h:1", "t").unwrap();
    #[derive(Serialize)]
    struct Q {
        at: DateTime<Utc>,
    }
    let at = DateTime::parse_from_rfc3339("2024-03-31T12:00:00+02:00")
        .unwrap()
        .with_timezone(&Utc);
    let req = c
        .request(Method::GET, &["api", "v1", "oncall"])
        .unwrap()
        .query(&Q { at })
        .build()
        .unwrap();
    assert_eq!(
        req.url().as_str(),
        "http://h:1/api/v1/oncall?at=2024-03-31T10%3A00%3A00Z"
    );
}

#[test]
fn alert_filters_left_out_are_not_sent() {
    let c = Client::new("http://h:1", "t").unwrap();
    let build = |q: &AlertQuery| {
        c.request(Method::GET, &["api", "v1", "intake", "alerts"])
            .unwrap()
            .query(q)
            .build()
            .unwrap()
            .url()
            .to_string()
    };
    assert_eq!(
        build(&AlertQuery::default()),
        "http://h:1/api/v1/intake/alerts"
    );
    let q = AlertQuery {
        integration: Some(3),
        status: Some("firing".to_owned()),
        limit: Some(5),
    };
    assert_eq!(
        build(&q),
        "http://h:1/api/v1/intake/alerts?integration=3&status=firing&limit=5"
    );
}

#[test]
fn bad_urls_are_refused() {
    for bad in ["", "h:1", "ftp://h/", "mailto:a@b"] {
        assert!(
            matches!(Client::new(bad, "t"), Err(Error::Http(_))),
            "{bad}"
        );
    }
}

#[test]
fn the_token_is_not_printed() {
    let c = Client::new("http://h:1", "fbk_secret").unwrap();
    assert!(!format!("{c:?}").contains("fbk_secret"));
}

#[test]
fn problems_read_as_one_line() {
    let p = Problem {
        type_: "about:blank".into(),
        title: "Gate open".into(),
        status: 409,
        detail: Some("cannot leave triage".into()),
        field: None,
        gate: Some("owner_set".into()),
    };
    assert_eq!(
        describe_problem(&p),
        "Gate open: cannot leave triage (gate: owner_set)"
    );
    let e = Error::Api {
        status: 409,
        problem: Box::new(p),
    };
    assert_eq!(e.status(), Some(409));
    assert_eq!(
        e.to_string(),
        "Gate open: cannot leave triage (gate: owner_set)"
    );
}
