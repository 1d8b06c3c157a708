/**
 * Runs a registry node in several processes sharing one port (node:cluster),
 * so request handling uses every core. The primary only supervises: it
 * restarts a worker that dies and aggregates Prometheus metrics, which any
 * worker serves at /metrics by asking the primary over IPC.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';

/**
 * Number of processes `http.workers` asks for; 1 with the inmemory driver,
 * whose blobs (and scratch database) would differ per process. The embedded
 * database server is shared: the primary starts it, the workers connect.
 */
export function workerCount(config: Config): number {
  if (config.storage.inmemory) return 1;
  const w = config.http.workers;
  return w === 'auto' ? Math.max(1, availableParallelism()) : w;
}

interface MetricsRequest {
  type: 'wharf:metrics';
  id: number;
}

/**
 * Node flags of the workers, for the default mode's memory budget (the whole
 * tree: supervisor, workers, embedded PostgreSQL, near 250 MiB at peak):
 * - `--max-semi-space-size=4` (default 16): under load a worker's heap
 *   otherwise grows by 40–70 MiB of short-lived garbage; no loss measured.
 * - `--max-old-space-size=128`: V8 collects the old generation well before
 *   this limit, instead of letting a worker's heap grow to 100+ MiB under a
 *   32-connection manifest load. Measured on the bench (2026-12-01): tree peak
 *   304 → 243 MiB PSS, manifest GET ≈ 22,000 → 19,000 req/s (still ≈ 18×
 *   Distribution). No request path holds more than a few MiB (bodies stream;
 *   manifests and lists are bounded).
 * An operator's own flag (command line or NODE_OPTIONS) wins for either.
 */
function workerExecArgv(): string[] {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''];
  const args = [...process.execArgv];
  for (const [flag, value] of [
    ['--max-semi-space-size', '4'],
    ['--max-old-space-size', '128'],
  ] as const) {
    if (!given.some((a) => a.includes(flag))) args.push(`${flag}=${value}`);
  }
  return args;
}

/** A worker's exit status for "cannot start with this configuration" (main.ts): restarting it cannot help. */
export const EXIT_CONFIG = 2;

/**
 * Crash restarts: the n-th crash in a row waits 0.5 s × 2^(n-1), at most
 * 30 s; a worker that served for a minute starts the count again; after 8
 * crashes in a row the supervisor gives up (status 1), for its process
 * manager to decide.
 */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
const STABLE_MS = 60_000;
export const MAX_CRASHES = 8;

/**
 * Primary side: forks `n` workers, keeps them alive, answers metrics
 * requests. `fatal` is called once with the status Wharf should exit with:
 * a worker stopped on its configuration (status 2: every worker would), or
 * one kept crashing.
 */
export function superviseWorkers(n: number, log: Logger, fatal: (code: number) => void = (code) => process.exit(code)): { stop(): Promise<void> } {
  cluster.setupPrimary({ execArgv: workerExecArgv() });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  // prom-client asks every worker and times out on one still starting, so wait until all listen.
  const listening = new Map<number, Promise<void>>();
  const crashes = new Map<number, number>();
  const fork = (index: number) => {
    const forkedAt = Date.now();
    const w = cluster.fork({ WHARF_WORKER_INDEX: String(index) });
    listening.set(index, new Promise((resolve) => w.once('listening', () => resolve())));
    w.on('message', (m: MetricsRequest) => {
      if (m?.type !== 'wharf:metrics') return;
      Promise.all(listening.values())
        .then(() => aggregator.clusterMetrics())
        .then(
          (text) => w.send({ type: 'wharf:metrics:res', id: m.id, text, contentType: aggregator.contentType }),
          (err: unknown) => w.send({ type: 'wharf:metrics:res', id: m.id, error: (err as Error).message }),
        );
    });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      if (code === EXIT_CONFIG) {
        log.error({ worker: index, code }, 'a worker cannot start with this configuration (its message is above); Wharf exits');
        stopping = true;
        fatal(EXIT_CONFIG);
        return;
      }
      const inARow = Date.now() - forkedAt > STABLE_MS ? 1 : (crashes.get(index) ?? 0) + 1;
      crashes.set(index, inARow);
      if (inARow > MAX_CRASHES) {
        log.error({ worker: index, code, signal, crashes: inARow - 1 }, 'a worker keeps crashing; Wharf gives up and exits');
        stopping = true;
        fatal(1);
        return;
      }
      const delay = Math.min(RESTART_BASE_MS * 2 ** (inARow - 1), RESTART_MAX_MS);
      log.error({ worker: index, code, signal, restartInMs: delay, crashesInARow: inARow }, 'worker died; restarting it');
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay);
    });
  };
  for (let i = 0; i < n; i++) fork(i);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        const workers = Object.values(cluster.workers ?? {});
        let left = workers.length;
        if (left === 0) return resolve();
        for (const w of workers) {
          w?.once('exit', () => --left === 0 && resolve());
          w?.process.kill('SIGTERM');
        }
      }),
  };
}

/** True in a worker forked by {@link superviseWorkers}. */
export const isClusterWorker = (): boolean => cluster.isWorker;

export { workerIndex } from '../observability/worker-identity.js';

let nextId = 0;
const waiting = new Map<number, (r: { text?: string; contentType?: string; error?: string }) => void>();

/** Worker side: registers this process's registry for aggregation and returns a fetcher of cluster-wide metrics. */
export function clusterMetricsSource(registry: Registry): () => Promise<{ text: string; contentType: string }> {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client installs its worker-side responder when an aggregator is constructed.
  new AggregatorRegistry();
  process.on('message', (m: { type?: string; id: number; text?: string; contentType?: string; error?: string }) => {
    if (m?.type !== 'wharf:metrics:res') return;
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (r) => (r.error || !r.text ? reject(new Error(r.error ?? 'no metrics')) : resolve({ text: r.text, contentType: r.contentType ?? 'text/plain' })));
      process.send?.({ type: 'wharf:metrics', id });
    });
}
