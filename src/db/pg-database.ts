/**
 * The Database over node-postgres (`pg`): a pool configured from the
 * `database` section, with per-query latency metrics.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Database, ListenHandlers, Listening, Queryer } from './queryer.js';

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
    connectionTimeoutMillis: db.connecttimeout,
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

/** Opens a pool; `metrics` (when given) receives `wharf_database_query_duration_seconds{query}`. */
export function pgDatabase(config: pg.PoolConfig, metrics?: Registry): Database {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined); // idle clients that drop are replaced on next use
  const histogram = metrics
    ? new Histogram({
        name: 'wharf_database_query_duration_seconds',
        help: 'Database query latency by query name',
        labelNames: ['query'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
        registers: [metrics],
      })
    : undefined;
  const run = (client: pg.Pool | pg.PoolClient): Queryer => ({
    async query<R>(name: string, text: string, params?: readonly unknown[]) {
      const end = histogram?.startTimer({ query: name });
      try {
        // With parameters, a named (prepared) statement: each connection parses and plans it once. The
        // name comes from the text, as the same query name may carry different SQL (tests, migrations).
        const res = params && params.length > 0 ? await client.query({ name: statementName(text), text, values: params as unknown[] }) : await client.query(text);
        return res.rows as R[];
      } finally {
        end?.();
      }
    },
  });
  const root = run(pool);
  return {
    query: root.query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(run(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    listen: (channels, handlers) => listenOn(config, channels, handlers),
    close: () => pool.end(),
  };
}

/** A dedicated client LISTENing on `channels`; reconnects with backoff while not closed. */
async function listenOn(config: pg.PoolConfig, channels: readonly string[], handlers: ListenHandlers): Promise<Listening> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...config, keepAlive: true, application_name: 'wharf-listener' });
    c.on('notification', (n) => {
      if (channels.includes(n.channel)) handlers.message(n.channel, n.payload ?? '');
    });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    await c.connect();
    for (const channel of channels) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
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
        if (!closed) schedule(Math.min(ms * 2, 10_000));
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
