/** Runs the shared driver suite against the local drivers. */
import { filesystemDriver } from '../../src/storage/filesystem.js';
import { inmemoryDriver } from '../../src/storage/inmemory.js';
import { checkedDriver } from '../../src/storage/checked.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { runDriverSuite } from './driver-suite.js';
import { tempDir } from '../support/temp.js';

runDriverSuite('filesystem', async () => filesystemDriver({ rootdirectory: await tempDir('wharf-fs-') }));
runDriverSuite('inmemory', async () => inmemoryDriver());
runDriverSuite('filesystem behind the checked wrapper', async () => checkedDriver(filesystemDriver({ rootdirectory: await tempDir('wharf-fs-') }), createMetrics(false)));
