/**
 * The OpenAPI 3.1 document of `/api/v4`, served at `/api/v4/openapi.json`.
 * Paths are derived from the route table itself, so the document cannot miss
 * a route; summaries and parameters are written here.
 */
import type { Route } from './router.js';

const SUMMARIES: Record<string, string> = {
  'GET /user': 'The current user',
  'GET /users': 'List users (admin)',
  'POST /users': 'Create a user (admin): username, password, email, name, admin',
  'GET /users/{id}': 'One user',
  'PUT /users/{id}': 'Update a user (admin)',
  'DELETE /users/{id}': 'Delete a user (admin)',
  'POST /users/{id}/{action}': 'Block or unblock a user (admin)',
  'POST /users/{id}/personal_access_tokens': 'Create a personal access token for a user (admin): name, scopes, expires_at',
  'POST /user/personal_access_tokens': 'Create a personal access token for yourself',
  'GET /personal_access_tokens': 'Your personal access tokens (admins: ?user_id=)',
  'DELETE /personal_access_tokens/{id}': 'Revoke a personal access token',
  'POST /session': 'Sign in to the admin page: username and password; sets the session cookie and answers the CSRF token writes must carry (X-CSRF-Token)',
  'GET /session': 'The signed-in user and the CSRF token (session cookie)',
  'DELETE /session': 'Sign out',
  'GET /groups': 'List visible groups',
  'POST /groups': 'Create a group: name, path, parent_id, visibility',
  'GET /groups/{id}': 'One group (id or URL-encoded full path)',
  'DELETE /groups/{id}': 'Delete a group (Owner)',
  'GET /groups/{id}/subgroups': 'Subgroups of a group',
  'GET /groups/{id}/projects': 'Projects of a group and its subgroups',
  'GET /groups/{id}/registry/repositories': 'Container repositories of a group',
  'GET /groups/{id}/registry/disk_usage': "A group's usage: its projects' layers and its virtual registries' cached blobs, each counted once (Reporter)",
  'GET /{source}/{id}/members': 'Direct members of a group or project',
  'POST /{source}/{id}/members': 'Add a member: user_id, access_level (10, 20, 30, 40, 50)',
  'PUT /{source}/{id}/members/{user_id}': "Change a member's access level",
  'DELETE /{source}/{id}/members/{user_id}': 'Remove a member',
  'GET /projects': 'List visible projects',
  'POST /projects': 'Create a project: name, path, namespace_id, visibility, container_registry_enabled',
  'GET /projects/{id}': 'One project',
  'PUT /projects/{id}': 'Update a project: visibility, container_registry_enabled, name',
  'DELETE /projects/{id}': 'Delete a project (Owner; refused while it has container images)',
  'GET /projects/{id}/deploy_tokens': 'Deploy tokens of a project',
  'POST /projects/{id}/deploy_tokens': 'Create a deploy token: name, scopes (read_registry, write_registry), expires_at, username',
  'DELETE /projects/{id}/deploy_tokens/{token_id}': 'Revoke a deploy token',
  'GET /groups/{id}/deploy_tokens': 'Deploy tokens of a group (Maintainer)',
  'POST /groups/{id}/deploy_tokens':
    "Create a group deploy token: name, scopes (read_registry, write_registry, read_virtual_registry), expires_at, username; it acts on every project of the group and its subgroups, and pulls through the group's virtual registries",
  'DELETE /groups/{id}/deploy_tokens/{token_id}': 'Revoke a group deploy token',
  'GET /projects/{id}/registry/protection/tag/rules': 'Tag protection and immutability rules',
  'POST /projects/{id}/registry/protection/tag/rules': 'Add a rule: tag_name_pattern, minimum_access_level_for_push|delete (maintainer, owner, admin), immutable',
  'DELETE /projects/{id}/registry/protection/tag/rules/{rule_id}': 'Delete a rule',
  'GET /projects/{id}/registry/repositories': 'Container repositories of a project, with sizes (?tags=true, ?tags_count=true)',
  'GET /projects/{id}/registry/disk_usage': 'Registry disk usage of a project: layers deduplicated within the project',
  'GET /registry/disk_usage': "Disk usage of every project (admin); ?format=csv gives the seed's CSV",
  'GET /registry/repositories': 'Repositories by deletion status (admin): ?status=delete_failed|delete_scheduled|delete_ongoing',
  'POST /registry/repositories/{id}/reset_deletion': 'Put a delete_failed repository back to delete_scheduled (admin)',
  'GET /registry/repositories/{id}': 'One container repository (?tags=true, ?tags_count=true, ?size=true)',
  'DELETE /projects/{id}/registry/repositories/{repository_id}': 'Schedule the deletion of a repository (202)',
  'GET /projects/{id}/registry/repositories/{repository_id}/tags': 'Tags of a repository',
  'GET /projects/{id}/registry/repositories/{repository_id}/tags/{tag_name}': 'Tag details',
  'DELETE /projects/{id}/registry/repositories/{repository_id}/tags/{tag_name}': 'Delete a tag',
  'GET /projects/{id}/registry/repositories/{repository_id}/tags/{tag_name}/referrers': "The referrers of a tag's manifest: signatures, SBOMs (Wharf's; Reporter)",
  'DELETE /projects/{id}/registry/repositories/{repository_id}/tags': 'Bulk delete tags in the background: name_regex_delete, name_regex_keep, keep_n, older_than',
  'GET /projects/{id}/registry/cleanup_policy': "A project's cleanup policy (Maintainer)",
  'PUT /projects/{id}/registry/cleanup_policy': 'Change it: enabled, cadence (1d, 7d, 14d, 1month, 3month), keep_n (1, 5, 10, 25, 50, 100), older_than (7d, 14d, 30d, 90d), name_regex, name_regex_keep',
  'POST /projects/{id}/registry/cleanup_policy/run': "Run the policy now (202), or ?dry_run=true for each tag's fate and the reason",
  'GET /registry/gc': 'Online GC review queues: size, overdue, oldest due (admin)',
  'GET /registry/notifications': 'Notification outbox: pending and failed per endpoint, the failed events (admin)',
  'POST /registry/notifications/replay': 'Queue failed notification events again: endpoint, ids (admin)',
  'GET /geo/sites': 'Geo sites this site knows (admin)',
  'POST /geo/sites': 'Register a secondary site (admin): name, api_url, registry_url',
  'DELETE /geo/sites/{id}': 'Remove a site by id or name (admin)',
  'GET /geo/sites/{id}/status': "A site's status: this one live (`current`), a secondary's last report (admin)",
  'GET /geo/status': "This site's Geo status (admin)",
  'GET /geo/repositories': 'Sync records of this secondary, by state (admin)',
  'POST /geo/resync': 'Sync one repository (path) or all (all: true) again; verify: true re-hashes (admin)',
  'POST /geo/promote': 'Make this secondary the primary (admin)',
  'GET /groups/{id}/-/virtual_registries/container/registries': 'Container virtual registries of a top-level group (Guest)',
  'POST /groups/{id}/-/virtual_registries/container/registries': 'Create a container virtual registry (Maintainer; at most 5 per group): name, description',
  'GET /groups/{id}/-/virtual_registries/container/upstreams': 'Upstreams of a group (Guest)',
  'GET /virtual_registries/container/registries/{id}': 'One virtual registry (Guest)',
  'GET /virtual_registries/container/registries/{id}/statistics': "Cache figures per upstream: entries (one upstream fetch each), bytes, downloads served from the cache (Wharf's; Guest)",
  'PATCH /virtual_registries/container/registries/{id}': 'Change a virtual registry (Maintainer)',
  'DELETE /virtual_registries/container/registries/{id}': 'Delete a virtual registry (Maintainer)',
  'GET /virtual_registries/container/registries/{id}/upstreams': 'Upstreams of a virtual registry, by position (Guest)',
  'POST /virtual_registries/container/registries/{id}/upstreams': 'Add an upstream (Maintainer; at most 5): url, name, description, cache_validity_hours, username and password',
  'GET /virtual_registries/container/upstreams/{id}': 'One upstream, without its password (Guest)',
  'PATCH /virtual_registries/container/upstreams/{id}': 'Change an upstream (Maintainer)',
  'DELETE /virtual_registries/container/upstreams/{id}': 'Delete an upstream (Maintainer)',
  'POST /virtual_registries/container/registry_upstreams': 'Share an upstream with another registry of its group (Maintainer): registry_id, upstream_id',
  'PATCH /virtual_registries/container/registry_upstreams/{id}': "Move an upstream in a registry's order (Maintainer): position",
  'DELETE /virtual_registries/container/registry_upstreams/{id}': 'Remove an upstream from a registry (Maintainer)',
  'GET /virtual_registries/container/upstreams/{id}/cache_entries': 'Cache entries of an upstream (Guest): search',
  'DELETE /virtual_registries/container/cache_entries/{id}': 'Delete a cache entry (Maintainer)',
  'GET /application/settings': 'Application settings (admin)',
  'PUT /application/settings': 'Change settings (admin): container_registry_token_expire_delay, container_registry_enabled, default_projects_container_registry, container_registry_host, container_registry_port',
};

