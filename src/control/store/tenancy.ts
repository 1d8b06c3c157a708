/**
 * Groups (nested namespaces), projects and memberships, and the one query
 * that matters most: a user's effective access level on a project (the
 * highest of the project's membership, every ancestor group's, and owning the
 * personal namespace).
 */
import type { Queryer } from '../../db/queryer.js';
import { normalize } from './normalize.js';
import type { AccessLevel, MemberRow, NamespaceRow, ProjectRow, Visibility } from './rows.js';

/** Creates a group under `parent` (or top-level). */
export async function insertGroup(q: Queryer, g: { path: string; name?: string | undefined; visibility: Visibility; parent?: NamespaceRow | undefined }): Promise<NamespaceRow> {
  const fullPath = g.parent ? `${g.parent.full_path}/${g.path}` : g.path;
  const [row] = await q.query<NamespaceRow>('cp_group_insert', "INSERT INTO namespaces (parent_id, kind, path, full_path, name, visibility) VALUES ($1, 'group', $2, $3, $4, $5) RETURNING *", [
    g.parent?.id ?? null,
    g.path,
    fullPath,
    g.name ?? g.path,
    g.visibility,
  ]);
  return normalize(row!);
}

/** The namespace (user or group) with this full path or numeric id. */
export async function namespaceByRef(q: Queryer, ref: string | number): Promise<NamespaceRow | undefined> {
  const byId = typeof ref === 'number' || /^\d+$/.test(ref);
  const [row] = await q.query<NamespaceRow>(byId ? 'cp_namespace_by_id' : 'cp_namespace_by_path', `SELECT * FROM namespaces WHERE ${byId ? 'id' : 'full_path'} = $1`, [byId ? Number(ref) : ref]);
  return row && normalize(row);
}

/** Groups, optionally only the subgroups of `parentId`, by full path. */
export async function listGroups(q: Queryer, parentId: number | undefined, limit: number, offset: number): Promise<{ rows: NamespaceRow[]; total: number }> {
  const rows = await q.query<NamespaceRow & { total: string }>(
    'cp_groups_list',
    "SELECT *, count(*) OVER () AS total FROM namespaces WHERE kind = 'group' AND ($1::bigint IS NULL OR parent_id = $1) ORDER BY full_path LIMIT $2 OFFSET $3",
    [parentId ?? null, limit, offset],
  );
  return { rows: rows.map(normalize), total: Number(rows[0]?.total ?? 0) };
}

/** Deletes a namespace with its subgroups and projects. */
export async function deleteNamespace(q: Queryer, id: number): Promise<void> {
  await q.query('cp_namespace_delete', 'DELETE FROM namespaces WHERE id = $1', [id]);
}

/** Creates a project in `ns`. */
export async function insertProject(q: Queryer, p: { ns: NamespaceRow; path: string; name?: string | undefined; visibility: Visibility; registryEnabled: boolean; creatorId?: number | undefined }): Promise<ProjectRow> {
  const [row] = await q.query<ProjectRow>(
    'cp_project_insert',
    'INSERT INTO projects (namespace_id, path, full_path, name, visibility, container_registry_enabled, creator_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
    [p.ns.id, p.path, `${p.ns.full_path}/${p.path}`, p.name ?? p.path, p.visibility, p.registryEnabled, p.creatorId ?? null],
  );
  return normalize(row!);
}

/** The project with this full path or numeric id. */
export async function projectByRef(q: Queryer, ref: string | number): Promise<ProjectRow | undefined> {
  const byId = typeof ref === 'number' || /^\d+$/.test(ref);
  const [row] = await q.query<ProjectRow>(byId ? 'cp_project_by_id' : 'cp_project_by_path', `SELECT * FROM projects WHERE ${byId ? 'id' : 'full_path'} = $1`, [byId ? Number(ref) : ref]);
  return row && normalize(row);
}

/**
 * The project a repository path belongs to: the project whose full path is
 * the longest prefix of `path` (images are `<project>` or `<project>/<name>`).
 */
export async function projectForRepository(q: Queryer, path: string): Promise<ProjectRow | undefined> {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  const [row] = await q.query<ProjectRow>('cp_project_for_repository', 'SELECT * FROM projects WHERE full_path = ANY($1::text[]) ORDER BY length(full_path) DESC LIMIT 1', [prefixes]);
  return row && normalize(row);
}

/** Updates a project's settings. */
export async function updateProject(q: Queryer, id: number, f: { visibility?: Visibility | undefined; registryEnabled?: boolean | undefined; name?: string | undefined }): Promise<ProjectRow | undefined> {
  const [row] = await q.query<ProjectRow>(
    'cp_project_update',
    'UPDATE projects SET visibility = coalesce($2, visibility), container_registry_enabled = coalesce($3, container_registry_enabled), name = coalesce($4, name) WHERE id = $1 RETURNING *',
    [id, f.visibility ?? null, f.registryEnabled ?? null, f.name ?? null],
  );
  return row && normalize(row);
}

