/**
 * The embedded database: a real PostgreSQL server that Wharf initialises,
 * starts and stops itself, with its files under `<dir>` (normally
 * `<rootdirectory>/wharf/postgres`):
 *
 *   <dir>/data/          the cluster (PGDATA), created by initdb on first use
 *   <dir>/password       the generated password of the `wharf` role (0600)
 *   <dir>/owner          `<pid> <role>` of the Wharf process that started the server
 *   <dir>/server.json    where it listens ({ host, port })
 *   <dir>/postgres.log   the server's own log
 *   <dir>/.s.PGSQL.5432  its Unix socket (no TCP port), when the path fits
 *
 * Whoever finds the server running (a `wharf admin …` command while
 * `wharf serve` runs, a cluster worker) connects to the same socket; only the
 * process that started it stops it. Roles keep that safe: a `command` (a CLI
 * run) that started the server waits, before stopping it, until no other
 * client is connected; a `serve` process (long-lived) never joins a server a
 * command started — it waits for that one to stop and starts its own.
 *
 * The postmaster runs under a small `sh` watchdog that holds a pipe from
 * Wharf: when Wharf exits in any way, kill -9 included, the pipe closes and
 * the watchdog asks PostgreSQL for a fast shutdown (committed transactions
 * are on disk; nothing is lost). A postmaster whose owner is gone anyway (the
 * watchdog itself was killed) is found through its pid file at the next start
 * and stopped before a new one starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { postgresBinaries } from './binaries.js';
import { alive, isPostgres, postmasterPid, postmasterStatus } from './postmaster.js';
import { serverAccount, type Account } from './account.js';
import { superviseServer } from './supervise.js';

/** How to reach a running embedded server. */
export interface EmbeddedConnection {
  /** The socket directory (or 127.0.0.1 when the path is too long for a socket). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** One process's use of the server. */
export interface EmbeddedServer {
  readonly connection: EmbeddedConnection;
  /** True when this process started it (and stops it at the last release). */
  readonly owned: boolean;
  /** Ends this use; the last one in the owning process stops the server. */
  release(): Promise<void>;
}

/** Who uses the server: a long-lived registry process, or a CLI command. */
export type EmbeddedRole = 'serve' | 'command';

/** Events worth an operator's attention (a first initialisation, a stale server stopped, a crash and its restart), with a level. */
export type EmbeddedLog = (msg: string, level?: 'info' | 'warn' | 'error') => void;

const USER = 'wharf';
const DATABASE = 'wharf';
const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes with its NUL; the socket file name takes 15 of them. */
const MAX_SOCKET_DIR = 92;

/**
 * Watchdog: runs the postmaster in the background and shuts it down (fast
 * mode: SIGINT) when its stdin, a pipe from Wharf, reaches end of file or
 * when it is itself told to stop. Background jobs of a non-interactive shell
 * get /dev/null as stdin, so the pipe is kept on fd 3 for the reader.
 */
const WATCHDOG = `exec 3<&0
"$@" 3<&- </dev/null &
pg=$!
trap 'kill -INT $pg 2>/dev/null' INT TERM HUP
{ read _ <&3; kill -INT $pg 2>/dev/null; } &
reader=$!
while kill -0 $pg 2>/dev/null; do wait $pg; done
kill $reader 2>/dev/null
exit 0`;

interface Shared {
  readonly connection: EmbeddedConnection;
  /** The watchdog of the server this process started (replaced when it is restarted after a crash). */
  child?: ChildProcess;
  readonly role: EmbeddedRole;
  users: number;
  /** Set once the last user releases it: an exit from then on is asked for. */
  stopping?: boolean;
}

const servers = new Map<string, Promise<Shared>>();

/** Starts the server under `dir`, or joins the one already running there. */
export async function acquireEmbeddedServer(dir: string, log: EmbeddedLog = () => undefined, role: EmbeddedRole = 'serve'): Promise<EmbeddedServer> {
  const key = resolve(dir);
  let shared = servers.get(key);
  if (!shared) {
    shared = startOrAttach(key, log, role);
    servers.set(key, shared);
    shared.catch(() => servers.delete(key));
  }
  const s = await shared;
  if (s.users === 0 && s.child) watch(key, s, log);
  s.users++;
  let released = false;
  return {
    connection: s.connection,
    owned: s.child !== undefined,
    async release() {
      if (released) return;
      released = true;
      if (--s.users > 0) return;
      servers.delete(key);
      s.stopping = true;
      if (!s.child) return;
      if (s.role === 'command') await othersGone(s.connection);
      await stopChild(s.child);
    },
  };
}

/** Restarts the server this process owns whenever it stops unasked (supervise.ts). */
function watch(dir: string, s: Shared, log: EmbeddedLog): void {
  const child = s.child;
  if (!child) return;
  superviseServer(child, {
    where: dir,
    log,
    stopping: () => s.stopping === true,
    restart: async () => {
      const account = await serverAccount(dir);
      const data = join(dir, 'data');
      // The watchdog may have died and left its postmaster running (then it is stopped), or the postmaster
      // died and left backends finishing (then PostgreSQL refuses to start until they are gone: retried).
      const running = await postmasterPid(data);
      if (running !== undefined && alive(running) && (await isPostgres(running))) await stopPid(running);
      const password = await ensurePassword(dir);
      const started = await start(dir, password, account, s.role, s.connection.port);
      s.child = started.child;
      return started.child as ChildProcess;
    },
  });
}

async function startOrAttach(dir: string, log: EmbeddedLog, role: EmbeddedRole): Promise<Shared> {
  // Parents with the default mode (the server's account must pass through them); the server's own directory private.
  await mkdir(dirname(dir), { recursive: true });
  const account = await serverAccount(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (account) await chown(dir, account.uid, account.gid);
  const unlock = await lockStart(dir);
  try {
    return await startOrAttachLocked(dir, account, log, role);
  } finally {
    await unlock();
  }
}

/**
 * Serialises starts on one directory across processes (a CLI command and
 * `wharf serve` starting together): `mkdir` of `<dir>/start.lock` is atomic;
 * the holder's pid is inside, and a lock whose holder is dead is taken over.
 */
async function lockStart(dir: string): Promise<() => Promise<void>> {
  const lock = join(dir, 'start.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      // No pid yet: the holder is between its mkdir and its write (or died there: after 10 s, taken over).
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if ((holder && !alive(holder)) || (!holder && age > 10_000)) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder || 'unknown'} for over 2 minutes`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function startOrAttachLocked(dir: string, account: Account | undefined, log: EmbeddedLog, role: EmbeddedRole): Promise<Shared> {
  const password = await ensurePassword(dir);
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) await initialise(dir, password, account, log);

  for (let waited = 0; ; waited += 100) {
    const running = await postmasterPid(data);
    if (running === undefined || !alive(running) || !(await isPostgres(running))) break;
    const [ownerText, ownerRole] = (await readFile(join(dir, 'owner'), 'utf8').catch(() => '')).trim().split(' ');
    const owner = Number(ownerText);
    const server = await readFile(join(dir, 'server.json'), 'utf8').then(
      (t) => JSON.parse(t) as { host: string; port: number },
      () => undefined,
    );
    if (owner && owner !== process.pid && alive(owner) && server) {
      // A registry process does not lean on a server a short CLI command started: it waits for that one to end.
      if (role === 'serve' && ownerRole === 'command' && waited < 300_000) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { connection: { ...server, user: USER, password, database: DATABASE }, role, users: 0 };
    }
    log(`stopping a stale embedded PostgreSQL (pid ${running}) whose Wharf process (${owner || 'unknown'}) is gone`, 'warn');
    await stopPid(running);
    break;
  }
  const started = await start(dir, password, account, role);
  await ensureDatabase(started.connection);
  return started;
}

/** Runs `fn` on a single connection to the server's maintenance database (`postgres`), closed afterwards. */
export async function withAdminClient<T>(c: EmbeddedConnection, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** initdb makes only `postgres`; Wharf's tables live in their own database. */
async function ensureDatabase(c: EmbeddedConnection): Promise<void> {
  await withAdminClient(c, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [c.database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(c.database)}`);
  });
}

