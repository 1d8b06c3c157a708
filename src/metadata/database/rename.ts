/**
 * Repository rename (`PATCH /gitlab/v1/repositories/<path>/?dry_run=`), as in
 * GitLab's registry: body `{"name": "<new last segment>"}`; the repository and
 * every repository below it move together (a path update: blobs are shared
 * by digest, nothing moves in storage). At most 1,000 repositories move at
 * once. With Redis, a dry run reserves the new path with a lease (60 s) so
 * the rename that follows cannot lose it to another project; without Redis,
 * the database transaction alone decides.
 */
import type { Cluster, Redis } from 'ioredis';
import type { TagCache } from '../cache/cached-store.js';
import type { Database } from '../../db/queryer.js';
import { regErr } from '../../oci/errors.js';
import { isValidName } from '../../oci/names.js';
import type { RenameResult } from '../gitlab.js';

/** Most repositories one rename may move. */
export const RENAME_LIMIT = 1000;
const LEASE_MS = 60_000;
const leaseKey = (path: string) => `wharf:rename-lease:${path}`;

/** Validates and performs (or, dry, checks and reserves) a rename of `path` to its sibling `newName`. */
export async function renameRepository(db: Database, cache: TagCache | undefined, path: string, newName: unknown, dryRun: boolean): Promise<RenameResult> {
  const redis: Redis | Cluster | undefined = cache?.redis;
  if (typeof newName !== 'string' || !/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/.test(newName)) {
    throw regErr('INVALID_QUERY_PARAMETER_VALUE', 'the new name must be one valid path segment', { name: String(newName).slice(0, 100) });
  }
  const cut = path.lastIndexOf('/');
  const target = cut === -1 ? newName : `${path.slice(0, cut)}/${newName}`;
  if (!isValidName(target)) throw regErr('NAME_INVALID', 'the new path is not a valid repository name', { path: target.slice(0, 300) });
  if (target === path) throw regErr('INVALID_QUERY_PARAMETER_VALUE', 'the new name is the current one', { name: newName });
  const like = `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const moved = await db.query<{ n: string }>('rename_count', 'SELECT count(*) AS n FROM repositories WHERE path = $1 OR path LIKE $2', [path, like]);
  const count = Number(moved[0]?.n ?? 0);
  if (count === 0) throw regErr('NAME_UNKNOWN', undefined, { name: path });
  if (count > RENAME_LIMIT) throw regErr('EXCEEDS_LIMITS', `renaming would move ${count} repositories; the limit is ${RENAME_LIMIT}`, { limit: RENAME_LIMIT });
  const targetLike = `${target.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const taken = await db.query('rename_conflict', 'SELECT 1 FROM repositories WHERE path = $1 OR path LIKE $2 LIMIT 1', [target, targetLike]);
  if (taken.length > 0) throw regErr('RENAME_CONFLICT', undefined, { path: target });
  if (redis) {
    // The lease names the path it was taken for; only a rename of that path may use it.
    const ok = await redis.set(leaseKey(target), path, 'PX', LEASE_MS, 'NX');
    if (!ok && (await redis.get(leaseKey(target))) !== path) throw regErr('RENAME_CONFLICT', 'the new path is reserved by another rename', { path: target });
    if (ok === null) await redis.pexpire(leaseKey(target), LEASE_MS);
  }
  if (dryRun) return { dryRun, ...(redis ? { leaseMs: LEASE_MS } : {}) };
  let renamed: Array<{ old: string; path: string }>;
  try {
    renamed = await db.query<{ old: string; path: string }>(
      'rename_repositories',
      `UPDATE repositories r SET path = $2 || substr(r.path, length($1) + 1),
         name = CASE WHEN r.path = $1 THEN $3 ELSE r.name END, updated_at = now()
       FROM (SELECT id, path AS old FROM repositories WHERE path = $1 OR path LIKE $4) o
       WHERE r.id = o.id RETURNING o.old, r.path`,
      [path, target, newName, like],
    );
  } catch (err) {
    // Another rename took the path between the check and the update (the unique index decides).
    if ((err as { code?: string }).code === '23505') throw regErr('RENAME_CONFLICT', undefined, { path: target });
    throw err;
  }
  await cache?.invalidate(renamed.flatMap((r) => [r.old, r.path]));
  await redis?.del(leaseKey(target));
  return { dryRun, to: target };
}
