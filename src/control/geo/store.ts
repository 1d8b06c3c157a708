/**
 * SQL on the Geo tables (migration 20261201200000): the primary's event log
 * and sites, a secondary's per-repository sync rows and its own site state.
 */
import type { Queryer } from '../../db/queryer.js';

/** One entry of the primary's event log. */
export interface GeoEvent {
  readonly id: number;
  readonly action: 'push' | 'delete' | 'rename';
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string | null;
  readonly new_path: string | null;
  readonly created_at: string;
}

/** A registered site. */
export interface GeoSiteRow {
  readonly id: number;
  readonly name: string;
  readonly api_url: string;
  readonly registry_url: string;
  readonly is_primary: boolean;
  readonly status: Record<string, unknown> | null;
  readonly status_at: string | null;
  readonly announced_generation: number;
}

/** A repository's sync row on a secondary. */
export interface RepositoryRegistryRow {
  readonly path: string;
  readonly state: 0 | 1 | 2 | 3;
  readonly retry_count: number;
  readonly retry_at: string | null;
  readonly last_sync_failure: string | null;
  readonly last_synced_at: string | null;
  readonly event_seq: number;
  readonly pending_deletes: string[];
  readonly verification_state: 0 | 1 | 2 | 3;
  readonly verification_checksum: string | null;
  readonly verification_failure: string | null;
  readonly verified_at: string | null;
}

/** The site's own state (one row). */
export interface SiteStateRow {
  readonly role: 'primary' | 'secondary' | null;
  readonly generation: number;
  readonly primary_name: string | null;
  readonly primary_api_url: string | null;
  readonly primary_registry_url: string | null;
  readonly cursor_event_id: number;
  readonly cursor_event_at: string | null;
  readonly primary_last_event_id: number | null;
  readonly primary_last_event_at: string | null;
  readonly last_poll_at: string | null;
}

/** bigint columns arrive as strings from pg: numbers here (ids and counters stay far below 2^53). */
const num = <T extends object>(row: T, ...keys: (keyof T)[]): T => {
  const out = { ...row } as Record<string, unknown>;
  for (const k of keys) if (out[k as string] !== null && out[k as string] !== undefined) out[k as string] = Number(out[k as string]);
  return out as T;
};

// ---- primary: event log ----

