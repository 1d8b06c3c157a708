/**
 * The `inmemory` driver: objects in a Map, for tests and throwaway runs.
 * Directories are implied by the paths of the objects under them.
 */
import { Readable } from 'node:stream';
import { InvalidOffsetError, PathNotFoundError, type FileWriter, type StorageDriver } from './driver.js';

interface Entry {
  data: Buffer;
  modTime: Date;
}

/** Creates an empty in-memory driver. */
export function inmemoryDriver(): StorageDriver {
  const objects = new Map<string, Entry>();

  const childrenOf = (p: string): string[] => {
    const prefix = p === '/' ? '/' : `${p}/`;
    const children = new Set<string>();
    for (const key of objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      children.add(prefix + rest.split('/')[0]);
    }
    return [...children];
  };
  const isDir = (p: string): boolean => childrenOf(p).length > 0;
  const get = (p: string): Entry => {
    const e = objects.get(p);
    if (!e) throw new PathNotFoundError(p);
    return e;
  };

  return {
    name: 'inmemory',
    getContent: async (p) => Buffer.from(get(p).data),
    async putContent(p, content) {
      objects.set(p, { data: Buffer.from(content), modTime: new Date() });
    },
    async reader(p, offset = 0, end) {
      const { data } = get(p);
      if (offset > data.length) throw new InvalidOffsetError(p, offset);
      return Readable.from([data.subarray(offset, end ?? data.length)]);
    },
    async writer(p, append) {
      const chunks: Buffer[] = append && objects.has(p) ? [get(p).data] : [];
      let size = chunks[0]?.length ?? 0;
      let cancelled = false;
      const writer: FileWriter = {
        async write(chunk) {
          chunks.push(Buffer.from(chunk));
          size += chunk.length;
        },
        size: () => size,
        async commit() {
          if (!cancelled) objects.set(p, { data: Buffer.concat(chunks), modTime: new Date() });
        },
        async cancel() {
          cancelled = true;
          objects.delete(p);
        },
      };
      return writer;
    },
    async stat(p) {
      const e = objects.get(p);
      if (e) return { path: p, size: e.data.length, modTime: e.modTime, isDir: false };
      if (p === '/' || isDir(p)) return { path: p, size: 0, modTime: new Date(0), isDir: true };
      throw new PathNotFoundError(p);
    },
    async list(p) {
      const children = childrenOf(p);
      if (children.length === 0 && p !== '/') throw new PathNotFoundError(p);
      return children;
    },
    async move(source, dest) {
      const e = get(source);
      objects.delete(source);
      objects.set(dest, e);
    },
    async delete(p) {
      let found = objects.delete(p);
      const prefix = `${p}/`;
      for (const key of [...objects.keys()]) {
        if (key.startsWith(prefix)) {
          objects.delete(key);
          found = true;
        }
      }
      if (!found) throw new PathNotFoundError(p);
    },
    redirectURL: async () => undefined,
    health: async () => undefined,
  };
}
