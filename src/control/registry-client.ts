/**
 * The control plane's calls to the registry (SPEC 4.7), each with its own
 * token: signed by the control plane's key, valid for at most 10 minutes,
 * restricted to the one project path (and the paths under it) it concerns.
 * Tag listings use the `/gitlab/v1` API when the registry has its metadata
 * database, and `/v2/<name>/tags/list` otherwise.
 */
import { CONTROL_PLANE_SUBJECT, type AccessEntry, type AccessMeta } from '../auth/claims.js';
import type { TokenIssuer } from './token-issuer.js';

/** A tag as the control plane shows it. */
export interface RegistryTag {
  readonly name: string;
  readonly digest?: string | undefined;
  readonly media_type?: string | undefined;
  readonly size_bytes?: number | undefined;
  readonly created_at?: string | undefined;
  readonly published_at?: string | undefined;
}

/** An error talking to the registry. */
export class RegistryCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The registry's OCI error code, when it answered one (PROTECTED_TAG, UNSUPPORTED, …). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryCallError';
  }
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** The path and query of the `rel="next"` entry of a Link header (there may be a `previous` one too). */
function nextLink(header: string | null, base: string): string | undefined {
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (m) {
      const u = new URL(m[1]!, base);
      return u.pathname + u.search;
    }
  }
  return undefined;
}

/** Lifetime of the control plane's own tokens (seed 002: 10 minutes). */
const TOKEN_SECONDS = 600;

/** Talks to one registry. */
export class RegistryClient {
  /** `baseUrl` is asked for on each call: a node's own address is known only once it listens. */
  constructor(
    private readonly base: () => string,
    private readonly issuer: TokenIssuer,
  ) {}

  private get baseUrl(): string {
    return this.base();
  }

  private async token(path: string, actions: string[], meta?: AccessMeta): Promise<string> {
    const access: AccessEntry[] = [
      { type: 'repository', name: path, actions, ...(meta ? { meta } : {}) },
      { type: 'repository', name: `${path}/*`, actions, ...(meta ? { meta } : {}) },
    ];
    return (await this.issuer.issue({ subject: CONTROL_PLANE_SUBJECT, authType: 'gitlab_or_ldap', access, lifetimeSeconds: TOKEN_SECONDS })).token;
  }

  private async call(method: string, path: string, scopePath: string, actions: string[], headers: Record<string, string> = {}, meta?: AccessMeta): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    try {
      return await fetch(url, { method, headers: { Authorization: `Bearer ${await this.token(scopePath, actions, meta)}`, ...headers }, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new RegistryCallError(`the registry at ${this.baseUrl} is not reachable: ${(err as Error).message}`);
    }
  }

  /** The referrers of a manifest (signatures, SBOMs, attestations), from the registry's referrers API. */
  async referrers(path: string, digest: string): Promise<Array<{ digest: string; artifactType: string | null; mediaType: string; size: number; annotations: Record<string, string> }>> {
    const res = await this.call('GET', `/v2/${path}/referrers/${digest}`, path, ['pull']);
    if (res.status === 404) return [];
    if (!res.ok) throw new RegistryCallError(`listing referrers of ${path}@${digest} failed with ${res.status}`, res.status);
    const index = (await res.json()) as { manifests?: Array<{ digest: string; artifactType?: string; mediaType: string; size: number; annotations?: Record<string, string> }> };
    return (index.manifests ?? []).map((m) => ({ digest: m.digest, artifactType: m.artifactType ?? null, mediaType: m.mediaType, size: m.size, annotations: m.annotations ?? {} }));
  }

  /** Every tag of a repository, by name. */
  async tags(path: string): Promise<RegistryTag[]> {
    const out: RegistryTag[] = [];
    let next: string | undefined = `/gitlab/v1/repositories/${path}/tags/list/?n=1000`;
    while (next) {
      const res = await this.call('GET', next, path, ['pull']);
      if (res.status === 404 && out.length === 0) {
        const body = (await res.json().catch(() => ({}))) as { errors?: Array<{ code?: string }> };
        // No /gitlab/v1 (legacy metadata): the plain tag list, names only.
        if (body.errors?.[0]?.code !== 'NAME_UNKNOWN') return this.plainTags(path);
        return [];
      }
      if (!res.ok) throw new RegistryCallError(`listing tags of ${path} failed with ${res.status}`, res.status);
      const page = (await res.json()) as Array<{ name: string; digest?: string; media_type?: string; size_bytes?: number; created_at?: string; published_at?: string }>;
      out.push(...page.map((t) => ({ name: t.name, digest: t.digest, media_type: t.media_type, size_bytes: t.size_bytes, created_at: t.created_at, published_at: t.published_at })));
      next = nextLink(res.headers.get('link'), this.baseUrl);
    }
    return out;
  }

  private async plainTags(path: string): Promise<RegistryTag[]> {
    const res = await this.call('GET', `/v2/${path}/tags/list`, path, ['pull']);
    if (res.status === 404) return [];
    if (!res.ok) throw new RegistryCallError(`listing tags of ${path} failed with ${res.status}`, res.status);
    const body = (await res.json()) as { tags?: string[] | null };
    return (body.tags ?? []).map((name) => ({ name }));
  }

  /** The deduplicated size of a repository (database mode), or undefined when the registry cannot say. */
  async size(path: string): Promise<number | undefined> {
    const res = await this.call('GET', `/gitlab/v1/repositories/${path}/?size=self`, path, ['pull']);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { size_bytes?: number };
    return body.size_bytes;
  }

  /**
   * The layers (digest and size) of the image a reference names; for an
   * index or manifest list, of every image it lists. Schema 1 manifests carry
   * no sizes and count for nothing.
   */
  async layers(path: string, reference: string, depth = 0): Promise<Array<{ digest: string; size: number }>> {
    const res = await this.call('GET', `/v2/${path}/manifests/${reference}`, path, ['pull'], { Accept: MANIFEST_ACCEPT });
    if (res.status === 404) return [];
    if (!res.ok) throw new RegistryCallError(`reading ${path}:${reference} failed with ${res.status}`, res.status);
    const body = (await res.json()) as { layers?: Array<{ digest: string; size: number }>; manifests?: Array<{ digest: string }> };
    if (Array.isArray(body.manifests) && depth < 2) {
      const out = [];
      for (const m of body.manifests) out.push(...(await this.layers(path, m.digest, depth + 1)));
      return out;
    }
    return (body.layers ?? []).filter((l) => typeof l.digest === 'string' && typeof l.size === 'number');
  }

  /**
   * Deletes a tag as an actor whose tag rules are `meta` (control/registry/
   * tag-protection.ts): the token carries them, so the registry refuses a
   * protected or immutable tag itself. False when the tag did not exist.
   */
  async deleteTag(path: string, tag: string, meta: AccessMeta): Promise<boolean> {
    const res = await this.call('DELETE', `/v2/${path}/manifests/${encodeURIComponent(tag)}`, path, ['delete'], {}, meta);
    if (res.status === 404) return false;
    if (!res.ok) {
      const text = await res.text();
      const code = (() => {
        try {
          return (JSON.parse(text) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;
        } catch {
          return undefined;
        }
      })();
      throw new RegistryCallError(`deleting ${path}:${tag} failed with ${res.status}: ${text.slice(0, 300)}`, res.status, code);
    }
    return true;
  }
}
