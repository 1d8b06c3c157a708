/**
 * `/api/v4` for container virtual registries (SPEC 8.1), as GitLab's:
 * registries per top-level group (at most 5), upstreams (at most 5 per
 * registry, ordered by `position`; a password is sealed and never returned),
 * shared upstreams (`registry_upstreams`), cache entries. Guest on the group
 * reads; Maintainer manages.
 */
import { checkUpstreamUrl } from '../../virtual/upstream.js';
import * as vr from '../../virtual/store.js';
import { ApiError, badRequest, int, notFound, pageOf, readBody, sendJson, str, type ApiContext } from './http.js';
import { loadGroup, requireWrite } from './resources.js';
import type { Route } from './router.js';

const GUEST = 10;
const MAINTAINER = 40;
const MAX_REGISTRIES = 5;
const MAX_UPSTREAMS = 5;
const base = '\\/virtual_registries\\/container';
const re = (s: string) => new RegExp(`^${s}$`);

const presentUpstream = (u: vr.UpstreamRow & { position?: number; registry_upstream_id?: number }) => ({
  id: u.id,
  group_id: u.group_id,
  name: u.name,
  description: u.description,
  url: u.url,
  cache_validity_hours: u.cache_validity_hours,
  username: u.username,
  ...(u.position !== undefined ? { position: u.position, registry_upstream_id: u.registry_upstream_id } : {}),
  created_at: u.created_at,
  updated_at: u.updated_at,
});

async function registryFor(ctx: ApiContext, id: string, level: number): Promise<vr.VirtualRegistryRow> {
  const r = await vr.registryById(ctx.db, Number(id));
  if (!r) throw notFound('Virtual registry');
  await loadGroup(ctx, String(r.group_id), level);
  return r;
}

async function upstreamFor(ctx: ApiContext, id: string, level: number): Promise<vr.UpstreamRow> {
  const u = await vr.upstreamById(ctx.db, Number(id));
  if (!u) throw notFound('Upstream');
  await loadGroup(ctx, String(u.group_id), level);
  return u;
}

/** A registry-upstream link, with Maintainer on its registry's group. */
async function linkFor(ctx: ApiContext, id: string): Promise<NonNullable<Awaited<ReturnType<typeof vr.linkById>>>> {
  const link = await vr.linkById(ctx.db, Number(id));
  if (!link) throw notFound('Registry upstream');
  await registryFor(ctx, String(link.registry_id), MAINTAINER);
  return link;
}

/** Reads and checks an upstream's fields; `partial` for PATCH. */
type UpstreamFields = { -readonly [K in 'url' | 'name' | 'description' | 'cache_validity_hours' | 'username' | 'password_encrypted']?: vr.UpstreamRow[K] };

async function upstreamFields(ctx: ApiContext, body: Record<string, unknown>, partial: boolean): Promise<UpstreamFields> {
  const out: UpstreamFields = {};
  const url = partial ? str(body, 'url') : str(body, 'url', true);
  if (url !== undefined) {
    const problem = await checkUpstreamUrl(url, ctx.services.config.virtual_registries.allow_private_upstreams);
    if (problem) throw badRequest(problem);
    out.url = url.replace(/\/+$/, '');
  }
  const name = str(body, 'name');
  if (name !== undefined) out.name = name;
  else if (!partial && url) out.name = new URL(url).host;
  if ('description' in body) out.description = str(body, 'description') ?? null;
  const hours = int(body, 'cache_validity_hours');
  if (hours !== undefined) {
    if (hours < 0) throw badRequest('cache_validity_hours must be 0 or more');
    out.cache_validity_hours = hours;
  }
  const username = str(body, 'username');
  const password = str(body, 'password');
  if ((username === undefined) !== (password === undefined)) throw badRequest('username and password are given together or not at all');
  if (username !== undefined && password !== undefined) {
    out.username = username;
    out.password_encrypted = ctx.services.secretBox.seal(password);
  }
  return out;
}

