/**
 * Offline garbage collection, mark phase (legacy metadata), as CNCF
 * Distribution's `garbage-collect`: every manifest revision of every
 * repository is in use, with every blob and child manifest it references.
 * With `removeUntagged` (`-m`) only manifests reachable from a tag are in use:
 * tagged ones, the children of a kept index (Distribution 2.8 deletes those,
 * which breaks multi-arch pulls), and artifacts whose subject is kept; the
 * other revisions are listed for deletion. Reads only: stopping here changes
 * nothing.
 */
import { parseManifest } from '../../manifest/parse.js';
import { legacyRepositories, legacyRevisions, legacyTags } from '../../metadata/legacy/legacy-reader.js';
import type { Digest } from '../../oci/digest.js';
import { getContentOrUndefined, type StorageDriver } from '../../storage/driver.js';
import { blobDataPath } from '../../storage/layout.js';

/** What the mark phase found. */
export interface MarkResult {
  /** Digests (blobs and manifests) in use. */
  readonly marked: Set<string>;
  /** Untagged manifest revisions to delete (`-m`). */
  readonly untagged: Array<{ repository: string; digest: Digest }>;
  readonly repositories: number;
  readonly manifests: number;
}

/** Progress callback: `done` of `total` repositories. */
export type Progress = (done: number, total: number) => void;

const PERMISSIVE = { schema1: true, urls: { allow: [/.*/], deny: [] } };

interface Refs {
  blobs: Digest[];
  children: Digest[];
  subject?: Digest | undefined;
}

async function referencesOf(driver: StorageDriver, d: Digest, cache: Map<string, Refs | null>): Promise<Refs | null> {
  if (cache.has(d.value)) return cache.get(d.value)!;
  const payload = await getContentOrUndefined(driver, blobDataPath(d));
  let refs: Refs | null = null;
  if (payload) {
    try {
      const parsed = parseManifest(payload, undefined, PERMISSIVE);
      refs = { blobs: parsed.blobs.map((b) => b.digest), children: parsed.manifests.map((m) => m.digest), subject: parsed.subject };
    } catch {
      refs = null; // unreadable: only the revision itself is kept, as Distribution does
    }
  }
  cache.set(d.value, refs);
  return refs;
}

/** Marks what is in use; `signal` stops between repositories. */
export async function markInUse(driver: StorageDriver, opts: { removeUntagged: boolean; signal?: AbortSignal; onProgress?: Progress }): Promise<MarkResult> {
  const marked = new Set<string>();
  const untagged: MarkResult['untagged'] = [];
  const cache = new Map<string, Refs | null>();
  const repos = await legacyRepositories(driver);
  let manifests = 0;
  for (const [i, repo] of repos.entries()) {
    opts.signal?.throwIfAborted();
    const revisions = await legacyRevisions(driver, repo);
    manifests += revisions.length;
    let kept: Set<string>;
    if (!opts.removeUntagged) {
      kept = new Set(revisions.map((d) => d.value));
    } else {
      kept = new Set((await legacyTags(driver, repo)).map((t) => t.digest.value));
      // Children of kept indexes, and artifacts whose subject is kept, until nothing changes.
      for (let changed = true; changed; ) {
        changed = false;
        for (const d of revisions) {
          const refs = await referencesOf(driver, d, cache);
          if (kept.has(d.value)) {
            for (const c of refs?.children ?? []) {
              if (kept.has(c.value)) continue;
              kept.add(c.value);
              changed = true;
            }
          } else if (refs?.subject && kept.has(refs.subject.value)) {
            kept.add(d.value);
            changed = true;
          }
        }
      }
      for (const d of revisions) if (!kept.has(d.value)) untagged.push({ repository: repo, digest: d });
    }
    for (const d of revisions) {
      if (!kept.has(d.value)) continue;
      marked.add(d.value);
      const refs = await referencesOf(driver, d, cache);
      for (const b of refs?.blobs ?? []) marked.add(b.value);
      for (const c of refs?.children ?? []) marked.add(c.value);
    }
    opts.onProgress?.(i + 1, repos.length);
  }
  return { marked, untagged, repositories: repos.length, manifests };
}
