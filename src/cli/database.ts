/**
 * `wharf database migrate up|down|status [config.yml]`.
 */
import type { Command } from 'commander';
import { withDatabase } from './with-database.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrator.js';
import { gcQueueStats } from '../gc/queue-stats.js';
import { addImportCommand } from './import.js';

/** Adds the `database` command group. */
export function addDatabaseCommands(program: Command): void {
  const database = program.command('database').description('metadata database tools');
  database
    .command('gc-status')
    .description('sizes and overdue counts of the online GC review queues')
    .argument('[config]', 'config.yml with a database section')
    .option('--json', 'print JSON')
    .action((path: string | undefined, opts: { json?: boolean }) =>
      withDatabase(path, async (db) => {
        const stats = await gcQueueStats(db);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(stats)}\n`);
          return;
        }
        process.stdout.write('queue      size  overdue  oldest overdue\n');
        for (const s of stats) process.stdout.write(`${s.queue.padEnd(10)} ${String(s.size).padStart(5)} ${String(s.overdue).padStart(8)}  ${s.oldestDue?.toISOString() ?? '-'}\n`);
      }),
    );
  addImportCommand(database);
  const migrate = database.command('migrate').description('schema migrations');
  migrate
    .command('up')
    .description('apply pending migrations')
    .argument('[config]', 'config.yml with a database section')
    .option('-n, --limit <n>', 'apply at most n migrations', (v) => Number(v))
    .action((path: string | undefined, opts: { limit?: number }) =>
      withDatabase(path, async (db) => {
        const applied = await migrateUp(db, opts.limit ?? Infinity);
        process.stdout.write(applied.length ? applied.map((id) => `applied ${id}\n`).join('') : 'no pending migrations\n');
      }),
    );
  migrate
    .command('down')
    .description('revert the last applied migration (or the last n)')
    .argument('[config]', 'config.yml with a database section')
    .option('-n, --limit <n>', 'revert the last n migrations', (v) => Number(v), 1)
    .action((path: string | undefined, opts: { limit: number }) =>
      withDatabase(path, async (db) => {
        const reverted = await migrateDown(db, opts.limit);
        process.stdout.write(reverted.length ? reverted.map((id) => `reverted ${id}\n`).join('') : 'nothing to revert\n');
      }),
    );
  migrate
    .command('status')
    .description('list migrations and whether each is applied')
    .argument('[config]', 'config.yml with a database section')
    .action((path: string | undefined) =>
      withDatabase(path, async (db) => {
        for (const m of await migrationStatus(db)) process.stdout.write(`${m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : 'pending'}  ${m.id}\n`);
      }),
    );
}
