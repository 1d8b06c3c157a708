/** The outbox in the metadata database (database mode; shared by every node). */
import type { Database } from '../db/queryer.js';
import type { RegistryEvent } from './event.js';
import type { Outbox, OutboxEntry, OutboxStats } from './outbox.js';

interface Row {
  id: string;
  endpoint: string;
  payload: RegistryEvent | string;
  attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
}

const entry = (r: Row): OutboxEntry => ({
  id: String(r.id),
  endpoint: r.endpoint,
  event: typeof r.payload === 'string' ? (JSON.parse(r.payload) as RegistryEvent) : r.payload,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at),
  lastError: r.last_error ?? undefined,
});

/** Creates the database outbox. */
export function databaseOutbox(db: Database): Outbox {
  return {
    async append(endpoint, events) {
      if (events.length === 0) return;
      await db.query('notify_append', 'INSERT INTO notification_events (endpoint, payload) SELECT $1, e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n', [endpoint, JSON.stringify(events)]);
    },
    async head(endpoint, limit) {
      const rows = await db.query<Row>('notify_head', "SELECT id, endpoint, payload, attempts, next_attempt_at, last_error FROM notification_events WHERE endpoint = $1 AND state = 'pending' ORDER BY id LIMIT $2", [
        endpoint,
        limit,
      ]);
      return rows.map(entry);
    },
    async delivered(endpoint, ids) {
      await db.query('notify_delivered', 'DELETE FROM notification_events WHERE endpoint = $1 AND id = ANY($2::bigint[])', [endpoint, ids]);
    },
    async failed(endpoint, ids, error, nextAttemptAt, final) {
      await db.query(
        'notify_failed',
        `UPDATE notification_events SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4,
           state = CASE WHEN $5 THEN 'failed' ELSE state END, finished_at = CASE WHEN $5 THEN now() END
         WHERE endpoint = $1 AND id = ANY($2::bigint[])`,
        [endpoint, ids, error.slice(0, 2000), nextAttemptAt, final],
      );
    },
    async listFailed(endpoint) {
      const rows = await db.query<Row>(
        'notify_list_failed',
        "SELECT id, endpoint, payload, attempts, next_attempt_at, last_error FROM notification_events WHERE state = 'failed' AND ($1::text IS NULL OR endpoint = $1) ORDER BY endpoint, id",
        [endpoint ?? null],
      );
      return rows.map(entry);
    },
    async replay(endpoint, ids) {
      // Re-queued at the end of the queue (new ids), so order among pending events is kept.
      return db.transaction(async (tx) => {
        const rows = await tx.query<{ endpoint: string; payload: unknown }>(
          'notify_replay_take',
          "DELETE FROM notification_events WHERE state = 'failed' AND ($1::text IS NULL OR endpoint = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) RETURNING endpoint, payload, id",
          [endpoint ?? null, ids ?? null],
        );
        const sorted = [...rows].sort((a, b) => Number((a as unknown as { id: string }).id) - Number((b as unknown as { id: string }).id));
        for (const r of sorted) await tx.query('notify_replay_put', 'INSERT INTO notification_events (endpoint, payload) VALUES ($1, $2)', [r.endpoint, JSON.stringify(r.payload)]);
        return rows.length;
      });
    },
    async stats() {
      const rows = await db.query<{ endpoint: string; pending: string; failed: string }>(
        'notify_stats',
        "SELECT endpoint, count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'failed') AS failed FROM notification_events GROUP BY endpoint ORDER BY endpoint",
      );
      return rows.map((r): OutboxStats => ({ endpoint: r.endpoint, pending: Number(r.pending), failed: Number(r.failed) }));
    },
    async lease(endpoint, holder, ttlMs) {
      const rows = await db.query(
        'notify_lease',
        `INSERT INTO notification_leases (endpoint, holder, lease_until) VALUES ($1, $2, now() + ($3::text || ' milliseconds')::interval)
         ON CONFLICT (endpoint) DO UPDATE SET holder = EXCLUDED.holder, lease_until = EXCLUDED.lease_until
         WHERE notification_leases.holder = EXCLUDED.holder OR notification_leases.lease_until < now() RETURNING 1`,
        [endpoint, holder, String(ttlMs)],
      );
      return rows.length > 0;
    },
    async release(endpoint, holder) {
      await db.query('notify_release', 'DELETE FROM notification_leases WHERE endpoint = $1 AND holder = $2', [endpoint, holder]);
    },
  };
}
