/**
 * The Database over node-postgres (`pg`): a pool configured from the
 * `database` section, with per-query latency metrics, and the rules for a
 * database that fails under it (db/faults.ts):
 *
 * - Every connection has an `error` listener for as long as it lives, idle
 *   or checked out (pg-pool drops its own while a client is checked out, and
 *   an `error` event with no listener ends the process). A connection that
 *   failed is discarded, never returned to the pool.
 * - A statement that failed because the database is unavailable is tried
 *   again (twice, after 50 and 250 ms) when that is safe: the connection was
 *   never obtained (nothing was sent), or the statement only reads. A
 *   transaction is tried again when it failed before its first statement;
 *   `transactionWithRetry` (whose work is declared repeatable) also when it
 *   failed before COMMIT was sent. Timeouts are not retried: they already
 *   took their bound.
 * - What still fails is a {@link DatabaseUnavailableError}: 503 naming the
 *   database at the HTTP layers.
 * - Waits are bounded: pool acquisition (`connectionTimeoutMillis`), and
 *   each statement server-side (`statement_timeout`) and client-side
 *   (`query_timeout`, one second later: a hung server cancels nothing).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { availabilityTracker, type AvailabilityTracker, type HealthLog } from './availability.js';
import { asUnavailable, describeUnavailable, isUnavailable } from './faults.js';
import type { Database, ListenHandlers, Listening, Queryer, TransactionOptions } from './queryer.js';

/** The timeouts of a pool, from the `database` section (0: none). */
export function timeoutConfig(db: Pick<Config['database'], 'statementtimeout' | 'connecttimeout'> & { pool: Pick<Config['database']['pool'], 'acquiretimeout'> }): pg.PoolConfig {
  const statement = db.statementtimeout;
  const bounds = [db.connecttimeout, db.pool.acquiretimeout].filter((ms) => ms > 0);
  return {
    // connecttimeout (GitLab's key) bounds a new connection, acquiretimeout the wait for any: pg-pool has one timer for both.
    connectionTimeoutMillis: bounds.length > 0 ? Math.min(...bounds) : 0,
    ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + 1000 } : {}),
  };
}

/** Pool options from the `database` section (GitLab's registry keys). */
export function poolConfig(db: Config['database']): pg.PoolConfig {
  const ssl: pg.PoolConfig['ssl'] =
    db.sslmode === 'disable' || db.sslmode === 'allow' || db.sslmode === 'prefer'
      ? false
      : {
          rejectUnauthorized: db.sslmode !== 'require',
          ...(db.sslrootcert ? { ca: readFileSync(db.sslrootcert) } : {}),
          ...(db.sslcert ? { cert: readFileSync(db.sslcert) } : {}),
          ...(db.sslkey ? { key: readFileSync(db.sslkey) } : {}),
        };
  return {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.dbname,
    ssl,
    max: db.pool.maxopen ?? 20,
    idleTimeoutMillis: db.pool.maxidletime ?? 600_000,
    maxLifetimeSeconds: Math.floor(db.pool.maxlifetime / 1000),
    keepAlive: true,
    ...timeoutConfig(db),
  };
}

const statementNames = new Map<string, string>();

/** A stable prepared-statement name for `text` (PostgreSQL names are at most 63 bytes). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `w_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}

/** A statement that only reads (safe to send again after its connection died). */
function readsOnly(text: string): boolean {
  const t = text.trimStart().slice(0, 6).toUpperCase();
  return (t === 'SELECT' || t.startsWith('WITH')) && !/\b(INSERT|UPDATE|DELETE|pg_notify|nextval|setval|pg_advisory)\b/i.test(text) && !/\bFOR\s+(UPDATE|SHARE|NO KEY|KEY)\b/i.test(text);
}

/** A timeout already took its whole bound: trying again would double the wait. */
const timedOut = (err: unknown): boolean => /timeout/i.test(describeUnavailable(err));

const RETRY_DELAYS_MS = [50, 250];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Far beyond any statement (setTimeout's limit): pg treats 0 as "use the default". */
const UNBOUNDED_MS = 2_147_483_647;

/** Options of a pool that are not pg's. */
export interface PgDatabaseOptions {
  /** Receives `wharf_database_query_duration_seconds{query}`, `wharf_database_up`, `wharf_database_unavailable_total`. */
  readonly metrics?: Registry | undefined;
  /** Receives the database going down and coming back, once each. */
  readonly log?: HealthLog | undefined;
}

/** A failure while a client was checked out: the client is discarded. */
class Lease {
  failure: Error | undefined;
  private readonly onError = (err: Error) => {
    this.failure ??= err;
  };
  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.onError);
  }
  release(err?: unknown): void {
    // The listener stays until pg-pool's own is back (release adds it first), so no error event is ever unheard.
    const broken = this.failure ?? (err !== undefined && isUnavailable(err) ? (err as Error) : undefined);
    this.client.release(broken ?? undefined);
    this.client.removeListener('error', this.onError);
  }
}

