import type { DatabaseHealth } from './availability.js';

/**
 * The seam every database store is written against: a queryer that is either
 * the pool or one transaction, so the same store code runs in both. Every
 * query carries a name, which labels its latency metric.
 */

/** Runs named SQL with `$n` parameters. */
export interface Queryer {
  query<R = Record<string, unknown>>(name: string, text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A subscription to notification channels. */
export interface Listening {
  /** Sends a notification over the listening connection (dropped while it is down). */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Callbacks of a subscription. */
export interface ListenHandlers {
  /** A notification on one of the channels. */
  message(channel: string, payload: string): void;
  /** The connection was lost (notifications may have been missed) or regained: forget what depends on them. */
  reset(connected: boolean): void;
}

/** How a transaction runs. */
export interface TransactionOptions {
  /** `fn` may run again (it has no effect outside the transaction that repeating would double). */
  readonly repeatable?: boolean;
  /** No statement timeout (migrations, imports): for work that is long by nature, never a request's. */
  readonly unbounded?: boolean;
}

/** A connection pool: a queryer that can also open transactions. */
export interface Database extends Queryer {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. Run again, when the database was unavailable, if it had
   * not begun, or (with `repeatable`) had not reached COMMIT.
   */
  transaction<T>(fn: (tx: Queryer) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Whether the database answers, as this pool has seen it (db/availability.ts). */
  readonly health: DatabaseHealth;
  /**
   * LISTENs on `channels` over a dedicated connection, reconnecting (with
   * `reset(false)` when lost and `reset(true)` once listening again).
   * Resolves once listening.
   */
  listen(channels: readonly string[], handlers: ListenHandlers): Promise<Listening>;
  close(): Promise<void>;
}

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * Runs a transaction, running it again (up to `attempts` times) when
 * PostgreSQL aborted it as a deadlock victim: pushes, blob links and the GC
 * agents lock overlapping rows in different orders, and PostgreSQL breaks
 * such a cycle by aborting one side. `fn` must be safe to repeat: the pool
 * also runs it again when its connection was lost before COMMIT.
 */
export async function transactionWithRetry<T>(db: Database, fn: (tx: Queryer) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await db.transaction(fn, { repeatable: true });
    } catch (err) {
      if (i >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}
