/**
 * The `wharf` command line.
 */
import cluster from 'node:cluster';
import { Command } from 'commander';
import { createLogger } from '../observability/logger.js';
import { superviseWorkers, workerCount } from '../server/cluster.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { workerIndex } from '../observability/worker-identity.js';
import { startEmbeddedServer } from '../db/open.js';

const program = new Command();
program.name('wharf').description('Wharf container registry').showHelpAfterError();

program
  .command('serve')
  .description('run the registry and control plane (defaults: 127.0.0.1:5000, data under ./data, token auth)')
  .argument('[config]', 'config.yml in Distribution format')
  .action(async (path: string | undefined) => {
    const config = await loadConfig(path);
    const workers = workerCount(config);
    if (workers > 1 && cluster.isPrimary) {
      const log = createLogger(config.log);
      // The embedded database server belongs to the supervisor, so it outlives any one worker.
      const database = await startEmbeddedServer(config, (msg) => log.warn(msg));
      log.info({ workers }, 'starting registry workers');
      const supervisor = superviseWorkers(workers, log);
      const stop = () =>
        void supervisor
          .stop()
          .then(() => database?.release())
          .then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    // Imported here, not at the top: the cluster supervisor never loads the registry (~50 MiB less).
    const { startRegistryNode } = await import('../server/registry-node.js');
    const node = await startRegistryNode(config, { rootPassword: workerIndex() === 0 ? process.env.WHARF_ROOT_PASSWORD : undefined });
    // Last resort: a promise rejected outside any request's handling is logged, never the end of the
    // process (Node's default); every request path answers its own errors (registry/app.ts).
    process.on('unhandledRejection', (err) => node.services.log.error({ err }, 'unhandled rejection (the process keeps serving)'));
    const stop = (signal: string) => {
      node.services.log.info({ signal }, 'shutting down');
      const drain = config.http.draintimeout;
      const force = setTimeout(() => process.exit(0), drain > 0 ? drain : 5000);
      force.unref();
      void node.close().then(() => process.exit(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

// Command groups are loaded only when named (or for help): each pulls in its part of Wharf, and a
// process running `serve` (above all the cluster supervisor) should not carry the others.
const GROUPS: Record<string, () => Promise<(p: Command) => void>> = {
  database: async () => (await import('./database.js')).addDatabaseCommands,
  admin: async () => (await import('./admin.js')).addAdminCommands,
  notifications: async () => (await import('./notifications.js')).addNotificationCommands,
  'garbage-collect': async () => (await import('./garbage-collect.js')).addGarbageCollectCommand,
  geo: async () => (await import('./geo.js')).addGeoCommands,
};
const named = process.argv[2];
for (const [group, load] of Object.entries(GROUPS)) {
  if (named === group || named === undefined || named === 'help' || named.startsWith('-')) (await load())(program);
}

const config = program.command('config').description('configuration tools');
config
  .command('verify')
  .description('validate a config file (and REGISTRY_* overrides) without starting anything')
  .argument('<config>', 'config.yml')
  .action(async (path: string) => {
    const c = await loadConfig(path);
    const driver = storageSummary(c);
    process.stdout.write(`configuration OK: ${path}\n  storage: ${driver}\n  listen: ${c.http.addr}\n  read-only: ${c.storage.maintenance.readonly.enabled}\n`);
  });

/** The driver `config verify` reports, with where it keeps data. */
function storageSummary(c: Config): string {
  const s = c.storage;
  if (s.inmemory) return 'inmemory';
  if (s.s3 ?? s.s3_v2) return `s3 (bucket ${(s.s3 ?? s.s3_v2)?.bucket})`;
  if (s.azure ?? s.azure_v2) return `azure (container ${(s.azure ?? s.azure_v2)?.container})`;
  if (s.gcs) return `gcs (bucket ${s.gcs.bucket})`;
  return `filesystem (${s.filesystem?.rootdirectory})`;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
