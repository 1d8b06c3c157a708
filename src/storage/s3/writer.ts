/**
 * The `s3` driver's writer: bytes gather in one part buffer (`chunksize`) and
 * go up as multipart upload parts; `commit` completes the upload (or puts a
 * small object in one request). Memory stays at one part buffer per writer.
 *
 * A chunked blob upload appends once per PATCH. `close` keeps the multipart
 * upload open between PATCHes, so each one only adds parts: the parts so far
 * and the upload id go to a state object beside the target
 * (`<key>~wharf-open`), the remainder smaller than a part to a tail object
 * (S3 parts but the last must be at least 5 MiB), and the target becomes an
 * empty placeholder flagged `x-amz-meta-wharf-open`. The next writer, on any
 * node, resumes from the state; `commit` completes the upload, which replaces
 * the placeholder. The state object is the one source of truth and is
 * replaced atomically, so a crash between two writes leaves the previous
 * state, whose tail object is deleted only after the new state is in place.
 *
 * Appending to a finished object copies it server-side into the new upload
 * (`UploadPartCopy`) — or, when it is smaller than a part or the service
 * lacks part copies, reads it back through the buffer.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FileWriter } from '../driver.js';
import { PartBuffer } from '../part-buffer.js';

/** What the writer needs from the driver. */
export interface WriterContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly chunkSize: number;
  readonly copyChunkSize: number;
  /** Extra parameters of object-creating requests (encryption, storage class). */
  readonly createParams: Record<string, string>;
  readonly limit: () => Promise<void>;
  /** Maps SDK errors to driver errors. */
  readonly mapError: (err: unknown, path: string) => unknown;
}

/** Marks the state object of an open upload; `~` never occurs in registry paths. */
export const OPEN_STATE_SUFFIX = '~wharf-open';
/** Object metadata (`x-amz-meta-wharf-open`) on the placeholder of an open upload. */
export const OPEN_FLAG = 'wharf-open';

/** What `close` records of an open multipart upload. */
export interface OpenState {
  readonly uploadId: string;
  readonly parts: Array<{ PartNumber: number; ETag: string; Size: number }>;
  /** Key of the object holding the bytes after the last part, if any. */
  readonly tailKey?: string;
  readonly size: number;
}

const isNotImplemented = (err: unknown) => {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.Code === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
};

/** Opens a writer on `key`; with `existingSize` > 0, continues that object; with `open`, continues that open upload. */
export async function openWriter(ctx: WriterContext, path: string, key: string, existingSize: number, open?: OpenState): Promise<FileWriter> {
  const { client, bucket } = ctx;
  const send = async <T>(cmd: unknown): Promise<T> => {
    await ctx.limit();
    try {
      return (await client.send(cmd as never)) as T;
    } catch (err) {
      throw ctx.mapError(err, path);
    }
  };
  let uploadId: string | undefined = open?.uploadId;
  const parts: Array<{ PartNumber: number; ETag: string; Size: number }> = open ? [...open.parts] : [];
  let written = open ? open.size : existingSize;
  let done = false;
  const stateKey = `${key}${OPEN_STATE_SUFFIX}`;

  const start = async () => {
    if (uploadId) return;
    const res = await send<{ UploadId?: string }>(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...ctx.createParams }));
    uploadId = res.UploadId;
  };
  const buffer = new PartBuffer(ctx.chunkSize, async (part) => {
    await start();
    const res = await send<{ ETag?: string }>(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: parts.length + 1, Body: part }));
    parts.push({ PartNumber: parts.length + 1, ETag: res.ETag ?? '', Size: part.length });
  });
  const push = (chunk: Uint8Array) => buffer.push(chunk);
  const readBack = async (from: number) => {
    const res = await send<{ Body?: Readable }>(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${from}-${existingSize - 1}` }));
    for await (const c of res.Body as AsyncIterable<Buffer>) await push(c);
  };

  const removeQuietly = (k: string) => send(new DeleteObjectCommand({ Bucket: bucket, Key: k })).catch(() => undefined);
  if (open?.tailKey) {
    const res = await send<{ Body?: Readable }>(new GetObjectCommand({ Bucket: bucket, Key: open.tailKey }));
    for await (const c of res.Body as AsyncIterable<Buffer>) await push(c);
  } else if (!open && existingSize > 0) {
    if (existingSize < ctx.chunkSize) {
      await readBack(0);
    } else {
      // Whole copy parts of copyChunkSize; the remainder joins the last one unless it can stand as a part (>= 5 MiB).
      const size = ctx.copyChunkSize;
      const ranges: Array<[number, number]> = [];
      for (let s = 0; s < existingSize; s += size) ranges.push([s, Math.min(existingSize, s + size) - 1]);
      const last = ranges[ranges.length - 1]!;
      if (ranges.length > 1 && last[1] - last[0] + 1 < 5 * 1024 * 1024) {
        ranges.pop();
        ranges[ranges.length - 1]![1] = last[1];
      }
      try {
        await start();
        for (const [a, b] of ranges) {
          // Sent unmapped, so that a service without part copies (501 NotImplemented) is recognised below.
          await ctx.limit();
          const res = await client.send(
            new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: parts.length + 1, CopySource: `${bucket}/${encodeURI(key)}`, CopySourceRange: `bytes=${a}-${b}` }),
          );
          parts.push({ PartNumber: parts.length + 1, ETag: res.CopyPartResult?.ETag ?? '', Size: b - a + 1 });
        }
      } catch (err) {
        if (!isNotImplemented(err)) throw ctx.mapError(err, path);
        // The service has no part copies (some emulators): read the object back through the buffer.
        parts.length = 0;
        await readBack(0);
      }
    }
  }

  const writer: FileWriter = {
    async write(chunk) {
      if (done) throw new Error('writer already committed or cancelled');
      await push(chunk);
      written += chunk.length;
    },
    size: () => written,
    async commit() {
      if (done) return;
      done = true;
      if (!uploadId) {
        await send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: buffer.pending, ...ctx.createParams }));
      } else {
        if (buffer.pending.length > 0 || parts.length === 0) await buffer.drain();
        await send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) } }));
        if (open) {
          await removeQuietly(stateKey);
          if (open.tailKey) await removeQuietly(open.tailKey);
        }
      }
      buffer.release();
    },
    async close() {
      if (done) return;
      if (!uploadId) return writer.commit(); // within one part: a plain object, cheap to read back next time
      done = true;
      const tailKey = buffer.pending.length > 0 ? `${key}~wharf-tail-${randomUUID()}` : undefined;
      if (tailKey) await send(new PutObjectCommand({ Bucket: bucket, Key: tailKey, Body: buffer.pending, ...ctx.createParams }));
      const state: OpenState = { uploadId, parts, ...(tailKey ? { tailKey } : {}), size: written };
      await send(new PutObjectCommand({ Bucket: bucket, Key: stateKey, Body: JSON.stringify(state), ContentType: 'application/json', ...ctx.createParams }));
      if (!open) await send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0), Metadata: { [OPEN_FLAG]: '1' }, ...ctx.createParams }));
      if (open?.tailKey) await removeQuietly(open.tailKey);
      buffer.release();
    },
    async cancel() {
      if (done) return;
      done = true;
      if (uploadId) await send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      await removeQuietly(key);
      if (open) {
        await removeQuietly(stateKey);
        if (open.tailKey) await removeQuietly(open.tailKey);
      }
      buffer.release();
    },
  };
  return writer;
}
