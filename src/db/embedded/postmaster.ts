/**
 * Reading a cluster's `postmaster.pid` and probing processes: how Wharf tells
 * a running embedded server from a stale pid file.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

async function pidFileLines(data: string): Promise<string[] | undefined> {
  const text = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => undefined);
  return text?.split('\n');
}

/** The postmaster's pid from its pid file (line 1), when the file exists. */
export async function postmasterPid(data: string): Promise<number | undefined> {
  const pid = Number((await pidFileLines(data))?.[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The status PostgreSQL writes on line 8 of its pid file: `starting`, `ready`, `stopping`. */
export async function postmasterStatus(data: string): Promise<string | undefined> {
  return (await pidFileLines(data))?.[7]?.trim() || undefined;
}

/**
 * True when a process with this pid runs (also when it belongs to another
 * user). A zombie does not count: an orphaned postmaster that exited stays a
 * zombie where pid 1 does not reap (some container inits).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** True when `pid` runs a postgres binary (Linux's /proc; elsewhere assumed). */
export async function isPostgres(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  return comm.trim() === 'postgres';
}
