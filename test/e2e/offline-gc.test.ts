/**
 * Offline garbage collection against CNCF Distribution's own: one data
 * directory written by Distribution (skopeo pushes, a moved tag, an orphan
 * blob) is copied, collected by `docker-registry garbage-collect` and by
 * `wharf garbage-collect`, with and without `-m`, and the same blobs remain;
 * a dry run deletes nothing; every tagged image still pulls afterwards; the
 * refusals; Ctrl+C during the mark changes nothing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, run } from '../support/tools.js';
import { startDistribution } from '../support/distribution.js';
import { startWharf } from '../support/wharf.js';
import { snapshot } from '../support/snapshot.js';
import { sha256, TestClient } from '../support/http.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo') ?? requireCommand('docker-registry');
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;
const TAGGED = ['app:v1', 'app:v2', 'other:v1'];

async function blobsIn(root: string): Promise<string[]> {
  const base = join(root, 'docker/registry/v2/blobs/sha256');
  const out: string[] = [];
  for (const p of await readdir(base).catch(() => [])) for (const h of await readdir(join(base, p))) out.push(h);
  return out.sort();
}

async function config(dir: string, root: string, readonly = true, database = false): Promise<string> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(file, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  maintenance:\n    readonly:\n      enabled: ${readonly}\n${database ? '' : 'database:\n  enabled: false\n'}`);
  return file;
}

describe('offline garbage collection, side by side with Distribution', { skip }, () => {
  let work: string;
  let source: string;

  before(async () => {
    work = await tempDir('wharf-offline-gc-');
    source = join(work, 'source');
    const dist = await startDistribution(source, work);
    try {
      const layout = await OciLayout.create(join(work, 'layout'));
      await layout.image({ tag: 'one', layers: 2, layerSize: 20_000 });
      await layout.image({ tag: 'two', layers: 2, layerSize: 20_000 });
      await layout.image({ tag: 'three', layers: 1, layerSize: 20_000 });
      await layout.flush();
      const push = (src: string, dest: string) => run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout.dir}:${src}`, `docker://${dist.host}/${dest}`]);
      await push('one', 'app:v1');
      await push('two', 'app:v2');
      await push('three', 'app:v2'); // v2 moves: image two is now untagged
      await push('one', 'other:v1'); // shares every blob with app:v1
      // An orphan: linked into app, referenced by no manifest (POST then PUT: Distribution 2.8 has no one-request upload).
      const data = `orphan-${Date.now()}`;
      const client = new TestClient(dist.url);
      const start = await client.req('POST', '/v2/app/blobs/uploads/');
      const location = new URL(start.header('location')!, dist.url);
      location.searchParams.set('digest', sha256(data));
      assert.equal((await client.req('PUT', location.pathname + location.search, { body: data, headers: { 'Content-Type': 'application/octet-stream' } })).status, 201);
    } finally {
      await dist.stop();
    }
  });
  after(() => undefined);

  async function copyOf(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(source, dir, { recursive: true });
    return dir;
  }

  for (const untagged of [false, true]) {
    it(`leaves the same blobs as docker-registry garbage-collect${untagged ? ' -m' : ''}`, async () => {
      const theirs = await copyOf(`theirs-${untagged}`);
      const ours = await copyOf(`ours-${untagged}`);
      const before = await blobsIn(ours);
      await run('docker-registry', ['garbage-collect', ...(untagged ? ['--delete-untagged'] : []), await config(work, theirs)]);
      const out = spawnSync(process.execPath, [BIN, 'garbage-collect', ...(untagged ? ['-m'] : []), await config(work, ours)], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, /deleted \d+ manifests and \d+ blobs \(\d+ bytes\); \d+ blobs kept/);
      const left = await blobsIn(ours);
      assert.deepEqual(left, await blobsIn(theirs));
      assert.ok(left.length < before.length, 'something was collected');
      // Every tagged image still pulls from Wharf serving the collected directory.
      const reg = await startWharf({ database: { enabled: false } }, ours);
      try {
        for (const ref of TAGGED) await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/${ref}`, `oci:${join(work, `pulled-${untagged}`)}:${ref.replace(':', '-')}`]);
      } finally {
        await reg.close();
      }
    });
  }

  it('--dry-run deletes nothing and says what it would delete', async () => {
    const dir = await copyOf('dry');
    const before = await snapshot(dir);
    const out = spawnSync(process.execPath, [BIN, 'garbage-collect', '-m', '--dry-run', await config(work, dir, false)], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /would delete 1 manifests and [1-9]\d* blobs/);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('refuses in database mode and while the registry accepts writes (unless --force)', async () => {
    const dir = await copyOf('refuse');
    const before = await snapshot(dir);
    const db = spawnSync(process.execPath, [BIN, 'garbage-collect', await config(work, dir, true, true)], { encoding: 'utf8' });
    assert.equal(db.status, 2);
    assert.match(db.stderr, /online garbage collection/);
    const writable = spawnSync(process.execPath, [BIN, 'garbage-collect', await config(work, dir, false)], { encoding: 'utf8' });
    assert.equal(writable.status, 2);
    assert.match(writable.stderr, /maintenance\.readonly\.enabled/);
    assert.deepEqual(await snapshot(dir), before);
    const forced = spawnSync(process.execPath, [BIN, 'garbage-collect', '--force', await config(work, dir, false)], { encoding: 'utf8' });
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /warning: --force/);
  });

  it('Ctrl+C during the mark changes nothing', async () => {
    const dir = await copyOf('interrupt');
    // Thousands of repositories (each a revision link to an existing manifest) make the mark take a while.
    const app = join(dir, 'docker/registry/v2/repositories/app/_manifests/revisions/sha256');
    const [rev] = await readdir(app);
    for (let i = 0; i < 4000; i++) {
      const d = join(dir, `docker/registry/v2/repositories/bulk/r${i}/_manifests/revisions/sha256/${rev}`);
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'link'), `sha256:${rev}`);
    }
    const before = await snapshot(dir);
    const proc = spawn(process.execPath, [BIN, 'garbage-collect', '-m', await config(work, dir)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) =>
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('marking')) resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    proc.kill('SIGINT');
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    assert.equal(code, 130, out);
    assert.match(out, /interrupted during mark: nothing was deleted/);
    assert.deepEqual(await snapshot(dir), before);
  });
});
