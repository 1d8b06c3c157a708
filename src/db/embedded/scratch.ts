/**
 * Databases for configurations that keep nothing on disk (the `inmemory`
 * storage driver): one embedded server per process in a temporary directory,
 * and a fresh database on it for each opener, copied from a migrated
 * template (a copy takes milliseconds; migrating takes a second). Everything
 * goes when the last opener closes.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateUp } from '../migrator.js';
import { pgDatabase } from '../pg-database.js';
import { acquireEmbeddedServer, withAdminClient, type EmbeddedConnection, type EmbeddedServer } from './server.js';

interface Scratch {
  readonly dir: string;
  readonly server: EmbeddedServer;
  users: number;
}

let scratch: Promise<Scratch> | undefined;
const TEMPLATE = 'wharf_template';

async function startScratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-memdb-'));
  await chmod(dir, 0o755); // as root, the server's own account must enter it
  const server = await acquireEmbeddedServer(join(dir, 'pg'));
  await withAdminClient(server.connection, (c) => c.query(`CREATE DATABASE ${TEMPLATE}`));
  const db = pgDatabase({ ...server.connection, database: TEMPLATE, max: 1 });
  try {
    await migrateUp(db);
  } finally {
    await db.close();
  }
  return { dir, server, users: 0 };
}

/** A migrated, empty database of its own on the process's scratch server; `drop` removes it (and the server after the last). */
export async function scratchDatabase(): Promise<{ connection: EmbeddedConnection; drop(): Promise<void> }> {
  scratch ??= startScratch();
  scratch.catch(() => (scratch = undefined));
  const s = await scratch;
  s.users++;
  const name = `wharf_${randomBytes(6).toString('hex')}`;
  try {
    await withAdminClient(s.server.connection, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`));
  } catch (err) {
    s.users--;
    throw err;
  }
  return {
    connection: { ...s.server.connection, database: name },
    async drop() {
      await withAdminClient(s.server.connection, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (--s.users > 0) return;
      scratch = undefined;
      await s.server.release();
      await rm(s.dir, { recursive: true, force: true });
    },
  };
}