async function ensurePassword(dir: string): Promise<string> {
  const file = join(dir, 'password');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Runs initdb into a temporary directory renamed into place, so a crash mid-way leaves no half cluster. */
async function initialise(dir: string, password: string, account: Account | undefined, log: EmbeddedLog): Promise<void> {
  const { initdb } = await postgresBinaries();
  const tmp = join(dir, 'data.init');
  const pwfile = join(dir, 'initdb-password');
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { mode: 0o700 });
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    await chown(tmp, account.uid, account.gid);
    await chown(pwfile, account.uid, account.gid);
  }
  try {
    // Locale C: byte-order collation (tag and catalog listings sort as Distribution's), and it exists everywhere.
    const args = ['-D', tmp, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const out = await runToEnd(initdb, args, account);
    if (out.code !== 0) throw new Error(`initdb failed (exit ${out.code}): ${out.output.slice(-2000)}`);
  } finally {
    await rm(pwfile, { force: true });
  }
  await rename(tmp, join(dir, 'data'));
  log(`initialised the embedded PostgreSQL cluster in ${join(dir, 'data')}`, 'info');
}

function runToEnd(cmd: string, args: string[], account: Account | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(account ?? {}), env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

async function start(dir: string, password: string, account: Account | undefined, role: EmbeddedRole, samePort?: number): Promise<Shared> {
  const { postgres } = await postgresBinaries();
  const data = join(dir, 'data');
  const viaSocket = dir.length <= MAX_SOCKET_DIR;
  const host = viaSocket ? dir : '127.0.0.1';
  // A restart keeps the address: the pools of every process reconnect to it.
  const port = viaSocket ? SOCKET_PORT : (samePort ?? (await freePort()));
  const args = [
    postgres,
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    `listen_addresses=${viaSocket ? '' : '127.0.0.1'}`,
    '-c',
    `unix_socket_directories=${viaSocket ? dir : ''}`,
    // Sized for a registry's metadata, not a general server: small shared memory keeps the default install light.
    '-c',
    'shared_buffers=32MB',
    '-c',
    'max_connections=200',
    '-c',
    'logging_collector=off',
    '-c',
    'log_min_messages=warning',
  ];
  // Claimed before the server exists: a process that finds it starting must see a live owner, never a stale one.
  await writeFile(join(dir, 'owner'), `${process.pid} ${role}\n`);
  await writeFile(join(dir, 'server.json'), JSON.stringify({ host, port }), { mode: 0o600 });
  // A pid file left by a killed server may still say "ready": only a new postmaster's counts.
  const previous = await postmasterPid(data);
  const logFile = join(dir, 'postgres.log');
  const fd = openSync(logFile, 'a', 0o600);
  if (account) await chown(logFile, account.uid, account.gid);
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'wharf-postgres', ...args], { stdio: ['pipe', fd, fd], detached: true, ...(account ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } finally {
    closeSync(fd);
  }
  // Neither the child nor its pipe keeps Wharf alive; when Wharf exits, the pipe closes and the watchdog stops the server.
  child.unref();
  (child.stdin as unknown as { unref?: () => void })?.unref?.();
  child.stdin?.on('error', () => undefined);
  await waitReady(data, child, logFile, previous);
  return { connection: { host, port, user: USER, password, database: DATABASE }, child, role, users: 0 };
}

async function waitReady(data: string, child: ChildProcess, logFile: string, previous: number | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).slice(-2000);
      throw new Error(`the embedded PostgreSQL server exited at start: ${tail}`);
    }
    const pid = await postmasterPid(data);
    if (pid !== undefined && pid !== previous && (await postmasterStatus(data)) === 'ready') return;
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL server did not become ready within 60 s (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits (at most 5 minutes) until no other client is connected: other commands that joined this one's server. */
async function othersGone(c: EmbeddedConnection): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const others = await withAdminClient(c, async (client) => {
      const r = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
      return r.rows[0]?.n ?? 0;
    }).catch(() => 0);
    if (others === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Closes the watchdog's pipe (fast shutdown) and waits for it; kills it after 30 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.stdin?.end();
  });
}

/** Stops a postmaster by pid: fast shutdown, then immediate, then kill. */
async function stopPid(pid: number): Promise<void> {
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 30_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, wait] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const until = Date.now() + wait;
    while (Date.now() < until) {
      if (!alive(pid)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}
