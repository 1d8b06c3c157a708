/**
 * The pull-through cache of container virtual registries (SPEC 8.2–8.4), a
 * decorator over the local blob store: what it fetches from an upstream is
 * stored as local blobs (digests computed from the stored bytes) and
 * recorded as cache entries. A fresh entry is served from the cache; a stale
 * tag is revalidated with a HEAD (same digest: refreshed; different:
 * fetched again); digest requests never touch the upstream once cached;
 * `cache_validity_hours: 0` never goes stale; a miss tries upstreams in
 * position order; an unavailable upstream (refused, timeout, 5xx, 429)
 * serves the stale copy. Concurrent misses of one object make one upstream
 * fetch; a fill runs to its end even when its client leaves, and only a
 * complete, verified blob becomes visible.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobContent } from '../core/blob-content.js';
import type { Database } from '../db/queryer.js';
import { parseDigest, tryParseDigest } from '../oci/digest.js';
import { regErr } from '../oci/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import { uploadDataPath } from '../storage/layout.js';
import type { SecretBox } from './credentials.js';
import { cacheEntry, cachedDigest, touchCacheEntry, upsertCacheEntry, upstreamsOf, type CacheEntryRow, type LinkedUpstream } from './store.js';
import { UpstreamUnavailable, upstreamFetch, upstreamImage, type UpstreamTarget } from './upstream.js';
import type { VirtualMetrics } from './metrics.js';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const MAX_MANIFEST = 4 * 1024 * 1024;

/** What to send the client. */
export interface VirtualResponse {
  readonly headers: Record<string, string>;
  /** Bytes (manifests), a stream (a blob being filled), or a stored blob to send. */
  readonly body: Buffer | Readable | { readonly stored: string; readonly size: number };
}

export class PullThrough {
  private readonly fills = new Map<string, Promise<CacheEntryRow | { digest: string; size: number; content_type: string }>>();
  private readonly blobFills = new Map<string, { done: Promise<{ digest: string; size: number }> }>();

  constructor(
    private readonly db: Database,
    private readonly content: BlobContent,
    private readonly driver: StorageDriver,
    private readonly box: SecretBox,
    private readonly metrics: VirtualMetrics,
  ) {}

  private target(u: LinkedUpstream): UpstreamTarget {
    return { id: u.id, url: u.url, username: u.username, password: u.password_encrypted ? this.box.open(u.password_encrypted) : null };
  }

  private async upstreams(registryId: number): Promise<LinkedUpstream[]> {
    const ups = await upstreamsOf(this.db, registryId);
    if (ups.length === 0) throw regErr('NAME_UNKNOWN', `virtual registry ${registryId} does not exist or has no upstream`);
    return ups;
  }

  /** One fill per key at a time, shared by every waiting request. */
  private once<T extends object>(key: string, fill: () => Promise<T>): Promise<T> {
    const running = this.fills.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fill().finally(() => this.fills.delete(key));
    this.fills.set(key, p as Promise<never>);
    return p;
  }

  private async manifestResponse(digest: string, contentType: string): Promise<VirtualResponse> {
    const bytes = await this.content.read(parseDigest(digest));
    if (!bytes) throw regErr('MANIFEST_UNKNOWN', 'the cached manifest is gone from storage');
    return { headers: { 'Content-Type': contentType, 'Docker-Content-Digest': digest, 'Content-Length': String(bytes.length), ETag: `"${digest}"` }, body: bytes };
  }

