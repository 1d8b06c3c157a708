/** Row shapes of the control plane's tables, as the stores return them. */

/** GitLab's access levels. */
export const ACCESS_LEVELS = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;
/** An access level value. */
export type AccessLevel = (typeof ACCESS_LEVELS)[keyof typeof ACCESS_LEVELS];
/** Visibility of a group or project. */
export type Visibility = 'public' | 'internal' | 'private';

export interface UserRow {
  readonly id: number;
  readonly username: string;
  readonly email: string | null;
  readonly name: string;
  readonly password_hash: string | null;
  readonly admin: boolean;
  readonly state: 'active' | 'blocked';
  readonly created_at: Date;
}

export interface NamespaceRow {
  readonly id: number;
  readonly parent_id: number | null;
  readonly kind: 'user' | 'group';
  readonly path: string;
  readonly full_path: string;
  readonly name: string;
  readonly visibility: Visibility;
  readonly owner_id: number | null;
  readonly created_at: Date;
}

export interface ProjectRow {
  readonly id: number;
  readonly namespace_id: number;
  readonly path: string;
  readonly full_path: string;
  readonly name: string;
  readonly visibility: Visibility;
  readonly container_registry_enabled: boolean;
  readonly creator_id: number | null;
  readonly created_at: Date;
}

export interface MemberRow {
  readonly id: number;
  readonly source_type: 'namespace' | 'project';
  readonly source_id: number;
  readonly user_id: number;
  readonly access_level: AccessLevel;
  readonly username: string;
  readonly name: string;
  readonly state: string;
}

export interface PatRow {
  readonly id: number;
  readonly user_id: number;
  readonly name: string;
  readonly scopes: string[];
  readonly expires_at: Date | string | null;
  readonly revoked: boolean;
  readonly created_at: Date;
  readonly last_used_at: Date | null;
}

export interface DeployTokenRow {
  readonly id: number;
  /** The owner: a project, or a group (its projects and subgroups' projects, and its virtual registries). */
  readonly project_id: number | null;
  readonly group_id: number | null;
  readonly name: string;
  readonly username: string;
  readonly scopes: string[];
  readonly expires_at: Date | null;
  readonly revoked: boolean;
  readonly created_at: Date;
}

export interface SettingsRow {
  readonly container_registry_token_expire_delay: number;
  readonly container_registry_enabled: boolean;
  readonly default_projects_container_registry: boolean;
  readonly container_registry_host: string | null;
  readonly container_registry_port: number | null;
  readonly container_registry_cleanup_tags_service_max_list_size: number;
  readonly container_registry_delete_tags_service_timeout: number;
}

export interface ContainerRepositoryRow {
  readonly id: number;
  readonly project_id: number;
  readonly name: string;
  readonly path: string;
  readonly status: 'delete_scheduled' | 'delete_ongoing' | 'delete_failed' | null;
  readonly delete_attempts: number;
  readonly expiration_policy_cleanup_status: 'cleanup_scheduled' | 'cleanup_unfinished' | 'cleanup_ongoing' | null;
  readonly expiration_policy_started_at: Date | null;
  readonly expiration_policy_completed_at: Date | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface TagRuleRow {
  readonly id: number;
  readonly project_id: number;
  readonly tag_name_pattern: string;
  readonly minimum_access_level_for_push: number | null;
  readonly minimum_access_level_for_delete: number | null;
  readonly immutable: boolean;
}
