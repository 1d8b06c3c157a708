/**
 * A large file of random bytes on disk with its digest, built from a repeated
 * 16 MiB random buffer so creating a GiB takes a second, not a minute.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

/** A file to push, and what the registry must call it. */
export interface BigFile {
  readonly path: string;
  readonly size: number;
  readonly digest: string;
}

/** Writes `size` bytes to `path`. */
export async function makeBigFile(path: string, size: number): Promise<BigFile> {
  const block = randomBytes(16 * 1024 * 1024);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let off = 0; off < size; off += block.length) {
      const part = block.subarray(0, Math.min(block.length, size - off));
      // Make each block distinct so no layer of the stack can deduplicate it.
      part.writeUInt32BE(off / block.length, 0);
      hash.update(part);
      await fh.write(part);
    }
  } finally {
    await fh.close();
  }
  return { path, size, digest: `sha256:${hash.digest('hex')}` };
}
