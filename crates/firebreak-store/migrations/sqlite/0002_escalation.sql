-- Escalation: schedules, policies, contact methods, escalation chains,
-- durable timers and the notification outbox.

-- Server-wide secrets and settings (the acknowledgment-link signing key).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- On-call schedules and escalation policies, as JSON definitions that
-- firebreak-core validates and evaluates.
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE escalation_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

ALTER TABLE services ADD COLUMN escalation_policy TEXT;
ALTER TABLE services ADD COLUMN runbook TEXT NOT NULL DEFAULT '';

-- How to reach a user, and after how long.
CREATE TABLE contact_methods (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE notification_rules (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    contact_method_id INTEGER NOT NULL REFERENCES contact_methods(id),
    delay_secs INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- One run of an escalation policy for an incident: a page that climbs the
-- levels until someone acknowledges.
CREATE TABLE escalation_chains (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    policy TEXT NOT NULL,
    level INTEGER NOT NULL,
    round INTEGER NOT NULL,
    state TEXT NOT NULL,
    -- A random key that acknowledgment links sign; not a secret by itself.
    ack_key TEXT NOT NULL UNIQUE,
    started_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT
);
CREATE INDEX escalation_chains_incident ON escalation_chains(incident_id);

-- Every escalation: to whom, at which level, by which rule, why, when.
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    chain_id INTEGER REFERENCES escalation_chains(id),
    level INTEGER NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    audience TEXT NOT NULL,
    actor TEXT NOT NULL,
    recipient_user_id INTEGER REFERENCES users(id),
    recipient TEXT NOT NULL,
    page INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX escalations_incident ON escalations(incident_id, id);

-- Durable timers: a row per deadline. Workers claim due rows (row locks on
-- PostgreSQL), act, and mark them fired in the same transaction.
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    chain_id INTEGER REFERENCES escalation_chains(id),
    level INTEGER NOT NULL,
    round INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    fired_at INTEGER,
    outcome TEXT
);
CREATE INDEX timers_due ON timers(due_at) WHERE fired_at IS NULL;

-- The outbox: every message is a row before anything is sent.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    incident_id INTEGER REFERENCES incidents(id),
    chain_id INTEGER REFERENCES escalation_chains(id),
    escalation_id INTEGER REFERENCES escalations(id),
    user_id INTEGER REFERENCES users(id),
    channel TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_incident ON outbox(incident_id);

-- Message templates an admin may change (subject, text).
CREATE TABLE message_templates (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
