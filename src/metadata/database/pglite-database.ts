/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in this
 * process, storing its files under the registry's data directory. Same SQL
 * and migrations as the server. PGlite is single-connection: every query and
 * transaction runs one at a time, so embedded mode runs one registry process.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryer } from './queryer.js';

type Runner = Pick<PGlite, 'query' | 'exec'>;

function queryer(db: Runner): Queryer {
  return {
    async query<R>(_name: string, text: string, params?: readonly unknown[]) {
      // Parameterless SQL may hold several statements (migrations): the simple protocol takes them.
      if (!params || params.length === 0) {
        const results = await db.exec(text);
        return (results[results.length - 1]?.rows ?? []) as R[];
      }
      const res = await db.query<R>(text, params as unknown[]);
      return res.rows;
    },
  };
}

/** Opens (creating when missing) an embedded database at `dataDir`, or in memory with `memory://`. */
export async function pgliteDatabase(dataDir: string): Promise<Database> {
  const db = await PGlite.create(dataDir);
  const root = queryer(db);
  return {
    query: root.query,
    transaction: (fn) => db.transaction((tx) => fn(queryer(tx))),
    close: () => db.close(),
  };
}
