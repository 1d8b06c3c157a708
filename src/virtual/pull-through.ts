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
import type { Writable } from 'node:stream';
import type { BlobContent } from '../core/blob-content.js';
import type { Database } from '../db/queryer.js';
import { parseDigest, tryParseDigest } from '../oci/digest.js';
import { regErr } from '../oci/errors.js';
import type { StorageDriver } from '../storage/driver.js';
import type { SecretBox } from './credentials.js';
import { cacheEntry, cachedDigest, cachedTags, revalidatedCacheEntry, upsertCacheEntry, upstreamsOf, upstreamsWithEntry, type CacheEntryRow, type LinkedUpstream } from './store.js';
import { UpstreamUnavailable, upstreamFetch, upstreamImage, type UpstreamTarget } from './upstream.js';
import type { VirtualMetrics } from './metrics.js';
import { BlobFill, type Fill } from './blob-fill.js';
import { beatFill, claimFill, fillClaim, HEARTBEAT_MS, releaseFill, setFillExpected } from './fill-claims.js';
import { RemoteFill } from './remote-fill.js';
import { markFill, newFillTemp, removeFill } from './fill-temp.js';
import { DownloadCounts } from './download-counts.js';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const MAX_MANIFEST = 4 * 1024 * 1024;
/** Tags asked of an upstream per page (ten pages at most). */
const TAGS_PAGE = 10_000;

/** What to send the client. */
export interface VirtualResponse {
  readonly headers: Record<string, string>;
  /** Bytes (manifests), a blob being filled (written into the response as the fill goes), or a stored blob to send. */
  readonly body: Buffer | { readonly follow: (dest: Writable) => Promise<void> } | { readonly stored: string; readonly size: number };
}

export class PullThrough {
  private readonly fills = new Map<string, Promise<CacheEntryRow | { digest: string; size: number; content_type: string }>>();
  private readonly blobFills = new Map<string, Promise<Fill | number>>();
  private readonly downloads: DownloadCounts;

  constructor(
    private readonly db: Database,
    private readonly content: BlobContent,
    private readonly driver: StorageDriver,
    private readonly box: SecretBox,
    private readonly metrics: VirtualMetrics,
  ) {
    this.downloads = new DownloadCounts(db);
  }

  private target(u: LinkedUpstream): UpstreamTarget {
    return { id: u.id, url: u.url, username: u.username, password: u.password_encrypted ? this.box.open(u.password_encrypted) : null };
  }

  private async upstreams(registryId: number): Promise<LinkedUpstream[]> {
    const ups = await upstreamsOf(this.db, registryId);
    if (ups.length === 0) throw regErr('NAME_UNKNOWN', `virtual registry ${registryId} does not exist or has no upstream`);
    return ups;
  }

  /**
   * One fetch per key at a time, shared by every waiting request: in this
   * process through the map; across processes through a claim row, whose
   * followers wait for it to end and then read what it stored (`after`).
   */
  private once<T extends object>(key: string, fill: () => Promise<T>, after: () => Promise<T>, settled: () => Promise<T | undefined>): Promise<T> {
    const running = this.fills.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = this.claimed(key, fill, after, settled).finally(() => this.fills.delete(key));
    this.fills.set(key, p as Promise<never>);
    return p;
  }

