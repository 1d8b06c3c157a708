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
