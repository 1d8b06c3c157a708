/**
 * Calls the handler for a matched route and method. Name validation and the
 * read-only check happen here, once, before any handler runs.
 */
import { regErr } from '../oci/errors.js';
import { assertName } from '../oci/names.js';
import type { Route } from './routes.js';
import type { RequestContext } from './context.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { cancelUpload, completeUpload, patchUpload, startUpload, uploadStatus } from './handlers/uploads.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import { base, catalog, referrers, tagList } from './handlers/listings.js';
import { neededScopes } from '../auth/needed-access.js';
import { grants } from '../auth/claims.js';
import { gitlabRename, gitlabRepository, gitlabSubrepositories, gitlabTagDetail, gitlabTags } from './handlers/gitlab-v1.js';
import type { GitlabMetadata } from '../metadata/gitlab.js';
import { sendEmpty } from './context.js';
import { throughGeo } from './geo.js';
import { serveVirtual } from './virtual.js';

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/** The `/gitlab/v1` metadata; app.ts answers 404 for these routes before dispatch when there is none (legacy mode). */
function gitlabOf(ctx: RequestContext): GitlabMetadata {
  const g = ctx.services.gitlab;
  if (!g) throw regErr('UNSUPPORTED', 'the /gitlab/v1 API needs the metadata database');
  return g;
}

/** Runs the handler of `route` for the request's method (already checked against ROUTE_METHODS). */
export async function dispatch(ctx: RequestContext, route: Route): Promise<void> {
  const method = ctx.req.method as string;
  if ('name' in route) assertName(route.name);
  const guard = ctx.services.auth;
  if (guard) {
    ctx.auth = await guard.authorize(ctx.req, ctx.res, neededScopes(route, method), ctx.log);
    // A cross-repository mount from a repository the token cannot pull becomes a plain upload (the spec allows it).
    const from = ctx.query.get('from');
    if (route.kind === 'upload-start' && from !== null && !grants(ctx.auth, 'repository', from, 'pull')) {
      ctx.query.delete('mount');
      ctx.query.delete('from');
    }
  }
  if (WRITES.has(method) && ctx.services.config.storage.maintenance.readonly.enabled) {
    throw regErr('UNSUPPORTED', 'the registry is in read-only mode (storage.maintenance.readonly.enabled)');
  }
  if (ctx.services.virtual && (await serveVirtual(ctx, route))) return;
  if (ctx.services.geo) return throughGeo(ctx, route, () => run(ctx, route, method));
  return run(ctx, route, method);
}

/** The handler of a route and method. */
async function run(ctx: RequestContext, route: Route, method: string): Promise<void> {
  switch (route.kind) {
    case 'base':
      return base(ctx);
    case 'catalog':
      return catalog(ctx);
    case 'tags':
      return tagList(ctx, route.name);
    case 'referrers':
      return referrers(ctx, route.name, route.digest);
    case 'manifest':
      if (method === 'PUT') return putManifest(ctx, route.name, route.reference);
      if (method === 'DELETE') return deleteManifest(ctx, route.name, route.reference);
      return getManifest(ctx, route.name, route.reference);
    case 'blob':
      if (method === 'DELETE') return deleteBlob(ctx, route.name, route.digest);
      return getBlob(ctx, route.name, route.digest);
    case 'upload-start':
      return startUpload(ctx, route.name);
    case 'upload':
      if (method === 'PATCH') return patchUpload(ctx, route.name, route.id);
      if (method === 'PUT') return completeUpload(ctx, route.name, route.id);
      if (method === 'DELETE') return cancelUpload(ctx, route.name, route.id);
      return uploadStatus(ctx, route.name, route.id);
    case 'gitlab-base':
      return sendEmpty(ctx.res, 200);
    case 'gitlab-repository':
      if (method === 'PATCH') return gitlabRename(ctx, gitlabOf(ctx), route.name);
      return gitlabRepository(ctx, gitlabOf(ctx), route.name);
    case 'gitlab-tags':
      return gitlabTags(ctx, gitlabOf(ctx), route.name);
    case 'gitlab-tag':
      return gitlabTagDetail(ctx, gitlabOf(ctx), route.name, route.tag);
    case 'gitlab-subrepositories':
      return gitlabSubrepositories(ctx, gitlabOf(ctx), route.name);
  }
}
