/**
 * Durable background jobs in the database (SPEC 4.8). A worker claims one due
 * job with `FOR UPDATE SKIP LOCKED` and a lease (`locked_until`) in a short
 * transaction, runs it outside any transaction (the embedded database has one
 * connection, and a job may call the registry, which needs it), then records
 * the outcome. A job whose worker died is claimed again when its lease ends,
 * so jobs survive restarts and never run twice at once while the lease holds.
 * Failures retry after 2^attempts minutes (the base is configurable) until
 * `max_attempts`, then the job is `failed` and kept.
 */
import type { Database, Queryer } from '../../db/queryer.js';
import type { Logger } from '../../observability/logger.js';
import { normalize } from '../store/normalize.js';

/** A job as a handler sees it. */
export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly payload: Record<string, unknown>;
  /** 1 on the first run. */
  readonly attempts: number;
  readonly max_attempts: number;
}

/** Runs one kind of job; throwing schedules a retry. `final` is true on the last allowed attempt. */
export type JobHandler = (job: Job, final: boolean) => Promise<void>;

/** Queues a job. */
export async function enqueueJob(q: Queryer, kind: string, payload: Record<string, unknown>, opts: { maxAttempts?: number; delayMs?: number } = {}): Promise<number> {
  const [row] = await q.query<{ id: string }>('cp_job_enqueue', "INSERT INTO background_jobs (kind, payload, max_attempts, run_at) VALUES ($1, $2, $3, now() + ($4::text || ' milliseconds')::interval) RETURNING id", [
    kind,
    JSON.stringify(payload),
    opts.maxAttempts ?? 10,
    String(opts.delayMs ?? 0),
  ]);
  return Number(row!.id);
}

/** Options of a job runner. */
export interface JobRunnerOptions {
  readonly log: Logger;
  /** Poll interval when idle. */
  readonly intervalMs: number;
  /** Retry delay base: attempt n waits base × 2^(n-1). Default one minute. */
  readonly backoffBaseMs?: number;
  /** How long a claimed job is reserved. Default 10 minutes. */
  readonly leaseMs?: number;
}

/** Claims and runs due jobs until stopped. */
export class JobRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly opts: JobRunnerOptions,
  ) {}

  /** Claims one due job; undefined when there is none. */
  private async claim(): Promise<Job | undefined> {
    const kinds = Object.keys(this.handlers);
    const [row] = await this.db.query<Job>(
      'cp_job_claim',
      `UPDATE background_jobs SET attempts = attempts + 1, locked_until = now() + ($2::text || ' milliseconds')::interval
       WHERE id = (SELECT id FROM background_jobs WHERE state = 'pending' AND run_at <= now() AND kind = ANY($1::text[])
                   AND (locked_until IS NULL OR locked_until < now()) ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, payload, attempts, max_attempts`,
      [kinds, String(this.opts.leaseMs ?? 600_000)],
    );
    return row && normalize(row);
  }

  /** Runs at most one due job; true when one ran (whatever its outcome). */
  async runOnce(): Promise<boolean> {
    const job = await this.claim();
    if (!job) return false;
    const final = job.attempts >= job.max_attempts;
    try {
      await this.handlers[job.kind]!(job, final);
      await this.db.query('cp_job_done', "UPDATE background_jobs SET state = 'done', finished_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1", [job.id]);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      const delay = (this.opts.backoffBaseMs ?? 60_000) * 2 ** (job.attempts - 1);
      this.opts.log.warn({ job: job.id, kind: job.kind, attempt: job.attempts, err: message }, final ? 'background job failed for good' : 'background job failed; will retry');
      await this.db.query(
        'cp_job_failed',
        `UPDATE background_jobs SET locked_until = NULL, last_error = $2,
           state = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,
           finished_at = CASE WHEN $3 THEN now() END,
           run_at = now() + ($4::text || ' milliseconds')::interval WHERE id = $1`,
        [job.id, message.slice(0, 2000), final, String(delay)],
      );
    }
    return true;
  }

  /** Starts polling. */
  start(): void {
    const tick = async () => {
      try {
        while (!this.stopped && (await this.runOnce()));
      } catch (err) {
        this.opts.log.error({ err }, 'background job runner failed to poll');
      }
    };
    const loop = () => {
      if (this.stopped) return;
      this.running = tick().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops polling and waits for the job in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
