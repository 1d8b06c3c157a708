/**
 * The `azure` (and `azure_v2`) storage driver on Azure Blob Storage: paths as
 * block blob names under `rootdirectory` (with the old driver's leading `/`
 * unless `trimlegacyrootprefix`), directories implied by name prefixes,
 * writers that stage `chunksize` blocks and commit the block list (an append
 * keeps the committed blocks, so nothing is copied), server-side copies for
 * moves, SAS URLs for redirects (shared-key credentials only), and errors
 * mapped to the driver's.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { BlobSASPermissions, BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../config/load.js';
import { InvalidOffsetError, PathNotFoundError, StorageUnavailableError, type FileInfo, type FileWriter, type StorageDriver } from '../driver.js';
import { PartBuffer } from '../part-buffer.js';

/** `storage.azure` or `storage.azure_v2`. */
export type AzureConfig = NonNullable<Config['storage']['azure']> | NonNullable<Config['storage']['azure_v2']>;

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Creates the driver; `configKey` names the section in errors. */
export function azureDriver(cfg: AzureConfig, opts: { configKey: string; redirectExpiryMs: number }): StorageDriver {
  const url = cfg.serviceurl ?? `https://${cfg.accountname}.blob.${cfg.realm}`;
  const v2 = 'credentials_type' in cfg ? cfg : undefined;
  const sharedKey = !v2 || v2.credentials_type === 'shared_key' ? new StorageSharedKeyCredential(cfg.accountname, cfg.accountkey!) : undefined;
  const credential = sharedKey ?? (v2?.credentials_type === 'client_secret' ? new ClientSecretCredential(v2.tenant_id!, v2.client_id!, v2.secret!) : new DefaultAzureCredential());
  const service = new BlobServiceClient(url, credential, { retryOptions: { maxTries: cfg.maxretries + 1 } });
  const container: ContainerClient = service.getContainerClient(cfg.container);
  const root = cfg.rootdirectory.replace(/^\/+|\/+$/g, '');
  // The old driver kept the leading `/` of paths in blob names (at the container root); trimlegacyrootprefix drops it.
  const blobName = (path: string) => (root ? `${root}${path === '/' ? '' : path}` : cfg.trimlegacyrootprefix ? path.slice(1) : path);
  const prefixOf = (path: string) => (path === '/' ? (root ? `${root}/` : cfg.trimlegacyrootprefix ? '' : '/') : `${blobName(path)}/`);
  const pathOf = (n: string) => (root ? n.slice(root.length) : cfg.trimlegacyrootprefix ? `/${n}` : n);
  const block = (path: string) => container.getBlockBlobClient(blobName(path));

  const wrap = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) throw new PathNotFoundError(path);
      if (status === undefined || status >= 500 || status === 429) throw new StorageUnavailableError(`azure: ${(err as Error).message}`);
      throw err;
    }
  };
  const props = (path: string) => wrap(path, () => block(path).getProperties());

  async function* namesUnder(prefix: string): AsyncGenerator<string> {
    for await (const b of container.listBlobsFlat({ prefix })) yield b.name;
  }

  const blockId = () => Buffer.from(randomUUID()).toString('base64');

  async function openWriter(path: string, append: boolean): Promise<FileWriter> {
    const client = block(path);
    const ids: string[] = [];
    let size = 0;
    let done = false;
    const buffer = new PartBuffer(cfg.chunksize, async (part) => {
      const id = blockId();
      await wrap(path, () => client.stageBlock(id, part, part.length));
      ids.push(id);
    });
    const push = (chunk: Uint8Array) => buffer.push(chunk);
    if (append) {
      const existing = await props(path).then(
        (p) => p.contentLength ?? 0,
        (err: unknown) => {
          if (err instanceof PathNotFoundError) return 0;
          throw err;
        },
      );
      if (existing > 0) {
        const list = await wrap(path, () => client.getBlockList('committed'));
        const committed = list.committedBlocks ?? [];
        if (committed.length > 0) {
          ids.push(...committed.map((b) => b.name));
        } else {
          // Written in one request (no blocks): read it back through the buffer.
          const res = await wrap(path, () => client.download(0));
          for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) await push(c);
        }
        size = existing;
      }
    }
    return {
      async write(chunk) {
        if (done) throw new Error('writer already committed or cancelled');
        await push(chunk);
        size += chunk.length;
      },
      size: () => size,
      async commit() {
        if (done) return;
        done = true;
        if (buffer.pending.length > 0) await buffer.drain();
        await wrap(path, () => client.commitBlockList(ids));
        buffer.release();
      },
      async cancel() {
        if (done) return;
        done = true;
        buffer.release();
        await client.deleteIfExists().catch(() => undefined);
      },
    };
  }

  return {
    name: 'azure',
    getContent: (path) => wrap(path, () => block(path).downloadToBuffer()),
    async putContent(path, content) {
      await wrap(path, () => block(path).upload(Buffer.from(content.buffer, content.byteOffset, content.byteLength), content.byteLength));
    },
    async reader(path, offset = 0, end) {
      const size = (await props(path)).contentLength ?? 0;
      if (offset > size) throw new InvalidOffsetError(path, offset);
      const stop = Math.min(end ?? size, size);
      if (stop <= offset) return Readable.from([]);
      const res = await wrap(path, () => block(path).download(offset, stop - offset));
      return res.readableStreamBody as Readable;
    },
    writer: (path, append) => openWriter(path, append),
    async stat(path): Promise<FileInfo> {
      if (path !== '/') {
        try {
          const p = await props(path);
          return { path, size: p.contentLength ?? 0, modTime: p.lastModified ?? new Date(0), isDir: false };
        } catch (err) {
          if (!(err instanceof PathNotFoundError)) throw err;
        }
      }
      const page = await wrap(
        path,
        async () =>
          (
            await container
              .listBlobsFlat({ prefix: prefixOf(path) })
              .byPage({ maxPageSize: 1 })
              .next()
          ).value,
      );
      const first = page?.segment.blobItems[0];
      if (!first && path !== '/') throw new PathNotFoundError(path);
      return { path, size: 0, modTime: first?.properties.lastModified ?? new Date(0), isDir: true };
    },
    async list(path) {
      const prefix = prefixOf(path);
      const out = new Set<string>();
      await wrap(path, async () => {
        for await (const item of container.listBlobsByHierarchy('/', { prefix })) {
          const n = item.kind === 'prefix' ? item.name.slice(0, -1) : item.name;
          if (n !== prefix && n !== '') out.add(pathOf(n));
        }
      });
      if (out.size === 0 && path !== '/') throw new PathNotFoundError(path);
      return [...out];
    },
    async move(src, dest) {
      await props(src);
      const poller = await wrap(src, () => block(dest).beginCopyFromURL(block(src).url));
      await wrap(src, () => poller.pollUntilDone());
      await wrap(src, () => block(src).delete());
    },
    async delete(path) {
      const names: string[] = [];
      if (path !== '/' && (await block(path).exists())) names.push(blobName(path));
      await wrap(path, async () => {
        for await (const n of namesUnder(prefixOf(path))) names.push(n);
      });
      if (names.length === 0) throw new PathNotFoundError(path);
      for (const n of names) await wrap(path, () => container.getBlockBlobClient(n).deleteIfExists());
    },
    async redirectURL(path, method) {
      if (!sharedKey) return undefined;
      // One read permission serves GET and HEAD alike.
      void method;
      return block(path).generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + opts.redirectExpiryMs) });
    },
    async health() {
      try {
        await container.getProperties();
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) throw new ConfigError([`${opts.configKey}.container: container ${JSON.stringify(cfg.container)} does not exist in account ${JSON.stringify(cfg.accountname)}`]);
        if (status === 403 || status === 401) throw new ConfigError([`${opts.configKey}.accountkey: access to container ${JSON.stringify(cfg.container)} denied`]);
        throw new StorageUnavailableError(`${opts.configKey}: ${url} is not reachable: ${(err as Error).message}`);
      }
    },
  };
}
