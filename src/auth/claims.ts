/** The claims of a registry token, as GitLab issues them and Distribution reads them. */

/**
 * The subject of the control plane's own tokens (its reads and deletes on
 * behalf of the API). A colon is never in a username, so no user can carry
 * it; Geo sites use `geo:<site>` the same way.
 */
export const CONTROL_PLANE_SUBJECT = 'wharf:control-plane';

/** Tag patterns GitLab attaches to a repository grant (RE2 syntax). */
export interface AccessMeta {
  readonly project_path?: string;
  readonly project_id?: number;
  readonly root_namespace_id?: number;
  readonly tag_deny_access_patterns?: { readonly push?: readonly string[]; readonly delete?: readonly string[] };
  readonly tag_immutable_patterns?: readonly string[];
}

/** One granted resource. */
export interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
  readonly meta?: AccessMeta;
}

/** A verified token's claims. */
export interface TokenClaims {
  readonly iss: string;
  readonly sub?: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly auth_type?: string;
  readonly access: readonly AccessEntry[];
}

/** True when `entry` names `name`: exactly, or as a namespace wildcard `<path>/*` covering it. */
function covers(entry: AccessEntry, type: string, name: string): boolean {
  if (entry.type !== type) return false;
  if (entry.name === name) return true;
  return entry.name.endsWith('/*') && name.startsWith(entry.name.slice(0, -1));
}

/** True when the claims grant `action` (or `*`) on the resource. */
export function grants(claims: TokenClaims, type: string, name: string, action: string): boolean {
  return claims.access.some((e) => covers(e, type, name) && (e.actions.includes(action) || e.actions.includes('*')));
}

/** The meta of the grant covering a repository (the exact grant first). */
export function metaFor(claims: TokenClaims, name: string): AccessMeta | undefined {
  const exact = claims.access.find((e) => e.type === 'repository' && e.name === name && e.meta);
  return (exact ?? claims.access.find((e) => covers(e, 'repository', name) && e.meta))?.meta;
}
