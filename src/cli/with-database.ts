/**
 * Runs a CLI command against the database its config names, closing it
 * afterwards. A refusal the command raises as a DomainError (bad input, not
 * found, a clash) is printed and exits 1; anything else propagates.
 */
import { loadConfig } from '../config/load.js';
import { DomainError } from '../control/domain-error.js';
import { openDatabase } from '../db/open.js';
import type { Database } from '../db/queryer.js';
import type { Config } from '../config/schema.js';

/** Opens the database of `path`'s config, runs `fn`, closes it. */
export function withDatabase(path: string | undefined, fn: (db: Database) => Promise<void>): Promise<void> {
  return withConfigDatabase(path, (_config, db) => fn(db));
}

/** As withDatabase, for a command that also reads the config; `refuse` names a reason not to open it (printed, exit 1). */
export async function withConfigDatabase(path: string | undefined, fn: (config: Config, db: Database) => Promise<void>, refuse?: (config: Config) => string | undefined): Promise<void> {
  const config = await loadConfig(path);
  const reason = refuse?.(config);
  if (reason) {
    process.stderr.write(`error: ${reason}\n`);
    process.exitCode = 1;
    return;
  }
  const db = await openDatabase(config, { role: 'command' });
  try {
    await fn(config, db);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}