  private async claimed<T>(key: string, fill: () => Promise<T>, after: () => Promise<T>, settled: () => Promise<T | undefined>): Promise<T> {
    const mine = randomUUID();
    const run = async () => {
      try {
        // Another process may have done the work between this request's look and the claim.
        return (await settled()) ?? (await fill());
      } finally {
        await releaseFill(this.db, key, mine).catch(() => undefined);
      }
    };
    if (await claimFill(this.db, key, mine)) return run();
    // Another process is fetching it (a manifest: small, quick). A claim left by a dead process goes stale and is taken over.
    for (let i = 0; await fillClaim(this.db, key); i++) {
      if (i % 200 === 199 && (await claimFill(this.db, key, mine))) return run();
      await new Promise((r) => setTimeout(r, 25));
    }
    return after();
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
    const path = `${image}/manifests/${reference}`;
    // One query: the upstreams in order, each with its entry for this path.
    const linked = await upstreamsWithEntry(this.db, registryId, path);
    if (linked.length === 0) throw regErr('NAME_UNKNOWN', `virtual registry ${registryId} does not exist or has no upstream`);
    const ups = linked.map((l) => l.upstream);
    const wanted = accept && accept !== '*/*' ? accept : MANIFEST_ACCEPT;
    if (tryParseDigest(reference)) {
      // A digest's content is the same whichever upstream it came from.
      const hit = linked.find((l) => l.entry)?.entry;
      if (hit && (await this.content.size(parseDigest(hit.digest))) !== undefined) {
        this.metrics.requests.inc({ result: 'hit' });
        this.metrics.bytesSaved.inc(hit.size);
        this.downloads.add(hit.id);
        return this.manifestResponse(hit.digest, hit.content_type);
      }
    } else {
      for (const { upstream: u, entry } of linked) {
        // An entry whose bytes are gone (removed by hand, or by GC before its entry existed) is a miss.
        if (!entry || (await this.content.size(parseDigest(entry.digest))) === undefined) continue;
        const ageMs = Date.now() - new Date(entry.upstream_checked_at).getTime();
        if (u.cache_validity_hours === 0 || ageMs < u.cache_validity_hours * 3_600_000) {
          this.metrics.requests.inc({ result: 'hit' });
          this.metrics.bytesSaved.inc(entry.size);
          this.downloads.add(entry.id);
          return this.manifestResponse(entry.digest, entry.content_type);
        }
        // Stale: one HEAD to the upstream decides.
        try {
          const filled = await this.once(
            `manifest ${u.id} ${path}`,
            async () => {
              const t = this.target(u);
              const head = await upstreamFetch(t, 'HEAD', `/v2/${upstreamImage(t, image)}/manifests/${reference}`, { Accept: wanted });
              this.metrics.requests.inc({ result: 'revalidated' });
              if (head.ok && head.headers.get('docker-content-digest') === entry.digest) {
                await revalidatedCacheEntry(this.db, entry.id);
                return entry;
              }
              return (await this.fetchManifest(u, image, reference, wanted)) ?? entry;
            },
            async () => (await cacheEntry(this.db, u.id, path)) ?? entry,
            async () => {
              const now = await cacheEntry(this.db, u.id, path);
              return now && new Date(now.upstream_checked_at).getTime() !== new Date(entry.upstream_checked_at).getTime() ? now : undefined;
            },
          );
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
        const none = {} as { digest: string; size: number; content_type: string };
        const filled = await this.once(
          `manifest ${u.id} ${path}`,
          async () => (await this.fetchManifest(u, image, reference, wanted)) ?? none,
          async () => (await cacheEntry(this.db, u.id, path)) ?? none,
          async () => cacheEntry(this.db, u.id, path),
        );
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

  /**
   * The tags of an image: the union of what the upstreams that have it list
   * (every tag in it resolves through the registry), or, when none answers,
   * the tags cached from them.
   */
  async tags(registryId: number, image: string): Promise<string[]> {
    const ups = await this.upstreams(registryId);
    const tags = new Set<string>();
    let found = false;
    let unavailable = false;
    for (const u of ups) {
      const t = this.target(u);
      try {
        let next: string | undefined = `/v2/${upstreamImage(t, image)}/tags/list?n=${TAGS_PAGE}`;
        // Follows the upstream's pages, as far as a bounded listing goes.
        for (let page = 0; next && page < 10; page++) {
          const res: Response = await upstreamFetch(t, 'GET', next);
          if (!res.ok) {
            await res.body?.cancel();
            break;
          }
          found = true;
          for (const tag of ((await res.json()) as { tags?: string[] | null }).tags ?? []) tags.add(tag);
          next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1]?.replace(/^https?:\/\/[^/]+/, '');
        }
      } catch (err) {
        if (!(err instanceof UpstreamUnavailable)) throw err;
        this.metrics.upstreamErrors.inc();
        unavailable = true;
      }
    }
    if (unavailable || !found)
      for (const tag of await cachedTags(
        this.db,
        ups.map((u) => u.id),
        image,
      ))
        tags.add(tag);
    if (tags.size === 0 && !found) throw regErr('NAME_UNKNOWN', `${image} is in no upstream of virtual registry ${registryId}`);
    return [...tags].sort();
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
    const stored = hit ? await this.content.size(digest) : undefined;
    if (stored !== undefined && hit) {
      this.metrics.requests.inc({ result: 'hit' });
      if (method === 'GET') this.metrics.bytesSaved.inc(stored);
      this.downloads.add(hit.id);
      return { headers: this.blobHeaders(digest.value, stored), body: { stored: digest.value, size: stored } };
    }
    if (method === 'HEAD') {
      this.metrics.requests.inc({ result: 'miss' });
      return this.headUncached(ups, image, digest.value);
    }
    // One fill per blob, registered before the first upstream request: every concurrent request follows it,
    // in this process through the map, in the others through the claim row.
    // Keyed by registry: a client of one registry never follows a fill from another group's upstreams.
    const key = `blob ${registryId} ${digest.value}`;
    let fill = this.blobFills.get(key);
    const joined = fill !== undefined;
    if (!fill) {
      fill = this.startOrFollow(ups, image, digest.value, key);
      this.blobFills.set(key, fill);
      const forget = () => this.blobFills.delete(key);
      fill.then((f) => (typeof f === 'number' ? forget() : f.done.then(forget, forget)), forget);
    }
    const running = await fill;
    if (typeof running === 'number') {
      // Another process stored it while this one looked.
      this.metrics.requests.inc({ result: 'joined' });
      this.metrics.bytesSaved.inc(running);
      return { headers: this.blobHeaders(digest.value, running), body: { stored: digest.value, size: running } };
    }
    if (joined || running instanceof RemoteFill) {
      // A client of an upstream GET already running: its bytes are saved as much as a hit's.
      this.metrics.requests.inc({ result: 'joined' });
      if (running.expected > 0) this.metrics.bytesSaved.inc(running.expected);
    } else this.metrics.requests.inc({ result: 'miss' });
    return { headers: this.blobHeaders(digest.value, running.expected), body: { follow: (dest) => running.sendTo(dest) } };
  }

  /**
   * Claims the fill of a blob and starts it, or follows the fill another
   * process claimed (once it knows the size), or finds it stored already.
   */
  private async startOrFollow(ups: LinkedUpstream[], image: string, digest: string, key: string): Promise<Fill | number> {
    for (;;) {
      const { id, temp } = newFillTemp();
      if (await claimFill(this.db, key, temp)) {
        // Another process may have stored it between this request's look and the claim.
        const stored = await this.storedEntry(ups, image, digest);
        if (stored === undefined) return this.fillFromUpstreams(ups, image, digest, key, id, temp);
        await releaseFill(this.db, key, temp).catch(() => undefined);
        return stored;
      }
      const claim = await fillClaim(this.db, key);
      if (claim && claim.expected !== null) return new RemoteFill(this.db, this.driver, this.content, key, claim.temp_path, digest, claim.expected);
      if (!claim) {
        const size = await this.storedEntry(ups, image, digest);
        if (size !== undefined) return size;
      }
      // The claimer is waiting for its upstream's answer (or its claim just ended): look again.
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The size of a blob cached under one of `ups` and present in storage, else undefined. */
  private async storedEntry(ups: LinkedUpstream[], image: string, digest: string): Promise<number | undefined> {
    const entry = await cachedDigest(
      this.db,
      ups.map((u) => u.id),
      `${image}/blobs/${digest}`,
    );
    return entry ? this.content.size(parseDigest(digest)) : undefined;
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

  /** Tries upstreams in order, holding the claim on `key`; the first that answers with the blob starts the fill into `temp`. */
  private async fillFromUpstreams(ups: LinkedUpstream[], image: string, digest: string, key: string, id: string, temp: string): Promise<Fill> {
    const beat = setInterval(() => void beatFill(this.db, key, temp).catch(() => undefined), HEARTBEAT_MS);
    const release = async () => {
      clearInterval(beat);
      await removeFill(this.driver, id);
      await releaseFill(this.db, key, temp).catch(() => undefined);
    };
    try {
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
        const announced = Number(res.headers.get('content-length') ?? -1);
        const expected = Number.isSafeInteger(announced) && announced >= 0 ? announced : -1;
        await markFill(this.driver, id);
        const fill = new BlobFill(this.driver, this.content, temp, digest, expected, res.body as import('node:stream/web').ReadableStream<Uint8Array>, async (size) => {
          await upsertCacheEntry(this.db, { upstream_id: u.id, relative_path: `${image}/blobs/${digest}`, digest, size, content_type: 'application/octet-stream' });
          this.metrics.bytes.inc({ direction: 'from_upstream' }, size);
        });
        // Followers in other processes answer once they know the size.
        await setFillExpected(this.db, key, temp, expected);
        fill.done.then(release, release);
        return fill;
      }
      if (lastError) throw regErr('UNAVAILABLE', `blob ${digest} is not cached and no upstream answered: ${lastError.message}`);
      throw regErr('BLOB_UNKNOWN', `blob ${digest} is in no upstream of this virtual registry`);
    } catch (err) {
      await release();
      throw err;
    }
  }

  private blobHeaders(digest: string, size: number): Record<string, string> {
    return { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, ...(size >= 0 ? { 'Content-Length': String(size) } : {}), ETag: `"${digest}"`, 'Accept-Ranges': 'bytes' };
  }
}
