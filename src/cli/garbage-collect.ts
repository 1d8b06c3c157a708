/**
 * `wharf garbage-collect [-m|--delete-untagged] [--dry-run] [--force] <config.yml>`:
 * offline mark and sweep for legacy metadata (SPEC 6.3), as Distribution's
 * `registry garbage-collect`. Refuses in database mode (online GC does this
 * there) and while the registry accepts writes (`maintenance.readonly`),
 * unless forced. Ctrl+C during the mark stops with nothing changed.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { markInUse } from '../gc/offline/mark.js';
import { sweep } from '../gc/offline/sweep.js';
import { createStorageDriver } from '../storage/factory.js';

/** Adds `garbage-collect`. */
export function addGarbageCollectCommand(program: Command): void {
  program
    .command('garbage-collect')
    .description('offline garbage collection of legacy metadata: mark what manifests reference, sweep the rest')
    .argument('<config>', 'config.yml of the registry (legacy metadata)')
    .option('-m, --delete-untagged', 'also delete manifests no tag reaches (and what only they reference)')
    .option('--dry-run', 'report what would be deleted; delete nothing')
    .option('--force', 'run even though the registry is not in read-only mode (uploads racing the sweep may lose blobs)')
    .action(async (path: string, opts: { deleteUntagged?: boolean; dryRun?: boolean; force?: boolean }) => {
      const config = await loadConfig(path);
      const fail = (message: string) => {
        process.stderr.write(`${message}\n`);
        process.exitCode = 2;
      };
      if (config.database.enabled) {
        fail('refusing: this registry keeps its metadata in the database (database.enabled), where online garbage collection runs continuously; offline garbage-collect is for legacy metadata (database.enabled: false)');
        return;
      }
      if (!config.storage.maintenance.readonly.enabled && !opts.dryRun) {
        if (!opts.force) {
          fail('refusing: the registry accepts writes; set storage.maintenance.readonly.enabled: true (and restart it) first, or pass --force');
          return;
        }
        process.stderr.write('warning: --force: collecting while the registry accepts writes; a blob uploaded during the sweep may be deleted\n');
      }
      const driver = await createStorageDriver(config.storage);
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: false, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      process.stdout.write(`marking${opts.deleteUntagged ? ' (untagged manifests are deleted)' : ''}...\n`);
      let mark;
      try {
        bar.start(1, 0, { phase: 'mark ' });
        mark = await markInUse(driver, {
          removeUntagged: opts.deleteUntagged ?? false,
          signal: abort.signal,
          onProgress: (done, total) => {
            bar.setTotal(total);
            bar.update(done);
          },
        });
        bar.stop();
      } catch (err) {
        bar.stop();
        if (abort.signal.aborted) {
          process.stdout.write('interrupted during mark: nothing was deleted\n');
          process.exitCode = 130;
          return;
        }
        throw err;
      }
      // The sweep runs to its end once started: each blob goes at once, so stopping halfway is safe, but it is not offered.
      process.removeListener('SIGINT', onSigint);
      process.stdout.write(`${mark.repositories} repositories, ${mark.manifests} manifests, ${mark.marked.size} blobs in use, ${mark.untagged.length} untagged manifests\n`);
      bar.start(1, 0, { phase: 'sweep' });
      const result = await sweep(driver, mark, {
        dryRun: opts.dryRun ?? false,
        onProgress: (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        },
      });
      bar.stop();
      const verb = opts.dryRun ? 'would delete' : 'deleted';
      process.stdout.write(`${verb} ${result.manifestsDeleted} manifests and ${result.blobsDeleted} blobs (${result.bytesFreed} bytes); ${result.blobsKept} blobs kept\n`);
    });
}
