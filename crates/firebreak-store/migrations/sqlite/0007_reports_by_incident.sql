-- The reports of an incident, by incident: the visibility rule
-- (`crates/firebreak-store/src/visibility.rs`) asks, for every incident it
-- lists and every report tied to one, whether a confidential report is
-- linked to that incident.
CREATE INDEX reports_incident ON reports(incident_id);
