/**
 * Crash safety: a registry killed with SIGKILL in the middle of uploads
 * restarts and serves every blob and manifest committed before, intact, and
 * no half-written blob is visible.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256, TestClient } from '../support/http.js';
import { spawnWharf } from '../support/process.js';
import { tempDir } from '../support/temp.js';

/** The default mode (the embedded PostgreSQL server, stopped by its watchdog when Wharf dies) and legacy link files. */
const MODES = { embedded: '', legacy: '  enabled: false\n' };

for (const [mode, databaseYaml] of Object.entries(MODES))
  describe(`SIGKILL mid-upload (${mode} metadata)`, () => {
    it('restarts and serves every committed blob intact, and nothing partial', async () => {
      const work = await tempDir('wharf-crash-');
      const root = join(work, 'data');
      let wharf = await spawnWharf(root, work, 1, '', databaseYaml);
      const c = new TestClient(wharf.url);
      const committed = new Map<string, Buffer>();
      for (let i = 0; i < 20; i++) {
        const data = randomBytes(1000 + i * 5000);
        committed.set(await c.pushBlob('crash/repo', data), data);
      }
      const img = await c.pushImage('crash/repo', 'v1');

      // A large streamed upload in flight, plus a burst of concurrent small pushes, when the kill lands.
      const big = randomBytes(64 * 1024 * 1024);
      const bigDigest = sha256(big);
      const u = new URL(wharf.url);
      const inflight = new Promise<void>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, method: 'POST', path: `/v2/crash/repo/blobs/uploads/?digest=${bigDigest}`, headers: { 'Content-Length': big.length } });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        let off = 0;
        const pump = () => {
          while (off < big.length) {
            const ok = req.write(big.subarray(off, off + 256 * 1024));
            off += 256 * 1024;
            if (!ok) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      const burst = Array.from({ length: 30 }, async () => {
        const data = randomBytes(20_000);
        try {
          committed.set(await c.pushBlob('crash/repo', data), data);
        } catch {
          /* cut off by the kill: not committed, so not checked */
        }
      });
      await new Promise((r) => setTimeout(r, 150));
      await wharf.kill('SIGKILL');
      await Promise.all([inflight, ...burst]);

      wharf = await spawnWharf(root, work, 1, '', databaseYaml);
      const c2 = new TestClient(wharf.url);
      try {
        for (const [digest, data] of committed) {
          const r = await c2.req('GET', `/v2/crash/repo/blobs/${digest}`);
          assert.equal(r.status, 200, `committed blob ${digest} is served`);
          assert.ok(r.body.equals(data), `committed blob ${digest} is intact`);
        }
        const m = await c2.req('GET', '/v2/crash/repo/manifests/v1');
        assert.ok(m.body.equals(img.body));
        const head = await c2.req('HEAD', `/v2/crash/repo/blobs/${bigDigest}`);
        if (head.status === 200) {
          // The big upload finished before the kill: then it must be whole.
          const r = await c2.req('GET', `/v2/crash/repo/blobs/${bigDigest}`);
          assert.equal(sha256(r.body), bigDigest);
        } else {
          assert.equal(head.status, 404);
        }
        // The registry still accepts pushes after the crash.
        const after = await c2.pushBlob('crash/repo', 'after the crash');
        assert.equal((await c2.req('GET', `/v2/crash/repo/blobs/${after}`)).body.toString(), 'after the crash');
      } finally {
        await wharf.kill();
      }
    });
  });
