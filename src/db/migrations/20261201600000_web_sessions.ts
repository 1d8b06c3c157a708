/**
 * Sign-in sessions of the admin web page (SPEC 9.4): a random cookie value
 * stored only as its SHA-256 digest, the user, the CSRF token every write
 * must carry, and an absolute expiry.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201600000_web_sessions',
  up: `
CREATE TABLE web_sessions (
  id_digest text PRIMARY KEY,
  -- No foreign key: a Geo secondary replaces its users table wholesale (TRUNCATE … CASCADE) when the
  -- primary's control data changes, which would sign everybody out; a session of a user who is gone
  -- or blocked finds no active user in the join of every lookup (control/store/sessions.ts).
  user_id bigint NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
`,
  down: `
DROP TABLE web_sessions;
`,
};
