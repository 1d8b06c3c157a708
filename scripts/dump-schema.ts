/**
 * Regenerates src/db/schema.txt: migrates a throwaway database
 * on the local PostgreSQL and dumps its schema. Run after adding a migration:
 * `npm run schema:dump`.
 */
import { writeFile } from 'node:fs/promises';
import { pgDatabase } from '../src/db/pg-database.js';
import { migrateUp } from '../src/db/migrator.js';
import { dumpSchema } from '../src/db/schema-dump.js';
import { createTestDatabase } from '../test/support/postgres.js';

const tdb = await createTestDatabase();
const db = pgDatabase({ ...tdb.section, database: tdb.section.dbname, ssl: false });
try {
  await migrateUp(db);
  await writeFile(new URL('../src/db/schema.txt', import.meta.url), await dumpSchema(db));
} finally {
  await db.close();
  await tdb.drop();
}
