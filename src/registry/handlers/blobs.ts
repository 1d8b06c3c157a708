/**
 * Blob GET, HEAD (with Range and redirects) and DELETE.
 */
import { parseDigest } from '../../oci/digest.js';
import { regErr } from '../../oci/errors.js';
import { parseRange } from '../range.js';
import { assertDeleteEnabled, sendEmpty, type RequestContext } from '../context.js';
import { eventUrl, notify } from '../notify.js';

const BLOB_MEDIA_TYPE = 'application/octet-stream';

/** GET or HEAD /v2/<name>/blobs/<digest>. */
export async function getBlob(ctx: RequestContext, name: string, digestText: string): Promise<void> {
  const digest = parseDigest(digestText);
  const { metadata, content, config } = ctx.services;
  const [linked, size] = await Promise.all([metadata.isBlobLinked(name, digest), content.size(digest)]);
  if (!linked || size === undefined) throw regErr('BLOB_UNKNOWN', undefined, { digest: digest.value });
  const head = ctx.req.method === 'HEAD';
  const common = {
    'Docker-Content-Digest': digest.value,
    ETag: `"${digest.value}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  if (!head && !config.storage.redirect.disable) {
    const url = await content.redirectURL(digest, 'GET');
    if (url) {
      sendEmpty(ctx.res, 307, { ...common, Location: url });
      return;
    }
  }
  const range = parseRange(ctx.req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw regErr('RANGE_INVALID', 'requested range not satisfiable', { size }, 416);
  }
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  const headers: Record<string, string | number> = { ...common, 'Content-Type': 'application/octet-stream', 'Content-Length': end - start };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (head) {
    ctx.res.writeHead(range ? 206 : 200, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(range ? 206 : 200, headers);
  await content.sendTo(digest, start, end, ctx.res);
  ctx.res.end();
  if (ctx.services.notifier?.wants('pull')) notify(ctx, 'pull', { mediaType: BLOB_MEDIA_TYPE, size, length: size, digest: digest.value, repository: name, url: eventUrl(ctx, `/v2/${name}/blobs/${digest.value}`) });
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository. */
export async function deleteBlob(ctx: RequestContext, name: string, digestText: string): Promise<void> {
  assertDeleteEnabled(ctx);
  const digest = parseDigest(digestText);
  if (!(await ctx.services.metadata.unlinkBlob(name, digest))) throw regErr('BLOB_UNKNOWN', undefined, { digest: digest.value });
  sendEmpty(ctx.res, 202, { 'Docker-Content-Digest': digest.value });
  notify(ctx, 'delete', { repository: name, digest: digest.value });
}
