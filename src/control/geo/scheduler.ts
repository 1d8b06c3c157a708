/**
 * Runs repository syncs on a secondary (SPEC 7.2, 7.3): claims due rows
 * under a lease (one sync per repository across every node), at most
 * `geo.sync.concurrency` at once on this site's loop, and records the
 * outcome: synced, or failed with the reason and the next attempt after a
 * capped exponential backoff with jitter (GitLab's counter resets, so a
 * broken repository retries every minute forever; here the wait grows to
 * `geo.sync.maxbackoff` and stays there).
 */
import { randomUUID } from 'node:crypto';
import { pause, type GeoContext } from './context.js';
import { claimDue, failSync, finishSync, type RepositoryRegistryRow } from './store.js';
import { syncRepository, VerificationError } from './sync.js';

const LEASE_SECONDS = 600;
const BASE_DELAY_MS = 5_000;

/** The wait before attempt `retry` + 1: 5 s × 2^(retry−1), capped, ±20 % jitter. */
export function backoffMs(retry: number, maxMs: number): number {
  const raw = Math.min(maxMs, BASE_DELAY_MS * 2 ** Math.max(0, Math.min(retry - 1, 30)));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

export class SyncScheduler {
  private readonly owner = `geo-${randomUUID()}`;
  private running = 0;
  private stopped = false;
  private wake = this.newWake();
  private loop: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly ctx: GeoContext) {}

  private newWake(): { promise: Promise<void>; fire: () => void } {
    let fire = () => undefined as void;
    const promise = new Promise<void>((resolve) => {
      fire = resolve;
    });
    return { promise, fire };
  }

  /** Looks for due work now (after events arrived or a resync). */
  poke(): void {
    this.wake.fire();
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.tick().catch((err: unknown) => this.ctx.log.warn({ err }, 'geo: could not claim repositories to sync'));
        const wake = this.wake;
        await pause(1000, wake);
        if (wake === this.wake) this.wake = this.newWake();
      }
    })();
  }

  private async tick(): Promise<void> {
    if (this.ctx.site.current.role !== 'secondary' || this.ctx.config.geo.sync.paused) return;
    const free = this.ctx.config.geo.sync.concurrency - this.running;
    if (free <= 0) return;
    for (const row of await claimDue(this.ctx.db, this.owner, free, LEASE_SECONDS)) {
      this.running++;
      const p = this.run(row).finally(() => {
        this.running--;
        this.inflight.delete(p);
        this.poke();
      });
      this.inflight.add(p);
    }
  }

  private async run(row: RepositoryRegistryRow): Promise<void> {
    const { db, config, log, metrics } = this.ctx;
    const every = config.geo.sync.verifyinterval;
    const hashBlobs = row.verified_at === null || Date.now() - new Date(row.verified_at).getTime() >= every;
    try {
      const out = await syncRepository(this.ctx.primaryRegistry(), this.ctx.local, row.path, { pendingDeletes: row.pending_deletes, hashBlobs });
      // A repository the primary emptied or deleted stays, synced and empty, until a backfill finds it gone from both catalogs.
      await finishSync(db, row.path, row.event_seq, out.handledDeletes, { checksum: out.checksum, verified: out.verified });
      metrics.syncs.inc({ result: 'synced' });
      metrics.bytes.inc(out.bytesCopied);
      log.debug({ repository: row.path, ...out }, 'geo: repository synced');
    } catch (err) {
      const reason = (err as Error).message;
      const delay = backoffMs(row.retry_count + 1, config.geo.sync.maxbackoff);
      await failSync(db, row.path, reason, delay, err instanceof VerificationError).catch((e: unknown) => log.error({ err: e }, 'geo: could not record a failed sync'));
      metrics.syncs.inc({ result: 'failed' });
      log.warn({ repository: row.path, reason, retryInMs: delay }, 'geo: repository sync failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
  }
}
