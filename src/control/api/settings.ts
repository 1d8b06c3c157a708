/** `GET|PUT /api/v4/application/settings` (admin): token lifetime and registry switches (SPEC 4.4). */
import { getSettings, updateSettings } from '../store/registry-records.js';
import type { SettingsRow } from '../store/rows.js';
import { badRequest, bool, int, readBody, sendJson, str } from './http.js';
import { requireAdmin, requireWrite } from './resources.js';
import type { Route } from './router.js';

export const settingsRoutes: Route[] = [
  [
    'GET',
    /^\/application\/settings$/,
    async (ctx) => {
      requireAdmin(ctx);
      sendJson(ctx.res, 200, await getSettings(ctx.db));
    },
  ],
  [
    'PUT',
    /^\/application\/settings$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const change: { -readonly [K in keyof SettingsRow]?: SettingsRow[K] } = {};
      const delay = int(body, 'container_registry_token_expire_delay');
      if (delay !== undefined) {
        if (delay < 1 || delay > 60 * 24) throw badRequest('container_registry_token_expire_delay must be between 1 and 1440 minutes');
        change.container_registry_token_expire_delay = delay;
      }
      const enabled = bool(body, 'container_registry_enabled');
      if (enabled !== undefined) change.container_registry_enabled = enabled;
      const defaults = bool(body, 'default_projects_container_registry');
      if (defaults !== undefined) change.default_projects_container_registry = defaults;
      if ('container_registry_host' in body) change.container_registry_host = str(body, 'container_registry_host') ?? null;
      if ('container_registry_port' in body) {
        const port = int(body, 'container_registry_port');
        if (port !== undefined && (port < 1 || port > 65535)) throw badRequest('container_registry_port is invalid');
        change.container_registry_port = port ?? null;
      }
      const maxList = int(body, 'container_registry_cleanup_tags_service_max_list_size');
      if (maxList !== undefined) {
        if (maxList < 1) throw badRequest('container_registry_cleanup_tags_service_max_list_size must be positive');
        change.container_registry_cleanup_tags_service_max_list_size = maxList;
      }
      const timeout = int(body, 'container_registry_delete_tags_service_timeout');
      if (timeout !== undefined) {
        if (timeout < 1) throw badRequest('container_registry_delete_tags_service_timeout must be positive');
        change.container_registry_delete_tags_service_timeout = timeout;
      }
      sendJson(ctx.res, 200, await updateSettings(ctx.db, change));
    },
  ],
];
