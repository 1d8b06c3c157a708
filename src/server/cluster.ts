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
 * Node flags of the workers: V8's young generation capped at 4 MiB semi-spaces
 * (default 16): under load a worker's heap otherwise grows by 40–70 MiB of
 * short-lived garbage, and the default mode's whole process tree (supervisor,
 * workers, embedded PostgreSQL) is meant to stay near 250 MiB. Measured: no
 * loss on manifest GET (≈12,000 req/s either way) or a 1 GiB push. An
 * operator's own `--max-semi-space-size` (flags or NODE_OPTIONS) wins.
 */
function workerExecArgv(): string[] {
  const set = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-semi-space-size'));
  return set ? process.execArgv : [...process.execArgv, '--max-semi-space-size=4'];
}

/** Primary side: forks `n` workers, keeps them alive, answers metrics requests. */
export function superviseWorkers(n: number, log: Logger): { stop(): Promise<void> } {
  cluster.setupPrimary({ execArgv: workerExecArgv() });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  // prom-client asks every worker and times out on one still starting, so wait until all listen.
  const listening = new Map<number, Promise<void>>();
  const fork = (index: number) => {
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
      log.error({ worker: index, code, signal }, 'worker died; restarting it');
      setTimeout(() => fork(index), 500);
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
