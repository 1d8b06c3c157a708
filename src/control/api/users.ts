/** `/api/v4/user`, `/users` (admin) and personal access tokens. */
import { hashPassword, MIN_PASSWORD_LENGTH } from '../passwords.js';
import { userOf } from '../principal.js';
import { newToken, PAT_PREFIX } from '../secrets.js';
import { deleteUser, insertPat, insertUser, listPats, listUsers, revokePat, updateUser, userById, userByUsername } from '../store/identity.js';
import { ApiError, badRequest, bool, forbidden, notFound, pageOf, readBody, sendJson, sendPage, str, type ApiContext } from './http.js';
import { presentPat, presentUser } from './present.js';
import { requireAdmin, requireWrite } from './resources.js';
import type { Route } from './router.js';

const USERNAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/;
/** Scopes a personal access token may carry. */
export const PAT_SCOPES = new Set(['api', 'read_api', 'read_registry', 'write_registry', 'read_virtual_registry']);

/** Validates `scopes` (array or comma-separated) against `allowed`. */
export function parseScopes(value: unknown, allowed: ReadonlySet<string>): string[] {
  const list = Array.isArray(value) ? value.map((s) => (typeof s === 'string' ? s : '(not a string)')) : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
  if (list.length === 0) throw badRequest('scopes is missing');
  const bad = list.filter((s) => !allowed.has(s));
  if (bad.length > 0) throw badRequest(`scopes does not have a valid value: ${bad.join(', ')}`);
  return [...new Set(list)];
}

/** Validates an `expires_at` date (YYYY-MM-DD, in the future). */
export function parseExpiry(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw badRequest('expires_at is invalid');
  // A token that expires today or earlier would be born dead (GitLab refuses it too).
  if (value <= new Date().toISOString().slice(0, 10)) throw badRequest('expires_at must be in the future');
  return value;
}

function me(ctx: ApiContext) {
  const user = userOf(ctx.principal);
  if (!user) throw new ApiError(401, '401 Unauthorized');
  return user;
}

/** Creates a user (admin API and `wharf admin create-user`). */
export async function createUser(ctx: Pick<ApiContext, 'db'>, body: Record<string, unknown>) {
  const username = str(body, 'username', true);
  if (!USERNAME.test(username)) throw badRequest('username is invalid');
  const password = str(body, 'password');
  if (password !== undefined && password.length < MIN_PASSWORD_LENGTH) throw badRequest(`password is too short (minimum is ${MIN_PASSWORD_LENGTH} characters)`);
  if (await userByUsername(ctx.db, username)) throw new ApiError(409, 'Username has already been taken');
  return insertUser(ctx.db, {
    username,
    email: str(body, 'email'),
    name: str(body, 'name'),
    passwordHash: password === undefined ? undefined : await hashPassword(password),
    admin: bool(body, 'admin') ?? false,
  });
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
      sendJson(ctx.res, 201, presentUser(await createUser(ctx, await readBody(ctx.req)), true));
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
      if (password !== undefined && password.length < MIN_PASSWORD_LENGTH) throw badRequest(`password is too short (minimum is ${MIN_PASSWORD_LENGTH} characters)`);
      const user = await updateUser(ctx.db, (await targetUser(ctx)).id, {
        admin: bool(body, 'admin'),
        email: str(body, 'email'),
        name: str(body, 'name'),
        passwordHash: password === undefined ? undefined : await hashPassword(password),
      });
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
      const token = newToken(PAT_PREFIX);
      const row = await insertPat(ctx.db, owner.id, str(body, 'name', true), token, parseScopes(body.scopes, PAT_SCOPES), parseExpiry(str(body, 'expires_at')));
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
