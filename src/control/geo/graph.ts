/**
 * A repository's whole content graph as a registry serves it: tags → the
 * manifests they name → child manifests (indexes), referrers (OCI 1.1
 * subjects: signatures, SBOMs, attestations) → blobs with sizes. The sync
 * copies what it finds; verification walks both sites with this same code
 * and compares the checksums (GitLab's Geo hashes only the tag list).
 */
import { createHash } from 'node:crypto';
import type { FetchedManifest, SiteRegistry } from './registry-http.js';
import { SyncError } from './registry-http.js';

/** A blob a manifest references (size -1 where the format gives none: schema 1). */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

/** One manifest of the graph. */
export interface GraphManifest {
  readonly manifest: FetchedManifest;
  readonly children: readonly string[];
  readonly blobs: readonly BlobRef[];
  readonly referrers: readonly string[];
}

/** The graph of one repository. */
export interface RepositoryGraph {
  readonly tags: ReadonlyMap<string, string>;
  readonly manifests: ReadonlyMap<string, GraphManifest>;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Foreign (non-distributable) layers live elsewhere; registries do not hold them. */
const isForeign = (d: { mediaType?: unknown; urls?: unknown }) => (typeof d.mediaType === 'string' && /foreign|nondistributable/.test(d.mediaType)) || Array.isArray(d.urls);

/** What a manifest references, from its JSON (every format of SPEC 1.3). */
export function referencesOf(bytes: Buffer): { children: string[]; blobs: BlobRef[] } {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SyncError('a manifest on the primary is not JSON');
  }
  const children: string[] = [];
  const blobs: BlobRef[] = [];
  const desc = (d: unknown): { digest: string; size: number; mediaType?: unknown; urls?: unknown } | undefined => {
    if (!d || typeof d !== 'object') return undefined;
    const o = d as { digest?: unknown; size?: unknown };
    return typeof o.digest === 'string' && DIGEST.test(o.digest) ? { ...(d as object), digest: o.digest, size: typeof o.size === 'number' ? o.size : -1 } : undefined;
  };
  if (Array.isArray(doc.manifests)) for (const m of doc.manifests) desc(m) && children.push((desc(m) as { digest: string }).digest);
  const config = desc(doc.config);
  if (config) blobs.push({ digest: config.digest, size: config.size });
  if (Array.isArray(doc.layers)) {
    for (const l of doc.layers) {
      const d = desc(l);
      if (d && !isForeign(d)) blobs.push({ digest: d.digest, size: d.size });
    }
  }
  // OCI artifact manifests (`blobs`) and schema 1 (`fsLayers[].blobSum`, no sizes).
  if (Array.isArray(doc.blobs)) for (const b of doc.blobs) desc(b) && blobs.push({ digest: (desc(b) as BlobRef).digest, size: (desc(b) as BlobRef).size });
  if (Array.isArray(doc.fsLayers)) {
    for (const l of doc.fsLayers as Array<{ blobSum?: unknown }>) if (typeof l?.blobSum === 'string' && DIGEST.test(l.blobSum)) blobs.push({ digest: l.blobSum, size: -1 });
  }
  const seen = new Set<string>();
  return { children, blobs: blobs.filter((b) => !seen.has(b.digest) && seen.add(b.digest) !== undefined) };
}

/** Manifests reached per repository at most (a bound against a runaway graph). */
const MAX_MANIFESTS = 100_000;

/** Walks a repository from `tags`; a manifest a tag names but the registry lacks is an error. */
export async function walkGraph(registry: SiteRegistry, path: string, tags: ReadonlyMap<string, string>): Promise<RepositoryGraph> {
  const manifests = new Map<string, GraphManifest>();
  const visit = async (digest: string, depth: number): Promise<void> => {
    if (manifests.has(digest)) return;
    if (depth > 8 || manifests.size >= MAX_MANIFESTS) throw new SyncError(`the graph of ${path} is too deep or too large at ${digest}`);
    const manifest = await registry.manifest(path, digest);
    if (!manifest) throw new SyncError(`manifest ${digest} of ${path} is missing on the ${registry.label} registry`);
    const { children, blobs } = referencesOf(manifest.bytes);
    const referrers = manifest.mediaType.includes('prettyjws') ? [] : (await registry.referrers(path, digest)).map((r) => r.digest);
    manifests.set(digest, { manifest, children, blobs, referrers });
    for (const c of children) await visit(c, depth + 1);
    for (const r of referrers) await visit(r, depth + 1);
  };
  for (const digest of new Set(tags.values())) await visit(digest, 0);
  return { tags, manifests };
}

/** A checksum over the whole graph: tags, manifests, referrers, blob digests and sizes. */
export function graphChecksum(g: RepositoryGraph): string {
  const lines: string[] = [];
  for (const [tag, digest] of g.tags) lines.push(`tag ${tag} ${digest}`);
  for (const [digest, m] of g.manifests) {
    lines.push(`manifest ${digest} ${m.manifest.mediaType}`);
    for (const r of m.referrers) lines.push(`referrer ${digest} ${r}`);
    for (const b of m.blobs) lines.push(`blob ${b.digest} ${b.size}`);
  }
  lines.sort();
  return `sha256:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
}

/** Every blob of the graph, once. */
export function graphBlobs(g: RepositoryGraph): BlobRef[] {
  const out = new Map<string, BlobRef>();
  for (const m of g.manifests.values()) for (const b of m.blobs) out.set(b.digest, b);
  return [...out.values()];
}
