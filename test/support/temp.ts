/**
 * Temporary directories for tests. `mkdtemp` makes them 0700; the suite runs
 * as root in CI, where the embedded PostgreSQL server runs as the `postgres`
 * user and must enter the data directory's parents, so they are opened to
 * search (0755), as an operator's data directory would be.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system's temporary directory (or `parent`). */
export async function tempDir(prefix: string, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  await chmod(dir, 0o755);
  return dir;
}
