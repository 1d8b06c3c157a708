/**
 * Token auth end to end with real clients: skopeo pushes and pulls through
 * the /jwt/auth flow with a password, a personal access token and a deploy
 * token; CNCF Distribution configured with Wharf's realm, service, issuer and
 * certificate accepts Wharf's tokens; and the registry and control plane run
 * as separate processes on separate databases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { PASSWORD, startAuthStack, testKey, type AuthStack } from '../support/auth-stack.js';
import { freePort, startDistribution, type DistributionProcess } from '../support/distribution.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo') ?? (await requirePostgres());
const noDistribution = skip ?? requireCommand('docker-registry');
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

const copy = (src: string, dest: string, extra: string[]) => skopeoCopy(src, dest, extra);

describe('token auth with skopeo', { skip }, () => {
  let s: AuthStack;
  let layout: OciLayout;
  let work: string;
  let dev: number;

  before(async () => {
    s = await startAuthStack();
    work = await tempDir('wharf-token-e2e-');
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 100_000 });
    await layout.flush();
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'shop' });
    for (const path of ['web', 'api']) assert.equal((await s.api('POST', '/projects', s.rootCreds, { path, namespace_id: g.body.id })).status, 201);
    dev = await s.createUser('dev');
    const web = await s.api('GET', `/projects/${encodeURIComponent('shop/web')}`, s.rootCreds);
    assert.equal((await s.api('POST', `/projects/${web.body.id}/members`, s.rootCreds, { user_id: dev, access_level: 30 })).status, 201);
  });
  after(() => s?.close());

  it('pushes and pulls with a password; anonymous and outsiders are refused', async () => {
    const pushed = await copy(`oci:${layout.dir}:v1`, `docker://${s.host}/shop/web:v1`, ['--dest-creds', `dev:${PASSWORD}`]);
    const pulledDir = join(work, 'pulled');
    const pulled = await copy(`docker://${s.host}/shop/web:v1`, `oci:${pulledDir}:v1`, ['--src-creds', `dev:${PASSWORD}`]);
    assert.equal(pulled, pushed);
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', `docker://${s.host}/shop/web:v1`]), /unauthorized|denied|authentication required/i);
    await s.createUser('outsider');
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', `outsider:${PASSWORD}`, `docker://${s.host}/shop/web:v1`]), /unauthorized|denied/i);
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', 'dev:wrong-password', `docker://${s.host}/shop/web:v1`]), /401|unauthorized|invalid/i);
  });

  it('a personal access token without write_registry cannot push; with it, it can', async () => {
    const readOnly = await s.createPat(dev, ['read_registry']);
    await assert.rejects(copy(`oci:${layout.dir}:v1`, `docker://${s.host}/shop/web:ro`, ['--dest-creds', `dev:${readOnly}`]), /denied|unauthorized|authentication required/i);
    const out = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `dev:${readOnly}`, `docker://${s.host}/shop/web:v1`]);
    assert.equal(JSON.parse(out).Name, `${s.host}/shop/web`);
    const writer = await s.createPat(dev, ['read_registry', 'write_registry']);
    await copy(`oci:${layout.dir}:v1`, `docker://${s.host}/shop/web:rw`, ['--dest-creds', `dev:${writer}`]);
  });

  it('a deploy token reads only its own project', async () => {
    const web = await s.api('GET', `/projects/${encodeURIComponent('shop/web')}`, s.rootCreds);
    const dt = await s.api('POST', `/projects/${web.body.id}/deploy_tokens`, s.rootCreds, { name: 'ci', scopes: ['read_registry'], username: 'ci-reader' });
    assert.equal(dt.status, 201);
    await copy(`oci:${layout.dir}:v1`, `docker://${s.host}/shop/api:v1`, ['--dest-creds', `root:root-password-1234`]);
    const out = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `ci-reader:${dt.body.token}`, `docker://${s.host}/shop/web:v1`]);
    assert.deepEqual(JSON.parse(out).RepoTags.sort(), ['rw', 'v1']);
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', `ci-reader:${dt.body.token}`, `docker://${s.host}/shop/api:v1`]), /denied|unauthorized/i);
    await assert.rejects(copy(`oci:${layout.dir}:v1`, `docker://${s.host}/shop/web:dt`, ['--dest-creds', `ci-reader:${dt.body.token}`]), /denied|unauthorized|authentication required/i);
  });

  describe('CNCF Distribution authenticated by Wharf', { skip: noDistribution }, () => {
    let dist: DistributionProcess;
    before(async () => {
      const dir = await tempDir('wharf-dist-auth-');
      dist = await startDistribution(join(dir, 'data'), dir, `auth:\n  token:\n    realm: ${s.url}/jwt/auth\n    service: container_registry\n    issuer: wharf-issuer\n    rootcertbundle: ${s.key.certificate}\n`);
    });
    after(() => dist?.stop());

    it('accepts Wharf tokens for push and pull and refuses users without access', async () => {
      const res = await fetch(`${dist.url}/v2/`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`realm="${s.url}/jwt/auth"`));
      const pushed = await copy(`oci:${layout.dir}:v1`, `docker://${dist.host}/shop/web:v1`, ['--dest-creds', `dev:${PASSWORD}`]);
      const pulled = await copy(`docker://${dist.host}/shop/web:v1`, `oci:${join(work, 'from-dist')}:v1`, ['--src-creds', `dev:${PASSWORD}`]);
      assert.equal(pulled, pushed);
      await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', `outsider:${PASSWORD}`, `docker://${dist.host}/shop/web:v1`]), /unauthorized|denied/i);
      await assert.rejects(copy(`oci:${layout.dir}:v1`, `docker://${dist.host}/shop/api:v1`, ['--dest-creds', `dev:${PASSWORD}`]), /unauthorized|denied|authentication required/i);
    });
  });
});

describe('registry and control plane as separate processes', { skip }, () => {
  const procs: Array<ReturnType<typeof spawn>> = [];
  const dbs: TestDatabase[] = [];
  let registryUrl: string;
  let cpUrl: string;

  async function serve(name: string, yaml: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const dir = await tempDir(`wharf-${name}-`);
    await writeFile(join(dir, 'config.yml'), yaml);
    const proc = spawn(process.execPath, [BIN, 'serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    procs.push(proc);
    const url = /addr: (\S+)/.exec(yaml)![1];
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
      const up = await fetch(`http://${url}/`).then(
        () => true,
        () => false,
      );
      if (up) return;
      if (i > 300) throw new Error(`${name} did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    const key = await testKey();
    const [cpDb, regDb] = [await createMigratedTestDatabase(), await createMigratedTestDatabase()];
    dbs.push(cpDb, regDb);
    const [cpPort, regPort] = [await freePort(), await freePort()];
    cpUrl = `http://127.0.0.1:${cpPort}`;
    registryUrl = `http://127.0.0.1:${regPort}`;
    const db = (t: TestDatabase) => `database:\n  host: ${t.section.host}\n  port: ${t.section.port}\n  user: ${t.section.user}\n  dbname: ${t.section.dbname}\n  sslmode: disable\n`;
    const data = await tempDir('wharf-split-data-');
    await serve(
      'control-plane',
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${data}/cp\nhttp:\n  addr: 127.0.0.1:${cpPort}\n  workers: 1\n${db(cpDb)}controlplane:\n  standalone: true\n  registryurl: ${registryUrl}\n  key: ${key.key}\n  certificate: ${key.certificate}\n  notificationsecret: split-secret\n`,
      { WHARF_ROOT_PASSWORD: 'root-password-1234' },
    );
    await serve(
      'registry',
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${data}/registry\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${regPort}\n  workers: 1\n${db(regDb)}controlplane:\n  enabled: false\nauth:\n  token:\n    realm: ${cpUrl}/jwt/auth\n    service: container_registry\n    issuer: wharf-issuer\n    rootcertbundle: ${key.certificate}\n`,
    );
  });
  after(async () => {
    for (const p of procs) {
      if (p.exitCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
    }
    for (const d of dbs) await d.drop();
  });

  it('skopeo pushes through the registry node with tokens from the control-plane node, which then manages the repository', async () => {
    const root = { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}`, 'Content-Type': 'application/json' };
    assert.equal((await fetch(`${registryUrl}/api/v4/user`, { headers: root })).status, 404, 'no control plane on the registry node');
    assert.equal((await fetch(`${cpUrl}/v2/`)).status, 404, 'no registry API on the control-plane node');
    const challenge = (await fetch(`${registryUrl}/v2/`)).headers.get('www-authenticate') ?? '';
    assert.match(challenge, new RegExp(`realm="${cpUrl}/jwt/auth"`));
    const g = await (await fetch(`${cpUrl}/api/v4/groups`, { method: 'POST', headers: root, body: JSON.stringify({ path: 'split' }) })).json();
    const p = await (await fetch(`${cpUrl}/api/v4/projects`, { method: 'POST', headers: root, body: JSON.stringify({ path: 'app', namespace_id: g.id }) })).json();
    const work = await tempDir('wharf-split-');
    const layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 1, layerSize: 50_000 });
    await layout.flush();
    const registryHost = registryUrl.replace('http://', '');
    const pushed = await copy(`oci:${layout.dir}:v1`, `docker://${registryHost}/split/app:v1`, ['--dest-creds', 'root:root-password-1234']);
    // The registry's notification (issue 5 sends these itself) reaches the control plane.
    const ev = await fetch(`${cpUrl}/api/v4/container_registry_event/events`, {
      method: 'POST',
      headers: { Authorization: 'split-secret' },
      body: JSON.stringify({ events: [{ action: 'push', target: { repository: 'split/app', tag: 'v1', digest: pushed } }] }),
    });
    assert.equal(ev.status, 200);
    // The control plane calls the registry node with its own short-lived token for sizes and tags.
    const repos = await (await fetch(`${cpUrl}/api/v4/projects/${p.id}/registry/repositories?tags=true`, { headers: root })).json();
    assert.equal(repos.length, 1);
    assert.ok(repos[0].size > 50_000, `size ${repos[0].size}`);
    assert.deepEqual(
      repos[0].tags.map((t: { name: string }) => t.name),
      ['v1'],
    );
    const tag = await (await fetch(`${cpUrl}/api/v4/projects/${p.id}/registry/repositories/${repos[0].id}/tags/v1`, { headers: root })).json();
    assert.equal(tag.digest, pushed);
  });
});
