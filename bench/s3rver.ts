/**
 * Runs the S3 emulator (s3rver) as its own process for `BENCH_STORAGE=s3`, so
 * it does not share the benchmark client's event loop: prints its port, then
 * serves until killed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type S3rverType from 's3rver';
import { emulatorRequire } from '../test/support/emulators.js';

// test/emulators holds s3rver (npm ci --prefix test/emulators).
const S3rver = emulatorRequire('s3rver') as typeof S3rverType;

const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory: await mkdtemp(join(tmpdir(), 'wharf-bench-s3-')),
  configureBuckets: [
    { name: 'wharf-bench', configs: [] },
    { name: 'dist-bench', configs: [] },
  ],
});
const { port } = (await server.run()) as { port: number };
process.stdout.write(`${port}\n`);
