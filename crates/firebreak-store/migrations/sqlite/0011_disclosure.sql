-- Issue 12: responsible disclosure. Times are UTC milliseconds; flags are
-- 0/1 integers. Every row here is confidential: only the security team and
-- admins read it through the API and web, the researcher their own record
-- through the secret status link (only its SHA-256 is stored).

-- The tracking-id counter: VULN-<year>-<last>, one row per year, bumped
-- with INSERT … ON CONFLICT … RETURNING (a row lock on PostgreSQL).
CREATE TABLE disclosure_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- One disclosure behind each report whose source is `disclosure`.
-- `channel`: form, email or api. `state`: received, acknowledged, triaged,
-- fixing, fixed, disclosed. `triage_outcome`: valid, duplicate or
-- not_applicable (with `triage_reason`; `duplicate_of` for a duplicate).
-- `cvss_score_tenths`: the base score × 10 (98 = 9.8).
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL UNIQUE REFERENCES reports(id),
    tracking_id TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    steps TEXT NOT NULL,
    impact TEXT NOT NULL,
    asset TEXT NOT NULL,
    researcher_name TEXT,
    researcher_email TEXT,
    credit INTEGER NOT NULL,
    triage_outcome TEXT,
    triage_reason TEXT,
    duplicate_of INTEGER REFERENCES disclosures(id),
    severity TEXT,
    cvss_vector TEXT,
    cvss_score_tenths INTEGER,
    incident_id INTEGER REFERENCES incidents(id),
    embargo_until INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    triaged_at INTEGER,
    fixing_at INTEGER,
    fixed_at INTEGER,
    disclosed_at INTEGER,
    client_addr TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX disclosures_state ON disclosures(state, received_at);
CREATE INDEX disclosures_incident ON disclosures(incident_id);

-- Messages between the researcher and staff. `author`: researcher or staff
-- (`user_id` set); `internal` = a staff note the researcher never sees.
-- `email_message_id`: the Message-ID of a reply that came by email.
CREATE TABLE disclosure_messages (
    id INTEGER PRIMARY KEY,
    disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
    author TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    body TEXT NOT NULL,
    internal INTEGER NOT NULL,
    email_message_id TEXT UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX disclosure_messages_disclosure ON disclosure_messages(disclosure_id, id);

-- Files the researcher (or staff) added, with their SHA-256; `content` is
-- base64, NULL when only the hash was kept (over the size limit).
CREATE TABLE disclosure_attachments (
    id INTEGER PRIMARY KEY,
    disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
    message_id INTEGER REFERENCES disclosure_messages(id),
    filename TEXT,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT,
    added_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX disclosure_attachments_disclosure ON disclosure_attachments(disclosure_id, id);

-- The record's timeline: every state change, triage, score, embargo change,
-- message and reminder. `detail` is JSON.
CREATE TABLE disclosure_events (
    id INTEGER PRIMARY KEY,
    disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX disclosure_events_disclosure ON disclosure_events(disclosure_id, id);

-- When each kind of reminder (acknowledge, triage, fix, embargo) last went
-- out for a disclosure: at most one per policy interval.
CREATE TABLE disclosure_reminders (
    disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
    kind TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (disclosure_id, kind)
);

-- The advisory drafted from a disclosure and published at
-- /security/advisories once disclosed. `state`: draft or published.
CREATE TABLE advisories (
    id INTEGER PRIMARY KEY,
    disclosure_id INTEGER NOT NULL UNIQUE REFERENCES disclosures(id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    affected TEXT NOT NULL,
    severity TEXT,
    cvss_vector TEXT,
    cvss_score_tenths INTEGER,
    fix TEXT NOT NULL,
    credit TEXT,
    state TEXT NOT NULL,
    published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX advisories_published ON advisories(state, published_at);
