/**
 * Read-only enumeration of legacy metadata for the importer: every
 * repository, and in each its manifest revisions, tags and linked blobs.
 */
import { baseName, layersDir, REPOSITORIES_ROOT, revisionsDir, tagCurrentLinkPath, tagsDir } from '../../storage/layout.js';
import { listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { tryParseDigest, type Digest } from '../../oci/digest.js';
import { collectRepositories } from './legacy-store.js';
import { readLink } from './link-files.js';

/** Every repository name, sorted. */
export async function legacyRepositories(driver: StorageDriver): Promise<string[]> {
  const out: string[] = [];
  await collectRepositories(driver, REPOSITORIES_ROOT, '', out);
  return out.sort();
}

/** Digests under `<dir>/<alg>/<hex>/link` whose link is valid. */
async function linkedDigests(driver: StorageDriver, dir: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await listOrEmpty(driver, dir)) {
    for (const entry of await listOrEmpty(driver, alg)) {
      const d = tryParseDigest(`${baseName(alg)}:${baseName(entry)}`);
      if (d && (await readLink(driver, `${entry}/link`))?.value === d.value) out.push(d);
    }
  }
  return out;
}

/** Manifest revisions of a repository. */
export const legacyRevisions = (driver: StorageDriver, name: string): Promise<Digest[]> => linkedDigests(driver, revisionsDir(name));

/** Blobs linked into a repository (`_layers`). */
export const legacyLayerLinks = (driver: StorageDriver, name: string): Promise<Digest[]> => linkedDigests(driver, layersDir(name));

/** Tags of a repository with the digest each points at. */
export async function legacyTags(driver: StorageDriver, name: string): Promise<Array<{ tag: string; digest: Digest }>> {
  const out: Array<{ tag: string; digest: Digest }> = [];
  for (const dir of await listOrEmpty(driver, tagsDir(name))) {
    const tag = baseName(dir);
    const digest = await readLink(driver, tagCurrentLinkPath(name, tag));
    if (digest) out.push({ tag, digest });
  }
  return out.sort((a, b) => (a.tag < b.tag ? -1 : 1));
}
