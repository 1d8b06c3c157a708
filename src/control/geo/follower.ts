/**
 * A secondary's view of its primary (SPEC 7.2, 7.3): follows the primary's
 * event log from this site's persisted cursor with a long poll (a push is
 * seen as soon as the primary commits it, not after a fixed sleep), marks the
 * repositories events name as pending, and compares the whole catalog with
 * the primary's at start and every `geo.sync.backfillinterval` (backfill of
 * a new site, and anything an outage made it miss), without operator action.
 */
import { pause, type GeoContext } from './context.js';
import { fetchEvents } from './site-api.js';
import { addMissing, knownPaths, markChanged, pruneRows, saveCursor, siteState } from './store.js';

const POLL_SECONDS = 20;

export class EventFollower {
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly stopWake = { promise: new Promise<void>((resolve) => this.stopping.signal.addEventListener('abort', () => resolve())) };
  private loops: Promise<void>[] = [];
  private abortBackfill = { promise: new Promise<void>(() => undefined), fire: () => undefined as void };
  /** The last error talking to the primary, for status. */
  lastError: string | undefined;
  lastBackfillAt: Date | undefined;

  constructor(
    private readonly ctx: GeoContext,
    private readonly poke: () => void,
  ) {}

  start(): void {
    this.loops = [this.follow(), this.backfillLoop()];
  }

  /** Runs a backfill now (after a promotion or a resync of everything). */
  backfillNow(): void {
    this.abortBackfill.fire();
  }

  private async follow(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const role = this.ctx.site.current;
      if (role.role !== 'secondary' || !role.primary) {
        await pause(1000, this.stopWake);
        continue;
      }
      try {
        const state = await siteState(this.ctx.db);
        const page = await fetchEvents(this.ctx.tokens, role.primary.apiUrl, state.cursor_event_id, POLL_SECONDS, this.stopping.signal);
        if (this.stopped || this.ctx.site.current.primary?.apiUrl !== role.primary.apiUrl) continue;
        const changes = new Map<string, string[]>();
        const touch = (path: string, deleted?: string) => {
          const list = changes.get(path) ?? [];
          if (deleted) list.push(deleted);
          changes.set(path, list);
        };
        for (const e of page.events) {
          touch(e.repository, e.action === 'delete' && e.digest && !e.tag ? e.digest : undefined);
          if (e.action === 'rename' && e.new_path) touch(e.new_path);
        }
        const newest = page.events.at(-1);
        await this.ctx.db.transaction(async (tx) => {
          await markChanged(tx, changes);
          // A primary whose log is behind this cursor is a new one (or was restored): read it from its start.
          const cursor = page.last_event_id < state.cursor_event_id ? 0 : (newest?.id ?? state.cursor_event_id);
          if (cursor < state.cursor_event_id) await tx.query('geo_cursor_reset', 'UPDATE geo_site_state SET cursor_event_id = 0');
          await saveCursor(tx, cursor, newest?.created_at ?? null, { id: page.last_event_id, at: page.last_event_at });
        });
        if (changes.size > 0) this.poke();
        failures = 0;
        this.lastError = undefined;
      } catch (err) {
        if (this.stopped) break;
        failures++;
        this.lastError = (err as Error).message;
        if (failures === 1 || failures % 30 === 0) this.ctx.log.warn({ err: this.lastError }, "geo: cannot read the primary's event log; retrying");
        await pause(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), this.stopWake);
      }
    }
  }

  private async backfillLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.ctx.site.current.role === 'secondary') {
        try {
          await this.backfill();
          this.lastBackfillAt = new Date();
        } catch (err) {
          this.lastError = (err as Error).message;
          this.ctx.log.warn({ err: this.lastError }, 'geo: backfill scan failed; retrying');
          await pause(5000, this.stopWake);
          continue;
        }
      }
      let fire = () => undefined as void;
      const promise = new Promise<void>((resolve) => {
        fire = resolve;
      });
      this.abortBackfill = { promise, fire };
      await pause(this.ctx.site.current.role === 'secondary' ? this.ctx.config.geo.sync.backfillinterval : 2000, this.abortBackfill);
    }
  }

  /** Adds every repository of the primary this site has no row for, and marks local ones the primary lacks (the sync removes them). */
  async backfill(): Promise<number> {
    const primary = await this.ctx.primaryRegistry().catalog();
    const added = await addMissing(this.ctx.db, primary);
    const onPrimary = new Set(primary);
    const known = await knownPaths(this.ctx.db);
    const stray = new Map<string, string[]>();
    const here = await this.ctx.local.catalog();
    for (const path of here) if (!onPrimary.has(path) && !known.has(path)) stray.set(path, []);
    await markChanged(this.ctx.db, stray);
    await pruneRows(this.ctx.db, [...new Set([...primary, ...here])]);
    if (added + stray.size > 0) {
      this.ctx.log.info({ added, stray: stray.size }, 'geo: backfill found repositories to sync');
      this.poke();
    }
    return added + stray.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.abortBackfill.fire();
    await Promise.allSettled(this.loops);
  }
}
