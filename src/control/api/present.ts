/** JSON shapes of the REST API's resources (GitLab's field names). */
import type { ContainerRepositoryRow, DeployTokenRow, MemberRow, NamespaceRow, PatRow, ProjectRow, UserRow } from '../store/rows.js';

const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());
const day = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString().slice(0, 10));

export const presentUser = (u: UserRow, full = false) => ({
  id: u.id,
  username: u.username,
  name: u.name,
  state: u.state,
  ...(full ? { email: u.email, is_admin: u.admin, created_at: iso(u.created_at) } : {}),
});

export const presentGroup = (g: NamespaceRow) => ({ id: g.id, name: g.name, path: g.path, full_path: g.full_path, parent_id: g.parent_id, visibility: g.visibility, created_at: iso(g.created_at) });

export const presentProject = (p: ProjectRow, registryHost: string) => ({
  id: p.id,
  name: p.name,
  path: p.path,
  path_with_namespace: p.full_path,
  namespace_id: p.namespace_id,
  visibility: p.visibility,
  container_registry_enabled: p.container_registry_enabled,
  container_registry_access_level: p.container_registry_enabled ? 'enabled' : 'disabled',
  container_registry_image_prefix: `${registryHost}/${p.full_path}`,
  created_at: iso(p.created_at),
});

export const presentMember = (m: MemberRow) => ({ id: m.user_id, username: m.username, name: m.name, state: m.state, access_level: m.access_level });

export const presentPat = (t: PatRow) => ({
  id: t.id,
  name: t.name,
  user_id: t.user_id,
  scopes: t.scopes,
  expires_at: day(t.expires_at as Date | string | null),
  revoked: t.revoked,
  active: !t.revoked && (t.expires_at === null || new Date(t.expires_at) > new Date()),
  created_at: iso(t.created_at),
  last_used_at: iso(t.last_used_at),
});

export const presentDeployToken = (t: DeployTokenRow) => ({
  id: t.id,
  name: t.name,
  username: t.username,
  scopes: t.scopes,
  expires_at: iso(t.expires_at),
  revoked: t.revoked,
  expired: t.expires_at !== null && new Date(t.expires_at) <= new Date(),
});

export const presentRepository = (r: ContainerRepositoryRow, registryHost: string) => ({
  id: r.id,
  name: r.name,
  path: r.path,
  project_id: r.project_id,
  location: `${registryHost}/${r.path}`,
  created_at: iso(r.created_at),
  status: r.status,
  delete_api_attempts: r.delete_attempts,
  // GitLab's field, and its cleanup state (`cleanup_unscheduled` when no run is pending) with the end of the last run.
  cleanup_policy_started_at: iso(r.expiration_policy_started_at),
  expiration_policy_cleanup_status: r.expiration_policy_cleanup_status ?? 'cleanup_unscheduled',
  expiration_policy_completed_at: iso(r.expiration_policy_completed_at),
});
