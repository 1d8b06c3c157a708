/**
 * The embedded database, a real PostgreSQL server Wharf runs itself under
 * `<rootdirectory>/wharf/postgres`: where it keeps its files, that it listens
 * on a Unix socket only, that CLI commands join it while the server runs,
 * that a killed Wharf leaves no postmaster behind (and a stale one is
 * stopped at the next start), that two data directories run side by side,
 * and that it runs as root and as a normal user.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { spawnWharf } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { until } from '../support/wait.js';
import { alive } from '../../src/db/embedded/postmaster.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';

const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

const pgDir = (root: string) => join(root, 'wharf', 'postgres');
/** The postmaster's pid file: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
const pidFile = async (root: string) => (await readFile(join(pgDir(root), 'data', 'postmaster.pid'), 'utf8')).split('\n');
const postmasterPid = async (root: string) => Number((await pidFile(root))[0]);
/** Parent pid from /proc (the watchdog of a postmaster). */
const parentOf = async (pid: number) => Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1]);
const uidOf = async (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);

function wharfCli(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
}

describe('embedded database (a PostgreSQL server under the data directory)', () => {
  let server: TestRegistry;
  before(async () => {
    server = await startWharf();
    assert.equal(server.node.services.metadata.mode, 'database');
  });
  after(async () => server?.close());

  it('keeps its cluster under <rootdirectory>/wharf/postgres, listens on a Unix socket only, and keeps its data across a restart', async () => {
    const c = new TestClient(server.url);
    const img = await c.pushImage('emb/restart', 'v1');
    const dir = pgDir(server.root);
    assert.ok(existsSync(join(dir, 'data', 'PG_VERSION')), 'cluster under <rootdirectory>/wharf/postgres/data');
    const lines = await pidFile(server.root);
    assert.equal(lines[4], dir, 'socket in the data directory');
    assert.equal(lines[5], '', 'no TCP listen address');
    assert.ok(existsSync(join(dir, `.s.PGSQL.${lines[3]}`)), 'the socket file exists');
    assert.equal(statSync(join(dir, 'password')).mode & 0o777, 0o600, 'generated password readable by its owner only');
    const before = await postmasterPid(server.root);
    const root = server.root;
    await server.close();
    assert.ok(!alive(before), 'closing the last user stops the server');
    server = await startWharf({}, root);
    const again = new TestClient(server.url);
    const r = await again.req('GET', '/v2/emb/restart/manifests/v1');
    assert.equal(r.status, 200);
    assert.equal(r.header('docker-content-digest'), img.digest);
    assert.deepEqual((await again.req('GET', '/v2/emb/restart/tags/list')).json(), { name: 'emb/restart', tags: ['v1'] });
  });

  it('wharf admin and wharf database commands work while the server runs, on the same database', async () => {
    const cfg = join(server.root, 'config.yml');
    await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${server.root}\n`);
    const pid = await postmasterPid(server.root);
    const created = wharfCli(['admin', 'create-user', 'alice', cfg, '--password-stdin'], 'a-long-password-1');
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created user alice/);
    const db = server.node.database;
    assert.ok(db);
    assert.equal((await db.query('t', 'SELECT 1 FROM users WHERE username = $1', ['alice'])).length, 1, 'the running server sees the user the CLI created');
    const gc = wharfCli(['database', 'gc-status', '--json', cfg]);
    assert.equal(gc.status, 0, gc.stderr);
    assert.ok(Array.isArray(JSON.parse(gc.stdout)));
    assert.equal(await postmasterPid(server.root), pid, 'the CLI joined the running server and left it running');
    assert.ok(alive(pid));
  });

  it('refuses to serve an empty database over legacy data, and serves it after import', async () => {
    const legacy = await startWharf({ database: { enabled: false } });
    const img = await new TestClient(legacy.url).pushImage('emb/legacy', 'v1');
    await legacy.close();
    await assert.rejects(startWharf({}, legacy.root), /storage holds 1 repositories in legacy.*wharf database import/);
    const cfg = join(legacy.root, 'config.yml');
    await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${legacy.root}\n`);
    const imported = wharfCli(['database', 'import', '--force', cfg]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /imported 1 repositories/);
    const after = await startWharf({}, legacy.root);
    try {
      assert.equal((await new TestClient(after.url).req('GET', '/v2/emb/legacy/manifests/v1')).header('docker-content-digest'), img.digest);
    } finally {
      await after.close();
    }
  });

  it('two data directories run side by side, each on its own server', async () => {
    const other = await startWharf();
    try {
      const a = await new TestClient(server.url).pushImage('emb/side', 'a');
      const b = await new TestClient(other.url).pushImage('emb/side', 'b');
      assert.notEqual(await postmasterPid(server.root), await postmasterPid(other.root));
      assert.deepEqual((await new TestClient(server.url).req('GET', '/v2/emb/side/tags/list')).json(), { name: 'emb/side', tags: ['a'] });
      assert.deepEqual((await new TestClient(other.url).req('GET', '/v2/emb/side/tags/list')).json(), { name: 'emb/side', tags: ['b'] });
      assert.equal((await new TestClient(other.url).req('HEAD', `/v2/emb/side/manifests/${a.digest}`)).status, 404);
      assert.equal((await new TestClient(server.url).req('HEAD', `/v2/emb/side/manifests/${b.digest}`)).status, 404);
    } finally {
      await other.close();
    }
  });
});

