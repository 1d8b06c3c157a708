/**
 * Runs a CLI command against the database its config names, closing it
 * afterwards. A refusal the command raises as a DomainError (bad input, not
 * found, a clash) is printed and exits 1; anything else propagates.
 */
import { loadConfig } from '../config/load.js';
import { DomainError } from '../control/domain-error.js';
import { openDatabase } from '../db/open.js';
import type { Database } from '../db/queryer.js';

/** Opens the database of `path`'s config, runs `fn`, closes it. */
export async function withDatabase(path: string | undefined, fn: (db: Database) => Promise<void>): Promise<void> {
  const db = await openDatabase(await loadConfig(path), { role: 'command' });
  try {
    await fn(db);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}
