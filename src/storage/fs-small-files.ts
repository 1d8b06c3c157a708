/**
 * Reading and writing the small files of the layout (links, manifests) with
 * node's callback API. The promise API wraps every descriptor in a FileHandle
 * object; on the tag-push path that wrapping cost more CPU than the system
 * calls themselves (measured with --cpu-prof).
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

const FIRST_READ = 16 * 1024;

function readRest(fd: number, chunks: Buffer[], pos: number, done: (err: Error | null, data?: Buffer) => void): void {
  const b = Buffer.allocUnsafe(256 * 1024);
  fs.read(fd, b, 0, b.length, pos, (err, n) => {
    if (err) return done(err);
    if (n > 0) chunks.push(b.subarray(0, n));
    if (n < b.length) return done(null, Buffer.concat(chunks));
    readRest(fd, chunks, pos + n, done);
  });
}

/**
 * Reads a whole file: open, one read, close when it is under 16 KiB (a short
 * read on a regular file means end of file), more reads otherwise.
 */
export function readWhole(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      const first = Buffer.allocUnsafe(FIRST_READ);
      const finish = (readErr: Error | null, data?: Buffer) =>
        fs.close(fd, (closeErr) => {
          const e = readErr ?? closeErr;
          if (e) reject(e);
          else resolve(data as Buffer);
        });
      fs.read(fd, first, 0, first.length, 0, (readErr, n) => {
        if (readErr) return finish(readErr);
        if (n < first.length) return finish(null, Buffer.from(first.subarray(0, n)));
        readRest(fd, [first], n, finish);
      });
    });
  });
}

function writeOnce(path: string, content: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => fs.writeFile(path, content, (err) => (err ? reject(err) : resolve())));
}

/** Writes `tmp`, creating its directory only when the first attempt says it is missing, then renames it onto `target`. */
export async function writeViaRename(tmp: string, target: string, content: Uint8Array): Promise<void> {
  try {
    await writeOnce(tmp, content).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await fs.promises.mkdir(dirname(tmp), { recursive: true });
      await writeOnce(tmp, content);
    });
    await new Promise<void>((resolve, reject) => fs.rename(tmp, target, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    fs.rm(tmp, { force: true }, () => undefined);
    throw err;
  }
}
