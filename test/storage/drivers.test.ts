/** Runs the shared driver suite against the local drivers. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesystemDriver } from '../../src/storage/filesystem.js';
import { inmemoryDriver } from '../../src/storage/inmemory.js';
import { checkedDriver } from '../../src/storage/checked.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { runDriverSuite } from './driver-suite.js';

runDriverSuite('filesystem', async () => filesystemDriver({ rootdirectory: await mkdtemp(join(tmpdir(), 'wharf-fs-')) }));
runDriverSuite('inmemory', async () => inmemoryDriver());
runDriverSuite('filesystem behind the checked wrapper', async () =>
  checkedDriver(filesystemDriver({ rootdirectory: await mkdtemp(join(tmpdir(), 'wharf-fs-')) }), createMetrics(false)),
);
