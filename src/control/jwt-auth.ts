/**
 * `GET /jwt/auth` (SPEC 4.3), Docker's token endpoint as GitLab answers it:
 * Basic credentials (password, personal access token or deploy token) or
 * anonymous; any number of `scope` parameters; actions the caller lacks are
 * dropped; `registry:catalog:*` only for admins. Wrong credentials get 401
 * (and nothing about why). The token lives for the admin setting's minutes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseScopes } from '../auth/scope.js';
import { ANONYMOUS, authenticateBasic, basicCredentials, type Principal } from './principal.js';
import { grantAccess } from './registry-access.js';
import type { ControlPlaneServices } from './services.js';
import { getSettings } from './store/registry-records.js';

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': data.length, 'Cache-Control': 'no-store' });
  res.end(data);
}

const denied = (res: ServerResponse, message: string) => reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message }] }, { 'WWW-Authenticate': 'Basic realm="Wharf"' });

/** Answers one token request. */
export async function serveJwtAuth(req: IncomingMessage, res: ServerResponse, services: ControlPlaneServices): Promise<void> {
  if (req.method !== 'GET') {
    reply(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'use GET' }] }, { Allow: 'GET' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://control-plane.invalid');
  const service = url.searchParams.get('service');
  if (service !== services.issuer.service) {
    denied(res, `invalid service ${JSON.stringify(service ?? '')}; this endpoint issues tokens for ${JSON.stringify(services.issuer.service)}`);
    return;
  }
  let principal: Principal = ANONYMOUS;
  const creds = basicCredentials(req.headers);
  if (req.headers.authorization !== undefined) {
    const found = creds ? await authenticateBasic(services.db, creds.username, creds.password) : undefined;
    if (!found) {
      services.log.info({ user: creds?.username }, 'token request with wrong credentials');
      denied(res, 'HTTP Basic: Access denied. Check your username and password or token.');
      return;
    }
    principal = found;
  }
  const settings = await getSettings(services.db);
  const scopes = parseScopes(url.searchParams.getAll('scope'));
  const access = settings.container_registry_enabled ? await grantAccess(services.db, principal, scopes, settings) : [];
  const subject = principal.kind === 'user' ? principal.user.username : principal.kind === 'deploy_token' ? principal.token.username : '';
  const authType = principal.kind === 'user' ? principal.authType : principal.kind === 'deploy_token' ? 'deploy_token' : 'none';
  const issued = await services.issuer.issue({ subject, authType, access, lifetimeSeconds: settings.container_registry_token_expire_delay * 60 });
  reply(res, 200, { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt.toISOString() });
}
