/**
 * The cleanup scheduler: each tick claims the enabled policies whose
 * `next_run_at` has passed (moving it one `cadence` ahead) and queues a
 * cleanup job per project. Runs left unfinished queue their own follow-up.
 * The clock is injectable.
 */
import type { Database, Queryer } from '../../db/queryer.js';
import type { Logger } from '../../observability/logger.js';
import { enqueueJob, type JobHandler } from '../jobs/queue.js';
import type { RegistryClient } from '../registry-client.js';
import { cadenceMs } from './policy.js';
import { cleanupProject } from './run.js';
import { claimDuePolicies, getPolicy, markCleanupScheduled } from './store.js';

/** Job kind of a policy run. */
export const CLEANUP_PROJECT = 'cleanup_project';

/**
 * Queues a run of a project's policy and marks its repositories
 * `cleanup_scheduled`, so the API (and the admin page's progress) shows the
 * run from the moment it is asked for until each repository is done.
 */
export async function queueCleanup(tx: Queryer, projectId: number, payload: Record<string, unknown> = {}): Promise<void> {
  await markCleanupScheduled(tx, projectId);
  await enqueueJob(tx, CLEANUP_PROJECT, { project_id: projectId, ...payload }, { maxAttempts: 3 });
}

/** Queues the runs that are due at `now`; returns the project ids queued. */
export async function scheduleDueCleanups(db: Database, now: Date): Promise<number[]> {
  return db.transaction(async (tx) => {
    const due = await claimDuePolicies(tx, now, cadenceMs);
    for (const projectId of due) await queueCleanup(tx, projectId);
    return due;
  });
}

/** The job handler of policy runs. */
export function cleanupJobHandler(db: Database, registry: RegistryClient, log: Logger, clock: () => number = Date.now): Record<string, JobHandler> {
  return {
    async [CLEANUP_PROJECT](job) {
      const projectId = Number(job.payload.project_id);
      const policy = await getPolicy(db, projectId);
      const reports = await cleanupProject(db, registry, projectId, policy, { dryRun: false, now: clock() });
      const deleted = reports.reduce((n, r) => n + r.deleted.length, 0);
      const unfinished = reports.some((r) => r.unfinished);
      log.info({ project: projectId, deleted, unfinished }, 'cleanup policy run');
      if (unfinished) await enqueueJob(db, CLEANUP_PROJECT, { project_id: projectId, resumed: true }, { maxAttempts: 3 });
    },
  };
}

/** Ticks the scheduler every `intervalMs` until stopped. */
export function startCleanupScheduler(db: Database, log: Logger, intervalMs: number): () => void {
  const timer = setInterval(() => {
    scheduleDueCleanups(db, new Date()).then(
      (ids) => ids.length > 0 && log.info({ projects: ids }, 'cleanup policies due'),
      (err: unknown) => log.error({ err }, 'cleanup scheduler failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
