/**
 * The `gcs` storage driver on Google Cloud Storage (JSON API, official SDK):
 * paths as object names under `rootdirectory`, directories implied by name
 * prefixes, writers of parts composed at commit (./writer.ts), server-side
 * rewrites for moves, V4 signed URLs for redirects, and errors mapped to the
 * driver's. The bucket must exist; start-up checks it.
 */
import { Readable } from 'node:stream';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../config/load.js';
import { InvalidOffsetError, PathNotFoundError, StorageUnavailableError, type FileInfo, type StorageDriver } from '../driver.js';
import { eachLimited } from '../each-limited.js';
import { gcsClient, mapGcsError, statusOf, type GcsConfig } from './client.js';
import { openWriter, PART_MARK, type WriterContext } from './writer.js';

export type { GcsConfig };

interface ListPage {
  /** Object names, temporary parts included. */
  readonly names: string[];
  readonly prefixes: string[];
  readonly next?: string;
}

/** Creates the driver; `configKey` names the section in errors. */
export function gcsDriver(cfg: GcsConfig, opts: { configKey: string; redirectExpiryMs: number }): StorageDriver {
  const storage = gcsClient(cfg, opts.configKey);
  const bucket = storage.bucket(cfg.bucket);
  const root = cfg.rootdirectory.replace(/^\/+|\/+$/g, '');
  const nameOf = (path: string) => (root ? `${root}${path === '/' ? '' : path}` : path.slice(1));
  const prefixOf = (path: string) => (path === '/' ? (root ? `${root}/` : '') : `${nameOf(path)}/`);
  const pathOf = (n: string) => (root ? n.slice(root.length) : `/${n}`);
  const file = (path: string) => bucket.file(nameOf(path));

  const wrap = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw mapGcsError(err, path);
    }
  };
  const meta = async (path: string) => {
    const [m] = await wrap(path, () => file(path).getMetadata());
    return { size: Number(m.size ?? 0), modTime: new Date(m.updated ?? m.timeCreated ?? 0) };
  };

  const page = async (path: string, query: { prefix: string; delimiter?: string; pageToken?: string; maxResults?: number }): Promise<ListPage> => {
    const [files, , res] = await wrap(path, () => bucket.getFiles({ ...query, autoPaginate: false }));
    const prefixes = (res as { prefixes?: string[] } | undefined)?.prefixes ?? [];
    return { names: files.map((f) => f.name), prefixes, next: (res as { nextPageToken?: string } | undefined)?.nextPageToken };
  };
  const visible = (names: string[]) => names.filter((n) => !n.includes(PART_MARK));
  // Every object under a directory, parts a crashed writer left included, so that deleting the directory removes them.
  async function* namesUnder(path: string, pageSize?: number): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const p = await page(path, { prefix: prefixOf(path), ...(pageSize ? { maxResults: pageSize } : {}), ...(token ? { pageToken: token } : {}) });
      yield* p.names;
      token = p.next;
    } while (token);
  }
  const deleteNames = (names: string[]) =>
    eachLimited(names, cfg.maxconcurrency, async (n) => {
      await wrap(n, () => bucket.file(n).delete({ ignoreNotFound: true }));
    });

  const writerContext: WriterContext = { bucket, chunkSize: cfg.chunksize, wrap, deleteNames };
  // Signing needs a private key (keyfile, credentials) or the IAM signBlob
  // permission. After a failure, blobs are served through Wharf for a while
  // rather than paying a failing signing call on every pull.
  let signAgainAt = 0;

  return {
    name: 'gcs',
    async getContent(path) {
      const [bytes] = await wrap(path, () => file(path).download());
      return bytes;
    },
    async putContent(path, content) {
      await wrap(path, () => file(path).save(Buffer.from(content.buffer, content.byteOffset, content.byteLength), { resumable: false }));
    },
    async reader(path, offset = 0, end) {
      const { size } = await meta(path);
      if (offset > size) throw new InvalidOffsetError(path, offset);
      const stop = Math.min(end ?? size, size);
      if (stop <= offset) return Readable.from([]);
      return file(path).createReadStream({ start: offset, end: stop - 1, validation: false });
    },
    async writer(path, append) {
      let existing = 0;
      if (append) {
        existing = await meta(path).then(
          (m) => m.size,
          (err: unknown) => {
            if (err instanceof PathNotFoundError) return 0;
            throw err;
          },
        );
      }
      return openWriter(writerContext, path, nameOf(path), existing);
    },
    async stat(path): Promise<FileInfo> {
      if (path !== '/') {
        try {
          return { path, ...(await meta(path)), isDir: false };
        } catch (err) {
          if (!(err instanceof PathNotFoundError)) throw err;
        }
      }
      // A directory exists while some object other than a writer's part lies under it.
      for await (const n of namesUnder(path, 16)) {
        if (!n.includes(PART_MARK)) return { path, size: 0, modTime: new Date(0), isDir: true };
      }
      if (path !== '/') throw new PathNotFoundError(path);
      return { path, size: 0, modTime: new Date(0), isDir: true };
    },
    async list(path) {
      const prefix = prefixOf(path);
      const out = new Set<string>();
      let token: string | undefined;
      do {
        const p = await page(path, { prefix, delimiter: '/', ...(token ? { pageToken: token } : {}) });
        for (const n of visible(p.names)) if (n !== prefix) out.add(pathOf(n));
        for (const d of p.prefixes) out.add(pathOf(d.slice(0, -1)));
        token = p.next;
      } while (token);
      if (out.size === 0 && path !== '/') throw new PathNotFoundError(path);
      return [...out];
    },
    async move(src, dest) {
      // The SDK rewrites server-side (looping on rewrite tokens for large objects), then deletes the source.
      await wrap(src, () => file(src).move(file(dest)));
    },
    async delete(path) {
      const names: string[] = [];
      if (path !== '/') {
        const [exists] = await wrap(path, () => file(path).exists());
        if (exists) names.push(nameOf(path));
      }
      for await (const n of namesUnder(path)) names.push(n);
      if (names.length === 0) throw new PathNotFoundError(path);
      await deleteNames(names);
    },
    async redirectURL(path, method) {
      if (Date.now() < signAgainAt) return undefined;
      try {
        const [url] = await file(path).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + opts.redirectExpiryMs });
        // One read signature serves GET and HEAD alike.
        void method;
        return url;
      } catch {
        signAgainAt = Date.now() + 60_000;
        return undefined;
      }
    },
    async health() {
      try {
        await bucket.getFiles({ prefix: root, maxResults: 1, autoPaginate: false });
      } catch (err) {
        const status = statusOf(err);
        const creds = cfg.keyfile ? 'keyfile' : cfg.credentials ? 'credentials' : 'keyfile (Application Default Credentials in use)';
        if (status === 404) throw new ConfigError([`${opts.configKey}.bucket: bucket ${JSON.stringify(cfg.bucket)} does not exist`]);
        if (status === 401 || status === 403) throw new ConfigError([`${opts.configKey}.${creds}: access to bucket ${JSON.stringify(cfg.bucket)} denied`]);
        throw new StorageUnavailableError(`${opts.configKey}: Google Cloud Storage is not reachable: ${(err as Error).message}`);
      }
    },
  };
}
