-- Issue 10, item 1: test pages. A test page is one message through one
-- contact method, queued in the outbox like any page (keyed `test-page:…`,
-- with no incident) so the worker delivers it and records every attempt.
-- This row says whom it was for, through which method, and who asked; its
-- state (pending, delivered, failed), error and delivery time are the outbox
-- row's, read through `outbox_id`, so there is one record of the delivery.
-- The contact method's id and label are copied, not referenced: a method
-- removed later keeps its test pages.
CREATE TABLE test_pages (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    contact_method_id INTEGER NOT NULL,
    contact_label TEXT NOT NULL,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    requested_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX test_pages_user ON test_pages(user_id);
