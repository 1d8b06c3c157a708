/**
 * Runs `wharf serve` as a separate process (for crash tests and benchmarks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './distribution.js';

/** A Wharf child process. */
export interface WharfProcess {
  readonly url: string;
  readonly host: string;
  readonly proc: ChildProcess;
  /** The last 4,000 characters the server wrote to stderr (its log). */
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

/**
 * Starts `wharf serve` on a free port with storage at `root`, with `workers`
 * processes; metadata in the default mode (the embedded PostgreSQL server)
 * unless `databaseYaml` gives the `database:` section's body (`  enabled:
 * false\n` for legacy); `storageYaml` replaces the filesystem driver
 * (the lines under `storage:`, indented by two).
 */
export async function spawnWharf(
  root: string,
  configDir: string,
  workers: number | 'auto' = 1,
  extraYaml = '',
  databaseYaml = '',
  storageYaml = `  filesystem:\n    rootdirectory: ${root}\n`,
  as?: { uid: number; gid: number },
  /** A fixed port (a restart that keeps its address); a free one by default. */
  port?: number,
): Promise<WharfProcess> {
  const p = port ?? (await freePort());
  const cfg = join(configDir, `wharf-${p}.yml`);
  await writeFile(
    cfg,
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n${storageYaml}  delete:\n    enabled: true\ndatabase:\n${databaseYaml}http:\n  addr: 127.0.0.1:${p}\n  workers: ${workers}\n${extraYaml}`,
  );
  const proc = spawn(process.execPath, [BIN, 'serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${p}`;
  // A first start initialises the embedded PostgreSQL server and migrates it: seconds, more on a busy machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`wharf exited: ${stderr}`);
    try {
      // 401 with token auth on: up all the same.
      const status = (await fetch(`${url}/v2/`)).status;
      if (status === 200 || status === 401) break;
    } catch {
      if (Date.now() > deadline) {
        // A server that cannot start (a bad config, a database not migrated) must not outlive the test.
        proc.kill('SIGKILL');
        throw new Error(`wharf did not start: ${stderr}`);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    host: `127.0.0.1:${p}`,
    proc,
    log: () => stderr,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
  };
}
