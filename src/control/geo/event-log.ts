/**
 * The primary's Geo event log (SPEC 7.2): every manifest push, tag or
 * manifest delete and rename the registry reports becomes a row, durable
 * in the metadata database; secondaries read it with a long poll that a
 * NOTIFY on `wharf_geo_events` wakes (any worker or node may have written).
 */
import type { Database } from '../../db/queryer.js';
import type { RegistryEvent } from '../../notifications/event.js';
import { appendEvents, eventsAfter, lastEvent, type GeoEvent } from './store.js';

/** Blob pushes and mounts change no tag or manifest: only manifests' are replicated events. */
const isManifestPush = (e: RegistryEvent) =>
  e.action === 'push' && (e.target.tag !== undefined || (e.target.mediaType !== undefined && e.target.mediaType !== 'application/octet-stream' && /manifest|index|json/.test(e.target.mediaType)));

/** Turns registry events into Geo events (the rest are skipped). */
export function toGeoEvents(events: readonly RegistryEvent[]): Array<Omit<GeoEvent, 'id' | 'created_at'>> {
  const out: Array<Omit<GeoEvent, 'id' | 'created_at'>> = [];
  for (const e of events) {
    const t = e.target;
    if (isManifestPush(e)) out.push({ action: 'push', repository: t.repository, tag: t.tag ?? null, digest: t.digest ?? null, new_path: null });
    else if (e.action === 'delete') out.push({ action: 'delete', repository: t.repository, tag: t.tag ?? null, digest: t.digest ?? null, new_path: null });
    else if (e.action === 'rename' && t.rename) out.push({ action: 'rename', repository: t.rename.from, tag: null, digest: null, new_path: t.rename.to });
  }
  return out;
}

/** Records registry events in the log. */
export async function recordGeoEvents(db: Database, events: readonly RegistryEvent[]): Promise<void> {
  await appendEvents(db, toGeoEvents(events));
}

/** Waits for new rows: one LISTEN connection per process, opened on first use. */
export class EventWaiter {
  private waiting = new Set<() => void>();
  private listening: Promise<unknown> | undefined;

  constructor(private readonly db: Database) {}

  private wakeAll(): void {
    const all = this.waiting;
    this.waiting = new Set();
    for (const w of all) w();
  }

  private subscribe(): Promise<unknown> {
    this.listening ??= this.db.listen(['wharf_geo_events'], { message: () => this.wakeAll(), reset: () => this.wakeAll() }).catch(() => {
      this.listening = undefined;
    });
    return this.listening;
  }

  /** A wait that ends on the next insert anywhere, after `ms`, or when cancelled. */
  private next(ms: number): { done: Promise<void>; cancel(): void } {
    let cancel = () => undefined as void;
    const done = new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.waiting.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.waiting.add(end);
      cancel = end;
    });
    return { done, cancel };
  }

  /** Events after `after`, waiting up to `waitMs` for the first one. */
  async read(after: number, limit: number, waitMs: number): Promise<{ events: GeoEvent[]; last: { id: number; at: string | null } }> {
    const deadline = Date.now() + waitMs;
    if (waitMs > 0) await this.subscribe();
    for (;;) {
      // Subscribed before the read below, so an insert between the two is not missed.
      const wait = this.next(Math.max(0, deadline - Date.now()));
      const events = await eventsAfter(this.db, after, limit);
      if (events.length > 0 || Date.now() >= deadline) {
        wait.cancel();
        return { events, last: await lastEvent(this.db) };
      }
      await wait.done;
    }
  }

  close(): void {
    this.wakeAll();
  }
}