export const virtualRegistryRoutes: Route[] = [
  [
    'GET',
    /^\/groups\/([^/]+)\/-\/virtual_registries\/container\/registries$/,
    async (ctx) => {
      const { group } = await loadGroup(ctx, ctx.params[0] as string, GUEST);
      sendJson(ctx.res, 200, await vr.registriesOfGroup(ctx.db, group.id));
    },
  ],
  [
    'POST',
    /^\/groups\/([^/]+)\/-\/virtual_registries\/container\/registries$/,
    async (ctx) => {
      requireWrite(ctx);
      const { group } = await loadGroup(ctx, ctx.params[0] as string, MAINTAINER);
      if (group.parent_id !== null) throw badRequest('virtual registries belong to top-level groups');
      if ((await vr.registriesOfGroup(ctx.db, group.id)).length >= MAX_REGISTRIES) throw badRequest(`a group has at most ${MAX_REGISTRIES} container virtual registries`);
      const body = await readBody(ctx.req);
      const row = await vr.insertRegistry(ctx.db, { group_id: group.id, name: str(body, 'name', true), description: str(body, 'description') ?? null });
      if (!row) throw new ApiError(409, '409 a virtual registry with that name exists in this group');
      sendJson(ctx.res, 201, row);
    },
  ],
  [
    'GET',
    /^\/groups\/([^/]+)\/-\/virtual_registries\/container\/upstreams$/,
    async (ctx) => {
      const { group } = await loadGroup(ctx, ctx.params[0] as string, GUEST);
      sendJson(ctx.res, 200, (await vr.upstreamsOfGroup(ctx.db, group.id)).map(presentUpstream));
    },
  ],
  ['GET', re(`${base}\\/registries\\/(\\d+)`), async (ctx) => sendJson(ctx.res, 200, await registryFor(ctx, ctx.params[0] as string, GUEST))],
  [
    'GET',
    re(`${base}\\/registries\\/(\\d+)\\/statistics`),
    async (ctx) => {
      // Wharf's: per upstream, cache entries (one upstream fetch each), bytes held, downloads served from the cache.
      const r = await registryFor(ctx, ctx.params[0] as string, GUEST);
      sendJson(ctx.res, 200, await vr.cacheStatistics(ctx.db, r.id));
    },
  ],
  [
    'PATCH',
    re(`${base}\\/registries\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const r = await registryFor(ctx, ctx.params[0] as string, MAINTAINER);
      const body = await readBody(ctx.req);
      sendJson(ctx.res, 200, await vr.updateRegistry(ctx.db, r.id, { name: str(body, 'name'), description: 'description' in body ? (str(body, 'description') ?? null) : undefined }));
    },
  ],
  [
    'DELETE',
    re(`${base}\\/registries\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const r = await registryFor(ctx, ctx.params[0] as string, MAINTAINER);
      await vr.deleteRegistry(ctx.db, r.id);
      ctx.res.writeHead(204).end();
    },
  ],
  [
    'GET',
    re(`${base}\\/registries\\/(\\d+)\\/upstreams`),
    async (ctx) => {
      const r = await registryFor(ctx, ctx.params[0] as string, GUEST);
      sendJson(ctx.res, 200, (await vr.upstreamsOf(ctx.db, r.id)).map(presentUpstream));
    },
  ],
  [
    'POST',
    re(`${base}\\/registries\\/(\\d+)\\/upstreams`),
    async (ctx) => {
      requireWrite(ctx);
      const r = await registryFor(ctx, ctx.params[0] as string, MAINTAINER);
      if ((await vr.upstreamsOf(ctx.db, r.id)).length >= MAX_UPSTREAMS) throw badRequest(`a virtual registry has at most ${MAX_UPSTREAMS} upstreams`);
      const f = await upstreamFields(ctx, await readBody(ctx.req), false);
      const created = await ctx.db.transaction(async (tx) => {
        const u = await vr.insertUpstream(tx, {
          group_id: r.group_id,
          url: f.url as string,
          name: f.name as string,
          description: f.description ?? null,
          cache_validity_hours: f.cache_validity_hours ?? 24,
          username: f.username ?? null,
          password_encrypted: f.password_encrypted ?? null,
        });
        const link = await vr.linkUpstream(tx, r.id, u.id);
        return { ...u, position: link?.position, registry_upstream_id: link?.id };
      });
      sendJson(ctx.res, 201, presentUpstream(created));
    },
  ],
  ['GET', re(`${base}\\/upstreams\\/(\\d+)`), async (ctx) => sendJson(ctx.res, 200, presentUpstream(await upstreamFor(ctx, ctx.params[0] as string, GUEST)))],
  [
    'PATCH',
    re(`${base}\\/upstreams\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const u = await upstreamFor(ctx, ctx.params[0] as string, MAINTAINER);
      const f = await upstreamFields(ctx, await readBody(ctx.req), true);
      sendJson(ctx.res, 200, presentUpstream((await vr.updateUpstream(ctx.db, u.id, f)) as vr.UpstreamRow));
    },
  ],
  [
    'DELETE',
    re(`${base}\\/upstreams\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const u = await upstreamFor(ctx, ctx.params[0] as string, MAINTAINER);
      await vr.deleteUpstream(ctx.db, u.id);
      ctx.res.writeHead(204).end();
    },
  ],
  [
    'POST',
    re(`${base}\\/registry_upstreams`),
    async (ctx) => {
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const r = await registryFor(ctx, String(int(body, 'registry_id') ?? 0), MAINTAINER);
      const u = await upstreamFor(ctx, String(int(body, 'upstream_id') ?? 0), MAINTAINER);
      if (u.group_id !== r.group_id) throw badRequest('the upstream belongs to another group');
      if ((await vr.upstreamsOf(ctx.db, r.id)).length >= MAX_UPSTREAMS) throw badRequest(`a virtual registry has at most ${MAX_UPSTREAMS} upstreams`);
      const link = await vr.linkUpstream(ctx.db, r.id, u.id);
      if (!link) throw new ApiError(409, '409 the upstream is already in this registry');
      sendJson(ctx.res, 201, link);
    },
  ],
  [
    'PATCH',
    re(`${base}\\/registry_upstreams\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const link = await linkFor(ctx, ctx.params[0] as string);
      const position = int(await readBody(ctx.req), 'position');
      if (position === undefined || position < 1 || position > MAX_UPSTREAMS) throw badRequest('position must be between 1 and 5');
      await ctx.db.transaction((tx) => vr.moveLink(tx, link.registry_id, link.id, position));
      sendJson(ctx.res, 200, await vr.linkById(ctx.db, link.id));
    },
  ],
  [
    'DELETE',
    re(`${base}\\/registry_upstreams\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const link = await linkFor(ctx, ctx.params[0] as string);
      await ctx.db.transaction((tx) => vr.unlink(tx, link.id));
      ctx.res.writeHead(204).end();
    },
  ],
  [
    'GET',
    re(`${base}\\/upstreams\\/(\\d+)\\/cache_entries`),
    async (ctx) => {
      const u = await upstreamFor(ctx, ctx.params[0] as string, GUEST);
      const { perPage, offset } = pageOf(ctx.url);
      sendJson(ctx.res, 200, await vr.listCacheEntries(ctx.db, u.id, ctx.url.searchParams.get('search') ?? undefined, perPage, offset));
    },
  ],
  [
    'DELETE',
    re(`${base}\\/cache_entries\\/(\\d+)`),
    async (ctx) => {
      requireWrite(ctx);
      const e = await vr.cacheEntryById(ctx.db, Number(ctx.params[0]));
      if (!e) throw notFound('Cache entry');
      await upstreamFor(ctx, String(e.upstream_id), MAINTAINER);
      await vr.deleteCacheEntry(ctx.db, e.id);
      ctx.res.writeHead(204).end();
    },
  ],
];
