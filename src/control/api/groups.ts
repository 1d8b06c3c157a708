/** `/api/v4/groups`: nested groups. Any signed-in user creates a top-level group (and owns it); subgroups need Maintainer on the parent. */
import { userOf } from '../principal.js';
import { ACCESS_LEVELS, type Visibility } from '../store/rows.js';
import { deleteNamespace, insertGroup, listGroups, namespaceAccessLevel, namespaceByRef, upsertMember } from '../store/tenancy.js';
import { canRead } from '../abilities.js';
import { ApiError, badRequest, int, pageOf, readBody, sendJson, sendPage, str, type ApiContext } from './http.js';
import { presentGroup } from './present.js';
import { loadGroup, requireRead, requireWrite } from './resources.js';
import type { Route } from './router.js';

const PATH = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/;
const VISIBILITIES = new Set(['public', 'internal', 'private']);

/** A `visibility` field. */
export function visibilityOf(body: Record<string, unknown>, fallback: Visibility): Visibility {
  const v = str(body, 'visibility') ?? fallback;
  if (!VISIBILITIES.has(v)) throw badRequest('visibility does not have a valid value');
  return v as Visibility;
}

/** A path segment of a group or project: lower-cased, as registry names must be. */
export function pathOf(body: Record<string, unknown>): string {
  const path = (str(body, 'path') ?? str(body, 'name', true)).toLowerCase();
  if (!PATH.test(path) || path.endsWith('.') || path.includes('..')) throw badRequest('path is invalid');
  return path;
}

async function list(ctx: ApiContext, parentId: number | undefined): Promise<void> {
  requireRead(ctx);
  const { perPage, offset } = pageOf(ctx.url);
  // Visibility filtering is done per row: group counts are small next to projects.
  const { rows } = await listGroups(ctx.db, parentId, 10_000, 0);
  const user = userOf(ctx.principal);
  const visible = [];
  for (const g of rows) {
    const level = user ? (user.admin ? 60 : await namespaceAccessLevel(ctx.db, g.id, user.id)) : 0;
    if (canRead(ctx.principal, g.visibility, level)) visible.push(g);
  }
  sendPage(ctx, visible.slice(offset, offset + perPage).map(presentGroup), visible.length);
}

export const groupRoutes: Route[] = [
  ['GET', /^\/groups$/, async (ctx) => list(ctx, undefined)],
  [
    'POST',
    /^\/groups$/,
    async (ctx) => {
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const parentId = int(body, 'parent_id');
      const parent = parentId === undefined ? undefined : (await loadGroup(ctx, String(parentId), ACCESS_LEVELS.maintainer)).group;
      const path = pathOf(body);
      if (await namespaceByRef(ctx.db, parent ? `${parent.full_path}/${path}` : path)) throw new ApiError(400, 'Failed to save group {:path=>["has already been taken"]}');
      const group = await insertGroup(ctx.db, { path, name: str(body, 'name'), visibility: visibilityOf(body, parent?.visibility ?? 'private'), parent });
      if (!parent) await upsertMember(ctx.db, 'namespace', group.id, userOf(ctx.principal)!.id, ACCESS_LEVELS.owner);
      sendJson(ctx.res, 201, presentGroup(group));
    },
  ],
  ['GET', /^\/groups\/([^/]+)$/, async (ctx) => sendJson(ctx.res, 200, presentGroup((await loadGroup(ctx, ctx.params[0]!)).group))],
  ['GET', /^\/groups\/([^/]+)\/subgroups$/, async (ctx) => list(ctx, (await loadGroup(ctx, ctx.params[0]!)).group.id)],
  [
    'DELETE',
    /^\/groups\/([^/]+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { group } = await loadGroup(ctx, ctx.params[0]!, ACCESS_LEVELS.owner);
      // As GitLab: a group whose projects hold container images cannot be removed until they are deleted.
      const [row] = await ctx.db.query<{ n: string }>(
        'cp_group_images',
        `WITH RECURSIVE tree AS (SELECT id FROM namespaces WHERE id = $1 UNION ALL SELECT n.id FROM namespaces n JOIN tree t ON n.parent_id = t.id)
       SELECT count(*) AS n FROM container_repositories c JOIN projects p ON p.id = c.project_id WHERE p.namespace_id IN (SELECT id FROM tree)`,
        [group.id],
      );
      if (Number(row?.n ?? 0) > 0) throw new ApiError(409, 'Group cannot be deleted while its projects have container registry images; delete them first');
      await deleteNamespace(ctx.db, group.id);
      sendJson(ctx.res, 202, { message: '202 Accepted' });
    },
  ],
];
