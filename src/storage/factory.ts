/**
 * Builds the configured storage driver, wrapped with path checks and metrics.
 * The object-storage drivers are imported only when configured: each SDK
 * (AWS, Azure, Google) costs 20–30 MiB of memory once loaded.
 */
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { checkedDriver } from './checked.js';
import type { StorageDriver } from './driver.js';
import { filesystemDriver } from './filesystem.js';
import { inmemoryDriver } from './inmemory.js';

async function innerDriver(storage: Config['storage']): Promise<StorageDriver> {
  const redirectExpiryMs = storage.redirect.expirydelay;
  const s3 = storage.s3 ?? storage.s3_v2;
  const azure = storage.azure ?? storage.azure_v2;
  if (storage.inmemory) return inmemoryDriver();
  if (s3) {
    const { s3Driver } = await import('./s3/driver.js');
    return s3Driver(s3, { configKey: storage.s3 ? 'storage.s3' : 'storage.s3_v2', redirectExpiryMs });
  }
  if (azure) {
    const { azureDriver } = await import('./azure/driver.js');
    return azureDriver(azure, { configKey: storage.azure ? 'storage.azure' : 'storage.azure_v2', redirectExpiryMs });
  }
  if (storage.gcs) {
    const { gcsDriver } = await import('./gcs/driver.js');
    return gcsDriver(storage.gcs, { configKey: 'storage.gcs', redirectExpiryMs });
  }
  return filesystemDriver({ rootdirectory: storage.filesystem?.rootdirectory ?? './data' });
}

/** Creates the driver named in `storage`. */
export async function createStorageDriver(storage: Config['storage'], metrics?: Metrics): Promise<StorageDriver> {
  return checkedDriver(await innerDriver(storage), metrics);
}