/** Opens a pool (`metrics` and `log` optional). */
export function pgDatabase(config: pg.PoolConfig, options: PgDatabaseOptions = {}): Database {
  const metrics = options.metrics;
  const pool = new pg.Pool({ keepAlive: true, ...config });
  pool.on('error', () => undefined); // idle clients that drop are discarded by the pool and replaced on next use
  const health: AvailabilityTracker = availabilityTracker(options.log, metrics);
  const histogram = metrics
    ? ((metrics.getSingleMetric('wharf_database_query_duration_seconds') as Histogram | undefined) ??
      new Histogram({
        name: 'wharf_database_query_duration_seconds',
        help: 'Database query latency by query name',
        labelNames: ['query'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
        registers: [metrics],
      }))
    : undefined;

  /** Records the outcome; returns the error as callers see it. */
  const outcome = (err: unknown, notApplied: boolean): unknown => {
    if (!isUnavailable(err)) {
      // The server answered (a constraint, a syntax error): it is up.
      if ((err as { code?: unknown })?.code !== undefined) health.succeeded();
      return err;
    }
    health.failed(describeUnavailable(err));
    return asUnavailable(err, notApplied);
  };

  const acquire = async (): Promise<Lease> => new Lease(await pool.connect());

  const send = <R>(client: pg.PoolClient, name: string, text: string, params: readonly unknown[] | undefined, queryTimeout?: number): Promise<pg.QueryResult<R & pg.QueryResultRow>> => {
    const timeout = queryTimeout ? { query_timeout: queryTimeout } : {};
    // With parameters, a named (prepared) statement: each connection parses and plans it once. The
    // name comes from the text, as the same query name may carry different SQL (tests, migrations).
    return params && params.length > 0 ? client.query({ name: statementName(text), text, values: params as unknown[], ...timeout }) : client.query({ text, ...timeout });
  };

  /** One statement on its own connection, tried again when safe. */
  const rootQuery = async <R>(name: string, text: string, params?: readonly unknown[]): Promise<R[]> => {
    for (let attempt = 0; ; attempt++) {
      const end = histogram?.startTimer({ query: name });
      let lease: Lease | undefined;
      try {
        lease = await acquire();
        const res = await send<R>(lease.client, name, text, params);
        lease.release();
        health.succeeded();
        return res.rows as R[];
      } catch (err) {
        lease?.release(err);
        const sent = lease !== undefined;
        const retry = isUnavailable(err) && !timedOut(err) && (!sent || readsOnly(text)) && attempt < RETRY_DELAYS_MS.length;
        const seen = outcome(err, !sent);
        if (!retry) throw seen;
        await sleep(RETRY_DELAYS_MS[attempt] as number);
      } finally {
        end?.();
      }
    }
  };

  const inTransaction = (lease: Lease, queryTimeout: number | undefined): Queryer => ({
    async query<R>(name: string, text: string, params?: readonly unknown[]) {
      if (lease.failure) throw lease.failure;
      const end = histogram?.startTimer({ query: name });
      try {
        return (await send<R>(lease.client, name, text, params, queryTimeout)).rows as R[];
      } finally {
        end?.();
      }
    },
  });

  /** One attempt: where it failed decides whether it may run again. */
  const attemptTransaction = async <T>(fn: (tx: Queryer) => Promise<T>, opts: TransactionOptions): Promise<T> => {
    let stage: 'connect' | 'work' | 'commit' = 'connect';
    let lease: Lease | undefined;
    try {
      lease = await acquire();
      await lease.client.query('BEGIN');
      if (opts.unbounded) await lease.client.query('SET LOCAL statement_timeout = 0');
      stage = 'work';
      const result = await fn(inTransaction(lease, opts.unbounded ? UNBOUNDED_MS : undefined));
      stage = 'commit';
      await lease.client.query('COMMIT');
      lease.release();
      health.succeeded();
      return result;
    } catch (err) {
      const cause = lease?.failure && isUnavailable(lease.failure) ? lease.failure : err;
      if (lease && !lease.failure && !isUnavailable(err)) await lease.client.query('ROLLBACK').catch(() => undefined);
      lease?.release(cause);
      const seen = outcome(cause, stage !== 'commit');
      throw Object.assign(seen as object, { [STAGE]: stage });
    }
  };

  return {
    query: rootQuery,
    health,
    async transaction(fn, opts = {}) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await attemptTransaction(fn, opts);
        } catch (err) {
          const stage = (err as { [STAGE]?: string })[STAGE];
          const safe = stage === 'connect' || (opts.repeatable === true && stage === 'work');
          if (!(isUnavailable(err) && !timedOut(err) && safe && attempt < RETRY_DELAYS_MS.length)) throw err;
          await sleep(RETRY_DELAYS_MS[attempt] as number);
        }
      }
    },
    listen: (channels, handlers) => listenOn(config, channels, handlers),
    close: () => pool.end(),
  };
}

/** Where a transaction attempt failed (connect, work, commit), on the error it threw. */
const STAGE = Symbol('wharf.transactionStage');

/** A dedicated client LISTENing on `channels`; reconnects with backoff while not closed. */
async function listenOn(config: pg.PoolConfig, channels: readonly string[], handlers: ListenHandlers): Promise<Listening> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();
  // No statement or read timeout: the connection waits for notifications as long as it lives.
  const { statement_timeout: _s, query_timeout: _q, ...base } = config;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...base, keepAlive: true, application_name: 'wharf-listener' });
    c.on('notification', (n) => {
      if (channels.includes(n.channel)) handlers.message(n.channel, n.payload ?? '');
    });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      for (const channel of channels) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      c.end().catch(() => undefined);
      throw err;
    }
    client = c;
    handlers.reset(true);
  };
  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    handlers.reset(false);
    if (!closed) schedule(200);
  };
  const schedule = (ms: number) => {
    retry = setTimeout(() => {
      connect().catch(() => {
        if (!closed) schedule(Math.min(ms * 2, 5_000));
      });
    }, ms);
    retry.unref();
  };
  await connect();
  return {
    notify(channel, payload) {
      // One query at a time on the connection (pg deprecates overlapping ones): notifications queue up.
      sending = sending
        .then(() => client?.query('SELECT pg_notify($1, $2)', [channel, payload]))
        .then(
          () => undefined,
          () => undefined,
        );
      return sending;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
