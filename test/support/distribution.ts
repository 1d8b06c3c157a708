/**
 * Starts Debian's CNCF Distribution (`docker-registry`) on 127.0.0.1 for
 * compatibility tests and benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running Distribution. */
export interface DistributionProcess {
  readonly url: string;
  readonly host: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `docker-registry serve` with storage at `root`; `extraYaml` is appended to its config. */
export async function startDistribution(root: string, configDir: string, extraYaml = '', storageYaml = `  filesystem:\n    rootdirectory: ${root}\n`): Promise<DistributionProcess> {
  const port = await freePort();
  const cfg = join(configDir, `distribution-${port}.yml`);
  await writeFile(
    cfg,
    `version: 0.1
log:
  level: warn
storage:
${storageYaml}  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${extraYaml}`,
  );
  // Distribution's AWS SDK v1 panics on AWS_CA_BUNDLE with its own transport (set on some machines); it needs none here.
  const { AWS_CA_BUNDLE: _unused, ...env } = process.env;
  void _unused;
  const proc = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    try {
      // 401 with auth configured (htpasswd, token): up all the same.
      const status = (await fetch(`${url}/v2/`)).status;
      if (status === 200 || status === 401) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        // Killed by a signal, a process has a signalCode and no exitCode: a second stop() must not wait for an exit that happened.
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
