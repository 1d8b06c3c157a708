/**
 * Reading and writing Distribution's link files: a small object holding one
 * digest string.
 */
import { getContentOrUndefined, type StorageDriver } from '../../storage/driver.js';
import { tryParseDigest, type Digest } from '../../oci/digest.js';

/** Reads a link; undefined when it is missing or does not hold a valid digest. */
export async function readLink(driver: StorageDriver, path: string): Promise<Digest | undefined> {
  const content = await getContentOrUndefined(driver, path);
  return content ? tryParseDigest(content.toString('utf8').trim()) : undefined;
}

/** Writes a link atomically. */
export function writeLink(driver: StorageDriver, path: string, digest: Digest): Promise<void> {
  return driver.putContent(path, Buffer.from(digest.value));
}

/** Writes a link unless it already holds `digest`: one read instead of a write for re-pushes. */
export async function ensureLink(driver: StorageDriver, path: string, digest: Digest): Promise<void> {
  if ((await readLink(driver, path))?.value !== digest.value) await writeLink(driver, path, digest);
}
