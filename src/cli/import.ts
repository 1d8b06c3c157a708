/**
 * `wharf database import [--dry-run] [--step-one|--step-two|--step-three] [--force] <config.yml>`:
 * legacy metadata under the config's storage into the config's database.
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config/load.js';
import { openDatabase } from '../db/open.js';
import { migrationStatus } from '../db/migrator.js';
import { ALL_STEPS, importLegacy, type ImportStep } from '../metadata/import/importer.js';
import { createStorageDriver } from '../storage/factory.js';

interface ImportFlags {
  dryRun?: boolean;
  stepOne?: boolean;
  stepTwo?: boolean;
  stepThree?: boolean;
  force?: boolean;
  progressLines?: boolean;
}

/** Adds `import` under the `database` command. */
export function addImportCommand(database: Command): void {
  database
    .command('import')
    .description('import legacy metadata (Wharf or CNCF Distribution link files) into the database')
    .argument('<config>', 'config.yml: its storage is read, its database written')
    .option('--dry-run', 'do everything in transactions that are rolled back')
    .option('--step-one', 'pre-import manifests (the registry may keep serving in legacy mode)')
    .option('--step-two', 'import tags (the registry must be read-only)')
    .option('--step-three', 'import the remaining linked blobs')
    .option('--force', 'run a step that needs read-only mode although the config does not set it (the registry is stopped)')
    .option('--progress-lines', 'print one progress line per repository instead of a bar (logs, scripts)')
    .action(async (path: string, flags: ImportFlags) => {
      const config = await loadConfig(path);
      const picked: ImportStep[] = [...(flags.stepOne ? ['manifests' as const] : []), ...(flags.stepTwo ? ['tags' as const] : []), ...(flags.stepThree ? ['blobs' as const] : [])];
      const steps = picked.length ? picked : [...ALL_STEPS];
      const needsReadOnly = steps.includes('tags') && !flags.dryRun;
      if (needsReadOnly && !config.storage.maintenance.readonly.enabled) {
        if (!flags.force) {
          process.stderr.write('refusing: importing tags needs the registry in read-only mode (storage.maintenance.readonly.enabled: true in this config, and the registry restarted with it), or stopped and --force\n');
          process.exit(2);
        }
        process.stderr.write('warning: --force: the registry must not accept writes while tags are imported\n');
      }
      const db = await openDatabase(config, { role: 'command' });
      try {
        const pending = (await migrationStatus(db)).filter((m) => !m.appliedAt);
        if (pending.length) {
          process.stderr.write(`the database has ${pending.length} pending migration(s): run wharf database migrate up first\n`);
          process.exit(2);
        }
        const bar = process.stderr.isTTY && !flags.progressLines ? new SingleBar({ format: 'import [{bar}] {value}/{total} repositories  {repo}', hideCursor: true }, Presets.shades_classic) : undefined;
        let lastLine = 0;
        const report = await importLegacy(await createStorageDriver(config.storage), db, {
          steps,
          dryRun: flags.dryRun ?? false,
          onProgress(done, total, repo) {
            if (bar) {
              if (done === 1) bar.start(total, 0, { repo });
              bar.update(done, { repo });
            } else if (flags.progressLines || done === total || Date.now() - lastLine > 2000) {
              lastLine = Date.now();
              process.stderr.write(`import: ${done}/${total} repositories (${repo})\n`);
            }
          },
        });
        bar?.stop();
        const verb = flags.dryRun ? 'would import' : 'imported';
        process.stdout.write(
          `${verb} ${report.repositories} repositories (${report.skippedRepositories} already done): ${report.manifests} manifests, ${report.tags} tags, ${report.blobs} blobs; steps: ${steps.join(', ')}\n`,
        );
        for (const p of report.problems) process.stdout.write(`problem: ${p}\n`);
      } finally {
        await db.close();
      }
    });
}
