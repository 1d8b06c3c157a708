/** Cleanup policies and the per-repository cleanup state. */
import type { Queryer } from '../../db/queryer.js';
import { normalize } from '../store/normalize.js';
import type { PolicyRules } from './policy.js';

/** A stored policy. */
export interface PolicyRow extends PolicyRules {
  readonly project_id: number;
  readonly enabled: boolean;
  readonly cadence: string;
  readonly next_run_at: Date | null;
}

const COLUMNS = 'project_id, enabled, cadence, keep_n, older_than, name_regex, name_regex_keep, next_run_at';

/** A project's policy (GitLab's defaults when none was saved). */
export async function getPolicy(q: Queryer, projectId: number): Promise<PolicyRow> {
  const [row] = await q.query<PolicyRow>('cp_policy_get', `SELECT ${COLUMNS} FROM container_expiration_policies WHERE project_id = $1`, [projectId]);
  return row ? normalize(row) : { project_id: projectId, enabled: false, cadence: '1d', keep_n: 10, older_than: '90d', name_regex: '.*', name_regex_keep: null, next_run_at: null };
}

/** Saves a policy; enabling it (or changing its cadence) schedules the next run one cadence from `now`. */
export async function savePolicy(q: Queryer, p: Omit<PolicyRow, 'next_run_at'>, nextRunAt: Date | null): Promise<PolicyRow> {
  const [row] = await q.query<PolicyRow>(
    'cp_policy_save',
    `INSERT INTO container_expiration_policies (project_id, enabled, cadence, keep_n, older_than, name_regex, name_regex_keep, next_run_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (project_id) DO UPDATE SET enabled = EXCLUDED.enabled, cadence = EXCLUDED.cadence, keep_n = EXCLUDED.keep_n,
       older_than = EXCLUDED.older_than, name_regex = EXCLUDED.name_regex, name_regex_keep = EXCLUDED.name_regex_keep,
       next_run_at = EXCLUDED.next_run_at, updated_at = now()
     RETURNING ${COLUMNS}`,
    [p.project_id, p.enabled, p.cadence, p.keep_n, p.older_than, p.name_regex, p.name_regex_keep, nextRunAt],
  );
  return normalize(row!);
}

/**
 * Claims the policies due at `now` (enabled, `next_run_at` passed) and moves
 * each one's `next_run_at` a cadence ahead, atomically (SKIP LOCKED: two
 * schedulers never claim one policy). Returns the project ids.
 */
export async function claimDuePolicies(q: Queryer, now: Date, cadenceMs: (c: string) => number): Promise<number[]> {
  const due = await q.query<{ project_id: string; cadence: string }>(
    'cp_policy_due',
    'SELECT project_id, cadence FROM container_expiration_policies WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at FOR UPDATE SKIP LOCKED LIMIT 100',
    [now],
  );
  for (const d of due) {
    await q.query('cp_policy_next', 'UPDATE container_expiration_policies SET next_run_at = $2 WHERE project_id = $1', [d.project_id, new Date(now.getTime() + cadenceMs(d.cadence))]);
  }
  return due.map((d) => Number(d.project_id));
}

/** Sets a repository's cleanup state. */
export async function setCleanupStatus(q: Queryer, repositoryId: number, status: 'cleanup_scheduled' | 'cleanup_unfinished' | 'cleanup_ongoing' | null): Promise<void> {
  await q.query(
    'cp_cleanup_status',
    `UPDATE container_repositories SET expiration_policy_cleanup_status = $2,
       expiration_policy_started_at = CASE WHEN $2 = 'cleanup_ongoing' THEN now() ELSE expiration_policy_started_at END,
       expiration_policy_completed_at = CASE WHEN $2 IS NULL THEN now() ELSE expiration_policy_completed_at END
     WHERE id = $1`,
    [repositoryId, status],
  );
}

/** Marks a project's repositories (those not being deleted, nor left unfinished by an earlier run) as scheduled for a run. */
export async function markCleanupScheduled(q: Queryer, projectId: number): Promise<void> {
  await q.query(
    'cp_cleanup_scheduled',
    `UPDATE container_repositories SET expiration_policy_cleanup_status = 'cleanup_scheduled'
     WHERE project_id = $1 AND status IS NULL AND expiration_policy_cleanup_status IS NULL`,
    [projectId],
  );
}
