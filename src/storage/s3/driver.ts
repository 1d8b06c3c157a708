/**
 * The `s3` storage driver (also configured as `s3_v2`): Distribution's paths
 * as object keys under `rootdirectory`, directories implied by key prefixes
 * (listings paginate with a `/` delimiter), server-side copies for moves
 * (part by part above `multipartcopythresholdsize`), multipart uploads for
 * writers, presigned URLs for redirects, a request rate limit, and errors
 * mapped to the driver's (`PathNotFoundError`; throttling and outages, after
 * the SDK's retries, to `StorageUnavailableError`).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  AbortMultipartUploadCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { ConfigError } from '../../config/load.js';
import { InvalidOffsetError, PathNotFoundError, StorageUnavailableError, type FileInfo, type StorageDriver } from '../driver.js';
import { eachLimited } from '../each-limited.js';
import { rateLimiter, s3Client, type S3Config } from './client.js';
import { OPEN_FLAG, OPEN_STATE_SUFFIX, openWriter, type OpenState, type WriterContext } from './writer.js';

const FIVE_GIB = 5 * 1024 * 1024 * 1024;

/** Options that come from outside `storage.s3`. */
export interface S3DriverOptions {
  /** `storage.s3` or `storage.s3_v2`, for error messages. */
  readonly configKey: string;
  /** Lifetime of presigned redirect URLs (`storage.redirect.expirydelay`). */
  readonly redirectExpiryMs: number;
  /** Tests inject a client. */
  readonly client?: S3Client;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

/** Creates the driver. */
export function s3Driver(cfg: S3Config, opts: S3DriverOptions): StorageDriver {
  const client = opts.client ?? s3Client(cfg, opts.configKey);
  const bucket = cfg.bucket;
  const root = cfg.rootdirectory.replace(/^\/+|\/+$/g, '');
  const limit = rateLimiter(cfg.maxrequestspersecond);
  const key = (path: string) => (root ? `${root}${path === '/' ? '' : path}` : path.slice(1));
  const prefixOf = (path: string) => (path === '/' ? (root ? `${root}/` : '') : `${key(path)}/`);
  const pathOf = (k: string) => `/${root ? k.slice(root.length + 1) : k}`;
  const createParams: Record<string, string> = {
    ...(cfg.encrypt ? (cfg.keyid ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: cfg.keyid } : { ServerSideEncryption: 'AES256' }) : {}),
    ...(cfg.storageclass !== 'NONE' ? { StorageClass: cfg.storageclass } : {}),
  };

