/**
 * Deploy tokens of projects and of groups (GitLab's API): Maintainers list,
 * create and revoke them; the secret is shown once, on creation. A group's
 * token may also carry `read_virtual_registry` (pulls through the group's
 * virtual registries, SPEC 8.2).
 */
import { parseScopes } from '../identity/users.js';
import { DEPLOY_TOKEN_PREFIX, newToken } from '../secrets.js';
import { insertDeployToken, listDeployTokens, revokeDeployToken, type DeployTokenOwner } from '../store/identity.js';
import { ACCESS_LEVELS } from '../store/rows.js';
import { ApiError, badRequest, notFound, readBody, sendJson, str, type ApiContext } from './http.js';
import { presentDeployToken } from './present.js';
import { loadGroup, loadProject, requireWrite } from './resources.js';
import type { Route } from './router.js';

const PROJECT_SCOPES = new Set(['read_registry', 'write_registry']);
const GROUP_SCOPES = new Set(['read_registry', 'write_registry', 'read_virtual_registry']);

type Kind = 'projects' | 'groups';

/** The owner named by the path, for a Maintainer. */
async function ownerFor(ctx: ApiContext, kind: Kind, ref: string): Promise<{ owner: DeployTokenOwner; id: number }> {
  if (kind === 'projects') {
    const { project } = await loadProject(ctx, ref, ACCESS_LEVELS.maintainer);
    return { owner: { project_id: project.id }, id: project.id };
  }
  const { group } = await loadGroup(ctx, ref, ACCESS_LEVELS.maintainer);
  return { owner: { group_id: group.id }, id: group.id };
}

function routesOf(kind: Kind): Route[] {
  const list = new RegExp(`^\\/${kind}\\/([^/]+)\\/deploy_tokens$`);
  const one = new RegExp(`^\\/${kind}\\/([^/]+)\\/deploy_tokens\\/(\\d+)$`);
  return [
    [
      'GET',
      list,
      async (ctx) => {
        const { owner } = await ownerFor(ctx, kind, ctx.params[0]!);
        sendJson(ctx.res, 200, (await listDeployTokens(ctx.db, owner)).map(presentDeployToken));
      },
    ],
    [
      'POST',
      list,
      async (ctx) => {
        requireWrite(ctx);
        const { owner, id } = await ownerFor(ctx, kind, ctx.params[0]!);
        const body = await readBody(ctx.req);
        const name = str(body, 'name', true);
        const username = str(body, 'username') ?? `wharf+deploy-token-${kind === 'groups' ? 'g' : ''}${id}-${Date.now().toString(36)}`;
        if (!/^[a-zA-Z0-9_+.-]{1,255}$/.test(username)) throw badRequest('username is invalid');
        const expires = str(body, 'expires_at');
        if (expires !== undefined && Number.isNaN(Date.parse(expires))) throw badRequest('expires_at is invalid');
        if (expires !== undefined && Date.parse(expires) <= Date.now()) throw badRequest('expires_at must be in the future');
        const token = newToken(DEPLOY_TOKEN_PREFIX);
        const scopes = parseScopes(body.scopes, kind === 'groups' ? GROUP_SCOPES : PROJECT_SCOPES);
        const row = await insertDeployToken(ctx.db, owner, name, username, token, scopes, expires ?? null).catch((err: { code?: string }) => {
          if (err.code === '23505') throw new ApiError(400, 'username has already been taken', 'error');
          throw err;
        });
        sendJson(ctx.res, 201, { ...presentDeployToken(row), token });
      },
    ],
    [
      'DELETE',
      one,
      async (ctx) => {
        requireWrite(ctx);
        const { owner } = await ownerFor(ctx, kind, ctx.params[0]!);
        if (!(await revokeDeployToken(ctx.db, owner, Number(ctx.params[1])))) throw notFound('Deploy Token');
        sendJson(ctx.res, 204, null);
      },
    ],
  ];
}

export const deployTokenRoutes: Route[] = [...routesOf('projects'), ...routesOf('groups')];
