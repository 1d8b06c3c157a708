/**
 * Purges upload sessions older than `maintenance.uploadpurging.age`, as
 * Distribution does: walk every repository's `_uploads`, read `startedat`
 * (falling back to the data file's mtime), delete what is too old.
 */
import { baseName, REPOSITORIES_ROOT } from '../storage/layout.js';
import { deleteIfExists, getContentOrUndefined, listOrEmpty, statOrUndefined, type StorageDriver } from '../storage/driver.js';
import type { Logger } from '../observability/logger.js';

/** Result of one purge pass. */
export interface PurgeResult {
  readonly purged: string[];
  readonly kept: number;
}

async function startedAt(driver: StorageDriver, dir: string): Promise<Date | undefined> {
  const text = await getContentOrUndefined(driver, `${dir}/startedat`);
  const t = text ? new Date(text.toString('utf8').trim()) : undefined;
  if (t && !Number.isNaN(t.getTime())) return t;
  return (await statOrUndefined(driver, dir))?.modTime;
}

/** Deletes uploads started before `now - ageMs`; with `dryRun` only reports them. */
export async function purgeUploads(driver: StorageDriver, ageMs: number, dryRun: boolean, now = new Date()): Promise<PurgeResult> {
  const purged: string[] = [];
  let kept = 0;
  const visit = async (dir: string): Promise<void> => {
    for (const child of await listOrEmpty(driver, dir)) {
      const name = baseName(child);
      if (name === '_uploads') {
        for (const upload of await listOrEmpty(driver, child)) {
          const t = await startedAt(driver, upload);
          if (t && now.getTime() - t.getTime() > ageMs) {
            if (!dryRun) await deleteIfExists(driver, upload);
            purged.push(upload);
          } else kept++;
        }
      } else if (!name.startsWith('_')) {
        await visit(child);
      }
    }
  };
  await visit(REPOSITORIES_ROOT);
  return { purged, kept };
}

/** Runs purges every `interval` (first one after a short random delay, so nodes do not collide). */
export function schedulePurges(driver: StorageDriver, opts: { age: number; interval: number; dryrun: boolean }, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    try {
      const r = await purgeUploads(driver, opts.age, opts.dryrun);
      log.info({ purged: r.purged.length, kept: r.kept, dryRun: opts.dryrun }, 'upload purge finished');
    } catch (err) {
      log.error({ err }, 'upload purge failed');
    }
    timer = setTimeout(run, opts.interval);
    timer.unref();
  };
  timer = setTimeout(run, 1000 + Math.floor(Math.random() * 60_000));
  timer.unref();
  return () => clearTimeout(timer);
}
