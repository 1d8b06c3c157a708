/**
 * Azurite (Microsoft's Azure Storage emulator, from npm) on 127.0.0.1 for
 * tests, with its well-known development account, data in a temporary
 * directory, and the `storage.azure` section pointing at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { freePort } from './distribution.js';
import { until } from './wait.js';
import { emulatorBin } from './emulators.js';
import { tempDir } from './temp.js';

/** Azurite's fixed development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite. */
export interface Azurite {
  readonly url: string;
  section(container: string, extra?: Record<string, unknown>): Record<string, unknown>;
  createContainer(name: string): Promise<void>;
  stop(): Promise<void>;
}

const BIN = emulatorBin('azurite-blob');

/** Starts azurite-blob on a free port. */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const dir = await tempDir('wharf-azurite-');
  const proc: ChildProcess = spawn(BIN, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir, '--silent', '--skipApiVersionCheck', '--loose'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const service = new BlobServiceClient(url, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  await until(
    'azurite to answer',
    async () => {
      if (proc.exitCode !== null) throw new Error(`azurite exited: ${stderr}`);
      return fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      );
    },
    10_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${stderr}`);
  });
  return {
    url,
    section: (container, extra = {}) => ({ accountname: AZURITE_ACCOUNT, accountkey: AZURITE_KEY, container, serviceurl: url, maxretries: 1, ...extra }),
    async createContainer(name) {
      await service.getContainerClient(name).create();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
