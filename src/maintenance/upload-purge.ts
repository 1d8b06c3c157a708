/**
 * Purges upload sessions older than `maintenance.uploadpurging.age`, as
 * Distribution does: walk every repository's `_uploads`, read `startedat`
 * (falling back to the data file's mtime), delete what is too old. Sessions
 * marked monolithic (a single `POST ?digest=` request, which no client can
 * resume) go sooner: once their data has not grown for `abandonedage` —
 * what a crash mid-body leaves behind. Resumable (chunked) sessions keep
 * the full `age`, so a client may come back to them after a restart.
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

/** True when `upload` is a monolithic session whose data has not changed for `abandonedMs`. */
async function abandoned(driver: StorageDriver, upload: string, abandonedMs: number, now: Date): Promise<boolean> {
  if (!(await statOrUndefined(driver, `${upload}/wharf-monolithic`))) return false;
  const data = await statOrUndefined(driver, `${upload}/data`);
  return !data || now.getTime() - data.modTime.getTime() > abandonedMs;
}

/** Deletes uploads started before `now - ageMs`, and abandoned monolithic ones; with `dryRun` only reports them. */
export async function purgeUploads(driver: StorageDriver, ageMs: number, dryRun: boolean, now = new Date(), abandonedMs = Infinity): Promise<PurgeResult> {
  const purged: string[] = [];
  let kept = 0;
  const visit = async (dir: string): Promise<void> => {
    for (const child of await listOrEmpty(driver, dir)) {
      const name = baseName(child);
      if (name === '_uploads') {
        for (const upload of await listOrEmpty(driver, child)) {
          const t = await startedAt(driver, upload);
          if ((t && now.getTime() - t.getTime() > ageMs) || (abandonedMs < ageMs && (await abandoned(driver, upload, abandonedMs, now)))) {
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

/**
 * Runs purges every `interval`, the first after a short random delay (so
 * nodes do not collide), and one more `abandonedage` after start: a process
 * that starts after a crash reclaims the crash's abandoned monolithic
 * sessions within about that long, not a day later.
 */
export function schedulePurges(driver: StorageDriver, opts: { age: number; interval: number; dryrun: boolean; abandonedage: number }, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  const pass = async () => {
    try {
      const r = await purgeUploads(driver, opts.age, opts.dryrun, new Date(), opts.abandonedage);
      log.info({ purged: r.purged.length, kept: r.kept, dryRun: opts.dryrun }, 'upload purge finished');
    } catch (err) {
      log.error({ err }, 'upload purge failed');
    }
  };
  const run = async () => {
    await pass();
    timer = setTimeout(run, opts.interval);
    timer.unref();
  };
  timer = setTimeout(run, 1000 + Math.floor(Math.random() * 60_000));
  timer.unref();
  const afterCrash = opts.abandonedage < opts.interval ? setTimeout(pass, opts.abandonedage + 60_000 + Math.floor(Math.random() * 60_000)) : undefined;
  afterCrash?.unref();
  return () => {
    clearTimeout(timer);
    clearTimeout(afterCrash);
  };
}
