/**
 * Where a blob fill's temporary object lives: where an upload would
 * (`repositories/virtual_registries/fills/_uploads/<uuid>/data`), marked like
 * a monolithic upload. A fill is one upstream response that nothing can
 * resume, so what a killed process leaves behind is reclaimed by the upload
 * purger once idle for `maintenance.uploadpurging.abandonedage` (1 h), not
 * after the week resumable uploads get.
 */
import { randomUUID } from 'node:crypto';
import type { StorageDriver } from '../storage/driver.js';
import { uploadDataPath, uploadDir, uploadMonolithicPath, uploadStartedAtPath } from '../storage/layout.js';

const FILLS = 'virtual_registries/fills';

/** A new fill's temporary object (its `data` path); the id is its directory's name. */
export function newFillTemp(): { id: string; temp: string } {
  const id = randomUUID();
  return { id, temp: uploadDataPath(FILLS, id) };
}

/** Marks the fill's directory as a session the purger may reclaim once idle. */
export async function markFill(driver: StorageDriver, id: string): Promise<void> {
  await driver.putContent(uploadStartedAtPath(FILLS, id), Buffer.from(new Date().toISOString()));
  await driver.putContent(uploadMonolithicPath(FILLS, id), Buffer.alloc(0));
}

/** Removes the fill's directory (its data was adopted as the blob, or is to be dropped). */
export async function removeFill(driver: StorageDriver, id: string): Promise<void> {
  await driver.delete(uploadDir(FILLS, id)).catch(() => undefined);
}