/** Deletes a project. */
export async function deleteProject(q: Queryer, id: number): Promise<void> {
  await q.query('cp_project_delete', 'DELETE FROM projects WHERE id = $1', [id]);
}

/**
 * Projects `userId` may see, by full path: public ones, internal ones for any
 * signed-in user, and private ones where the user is a member of the project
 * or an ancestor group (all of them for admins). `namespaceId` restricts to a
 * namespace and its descendants.
 */
export async function listVisibleProjects(
  q: Queryer,
  viewer: { userId?: number | undefined; admin: boolean },
  namespaceId: number | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: ProjectRow[]; total: number }> {
  const rows = await q.query<ProjectRow & { total: string }>(
    'cp_projects_visible',
    `WITH RECURSIVE scope AS (
       SELECT id FROM namespaces WHERE id = $3
       UNION ALL SELECT n.id FROM namespaces n JOIN scope s ON n.parent_id = s.id
     )
     SELECT p.*, count(*) OVER () AS total FROM projects p
     WHERE ($3::bigint IS NULL OR p.namespace_id IN (SELECT id FROM scope))
       AND ($4 OR p.visibility = 'public' OR (p.visibility = 'internal' AND $1::bigint IS NOT NULL)
            OR project_access_level(p.id, $1::bigint) > 0)
     ORDER BY p.full_path LIMIT $2 OFFSET $5`,
    [viewer.userId ?? null, limit, namespaceId ?? null, viewer.admin, offset],
  );
  return { rows: rows.map(normalize), total: Number(rows[0]?.total ?? 0) };
}

/** The user's effective access level on a project (0: none). */
export async function projectAccessLevel(q: Queryer, projectId: number, userId: number): Promise<number> {
  const [row] = await q.query<{ level: number }>('cp_project_access_level', 'SELECT project_access_level($1, $2) AS level', [projectId, userId]);
  return Number(row?.level ?? 0);
}

/** The user's effective access level on a namespace (0: none). */
export async function namespaceAccessLevel(q: Queryer, namespaceId: number, userId: number): Promise<number> {
  const [row] = await q.query<{ level: number }>('cp_namespace_access_level', 'SELECT namespace_access_level($1, $2) AS level', [namespaceId, userId]);
  return Number(row?.level ?? 0);
}

/** Adds or changes a membership. */
export async function upsertMember(q: Queryer, sourceType: 'namespace' | 'project', sourceId: number, userId: number, level: AccessLevel): Promise<void> {
  await q.query(
    'cp_member_upsert',
    'INSERT INTO members (source_type, source_id, user_id, access_level) VALUES ($1, $2, $3, $4) ON CONFLICT (source_type, source_id, user_id) DO UPDATE SET access_level = EXCLUDED.access_level',
    [sourceType, sourceId, userId, level],
  );
}

/** Removes a membership; false when there was none. */
export async function deleteMember(q: Queryer, sourceType: 'namespace' | 'project', sourceId: number, userId: number): Promise<boolean> {
  const rows = await q.query('cp_member_delete', 'DELETE FROM members WHERE source_type = $1 AND source_id = $2 AND user_id = $3 RETURNING 1', [sourceType, sourceId, userId]);
  return rows.length > 0;
}

/** Direct members of a group or project. */
export async function listMembers(q: Queryer, sourceType: 'namespace' | 'project', sourceId: number): Promise<MemberRow[]> {
  const rows = await q.query<MemberRow>(
    'cp_members_list',
    'SELECT m.id, m.source_type, m.source_id, m.user_id, m.access_level, u.username, u.name, u.state FROM members m JOIN users u ON u.id = m.user_id WHERE m.source_type = $1 AND m.source_id = $2 ORDER BY u.username',
    [sourceType, sourceId],
  );
  return rows.map(normalize);
}

/** True when namespace `id` is `ancestorId` or lies under it. */
export async function namespaceWithin(q: Queryer, id: number, ancestorId: number): Promise<boolean> {
  const rows = await q.query(
    'cp_namespace_within',
    'WITH RECURSIVE chain AS (SELECT id, parent_id FROM namespaces WHERE id = $1 UNION ALL SELECT n.id, n.parent_id FROM namespaces n JOIN chain c ON n.id = c.parent_id) SELECT 1 FROM chain WHERE id = $2',
    [id, ancestorId],
  );
  return rows.length > 0;
}
