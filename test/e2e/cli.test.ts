/** The `wharf` command: config verify, and serve on embedded defaults. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/distribution.js';

const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

describe('wharf CLI', () => {
  it('config verify accepts a valid file and names the key of an invalid one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
    await writeFile(join(dir, 'ok.yml'), 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/x\n');
    await writeFile(join(dir, 'bad.yml'), 'version: 0.1\nstorage:\n  filesystem:\n    rootdir: /tmp/x\n');
    const ok = spawnSync(process.execPath, [BIN, 'config', 'verify', join(dir, 'ok.yml')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK/);
    const bad = spawnSync(process.execPath, [BIN, 'config', 'verify', join(dir, 'bad.yml')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /storage\.filesystem\.rootdir/);
  });

  it('serve with no config stores under ./data and answers /v2/, /debug/health and /metrics', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
    const port = await freePort();
    const proc = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { ...process.env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        await new Promise((r) => setTimeout(r, 100));
        up = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
      }
      assert.ok(up, `server came up: ${out}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/debug/health`)).status, 200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /wharf_http_requests_total\{method="GET",route="base",status="200",worker="\d"\} 1/);
      assert.match(metrics, /wharf_storage_operation_duration_seconds_bucket/);
      assert.ok(existsSync(join(cwd, 'data')), 'data directory created');
      const line = out.split('\n').find((l) => l.includes('registry listening'));
      assert.ok(line, 'JSON start-up log line');
      assert.equal(JSON.parse(line).level, 'info');
      assert.ok(out.includes('registry is open'), 'warns loudly that there is no auth');
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });
});
