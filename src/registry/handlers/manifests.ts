/**
 * Manifest GET, HEAD, PUT and DELETE.
 */
import { readLimited } from '../body.js';
import { assertDeleteEnabled, sendEmpty, urlFor, type RequestContext } from '../context.js';
import { metaFor } from '../../auth/claims.js';
import { checkManifestDelete, checkTagDelete, checkTagPush } from '../../auth/tag-rules.js';
import { eventUrl, notify } from '../notify.js';

/** A reference is a digest when it holds a `:` (tags cannot). */
const isDigest = (reference: string) => reference.includes(':');

/** GET or HEAD /v2/<name>/manifests/<reference>. */
export async function getManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const m = await ctx.services.manifests.get(name, reference);
  ctx.res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': m.payload.length,
    'Docker-Content-Digest': m.digest.value,
    ETag: `"${m.digest.value}"`,
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : m.payload);
  if (ctx.req.method === 'GET' && ctx.services.notifier?.wants('pull')) {
    notify(ctx, 'pull', {
      mediaType: m.mediaType,
      size: m.payload.length,
      length: m.payload.length,
      digest: m.digest.value,
      repository: name,
      url: eventUrl(ctx, `/v2/${name}/manifests/${m.digest.value}`),
      ...(isDigest(reference) ? {} : { tag: reference }),
    });
  }
}

/** PUT /v2/<name>/manifests/<reference>. */
export async function putManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const { config, manifests } = ctx.services;
  if (ctx.auth && !isDigest(reference)) {
    await checkTagPush(metaFor(ctx.auth, name), reference, () =>
      manifests.resolve(name, reference).then(
        () => true,
        () => false,
      ),
    );
  }
  const body = await readLimited(ctx.req, config.validation.manifests.payloadsizelimit);
  const result = await manifests.put(name, reference, body, ctx.req.headers['content-type']);
  const headers: Record<string, string> = {
    Location: urlFor(ctx, `/v2/${name}/manifests/${result.digest.value}`),
    'Docker-Content-Digest': result.digest.value,
  };
  if (result.subject) headers['OCI-Subject'] = result.subject.value;
  sendEmpty(ctx.res, 201, headers);
  notify(ctx, 'push', {
    mediaType: result.mediaType,
    size: result.size,
    length: result.size,
    digest: result.digest.value,
    repository: name,
    url: eventUrl(ctx, `/v2/${name}/manifests/${result.digest.value}`),
    ...(isDigest(reference) ? {} : { tag: reference }),
  });
}

/** DELETE /v2/<name>/manifests/<reference>: a digest deletes the manifest, a tag only the tag. */
export async function deleteManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  assertDeleteEnabled(ctx);
  if (ctx.auth) {
    const meta = metaFor(ctx.auth, name);
    if (isDigest(reference)) checkManifestDelete(meta);
    else checkTagDelete(meta, reference);
  }
  await ctx.services.manifests.delete(name, reference);
  sendEmpty(ctx.res, 202);
  notify(ctx, 'delete', isDigest(reference) ? { repository: name, digest: reference } : { repository: name, tag: reference });
}
