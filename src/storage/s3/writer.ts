/**
 * The `s3` driver's writer: bytes gather in one part buffer (`chunksize`) and
 * go up as multipart upload parts; `commit` completes the upload (or puts a
 * small object in one request). Appending to an existing object copies it
 * server-side into the new upload (`UploadPartCopy`) — or, when it is smaller
 * than a part or the service lacks part copies, reads it back through the
 * buffer. Memory stays at one part buffer per writer.
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

const isNotImplemented = (err: unknown) => {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.Code === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
};

/** Opens a writer on `key`; with `existingSize` > 0, continues that object. */
export async function openWriter(ctx: WriterContext, path: string, key: string, existingSize: number): Promise<FileWriter> {
  const { client, bucket } = ctx;
  const send = async <T>(cmd: unknown): Promise<T> => {
    await ctx.limit();
    try {
      return (await client.send(cmd as never)) as T;
    } catch (err) {
      throw ctx.mapError(err, path);
    }
  };
  let uploadId: string | undefined;
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  let written = existingSize;
  let done = false;

  const start = async () => {
    if (uploadId) return;
    const res = await send<{ UploadId?: string }>(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...ctx.createParams }));
    uploadId = res.UploadId;
  };
  const buffer = new PartBuffer(ctx.chunkSize, async (part) => {
    await start();
    const res = await send<{ ETag?: string }>(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: parts.length + 1, Body: part }));
    parts.push({ PartNumber: parts.length + 1, ETag: res.ETag ?? '' });
  });
  const push = (chunk: Uint8Array) => buffer.push(chunk);
  const readBack = async (from: number) => {
    const res = await send<{ Body?: Readable }>(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${from}-${existingSize - 1}` }));
    for await (const c of res.Body as AsyncIterable<Buffer>) await push(c);
  };

  if (existingSize > 0) {
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
          const res = await client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: parts.length + 1, CopySource: `${bucket}/${encodeURI(key)}`, CopySourceRange: `bytes=${a}-${b}` }));
          parts.push({ PartNumber: parts.length + 1, ETag: res.CopyPartResult?.ETag ?? '' });
        }
      } catch (err) {
        if (!isNotImplemented(err)) throw ctx.mapError(err, path);
        // The service has no part copies (some emulators): read the object back through the buffer.
        parts.length = 0;
        await readBack(0);
      }
    }
  }

  return {
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
        await send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      }
      buffer.release();
    },
    async cancel() {
      if (done) return;
      done = true;
      if (uploadId) await send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      await send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      buffer.release();
    },
  };
}
