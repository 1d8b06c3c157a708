/**
 * Cluster mode (`http.workers: 2`): a chunked upload whose requests land on
 * different processes completes with the right digest, pushes from one
 * process are served by the other, and /metrics sums over both.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256, TestClient } from '../support/http.js';
import { spawnWharf } from '../support/process.js';
import { tempDir } from '../support/temp.js';

describe('cluster mode', () => {
  it('serves uploads, pulls and metrics across two worker processes', async () => {
    const work = await tempDir('wharf-cluster-');
    const wharf = await spawnWharf(join(work, 'data'), work, 2);
    try {
      // The test client opens a new connection per request, so requests alternate between the workers.
      const c = new TestClient(wharf.url);
      // /metrics answers once every worker listens; from then on new connections alternate between them.
      assert.equal((await c.req('GET', '/metrics')).status, 200);
      const data = randomBytes(5 * 1024 * 1024 + 123);
      let loc = (await c.req('POST', '/v2/cl/repo/blobs/uploads/')).header('location') as string;
      const chunk = 1024 * 1024;
      for (let off = 0; off < data.length; off += chunk) {
        const part = data.subarray(off, off + chunk);
        const r = await c.req('PATCH', loc, { body: part, headers: { 'Content-Range': `${off}-${off + part.length - 1}` } });
        assert.equal(r.status, 202);
        loc = r.header('location') as string;
      }
      const put = await c.req('PUT', `${loc}?digest=${sha256(data)}`);
      assert.equal(put.status, 201, put.body.toString());
      for (let i = 0; i < 4; i++) {
        const g = await c.req('GET', `/v2/cl/repo/blobs/${sha256(data)}`);
        assert.ok(g.body.equals(data));
      }
      const wrong = await c.req('POST', '/v2/cl/repo/blobs/uploads/');
      await c.req('PATCH', wrong.header('location') as string, { body: 'abc' });
      const bad = await c.req('PUT', `${wrong.header('location')}?digest=${sha256('abd')}`);
      assert.equal(bad.errorCode(), 'DIGEST_INVALID');

      const metrics = (await c.req('GET', '/metrics')).body.toString();
      const perWorker = [...metrics.matchAll(/wharf_http_requests_total\{method="PATCH",route="upload",status="202",worker="(\d)"\} (\d+)/g)];
      assert.deepEqual(perWorker.map((m) => m[1]).sort(), ['0', '1'], 'both workers served PATCHes of the one upload');
      assert.equal(
        perWorker.reduce((n, m) => n + Number(m[2]), 0),
        7,
        'every PATCH counted once, over both processes',
      );
    } finally {
      await wharf.kill();
    }
  });
});
