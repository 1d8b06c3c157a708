/**
 * The `wharf` command line.
 */
import cluster from 'node:cluster';
import { Command } from 'commander';
import { createLogger } from '../observability/logger.js';
import { EXIT_CONFIG, superviseWorkers, workerCount } from '../server/cluster.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { workerIndex } from '../observability/worker-identity.js';
import { describeDatabase, startEmbeddedServer } from '../db/open.js';

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
      const database = await startEmbeddedServer(config, (msg, level = 'warn') => log[level](msg)).catch((err: Error) => {
        throw new ConfigError([`database: cannot use ${describeDatabase(config)}: ${err.message}`]);
      });
      log.info({ workers }, 'starting registry workers');
      const end = (code: number) =>
        void supervisor
          .stop()
          .then(() => database?.release())
          .then(() => process.exit(code));
      // A worker that stopped on its configuration (or gave up on crashes) ends Wharf with its status.
      const supervisor = superviseWorkers(workers, log, (code) => end(code));
      process.once('SIGINT', () => end(0));
      process.once('SIGTERM', () => end(0));
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
  // A refusal to start is one clear line (or a configuration's list of problems), never a stack trace.
  // EX_CONFIG-like status 2 tells the cluster supervisor not to restart a worker that cannot start.
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  // A dependency down at start (the database): status 1, restarted (with backoff) by the supervisor.
  if ((err as Error)?.name === 'DatabaseUnavailableError' || (err as Error)?.name === 'StorageUnavailableError') {
    process.stderr.write(`wharf: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  throw err;
}
