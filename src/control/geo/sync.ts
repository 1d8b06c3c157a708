/**
 * Syncs one repository from the primary to this site (SPEC 7.2, 7.3): walks
 * the primary's graph, copies what is missing (child manifests and blobs
 * first, then each manifest, then its referrers, then the tag), removes tags
 * the primary no longer has and manifests it deleted, and verifies the
 * result. Every tag is tried; any failure fails the repository with "tag N of
 * M failed" and the reason: a repository is synced only when EVERYTHING was
 * copied (GitLab swallows per-tag errors, issues 431944 and 600486).
 * Idempotent: run twice, the second run copies nothing.
 */
import type { RepositoryGraph } from './graph.js';
import { graphBlobs, graphChecksum, walkGraph } from './graph.js';
import { SyncError, type SiteRegistry } from './registry-http.js';

/** What a sync did. */
export interface SyncOutcome {
  readonly removed: boolean;
  readonly manifestsCopied: number;
  readonly blobsCopied: number;
  readonly bytesCopied: number;
  readonly tagsSet: number;
  readonly tagsDeleted: number;
  readonly checksum: string;
  readonly verified: boolean;
  /** Digests of `pendingDeletes` handled (deleted here, or still on the primary). */
  readonly handledDeletes: readonly string[];
}

/** Options of one sync. */
export interface SyncOptions {
  /** Manifest digests the primary's events said were deleted. */
  readonly pendingDeletes: readonly string[];
  /** Hash every blob this site holds for the repository (a full verification). */
  readonly hashBlobs: boolean;
}

/** Thrown when the copy looks complete but this site's content does not match. */
export class VerificationError extends SyncError {}

/** Syncs `path` from `primary` into `local`. */
export async function syncRepository(primary: SiteRegistry, local: SiteRegistry, path: string, opts: SyncOptions): Promise<SyncOutcome> {
  const primaryTags = await primary.tags(path);
  const localTags = (await local.tags(path)) ?? new Map<string, string>();
  let tagsDeleted = 0;
  if (!primaryTags || primaryTags.size === 0) {
    // Deleted (or renamed away, or its last tag deleted) on the primary: so here, tags first, then the manifests they named.
    const digests = new Set(localTags.values());
    for (const tag of localTags.keys()) if (await local.deleteManifest(path, tag)) tagsDeleted++;
    for (const d of new Set([...digests, ...opts.pendingDeletes])) await local.deleteManifest(path, d).catch(() => false);
    return { removed: true, manifestsCopied: 0, blobsCopied: 0, bytesCopied: 0, tagsSet: 0, tagsDeleted, checksum: '', verified: true, handledDeletes: opts.pendingDeletes };
  }

  const stats = { manifests: 0, blobs: 0, bytes: 0, tags: 0 };
  const done = new Set<string>();
  const copyBlob = async (digest: string, size: number, force: boolean): Promise<void> => {
    if (!force) {
      const have = await local.blobSize(path, digest);
      if (have !== undefined && (size < 0 || have === size)) return;
      // Held by another repository here: link it, no bytes move.
      if (await local.mountAny(path, digest)) return;
    }
    await local.upload(path, digest, size >= 0 ? size : undefined, await primary.blob(path, digest));
    stats.blobs++;
    stats.bytes += Math.max(size, 0);
  };
  const copyManifest = async (g: RepositoryGraph, digest: string): Promise<void> => {
    if (done.has(digest)) return;
    done.add(digest);
    const m = g.manifests.get(digest);
    if (!m) throw new SyncError(`manifest ${digest} is not in the graph of ${path}`);
    for (const child of m.children) await copyManifest(g, child);
    if (!(await local.hasManifest(path, digest))) {
      for (const b of m.blobs) await copyBlob(b.digest, b.size, false);
      await local.putManifest(path, digest, m.manifest);
      stats.manifests++;
    }
    // Referrers after their subject, so the subject is there when they arrive.
    for (const r of m.referrers) await copyManifest(g, r);
  };

  const graph = await walkGraph(primary, path, primaryTags);
  const failures: string[] = [];
  const names = [...primaryTags.keys()].sort();
  for (const [i, tag] of names.entries()) {
    const digest = primaryTags.get(tag) as string;
    try {
      await copyManifest(graph, digest);
      if (localTags.get(tag) !== digest) {
        await local.putManifest(path, tag, graph.manifests.get(digest)!.manifest);
        stats.tags++;
      }
    } catch (err) {
      failures.push(`tag ${i + 1} of ${names.length} failed: ${tag}: ${(err as Error).message}`);
    }
  }
  for (const tag of localTags.keys()) {
    if (primaryTags.has(tag)) continue;
    try {
      if (await local.deleteManifest(path, tag)) tagsDeleted++;
    } catch (err) {
      failures.push(`removing tag ${tag}: ${(err as Error).message}`);
    }
  }
  const handled: string[] = [];
  for (const d of opts.pendingDeletes) {
    if (graph.manifests.has(d) || (await primary.hasManifest(path, d))) {
      handled.push(d);
      continue;
    }
    await local.deleteManifest(path, d);
    handled.push(d);
  }
  if (failures.length > 0) throw new SyncError(failures.length === 1 ? (failures[0] as string) : `${failures.length} failures; ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; …' : ''}`);

  // Verification: this site's graph, walked the same way, must hash the same; with hashBlobs, every blob's bytes too.
  const checksum = graphChecksum(graph);
  const mine = graphChecksum(await walkGraph(local, path, (await local.tags(path)) ?? new Map()));
  if (mine !== checksum) throw new VerificationError(`verification failed: this site's graph of ${path} hashes to ${mine}, the primary's to ${checksum}`);
  const copiedSomething = stats.manifests + stats.blobs > 0;
  if (opts.hashBlobs || copiedSomething) {
    for (const b of graphBlobs(graph)) {
      if ((await local.hashBlob(path, b.digest)) === b.digest) continue;
      // A corrupted copy: fetch it again (an upload replaces the stored bytes), then check once more.
      await copyBlob(b.digest, b.size, true);
      if ((await local.hashBlob(path, b.digest)) !== b.digest) throw new VerificationError(`verification failed: blob ${b.digest} of ${path} does not match its digest on this site, even after copying it again`);
    }
  }
  return {
    removed: false,
    manifestsCopied: stats.manifests,
    blobsCopied: stats.blobs,
    bytesCopied: stats.bytes,
    tagsSet: stats.tags,
    tagsDeleted,
    checksum,
    verified: opts.hashBlobs || copiedSomething,
    handledDeletes: handled,
  };
}
