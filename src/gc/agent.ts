/**
 * Runs one kind of GC review in a loop: right away again after a task, after
 * `interval` when the queue had nothing due, doubling that wait on each idle
 * or failed run up to `maxbackoff` (unless `noidlebackoff`). Stops on
 * {@link GcAgent.stop}, after the task in flight.
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { ReviewOutcome } from './review.js';

/** A running agent. */
export interface GcAgent {
  stop(): Promise<void>;
}

/** Agent timing, from the `gc` config section. */
export interface AgentOptions {
  readonly interval: number;
  readonly maxBackoff: number;
  readonly noIdleBackoff: boolean;
}

/** Starts the review loop of `worker` (`blobs` or `manifests`). */
export function startGcAgent(worker: string, review: () => Promise<ReviewOutcome>, opts: AgentOptions, log: Logger, runs?: Counter<'worker' | 'outcome'>): GcAgent {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let misses = 0;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const loop = (async () => {
    while (!stopped) {
      let outcome: ReviewOutcome;
      try {
        outcome = await review();
      } catch (err) {
        outcome = { kind: 'failed', id: '', error: err as Error };
      }
      runs?.inc({ worker, outcome: outcome.kind === 'reviewed' ? (outcome.deleted ? 'deleted' : 'kept') : outcome.kind });
      if (outcome.kind === 'reviewed') {
        misses = 0;
        log.debug({ worker, id: outcome.id, deleted: outcome.deleted }, 'gc review');
        continue;
      }
      if (outcome.kind === 'failed') log.warn({ worker, id: outcome.id, err: outcome.error.message }, 'gc review failed; postponed');
      const wait = opts.noIdleBackoff && outcome.kind === 'idle' ? opts.interval : Math.min(opts.interval * 2 ** misses, Math.max(opts.maxBackoff, opts.interval));
      misses = Math.min(misses + 1, 30);
      await sleep(wait);
    }
  })();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
