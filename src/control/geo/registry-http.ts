/**
 * The sync's view of one registry over HTTP: the primary's (read, with
 * pull-only tokens) or this site's own (written, with replication tokens).
 * Every failure becomes a SyncError whose message is the real reason an
 * operator reads in `last_sync_failure`: unreachable, 401 untrusted issuer,
 * digest mismatch, the registry's own OCI error.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** A reason a sync step failed. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

/** Every manifest format a registry may hold (SPEC 1.3), schema 1 included. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
].join(', ');

/** A fetched manifest, its bytes checked against its digest. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/** A descriptor as the referrers API lists it. */
export interface Descriptor {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly artifactType?: string;
}

const TIMEOUT_MS = 60_000;

/** One registry, one kind of token. */
export class SiteRegistry {
  constructor(
    /** `primary` or `local`, for messages. */
    readonly label: string,
    private readonly base: () => string,
    private readonly token: (path: string) => Promise<string>,
  ) {}

  /** A request with the token for `path`; the reason in a SyncError when the registry cannot be reached or refuses. */
  async call(method: string, urlPath: string, path: string, init: { headers?: Record<string, string>; body?: ReadableStream | Buffer; timeout?: number } = {}): Promise<Response> {
    const url = `${this.base()}${urlPath}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${await this.token(path)}`, ...(init.headers ?? {}) },
        ...(init.body ? { body: init.body, duplex: 'half' } : {}),
        signal: AbortSignal.timeout(init.timeout ?? TIMEOUT_MS),
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SyncError(`unreachable: the ${this.label} registry at ${this.base()} did not answer (${cause?.code ?? cause?.message ?? (err as Error).message})`);
    }
    if (res.status === 401 || res.status === 403) {
      const text = await res.text().catch(() => '');
      const detail = /"message"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 200);
      const hint = res.status === 401 ? ' (untrusted issuer: the sites must share the token signing key pair, issuer and service)' : '';
      throw new SyncError(`${res.status} from the ${this.label} registry on ${method} ${urlPath}: ${detail}${hint}`, res.status);
    }
    return res;
  }

  private async fail(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    const code = /"code"\s*:\s*"([^"]*)"/.exec(text)?.[1];
    throw new SyncError(`${what} on the ${this.label} registry failed with ${res.status}${code ? ` ${code}` : ''}`, res.status);
  }

  /** Every tag and its digest; undefined when the repository does not exist. Uses `/gitlab/v1` (one request per 1,000 tags). */
  async tags(path: string): Promise<Map<string, string> | undefined> {
    const out = new Map<string, string>();
    let next: string | undefined = `/gitlab/v1/repositories/${path}/tags/list/?n=1000`;
    while (next) {
      const res = await this.call('GET', next, path);
      if (res.status === 404) {
        await res.body?.cancel();
        return out.size === 0 ? undefined : out;
      }
      if (!res.ok) await this.fail(res, `listing the tags of ${path}`);
      for (const t of (await res.json()) as Array<{ name: string; digest: string }>) out.set(t.name, t.digest);
      next = nextPath(res.headers.get('link'));
    }
    return out;
  }

  /** A manifest by digest or tag, its bytes verified; undefined when absent. */
  async manifest(path: string, reference: string): Promise<FetchedManifest | undefined> {
    const res = await this.call('GET', `/v2/${path}/manifests/${reference}`, path, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) await this.fail(res, `reading manifest ${path}@${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const expected = reference.includes(':') ? reference : res.headers.get('docker-content-digest');
    // Schema 1 signed manifests are served with their signatures; their digest covers the payload without them.
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (expected && expected !== digest && !mediaType.includes('prettyjws')) throw new SyncError(`digest mismatch: manifest ${path}@${reference} from the ${this.label} registry hashes to ${digest}`);
    return { digest: expected ?? digest, mediaType, bytes };
  }

  /** True when the manifest exists. */
  async hasManifest(path: string, digest: string): Promise<boolean> {
    const res = await this.call('HEAD', `/v2/${path}/manifests/${digest}`, path, { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return false;
    if (!res.ok) await this.fail(res, `checking manifest ${path}@${digest}`);
    return true;
  }

  /** The referrers of a manifest (OCI 1.1): signatures, SBOMs, attestations. */
  async referrers(path: string, digest: string): Promise<Descriptor[]> {
    const res = await this.call('GET', `/v2/${path}/referrers/${digest}`, path, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    if (res.status === 404) {
      await res.body?.cancel();
      return [];
    }
    if (!res.ok) await this.fail(res, `listing the referrers of ${path}@${digest}`);
    const index = (await res.json()) as { manifests?: Descriptor[] };
    return Array.isArray(index.manifests) ? index.manifests : [];
  }

  /** A blob's size, or undefined when the repository does not have it. */
  async blobSize(path: string, digest: string): Promise<number | undefined> {
    const res = await this.call('HEAD', `/v2/${path}/blobs/${digest}`, path);
    if (res.status === 404) return undefined;
    if (!res.ok) await this.fail(res, `checking blob ${digest} of ${path}`);
    return Number(res.headers.get('content-length') ?? 0);
  }

  /** A blob's content as a stream (redirects to storage followed). */
  async blob(path: string, digest: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.call('GET', `/v2/${path}/blobs/${digest}`, path, { timeout: 3_600_000 });
    if (!res.ok || !res.body) await this.fail(res, `reading blob ${digest} of ${path}`);
    return res.body as ReadableStream<Uint8Array>;
  }

  /** The sha256 of a blob's bytes as this registry serves them (verification). */
  async hashBlob(path: string, digest: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of Readable.fromWeb((await this.blob(path, digest)) as import('node:stream/web').ReadableStream)) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }

  /** Links a blob this site already holds (any repository) into `path`; false when it holds none. */
  async mountAny(path: string, digest: string): Promise<boolean> {
    const res = await this.call('POST', `/v2/${path}/blobs/uploads/?mount=${digest}`, path);
    await res.body?.cancel();
    if (res.status === 201) return true;
    if (res.status === 202) {
      // Not held: give the opened session back.
      const location = res.headers.get('location');
      if (location)
        await this.call('DELETE', new URL(location, this.base()).pathname, path).then(
          (r) => r.body?.cancel(),
          () => undefined,
        );
      return false;
    }
    return this.fail(res, `mounting blob ${digest} into ${path}`);
  }

  /** Uploads a blob in one streamed PUT; the registry checks the digest. */
  async upload(path: string, digest: string, size: number | undefined, body: ReadableStream<Uint8Array>): Promise<void> {
    const start = await this.call('POST', `/v2/${path}/blobs/uploads/`, path);
    await start.body?.cancel();
    if (start.status !== 202) return this.fail(start, `starting an upload to ${path}`);
    const location = new URL(start.headers.get('location') ?? '', this.base());
    location.searchParams.set('digest', digest);
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (size !== undefined && size >= 0) headers['Content-Length'] = String(size);
    const res = await this.call('PUT', location.pathname + location.search, path, { headers, body, timeout: 3_600_000 });
    if (res.status === 400) {
      const text = await res.text();
      if (text.includes('DIGEST_INVALID')) throw new SyncError(`digest mismatch: blob ${digest} of ${path} as read from the primary does not hash to its digest`);
      throw new SyncError(`uploading blob ${digest} to ${path} failed with 400: ${text.slice(0, 200)}`);
    }
    if (res.status !== 201) return this.fail(res, `uploading blob ${digest} to ${path}`);
    await res.body?.cancel();
  }

  /** Stores a manifest under a digest or tag. */
  async putManifest(path: string, reference: string, m: FetchedManifest): Promise<void> {
    const res = await this.call('PUT', `/v2/${path}/manifests/${reference}`, path, { headers: { 'Content-Type': m.mediaType }, body: m.bytes });
    if (res.status !== 201) return this.fail(res, `storing manifest ${path}:${reference}`);
    await res.body?.cancel();
  }

  /** Deletes a tag or a manifest; false when it was not there. */
  async deleteManifest(path: string, reference: string): Promise<boolean> {
    const res = await this.call('DELETE', `/v2/${path}/manifests/${reference}`, path);
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (res.status !== 202) return this.fail(res, `deleting ${path}:${reference}`);
    return true;
  }

  /** Every repository name (`/v2/_catalog`, paginated). */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = '/v2/_catalog?n=1000';
    while (next) {
      const res = await this.call('GET', next, '');
      if (!res.ok) await this.fail(res, 'listing the catalog');
      const body = (await res.json()) as { repositories?: string[] };
      out.push(...(body.repositories ?? []));
      next = nextPath(res.headers.get('link'));
    }
    return out;
  }
}

/** The path and query of a `rel="next"` Link. */
function nextPath(header: string | null): string | undefined {
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) {
      const u = new URL(m[1] as string, 'http://link.invalid');
      return u.pathname + u.search;
    }
  }
  return undefined;
}
