/**
 * Background jobs that act on the registry: deleting a whole container
 * repository (`delete_scheduled` → `delete_ongoing` → gone, or
 * `delete_failed` after the last attempt) and bulk tag deletes.
 */
import type { Database } from '../../db/queryer.js';
import type { JobHandler } from '../jobs/queue.js';
import type { RegistryClient } from '../registry-client.js';
import { containerRepositoryById, deleteContainerRepository, setRepositoryStatus } from '../store/registry-records.js';
import { selectTags, type TagSelection } from './tag-selection.js';
import { guardFromMeta, tagGuardFor, type TagGuard } from './tag-protection.js';
import type { AccessMeta } from '../../auth/claims.js';

/** Job kind: delete every tag of a repository, then forget it. */
export const DELETE_REPOSITORY = 'delete_container_repository';
/** Job kind: a bulk tag delete. */
export const BULK_DELETE_TAGS = 'bulk_delete_tags';

/**
 * The tag rules a job deletes under: those of the actor who asked (carried in
 * the payload), or, for a job queued without them (an admin's reset of a
 * failed deletion), an administrator's: only immutable tags stay.
 */
async function jobGuard(db: Database, projectId: number, meta: unknown): Promise<TagGuard> {
  return meta && typeof meta === 'object' ? guardFromMeta(meta as AccessMeta) : tagGuardFor(db, projectId, 60);
}

/** The handlers of the registry jobs. */
export function registryJobHandlers(db: Database, registry: RegistryClient): Record<string, JobHandler> {
  return {
    async [DELETE_REPOSITORY](job, final) {
      const repo = await containerRepositoryById(db, Number(job.payload.repository_id));
      if (!repo) return;
      await setRepositoryStatus(db, repo.id, 'delete_ongoing', true);
      try {
        const guard = await jobGuard(db, repo.project_id, job.payload.meta);
        for (const tag of await registry.tags(repo.path)) await registry.deleteTag(repo.path, tag.name, guard.meta);
        await deleteContainerRepository(db, repo.id);
      } catch (err) {
        await setRepositoryStatus(db, repo.id, final ? 'delete_failed' : 'delete_scheduled');
        throw err;
      }
    },
    async [BULK_DELETE_TAGS](job) {
      const repo = await containerRepositoryById(db, Number(job.payload.repository_id));
      if (!repo) return;
      const rules = job.payload.rules as TagSelection;
      const guard = await jobGuard(db, repo.project_id, job.payload.meta);
      // Tags the actor may not delete stay (a step of the rule list), as GitLab's bulk delete skips protected tags.
      const decisions = selectTags(await registry.tags(repo.path), rules, Date.now(), guard.refusal);
      for (const d of decisions) if (d.delete) await registry.deleteTag(repo.path, d.name, guard.meta);
    },
  };
}
