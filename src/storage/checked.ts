/**
 * The wrapper around every driver: rejects paths that could escape the root
 * and times each operation into the storage latency histogram. Drivers
 * themselves stay free of both concerns.
 */
import type { Metrics } from '../observability/metrics.js';
import { PathNotFoundError, type StorageDriver } from './driver.js';

const SEGMENT = /^[A-Za-z0-9._@:=+-]+$/;

/** Throws unless `p` is an absolute path of plain segments (no `.`, `..`, empty or odd characters). */
export function assertSafePath(p: string): void {
  if (p === '/') return;
  if (!p.startsWith('/')) throw new Error(`storage path must be absolute: ${p}`);
  for (const seg of p.slice(1).split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || !SEGMENT.test(seg)) throw new Error(`invalid storage path: ${p}`);
  }
}

/** Wraps a driver with path validation and, when given, metrics. */
export function checkedDriver(inner: StorageDriver, metrics?: Metrics): StorageDriver {
  const timed = <T>(op: string, paths: string[], fn: () => Promise<T>): Promise<T> => {
    for (const p of paths) assertSafePath(p);
    if (!metrics) return fn();
    const end = metrics.storageDuration.startTimer({ driver: inner.name, op });
    return fn().then(
      (v) => {
        end();
        return v;
      },
      (err: unknown) => {
        end();
        if (!(err instanceof PathNotFoundError)) metrics.storageErrors.inc({ driver: inner.name, op });
        throw err;
      },
    );
  };
  const copyRange = inner.copyRange?.bind(inner);
  const finalize = inner.finalize?.bind(inner);
  return {
    name: inner.name,
    ...(inner.readableWhileWriting ? { readableWhileWriting: true } : {}),
    ...(finalize ? { finalize: (p: string) => timed('finalize', [p], () => finalize(p)) } : {}),
    ...(copyRange ? { copyRange: (p: string, s: number, e: number, d: import('node:stream').Writable) => timed('copy_range', [p], () => copyRange(p, s, e, d)) } : {}),
    getContent: (p) => timed('get_content', [p], () => inner.getContent(p)),
    putContent: (p, c) => timed('put_content', [p], () => inner.putContent(p, c)),
    reader: (p, o, e) => timed('reader', [p], () => inner.reader(p, o, e)),
    writer: (p, a) => timed('writer', [p], () => inner.writer(p, a)),
    stat: (p) => timed('stat', [p], () => inner.stat(p)),
    list: (p) => timed('list', [p], () => inner.list(p)),
    move: (s, d) => timed('move', [s, d], () => inner.move(s, d)),
    delete: (p) => timed('delete', [p], () => inner.delete(p)),
    redirectURL: (p, m) => timed('redirect_url', [p], () => inner.redirectURL(p, m)),
    health: () => timed('health', [], () => inner.health()),
  };
}
