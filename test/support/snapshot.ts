/**
 * A snapshot of every file under a data directory (path, size, content hash),
 * to prove that a refused request changed nothing.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Maps relative path to `size:sha256` for every file under `root`, but the
 * embedded database server's own files (`wharf/postgres`: its WAL and
 * statistics change on their own; compare its tables instead).
 */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (relative(root, p) !== join('wharf', 'postgres')) await walk(p);
      } else {
        const data = await readFile(p);
        out[relative(root, p)] = `${data.length}:${createHash('sha256').update(data).digest('hex')}`;
      }
    }
  };
  await walk(root);
  return out;
}
