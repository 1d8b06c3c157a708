/**
 * What the control plane records about the registry: application settings
 * (one row), the container repositories of projects (created from registry
 * events) and tag protection rules.
 */
import type { Queryer } from '../../db/queryer.js';
import { normalize } from './normalize.js';
import type { ContainerRepositoryRow, SettingsRow, TagRuleRow } from './rows.js';

/** The application settings. */
export async function getSettings(q: Queryer): Promise<SettingsRow> {
  const [row] = await q.query<SettingsRow>(
    'cp_settings_get',
    'SELECT container_registry_token_expire_delay, container_registry_enabled, default_projects_container_registry, container_registry_host, container_registry_port, container_registry_cleanup_tags_service_max_list_size, container_registry_delete_tags_service_timeout FROM application_settings',
  );
  return row!;
}

/** Updates the settings given. */
export async function updateSettings(q: Queryer, f: Partial<SettingsRow>): Promise<SettingsRow> {
  const [row] = await q.query<SettingsRow>(
    'cp_settings_update',
    `UPDATE application_settings SET
       container_registry_token_expire_delay = coalesce($1, container_registry_token_expire_delay),
       container_registry_enabled = coalesce($2, container_registry_enabled),
       default_projects_container_registry = coalesce($3, default_projects_container_registry),
       container_registry_host = CASE WHEN $6 THEN $4 ELSE container_registry_host END,
       container_registry_port = CASE WHEN $7 THEN $5::integer ELSE container_registry_port END,
       container_registry_cleanup_tags_service_max_list_size = coalesce($8, container_registry_cleanup_tags_service_max_list_size),
       container_registry_delete_tags_service_timeout = coalesce($9, container_registry_delete_tags_service_timeout),
       updated_at = now()
     RETURNING container_registry_token_expire_delay, container_registry_enabled, default_projects_container_registry, container_registry_host, container_registry_port,
       container_registry_cleanup_tags_service_max_list_size, container_registry_delete_tags_service_timeout`,
    [
      f.container_registry_token_expire_delay ?? null,
      f.container_registry_enabled ?? null,
      f.default_projects_container_registry ?? null,
      f.container_registry_host ?? null,
      f.container_registry_port ?? null,
      'container_registry_host' in f,
      'container_registry_port' in f,
      f.container_registry_cleanup_tags_service_max_list_size ?? null,
      f.container_registry_delete_tags_service_timeout ?? null,
    ],
  );
  return row!;
}

/** Records a repository of a project (or touches it); returns the row. */
export async function upsertContainerRepository(q: Queryer, projectId: number, name: string, path: string): Promise<ContainerRepositoryRow> {
  const [row] = await q.query<ContainerRepositoryRow>(
    'cp_container_repository_upsert',
    `INSERT INTO container_repositories (project_id, name, path) VALUES ($1, $2, $3)
     ON CONFLICT (path) DO UPDATE SET updated_at = now(), project_id = EXCLUDED.project_id RETURNING *`,
    [projectId, name, path],
  );
  return normalize(row!);
}

/** The repositories of a project, by path. */
export async function listContainerRepositories(q: Queryer, projectId: number, limit: number, offset: number): Promise<{ rows: ContainerRepositoryRow[]; total: number }> {
  const rows = await q.query<ContainerRepositoryRow & { total: string }>(
    'cp_container_repositories_list',
    'SELECT *, count(*) OVER () AS total FROM container_repositories WHERE project_id = $1 ORDER BY path LIMIT $2 OFFSET $3',
    [projectId, limit, offset],
  );
  return { rows: rows.map(normalize), total: Number(rows[0]?.total ?? 0) };
}

/** One repository by id, within a project when given. */
export async function containerRepositoryById(q: Queryer, id: number, projectId?: number): Promise<ContainerRepositoryRow | undefined> {
  const [row] = await q.query<ContainerRepositoryRow>('cp_container_repository_by_id', 'SELECT * FROM container_repositories WHERE id = $1 AND ($2::bigint IS NULL OR project_id = $2)', [id, projectId ?? null]);
  return row && normalize(row);
}

/** Repositories in a deletion state (every project), oldest change first. */
export async function repositoriesByStatus(q: Queryer, status: NonNullable<ContainerRepositoryRow['status']>): Promise<ContainerRepositoryRow[]> {
  const rows = await q.query<ContainerRepositoryRow>('cp_container_repositories_by_status', 'SELECT * FROM container_repositories WHERE status = $1 ORDER BY updated_at, id', [status]);
  return rows.map(normalize);
}

/** Sets a repository's deletion status (and counts an attempt when `attempted`). */
export async function setRepositoryStatus(q: Queryer, id: number, status: ContainerRepositoryRow['status'], attempted = false): Promise<void> {
  await q.query('cp_container_repository_status', 'UPDATE container_repositories SET status = $2, delete_attempts = delete_attempts + $3, updated_at = now() WHERE id = $1', [id, status, attempted ? 1 : 0]);
}

/** Forgets a repository (after the registry deleted it). */
export async function deleteContainerRepository(q: Queryer, id: number): Promise<void> {
  await q.query('cp_container_repository_delete', 'DELETE FROM container_repositories WHERE id = $1', [id]);
}

/** The tag rules of a project. */
export async function listTagRules(q: Queryer, projectId: number): Promise<TagRuleRow[]> {
  const rows = await q.query<TagRuleRow>(
    'cp_tag_rules_list',
    'SELECT id, project_id, tag_name_pattern, minimum_access_level_for_push, minimum_access_level_for_delete, immutable FROM container_tag_rules WHERE project_id = $1 ORDER BY id',
    [projectId],
  );
  return rows.map(normalize);
}

/** Adds a tag rule. */
export async function insertTagRule(q: Queryer, projectId: number, r: { pattern: string; push: number | null; delete: number | null; immutable: boolean }): Promise<TagRuleRow> {
  const [row] = await q.query<TagRuleRow>(
    'cp_tag_rule_insert',
    'INSERT INTO container_tag_rules (project_id, tag_name_pattern, minimum_access_level_for_push, minimum_access_level_for_delete, immutable) VALUES ($1, $2, $3, $4, $5) RETURNING id, project_id, tag_name_pattern, minimum_access_level_for_push, minimum_access_level_for_delete, immutable',
    [projectId, r.pattern, r.push, r.delete, r.immutable],
  );
  return normalize(row!);
}

/** Deletes a tag rule of a project. */
export async function deleteTagRule(q: Queryer, projectId: number, id: number): Promise<boolean> {
  const rows = await q.query('cp_tag_rule_delete', 'DELETE FROM container_tag_rules WHERE id = $1 AND project_id = $2 RETURNING 1', [id, projectId]);
  return rows.length > 0;
}
