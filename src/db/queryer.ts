/**
 * The seam every database store is written against: a queryer that is either
 * the pool or one transaction, so the same store code runs in both. Every
 * query carries a name, which labels its latency metric.
 */

/** Runs named SQL with `$n` parameters. */
export interface Queryer {
  query<R = Record<string, unknown>>(name: string, text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A connection pool: a queryer that can also open transactions. */
export interface Database extends Queryer {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryer) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * Runs a transaction, running it again (up to `attempts` times) when
 * PostgreSQL aborted it as a deadlock victim: pushes, blob links and the GC
 * agents lock overlapping rows in different orders, and PostgreSQL breaks
 * such a cycle by aborting one side. `fn` must be safe to repeat.
 */
export async function transactionWithRetry<T>(db: Database, fn: (tx: Queryer) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (i >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}
