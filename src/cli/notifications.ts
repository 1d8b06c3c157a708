/**
 * `wharf notifications list|replay [config.yml]`: the outbox seen from the
 * command line — pending and failed counts per endpoint, the failed events
 * with their last error, and putting failed events back in their queue.
 * With the embedded database, stop the server first.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openDatabase } from '../db/open.js';
import type { Config } from '../config/schema.js';
import { fileOutboxRoot } from '../notifications/factory.js';
import { databaseOutbox } from '../notifications/db-outbox.js';
import { fileOutbox } from '../notifications/file-outbox.js';
import type { Outbox } from '../notifications/outbox.js';

/** Every outbox of the config: the database one, or one per worker directory. */
async function withOutboxes(path: string | undefined, fn: (outboxes: Outbox[]) => Promise<void>): Promise<void> {
  const config: Config = await loadConfig(path);
  if (config.database.enabled) {
    const db = await openDatabase(config, { role: 'command' });
    try {
      await fn([databaseOutbox(db)]);
    } finally {
      await db.close();
    }
    return;
  }
  const root = fileOutboxRoot(config);
  const workers = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory());
  await fn(workers.map((d) => fileOutbox(join(root, d.name))));
}

/** Adds the `notifications` command group. */
export function addNotificationCommands(program: Command): void {
  const cmd = program.command('notifications').description('the notification outbox');
  cmd
    .command('list')
    .description('pending and failed counts per endpoint, and every failed event')
    .argument('[config]', 'config.yml')
    .option('--endpoint <name>', 'only this endpoint')
    .option('--json', 'print JSON')
    .action((path: string | undefined, opts: { endpoint?: string; json?: boolean }) =>
      withOutboxes(path, async (outboxes) => {
        const stats = new Map<string, { pending: number; failed: number }>();
        const failed = [];
        for (const o of outboxes) {
          for (const s of await o.stats()) {
            if (opts.endpoint && s.endpoint !== opts.endpoint) continue;
            const t = stats.get(s.endpoint) ?? { pending: 0, failed: 0 };
            stats.set(s.endpoint, { pending: t.pending + s.pending, failed: t.failed + s.failed });
          }
          failed.push(...(await o.listFailed(opts.endpoint)));
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ endpoints: Object.fromEntries(stats), failed: failed.map((f) => ({ id: f.id, endpoint: f.endpoint, attempts: f.attempts, lastError: f.lastError, event: f.event })) })}\n`,
          );
          return;
        }
        process.stdout.write('endpoint                 pending  failed\n');
        for (const [name, s] of stats) process.stdout.write(`${name.padEnd(24)} ${String(s.pending).padStart(7)} ${String(s.failed).padStart(7)}\n`);
        for (const f of failed)
          process.stdout.write(`failed ${f.endpoint} ${f.id} ${f.event.action} ${f.event.target.repository}${f.event.target.tag ? `:${f.event.target.tag}` : ''} after ${f.attempts} attempts: ${f.lastError ?? ''}\n`);
      }),
    );
  cmd
    .command('replay')
    .description("put failed events back at the end of their endpoint's queue (the server delivers them)")
    .argument('[config]', 'config.yml')
    .option('--endpoint <name>', 'only this endpoint')
    .option('--id <id...>', 'only these events')
    .action((path: string | undefined, opts: { endpoint?: string; id?: string[] }) =>
      withOutboxes(path, async (outboxes) => {
        let n = 0;
        for (const o of outboxes) n += await o.replay(opts.endpoint, opts.id);
        process.stdout.write(`replayed ${n} event(s)\n`);
      }),
    );
}
