/**
 * The registry's hook for container virtual registries (SPEC 8.2): names
 * `virtual_registries/container/<id>/<image>` are pulled through the
 * virtual registry's upstreams (`virtual/`, handed in by the server as
 * `VirtualHook`); only manifest and blob GET and HEAD, and the tags list,
 * exist there.
 */
import type { Writable } from 'node:stream';
import { parseDigest } from '../oci/digest.js';
import { regErr } from '../oci/errors.js';
import { sendJson, urlFor, type RequestContext } from './context.js';
import { nextLink, pageRequest } from './pagination.js';
import { parseRange } from './range.js';
import type { Route } from './routes.js';

/** What the pull-through cache answers. */
export interface VirtualAnswer {
  readonly headers: Record<string, string>;
  readonly body: Buffer | { readonly follow: (dest: Writable) => Promise<void> } | { readonly stored: string; readonly size: number };
}

/** The pull-through cache as the registry sees it. */
export interface VirtualHook {
  parse(name: string): { registryId: number; image: string } | undefined;
  manifest(registryId: number, image: string, reference: string, accept: string | undefined): Promise<VirtualAnswer>;
  blob(registryId: number, image: string, digest: string, method: 'GET' | 'HEAD'): Promise<VirtualAnswer>;
  /** Every tag of the image, sorted. */
  tags(registryId: number, image: string): Promise<string[]>;
}

/** With `n`, at most this many tags per page, as for local repositories. */
const TAGS_MAX = 100_000;

/** Serves a request on a virtual registry name; false when the name is an ordinary one. */
export async function serveVirtual(ctx: RequestContext, route: Route): Promise<boolean> {
  const hook = ctx.services.virtual;
  if (!hook || !('name' in route)) return false;
  const v = hook.parse(route.name);
  if (!v) return false;
  const method = ctx.req.method as string;
  if (method !== 'GET' && method !== 'HEAD') throw regErr('UNSUPPORTED', 'a virtual registry is read-only: only pulls (GET and HEAD of manifests and blobs)');
  if (route.kind === 'tags') {
    const { n, last } = pageRequest(ctx.query, TAGS_MAX);
    const all = await hook.tags(v.registryId, v.image);
    const after = last === undefined ? all : all.filter((t) => t > last);
    const items = after.slice(0, n ?? after.length);
    const lastItem = items[items.length - 1];
    const headers: Record<string, string> = n !== undefined && after.length > items.length && lastItem ? { Link: nextLink(urlFor(ctx, `/v2/${route.name}/tags/list`), n, lastItem) } : {};
    sendJson(ctx.res, 200, { name: route.name, tags: items }, headers);
    return true;
  }
  let answer: VirtualAnswer;
  if (route.kind === 'manifest') answer = await hook.manifest(v.registryId, v.image, route.reference, ctx.req.headers.accept);
  else if (route.kind === 'blob') answer = await hook.blob(v.registryId, v.image, route.digest, method);
  else throw regErr('UNSUPPORTED', 'a virtual registry serves manifests, blobs and tag lists only');
  const body = answer.body;
  if (Buffer.isBuffer(body)) {
    ctx.res.writeHead(200, answer.headers);
    ctx.res.end(method === 'HEAD' ? undefined : body);
    return true;
  }
  if ('follow' in body) {
    // A blob being filled: written as the fill goes; a failure mid-way cuts the answer short (the client retries).
    ctx.res.writeHead(200, answer.headers);
    if (method === 'HEAD') {
      ctx.res.end();
      return true;
    }
    try {
      await body.follow(ctx.res);
      ctx.res.end();
    } catch {
      ctx.res.destroy();
    }
    return true;
  }
  // A cached blob answers ranges as a local one does (clients resume interrupted layer downloads with them).
  const range = parseRange(ctx.req.headers.range, body.size);
  if (range === 'unsatisfiable') throw regErr('RANGE_INVALID', 'requested range not satisfiable', { size: body.size }, 416);
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : body.size;
  ctx.res.writeHead(range ? 206 : 200, range ? { ...answer.headers, 'Content-Length': String(end - start), 'Content-Range': `bytes ${range.start}-${range.end}/${body.size}` } : answer.headers);
  if (method === 'HEAD' || end === start) {
    ctx.res.end();
    return true;
  }
  // [start, end) and not ended by sendTo.
  await ctx.services.content.sendTo(parseDigest(body.stored), start, end, ctx.res);
  ctx.res.end();
  return true;
}
