/**
 * Blob uploads: POST (start, monolithic, cross-repository mount), PATCH
 * (chunked or streamed), PUT (complete), GET (status) and DELETE (cancel).
 */
import type { UploadSession } from '../../core/uploads.js';
import { parseDigest, tryParseDigest } from '../../oci/digest.js';
import { regErr } from '../../oci/errors.js';
import { isValidName } from '../../oci/names.js';
import { parseContentRange } from '../range.js';
import { sendEmpty, urlFor, type RequestContext } from '../context.js';
import { eventUrl, notify } from '../notify.js';
import { isReplication } from '../geo.js';

/** A blob push event (Distribution reports blobs as application/octet-stream). */
function blobPushed(ctx: RequestContext, name: string, digest: string, size: number, from?: string): void {
  const target = { mediaType: 'application/octet-stream', size, length: size, digest, repository: name, url: eventUrl(ctx, `/v2/${name}/blobs/${digest}`) };
  notify(ctx, from === undefined ? 'push' : 'mount', from === undefined ? target : { ...target, fromRepository: from });
}

function contentLength(ctx: RequestContext): number | undefined {
  const raw = ctx.req.headers['content-length'];
  return raw === undefined ? undefined : Number(raw);
}

function sessionHeaders(ctx: RequestContext, s: UploadSession): Record<string, string> {
  return {
    Location: urlFor(ctx, `/v2/${s.name}/blobs/uploads/${s.id}`),
    'Docker-Upload-UUID': s.id,
    Range: `0-${Math.max(s.offset - 1, 0)}`,
  };
}

/** POST /v2/<name>/blobs/uploads/. */
export async function startUpload(ctx: RequestContext, name: string): Promise<void> {
  const { uploads, metadata, content } = ctx.services;
  const mount = ctx.query.get('mount');
  const from = ctx.query.get('from');
  if (mount !== null) {
    const digest = tryParseDigest(mount);
    // A mount that cannot happen is not an error: the client gets a session to push into (OCI 1.1).
    // Geo's sync may mount without `from` (OCI 1.1 lets a registry find the blob itself): a user's token never can.
    const fromAnywhere = from === null && isReplication(ctx);
    const size = digest && (fromAnywhere || (from && isValidName(from) && (await metadata.isBlobLinked(from, digest)))) ? await content.size(digest) : undefined;
    if (digest && size !== undefined) {
      await metadata.linkBlob(name, digest, size, async () => {
        if ((await content.size(digest)) === undefined) throw regErr('BLOB_UNKNOWN', 'the blob to mount was removed', { digest: digest.value });
      });
      ctx.req.resume();
      sendEmpty(ctx.res, 201, { Location: urlFor(ctx, `/v2/${name}/blobs/${digest.value}`), 'Docker-Content-Digest': digest.value });
      blobPushed(ctx, name, digest.value, size, from ?? undefined);
      return;
    }
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null && mount === null) {
    const digest = parseDigest(digestParam);
    const session = await uploads.start(name, { monolithic: true });
    let size: number;
    try {
      ({ size } = await uploads.complete(name, session.id, digest, ctx.req, { length: contentLength(ctx), replace: isReplication(ctx) }));
    } catch (err) {
      await uploads.cancel(name, session.id).catch(() => undefined);
      throw err;
    }
    sendEmpty(ctx.res, 201, { Location: urlFor(ctx, `/v2/${name}/blobs/${digest.value}`), 'Docker-Content-Digest': digest.value });
    blobPushed(ctx, name, digest.value, size);
    return;
  }
  ctx.req.resume();
  const session = await uploads.start(name);
  sendEmpty(ctx.res, 202, sessionHeaders(ctx, session));
}

/** GET /v2/<name>/blobs/uploads/<id>: 204 with the current Range. */
export async function uploadStatus(ctx: RequestContext, name: string, id: string): Promise<void> {
  const session = await ctx.services.uploads.get(name, id);
  sendEmpty(ctx.res, 204, sessionHeaders(ctx, session));
}

/** PATCH /v2/<name>/blobs/uploads/<id>: appends a chunk. */
export async function patchUpload(ctx: RequestContext, name: string, id: string): Promise<void> {
  const header = ctx.req.headers['content-range'];
  let start: number | undefined;
  let length = contentLength(ctx);
  if (header !== undefined) {
    const range = parseContentRange(header);
    const declared = range.end - range.start + 1;
    if (length !== undefined && length !== declared) {
      throw regErr('RANGE_INVALID', 'Content-Range does not match Content-Length', { contentRange: header, contentLength: length }, 416);
    }
    start = range.start;
    length = declared;
  }
  const session = await ctx.services.uploads.append(name, id, ctx.req, { start, length });
  sendEmpty(ctx.res, 202, sessionHeaders(ctx, session));
}

/** PUT /v2/<name>/blobs/uploads/<id>?digest=: completes the upload. */
export async function completeUpload(ctx: RequestContext, name: string, id: string): Promise<void> {
  const digestParam = ctx.query.get('digest');
  if (!digestParam) throw regErr('DIGEST_INVALID', 'the digest query parameter is required');
  const digest = parseDigest(digestParam);
  const header = ctx.req.headers['content-range'];
  const range = header !== undefined ? parseContentRange(header) : undefined;
  const length = contentLength(ctx);
  const hasBody = (length !== undefined && length > 0) || ctx.req.headers['transfer-encoding'] !== undefined;
  const { size } = await ctx.services.uploads.complete(name, id, digest, hasBody ? ctx.req : undefined, { start: range?.start, length, replace: isReplication(ctx) });
  sendEmpty(ctx.res, 201, { Location: urlFor(ctx, `/v2/${name}/blobs/${digest.value}`), 'Docker-Content-Digest': digest.value });
  blobPushed(ctx, name, digest.value, size);
}

/** DELETE /v2/<name>/blobs/uploads/<id>: cancels the upload. */
export async function cancelUpload(ctx: RequestContext, name: string, id: string): Promise<void> {
  await ctx.services.uploads.cancel(name, id);
  sendEmpty(ctx.res, 204);
}
