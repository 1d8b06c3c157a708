/**
 * Claims on fills in progress (`virtual_registries_container_fills`), so that
 * one process fetches a missing object while the others follow it. A claim
 * whose heartbeat is older than {@link STALE_SECONDS} belonged to a process
 * that died, and is taken over.
 */
import type { Queryer } from '../db/queryer.js';

/** A heartbeat this old means the claimer is gone. */
export const STALE_SECONDS = 30;
/** How often the claimer beats. */
export const HEARTBEAT_MS = 5_000;

export interface FillClaim {
  readonly key: string;
  readonly temp_path: string;
  readonly expected: number | null;
}

/** Claims `key` for a fill into `temp`: true when this process is the one to fetch. */
export async function claimFill(q: Queryer, key: string, temp: string): Promise<boolean> {
  const rows = await q.query(
    'vr_claim_fill',
    `INSERT INTO virtual_registries_container_fills (key, temp_path) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET temp_path = EXCLUDED.temp_path, expected = NULL, heartbeat_at = now(), created_at = now()
     WHERE virtual_registries_container_fills.heartbeat_at < now() - make_interval(secs => ${STALE_SECONDS})
     RETURNING key`,
    [key, temp],
  );
  return rows.length > 0;
}

/** The running claim on `key`, if any (stale ones included: their followers find the object or give up). */
export async function fillClaim(q: Queryer, key: string): Promise<FillClaim | undefined> {
  const r = (await q.query<{ key: string; temp_path: string; expected: string | null }>('vr_fill_claim', 'SELECT key, temp_path, expected FROM virtual_registries_container_fills WHERE key = $1', [key]))[0];
  return r ? { key: r.key, temp_path: r.temp_path, expected: r.expected === null ? null : Number(r.expected) } : undefined;
}

/** Records the size the upstream announced (-1: unknown), which followers wait for before answering. */
export async function setFillExpected(q: Queryer, key: string, temp: string, expected: number): Promise<void> {
  await q.query('vr_fill_expected', 'UPDATE virtual_registries_container_fills SET expected = $3, heartbeat_at = now() WHERE key = $1 AND temp_path = $2', [key, temp, expected]);
}

export async function beatFill(q: Queryer, key: string, temp: string): Promise<void> {
  await q.query('vr_fill_beat', 'UPDATE virtual_registries_container_fills SET heartbeat_at = now() WHERE key = $1 AND temp_path = $2', [key, temp]);
}

export async function releaseFill(q: Queryer, key: string, temp: string): Promise<void> {
  await q.query('vr_fill_release', 'DELETE FROM virtual_registries_container_fills WHERE key = $1 AND temp_path = $2', [key, temp]);
}
