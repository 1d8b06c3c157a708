/**
 * The `/gitlab/v1` API (SPEC 1.11), database mode only: repository details
 * with deduplicated sizes, the paginated tags list, tag details, the list of
 * repositories under a path, and rename. Routed by the registry's one route
 * table and dispatcher (name check, token check, read-only), like `/v2`;
 * errors go through the one error table.
 */
import { regErr } from '../../oci/errors.js';
import { assertTag } from '../../oci/names.js';
import type { GitlabMetadata, RepositoryDetails, TagPageOptions, TagRow } from '../../metadata/gitlab.js';
import { pageRequest } from '../pagination.js';
import { sendEmpty, sendJson, urlFor, type RequestContext } from '../context.js';
import { readLimited } from '../body.js';
import { notify } from '../notify.js';

const SORTS = new Set(['name', '-name', 'published_at', '-published_at']);
const TAG_FILTER = /^[a-zA-Z0-9._-]{1,128}$/;

const badParam = (param: string, value: string) => regErr('INVALID_QUERY_PARAMETER_VALUE', `invalid value for query parameter ${param}`, { parameter: param, value: value.slice(0, 200) });
const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

async function repositoryOf(gitlab: GitlabMetadata, name: string): Promise<RepositoryDetails> {
  const repo = await gitlab.repositoryByPath(name);
  if (!repo) throw regErr('NAME_UNKNOWN', undefined, { name });
  return repo;
}

/** PATCH /gitlab/v1/repositories/<path>/?dry_run=true|false with {"name": "..."}. */
export async function gitlabRename(ctx: RequestContext, gitlab: GitlabMetadata, path: string): Promise<void> {
  const dry = ctx.query.get('dry_run') ?? 'false';
  if (dry !== 'true' && dry !== 'false') throw badParam('dry_run', dry);
  let body: { name?: unknown };
  try {
    body = JSON.parse((await readLimited(ctx.req, 64 * 1024)).toString('utf8')) as { name?: unknown };
  } catch {
    throw badParam('body', 'expected a JSON object with "name"');
  }
  const result = await gitlab.rename(path, body?.name, dry === 'true');
  if (!result.dryRun) {
    sendEmpty(ctx.res, 204);
    if (result.to) notify(ctx, 'rename', { repository: path, rename: { type: 'repository', from: path, to: result.to } });
    return;
  }
  if (result.leaseMs === undefined) sendEmpty(ctx.res, 202);
  else sendJson(ctx.res, 202, { ttl: new Date(Date.now() + result.leaseMs).toISOString() });
}

/** GET /gitlab/v1/repositories/<path>/?size=self|self_with_descendants */
export async function gitlabRepository(ctx: RequestContext, gitlab: GitlabMetadata, name: string): Promise<void> {
  const repo = await repositoryOf(gitlab, name);
  const size = ctx.query.get('size');
  if (size !== null && size !== 'self' && size !== 'self_with_descendants') throw badParam('size', size);
  const body: Record<string, unknown> = { name: repo.name, path: repo.path };
  if (size !== null) body.size_bytes = await gitlab.repositorySize(repo.path, size === 'self_with_descendants');
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

/** GET /gitlab/v1/repositories/<path>/tags/detail/<tag>/ */
export async function gitlabTagDetail(ctx: RequestContext, gitlab: GitlabMetadata, name: string, rawTag: string): Promise<void> {
  const tag = assertTag(rawTag);
  const repo = await repositoryOf(gitlab, name);
  const t = await gitlab.tagByName(repo.id, tag);
  if (!t) throw regErr('MANIFEST_UNKNOWN', undefined, { name, tag });
  sendJson(ctx.res, 200, { repository: name, ...tagJson(t) });
}

/** GET /gitlab/v1/repository-paths/<path>/repositories/list/ */
export async function gitlabSubrepositories(ctx: RequestContext, gitlab: GitlabMetadata, path: string): Promise<void> {
  const { n, last } = pageRequest(ctx.query, 1000);
  const size = n ?? 100;
  const page = size === 0 ? { repos: [], more: false } : await gitlab.repositoriesUnder(path, size, last);
  const body = page.repos.map((r) => ({ name: r.name, path: r.path, created_at: iso(r.createdAt), ...(r.updatedAt ? { updated_at: iso(r.updatedAt) } : {}) }));
  const lastRepo = page.repos[page.repos.length - 1];
  const headers: Record<string, string> = {};
  if (page.more && lastRepo) headers.Link = `<${urlFor(ctx, `/gitlab/v1/repository-paths/${path}/repositories/list/`)}?${new URLSearchParams({ last: lastRepo.path, n: String(size) })}>; rel="next"`;
  sendJson(ctx.res, 200, body, headers);
}

/** GET /gitlab/v1/repositories/<path>/tags/list/ */
export async function gitlabTags(ctx: RequestContext, gitlab: GitlabMetadata, name: string): Promise<void> {
  const repositoryId = (await repositoryOf(gitlab, name)).id;
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
  const page = size === 0 ? { tags: [], more: false } : await gitlab.tagPage(repositoryId, { n: size, last, before, name: filter, sort });
  const refs =
    withReferrers === 'true'
      ? await gitlab.referrersOf(
          repositoryId,
          page.tags.map((t) => t.digest),
        )
      : undefined;
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