  /** Fetches a manifest from one upstream and stores it; undefined on 404. */
  private async fetchManifest(u: LinkedUpstream, image: string, reference: string, accept: string): Promise<CacheEntryRow | { digest: string; size: number; content_type: string } | undefined> {
    const t = this.target(u);
    const res = await upstreamFetch(t, 'GET', `/v2/${upstreamImage(t, image)}/manifests/${reference}`, { Accept: accept });
    // Not there, or not for us (registries answer 401 for names they do not have): the next upstream may have it.
    if (res.status === 404 || res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw regErr('DENIED', `upstream ${u.name} refused ${image}:${reference} (${res.status})`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST) throw regErr('MANIFEST_INVALID', `upstream ${u.name} sent a manifest over 4 MiB`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.includes(':') && reference !== digest) throw regErr('MANIFEST_INVALID', `upstream ${u.name} sent bytes that do not hash to ${reference}`);
    const contentType = (res.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json').split(';')[0]?.trim() as string;
    await this.content.write(parseDigest(digest), bytes);
    for (const ref of new Set([reference, digest])) await upsertCacheEntry(this.db, { upstream_id: u.id, relative_path: `${image}/manifests/${ref}`, digest, size: bytes.length, content_type: contentType });
    this.metrics.bytes.inc({ direction: 'from_upstream' }, bytes.length);
    return { digest, size: bytes.length, content_type: contentType };
  }

  async manifest(registryId: number, image: string, reference: string, accept: string | undefined): Promise<VirtualResponse> {
    const ups = await this.upstreams(registryId);
    const path = `${image}/manifests/${reference}`;
    const wanted = accept && accept !== '*/*' ? accept : MANIFEST_ACCEPT;
    if (tryParseDigest(reference)) {
      const hit = await cachedDigest(
        this.db,
        ups.map((u) => u.id),
        path,
      );
      if (hit && (await this.content.size(parseDigest(hit.digest))) !== undefined) {
        this.metrics.requests.inc({ result: 'hit' });
        void touchCacheEntry(this.db, hit.id, false).catch(() => undefined);
        return this.manifestResponse(hit.digest, hit.content_type);
      }
    } else {
      for (const u of ups) {
        const entry = await cacheEntry(this.db, u.id, path);
        if (!entry) continue;
        const ageMs = Date.now() - new Date(entry.upstream_checked_at).getTime();
        if (u.cache_validity_hours === 0 || ageMs < u.cache_validity_hours * 3_600_000) {
          this.metrics.requests.inc({ result: 'hit' });
          void touchCacheEntry(this.db, entry.id, false).catch(() => undefined);
          return this.manifestResponse(entry.digest, entry.content_type);
        }
        // Stale: one HEAD to the upstream decides.
        try {
          const filled = await this.once(`m ${u.id} ${path}`, async () => {
            const t = this.target(u);
            const head = await upstreamFetch(t, 'HEAD', `/v2/${upstreamImage(t, image)}/manifests/${reference}`, { Accept: wanted });
            this.metrics.requests.inc({ result: 'revalidated' });
            if (head.ok && head.headers.get('docker-content-digest') === entry.digest) {
              await touchCacheEntry(this.db, entry.id, true);
              return entry;
            }
            return (await this.fetchManifest(u, image, reference, wanted)) ?? entry;
          });
          return this.manifestResponse(filled.digest, filled.content_type);
        } catch (err) {
          if (!(err instanceof UpstreamUnavailable)) throw err;
          this.metrics.upstreamErrors.inc();
          // The upstream is down or overloaded: the stale copy is better than nothing.
          return this.manifestResponse(entry.digest, entry.content_type);
        }
      }
    }
    this.metrics.requests.inc({ result: 'miss' });
    let lastError: Error | undefined;
    for (const u of ups) {
      try {
        const filled = await this.once(`m ${u.id} ${path}`, async () => (await this.fetchManifest(u, image, reference, wanted)) ?? ({} as { digest: string; size: number; content_type: string }));
        if (filled.digest) return this.manifestResponse(filled.digest, filled.content_type);
      } catch (err) {
        if (!(err instanceof UpstreamUnavailable)) throw err;
        this.metrics.upstreamErrors.inc();
        lastError = err;
      }
    }
    if (lastError) throw regErr('UNAVAILABLE', `${image}:${reference} is not cached and no upstream answered: ${lastError.message}`);
    throw regErr('MANIFEST_UNKNOWN', `${image}:${reference} is in no upstream of virtual registry ${registryId}`);
  }

  async blob(registryId: number, image: string, digestText: string, method: 'GET' | 'HEAD'): Promise<VirtualResponse> {
    const digest = parseDigest(digestText);
    const ups = await this.upstreams(registryId);
    const path = `${image}/blobs/${digest.value}`;
    const hit = await cachedDigest(
      this.db,
      ups.map((u) => u.id),
      path,
    );
    const stored = await this.content.size(digest);
    if (stored !== undefined && hit) {
      this.metrics.requests.inc({ result: 'hit' });
      void touchCacheEntry(this.db, hit.id, false).catch(() => undefined);
      return { headers: this.blobHeaders(digest.value, stored), body: { stored: digest.value, size: stored } };
    }
    this.metrics.requests.inc({ result: 'miss' });
    if (method === 'HEAD') return this.headUncached(ups, image, digest.value);
    // One fill per object, registered before the first upstream byte: every concurrent request joins it.
    const key = `b ${registryId} ${digest.value}`;
    const running = this.blobFills.get(key);
    if (running) {
      const done = await running.done;
      return { headers: this.blobHeaders(digest.value, done.size), body: { stored: digest.value, size: done.size } };
    }
    const client = new Readable({ read() {} });
    let started!: (size: number) => void;
    let failed!: (err: unknown) => void;
    const headers = new Promise<number>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    const done = this.fillFromUpstreams(ups, image, digest.value, client, started);
    this.blobFills.set(key, { done });
    done.then(
      () => this.blobFills.delete(key),
      (err: unknown) => {
        this.blobFills.delete(key);
        failed(err);
      },
    );
    const size = await headers;
    return { headers: this.blobHeaders(digest.value, size), body: client };
  }

  /** A HEAD of a blob not cached: the first upstream that has it says its size. */
  private async headUncached(ups: LinkedUpstream[], image: string, digest: string): Promise<VirtualResponse> {
    for (const u of ups) {
      const t = this.target(u);
      try {
        const res = await upstreamFetch(t, 'HEAD', `/v2/${upstreamImage(t, image)}/blobs/${digest}`);
        if (res.ok) return { headers: this.blobHeaders(digest, Number(res.headers.get('content-length') ?? -1)), body: Buffer.alloc(0) };
      } catch (err) {
        if (!(err instanceof UpstreamUnavailable)) throw err;
        this.metrics.upstreamErrors.inc();
      }
    }
    throw regErr('BLOB_UNKNOWN', `blob ${digest} is in no reachable upstream`);
  }

  /** Tries upstreams in order; `started(size)` once one answers with the blob, then stores it. */
  private async fillFromUpstreams(ups: LinkedUpstream[], image: string, digest: string, client: Readable, started: (size: number) => void): Promise<{ digest: string; size: number }> {
    let lastError: Error | undefined;
    for (const u of ups) {
      const t = this.target(u);
      let res: Response;
      try {
        res = await upstreamFetch(t, 'GET', `/v2/${upstreamImage(t, image)}/blobs/${digest}`, {}, 3_600_000);
      } catch (err) {
        if (!(err instanceof UpstreamUnavailable)) throw err;
        this.metrics.upstreamErrors.inc();
        lastError = err;
        continue;
      }
      if (res.status === 404 || res.status === 401 || res.status === 403 || !res.body) {
        await res.body?.cancel();
        continue;
      }
      if (!res.ok) {
        await res.body.cancel();
        throw regErr('DENIED', `upstream ${u.name} refused blob ${digest} (${res.status})`);
      }
      started(Number(res.headers.get('content-length') ?? -1));
      return this.fill(u, image, digest, res.body, client);
    }
    if (lastError) throw regErr('UNAVAILABLE', `blob ${digest} is not cached and no upstream answered: ${lastError.message}`);
    throw regErr('BLOB_UNKNOWN', `blob ${digest} is in no upstream of this virtual registry`);
  }

  /** Streams an upstream body into storage (and to `client` while it listens); visible only once complete and verified. */
  private async fill(u: LinkedUpstream, image: string, digest: string, body: ReadableStream<Uint8Array>, client: Readable): Promise<{ digest: string; size: number; content_type: string }> {
    const temp = uploadDataPath(`virtual_registries/fills/${u.id}`, randomUUID());
    const writer = await this.driver.writer(temp, false);
    const hash = createHash('sha256');
    let size = 0;
    let listening = true;
    client.once('close', () => {
      listening = false;
    });
    try {
      for await (const chunk of Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        if (listening) client.push(Buffer.from(bytes));
        await writer.write(bytes);
      }
      await writer.commit();
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) throw new Error(`upstream ${u.name} sent bytes hashing to ${actual}, not ${digest}`);
      await this.content.adopt(temp, parseDigest(digest));
      await upsertCacheEntry(this.db, { upstream_id: u.id, relative_path: `${image}/blobs/${digest}`, digest, size, content_type: 'application/octet-stream' });
      this.metrics.bytes.inc({ direction: 'from_upstream' }, size);
      if (listening) client.push(null);
      return { digest, size, content_type: 'application/octet-stream' };
    } catch (err) {
      await writer.cancel().catch(() => undefined);
      await this.driver.delete(temp).catch(() => undefined);
      if (listening) client.destroy(err as Error);
      throw err;
    }
  }

  private blobHeaders(digest: string, size: number): Record<string, string> {
    return { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, ...(size >= 0 ? { 'Content-Length': String(size) } : {}), ETag: `"${digest}"`, 'Accept-Ranges': 'bytes' };
  }
}
