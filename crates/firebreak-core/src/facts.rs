//! The impact facts by name: the one table of each fact's name (as the API,
//! the web form and the CLI spell it) and its label for people, and
//! [`ImpactFacts`] built from or read as those names.
//!
//! The names are the fields of [`ImpactFacts`] on the wire; a test keeps
//! the table and the fields in step.

use crate::severity::ImpactFacts;

/// A fact name that is not one of [`ImpactFacts::LABELS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fact `{0}`")]
pub struct UnknownFact(pub String);

impl ImpactFacts {
    /// Every fact's name and label, in the order of the fields.
    pub const LABELS: &'static [(&'static str, &'static str)] = &[
        (
            "customer_data_accessed",
            "Unauthorized access to customer data confirmed",
        ),
        ("full_outage", "Platform unavailable to all users"),
        (
            "active_exploitation",
            "Vulnerability under active exploitation",
        ),
        ("major_feature_unavailable", "Major feature unavailable"),
        ("isolated_finding", "Isolated finding"),
        ("single_tenant", "Single tenant affected"),
        ("regional_degradation", "Degradation in one region"),
        ("customer_blocked", "A customer is blocked"),
        ("cross_team_needed", "Fix needs cross-team coordination"),
        ("sla_affected", "SLA or contract affected"),
    ];

    /// Every fact's name, in the order of the fields.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::LABELS.iter().map(|(name, _)| *name)
    }

    /// The fact named `name`, to read or set; `None` for an unknown name.
    pub fn fact_mut(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "customer_data_accessed" => &mut self.customer_data_accessed,
            "full_outage" => &mut self.full_outage,
            "active_exploitation" => &mut self.active_exploitation,
            "major_feature_unavailable" => &mut self.major_feature_unavailable,
            "isolated_finding" => &mut self.isolated_finding,
            "single_tenant" => &mut self.single_tenant,
            "regional_degradation" => &mut self.regional_degradation,
            "customer_blocked" => &mut self.customer_blocked,
            "cross_team_needed" => &mut self.cross_team_needed,
            "sla_affected" => &mut self.sla_affected,
            _ => return None,
        })
    }

    /// The facts that hold: those named. The first unknown name is the error.
    pub fn from_names<S: AsRef<str>>(
        names: impl IntoIterator<Item = S>,
    ) -> Result<ImpactFacts, UnknownFact> {
        let mut facts = ImpactFacts::default();
        for name in names {
            let name = name.as_ref();
            *facts
                .fact_mut(name)
                .ok_or_else(|| UnknownFact(name.to_owned()))? = true;
        }
        Ok(facts)
    }

    /// The names of the facts that hold, in the order of the fields.
    pub fn holding(&self) -> Vec<&'static str> {
        let mut copy = *self;
        Self::names()
            .filter(|name| copy.fact_mut(name).is_some_and(|holds| *holds))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_table_names_every_field_in_order() {
        let value = serde_json::to_value(ImpactFacts::default()).unwrap();
        let mut fields: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = ImpactFacts::names().collect();
        assert_eq!(names.len(), fields.len());
        fields.sort_unstable();
        names.sort_unstable();
        assert_eq!(names, fields);
        for name in ImpactFacts::names() {
            let facts = ImpactFacts::from_names([name]).unwrap();
            let value = serde_json::to_value(facts).unwrap();
            assert_eq!(value[name], true, "{name}");
            assert_eq!(facts.holding(), [name]);
        }
    }

    #[test]
    fn unknown_names_are_refused_by_name() {
        let err = ImpactFacts::from_names(["full_outage", "nope"]).unwrap_err();
        assert_eq!(err.to_string(), "unknown fact `nope`");
        let f = ImpactFacts::from_names(["sla_affected", "full_outage"]).unwrap();
        assert_eq!(f.holding(), ["full_outage", "sla_affected"]);
        assert!(ImpactFacts::default().holding().is_empty());
    }
}
