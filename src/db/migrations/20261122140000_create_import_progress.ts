/**
 * Progress of `wharf database import`: one row per repository and step done,
 * so an interrupted import resumes where it stopped.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261122140000_create_import_progress',
  up: `
CREATE TABLE legacy_import_progress (
  repository_path text NOT NULL,
  step text NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_path, step)
);
`,
  down: `
DROP TABLE legacy_import_progress;
`,
};
