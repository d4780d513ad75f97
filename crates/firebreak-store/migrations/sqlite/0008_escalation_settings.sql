-- Issue 10, item 1: escalation settings changed in the web (audited) over
-- the configuration file's defaults: `incident_lead_policy`, `leadership`
-- and `fallback`. A key without a row takes the file's value; the value is
-- JSON text (a name, a list of names, or null); a key set back to the file's
-- default keeps its row with a NULL value (who reset it, and when).
CREATE TABLE escalation_settings (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
