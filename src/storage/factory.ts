/**
 * Builds the configured storage driver, wrapped with path checks and metrics.
 */
import type { Config } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { checkedDriver } from './checked.js';
import type { StorageDriver } from './driver.js';
import { filesystemDriver } from './filesystem.js';
import { inmemoryDriver } from './inmemory.js';
import { s3Driver } from './s3/driver.js';
import { azureDriver } from './azure/driver.js';
import { gcsDriver } from './gcs/driver.js';

/** Creates the driver named in `storage`. */
export function createStorageDriver(storage: Config['storage'], metrics?: Metrics): StorageDriver {
  const s3 = storage.s3 ?? storage.s3_v2;
  const azure = storage.azure ?? storage.azure_v2;
  const redirectExpiryMs = storage.redirect.expirydelay;
  const inner = storage.inmemory
    ? inmemoryDriver()
    : s3
      ? s3Driver(s3, { configKey: storage.s3 ? 'storage.s3' : 'storage.s3_v2', redirectExpiryMs })
      : azure
        ? azureDriver(azure, { configKey: storage.azure ? 'storage.azure' : 'storage.azure_v2', redirectExpiryMs })
        : storage.gcs
          ? gcsDriver(storage.gcs, { configKey: 'storage.gcs', redirectExpiryMs })
          : filesystemDriver({ rootdirectory: storage.filesystem?.rootdirectory ?? './data' });
  return checkedDriver(inner, metrics);
}
