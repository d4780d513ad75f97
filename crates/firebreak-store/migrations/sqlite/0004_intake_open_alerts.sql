-- SQLite only: `intake_alerts.open_key` loses its unique index.
--
-- On SQLite one writer (the intake writer, `Store::ingest_alerts`) changes
-- open alerts, and it keeps every open alert's key in memory, loaded from
-- this table when it starts and after any other process writes to the file
-- (`PRAGMA data_version`). The unique index cost one write to a random page
-- of the index for every new alert, which made a batch's commit about twice
-- as expensive (see bench/README.md). PostgreSQL, where several servers
-- write, keeps its unique index and row locks.
--
-- SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt.
-- Nothing references intake_alerts.
CREATE TABLE intake_alerts_new (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES intake_integrations(id),
    dedup_key TEXT NOT NULL,
    open_key TEXT,
    status TEXT NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    title TEXT NOT NULL,
    severity TEXT,
    service_id INTEGER REFERENCES services(id),
    labels TEXT NOT NULL,
    links TEXT NOT NULL,
    disposition TEXT NOT NULL,
    rule_name TEXT,
    suppressed_by TEXT,
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    starts_at INTEGER,
    acknowledged_at INTEGER,
    resolved_at INTEGER
);
INSERT INTO intake_alerts_new SELECT id, integration_id, dedup_key, open_key, status, report_id,
    title, severity, service_id, labels, links, disposition, rule_name, suppressed_by, count,
    first_seen, last_seen, starts_at, acknowledged_at, resolved_at FROM intake_alerts;
DROP TABLE intake_alerts;
ALTER TABLE intake_alerts_new RENAME TO intake_alerts;
CREATE INDEX intake_alerts_report ON intake_alerts(report_id);
CREATE INDEX intake_alerts_integration ON intake_alerts(integration_id, status);
-- The open alerts, for the writer's start; in id order, so a new alert's
-- entry goes to the end of the index, not to a random page.
CREATE INDEX intake_alerts_open ON intake_alerts(id) WHERE open_key IS NOT NULL;
