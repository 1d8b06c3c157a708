/**
 * An S3 emulator for tests (s3rver, from npm) on 127.0.0.1 with its data in a
 * temporary directory, and the `storage.s3` section pointing at it. It does
 * not check request signatures, and it has no UploadPartCopy: the driver's
 * fallbacks for services without part copies run here.
 */
import type S3rverType from 's3rver';
import { emulatorRequire } from './emulators.js';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { tempDir } from './temp.js';

/** A running emulator. */
export interface S3Emulator {
  readonly endpoint: string;
  readonly port: number;
  /** A `storage.s3` section for `bucket` under `rootdirectory`. */
  section(bucket: string, rootdirectory?: string): Record<string, unknown>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after `stop`). */
  restart(): Promise<void>;
}

/** Starts s3rver on a free port (or `port`). */
export async function startS3Emulator(port = 0): Promise<S3Emulator> {
  const S3rver = emulatorRequire('s3rver') as typeof S3rverType;
  const directory = await tempDir('wharf-s3rver-');
  let server = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
  const info = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${info.port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    endpoint,
    port: info.port,
    section: (bucket, rootdirectory = '') => ({
      bucket,
      region: 'us-east-1',
      regionendpoint: endpoint,
      accesskey: 'S3RVER',
      secretkey: 'S3RVER',
      rootdirectory,
      checksum_disabled: true,
      maxretries: 2,
      maxrequestspersecond: 0,
    }),
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      await server.close();
    },
    async restart() {
      server = new S3rver({ port: info.port, address: '127.0.0.1', silent: true, directory });
      await server.run();
    },
  };
}
