/** Builds the registry's `VirtualHook` over the pull-through cache. */
import type { Registry } from 'prom-client';
import type { BlobContent } from '../core/blob-content.js';
import type { Database } from '../db/queryer.js';
import type { StorageDriver } from '../storage/driver.js';
import type { SecretBox } from './credentials.js';
import { createVirtualMetrics } from './metrics.js';
import { parseVirtualName } from './names.js';
import { PullThrough } from './pull-through.js';

export function virtualHook(db: Database, content: BlobContent, driver: StorageDriver, box: SecretBox, registry: Registry) {
  const pull = new PullThrough(db, content, driver, box, createVirtualMetrics(registry));
  return {
    parse: parseVirtualName,
    manifest: (registryId: number, image: string, reference: string, accept: string | undefined) => pull.manifest(registryId, image, reference, accept),
    tags: (registryId: number, image: string) => pull.tags(registryId, image),
    blob: (registryId: number, image: string, digest: string, method: 'GET' | 'HEAD') => pull.blob(registryId, image, digest, method),
  };
}
