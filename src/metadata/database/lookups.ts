/**
 * Small lookups the database store shares: repository ids by path (created on
 * first write) and media type ids (created on first use, cached: rows are
 * never deleted).
 */
import type { Queryer } from './queryer.js';

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

/** Media type ids, cached per process. */
export class MediaTypes {
  private readonly ids = new Map<string, number>();

  /** The id of `mediaType`, inserting it on first use. */
  async id(q: Queryer, mediaType: string): Promise<number> {
    const cached = this.ids.get(mediaType);
    if (cached !== undefined) return cached;
    const rows = await q.query<{ id: number }>(
      'media_type_id',
      `WITH ins AS (INSERT INTO media_types (media_type) VALUES ($1) ON CONFLICT (media_type) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM media_types WHERE media_type = $1 LIMIT 1`,
      [mediaType],
    );
    const id = Number((rows[0] as { id: number }).id);
    this.ids.set(mediaType, id);
    return id;
  }
}
