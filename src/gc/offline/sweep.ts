/**
 * Offline garbage collection, sweep phase: removes the revision links of the
 * untagged manifests found by the mark (with `-m`), then every blob under
 * `blobs/` that is not marked, each blob directory at once. A dry run counts
 * without deleting.
 */
import { parseDigest, type Digest } from '../../oci/digest.js';
import { deleteIfExists, listOrEmpty, statOrUndefined, type StorageDriver } from '../../storage/driver.js';
import { baseName, blobDataPath, blobDir, BLOBS_ROOT, revisionLinkPath } from '../../storage/layout.js';
import type { MarkResult, Progress } from './mark.js';

/** What the sweep did (or would do). */
export interface SweepResult {
  manifestsDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
  blobsKept: number;
}

/** Every blob digest in storage. */
export async function storedBlobs(driver: StorageDriver): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await listOrEmpty(driver, BLOBS_ROOT)) {
    for (const prefix of await listOrEmpty(driver, alg)) {
      for (const dir of await listOrEmpty(driver, prefix)) {
        try {
          out.push(parseDigest(`${baseName(alg)}:${baseName(dir)}`));
        } catch {
          /* not a blob directory */
        }
      }
    }
  }
  return out;
}

/** Sweeps what the mark did not keep. */
export async function sweep(driver: StorageDriver, mark: MarkResult, opts: { dryRun: boolean; onProgress?: Progress }): Promise<SweepResult> {
  const result: SweepResult = { manifestsDeleted: 0, blobsDeleted: 0, bytesFreed: 0, blobsKept: 0 };
  for (const { repository, digest } of mark.untagged) {
    if (!opts.dryRun) await deleteIfExists(driver, revisionLinkPath(repository, digest).replace(/\/link$/, ''));
    result.manifestsDeleted++;
  }
  const blobs = await storedBlobs(driver);
  for (const [i, d] of blobs.entries()) {
    if (mark.marked.has(d.value)) {
      result.blobsKept++;
    } else {
      result.bytesFreed += (await statOrUndefined(driver, blobDataPath(d)))?.size ?? 0;
      if (!opts.dryRun) await deleteIfExists(driver, blobDir(d));
      result.blobsDeleted++;
    }
    opts.onProgress?.(i + 1, blobs.length);
  }
  return result;
}
