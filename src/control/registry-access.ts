/**
 * Turns requested scopes into the `access` claim of a token: each repository
 * is mapped to its project, the principal's actions there are computed
 * (`abilities.ts`), and what was asked is intersected with what is allowed —
 * actions the caller may not have are dropped, never an error. Grants carry
 * GitLab's `meta`: project path and ids, and the tag protection and
 * immutability patterns that apply to this caller.
 */
import type { AccessEntry, AccessMeta } from '../auth/claims.js';
import type { Scope } from '../auth/scope.js';
import type { Queryer } from '../db/queryer.js';
import { effectiveLevel, registryActions, type RegistryAction } from './abilities.js';
import { isAdmin, userOf, type Principal } from './principal.js';
import { listTagRules } from './store/registry-records.js';
import type { ProjectRow, SettingsRow } from './store/rows.js';
import { namespaceAccessLevel, namespaceWithin, projectAccessLevel, projectForRepository } from './store/tenancy.js';
import { parseVirtualName } from '../virtual/names.js';
import { registryById } from '../virtual/store.js';

async function rootNamespaceId(q: Queryer, project: ProjectRow): Promise<number> {
  const [row] = await q.query<{ id: string }>(
    'cp_root_namespace',
    'WITH RECURSIVE chain AS (SELECT id, parent_id FROM namespaces WHERE id = $1 UNION ALL SELECT n.id, n.parent_id FROM namespaces n JOIN chain c ON n.id = c.parent_id) SELECT id FROM chain WHERE parent_id IS NULL',
    [project.namespace_id],
  );
  return Number(row?.id ?? project.namespace_id);
}

async function metaFor(q: Queryer, project: ProjectRow, level: number, actions: ReadonlySet<string>): Promise<AccessMeta> {
  const meta: { -readonly [K in keyof AccessMeta]: AccessMeta[K] } = {
    project_path: project.full_path.toLowerCase(),
    project_id: project.id,
    root_namespace_id: await rootNamespaceId(q, project),
  };
  if (!actions.has('push') && !actions.has('delete')) return meta;
  const rules = await listTagRules(q, project.id);
  const push = rules.filter((r) => r.minimum_access_level_for_push !== null && level < r.minimum_access_level_for_push).map((r) => r.tag_name_pattern);
  const del = rules.filter((r) => r.minimum_access_level_for_delete !== null && level < r.minimum_access_level_for_delete).map((r) => r.tag_name_pattern);
  const immutable = rules.filter((r) => r.immutable).map((r) => r.tag_name_pattern);
  if (push.length > 0 || del.length > 0) meta.tag_deny_access_patterns = { ...(push.length ? { push } : {}), ...(del.length ? { delete: del } : {}) };
  if (immutable.length > 0) meta.tag_immutable_patterns = immutable;
  return meta;
}

/** Pull through a virtual registry (SPEC 8.2): Guest or more on its group, or an admin; a PAT needs api or read_virtual_registry; a deploy token must be the group's, with read_virtual_registry. */
async function mayPullVirtual(q: Queryer, principal: Principal, registryId: number): Promise<boolean> {
  const registry = await registryById(q, registryId);
  if (!registry) return false;
  // A group deploy token with read_virtual_registry pulls through its own group's registries.
  if (principal.kind === 'deploy_token') return principal.token.group_id === registry.group_id && principal.token.scopes.includes('read_virtual_registry');
  const user = userOf(principal);
  if (!user) return false;
  if (principal.kind === 'user' && principal.scopes && !principal.scopes.some((s) => s === 'api' || s === 'read_virtual_registry')) return false;
  return isAdmin(principal) || (await namespaceAccessLevel(q, registry.group_id, user.id)) >= 10;
}

/** The access entries to grant `principal` for `scopes`. */
export async function grantAccess(q: Queryer, principal: Principal, scopes: readonly Scope[], settings: SettingsRow): Promise<AccessEntry[]> {
  const out: AccessEntry[] = [];
  for (const scope of scopes) {
    if (scope.type === 'registry') {
      if (isAdmin(principal) && (principal.kind !== 'user' || principal.scopes === undefined || principal.scopes.includes('api') || principal.scopes.includes('read_registry'))) {
        out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      }
      continue;
    }
    // Namespace wildcards are for the control plane's own calls, not for clients.
    if (scope.name.endsWith('/*')) continue;
    const virtual = parseVirtualName(scope.name);
    if (virtual) {
      if (scope.actions.includes('pull') || scope.actions.includes('*')) {
        if (await mayPullVirtual(q, principal, virtual.registryId)) out.push({ type: 'repository', name: scope.name, actions: ['pull'] });
      }
      continue;
    }
    const project = await projectForRepository(q, scope.name);
    if (!project) continue;
    const user = userOf(principal);
    const memberLevel = user ? await projectAccessLevel(q, project.id, user.id) : 0;
    const inTokenGroup = principal.kind === 'deploy_token' && principal.token.group_id !== null && (await namespaceWithin(q, project.namespace_id, principal.token.group_id));
    const allowed = registryActions(principal, project, settings, memberLevel, inTokenGroup);
    const wanted = scope.actions.includes('*') ? ['pull', 'push', 'delete'] : scope.actions;
    const actions = wanted.filter((a): a is RegistryAction => allowed.has(a as RegistryAction));
    if (actions.length === 0) continue;
    const level = principal.kind === 'deploy_token' ? 0 : effectiveLevel(principal, memberLevel);
    out.push({ type: 'repository', name: scope.name, actions, meta: await metaFor(q, project, level, new Set(actions)) });
  }
  return out;
}
