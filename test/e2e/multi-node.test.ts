/**
 * Scale-out: a control-plane node and two registry nodes sharing PostgreSQL,
 * object storage (an S3 emulator) and Redis. skopeo pushes through one node
 * and pulls through the other (both ways) with tokens from the control plane;
 * a chunked upload's PATCHes land on different nodes; online GC agents on both
 * nodes never delete a blob twice; the Redis tag cache is invalidated on every
 * node when a tag moves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { startRegistryNode, type RegistryNode } from '../../src/server/registry-node.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, skopeoCopy } from '../support/tools.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { REDIS_CACHE, requireRedis } from '../support/redis.js';
import { startS3Emulator, type S3Emulator } from '../support/s3.js';
import { requireEmulator } from '../support/emulators.js';
import { testKey } from '../support/auth-stack.js';
import { sha256, TestClient } from '../support/http.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo') ?? (await requirePostgres()) ?? (await requireRedis()) ?? requireEmulator('s3rver');
const log = pino({ level: process.env.WHARF_TEST_LOG ?? 'silent' });
const CREDS = ['--src-creds', 'root:root-password-1234', '--dest-creds', 'root:root-password-1234'];

/** Counts deletes of blob directories per path. */
function countingDeletes(driver: StorageDriver, deletes: Map<string, number>): StorageDriver {
  return new Proxy(driver, {
    get(target, prop) {
      if (prop === 'delete') {
        return async (path: string) => {
          await target.delete(path);
          if (path.includes('/blobs/sha256/')) deletes.set(path, (deletes.get(path) ?? 0) + 1);
        };
      }
      const v = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('several registry nodes on shared PostgreSQL, object storage and Redis', { skip }, () => {
  let s3: S3Emulator;
  let tdb: TestDatabase;
  let cp: RegistryNode;
  const nodes: RegistryNode[] = [];
  const deletes = new Map<string, number>();
  let work: string;
  let layout: OciLayout;

  before(async () => {
    s3 = await startS3Emulator();
    await s3.createBucket('shared');
    tdb = await createMigratedTestDatabase();
    const key = await testKey();
    cp = await startRegistryNode(
      parseConfig({
        log: { level: 'warn', accesslog: { disabled: true } },
        http: { addr: '127.0.0.1:0' },
        storage: { filesystem: { rootdirectory: await tempDir('wharf-cp-') } },
        database: tdb.section,
        controlplane: { standalone: true, registryurl: 'http://127.0.0.1:1', key: key.key, certificate: key.certificate },
      }),
      { log, rootPassword: 'root-password-1234' },
    );
    for (let i = 0; i < 2; i++) {
      const config = parseConfig({
        log: { level: 'warn', accesslog: { disabled: true } },
        http: { addr: '127.0.0.1:0', secret: 'same-secret-on-every-node' },
        storage: { s3: s3.section('shared', '/registry'), delete: { enabled: true }, redirect: { disable: i === 1 } },
        database: tdb.section,
        redis: { cache: REDIS_CACHE },
        controlplane: { enabled: false },
        auth: { token: { realm: `${cp.url}/jwt/auth`, service: 'container_registry', issuer: 'wharf-issuer', rootcertbundle: key.certificate } },
        // Reviews wait an hour, as uploads must outlive a slow push; the GC case makes its own objects due.
        gc: { reviewafter: '1h', noidlebackoff: true, blobs: { interval: '100ms' }, manifests: { interval: '100ms' } },
      });
      nodes.push(await startRegistryNode(config, { log, driver: countingDeletes(await createStorageDriver(config.storage), deletes) }));
    }
    const root = { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}`, 'Content-Type': 'application/json' };
    const g = await (await fetch(`${cp.url}/api/v4/groups`, { method: 'POST', headers: root, body: JSON.stringify({ path: 'scale' }) })).json();
    await fetch(`${cp.url}/api/v4/projects`, { method: 'POST', headers: root, body: JSON.stringify({ path: 'app', namespace_id: g.id }) });
    work = await tempDir('wharf-multi-');
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'one', layers: 2, layerSize: 100_000 });
    await layout.image({ tag: 'two', layers: 1, layerSize: 100_000 });
    await layout.flush();
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await cp?.close();
    await tdb?.drop();
    await s3?.stop();
  });

  const host = (n: RegistryNode) => n.url.replace('http://', '');
  const copy = (src: string, dest: string) => skopeoCopy(src, dest, CREDS);
  async function token(scope: string): Promise<string> {
    const res = await fetch(`${cp.url}/jwt/auth?service=container_registry&scope=${scope}`, { headers: { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}` } });
    return ((await res.json()) as { token: string }).token;
  }

  it('pushes through node A and pulls through node B, and the reverse', async () => {
    const [a, b] = nodes as [RegistryNode, RegistryNode];
    const pushed = await copy(`oci:${layout.dir}:one`, `docker://${host(a)}/scale/app:one`);
    assert.equal(await copy(`docker://${host(b)}/scale/app:one`, `oci:${join(work, 'b')}:one`), pushed);
    const back = await copy(`oci:${layout.dir}:two`, `docker://${host(b)}/scale/app:two`);
    assert.equal(await copy(`docker://${host(a)}/scale/app:two`, `oci:${join(work, 'a')}:two`), back);
  });

  it('a chunked upload whose PATCHes land on different nodes completes and verifies', async () => {
    const [a, b] = nodes as [RegistryNode, RegistryNode];
    const auth = { Authorization: `Bearer ${await token('repository:scale/app:pull,push')}` };
    const ca = new TestClient(a.url, auth);
    const cb = new TestClient(b.url, auth);
    const data = Buffer.concat([Buffer.alloc(6 * 1024 * 1024, 1), Buffer.alloc(3 * 1024 * 1024 + 5, 2)]);
    const start = await ca.req('POST', '/v2/scale/app/blobs/uploads/');
    let location = start.header('location')!.replace(/^https?:\/\/[^/]+/, '');
    const cut = 6 * 1024 * 1024;
    const p1 = await ca.req('PATCH', location, { body: data.subarray(0, cut), headers: { 'Content-Range': `0-${cut - 1}`, 'Content-Type': 'application/octet-stream' } });
    assert.equal(p1.status, 202);
    location = p1.header('location')!.replace(/^https?:\/\/[^/]+/, '');
    const p2 = await cb.req('PATCH', location, { body: data.subarray(cut), headers: { 'Content-Range': `${cut}-${data.length - 1}`, 'Content-Type': 'application/octet-stream' } });
    assert.equal(p2.status, 202, p2.body.toString());
    assert.equal(p2.header('range'), `0-${data.length - 1}`);
    location = p2.header('location')!.replace(/^https?:\/\/[^/]+/, '');
    const sep = location.includes('?') ? '&' : '?';
    const done = await ca.req('PUT', `${location}${sep}digest=${sha256(data)}`);
    assert.equal(done.status, 201, done.body.toString());
    const got = await cb.req('GET', `/v2/scale/app/blobs/${sha256(data)}`);
    assert.equal(sha256(got.body), sha256(data));
  });

  it('the Redis tag cache is invalidated on every node when a tag moves', async () => {
    const [a, b] = nodes as [RegistryNode, RegistryNode];
    const auth = { Authorization: `Bearer ${await token('repository:scale/app:pull,push,delete')}` };
    const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
    const first = await new TestClient(a.url, auth).pushImage('scale/app', 'moving');
    assert.equal((await new TestClient(b.url, auth).req('HEAD', '/v2/scale/app/manifests/moving', { headers: accept })).header('docker-content-digest'), first.digest);
    const second = await new TestClient(a.url, auth).pushImage('scale/app', 'moving');
    assert.equal((await new TestClient(b.url, auth).req('HEAD', '/v2/scale/app/manifests/moving', { headers: accept })).header('docker-content-digest'), second.digest);
  });

  it('online GC agents on both nodes collect dangling blobs from the bucket, each exactly once', async () => {
    const [a] = nodes as [RegistryNode, RegistryNode];
    const auth = { Authorization: `Bearer ${await token('repository:scale/app/gc:pull,push,delete')}` };
    const c = new TestClient(a.url, auth);
    const images = [];
    for (let i = 0; i < 4; i++) images.push(await c.pushImage('scale/app/gc', `t${i}`));
    for (let i = 0; i < 4; i++) assert.equal((await c.req('DELETE', `/v2/scale/app/gc/manifests/t${i}`)).status, 202);
    // Manifests live in the database here; their layers and configs are the storage objects.
    const expected = images.flatMap((img) => [img.layer, img.config]);
    const end = Date.now() + 60_000;
    const gone = (d: string) => [...deletes.keys()].some((p) => p.includes(d.slice(7)));
    const sql = new pg.Client({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
    await sql.connect();
    try {
      while (!expected.every(gone)) {
        if (Date.now() > end) throw new Error(`GC did not collect: ${expected.filter((d) => !gone(d)).join(', ')}`);
        // Due now: this repository's manifest reviews, then the blob reviews its manifest deletes queued.
        await sql.query("UPDATE gc_manifest_review_queue q SET review_after = now() FROM repositories r WHERE r.id = q.repository_id AND r.path = 'scale/app/gc' AND q.review_after > now()");
        await sql.query('UPDATE gc_blob_review_queue SET review_after = now() WHERE digest = ANY($1) AND review_after > now()', [expected]);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await sql.end();
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(
      [...deletes.values()].every((n) => n === 1),
      `no blob deleted twice: ${JSON.stringify([...deletes.entries()].filter(([, n]) => n > 1))}`,
    );
    const res = await c.req('GET', `/v2/scale/app/gc/blobs/${images[0]!.layer}`);
    assert.equal(res.status, 404);
    const kept = await copy(`docker://${host(a)}/scale/app:one`, `oci:${join(work, 'still')}:one`);
    assert.match(kept, /^sha256:/, 'tagged images survive');
  });
});