/** Appends events (in order); a statement trigger NOTIFYs `wharf_geo_events`. */
export async function appendEvents(db: Queryer, events: ReadonlyArray<Omit<GeoEvent, 'id' | 'created_at'>>): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    'geo_append_events',
    `INSERT INTO geo_events (action, repository, tag, digest, new_path)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
    [events.map((e) => e.action), events.map((e) => e.repository), events.map((e) => e.tag), events.map((e) => e.digest), events.map((e) => e.new_path)],
  );
}

/** Events after `after`, oldest first. */
export async function eventsAfter(db: Queryer, after: number, limit: number): Promise<GeoEvent[]> {
  const rows = await db.query<GeoEvent>('geo_events_after', 'SELECT id, action, repository, tag, digest, new_path, created_at FROM geo_events WHERE id > $1 ORDER BY id LIMIT $2', [after, limit]);
  return rows.map((r) => num(r, 'id'));
}

/** The newest event's id and time (0 and null on an empty log). */
export async function lastEvent(db: Queryer): Promise<{ id: number; at: string | null }> {
  const rows = await db.query<{ id: string; created_at: string }>('geo_last_event', 'SELECT id, created_at FROM geo_events ORDER BY id DESC LIMIT 1');
  return { id: Number(rows[0]?.id ?? 0), at: rows[0]?.created_at ?? null };
}

// ---- sites ----

export async function listSites(db: Queryer): Promise<GeoSiteRow[]> {
  const rows = await db.query<GeoSiteRow>('geo_list_sites', 'SELECT * FROM geo_sites ORDER BY id');
  return rows.map((r) => num(r, 'id', 'announced_generation'));
}

export async function siteByName(db: Queryer, name: string): Promise<GeoSiteRow | undefined> {
  const rows = await db.query<GeoSiteRow>('geo_site_by_name', 'SELECT * FROM geo_sites WHERE name = $1', [name]);
  return rows[0] ? num(rows[0], 'id', 'announced_generation') : undefined;
}

export async function insertSite(db: Queryer, site: { name: string; api_url: string; registry_url: string; is_primary?: boolean }): Promise<GeoSiteRow | undefined> {
  const rows = await db.query<GeoSiteRow>('geo_insert_site', 'INSERT INTO geo_sites (name, api_url, registry_url, is_primary) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING *', [
    site.name,
    site.api_url,
    site.registry_url,
    site.is_primary ?? false,
  ]);
  return rows[0] ? num(rows[0], 'id', 'announced_generation') : undefined;
}

export async function deleteSite(db: Queryer, id: number): Promise<boolean> {
  return (await db.query('geo_delete_site', 'DELETE FROM geo_sites WHERE id = $1 RETURNING id', [id])).length > 0;
}

export async function recordSiteStatus(db: Queryer, name: string, status: Record<string, unknown>): Promise<boolean> {
  const rows = await db.query('geo_record_status', 'UPDATE geo_sites SET status = $2, status_at = now() WHERE name = $1 RETURNING id', [name, JSON.stringify(status)]);
  return rows.length > 0;
}

/** Replaces the site list with the primary's (a secondary mirrors it, to know every site after a promotion). */
export async function mirrorSites(db: Queryer, sites: ReadonlyArray<{ name: string; api_url: string; registry_url: string; is_primary: boolean }>): Promise<void> {
  await db.query('geo_mirror_sites_delete', 'DELETE FROM geo_sites WHERE NOT (name = ANY($1::text[]))', [sites.map((s) => s.name)]);
  for (const s of sites) {
    await db.query(
      'geo_mirror_site',
      `INSERT INTO geo_sites (name, api_url, registry_url, is_primary) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET api_url = EXCLUDED.api_url, registry_url = EXCLUDED.registry_url, is_primary = EXCLUDED.is_primary`,
      [s.name, s.api_url, s.registry_url, s.is_primary],
    );
  }
}

export async function markAnnounced(db: Queryer, id: number, generation: number): Promise<void> {
  await db.query('geo_mark_announced', 'UPDATE geo_sites SET announced_generation = GREATEST(announced_generation, $2) WHERE id = $1', [id, generation]);
}

// ---- site state ----

export async function siteState(db: Queryer): Promise<SiteStateRow> {
  const rows = await db.query<SiteStateRow>('geo_site_state', 'SELECT * FROM geo_site_state');
  return num(rows[0] as SiteStateRow, 'generation', 'cursor_event_id', 'primary_last_event_id');
}

/** Follows a (new) primary from the start of its event log. */
export async function setPrimary(db: Queryer, p: { name: string | null; api_url: string; registry_url: string; generation: number }): Promise<void> {
  await db.query(
    'geo_set_primary',
    `UPDATE geo_site_state SET role = 'secondary', generation = $4, primary_name = $1, primary_api_url = $2, primary_registry_url = $3,
       cursor_event_id = 0, cursor_event_at = NULL, primary_last_event_id = NULL, primary_last_event_at = NULL, updated_at = now()`,
    [p.name, p.api_url, p.registry_url, p.generation],
  );
}

export async function becomePrimary(db: Queryer, generation: number): Promise<void> {
  await db.query('geo_become_primary', `UPDATE geo_site_state SET role = 'primary', generation = $1, primary_name = NULL, primary_api_url = NULL, primary_registry_url = NULL, updated_at = now()`, [generation]);
}

export async function saveCursor(db: Queryer, id: number, at: string | null, primaryLast: { id: number; at: string | null }): Promise<void> {
  await db.query(
    'geo_save_cursor',
    `UPDATE geo_site_state SET cursor_event_id = GREATEST(cursor_event_id, $1), cursor_event_at = COALESCE($2, cursor_event_at),
       primary_last_event_id = $3, primary_last_event_at = $4, last_poll_at = now(), updated_at = now()`,
    [id, at, primaryLast.id, primaryLast.at],
  );
}

// ---- secondary: per-repository sync rows ----

/** Marks repositories changed: pending now, with digests to check for deletion. */
export async function markChanged(db: Queryer, changes: ReadonlyMap<string, readonly string[]>): Promise<void> {
  for (const [path, deletes] of changes) {
    await db.query(
      'geo_mark_changed',
      `INSERT INTO geo_container_repository_registry (path, state, retry_at, event_seq, pending_deletes) VALUES ($1, 0, now(), 1, $2)
       ON CONFLICT (path) DO UPDATE SET
         state = CASE WHEN geo_container_repository_registry.state = 1 THEN 1 ELSE 0 END,
         retry_at = now(), retry_count = 0, event_seq = geo_container_repository_registry.event_seq + 1,
         pending_deletes = geo_container_repository_registry.pending_deletes || $2, updated_at = now()`,
      [path, deletes],
    );
  }
}

/** Adds repositories found by a backfill scan (pending when new; left alone otherwise). */
export async function addMissing(db: Queryer, paths: readonly string[]): Promise<number> {
  if (paths.length === 0) return 0;
  const rows = await db.query(
    'geo_add_missing',
    `INSERT INTO geo_container_repository_registry (path, state, retry_at) SELECT p, 0, now() FROM unnest($1::text[]) AS p
     ON CONFLICT (path) DO NOTHING RETURNING path`,
    [paths],
  );
  return rows.length;
}

/** Every sync row's path (for a backfill comparison). */
export async function knownPaths(db: Queryer): Promise<Set<string>> {
  const rows = await db.query<{ path: string }>('geo_known_paths', 'SELECT path FROM geo_container_repository_registry');
  return new Set(rows.map((r) => r.path));
}

/** Claims up to `n` due repositories for `owner` (state 1 under a lease); a lapsed lease is claimable again. */
export async function claimDue(db: Queryer, owner: string, n: number, leaseSeconds: number): Promise<RepositoryRegistryRow[]> {
  const rows = await db.query<RepositoryRegistryRow>(
    'geo_claim_due',
    `UPDATE geo_container_repository_registry r SET state = 1, lease_owner = $1, lease_until = now() + make_interval(secs => $3), updated_at = now()
     WHERE r.path IN (
       SELECT path FROM geo_container_repository_registry
       WHERE (state IN (0, 3) AND (retry_at IS NULL OR retry_at <= now())) OR (state = 1 AND lease_until < now())
       ORDER BY retry_at NULLS FIRST LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING r.*`,
    [owner, n, leaseSeconds],
  );
  return rows.map((r) => num(r, 'event_seq'));
}

/** Ends a sync: synced unless an event arrived meanwhile (then pending again at once). */
export async function finishSync(db: Queryer, path: string, seq: number, handled: readonly string[], verification: { checksum: string; verified: boolean; failure?: string | undefined }): Promise<void> {
  await db.query(
    'geo_finish_sync',
    `UPDATE geo_container_repository_registry SET
       state = CASE WHEN event_seq = $2 THEN 2 ELSE 0 END, retry_at = CASE WHEN event_seq = $2 THEN NULL ELSE now() END,
       retry_count = 0, last_sync_failure = NULL, last_synced_at = now(), lease_owner = NULL, lease_until = NULL,
       pending_deletes = ARRAY(SELECT d FROM unnest(pending_deletes) AS d WHERE NOT (d = ANY($3::text[]))),
       verification_checksum = $4, verification_state = CASE WHEN $5 THEN 2 ELSE verification_state END,
       verified_at = CASE WHEN $5 THEN now() ELSE verified_at END, verification_failure = $6, updated_at = now()
     WHERE path = $1`,
    [path, seq, handled, verification.checksum, verification.verified, verification.failure ?? null],
  );
}

/** Ends a sync that failed: state 3, the reason, the next attempt after `delayMs`. */
export async function failSync(db: Queryer, path: string, reason: string, delayMs: number, verificationFailed: boolean): Promise<void> {
  await db.query(
    'geo_fail_sync',
    `UPDATE geo_container_repository_registry SET state = 3, retry_count = retry_count + 1, retry_at = now() + make_interval(secs => $3),
       last_sync_failure = $2, lease_owner = NULL, lease_until = NULL,
       verification_state = CASE WHEN $4 THEN 3 ELSE verification_state END, verification_failure = CASE WHEN $4 THEN $2 ELSE verification_failure END,
       updated_at = now()
     WHERE path = $1`,
    [path, reason.slice(0, 2000), delayMs / 1000, verificationFailed],
  );
}

/** Forgets synced rows of repositories that are in neither catalog any more (deleted, or renamed away, on both sites). */
export async function pruneRows(db: Queryer, keep: readonly string[]): Promise<number> {
  const rows = await db.query('geo_prune_rows', 'DELETE FROM geo_container_repository_registry WHERE state = 2 AND NOT (path = ANY($1::text[])) RETURNING path', [keep]);
  return rows.length;
}

/** Resync: one repository (true when known) or every one; `verify` forces a full re-hash. */
export async function scheduleResync(db: Queryer, path: string | undefined, verify: boolean): Promise<number> {
  const rows = await db.query(
    'geo_resync',
    `UPDATE geo_container_repository_registry SET state = CASE WHEN state = 1 THEN 1 ELSE 0 END, retry_at = now(), retry_count = 0,
       event_seq = event_seq + 1, verified_at = CASE WHEN $2 THEN NULL ELSE verified_at END, updated_at = now()
     WHERE $1::text IS NULL OR path = $1 RETURNING path`,
    [path ?? null, verify],
  );
  return rows.length;
}

export async function registryRow(db: Queryer, path: string): Promise<RepositoryRegistryRow | undefined> {
  const rows = await db.query<RepositoryRegistryRow>('geo_registry_row', 'SELECT * FROM geo_container_repository_registry WHERE path = $1', [path]);
  return rows[0] ? num(rows[0], 'event_seq') : undefined;
}

export async function registryRows(db: Queryer, opts: { state?: number | undefined; limit: number; offset: number }): Promise<RepositoryRegistryRow[]> {
  const rows = await db.query<RepositoryRegistryRow>('geo_registry_rows', 'SELECT * FROM geo_container_repository_registry WHERE $1::smallint IS NULL OR state = $1 ORDER BY path LIMIT $2 OFFSET $3', [
    opts.state ?? null,
    opts.limit,
    opts.offset,
  ]);
  return rows.map((r) => num(r, 'event_seq'));
}

/** Counts by state and verification state. */
export async function registryCounts(
  db: Queryer,
): Promise<{ total: number; pending: number; started: number; synced: number; failed: number; verified: number; verificationFailed: number; oldestPendingAt: string | null }> {
  const rows = await db.query<Record<string, string | null>>(
    'geo_registry_counts',
    `SELECT count(*) AS total, count(*) FILTER (WHERE state = 0) AS pending, count(*) FILTER (WHERE state = 1) AS started,
       count(*) FILTER (WHERE state = 2) AS synced, count(*) FILTER (WHERE state = 3) AS failed,
       count(*) FILTER (WHERE verification_state = 2 AND state = 2) AS verified, count(*) FILTER (WHERE verification_state = 3) AS verification_failed,
       min(updated_at) FILTER (WHERE state <> 2) AS oldest_pending_at
     FROM geo_container_repository_registry`,
  );
  const r = rows[0] ?? {};
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    total: n('total'),
    pending: n('pending'),
    started: n('started'),
    synced: n('synced'),
    failed: n('failed'),
    verified: n('verified'),
    verificationFailed: n('verification_failed'),
    oldestPendingAt: r.oldest_pending_at ?? null,
  };
}

/** True when the repository is fully synced (the secondary may answer tag reads itself). */
export async function isSynced(db: Queryer, path: string): Promise<boolean> {
  const rows = await db.query<{ state: number }>('geo_is_synced', 'SELECT state FROM geo_container_repository_registry WHERE path = $1', [path]);
  return Number(rows[0]?.state) === 2;
}
