/**
 * The `filesystem` driver: objects are files under `rootdirectory`, laid out
 * exactly as Distribution's filesystem driver lays them out, so both can share
 * a data directory. Whole-object writes go to a hidden temporary file that is
 * renamed into place, so a crash never leaves a partial object at a real path.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as nodePath from 'node:path';
import { Readable } from 'node:stream';
import { copyFileRange } from './fs-copy-range.js';
import { readWhole, writeViaRename } from './fs-small-files.js';
import { InvalidOffsetError, PathNotFoundError, type FileInfo, type FileWriter, type StorageDriver } from './driver.js';

/** Prefix of the temporary files the driver writes before renaming; hidden from listings. */
const TMP_PREFIX = '.wharf-tmp-';

/** Options of the filesystem driver. */
export interface FilesystemOptions {
  readonly rootdirectory: string;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Creates a filesystem driver rooted at `rootdirectory`. */
export function filesystemDriver(options: FilesystemOptions): StorageDriver {
  const root = nodePath.resolve(options.rootdirectory);
  const full = (p: string): string => root + p;

  const wrapMissing = <T>(p: string, op: () => Promise<T>): Promise<T> =>
    op().catch((err: unknown) => {
      if (isMissing(err)) throw new PathNotFoundError(p);
      throw err;
    });

  return {
    name: 'filesystem',
    readableWhileWriting: true,

    getContent: (p) => wrapMissing(p, () => readWhole(full(p))),

    async putContent(p, content) {
      const target = full(p);
      await writeViaRename(nodePath.join(nodePath.dirname(target), TMP_PREFIX + randomBytes(8).toString('hex')), target, content);
    },

    reader: (p, offset = 0, end) =>
      wrapMissing(p, async () => {
        const handle = await fs.open(full(p), 'r');
        const { size } = await handle.stat();
        if (offset > size) {
          await handle.close();
          throw new InvalidOffsetError(p, offset);
        }
        const last = end === undefined ? size : Math.min(end, size);
        if (last <= offset) {
          await handle.close();
          return Readable.from([]);
        }
        return handle.createReadStream({ start: offset, end: last - 1, highWaterMark: 1 << 20 }) as Readable;
      }),

    async writer(p, append) {
      const target = full(p);
      await fs.mkdir(nodePath.dirname(target), { recursive: true });
      const fh = await fs.open(target, append ? 'a' : 'w');
      let written = append ? (await fh.stat()).size : 0;
      let closed = false;
      const close = async () => {
        if (!closed) {
          closed = true;
          await fh.close();
        }
      };
      const writer: FileWriter = {
        async write(chunk) {
          for (let off = 0; off < chunk.length; ) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
            off += bytesWritten;
            written += bytesWritten;
          }
        },
        size: () => written,
        commit: close,
        async cancel() {
          await close();
          await fs.rm(target, { force: true });
        },
      };
      return writer;
    },

    stat: (p) =>
      wrapMissing(p, async () => {
        const s = await fs.stat(full(p));
        const info: FileInfo = { path: p, size: s.isDirectory() ? 0 : s.size, modTime: s.mtime, isDir: s.isDirectory() };
        return info;
      }),

    list: (p) =>
      wrapMissing(p, async () => {
        const entries = await fs.readdir(full(p));
        const base = p === '/' ? '' : p;
        return entries.filter((e) => !e.startsWith(TMP_PREFIX)).map((e) => `${base}/${e}`);
      }),

    async move(source, dest) {
      const target = full(dest);
      await fs.mkdir(nodePath.dirname(target), { recursive: true });
      await wrapMissing(source, () => fs.rename(full(source), target));
    },

    async delete(p) {
      await wrapMissing(p, () => fs.lstat(full(p)));
      await fs.rm(full(p), { recursive: true, force: true });
    },

    redirectURL: async () => undefined,

    copyRange: (p, start, end, dest) => wrapMissing(p, () => copyFileRange(full(p), start, end, dest)),

    async health() {
      await fs.mkdir(root, { recursive: true });
      await fs.access(root, fs.constants.W_OK);
    },
  };
}
