/**
 * What the GC review tasks share: their outcome, the postponement of a task
 * that failed (5 minutes × 2^attempts, at most 24 hours, as GitLab's
 * registry), and a timeout for storage calls.
 */
import type { Database } from '../db/queryer.js';

/** The outcome of one review task. */
export type ReviewOutcome = { kind: 'idle' } | { kind: 'reviewed'; id: string; deleted: boolean } | { kind: 'failed'; id: string; error: Error };

/** Pushes a failed task back with exponential delay. */
export async function postpone(db: Database, table: 'gc_blob_review_queue' | 'gc_manifest_review_queue', where: string, params: readonly unknown[]): Promise<void> {
  await db.query(
    `${table}_postpone`,
    `UPDATE ${table} SET review_count = review_count + 1,
       review_after = now() + LEAST(interval '5 minutes' * power(2, review_count), interval '24 hours')
     WHERE ${where}`,
    params,
  );
}

/** Rejects when `p` takes longer than `ms` (0: no limit). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
