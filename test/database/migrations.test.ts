/** Migrations on the real PostgreSQL: up, status, the checked-in schema dump, down, and the CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pgDatabase } from '../../src/db/pg-database.js';
import { migrateDown, migrateUp, migrationStatus } from '../../src/db/migrator.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { dumpSchema } from '../../src/db/schema-dump.js';
import type { Database } from '../../src/db/queryer.js';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

const skip = await requirePostgres();
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

describe('database migrations', { skip }, () => {
  let tdb: TestDatabase;
  let db: Database;
  before(async () => {
    tdb = await createTestDatabase();
    db = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
  });
  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('applies every migration once, matches the checked-in schema dump, and reverts', async () => {
    assert.deepEqual(
      await migrateUp(db),
      MIGRATIONS.map((m) => m.id),
    );
    assert.deepEqual(await migrateUp(db), [], 'a second run applies nothing');
    assert.ok((await migrationStatus(db)).every((m) => m.appliedAt instanceof Date));
    const want = await readFile(new URL('../../src/db/schema.txt', import.meta.url), 'utf8');
    assert.equal(await dumpSchema(db), want, 'schema.txt is stale: run npm run schema:dump');
    assert.deepEqual(await migrateDown(db, MIGRATIONS.length), MIGRATIONS.map((m) => m.id).reverse());
    const tables = await db.query<{ t: string }>('t', "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    assert.deepEqual(
      tables.map((r) => r.t),
      ['schema_migrations'],
    );
  });

  it('wharf database migrate up|status|down work from the command line', async () => {
    const dir = await tempDir('wharf-migrate-');
    const cfg = join(dir, 'config.yml');
    const s = tdb.section;
    await writeFile(
      cfg,
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}\ndatabase:\n  enabled: true\n  host: ${s.host}\n  port: ${s.port}\n  user: ${s.user}\n  dbname: ${s.dbname}\n  sslmode: disable\n`,
    );
    const wharf = (...args: string[]) => spawnSync(process.execPath, [BIN, 'database', 'migrate', ...args, cfg], { encoding: 'utf8' });
    const up = wharf('up');
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`applied ${MIGRATIONS[0]?.id}`));
    const last = MIGRATIONS[MIGRATIONS.length - 1]?.id as string;
    for (const m of MIGRATIONS) assert.match(wharf('status').stdout, new RegExp(`^applied \\S+ {2}${m.id}$`, 'm'));
    assert.match(wharf('down').stdout, new RegExp(`reverted ${last}`));
    assert.match(wharf('status').stdout, new RegExp(`^pending {2}${last}$`, 'm'));
  });
});
