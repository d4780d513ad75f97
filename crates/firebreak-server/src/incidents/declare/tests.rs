use super::*;

#[test]
fn facts_parse_from_checkbox_names() {
    let f = facts_from(&["full_outage".into(), "sla_affected".into()]).unwrap();
    assert!(f.full_outage && f.sla_affected && !f.customer_data_accessed);
    assert!(facts_from(&["nope".into()]).is_err());
}
