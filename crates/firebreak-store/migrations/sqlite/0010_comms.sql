-- Issue 11: customer communication and the public status page.
-- Times are UTC milliseconds; flags are 0/1 integers.

-- Customers (tenants). A customer's private status page is reached through
-- a secret link: only the SHA-256 of its token is stored (shown once, like
-- an integration key; a new link replaces it).
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    status_token_hash TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Where a customer is told: `channel` is a notify::Channel as JSON, an
-- email address or a signed webhook.
CREATE TABLE customer_contacts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    label TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts(customer_id);

-- What customers use, each part of a service. `status` is the component's
-- state now: operational, degraded_performance, partial_outage,
-- major_outage or under_maintenance. `public` = shown on /status.
CREATE TABLE components (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    service_id INTEGER NOT NULL REFERENCES services(id),
    status TEXT NOT NULL,
    public INTEGER NOT NULL,
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every change of a component's status, for the 90-day uptime bars.
CREATE TABLE component_status_changes (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id),
    status TEXT NOT NULL,
    incident_id INTEGER REFERENCES incidents(id),
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX component_status_changes_component ON component_status_changes(component_id, at);

-- Which components a customer uses.
CREATE TABLE customer_components (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    component_id INTEGER NOT NULL REFERENCES components(id),
    PRIMARY KEY (customer_id, component_id)
);

-- Whom an incident affects, as set: `mode` is nobody, customers (the rows
-- of incident_customers), components (derived: the customers of the
-- incident's components) or all. No row: not set yet.
CREATE TABLE incident_affected (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
    mode TEXT NOT NULL,
    set_by TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE incident_customers (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    PRIMARY KEY (incident_id, customer_id)
);

-- The components an incident affects, with the status it gives them.
CREATE TABLE incident_components (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    component_id INTEGER NOT NULL REFERENCES components(id),
    status TEXT NOT NULL,
    PRIMARY KEY (incident_id, component_id)
);

-- Notices to customers and posts on the status page. A draft is edited
-- and previewed; `sent_at` is set once, when it goes out, with the exact
-- `subject` and `body` sent and the `recipients` (JSON) it went to.
-- `body` and the fields it is drawn from (title, impact, actions) are the
-- public wording; `internal_note` never leaves the incident page.
-- `public_status` is the status page's word for the incident (investigating,
-- identified, monitoring, resolved); `on_status_page` = shown on /status.
-- A security incident's notice needs `approved_by` before it is sent.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    impact TEXT NOT NULL,
    actions TEXT NOT NULL,
    next_update_at INTEGER,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    internal_note TEXT NOT NULL,
    public_status TEXT NOT NULL,
    on_status_page INTEGER NOT NULL,
    to_customers INTEGER NOT NULL,
    approved_by TEXT,
    recipients TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_by TEXT,
    sent_at INTEGER
);
CREATE INDEX notices_incident ON notices(incident_id);
CREATE INDEX notices_public ON notices(sent_at) WHERE on_status_page = 1;

-- When the incident lead was last reminded of an overdue notice of a kind.
CREATE TABLE comms_reminders (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    kind TEXT NOT NULL,
    reminded_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, kind)
);

-- Status page subscribers: an email address (double opt-in: confirmed_at
-- is set by the link mailed to it) or a webhook URL (signed with `secret`).
-- Their links are HMACs of the id, so no token is stored. No rows in
-- status_subscriber_components: every component.
CREATE TABLE status_subscribers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    secret TEXT,
    customer_id INTEGER REFERENCES customers(id),
    confirmed_at INTEGER,
    unsubscribed_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, target)
);
CREATE TABLE status_subscriber_components (
    subscriber_id INTEGER NOT NULL REFERENCES status_subscribers(id),
    component_id INTEGER NOT NULL REFERENCES components(id),
    PRIMARY KEY (subscriber_id, component_id)
);

-- Scheduled maintenance on the status page: a window with public wording
-- (NULL: not shown publicly).
ALTER TABLE intake_maintenance ADD COLUMN public_title TEXT;
ALTER TABLE intake_maintenance ADD COLUMN public_body TEXT;
