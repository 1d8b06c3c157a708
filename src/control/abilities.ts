/**
 * The permission model, in one place (the permission matrix test drives it
 * through HTTP): what a principal may do on a project from its effective
 * access level, the project's visibility, the registry settings and, for
 * tokens, their scopes. Levels follow GitLab: Guest 10, Reporter 20,
 * Developer 30, Maintainer 40, Owner 50; admins act as 60.
 */
import type { Principal } from './principal.js';
import type { ProjectRow, SettingsRow, Visibility } from './store/rows.js';

/** Registry actions, as token scopes name them. */
export type RegistryAction = 'pull' | 'push' | 'delete';

/** The effective level used for decisions: admins count as 60. */
export function effectiveLevel(p: Principal, memberLevel: number): number {
  return p.kind === 'user' && p.user.admin ? 60 : memberLevel;
}

/** True when a principal may see something with this visibility at this level. */
export function canRead(p: Principal, visibility: Visibility, level: number): boolean {
  if (visibility === 'public' || level >= 10) return true;
  return visibility === 'internal' && p.kind === 'user';
}

/** Which registry actions the credentials' scopes allow at most (personal access and deploy tokens). */
function scopeAllows(p: Principal): ReadonlySet<RegistryAction> {
  const all: RegistryAction[] = ['pull', 'push', 'delete'];
  if (p.kind === 'anonymous') return new Set(['pull']);
  const scopes = p.kind === 'deploy_token' ? p.token.scopes : p.scopes;
  if (scopes === undefined) return new Set(all);
  const out = new Set<RegistryAction>();
  if (scopes.includes('api') && p.kind === 'user') all.forEach((a) => out.add(a));
  if (scopes.includes('read_registry')) out.add('pull');
  if (scopes.includes('write_registry')) {
    out.add('push');
    // Deploy tokens push; deleting images is for people (GitLab's deploy tokens cannot delete).
    if (p.kind === 'user') out.add('delete');
  }
  return out;
}

/**
 * The registry actions a principal has on a project's repositories. Nothing
 * when the registry is disabled site-wide or for the project. For a group
 * deploy token, `inTokenGroup` says whether the project is under its group.
 */
export function registryActions(p: Principal, project: ProjectRow, settings: SettingsRow, memberLevel: number, inTokenGroup = false): Set<RegistryAction> {
  const out = new Set<RegistryAction>();
  if (!settings.container_registry_enabled || !project.container_registry_enabled) return out;
  const allowed = scopeAllows(p);
  if (p.kind === 'deploy_token') {
    // A project's token acts on that project; a group's on every project under the group (`inTokenGroup`, looked up by the caller).
    if (p.token.project_id === project.id || (p.token.group_id !== null && inTokenGroup)) allowed.forEach((a) => out.add(a));
    return out;
  }
  const level = effectiveLevel(p, memberLevel);
  const pull = project.visibility === 'public' || (project.visibility === 'internal' && p.kind === 'user') || level >= 20;
  if (pull) out.add('pull');
  if (level >= 30) {
    out.add('push');
    out.add('delete');
  }
  for (const a of out) if (!allowed.has(a)) out.delete(a);
  return out;
}

/** What a token may do on the REST API: read with `api` or `read_api`, write with `api`; anonymous reads public data. */
export function apiAccess(p: Principal): { read: boolean; write: boolean } {
  if (p.kind === 'anonymous') return { read: true, write: false };
  if (p.kind === 'deploy_token') return { read: false, write: false };
  if (p.scopes === undefined) return { read: true, write: true };
  return { read: p.scopes.includes('api') || p.scopes.includes('read_api'), write: p.scopes.includes('api') };
}
