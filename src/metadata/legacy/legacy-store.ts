/**
 * Legacy metadata: Distribution's link files in storage (see storage/layout.ts).
 * A data directory written by CNCF Distribution reads the same here, and the
 * reverse. Referrers, which Distribution 2.x does not index, get Wharf's own
 * `_referrers` links that Distribution ignores.
 */
import { baseName, layerLinkPath, referrerLinkPath, referrersDir, repoDir, REPOSITORIES_ROOT, revisionLinkPath, tagCurrentLinkPath, tagDir, tagIndexLinkPath, tagsDir } from '../../storage/layout.js';
import { deleteIfExists, listOrEmpty, statOrUndefined, type StorageDriver } from '../../storage/driver.js';
import { tryParseDigest, type Digest } from '../../oci/digest.js';
import type { ManifestRecord, MetadataStore, Page } from '../store.js';
import { ensureLink, readLink, writeLink } from './link-files.js';

function paginate(sorted: string[], limit: number, last?: string): Page<string> {
  const start = last === undefined ? 0 : sorted.findIndex((s) => s > last);
  const from = start === -1 ? sorted.length : start;
  const items = sorted.slice(from, from + limit);
  return { items, more: from + limit < sorted.length };
}

/** Depth-first walk collecting every directory that holds `_manifests` (a repository). */
export async function collectRepositories(driver: StorageDriver, dir: string, prefix: string, out: string[]): Promise<void> {
  const children = await listOrEmpty(driver, dir);
  const names = children.map(baseName);
  if (prefix && names.includes('_manifests')) out.push(prefix);
  await Promise.all(names.filter((n) => !n.startsWith('_')).map((n) => collectRepositories(driver, `${dir}/${n}`, prefix ? `${prefix}/${n}` : n, out)));
}

/** Creates the legacy store over a (checked) driver. */
export function legacyMetadataStore(driver: StorageDriver): MetadataStore {
  const exists = async (p: string): Promise<boolean> => (await statOrUndefined(driver, p)) !== undefined;

  const tagsOf = async (name: string, digest: Digest): Promise<string[]> => {
    const tags = (await listOrEmpty(driver, tagsDir(name))).map(baseName);
    const current = await Promise.all(tags.map(async (t) => ((await readLink(driver, tagCurrentLinkPath(name, t)))?.value === digest.value ? t : undefined)));
    return current.filter((t): t is string => t !== undefined);
  };

  return {
    mode: 'legacy',

    async listRepositories(limit, last) {
      const out: string[] = [];
      await collectRepositories(driver, REPOSITORIES_ROOT, '', out);
      return paginate(out.sort(), limit, last);
    },

    isBlobLinked: async (name, digest) => (await readLink(driver, layerLinkPath(name, digest)))?.value === digest.value,

    async linkBlob(name, digest, _size, ensureStored) {
      await ensureStored();
      await writeLink(driver, layerLinkPath(name, digest), digest);
    },

    async unlinkBlob(name, digest) {
      const path = layerLinkPath(name, digest);
      if (!(await exists(path))) return false;
      await deleteIfExists(driver, path.slice(0, -'/link'.length));
      return true;
    },

    isManifestLinked: async (name, digest) => (await readLink(driver, revisionLinkPath(name, digest)))?.value === digest.value,

    storesPayloads: false,

    manifestPayload: async () => undefined,

    async putManifest(name, record: ManifestRecord, tag?: string) {
      await ensureLink(driver, revisionLinkPath(name, record.digest), record.digest);
      if (record.subject) await ensureLink(driver, referrerLinkPath(name, record.subject, record.digest), record.digest);
      if (tag === undefined) return false;
      // History entry first, then the current pointer (Distribution's order).
      await ensureLink(driver, tagIndexLinkPath(name, tag, record.digest), record.digest);
      await ensureLink(driver, tagCurrentLinkPath(name, tag), record.digest);
      return false;
    },

    async deleteManifest(name, digest) {
      const path = revisionLinkPath(name, digest);
      if (!(await exists(path))) return false;
      // Tags first, as Distribution does: a tag must never point at a deleted revision.
      for (const tag of await tagsOf(name, digest)) await deleteIfExists(driver, tagDir(name, tag));
      await deleteIfExists(driver, path.slice(0, -'/link'.length));
      await removeReferrerLinks(driver, name, digest);
      return true;
    },

    resolveTag: (name, tag) => readLink(driver, tagCurrentLinkPath(name, tag)),

    async untag(name, tag) {
      if (!(await exists(tagDir(name, tag)))) return false;
      await deleteIfExists(driver, tagDir(name, tag));
      return true;
    },

    async listTags(name, limit, last) {
      if (!(await exists(repoDir(name)))) return undefined;
      const tags = (await listOrEmpty(driver, tagsDir(name))).map(baseName).sort();
      return paginate(tags, limit, last);
    },

    async listReferrers(name, subject) {
      const dir = referrersDir(name, subject);
      const out: Digest[] = [];
      for (const algDir of await listOrEmpty(driver, dir)) {
        for (const entry of await listOrEmpty(driver, algDir)) {
          const d = tryParseDigest(`${baseName(algDir)}:${baseName(entry)}`);
          if (d && (await readLink(driver, revisionLinkPath(name, d)))?.value === d.value) out.push(d);
        }
      }
      return out;
    },
  };
}

/** Removes the referrer link of `digest` under whatever subject it was filed. */
async function removeReferrerLinks(driver: StorageDriver, name: string, digest: Digest): Promise<void> {
  const root = `${repoDir(name)}/_referrers`;
  for (const alg of await listOrEmpty(driver, root)) {
    for (const subject of await listOrEmpty(driver, alg)) {
      await deleteIfExists(driver, `${subject}/${digest.algorithm}/${digest.hex}`);
    }
  }
}
