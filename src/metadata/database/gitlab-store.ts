/**
 * The `/gitlab/v1` metadata over the database (and the Redis tag cache, which
 * a rename invalidates and whose leases reserve new paths).
 */
import type { Database } from '../../db/queryer.js';
import type { TagCache } from '../cache/cached-store.js';
import type { GitlabMetadata } from '../gitlab.js';
import { referrersOf, repositoriesUnder, repositoryByPath, repositorySize, tagByName, tagPage } from './gitlab-queries.js';
import { renameRepository } from './rename.js';

/** Binds the queries to `db`. */
export function databaseGitlabMetadata(db: Database, cache: TagCache | undefined): GitlabMetadata {
  return {
    repositoryByPath: (path) => repositoryByPath(db, path),
    repositorySize: (path, withDescendants) => repositorySize(db, path, withDescendants),
    tagPage: (id, options) => tagPage(db, id, options),
    referrersOf: (id, digests) => referrersOf(db, id, digests),
    tagByName: (id, name) => tagByName(db, id, name),
    repositoriesUnder: (path, n, last) => repositoriesUnder(db, path, n, last),
    rename: (path, newName, dryRun) => renameRepository(db, cache, path, newName, dryRun),
  };
}
