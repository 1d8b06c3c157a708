/**
 * Applies and reverts migrations, recording them in `schema_migrations`.
 * Each migration runs in its own transaction; a lock serialises concurrent
 * migrators (several nodes starting at once).
 */
import type { Migration } from './migrations/migration.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './queryer.js';

/** One migration's state. */
export interface MigrationStatus {
  readonly id: string;
  readonly appliedAt: Date | undefined;
}

const LOCK_ID = 7_261_122; // pg_advisory_xact_lock key for migrations

/**
 * Creates `schema_migrations` under the migrations lock: CREATE TABLE IF NOT
 * EXISTS is not safe against itself (two first starts at once both create
 * the table's row type, and one fails on pg_type's unique index).
 */
async function ensureTable(db: Database): Promise<void> {
  const exists = await db.query('migrations_table_exists', "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'");
  if (exists.length > 0) return;
  await db.transaction(async (tx) => {
    await tx.query('migrations_lock', 'SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await tx.query('migrations_table', 'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  });
}

/** Every known migration with when it was applied (undefined when pending). */
export async function migrationStatus(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationStatus[]> {
  await ensureTable(db);
  const rows = await db.query<{ id: string; applied_at: Date }>('migrations_applied', 'SELECT id, applied_at FROM schema_migrations');
  const applied = new Map(rows.map((r) => [r.id, r.applied_at]));
  return migrations.map((m) => ({ id: m.id, appliedAt: applied.get(m.id) }));
}

/** Applies pending migrations (at most `limit`); returns the ids applied. */
export async function migrateUp(db: Database, limit = Infinity, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  await ensureTable(db);
  const done: string[] = [];
  for (const m of migrations) {
    if (done.length >= limit) break;
    const applied = await db.transaction(
      async (tx) => {
        await tx.query('migrations_lock', 'SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
        const exists = await tx.query('migrations_check', 'SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
        if (exists.length > 0) return false;
        await tx.query(`migration_up_${m.id}`, m.up);
        await tx.query('migrations_record', 'INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
        return true;
      },
      { unbounded: true },
    );
    if (applied) done.push(m.id);
  }
  return done;
}

/** Reverts the last `count` applied migrations (default one); returns the ids reverted. */
export async function migrateDown(db: Database, count = 1, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const status = await migrationStatus(db, migrations);
  const applied = status
    .filter((s) => s.appliedAt)
    .map((s) => s.id)
    .reverse()
    .slice(0, count);
  for (const id of applied) {
    const m = migrations.find((x) => x.id === id) as Migration;
    await db.transaction(
      async (tx) => {
        await tx.query('migrations_lock', 'SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
        await tx.query(`migration_down_${m.id}`, m.down);
        await tx.query('migrations_unrecord', 'DELETE FROM schema_migrations WHERE id = $1', [m.id]);
      },
      { unbounded: true },
    );
  }
  return applied;
}
