/**
 * Who is calling the control plane: anonymous, a user (by password or by a
 * personal access token with scopes), or a deploy token. Credentials are
 * checked here only; what a principal may do is `abilities.ts`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Queryer } from '../db/queryer.js';
import { verifyPassword } from './passwords.js';
import { DEPLOY_TOKEN_PREFIX, PAT_PREFIX } from './secrets.js';
import { deployTokenBySecret, patBySecret, userByUsername } from './store/identity.js';
import type { DeployTokenRow, UserRow } from './store/rows.js';

/** An authenticated (or anonymous) caller. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: UserRow; readonly authType: 'gitlab_or_ldap' | 'personal_access_token'; readonly scopes?: readonly string[] }
  | { readonly kind: 'deploy_token'; readonly token: DeployTokenRow };

/** The anonymous principal. */
export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** Basic credentials from an Authorization header, if that is what it carries. */
export function basicCredentials(headers: IncomingHttpHeaders): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * Checks Basic credentials: the password may be the user's password, one of
 * their personal access tokens, or a deploy token (with its username).
 * Undefined when they are wrong, or the user is blocked.
 */
export async function authenticateBasic(q: Queryer, username: string, password: string): Promise<Principal | undefined> {
  if (password.startsWith(PAT_PREFIX)) {
    const found = await patBySecret(q, password);
    if (!found || found.user.state !== 'active' || found.user.username !== username) return undefined;
    return { kind: 'user', user: found.user, authType: 'personal_access_token', scopes: found.pat.scopes };
  }
  if (password.startsWith(DEPLOY_TOKEN_PREFIX)) {
    const token = await deployTokenBySecret(q, username, password);
    return token ? { kind: 'deploy_token', token } : undefined;
  }
  const user = await userByUsername(q, username);
  const ok = await verifyPassword(password, user?.password_hash);
  if (!user || !ok || user.state !== 'active') return undefined;
  return { kind: 'user', user, authType: 'gitlab_or_ldap' };
}

/**
 * The principal of a REST API call: a personal access token in `PRIVATE-TOKEN`
 * or `Authorization: Bearer`, or Basic credentials of a user; anonymous without any; undefined when the token
 * is unknown, revoked, expired, or its user blocked.
 */
export async function authenticateApi(q: Queryer, headers: IncomingHttpHeaders): Promise<Principal | undefined> {
  // Wharf has no web sign-in, so the API also takes Basic credentials (password or token), e.g. to create the first token.
  const basic = basicCredentials(headers);
  if (basic) {
    const p = await authenticateBasic(q, basic.username, basic.password);
    return p?.kind === 'user' ? p : undefined;
  }
  const header = headers['private-token'];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  const token = typeof header === 'string' ? header : bearer;
  if (token === undefined) return ANONYMOUS;
  const found = await patBySecret(q, token);
  if (!found || found.user.state !== 'active') return undefined;
  return { kind: 'user', user: found.user, authType: 'personal_access_token', scopes: found.pat.scopes };
}

/** The user behind a principal, if any. */
export function userOf(p: Principal): UserRow | undefined {
  return p.kind === 'user' ? p.user : undefined;
}

/** True for an admin user. */
export function isAdmin(p: Principal): boolean {
  return p.kind === 'user' && p.user.admin;
}
