/**
 * `/api/v4/projects`: projects in a user's namespace or a group, their
 * registry setting (per project, defaulting to the site-wide default for new
 * projects), deploy tokens and tag protection rules.
 */
import { userOf } from '../principal.js';
import { deleteTagRule, getSettings, insertTagRule, listContainerRepositories, listTagRules } from '../store/registry-records.js';
import { ACCESS_LEVELS } from '../store/rows.js';
import { deleteProject, insertProject, listVisibleProjects, namespaceAccessLevel, namespaceByRef, projectByRef, updateProject } from '../store/tenancy.js';
import { ApiError, badRequest, bool, forbidden, int, notFound, pageOf, readBody, sendJson, sendPage, str, type ApiContext } from './http.js';
import { presentProject } from './present.js';
import { loadGroup, loadProject, requireRead, requireWrite } from './resources.js';
import { visibilityOf, pathOf } from './groups.js';
import { parseScopes } from '../identity/users.js';
import type { Route } from './router.js';
import { updatePolicy } from './cleanup.js';

const RULE_LEVELS: Record<string, number> = { maintainer: 40, owner: 50, admin: 60 };

/** `container_registry_enabled` (boolean) or `container_registry_access_level` (enabled|private|disabled). */
function registryFlag(body: Record<string, unknown>): boolean | undefined {
  const level = str(body, 'container_registry_access_level');
  if (level !== undefined) {
    if (!['enabled', 'private', 'disabled'].includes(level)) throw badRequest('container_registry_access_level does not have a valid value');
    return level !== 'disabled';
  }
  return bool(body, 'container_registry_enabled');
}

async function present(ctx: ApiContext, p: Parameters<typeof presentProject>[0]) {
  return presentProject(p, await ctx.services.registryHost());
}

async function list(ctx: ApiContext, namespaceId: number | undefined): Promise<void> {
  requireRead(ctx);
  const { perPage, offset } = pageOf(ctx.url);
  const user = userOf(ctx.principal);
  const { rows, total } = await listVisibleProjects(ctx.db, { userId: user?.id, admin: user?.admin ?? false }, namespaceId, perPage, offset);
  sendPage(ctx, await Promise.all(rows.map((p) => present(ctx, p))), total);
}

export const projectRoutes: Route[] = [
  ['GET', /^\/projects$/, async (ctx) => list(ctx, undefined)],
  ['GET', /^\/groups\/([^/]+)\/projects$/, async (ctx) => list(ctx, (await loadGroup(ctx, ctx.params[0]!)).group.id)],
  [
    'POST',
    /^\/projects$/,
    async (ctx) => {
      requireWrite(ctx);
      const user = userOf(ctx.principal)!;
      const body = await readBody(ctx.req);
      const nsId = int(body, 'namespace_id');
      const ns = nsId === undefined ? await namespaceByRef(ctx.db, user.username) : await namespaceByRef(ctx.db, nsId);
      if (!ns) throw notFound('Namespace');
      const level = user.admin ? 60 : await namespaceAccessLevel(ctx.db, ns.id, user.id);
      if (level < ACCESS_LEVELS.maintainer) throw forbidden();
      const path = pathOf(body);
      if (await projectByRef(ctx.db, `${ns.full_path}/${path}`)) throw new ApiError(400, 'Failed to save project {:path=>["has already been taken"]}');
      const settings = await getSettings(ctx.db);
      const project = await insertProject(ctx.db, {
        ns,
        path,
        name: str(body, 'name'),
        visibility: visibilityOf(body, 'private'),
        registryEnabled: registryFlag(body) ?? settings.default_projects_container_registry,
        creatorId: user.id,
      });
      sendJson(ctx.res, 201, await present(ctx, project));
    },
  ],
  ['GET', /^\/projects\/([^/]+)$/, async (ctx) => sendJson(ctx.res, 200, await present(ctx, (await loadProject(ctx, ctx.params[0]!)).project))],
  [
    'PUT',
    /^\/projects\/([^/]+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      const body = await readBody(ctx.req);
      const visibility = body.visibility === undefined ? undefined : visibilityOf(body, project.visibility);
      const policy = body.container_expiration_policy_attributes;
      if (policy !== undefined) {
        if (typeof policy !== 'object' || policy === null) throw badRequest('container_expiration_policy_attributes is invalid');
        await updatePolicy(ctx.db, project.id, policy as Record<string, unknown>);
      }
      const updated = await updateProject(ctx.db, project.id, { visibility, registryEnabled: registryFlag(body), name: str(body, 'name') });
      sendJson(ctx.res, 200, await present(ctx, updated!));
    },
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.owner);
      // As GitLab: a project holding container images cannot be removed until they are deleted.
      if ((await listContainerRepositories(ctx.db, project.id, 1, 0)).total > 0) throw new ApiError(409, 'Project cannot be deleted while it has container registry images; delete them first');
      await deleteProject(ctx.db, project.id);
      sendJson(ctx.res, 202, { message: '202 Accepted' });
    },
  ],
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/protection\/tag\/rules$/,
    async (ctx) => {
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      sendJson(ctx.res, 200, await listTagRules(ctx.db, project.id));
    },
  ],
  [
    'POST',
    /^\/projects\/([^/]+)\/registry\/protection\/tag\/rules$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      const body = await readBody(ctx.req);
      const pattern = str(body, 'tag_name_pattern', true);
      if (pattern.length > 100) throw badRequest('tag_name_pattern is too long (maximum is 100 characters)');
      const { RE2JS } = await import('re2js');
      try {
        RE2JS.compile(pattern);
      } catch {
        throw badRequest('tag_name_pattern is not a valid RE2 regular expression');
      }
      const level = (key: string) => {
        const v = str(body, key);
        if (v === undefined) return null;
        const n = RULE_LEVELS[v];
        if (n === undefined) throw badRequest(`${key} does not have a valid value`);
        return n;
      };
      const immutable = bool(body, 'immutable') ?? false;
      const push = level('minimum_access_level_for_push');
      const del = level('minimum_access_level_for_delete');
      if (!immutable && push === null && del === null) throw badRequest('set minimum_access_level_for_push, minimum_access_level_for_delete or immutable');
      if ((await listTagRules(ctx.db, project.id)).length >= 5) throw badRequest('a project has at most 5 tag rules');
      sendJson(ctx.res, 201, await insertTagRule(ctx.db, project.id, { pattern, push, delete: del, immutable }));
    },
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)\/registry\/protection\/tag\/rules\/(\d+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project } = await loadProject(ctx, ctx.params[0]!, ACCESS_LEVELS.maintainer);
      if (!(await deleteTagRule(ctx.db, project.id, Number(ctx.params[1])))) throw notFound('Rule');
      sendJson(ctx.res, 204, null);
    },
  ],
];