/** Turns a route pattern into an OpenAPI path template. */
function template(re: RegExp): string {
  const names = ['id', 'repository_id', 'tag_name'];
  let i = 0;
  return re.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\\\//g, '/')
    .replace(/\(\?:user\|users\/\(\\d\+\)\)/, 'users/{id}')
    .replace(/\(groups\|projects\)/, '{source}')
    .replace(/\(block\|unblock\)/, '{action}')
    .replace(/\([^)]*\)/g, () => `{${names[i++] ?? 'param'}}`)
    .replace(/\/members\/\{[a-z_]+\}/, '/members/{user_id}')
    .replace(/deploy_tokens\/\{[a-z_]+\}/, 'deploy_tokens/{token_id}')
    .replace(/rules\/\{[a-z_]+\}/, 'rules/{rule_id}');
}

/** The document for `routes`. */
export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, re] of routes) {
    const path = template(re);
    const summary = SUMMARIES[`${method} ${path}`] ?? `${method} ${path}`;
    const params = [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    (paths[path] ??= {})[method.toLowerCase()] = { summary, parameters: params, responses: { default: { description: 'JSON; errors as {"message": "..."} or {"error": "..."}' } } };
  }
  paths['/container_registry_event/events'] = {
    post: { summary: 'Registry notifications (Authorization: the notification secret)', responses: { '200': { description: 'recorded' }, '401': { description: 'wrong secret' } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Wharf control plane API', version: 'v4' },
    servers: [{ url: '/api/v4' }],
    components: { securitySchemes: { privateToken: { type: 'apiKey', in: 'header', name: 'PRIVATE-TOKEN' }, bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ privateToken: [] }, { bearer: [] }],
    paths,
  };
}
