/** The `wharf` command: config verify, and serve on embedded defaults. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/distribution.js';
import { tempDir } from '../support/temp.js';

const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

describe('wharf CLI', () => {
  it('config verify accepts a valid file and names the key of an invalid one', async () => {
    const dir = await tempDir('wharf-cli-');
    await writeFile(join(dir, 'ok.yml'), 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/x\n');
    await writeFile(join(dir, 'bad.yml'), 'version: 0.1\nstorage:\n  filesystem:\n    rootdir: /tmp/x\n');
    const ok = spawnSync(process.execPath, [BIN, 'config', 'verify', join(dir, 'ok.yml')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK/);
    assert.match(ok.stdout, /storage: filesystem \(\/tmp\/x\)/);
    // Object storage is named with its bucket or container (it used to print "filesystem (undefined)").
    for (const [section, want] of [
      ['s3:\n    bucket: bucket-one\n    region: us-east-1', /storage: s3 \(bucket bucket-one\)/],
      ['gcs:\n    bucket: bucket-two', /storage: gcs \(bucket bucket-two\)/],
      ['azure:\n    accountname: a\n    accountkey: k\n    container: box-three', /storage: azure \(container box-three\)/],
    ] as const) {
      await writeFile(join(dir, 'obj.yml'), `version: 0.1\nstorage:\n  ${section}\n`);
      const r = spawnSync(process.execPath, [BIN, 'config', 'verify', join(dir, 'obj.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, want);
    }
    const bad = spawnSync(process.execPath, [BIN, 'config', 'verify', join(dir, 'bad.yml')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /storage\.filesystem\.rootdir/);
  });

  it('serve with no config runs registry and control plane with token auth, data under ./data', async () => {
    const cwd = await tempDir('wharf-cli-');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { ...process.env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, WHARF_ROOT_PASSWORD: 'first-admin-password' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      let status = 0;
      // The first start generates the 4096-bit signing key: allow it time.
      for (let i = 0; i < 600 && status === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await fetch(`${base}/v2/`).then(
          (r) => r.status,
          () => 0,
        );
      }
      assert.equal(status, 401, `server came up with token auth: ${out}`);
      const challenge = (await fetch(`${base}/v2/`)).headers.get('www-authenticate');
      assert.equal(challenge, `Bearer realm="${base}/jwt/auth",service="container_registry"`);
      const tokenRes = await fetch(`${base}/jwt/auth?service=container_registry&scope=registry:catalog:*`, { headers: { Authorization: `Basic ${Buffer.from('root:first-admin-password').toString('base64')}` } });
      assert.equal(tokenRes.status, 200);
      const { token } = (await tokenRes.json()) as { token: string };
      assert.equal((await fetch(`${base}/v2/`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await fetch(`${base}/v2/_catalog`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await fetch(`${base}/debug/health`)).status, 200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /wharf_http_requests_total\{method="GET",route="base",status="401",worker="\d"\} 2/);
      assert.match(metrics, /wharf_storage_operation_duration_seconds_bucket/);
      assert.ok(existsSync(join(cwd, 'data', 'wharf', 'postgres', 'data', 'PG_VERSION')), 'embedded PostgreSQL cluster under ./data');
      assert.ok(existsSync(join(cwd, 'data', 'wharf', 'auth', 'token.crt')), 'signing certificate generated under ./data');
      const line = out.split('\n').find((l) => l.includes('registry listening'));
      assert.ok(line, 'JSON start-up log line');
      assert.equal(JSON.parse(line).level, 'info');
      assert.ok(out.includes('created the first admin'), 'root created from WHARF_ROOT_PASSWORD');
      assert.ok(!out.includes('registry is open'), 'no open-registry warning with auth on');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it('admin create-user and create-token write to the database the config names', async () => {
    const dir = await tempDir('wharf-cli-admin-');
    const cfg = join(dir, 'config.yml');
    await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n`);
    const made = spawnSync(process.execPath, [BIN, 'admin', 'create-user', 'alice', cfg, '--admin', '--password-stdin'], { encoding: 'utf8', input: 'alice-password-1\n' });
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /created user alice \(id 1, admin\)/);
    const again = spawnSync(process.execPath, [BIN, 'admin', 'create-user', 'alice', cfg], { encoding: 'utf8', env: { ...process.env, WHARF_PASSWORD: 'alice-password-1' } });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already been taken/);
    const token = spawnSync(process.execPath, [BIN, 'admin', 'create-token', 'alice', cfg, '--scopes', 'read_registry,write_registry'], { encoding: 'utf8' });
    assert.equal(token.status, 0, token.stderr);
    assert.match(token.stdout, /^wharfpat-[A-Za-z0-9_-]{32}\n$/);
    const bad = spawnSync(process.execPath, [BIN, 'admin', 'create-token', 'alice', cfg, '--scopes', 'sudo'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /scopes does not have a valid value: sudo/);
  });
});
