/**
 * The outbox as files (legacy mode, no database): `<dir>/<endpoint>/pending/`
 * and `.../failed/`, one JSON file per event named by a sortable sequence
 * number, written to a temporary name and renamed into place (atomic). One
 * process owns a directory; cluster workers get one each.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryEvent } from './event.js';
import type { Outbox, OutboxEntry, OutboxStats } from './outbox.js';

interface Stored {
  event: RegistryEvent;
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
}

/** Creates a file outbox rooted at `dir`. */
export function fileOutbox(dir: string): Outbox {
  let counter = 0;
  const seq = () => `${Date.now().toString().padStart(15, '0')}-${(counter++ % 1e9).toString().padStart(9, '0')}`;
  const folder = (endpoint: string, state: 'pending' | 'failed') => join(dir, endpoint, state);
  const put = async (endpoint: string, state: 'pending' | 'failed', name: string, value: Stored) => {
    const d = folder(endpoint, state);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, `.${name}.tmp`), JSON.stringify(value));
    await rename(join(d, `.${name}.tmp`), join(d, `${name}.json`));
  };
  const names = async (endpoint: string, state: 'pending' | 'failed') => (await readdir(folder(endpoint, state)).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const read = async (endpoint: string, state: 'pending' | 'failed', name: string): Promise<OutboxEntry> => {
    const v = JSON.parse(await readFile(join(folder(endpoint, state), name), 'utf8')) as Stored;
    return { id: name.slice(0, -5), endpoint, event: v.event, attempts: v.attempts, nextAttemptAt: new Date(v.nextAttemptAt), lastError: v.lastError };
  };
  const endpoints = async () =>
    (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();

  return {
    async append(endpoint, events) {
      for (const event of events) await put(endpoint, 'pending', seq(), { event, attempts: 0, nextAttemptAt: new Date(0).toISOString() });
    },
    async head(endpoint, limit) {
      return Promise.all((await names(endpoint, 'pending')).slice(0, limit).map((n) => read(endpoint, 'pending', n)));
    },
    async delivered(endpoint, ids) {
      await Promise.all(ids.map((id) => rm(join(folder(endpoint, 'pending'), `${id}.json`), { force: true })));
    },
    async failed(endpoint, ids, error, nextAttemptAt, final) {
      for (const id of ids) {
        const e = await read(endpoint, 'pending', `${id}.json`).catch(() => undefined);
        if (!e) continue;
        const value: Stored = { event: e.event, attempts: e.attempts + 1, nextAttemptAt: nextAttemptAt.toISOString(), lastError: error.slice(0, 2000) };
        if (final) {
          await put(endpoint, 'failed', id, value);
          await rm(join(folder(endpoint, 'pending'), `${id}.json`), { force: true });
        } else {
          await put(endpoint, 'pending', id, value);
        }
      }
    },
    async listFailed(endpoint) {
      const out: OutboxEntry[] = [];
      for (const ep of endpoint ? [endpoint] : await endpoints()) for (const n of await names(ep, 'failed')) out.push(await read(ep, 'failed', n));
      return out;
    },
    async replay(endpoint, ids) {
      let n = 0;
      for (const e of await this.listFailed(endpoint)) {
        if (ids && !ids.includes(e.id)) continue;
        await put(e.endpoint, 'pending', seq(), { event: e.event, attempts: 0, nextAttemptAt: new Date(0).toISOString() });
        await rm(join(folder(e.endpoint, 'failed'), `${e.id}.json`), { force: true });
        n++;
      }
      return n;
    },
    async stats() {
      const out: OutboxStats[] = [];
      for (const ep of await endpoints()) out.push({ endpoint: ep, pending: (await names(ep, 'pending')).length, failed: (await names(ep, 'failed')).length });
      return out;
    },
    async lease() {
      return true;
    },
    async release() {
      /* one process owns the directory */
    },
  };
}