describe('embedded database and the Wharf process', () => {
  it('commands started together on a stopped data directory share one server start (a start lock)', async () => {
    const work = await tempDir('wharf-emb-race-');
    const cfg = join(work, 'config.yml');
    await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'data')}\n`);
    const results = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            execFile(process.execPath, [BIN, 'database', 'migrate', 'status', cfg], { timeout: 60_000 }, (e, _out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, err }));
          }),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(work, 'data', 'wharf', 'postgres', 'start.lock')), 'the lock is released');
  });

  it('a Wharf killed with SIGKILL leaves no postmaster behind', async () => {
    const work = await tempDir('wharf-emb-kill-');
    const root = join(work, 'data');
    const wharf = await spawnWharf(root, work);
    const pid = await postmasterPid(root);
    assert.ok(alive(pid));
    await wharf.kill('SIGKILL');
    await until('the watchdog to stop the orphaned postmaster', async () => !alive(pid), 30_000);
  });

  it('a stale postmaster of a killed run (its watchdog killed too) is found at start and stopped, and the data is served', async () => {
    const work = await tempDir('wharf-emb-stale-');
    const root = join(work, 'data');
    let wharf = await spawnWharf(root, work);
    const img = await new TestClient(wharf.url).pushImage('emb/stale', 'v1');
    const stale = await postmasterPid(root);
    const watchdog = await parentOf(stale);
    process.kill(watchdog, 'SIGKILL');
    await wharf.kill('SIGKILL');
    assert.ok(alive(stale), 'the postmaster outlived Wharf and its watchdog');
    wharf = await spawnWharf(root, work);
    try {
      assert.ok(!alive(stale), 'the stale postmaster was stopped');
      assert.notEqual(await postmasterPid(root), stale);
      const r = await new TestClient(wharf.url).req('GET', '/v2/emb/stale/manifests/v1');
      assert.equal(r.status, 200);
      assert.equal(r.header('docker-content-digest'), img.digest);
    } finally {
      await wharf.kill();
    }
  });

  it('runs as root with the server under the postgres account, and as a normal user', { skip: isRoot ? undefined : 'not root: the whole suite already runs the server as this normal user' }, async () => {
    const postgresUid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const asRoot = await tempDir('wharf-emb-root-');
    const wharf = await spawnWharf(join(asRoot, 'data'), asRoot);
    try {
      assert.equal(await uidOf(await postmasterPid(join(asRoot, 'data'))), postgresUid, 'as root, the server runs as postgres');
      assert.equal(statSync(join(pgDir(join(asRoot, 'data')), 'data')).uid, postgresUid, 'and owns its cluster');
      await new TestClient(wharf.url).pushImage('emb/root', 'v1');
    } finally {
      await wharf.kill();
    }
    // A normal user (nobody) owning its data directory: the server runs as that user.
    const asUser = await tempDir('wharf-emb-user-');
    const nobody = { uid: 65534, gid: 65534 };
    await chown(asUser, nobody.uid, nobody.gid);
    const user = await spawnWharf(join(asUser, 'data'), asUser, 1, '', '', undefined, nobody);
    try {
      assert.equal(await uidOf(await postmasterPid(join(asUser, 'data'))), nobody.uid);
      const c = new TestClient(user.url);
      const img = await c.pushImage('emb/user', 'v1');
      assert.equal((await c.req('GET', '/v2/emb/user/manifests/v1')).header('docker-content-digest'), img.digest);
    } finally {
      await user.kill();
    }
  });
});
