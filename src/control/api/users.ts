/** `/api/v4/user`, `/users` (admin) and personal access tokens. */
import { hashPassword } from '../passwords.js';
import { checkPassword, createPersonalAccessToken, createUser } from '../identity/users.js';
import { userOf } from '../principal.js';
import { deleteSessionsOf } from '../store/sessions.js';
import { deleteUser, insertPat, insertUser, listPats, listUsers, revokePat, updateUser, userById, userByUsername } from '../store/identity.js';
import { ApiError, badRequest, bool, forbidden, notFound, pageOf, readBody, sendJson, sendPage, str, type ApiContext } from './http.js';
import { presentPat, presentUser } from './present.js';
import { requireAdmin, requireWrite } from './resources.js';
import type { Route } from './router.js';

function me(ctx: ApiContext) {
  const user = userOf(ctx.principal);
  if (!user) throw new ApiError(401, '401 Unauthorized');
  return user;
}

async function targetUser(ctx: ApiContext) {
  const user = await userById(ctx.db, Number(ctx.params[0]));
  if (!user) throw notFound('User');
  return user;
}

export const userRoutes: Route[] = [
  ['GET', /^\/user$/, async (ctx) => sendJson(ctx.res, 200, presentUser(me(ctx), true))],
  [
    'GET',
    /^\/users$/,
    async (ctx) => {
      requireAdmin(ctx);
      const { perPage, offset } = pageOf(ctx.url);
      const { rows, total } = await listUsers(ctx.db, perPage, offset);
      sendPage(
        ctx,
        rows.map((u) => presentUser(u, true)),
        total,
      );
    },
  ],
  [
    'POST',
    /^\/users$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const user = await createUser(ctx.db, { username: str(body, 'username', true), password: str(body, 'password'), email: str(body, 'email'), name: str(body, 'name'), admin: bool(body, 'admin') });
      sendJson(ctx.res, 201, presentUser(user, true));
    },
  ],
  [
    'GET',
    /^\/users\/(\d+)$/,
    async (ctx) => {
      const user = await targetUser(ctx);
      const self = userOf(ctx.principal)?.id === user.id;
      sendJson(ctx.res, 200, presentUser(user, self || (userOf(ctx.principal)?.admin ?? false)));
    },
  ],
  [
    'PUT',
    /^\/users\/(\d+)$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const password = str(body, 'password');
      checkPassword(password);
      const user = await updateUser(ctx.db, (await targetUser(ctx)).id, {
        admin: bool(body, 'admin'),
        email: str(body, 'email'),
        name: str(body, 'name'),
        passwordHash: password === undefined ? undefined : await hashPassword(password),
      });
      // A new password signs the user out of the admin page everywhere.
      if (password !== undefined && user) await deleteSessionsOf(ctx.db, user.id);
      sendJson(ctx.res, 200, presentUser(user!, true));
    },
  ],
  [
    'POST',
    /^\/users\/(\d+)\/(block|unblock)$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const user = await targetUser(ctx);
      if (user.id === userOf(ctx.principal)?.id) throw forbidden();
      await updateUser(ctx.db, user.id, { state: ctx.params[1] === 'block' ? 'blocked' : 'active' });
      if (ctx.params[1] === 'block') await deleteSessionsOf(ctx.db, user.id);
      sendJson(ctx.res, 201, true);
    },
  ],
  [
    'DELETE',
    /^\/users\/(\d+)$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const user = await targetUser(ctx);
      if (user.id === userOf(ctx.principal)?.id) throw forbidden();
      await deleteUser(ctx.db, user.id);
      await deleteSessionsOf(ctx.db, user.id);
      sendJson(ctx.res, 204, null);
    },
  ],
  // Tokens: users create their own; admins create them for anyone.
  [
    'POST',
    /^\/(?:user|users\/(\d+))\/personal_access_tokens$/,
    async (ctx) => {
      requireWrite(ctx);
      const owner = ctx.params[0] === undefined ? me(ctx) : await targetUser(ctx);
      if (owner.id !== me(ctx).id && !me(ctx).admin) throw forbidden();
      const body = await readBody(ctx.req);
      const { row, token } = await createPersonalAccessToken(ctx.db, owner.id, { name: str(body, 'name', true), scopes: body.scopes, expiresAt: str(body, 'expires_at') });
      sendJson(ctx.res, 201, { ...presentPat(row), token });
    },
  ],
  [
    'GET',
    /^\/personal_access_tokens$/,
    async (ctx) => {
      const user = me(ctx);
      const target = ctx.url.searchParams.get('user_id');
      const id = target && user.admin ? Number(target) : user.id;
      sendJson(ctx.res, 200, (await listPats(ctx.db, id)).map(presentPat));
    },
  ],
  [
    'DELETE',
    /^\/personal_access_tokens\/(\d+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const user = me(ctx);
      if (!(await revokePat(ctx.db, user.admin ? undefined : user.id, Number(ctx.params[0])))) throw notFound('Token');
      sendJson(ctx.res, 204, null);
    },
  ],
];
