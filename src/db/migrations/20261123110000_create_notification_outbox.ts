/**
 * The durable outbox of registry notifications: one row per event and
 * endpoint, delivered in id order per endpoint; failed events are kept (and
 * can be replayed). A lease per endpoint makes one node at a time deliver it,
 * which keeps the order across nodes.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261123110000_create_notification_outbox',
  up: `
CREATE TABLE notification_events (
  id bigserial PRIMARY KEY,
  endpoint text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX notification_events_pending_idx ON notification_events (endpoint, id) WHERE state = 'pending';
CREATE INDEX notification_events_failed_idx ON notification_events (endpoint, id) WHERE state = 'failed';
CREATE TABLE notification_leases (
  endpoint text PRIMARY KEY,
  holder text NOT NULL,
  lease_until timestamptz NOT NULL
);
`,
  down: `
DROP TABLE notification_leases;
DROP TABLE notification_events;
`,
};
