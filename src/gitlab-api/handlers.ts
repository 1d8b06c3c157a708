/**
 * The `/gitlab/v1` API (SPEC 1.11), database mode only: the compliance check,
 * repository details with deduplicated sizes, the paginated tags list, tag
 * details and the list of repositories under a path.
 * Errors go through the registry's one error table.
 */
import type { Database } from '../db/queryer.js';
import { regErr } from '../oci/errors.js';
import { assertName, assertTag } from '../oci/names.js';
import { pageRequest } from '../registry/pagination.js';
import { sendEmpty, sendJson, urlFor, type RequestContext } from '../registry/context.js';
import { readLimited } from '../registry/body.js';
import { renameRepository } from './rename.js';
import type { Scope } from '../auth/scope.js';
import { notify } from '../registry/notify.js';
import { referrersOf, repositoriesUnder, repositoryByPath, repositorySize, tagByName, tagPage, type TagPageOptions, type TagRow } from './queries.js';

type Kind = 'base' | 'repository' | 'tags' | 'tag' | 'subrepositories';
const ROUTES: ReadonlyArray<[RegExp, Kind]> = [
  [/^\/gitlab\/v1\/?$/, 'base'],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/tags\/list\/?$/, 'tags'],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/tags\/detail\/([^/]+)\/?$/, 'tag'],
  [/^\/gitlab\/v1\/repository-paths\/(.+?)\/repositories\/list\/?$/, 'subrepositories'],
  [/^\/gitlab\/v1\/repositories\/(.+?)\/?$/, 'repository'],
];
const SORTS = new Set(['name', '-name', 'published_at', '-published_at']);
const TAG_FILTER = /^[a-zA-Z0-9._-]{1,128}$/;

const badParam = (param: string, value: string) => regErr('INVALID_QUERY_PARAMETER_VALUE', `invalid value for query parameter ${param}`, { parameter: param, value: value.slice(0, 200) });
const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

/**
 * Under token auth, the scopes GitLab's registry asks for: `pull` on the
 * repository to read it, `pull` on `<path>/*` to list what is under a path,
 * `push` on the repository and on `<path>/*` to rename.
 */
async function authorize(ctx: RequestContext, kind: Kind, method: string, rawName: string | undefined): Promise<void> {
  const guard = ctx.services.auth;
  if (!guard) return;
  const name = rawName === undefined ? undefined : assertName(rawName);
  const needed: Scope[] = [];
  if (name !== undefined) {
    if (kind === 'subrepositories') needed.push({ type: 'repository', name: `${name}/*`, actions: ['pull'] });
    else if (kind === 'repository' && method === 'PATCH') needed.push({ type: 'repository', name, actions: ['push'] }, { type: 'repository', name: `${name}/*`, actions: ['push'] });
    else needed.push({ type: 'repository', name, actions: ['pull'] });
  }
  ctx.auth = await guard.authorize(ctx.req, ctx.res, needed, ctx.log);
}

