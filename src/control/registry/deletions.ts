/**
 * Scheduling repository deletions (SPEC 6.2): `delete_scheduled` with a
 * durable job (10 attempts, 2^n-minute delays), and putting a
 * `delete_failed` repository back to `delete_scheduled`.
 */
import type { Database } from '../../db/queryer.js';
import { enqueueJob } from '../jobs/queue.js';
import { containerRepositoryById, setRepositoryStatus } from '../store/registry-records.js';
import { DELETE_REPOSITORY } from './jobs.js';
import type { AccessMeta } from '../../auth/claims.js';

/** Attempts before a deletion is `delete_failed`. */
export const DELETE_MAX_ATTEMPTS = 10;

/** Schedules the deletion of a repository (resetting its attempt count). */
export async function scheduleDeletion(db: Database, repositoryId: number, meta?: AccessMeta): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('cp_repository_attempts_reset', 'UPDATE container_repositories SET delete_attempts = 0 WHERE id = $1', [repositoryId]);
    await setRepositoryStatus(tx, repositoryId, 'delete_scheduled');
    await enqueueJob(tx, DELETE_REPOSITORY, { repository_id: repositoryId, ...(meta ? { meta } : {}) }, { maxAttempts: DELETE_MAX_ATTEMPTS });
  });
}

/** Puts a `delete_failed` repository back to `delete_scheduled`; false when it is not failed. */
export async function resetFailedDeletion(db: Database, repositoryId: number): Promise<boolean> {
  const repo = await containerRepositoryById(db, repositoryId);
  if (!repo || repo.status !== 'delete_failed') return false;
  await scheduleDeletion(db, repositoryId);
  return true;
}
