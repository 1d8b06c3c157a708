/**
 * Read queries of the `/gitlab/v1` API (SPEC 1.11), over the metadata
 * database. Sizes follow GitLab's definition: the sum of the unique image
 * layers referenced by at least one tagged manifest, directly or through a
 * tagged index (configurations are not layers).
 */
import type { Queryer } from '../../db/queryer.js';
import type { RepositoryDetails, TagPageOptions, TagRow } from '../gitlab.js';

/** The repository at `path`, or undefined. */
export async function repositoryByPath(q: Queryer, path: string): Promise<RepositoryDetails | undefined> {
  const rows = await q.query<{ id: string; name: string; path: string; created_at: Date; updated_at: Date | null }>(
    'gitlab_repository',
    'SELECT id, name, path, created_at, updated_at FROM repositories WHERE path = $1',
    [path],
  );
  const r = rows[0];
  return r ? { id: Number(r.id), name: r.name, path: r.path, createdAt: r.created_at, updatedAt: r.updated_at } : undefined;
}

/** Deduplicated size of one repository, or of it and every repository below it. */
export async function repositorySize(q: Queryer, path: string, withDescendants: boolean): Promise<number> {
  const rows = await q.query<{ size: string }>(
    'gitlab_repository_size',
    `WITH RECURSIVE repos AS (
       SELECT id FROM repositories WHERE path = $1 OR ($2 AND path LIKE $3)
     ),
     reachable AS (
       SELECT t.manifest_id AS id FROM tags t WHERE t.repository_id IN (SELECT id FROM repos)
       UNION
       SELECT c.id FROM reachable p
       JOIN manifests pm ON pm.id = p.id
       JOIN manifest_references r ON r.parent_id = pm.id
       JOIN manifests c ON c.repository_id = r.repository_id AND c.digest = r.child_digest
     )
     SELECT COALESCE(sum(size), 0) AS size FROM (
       SELECT DISTINCT ON (l.digest) l.size FROM layers l WHERE l.manifest_id IN (SELECT id FROM reachable)
     ) u`,
    [path, withDescendants, `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`],
  );
  return Number(rows[0]?.size ?? 0);
}

/** A page of tags (n + 1 rows are read to tell whether more follow), with the boundary markers. */
export async function tagPage(q: Queryer, repositoryId: number, o: TagPageOptions): Promise<{ tags: TagRow[]; more: boolean }> {
  const byName = o.sort === 'name' || o.sort === '-name';
  const desc = o.sort.startsWith('-');
  // Going backwards (`before`) reads in the opposite order, then flips the page.
  const backwards = o.before !== undefined;
  const order = desc !== backwards ? 'DESC' : 'ASC';
  const key = byName ? 't.name' : 'COALESCE(t.updated_at, t.created_at)';
  const marker = o.before ?? o.last;
  const cmp = order === 'ASC' ? '>' : '<';
  const markerClause = marker === undefined ? '' : byName ? `AND t.name ${cmp} $3` : `AND (${key}, t.name) ${cmp} ((SELECT COALESCE(updated_at, created_at) FROM tags WHERE repository_id = $1 AND name = $3), $3)`;
  const rows = await q.query<{ name: string; digest: string; config: string | null; media_type: string; size: string; created_at: Date; updated_at: Date | null }>(
    'gitlab_tags_page',
    `SELECT t.name, m.digest, m.configuration_blob_digest AS config, mt.media_type, m.total_size AS size, t.created_at, t.updated_at
     FROM tags t JOIN manifests m ON m.id = t.manifest_id JOIN media_types mt ON mt.id = m.media_type_id
     WHERE t.repository_id = $1 AND ($2::text IS NULL OR t.name LIKE $2) ${markerClause}
     ORDER BY ${key} ${order}, t.name ${order}
     LIMIT ${o.n + 1}`,
    [repositoryId, o.name ? `%${o.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null, ...(marker === undefined ? [] : [marker])],
  );
  const more = rows.length > o.n;
  const page = rows.slice(0, o.n).map((r) => ({
    name: r.name,
    digest: r.digest,
    configDigest: r.config,
    mediaType: r.media_type,
    sizeBytes: Number(r.size),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    publishedAt: r.updated_at ?? r.created_at,
  }));
  return { tags: backwards ? page.reverse() : page, more };
}

/** Referrers of each digest in the repository: digest → [{artifactType, digest}]. */
export async function referrersOf(q: Queryer, repositoryId: number, digests: string[]): Promise<Map<string, Array<{ artifactType: string | null; digest: string }>>> {
  const out = new Map<string, Array<{ artifactType: string | null; digest: string }>>();
  if (digests.length === 0) return out;
  const rows = await q.query<{ subject: string; digest: string; at: string | null }>(
    'gitlab_referrers',
    `SELECT m.subject_digest AS subject, m.digest, at.media_type AS at FROM manifests m LEFT JOIN media_types at ON at.id = m.artifact_type_id
     WHERE m.repository_id = $1 AND m.subject_digest = ANY($2) ORDER BY m.digest`,
    [repositoryId, digests],
  );
  for (const r of rows) out.set(r.subject, [...(out.get(r.subject) ?? []), { artifactType: r.at, digest: r.digest }]);
  return out;
}

/** One tag by name, or undefined. */
export async function tagByName(q: Queryer, repositoryId: number, name: string): Promise<TagRow | undefined> {
  const rows = await q.query<{ name: string; digest: string; config: string | null; media_type: string; size: string; created_at: Date; updated_at: Date | null }>(
    'gitlab_tag_detail',
    `SELECT t.name, m.digest, m.configuration_blob_digest AS config, mt.media_type, m.total_size AS size, t.created_at, t.updated_at
     FROM tags t JOIN manifests m ON m.id = t.manifest_id JOIN media_types mt ON mt.id = m.media_type_id
     WHERE t.repository_id = $1 AND t.name = $2`,
    [repositoryId, name],
  );
  const r = rows[0];
  return r
    ? { name: r.name, digest: r.digest, configDigest: r.config, mediaType: r.media_type, sizeBytes: Number(r.size), createdAt: r.created_at, updatedAt: r.updated_at, publishedAt: r.updated_at ?? r.created_at }
    : undefined;
}

/** Repositories at or below `path`, in path order after `last`; n + 1 are read to tell whether more follow. */
export async function repositoriesUnder(q: Queryer, path: string, n: number, last?: string): Promise<{ repos: RepositoryDetails[]; more: boolean }> {
  const rows = await q.query<{ id: string; name: string; path: string; created_at: Date; updated_at: Date | null }>(
    'gitlab_repositories_under',
    `SELECT id, name, path, created_at, updated_at FROM repositories
     WHERE (path = $1 OR path LIKE $2) AND ($3::text IS NULL OR path > $3)
     ORDER BY path LIMIT ${n + 1}`,
    [path, `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`, last ?? null],
  );
  return {
    repos: rows.slice(0, n).map((r) => ({ id: Number(r.id), name: r.name, path: r.path, createdAt: r.created_at, updatedAt: r.updated_at })),
    more: rows.length > n,
  };
}
