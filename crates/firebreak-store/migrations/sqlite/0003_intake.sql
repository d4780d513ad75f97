-- Intake: integrations, alerts deduplicated into reports, routing rules,
-- silences, maintenance windows, change events, inbound e-mail and its
-- attachments. Times are UTC milliseconds; flags are 0/1 integers.

-- One integration per monitoring tool (or mailbox). Only the SHA-256 of its
-- key is stored; the key is shown once. Each integration acts through its
-- own service user (disabled: it can never sign in), so the audit log and
-- the timeline say which integration did what.
CREATE TABLE intake_integrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    service_id INTEGER REFERENCES services(id),
    key_hash TEXT NOT NULL UNIQUE,
    key_hint TEXT NOT NULL,
    mapping TEXT,
    hmac_secret TEXT,
    hmac_timestamp_header TEXT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    disabled_at INTEGER
);

-- One row per alert occurrence. `open_key` is "<integration id>:<dedup
-- key>" while the alert is open and NULL once it is resolved: the unique
-- constraint allows one open alert per key and any number of resolved ones.
-- Every alert is (the source of) one report in the triage queue.
CREATE TABLE intake_alerts (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES intake_integrations(id),
    dedup_key TEXT NOT NULL,
    open_key TEXT UNIQUE,
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
CREATE INDEX intake_alerts_report ON intake_alerts(report_id);
CREATE INDEX intake_alerts_integration ON intake_alerts(integration_id, status);

-- Routing rules, tried in `position` order; `definition` is the JSON of
-- firebreak_intake::rules::Rule.
CREATE TABLE intake_rules (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Silences, like Alertmanager's: matchers (a JSON list of matcher strings),
-- a window and a reason. Expiring one early moves `ends_at` to the moment.
CREATE TABLE intake_silences (
    id INTEGER PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expired_at INTEGER
);
CREATE INDEX intake_silences_ends ON intake_silences(ends_at);

-- Planned maintenance of a service: its alerts are logged, never declared.
CREATE TABLE intake_maintenance (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX intake_maintenance_ends ON intake_maintenance(ends_at);

-- PagerDuty change events: deploys and config changes, on the service's
-- timeline of changes.
CREATE TABLE intake_change_events (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES intake_integrations(id),
    service_id INTEGER REFERENCES services(id),
    summary TEXT NOT NULL,
    source TEXT,
    happened_at INTEGER,
    received_at INTEGER NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX intake_change_events_service ON intake_change_events(service_id, received_at);

-- Inbound e-mail, threaded onto reports by Message-ID, In-Reply-To and
-- References.
CREATE TABLE intake_email_messages (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER REFERENCES intake_integrations(id),
    report_id INTEGER NOT NULL REFERENCES reports(id),
    message_id TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    from_address TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER,
    received_at INTEGER NOT NULL,
    raw_sha256 TEXT NOT NULL,
    raw_size INTEGER NOT NULL
);
CREATE INDEX intake_email_messages_report ON intake_email_messages(report_id, id);

-- Attachments kept as evidence: their SHA-256 always, their content
-- (base64) when within the size limit.
CREATE TABLE intake_attachments (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    email_id INTEGER NOT NULL REFERENCES intake_email_messages(id),
    filename TEXT,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX intake_attachments_report ON intake_attachments(report_id);

-- The triage queue by service, and the noise view.
CREATE INDEX reports_service ON reports(service_id, received_at);
