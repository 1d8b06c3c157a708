/**
 * `wharf database import`: images skopeo pushed into Debian's CNCF
 * Distribution are imported and then pulled from Wharf in database mode with
 * identical digests; a dry run changes nothing; the three-step method gives
 * the same result; an import killed midway resumes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pgDatabase } from '../../src/db/pg-database.js';
import { startDistribution } from '../support/distribution.js';
import { TestClient } from '../support/http.js';
import { OciLayout, type Desc } from '../support/oci-layout.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { requireCommand, run } from '../support/tools.js';
import { startWharf } from '../support/wharf.js';
import { tempDir } from '../support/temp.js';

const skip = (await requirePostgres()) ?? requireCommand('skopeo') ?? requireCommand('docker-registry');
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('import from legacy metadata', { skip }, () => {
  let work: string;
  let root: string;
  let image: Desc;
  let index: Desc;
  const dbs: TestDatabase[] = [];

  async function config(tdb: TestDatabase, readonly: boolean): Promise<string> {
    const s = tdb.section;
    const file = join(work, `config-${s.dbname}-${readonly}.yml`);
    await writeFile(
      file,
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  maintenance:\n    readonly:\n      enabled: ${readonly}\ndatabase:\n  enabled: true\n  host: ${s.host}\n  port: ${s.port}\n  user: ${s.user}\n  dbname: ${s.dbname}\n  sslmode: disable\n`,
    );
    return file;
  }
  const wharf = (...args: string[]) => spawnSync(process.execPath, [BIN, 'database', 'import', ...args], { encoding: 'utf8' });
  async function counts(tdb: TestDatabase): Promise<Record<string, number>> {
    const db = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
    try {
      const rows = await db.query<{ m: string; t: string; b: string; p: string }>(
        't',
        'SELECT (SELECT count(*) FROM manifests) AS m, (SELECT count(*) FROM tags) AS t, (SELECT count(*) FROM repository_blobs) AS b, (SELECT count(*) FROM legacy_import_progress) AS p',
      );
      const r = rows[0] as { m: string; t: string; b: string; p: string };
      return { manifests: Number(r.m), tags: Number(r.t), blobLinks: Number(r.b), progress: Number(r.p) };
    } finally {
      await db.close();
    }
  }

  before(async () => {
    work = await tempDir('wharf-import-');
    root = join(work, 'data');
    const layout = await OciLayout.create(join(work, 'src'));
    image = await layout.image({ tag: 'v1', layers: 2 });
    index = await layout.multiArch('multi');
    await layout.artifact('sbom', image);
    await layout.flush();
    const dist = await startDistribution(root, work);
    try {
      await run('skopeo', ['copy', ...TLS, `oci:${layout.dir}:v1`, `docker://${dist.host}/imp/img:v1`]);
      await run('skopeo', ['copy', ...TLS, `oci:${layout.dir}:sbom`, `docker://${dist.host}/imp/img:sbom`]);
      await run('skopeo', ['copy', ...TLS, '--format', 'v2s2', `oci:${layout.dir}:v1`, `docker://${dist.host}/imp/docker:latest`]);
      await run('skopeo', ['copy', ...TLS, '--all', `oci:${layout.dir}:multi`, `docker://${dist.host}/imp/multi:latest`]);
    } finally {
      await dist.stop();
    }
  });
  after(async () => {
    for (const d of dbs) await d.drop();
  });

  it('a dry run reports and changes nothing; the import then serves identical digests', async () => {
    const tdb = await createMigratedTestDatabase();
    dbs.push(tdb);
    const dry = wharf('--dry-run', await config(tdb, false));
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /would import 3 repositories/);
    assert.deepEqual(await counts(tdb), { manifests: 0, tags: 0, blobLinks: 0, progress: 0 });

    const refused = wharf(await config(tdb, false));
    assert.equal(refused.status, 2, 'one-step import refuses a writable registry');
    assert.match(refused.stderr, /read-only/);

    const done = wharf(await config(tdb, true));
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /imported 3 repositories \(0 already done\): 6 manifests, 4 tags/);
    assert.doesNotMatch(done.stdout, /problem/);

    const reg = await startWharf({ database: tdb.section }, root);
    try {
      assert.equal(reg.node.services.metadata.mode, 'database');
      const out = await tempDir('pull-', work);
      await run('skopeo', ['copy', ...TLS, `docker://${reg.host}/imp/img:v1`, `oci:${out}:v1`]);
      const raw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/imp/img:v1`]);
      assert.equal(sha(raw), image.digest);
      const multi = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/imp/multi:latest`]);
      assert.equal(sha(multi), index.digest);
      const c = new TestClient(reg.url);
      assert.deepEqual((await c.req('GET', '/v2/imp/img/tags/list')).json(), { name: 'imp/img', tags: ['sbom', 'v1'] });
      const refs = (await c.req('GET', `/v2/imp/img/referrers/${image.digest}`)).json<{ manifests: unknown[] }>();
      assert.equal(refs.manifests.length, 1, 'the artifact is a referrer after import');
      assert.deepEqual((await c.req('GET', '/v2/_catalog')).json(), { repositories: ['imp/docker', 'imp/img', 'imp/multi'] });
    } finally {
      await reg.close();
    }
    const again = wharf(await config(tdb, true));
    assert.match(again.stdout, /imported 0 repositories \(3 already done\)/, 'a repeated import does nothing');
  });

  it('the three-step method gives the same result as one step', async () => {
    const tdb = await createMigratedTestDatabase();
    dbs.push(tdb);
    assert.equal(wharf('--step-one', await config(tdb, false)).status, 0, 'step one runs while the registry writes');
    assert.equal((await counts(tdb)).tags, 0);
    assert.equal(wharf('--step-two', await config(tdb, false)).status, 2, 'step two needs read-only');
    assert.equal(wharf('--step-two', await config(tdb, true)).status, 0);
    assert.equal(wharf('--step-three', await config(tdb, false)).status, 0);
    const c = await counts(tdb);
    assert.deepEqual({ manifests: c.manifests, tags: c.tags }, { manifests: 6, tags: 4 });
    assert.equal(c.progress, 9, 'three steps recorded for each of three repositories');
  });

  it('an import killed midway resumes where it stopped', async () => {
    // Thirty more repositories, pushed by Wharf in legacy mode into the same directory.
    const legacy = await startWharf({ database: { enabled: false } }, root);
    const c = new TestClient(legacy.url);
    for (let i = 0; i < 30; i++) await c.pushImage(`imp/many/r${String(i).padStart(2, '0')}`, 'v1');
    await legacy.close();

    const tdb = await createMigratedTestDatabase();
    dbs.push(tdb);
    const cfg = await config(tdb, true);
    const proc = spawn(process.execPath, [BIN, 'database', 'import', '--progress-lines', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => {
      let lines = 0;
      proc.stderr.on('data', (d: Buffer) => {
        lines += d
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('import:')).length;
        if (lines >= 5 && proc.exitCode === null) {
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.once('exit', () => resolve());
    });
    await new Promise((r) => proc.once('exit', r).exitCode !== null && r(null));
    const partial = (await counts(tdb)).progress as number;
    assert.ok(partial >= 5 * 3 && partial < 33 * 3, `killed midway (${partial / 3} of 33 repositories done)`);
    const resumed = wharf(cfg);
    assert.equal(resumed.status, 0, resumed.stderr);
    const m = /imported (\d+) repositories \((\d+) already done\)/.exec(resumed.stdout);
    assert.ok(m, resumed.stdout);
    assert.equal(Number(m[1]) + Number(m[2]), 33);
    assert.ok(Number(m[2]) >= 5);
    const c2 = await counts(tdb);
    assert.equal(c2.tags, 4 + 30);
    assert.equal(c2.progress, 33 * 3);
  });
});
