-- Issue 8, item 11: who set a contact method's target. Targets an admin set
-- may reach private addresses (on-premises gateways); targets users set for
-- themselves may not, and the outbox row carries that to the worker.
ALTER TABLE contact_methods ADD COLUMN admin_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contact_methods ADD COLUMN created_by INTEGER REFERENCES users(id);
ALTER TABLE outbox ADD COLUMN admin_set INTEGER NOT NULL DEFAULT 0;