/** Answers a `/gitlab/v1` request; false when the path is not one of its routes. */
export async function serveGitlabApi(ctx: RequestContext, path: string, db: Database): Promise<boolean> {
  for (const [re, kind] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    const method = ctx.req.method ?? '';
    await authorize(ctx, kind, method, m[1]);
    if (kind === 'repository' && method === 'PATCH') {
      await rename(ctx, db, assertName(m[1] as string));
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') throw regErr('UNSUPPORTED', `method ${method} is not allowed here`);
    if (kind === 'base') {
      sendEmpty(ctx.res, 200);
      return true;
    }
    const name = assertName(m[1] as string);
    if (kind === 'subrepositories') {
      await subrepositories(ctx, db, name);
      return true;
    }
    const repo = await repositoryByPath(db, name);
    if (!repo) throw regErr('NAME_UNKNOWN', undefined, { name });
    if (kind === 'repository') await repository(ctx, db, repo);
    else if (kind === 'tag') await tagDetail(ctx, db, repo.id, name, assertTag(m[2] as string));
    else await tags(ctx, db, repo.id, name);
    return true;
  }
  return false;
}

/** PATCH /gitlab/v1/repositories/<path>/?dry_run=true|false with {"name": "..."}. */
async function rename(ctx: RequestContext, db: Database, path: string): Promise<void> {
  if (ctx.services.config.storage.maintenance.readonly.enabled) throw regErr('UNSUPPORTED', 'the registry is in read-only mode (storage.maintenance.readonly.enabled)');
  const dry = ctx.query.get('dry_run') ?? 'false';
  if (dry !== 'true' && dry !== 'false') throw badParam('dry_run', dry);
  let body: { name?: unknown };
  try {
    body = JSON.parse((await readLimited(ctx.req, 64 * 1024)).toString('utf8')) as { name?: unknown };
  } catch {
    throw badParam('body', 'expected a JSON object with "name"');
  }
  const result = await renameRepository(db, ctx.services.cache, path, body?.name, dry === 'true');
  if (!result.dryRun) {
    sendEmpty(ctx.res, 204);
    if (result.to) notify(ctx, 'rename', { repository: path, rename: { type: 'repository', from: path, to: result.to } });
    return;
  }
  if (result.leaseMs === undefined) sendEmpty(ctx.res, 202);
  else sendJson(ctx.res, 202, { ttl: new Date(Date.now() + result.leaseMs).toISOString() });
}

async function repository(ctx: RequestContext, db: Database, repo: NonNullable<Awaited<ReturnType<typeof repositoryByPath>>>): Promise<void> {
  const size = ctx.query.get('size');
  if (size !== null && size !== 'self' && size !== 'self_with_descendants') throw badParam('size', size);
  const body: Record<string, unknown> = { name: repo.name, path: repo.path };
  if (size !== null) body.size_bytes = await repositorySize(db, repo.path, size === 'self_with_descendants');
  body.created_at = iso(repo.createdAt);
  if (repo.updatedAt) body.updated_at = iso(repo.updatedAt);
  sendJson(ctx.res, 200, body);
}

/** The JSON of one tag, as the list and the detail return it. */
function tagJson(t: TagRow, referrers?: Array<{ artifactType: string | null; digest: string }>): Record<string, unknown> {
  return {
    name: t.name,
    digest: t.digest,
    ...(t.configDigest ? { config_digest: t.configDigest } : {}),
    media_type: t.mediaType,
    size_bytes: t.sizeBytes,
    created_at: iso(t.createdAt),
    ...(t.updatedAt ? { updated_at: iso(t.updatedAt) } : {}),
    published_at: iso(t.publishedAt),
    ...(referrers ? { referrers } : {}),
  };
}

async function tagDetail(ctx: RequestContext, db: Database, repositoryId: number, name: string, tag: string): Promise<void> {
  const t = await tagByName(db, repositoryId, tag);
  if (!t) throw regErr('MANIFEST_UNKNOWN', undefined, { name, tag });
  sendJson(ctx.res, 200, { repository: name, ...tagJson(t) });
}

async function subrepositories(ctx: RequestContext, db: Database, path: string): Promise<void> {
  const { n, last } = pageRequest(ctx.query, 1000);
  const size = n ?? 100;
  const page = size === 0 ? { repos: [], more: false } : await repositoriesUnder(db, path, size, last);
  const body = page.repos.map((r) => ({ name: r.name, path: r.path, created_at: iso(r.createdAt), ...(r.updatedAt ? { updated_at: iso(r.updatedAt) } : {}) }));
  const lastRepo = page.repos[page.repos.length - 1];
  const headers: Record<string, string> = {};
  if (page.more && lastRepo) headers.Link = `<${urlFor(ctx, `/gitlab/v1/repository-paths/${path}/repositories/list/`)}?${new URLSearchParams({ last: lastRepo.path, n: String(size) })}>; rel="next"`;
  sendJson(ctx.res, 200, body, headers);
}

async function tags(ctx: RequestContext, db: Database, repositoryId: number, name: string): Promise<void> {
  const q = ctx.query;
  const { n, last } = pageRequest(q, 1000);
  const before = q.get('before') ?? undefined;
  if (last !== undefined && before !== undefined) throw badParam('before', 'cannot be combined with last');
  const filter = q.get('name') ?? undefined;
  if (filter !== undefined && !TAG_FILTER.test(filter)) throw badParam('name', filter);
  const sort = (q.get('sort') ?? 'name') as TagPageOptions['sort'];
  if (!SORTS.has(sort)) throw badParam('sort', sort);
  const withReferrers = q.get('referrers');
  if (withReferrers !== null && withReferrers !== 'true' && withReferrers !== 'false') throw badParam('referrers', withReferrers);
  const size = n === 0 ? 0 : (n ?? 100);
  const page = size === 0 ? { tags: [], more: false } : await tagPage(db, repositoryId, { n: size, last, before, name: filter, sort });
  const refs = withReferrers === 'true' ? await referrersOf(db, repositoryId, page.tags.map((t) => t.digest)) : undefined;
  const body = page.tags.map((t) => tagJson(t, refs ? (refs.get(t.digest) ?? []) : undefined));
  const base = urlFor(ctx, `/gitlab/v1/repositories/${name}/tags/list/`);
  const keep = (extra: Record<string, string>) => {
    const p = new URLSearchParams({ ...extra, n: String(size) });
    if (filter) p.set('name', filter);
    if (sort !== 'name') p.set('sort', sort);
    return `<${base}?${p.toString()}>`;
  };
  const links: string[] = [];
  const first = page.tags[0];
  const lastTag = page.tags[page.tags.length - 1];
  // Backwards pages always have a next page (the one we came from); forward pages have one when more rows exist.
  if (lastTag && (page.more || before !== undefined)) links.push(`${keep({ last: lastTag.name })}; rel="next"`);
  if (first && (last !== undefined || (before !== undefined && page.more))) links.push(`${keep({ before: first.name })}; rel="previous"`);
  sendJson(ctx.res, 200, body, links.length ? { Link: links.join(', ') } : {});
}
