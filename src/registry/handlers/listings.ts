/**
 * Content discovery: `/v2/` base, `_catalog`, tag lists and the referrers API.
 */
import { OCI_INDEX } from '../../manifest/media-types.js';
import { parseDigest } from '../../oci/digest.js';
import { nextLink, pageRequest } from '../pagination.js';
import { sendJson, urlFor, type RequestContext } from '../context.js';

/** Catalog page size when the client gives no `n`, and the most it may ask for. */
const CATALOG_DEFAULT = 100;
const MAX_PAGE = 1000;
/** With `n`, at most this many tags per page; without `n` every tag is listed, as Distribution does. */
const TAGS_MAX = 100_000;

/** GET /v2/: the API version check. */
export function base(ctx: RequestContext): void {
  sendJson(ctx.res, 200, {});
}

/** GET /v2/_catalog?n=&last=. */
export async function catalog(ctx: RequestContext): Promise<void> {
  const { n, last } = pageRequest(ctx.query, MAX_PAGE);
  const limit = n ?? CATALOG_DEFAULT;
  const page = limit === 0 ? { items: [], more: false } : await ctx.services.metadata.listRepositories(limit, last);
  const headers: Record<string, string> = {};
  const lastItem = page.items[page.items.length - 1];
  if (page.more && lastItem) headers.Link = nextLink(urlFor(ctx, '/v2/_catalog'), limit, lastItem);
  sendJson(ctx.res, 200, { repositories: page.items }, headers);
}

/** GET /v2/<name>/tags/list?n=&last=. */
export async function tagList(ctx: RequestContext, name: string): Promise<void> {
  const { n, last } = pageRequest(ctx.query, TAGS_MAX);
  const page = await ctx.services.manifests.tags(name, n ?? Number.MAX_SAFE_INTEGER, last);
  const items = n === 0 ? [] : page.items;
  const headers: Record<string, string> = {};
  const lastItem = items[items.length - 1];
  if (n !== undefined && page.more && lastItem) headers.Link = nextLink(urlFor(ctx, `/v2/${name}/tags/list`), n, lastItem);
  sendJson(ctx.res, 200, { name, tags: items }, headers);
}

/** GET /v2/<name>/referrers/<digest>?artifactType=. */
export async function referrers(ctx: RequestContext, name: string, digestText: string): Promise<void> {
  const subject = parseDigest(digestText);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const manifests = await ctx.services.manifests.referrers(name, subject, artifactType);
  const headers: Record<string, string> = {};
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, headers, OCI_INDEX);
}
