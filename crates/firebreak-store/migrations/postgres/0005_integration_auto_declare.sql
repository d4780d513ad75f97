-- Whether an integration declares (and so pages for) a critical or high
-- alert that no routing rule matched, when the alert's service is known:
-- PagerDuty's high-urgency default. 1 (on) for existing integrations too:
-- an urgent alert that waited in triage paged nobody.
ALTER TABLE intake_integrations ADD COLUMN auto_declare BIGINT NOT NULL DEFAULT 1;
