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

/** Job kind: delete every tag of a repository, then forget it. */
export const DELETE_REPOSITORY = 'delete_container_repository';
/** Job kind: a bulk tag delete. */
export const BULK_DELETE_TAGS = 'bulk_delete_tags';

/** The handlers of the registry jobs. */
export function registryJobHandlers(db: Database, registry: RegistryClient): Record<string, JobHandler> {
  return {
    async [DELETE_REPOSITORY](job, final) {
      const repo = await containerRepositoryById(db, Number(job.payload.repository_id));
      if (!repo) return;
      await setRepositoryStatus(db, repo.id, 'delete_ongoing', true);
      try {
        for (const tag of await registry.tags(repo.path)) await registry.deleteTag(repo.path, tag.name);
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
      const decisions = selectTags(await registry.tags(repo.path), rules);
      for (const d of decisions) if (d.delete) await registry.deleteTag(repo.path, d.name);
    },
  };
}
