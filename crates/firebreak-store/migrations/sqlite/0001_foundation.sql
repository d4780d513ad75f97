-- Foundation: users, auth, services, reports, incidents, timeline, audit.
-- Times are UTC milliseconds since the epoch; flags are 0/1 integers, so the
-- same SQL runs on SQLite and PostgreSQL.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner_team TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT,
    suggested_severity TEXT NOT NULL,
    severity_rule TEXT NOT NULL,
    phase TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id),
    lead_id INTEGER REFERENCES users(id),
    service_id INTEGER REFERENCES services(id),
    facts TEXT NOT NULL,
    declared_by INTEGER REFERENCES users(id),
    declared_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX incidents_phase ON incidents(phase);

CREATE TABLE incident_phases (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    phase TEXT NOT NULL,
    entered_at INTEGER NOT NULL
);
CREATE INDEX incident_phases_incident ON incident_phases(incident_id);

CREATE TABLE incident_members (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE checklist_items (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    item TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    actor_id INTEGER REFERENCES users(id),
    at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, item)
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    reporter TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    incident_id INTEGER REFERENCES incidents(id),
    triaged_by INTEGER REFERENCES users(id),
    triaged_at INTEGER,
    dismiss_reason TEXT,
    confidential INTEGER NOT NULL,
    service_id INTEGER REFERENCES services(id),
    created_by INTEGER REFERENCES users(id)
);
CREATE INDEX reports_status ON reports(status, received_at);

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    author_id INTEGER REFERENCES users(id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE timeline_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at INTEGER NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    reason TEXT,
    details TEXT NOT NULL
);
CREATE INDEX timeline_events_incident ON timeline_events(incident_id, id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The head of the audit chain: one row, locked by every append so that
-- appends are serialized on PostgreSQL too, and compared by verification so
-- that a truncated tail is noticed.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
