/**
 * Download counts of cache entries, batched: a hit adds to a counter in
 * memory and one UPDATE a second writes them all, so a cached pull costs
 * no database write (a hit is a read; the counts are statistics, and at
 * most a second of them is lost when a process stops).
 */
import type { Database } from '../db/queryer.js';

const FLUSH_MS = 1_000;

export class DownloadCounts {
  private pending = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database) {}

  /** Counts one download of entry `id`. */
  add(id: number): void {
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await this.db
      .query(
        'vr_add_downloads',
        `UPDATE virtual_registries_container_cache_entries e SET downloads_count = e.downloads_count + v.n, downloaded_at = now()
         FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::bigint[]) AS n) v WHERE e.id = v.id`,
        [[...batch.keys()], [...batch.values()]],
      )
      .catch(() => undefined);
  }
}
