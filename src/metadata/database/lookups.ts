/**
 * Small lookups the database store shares: repository ids by path (created on
 * first write) and media type ids (created on first use, cached: rows are
 * never deleted).
 */
import type { Queryer } from '../../db/queryer.js';

/** The id of repository `path`, or undefined. */
export async function repositoryId(q: Queryer, path: string): Promise<number | undefined> {
  const rows = await q.query<{ id: string }>('repository_id', 'SELECT id FROM repositories WHERE path = $1', [path]);
  return rows[0] ? Number(rows[0].id) : undefined;
}

/** The id of repository `path`, creating it (and its top-level namespace) when missing. */
export async function ensureRepository(q: Queryer, path: string): Promise<number> {
  const existing = await repositoryId(q, path);
  if (existing !== undefined) return existing;
  const top = path.split('/')[0] as string;
  const rows = await q.query<{ id: string }>(
    'repository_create',
    `WITH ns AS (
       INSERT INTO top_level_namespaces (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id
     )
     INSERT INTO repositories (top_level_namespace_id, name, path)
     SELECT id, $2, $3 FROM ns
     ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
     RETURNING id`,
    [top, path.slice(path.lastIndexOf('/') + 1), path],
  );
  return Number((rows[0] as { id: string }).id);
}

/**
 * Media type ids, cached per process. Only ids resolved outside any
 * transaction ({@link ensure}) are cached: an id inserted inside a transaction
 * that later rolls back would otherwise poison the cache.
 */
export class MediaTypes {
  private readonly ids = new Map<string, number>();

  /** Resolves (inserting when missing) and caches ids; call with the pool, never inside a transaction. */
  async ensure(q: Queryer, mediaTypes: Iterable<string>): Promise<void> {
    for (const mt of new Set(mediaTypes)) if (!this.ids.has(mt)) this.ids.set(mt, await this.lookup(q, mt));
  }

  /** The id of `mediaType`: cached, or resolved through `q` (inserting when missing) without caching. */
  async id(q: Queryer, mediaType: string): Promise<number> {
    return this.ids.get(mediaType) ?? this.lookup(q, mediaType);
  }

  private async lookup(q: Queryer, mediaType: string): Promise<number> {
    const rows = await q.query<{ id: number }>(
      'media_type_id',
      `WITH ins AS (INSERT INTO media_types (media_type) VALUES ($1) ON CONFLICT (media_type) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM media_types WHERE media_type = $1 LIMIT 1`,
      [mediaType],
    );
    return Number((rows[0] as { id: number }).id);
  }
}
