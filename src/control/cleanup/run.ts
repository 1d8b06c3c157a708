/**
 * Runs a project's cleanup policy over its repositories. A run deletes at
 * most `container_registry_cleanup_tags_service_max_list_size` tags per
 * repository and stops after `container_registry_delete_tags_service_timeout`
 * seconds; a repository left with deletable tags is `cleanup_unfinished` and
 * the run asks to be resumed. A dry run deletes nothing and says why each tag
 * would stay or go.
 */
import type { Database } from '../../db/queryer.js';
import type { RegistryClient } from '../registry-client.js';
import type { TagDecision } from '../registry/tag-selection.js';
import { getSettings, listContainerRepositories } from '../store/registry-records.js';
import { evaluatePolicy, type PolicyRules } from './policy.js';
import { setCleanupStatus } from './store.js';
import { cleanupTagGuard } from '../registry/tag-protection.js';

/** What a run did (or would do) to one repository. */
export interface CleanupReport {
  readonly repository: string;
  readonly decisions: readonly TagDecision[];
  readonly deleted: readonly string[];
  readonly unfinished: boolean;
}

/** Options of a run. */
export interface CleanupOptions {
  readonly dryRun: boolean;
  /** The clock (tests inject one). */
  readonly now: number;
}

/** Applies `rules` to every repository of a project. */
export async function cleanupProject(db: Database, registry: RegistryClient, projectId: number, rules: PolicyRules, opts: CleanupOptions): Promise<CleanupReport[]> {
  const settings = await getSettings(db);
  const max = settings.container_registry_cleanup_tags_service_max_list_size;
  const deadline = Date.now() + settings.container_registry_delete_tags_service_timeout * 1000;
  // Every tag a rule covers stays (the decisions say which rule); the registry is told the same rules.
  const guard = await cleanupTagGuard(db, projectId);
  const { rows } = await listContainerRepositories(db, projectId, 100_000, 0);
  const reports: CleanupReport[] = [];
  for (const repo of rows) {
    if (repo.status !== null) continue; // being deleted
    if (!opts.dryRun) await setCleanupStatus(db, repo.id, 'cleanup_ongoing');
    try {
      const decisions = evaluatePolicy(await registry.tags(repo.path), rules, guard.refusal, opts.now);
      const doomed = decisions.filter((d) => d.delete).map((d) => d.name);
      const deleted: string[] = [];
      if (!opts.dryRun) {
        for (const tag of doomed.slice(0, max)) {
          if (Date.now() > deadline) break;
          await registry.deleteTag(repo.path, tag, guard.meta);
          deleted.push(tag);
        }
      }
      const unfinished = !opts.dryRun && deleted.length < doomed.length;
      if (!opts.dryRun) await setCleanupStatus(db, repo.id, unfinished ? 'cleanup_unfinished' : null);
      reports.push({ repository: repo.path, decisions, deleted, unfinished });
    } catch (err) {
      if (!opts.dryRun) await setCleanupStatus(db, repo.id, 'cleanup_unfinished');
      throw err;
    }
  }
  return reports;
}