  const mapError = (err: unknown, path: string): unknown => {
    if (isNotFound(err)) return new PathNotFoundError(path);
    const status = statusOf(err);
    const name = (err as { name?: string }).name ?? '';
    if (status === undefined || status >= 500 || status === 429 || name === 'SlowDown' || name === 'TimeoutError') {
      return new StorageUnavailableError(`s3: ${name || 'request failed'}: ${(err as Error).message}`);
    }
    return err;
  };
  const send = async <T>(cmd: unknown, path: string): Promise<T> => {
    await limit();
    try {
      return (await client.send(cmd as never)) as T;
    } catch (err) {
      throw mapError(err, path);
    }
  };
  const head = (path: string) => send<{ ContentLength?: number; LastModified?: Date; Metadata?: Record<string, string> }>(new HeadObjectCommand({ Bucket: bucket, Key: key(path) }), path);
  const writerContext: WriterContext = { client, bucket, chunkSize: cfg.chunksize, copyChunkSize: cfg.multipartcopychunksize, createParams, limit, mapError };
  const readState = async (stateKey: string, path: string): Promise<OpenState> => {
    const res = await send<{ Body?: { transformToString(): Promise<string> } }>(new GetObjectCommand({ Bucket: bucket, Key: stateKey }), path);
    return JSON.parse(await res.Body!.transformToString()) as OpenState;
  };
  /** Size and mtime of an object, and the state of its multipart upload when a writer left it open (see ./writer.ts). */
  const describe = async (path: string): Promise<{ size: number; modified: Date; open?: OpenState }> => {
    const h = await head(path);
    const info = { size: h.ContentLength ?? 0, modified: h.LastModified ?? new Date(0) };
    if (h.Metadata?.[OPEN_FLAG] === undefined) return info;
    const open = await readState(`${key(path)}${OPEN_STATE_SUFFIX}`, path);
    return { ...info, size: open.size, open };
  };
  /** Aborts the open upload a state object describes (best effort: a lifecycle rule should also abort stale uploads). */
  const abortOpen = async (stateKey: string, path: string): Promise<OpenState | undefined> => {
    const state = await readState(stateKey, path).catch(() => undefined);
    if (state) await send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: stateKey.slice(0, -OPEN_STATE_SUFFIX.length), UploadId: state.uploadId }), path).catch(() => undefined);
    return state;
  };
  const finalize = async (path: string): Promise<void> => {
    const d = await describe(path);
    if (d.open) await (await openWriter(writerContext, path, key(path), 0, d.open)).commit();
  };
  const internal = (k: string) => k.includes('~wharf-');

  /** Every key under a prefix, page by page. */
  async function* keysUnder(prefix: string): AsyncGenerator<{ key: string; size: number; modified: Date }> {
    let token: string | undefined;
    do {
      const page = await send<{ Contents?: Array<{ Key?: string; Size?: number; LastModified?: Date }>; NextContinuationToken?: string; IsTruncated?: boolean }>(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        `/${prefix}`,
      );
      for (const c of page.Contents ?? []) if (c.Key) yield { key: c.Key, size: c.Size ?? 0, modified: c.LastModified ?? new Date(0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Copies an object server-side: one CopyObject up to the threshold, parts above it (and always above 5 GiB). */
  async function copy(src: string, dest: string, size: number): Promise<void> {
    const source = `${bucket}/${encodeURI(key(src))}`;
    if (size <= cfg.multipartcopythresholdsize) {
      await send(new CopyObjectCommand({ Bucket: bucket, Key: key(dest), CopySource: source, ...createParams }), src);
      return;
    }
    const { UploadId } = await send<{ UploadId?: string }>(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key(dest), ...createParams }), dest);
    const ranges: Array<[number, number]> = [];
    for (let s = 0; s < size; s += cfg.multipartcopychunksize) ranges.push([s, Math.min(size, s + cfg.multipartcopychunksize) - 1]);
    const parts: Array<{ PartNumber: number; ETag: string }> = new Array(ranges.length);
    try {
      await eachLimited(ranges, cfg.multipartcopymaxconcurrency, async ([a, b], i) => {
        const res = await send<{ CopyPartResult?: { ETag?: string } }>(
          new UploadPartCopyCommand({ Bucket: bucket, Key: key(dest), UploadId, PartNumber: i + 1, CopySource: source, CopySourceRange: `bytes=${a}-${b}` }),
          src,
        );
        parts[i] = { PartNumber: i + 1, ETag: res.CopyPartResult?.ETag ?? '' };
      });
    } catch (err) {
      // Services without part copies: one CopyObject does up to 5 GiB.
      if (size > FIVE_GIB || !/NotImplemented/.test(String((err as Error).name) + String((err as Error).message))) throw err;
      await send(new CopyObjectCommand({ Bucket: bucket, Key: key(dest), CopySource: source, ...createParams }), src);
      return;
    }
    await send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key(dest), UploadId, MultipartUpload: { Parts: parts } }), dest);
  }

  return {
    name: 's3',
    async getContent(path) {
      const res = await send<{ Body?: { transformToByteArray(): Promise<Uint8Array> } }>(new GetObjectCommand({ Bucket: bucket, Key: key(path) }), path);
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async putContent(path, content) {
      await send(new PutObjectCommand({ Bucket: bucket, Key: key(path), Body: content, ...createParams }), path);
    },
    async reader(path, offset = 0, end) {
      if (offset === 0 && end === undefined) {
        const res = await send<{ Body?: Readable }>(new GetObjectCommand({ Bucket: bucket, Key: key(path) }), path);
        return res.Body as Readable;
      }
      const size = (await head(path)).ContentLength ?? 0;
      if (offset > size) throw new InvalidOffsetError(path, offset);
      const stop = Math.min(end ?? size, size);
      if (stop <= offset) return Readable.from([]);
      const res = await send<{ Body?: Readable }>(new GetObjectCommand({ Bucket: bucket, Key: key(path), Range: `bytes=${offset}-${stop - 1}` }), path);
      return res.Body as Readable;
    },
    async writer(path, append) {
      if (!append) return openWriter(writerContext, path, key(path), 0);
      const d = await describe(path).catch((err: unknown) => {
        if (err instanceof PathNotFoundError) return undefined;
        throw err;
      });
      return openWriter(writerContext, path, key(path), d?.size ?? 0, d?.open);
    },
    finalize,
    async stat(path): Promise<FileInfo> {
      if (path !== '/') {
        try {
          const d = await describe(path);
          return { path, size: d.size, modTime: d.modified, isDir: false };
        } catch (err) {
          if (!(err instanceof PathNotFoundError)) throw err;
        }
      }
      const page = await send<{ KeyCount?: number; Contents?: Array<{ LastModified?: Date }> }>(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefixOf(path), MaxKeys: 1 }), path);
      if ((page.KeyCount ?? page.Contents?.length ?? 0) === 0 && path !== '/') throw new PathNotFoundError(path);
      return { path, size: 0, modTime: page.Contents?.[0]?.LastModified ?? new Date(0), isDir: true };
    },
    async list(path) {
      const prefix = prefixOf(path);
      const out = new Set<string>();
      let token: string | undefined;
      do {
        const page = await send<{ CommonPrefixes?: Array<{ Prefix?: string }>; Contents?: Array<{ Key?: string }>; NextContinuationToken?: string; IsTruncated?: boolean }>(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
          path,
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.add(pathOf(p.Prefix.slice(0, -1)));
        for (const c of page.Contents ?? []) if (c.Key && c.Key !== prefix && !internal(c.Key)) out.add(pathOf(c.Key));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      if (out.size === 0 && path !== '/') throw new PathNotFoundError(path);
      return [...out];
    },
    async move(src, dest) {
      const { size, open } = await describe(src);
      if (open) await (await openWriter(writerContext, src, key(src), 0, open)).commit();
      await copy(src, dest, size);
      await send(new DeleteObjectCommand({ Bucket: bucket, Key: key(src) }), src);
    },
    async delete(path) {
      const keys: string[] = [];
      if (path !== '/') {
        const h = await head(path).catch((err: unknown) => {
          if (err instanceof PathNotFoundError) return undefined;
          throw err;
        });
        if (h) keys.push(key(path));
        if (h?.Metadata?.[OPEN_FLAG] !== undefined) {
          const stateKey = `${key(path)}${OPEN_STATE_SUFFIX}`;
          const state = await abortOpen(stateKey, path);
          keys.push(stateKey, ...(state?.tailKey ? [state.tailKey] : []));
        }
      }
      for await (const k of keysUnder(prefixOf(path))) {
        if (k.key.endsWith(OPEN_STATE_SUFFIX)) await abortOpen(k.key, path);
        keys.push(k.key);
      }
      if (keys.length === 0) throw new PathNotFoundError(path);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const res = await send<{ Errors?: Array<{ Key?: string; Message?: string }> }>(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), path);
        if (res.Errors && res.Errors.length > 0) throw new StorageUnavailableError(`s3: could not delete ${res.Errors[0]!.Key}: ${res.Errors[0]!.Message}`);
      }
    },
    async redirectURL(path, method) {
      const cmd = method === 'HEAD' ? new HeadObjectCommand({ Bucket: bucket, Key: key(path) }) : new GetObjectCommand({ Bucket: bucket, Key: key(path) });
      return getSignedUrl(client, cmd as never, { expiresIn: Math.max(1, Math.round(opts.redirectExpiryMs / 1000)) });
    },
    async health() {
      try {
        await limit();
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        const status = statusOf(err);
        if (status === 404 || (err as { name?: string }).name === 'NoSuchBucket') throw new ConfigError([`${opts.configKey}.bucket: bucket ${JSON.stringify(bucket)} does not exist`]);
        if (status === 403 || status === 401) throw new ConfigError([`${opts.configKey}.accesskey/secretkey: access to bucket ${JSON.stringify(bucket)} denied (${(err as { name?: string }).name ?? status})`]);
        throw new StorageUnavailableError(`${opts.configKey}: ${cfg.regionendpoint ?? 'S3'} is not reachable: ${(err as Error).message || (err as { name?: string }).name}`);
      }
    },
  };
}
