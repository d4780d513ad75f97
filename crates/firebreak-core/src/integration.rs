//! The kinds of intake integration: what a monitoring or paging tool sends
//! Firebreak, with the one table of names the API, the database, the web
//! pages and the CLI use.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::named_enum;

/// What an integration receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Alertmanager,
    Pagerduty,
    Grafana,
    Generic,
    Email,
}

named_enum!(IntegrationKind, "integration kind", {
    Alertmanager => "alertmanager",
    Pagerduty => "pagerduty",
    Grafana => "grafana",
    Generic => "generic",
    Email => "email",
});

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_are_the_wire_names() {
        for k in IntegrationKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(k.as_str().parse::<IntegrationKind>(), Ok(*k));
        }
        assert!("nagios".parse::<IntegrationKind>().is_err());
    }
}
