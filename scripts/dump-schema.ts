/**
 * Regenerates src/metadata/database/schema.txt: migrates a throwaway database
 * on the local PostgreSQL and dumps its schema. Run after adding a migration:
 * `npm run schema:dump`.
 */
import { writeFile } from 'node:fs/promises';
import { pgDatabase } from '../src/metadata/database/pg-database.js';
import { migrateUp } from '../src/metadata/database/migrator.js';
import { dumpSchema } from '../src/metadata/database/schema-dump.js';
import { createTestDatabase } from '../test/support/postgres.js';

const tdb = await createTestDatabase();
const db = pgDatabase({ ...tdb.section, database: tdb.section.dbname, ssl: false });
try {
  await migrateUp(db);
  await writeFile(new URL('../src/metadata/database/schema.txt', import.meta.url), await dumpSchema(db));
} finally {
  await db.close();
  await tdb.drop();
}
