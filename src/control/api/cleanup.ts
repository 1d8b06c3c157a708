/**
 * Cleanup policies through the REST API: read and change a project's policy
 * (GitLab's allowed values), run it now, or dry-run it to see each tag's fate.
 * Also accepted as GitLab sends it: `PUT /projects/:id` with
 * `container_expiration_policy_attributes`.
 */
import { CADENCES, KEEP_N, OLDER_THAN, cadenceMs } from '../cleanup/policy.js';
import { cleanupProject } from '../cleanup/run.js';
import { queueCleanup } from '../cleanup/scheduler.js';
import { getPolicy, savePolicy, type PolicyRow } from '../cleanup/store.js';
import { compileAnchored } from '../registry/tag-selection.js';
import { ACCESS_LEVELS } from '../store/rows.js';
import type { Database } from '../../db/queryer.js';
import { badRequest, bool, readBody, sendJson, type ApiContext } from './http.js';
import { loadProject, requireWrite } from './resources.js';
import type { Route } from './router.js';

const present = (p: PolicyRow) => ({ ...p, next_run_at: p.next_run_at ? new Date(p.next_run_at).toISOString() : null });

/** Validates and applies a policy change (GitLab's attribute names and allowed values). */
export async function updatePolicy(db: Database, projectId: number, body: Record<string, unknown>, now = new Date()): Promise<PolicyRow> {
  const current = await getPolicy(db, projectId);
  const next = { ...current };
  const enabled = bool(body, 'enabled');
  if (enabled !== undefined) next.enabled = enabled;
  if (body.cadence !== undefined) {
    if (!(CADENCES as readonly unknown[]).includes(body.cadence)) throw badRequest(`cadence does not have a valid value (${CADENCES.join(', ')})`);
    next.cadence = body.cadence as string;
  }
  if (body.keep_n !== undefined) {
    const n = body.keep_n === null ? null : Number(body.keep_n);
    if (n !== null && !(KEEP_N as readonly number[]).includes(n)) throw badRequest(`keep_n does not have a valid value (${KEEP_N.join(', ')})`);
    next.keep_n = n;
  }
  if (body.older_than !== undefined) {
    if (body.older_than !== null && !(OLDER_THAN as readonly unknown[]).includes(body.older_than)) throw badRequest(`older_than does not have a valid value (${OLDER_THAN.join(', ')})`);
    next.older_than = body.older_than as string | null;
  }
  for (const key of ['name_regex', 'name_regex_keep'] as const) {
    if (body[key] === undefined) continue;
    const v = body[key] === null || body[key] === '' ? null : String(body[key]);
    if (v !== null) {
      try {
        compileAnchored(v);
      } catch (err) {
        throw badRequest(`${key} is an invalid regexp: ${(err as Error).message}`);
      }
    }
    next[key] = v;
  }
  // A newly enabled policy (or a new cadence) runs one cadence from now, as GitLab schedules it.
  const reschedule = next.enabled && (!current.enabled || next.cadence !== current.cadence || current.next_run_at === null);
  const nextRunAt = !next.enabled ? null : reschedule ? new Date(now.getTime() + cadenceMs(next.cadence)) : current.next_run_at;
  return savePolicy(db, next, nextRunAt);
}

export const cleanupRoutes: Route[] = [
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/cleanup_policy$/,
    async (ctx) => {
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      sendJson(ctx.res, 200, present(await getPolicy(ctx.db, project.id)));
    },
  ],
  [
    'PUT',
    /^\/projects\/([^/]+)\/registry\/cleanup_policy$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      sendJson(ctx.res, 200, present(await updatePolicy(ctx.db, project.id, await readBody(ctx.req))));
    },
  ],
  [
    'POST',
    /^\/projects\/([^/]+)\/registry\/cleanup_policy\/run$/,
    async (ctx: ApiContext) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      if (ctx.url.searchParams.get('dry_run') === 'true') {
        const reports = await cleanupProject(ctx.db, ctx.services.registry, project.id, await getPolicy(ctx.db, project.id), { dryRun: true, now: Date.now() });
        sendJson(
          ctx.res,
          200,
          reports.map((r) => ({ repository: r.repository, tags: r.decisions })),
        );
        return;
      }
      await ctx.db.transaction((tx) => queueCleanup(tx, project.id, { manual: true }));
      sendJson(ctx.res, 202, null);
    },
  ],
];
