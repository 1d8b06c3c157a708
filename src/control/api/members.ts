/**
 * Members of groups and projects: `GET|POST /<groups|projects>/:id/members`,
 * `PUT|DELETE .../members/:user_id`. Maintainers manage members up to their
 * own level; only Owners (and admins) grant or remove Owner.
 */
import type { Route } from './router.js';
import { ACCESS_LEVELS, type AccessLevel, type MemberRow } from '../store/rows.js';
import { userById } from '../store/identity.js';
import { deleteMember, listMembers, upsertMember } from '../store/tenancy.js';
import { badRequest, forbidden, int, notFound, readBody, sendJson, type ApiContext } from './http.js';
import { presentMember } from './present.js';
import { loadGroup, loadProject, requireWrite } from './resources.js';

const LEVELS = new Set<number>(Object.values(ACCESS_LEVELS));

async function source(ctx: ApiContext, minLevel = 0): Promise<{ type: 'namespace' | 'project'; id: number; level: number }> {
  if (ctx.params[0] === 'groups') {
    const { group, level } = await loadGroup(ctx, ctx.params[1]!, minLevel);
    return { type: 'namespace', id: group.id, level };
  }
  const { project, level } = await loadProject(ctx, ctx.params[1]!, minLevel);
  return { type: 'project', id: project.id, level };
}

function checkGrant(level: number, wanted: number, current?: MemberRow): void {
  if (wanted > level || (current && current.access_level > level)) throw forbidden();
}

async function write(ctx: ApiContext, userId: number): Promise<void> {
  requireWrite(ctx);
  const src = await source(ctx, ACCESS_LEVELS.maintainer);
  const body = await readBody(ctx.req);
  const level = int(body, 'access_level');
  if (level === undefined || !LEVELS.has(level)) throw badRequest('access_level does not have a valid value');
  const user = await userById(ctx.db, userId);
  if (!user) throw notFound('User');
  const current = (await listMembers(ctx.db, src.type, src.id)).find((m) => m.user_id === user.id);
  checkGrant(src.level, level, current);
  await upsertMember(ctx.db, src.type, src.id, user.id, level as AccessLevel);
  const row = (await listMembers(ctx.db, src.type, src.id)).find((m) => m.user_id === user.id)!;
  sendJson(ctx.res, current ? 200 : 201, presentMember(row));
}

const PREFIX = '^\\/(groups|projects)\\/([^/]+)\\/members';

export const memberRoutes: Route[] = [
  [
    'GET',
    new RegExp(`${PREFIX}$`),
    async (ctx) => {
      const src = await source(ctx);
      sendJson(ctx.res, 200, (await listMembers(ctx.db, src.type, src.id)).map(presentMember));
    },
  ],
  [
    'POST',
    new RegExp(`${PREFIX}$`),
    async (ctx) => {
      const body = await readBody(ctx.req);
      const userId = int(body, 'user_id');
      if (userId === undefined) throw badRequest('user_id is missing');
      await write(ctx, userId);
    },
  ],
  ['PUT', new RegExp(`${PREFIX}\\/(\\d+)$`), async (ctx) => write(ctx, Number(ctx.params[2]))],
  [
    'DELETE',
    new RegExp(`${PREFIX}\\/(\\d+)$`),
    async (ctx) => {
      requireWrite(ctx);
      const src = await source(ctx, ACCESS_LEVELS.maintainer);
      const current = (await listMembers(ctx.db, src.type, src.id)).find((m) => m.user_id === Number(ctx.params[2]));
      if (!current) throw notFound('Member');
      checkGrant(src.level, current.access_level, current);
      await deleteMember(ctx.db, src.type, src.id, current.user_id);
      sendJson(ctx.res, 204, null);
    },
  ],
];
