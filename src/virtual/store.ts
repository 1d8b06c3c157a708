/** SQL on the virtual registry tables (migration 20261201300000). The control plane's API and the pull path both use it. */
import type { Queryer } from '../db/queryer.js';

export interface VirtualRegistryRow {
  readonly id: number;
  readonly group_id: number;
  readonly name: string;
  readonly description: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface UpstreamRow {
  readonly id: number;
  readonly group_id: number;
  readonly url: string;
  readonly name: string;
  readonly description: string | null;
  readonly cache_validity_hours: number;
  readonly username: string | null;
  readonly password_encrypted: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface LinkedUpstream extends UpstreamRow {
  readonly position: number;
  readonly registry_upstream_id: number;
}

export interface CacheEntryRow {
  readonly id: number;
  readonly upstream_id: number;
  readonly relative_path: string;
  readonly digest: string;
  readonly size: number;
  readonly content_type: string;
  readonly upstream_checked_at: string;
  readonly downloads_count: number;
  readonly created_at: string;
  readonly updated_at: string;
}

const n = <T extends object>(row: T, ...keys: string[]): T => {
  const out = { ...row } as Record<string, unknown>;
  for (const k of keys) if (out[k] !== null && out[k] !== undefined) out[k] = Number(out[k]);
  return out as T;
};
const reg = (r: VirtualRegistryRow) => n(r, 'id', 'group_id');
const up = <T extends UpstreamRow>(r: T) => n(r, 'id', 'group_id', 'position', 'registry_upstream_id');
const entry = (r: CacheEntryRow) => n(r, 'id', 'upstream_id', 'size', 'downloads_count');

// ---- registries ----

export async function registriesOfGroup(q: Queryer, groupId: number): Promise<VirtualRegistryRow[]> {
  return (await q.query<VirtualRegistryRow>('vr_registries_of_group', 'SELECT * FROM virtual_registries_container_registries WHERE group_id = $1 ORDER BY id', [groupId])).map(reg);
}

export async function registryById(q: Queryer, id: number): Promise<VirtualRegistryRow | undefined> {
  const r = (await q.query<VirtualRegistryRow>('vr_registry', 'SELECT * FROM virtual_registries_container_registries WHERE id = $1', [id]))[0];
  return r ? reg(r) : undefined;
}

export async function insertRegistry(q: Queryer, r: { group_id: number; name: string; description: string | null }): Promise<VirtualRegistryRow | undefined> {
  const row = (
    await q.query<VirtualRegistryRow>('vr_insert_registry', 'INSERT INTO virtual_registries_container_registries (group_id, name, description) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING *', [
      r.group_id,
      r.name,
      r.description,
    ])
  )[0];
  return row ? reg(row) : undefined;
}

export async function updateRegistry(q: Queryer, id: number, f: { name?: string | undefined; description?: string | null | undefined }): Promise<VirtualRegistryRow | undefined> {
  const row = (
    await q.query<VirtualRegistryRow>(
      'vr_update_registry',
      'UPDATE virtual_registries_container_registries SET name = COALESCE($2, name), description = CASE WHEN $4 THEN $3 ELSE description END, updated_at = now() WHERE id = $1 RETURNING *',
      [id, f.name ?? null, f.description ?? null, f.description !== undefined],
    )
  )[0];
  return row ? reg(row) : undefined;
}

export async function deleteRegistry(q: Queryer, id: number): Promise<boolean> {
  return (await q.query('vr_delete_registry', 'DELETE FROM virtual_registries_container_registries WHERE id = $1 RETURNING id', [id])).length > 0;
}

// ---- upstreams ----

/** The upstreams of a registry in `position` order. */
export async function upstreamsOf(q: Queryer, registryId: number): Promise<LinkedUpstream[]> {
  const rows = await q.query<LinkedUpstream>(
    'vr_upstreams_of',
    `SELECT u.*, l.position, l.id AS registry_upstream_id FROM virtual_registries_container_registry_upstreams l
     JOIN virtual_registries_container_upstreams u ON u.id = l.upstream_id WHERE l.registry_id = $1 ORDER BY l.position`,
    [registryId],
  );
  return rows.map(up);
}

export async function upstreamsOfGroup(q: Queryer, groupId: number): Promise<UpstreamRow[]> {
  return (await q.query<UpstreamRow>('vr_upstreams_of_group', 'SELECT * FROM virtual_registries_container_upstreams WHERE group_id = $1 ORDER BY id', [groupId])).map(up);
}

export async function upstreamById(q: Queryer, id: number): Promise<UpstreamRow | undefined> {
  const r = (await q.query<UpstreamRow>('vr_upstream', 'SELECT * FROM virtual_registries_container_upstreams WHERE id = $1', [id]))[0];
  return r ? up(r) : undefined;
}

export async function insertUpstream(
  q: Queryer,
  u: { group_id: number; url: string; name: string; description: string | null; cache_validity_hours: number; username: string | null; password_encrypted: string | null },
): Promise<UpstreamRow> {
  const row = (
    await q.query<UpstreamRow>(
      'vr_insert_upstream',
      'INSERT INTO virtual_registries_container_upstreams (group_id, url, name, description, cache_validity_hours, username, password_encrypted) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
      [u.group_id, u.url, u.name, u.description, u.cache_validity_hours, u.username, u.password_encrypted],
    )
  )[0] as UpstreamRow;
  return up(row);
}

export async function updateUpstream(q: Queryer, id: number, f: Partial<Pick<UpstreamRow, 'url' | 'name' | 'description' | 'cache_validity_hours' | 'username' | 'password_encrypted'>>): Promise<UpstreamRow | undefined> {
  const keys = Object.keys(f) as Array<keyof typeof f>;
  if (keys.length === 0) return upstreamById(q, id);
  const sets = keys.map((k, i) => `${k} = $${i + 2}`).join(', ');
  const row = (
    await q.query<UpstreamRow>(`vr_update_upstream_${keys.join('_')}`, `UPDATE virtual_registries_container_upstreams SET ${sets}, updated_at = now() WHERE id = $1 RETURNING *`, [id, ...keys.map((k) => f[k] ?? null)])
  )[0];
  return row ? up(row) : undefined;
}

export async function deleteUpstream(q: Queryer, id: number): Promise<boolean> {
  return (await q.query('vr_delete_upstream', 'DELETE FROM virtual_registries_container_upstreams WHERE id = $1 RETURNING id', [id])).length > 0;
}

/** Links an upstream at the end of a registry's list; undefined when already linked. */
export async function linkUpstream(q: Queryer, registryId: number, upstreamId: number): Promise<{ id: number; registry_id: number; upstream_id: number; position: number } | undefined> {
  const rows = await q.query<{ id: string; registry_id: string; upstream_id: string; position: number }>(
    'vr_link_upstream',
    `INSERT INTO virtual_registries_container_registry_upstreams (registry_id, upstream_id, position)
     SELECT $1, $2, COALESCE(max(position), 0) + 1 FROM virtual_registries_container_registry_upstreams WHERE registry_id = $1
     ON CONFLICT DO NOTHING RETURNING *`,
    [registryId, upstreamId],
  );
  const r = rows[0];
  return r ? { id: Number(r.id), registry_id: Number(r.registry_id), upstream_id: Number(r.upstream_id), position: Number(r.position) } : undefined;
}

export async function linkById(q: Queryer, id: number): Promise<{ id: number; registry_id: number; upstream_id: number; position: number } | undefined> {
  const r = (await q.query<{ id: string; registry_id: string; upstream_id: string; position: number }>('vr_link', 'SELECT * FROM virtual_registries_container_registry_upstreams WHERE id = $1', [id]))[0];
  return r ? { id: Number(r.id), registry_id: Number(r.registry_id), upstream_id: Number(r.upstream_id), position: Number(r.position) } : undefined;
}

/** Moves a link to `position` (1-based), shifting the others; positions stay 1..n. */
export async function moveLink(q: Queryer, registryId: number, linkId: number, position: number): Promise<void> {
  const links = await q.query<{ id: string }>('vr_links', 'SELECT id FROM virtual_registries_container_registry_upstreams WHERE registry_id = $1 ORDER BY position', [registryId]);
  const ids = links.map((l) => Number(l.id)).filter((i) => i !== linkId);
  ids.splice(Math.max(0, Math.min(ids.length, position - 1)), 0, linkId);
  for (const [i, id] of ids.entries()) await q.query('vr_set_position', 'UPDATE virtual_registries_container_registry_upstreams SET position = $2 WHERE id = $1', [id, i + 1]);
}

export async function unlink(q: Queryer, linkId: number): Promise<void> {
  const link = await linkById(q, linkId);
  if (!link) return;
  await q.query('vr_unlink', 'DELETE FROM virtual_registries_container_registry_upstreams WHERE id = $1', [linkId]);
  await q.query('vr_compact', 'UPDATE virtual_registries_container_registry_upstreams SET position = position - 1 WHERE registry_id = $1 AND position > $2', [link.registry_id, link.position]);
}

// ---- cache entries ----

export async function cacheEntry(q: Queryer, upstreamId: number, relativePath: string): Promise<CacheEntryRow | undefined> {
  const r = (await q.query<CacheEntryRow>('vr_cache_entry', 'SELECT * FROM virtual_registries_container_cache_entries WHERE upstream_id = $1 AND relative_path = $2', [upstreamId, relativePath]))[0];
  return r ? entry(r) : undefined;
}

/** A cached digest request, under any of the given upstreams (digest content is the same wherever it came from). */
export async function cachedDigest(q: Queryer, upstreamIds: readonly number[], relativePath: string): Promise<CacheEntryRow | undefined> {
  const r = (
    await q.query<CacheEntryRow>('vr_cached_digest', 'SELECT * FROM virtual_registries_container_cache_entries WHERE upstream_id = ANY($1::bigint[]) AND relative_path = $2 LIMIT 1', [upstreamIds, relativePath])
  )[0];
  return r ? entry(r) : undefined;
}

export async function upsertCacheEntry(q: Queryer, e: { upstream_id: number; relative_path: string; digest: string; size: number; content_type: string }): Promise<void> {
  await q.query(
    'vr_upsert_entry',
    `INSERT INTO virtual_registries_container_cache_entries (upstream_id, relative_path, digest, size, content_type) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (upstream_id, relative_path) DO UPDATE SET digest = EXCLUDED.digest, size = EXCLUDED.size, content_type = EXCLUDED.content_type, upstream_checked_at = now(), updated_at = now()`,
    [e.upstream_id, e.relative_path, e.digest, e.size, e.content_type],
  );
}

/** Marks an entry as just confirmed by its upstream (a stale tag whose digest did not change). */
export async function revalidatedCacheEntry(q: Queryer, id: number): Promise<void> {
  await q.query('vr_revalidated_entry', 'UPDATE virtual_registries_container_cache_entries SET upstream_checked_at = now(), updated_at = now() WHERE id = $1', [id]);
}

/**
 * The upstreams of a registry in position order, each with its cache entry
 * for `relativePath` when it has one: what a pull by tag needs, in one query.
 */
export async function upstreamsWithEntry(q: Queryer, registryId: number, relativePath: string): Promise<Array<{ upstream: LinkedUpstream; entry: CacheEntryRow | undefined }>> {
  const rows = await q.query<LinkedUpstream & { entry: CacheEntryRow | null }>(
    'vr_upstreams_with_entry',
    `SELECT u.*, l.position, l.id AS registry_upstream_id, to_jsonb(e) AS entry FROM virtual_registries_container_registry_upstreams l
     JOIN virtual_registries_container_upstreams u ON u.id = l.upstream_id
     LEFT JOIN virtual_registries_container_cache_entries e ON e.upstream_id = u.id AND e.relative_path = $2
     WHERE l.registry_id = $1 ORDER BY l.position`,
    [registryId, relativePath],
  );
  return rows.map(({ entry: e, ...u }) => ({ upstream: up(u as LinkedUpstream), entry: e ? entry(e) : undefined }));
}

export async function listCacheEntries(q: Queryer, upstreamId: number, search: string | undefined, limit: number, offset: number): Promise<CacheEntryRow[]> {
  const rows = await q.query<CacheEntryRow>(
    'vr_list_entries',
    "SELECT * FROM virtual_registries_container_cache_entries WHERE upstream_id = $1 AND ($2::text IS NULL OR relative_path LIKE '%' || $2 || '%') ORDER BY relative_path LIMIT $3 OFFSET $4",
    [upstreamId, search ?? null, limit, offset],
  );
  return rows.map(entry);
}

export async function cacheEntryById(q: Queryer, id: number): Promise<CacheEntryRow | undefined> {
  const r = (await q.query<CacheEntryRow>('vr_entry_by_id', 'SELECT * FROM virtual_registries_container_cache_entries WHERE id = $1', [id]))[0];
  return r ? entry(r) : undefined;
}

export async function deleteCacheEntry(q: Queryer, id: number): Promise<boolean> {
  return (await q.query('vr_delete_entry', 'DELETE FROM virtual_registries_container_cache_entries WHERE id = $1 RETURNING id', [id])).length > 0;
}

/** Tags of `image` cached from any of the upstreams (the tags list when no upstream answers). */
export async function cachedTags(q: Queryer, upstreamIds: readonly number[], image: string): Promise<string[]> {
  const prefix = `${image}/manifests/`;
  const rows = await q.query<{ tag: string }>(
    'vr_cached_tags',
    `SELECT DISTINCT substr(relative_path, length($2) + 1) AS tag FROM virtual_registries_container_cache_entries
     WHERE upstream_id = ANY($1::bigint[]) AND starts_with(relative_path, $2) AND position(':' in substr(relative_path, length($2) + 1)) = 0`,
    [upstreamIds, prefix],
  );
  return rows.map((r) => r.tag);
}

/** The distinct blobs (layers, configs and manifests) cached by the upstreams of a group. */
export async function cachedBlobsOfGroup(q: Queryer, groupId: number): Promise<Array<{ digest: string; size: number }>> {
  const rows = await q.query<{ digest: string; size: string }>(
    'vr_cached_blobs_of_group',
    `SELECT e.digest, max(e.size) AS size FROM virtual_registries_container_cache_entries e
     JOIN virtual_registries_container_upstreams u ON u.id = e.upstream_id WHERE u.group_id = $1 GROUP BY e.digest`,
    [groupId],
  );
  return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
}

/**
 * Cache figures per upstream of a registry: entries (each one upstream
 * fetch), bytes held, downloads served from the cache (hits; counted in
 * batches, a second behind), the last download.
 */
export async function cacheStatistics(q: Queryer, registryId: number): Promise<Array<{ upstream_id: number; entries: number; size_bytes: number; downloads: number; last_downloaded_at: string | null }>> {
  const rows = await q.query<{ upstream_id: string; entries: string; size_bytes: string | null; downloads: string | null; last_downloaded_at: Date | null }>(
    'vr_cache_statistics',
    `SELECT l.upstream_id, count(e.id) AS entries, sum(e.size) AS size_bytes, sum(e.downloads_count) AS downloads, max(e.downloaded_at) AS last_downloaded_at
     FROM virtual_registries_container_registry_upstreams l
     LEFT JOIN virtual_registries_container_cache_entries e ON e.upstream_id = l.upstream_id
     WHERE l.registry_id = $1 GROUP BY l.upstream_id, l.position ORDER BY l.position`,
    [registryId],
  );
  return rows.map((r) => ({
    upstream_id: Number(r.upstream_id),
    entries: Number(r.entries),
    size_bytes: Number(r.size_bytes ?? 0),
    downloads: Number(r.downloads ?? 0),
    last_downloaded_at: r.last_downloaded_at ? new Date(r.last_downloaded_at).toISOString() : null,
  }));
}
