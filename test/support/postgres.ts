/**
 * The real PostgreSQL at 127.0.0.1:5432 for tests: a fresh database per run,
 * dropped afterwards. Without a server the tests that need it are skipped with
 * a loud message, except under CI=true, where that fails the run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateUp } from '../../src/db/migrator.js';
import { pgDatabase } from '../../src/db/pg-database.js';

const ADMIN = { host: process.env.WHARF_TEST_PGHOST ?? '127.0.0.1', port: Number(process.env.WHARF_TEST_PGPORT ?? 5432), user: process.env.WHARF_TEST_PGUSER ?? 'postgres', database: 'postgres' };

/** Returns a skip reason when PostgreSQL is unreachable (printed loudly); throws under CI=true. */
export async function requirePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ ...ADMIN, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (err) {
    const msg = `PostgreSQL is not reachable at ${ADMIN.host}:${ADMIN.port} (${(err as Error).message}); database tests are SKIPPED`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${msg}`);
    process.stderr.write(`\n!!! ${msg}\n\n`);
    return msg;
  }
}

/** A throwaway database. */
export interface TestDatabase {
  /** The `database` config section pointing at it. */
  readonly section: { enabled: true; host: string; port: number; user: string; dbname: string; sslmode: 'disable' };
  drop(): Promise<void>;
}

/** Creates `wharf_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dbname = `wharf_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbname}`);
  await admin.end();
  return {
    section: { enabled: true, host: ADMIN.host, port: ADMIN.port, user: ADMIN.user, dbname, sslmode: 'disable' },
    async drop() {
      const c = new pg.Client(ADMIN);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Creates a throwaway database with every migration applied. */
export async function createMigratedTestDatabase(): Promise<TestDatabase> {
  const tdb = await createTestDatabase();
  const db = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
  try {
    await migrateUp(db);
  } finally {
    await db.close();
  }
  return tdb;
}
