/**
 * Online garbage collection on the real PostgreSQL: dangling manifests and
 * blobs leave storage and tables; a blob shared by two repositories stays
 * until both drop it; a manifest push racing the review of its blob never
 * ends with a referenced blob deleted; two workers never delete twice.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pgDatabase } from '../../src/db/pg-database.js';
import type { Database } from '../../src/db/queryer.js';
import { reviewNextBlob } from '../../src/gc/blob-review.js';
import { reviewNextManifest } from '../../src/gc/manifest-review.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { TestClient } from '../support/http.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';

const skip = await requirePostgres();
import { until } from '../support/wait.js';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

const blobFile = (root: string, digest: string) => join(root, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

/** Review delays for tests that drive reviews themselves: uploads wait `blobUpload`, everything else is due at once. */
async function setDelays(db: Database, blobUpload: string): Promise<void> {
  await db.query('t', "UPDATE gc_review_after_defaults SET value = CASE WHEN event = 'blob_upload' THEN $1::interval ELSE interval '0' END", [blobUpload]);
}

describe('online garbage collection', { skip }, () => {
  let tdb: TestDatabase;
  let db: Database;
  before(async () => {
    tdb = await createMigratedTestDatabase();
    db = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname, max: 8 });
  });
  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  describe('with agents running', () => {
    let reg: TestRegistry;
    let c: TestClient;
    before(async () => {
      // Every event waits 2 s: long enough for a push to reference its fresh uploads, short for the test.
      reg = await startWharf({ database: tdb.section, gc: { reviewafter: '2s', noidlebackoff: true, blobs: { interval: '100ms' }, manifests: { interval: '100ms' } } });
      c = new TestClient(reg.url);
    });
    after(async () => reg?.close());

    it('an untagged image leaves the tables and storage', async () => {
      const img = await c.pushImage('gc/one', 'v1');
      assert.ok(existsSync(blobFile(reg.root, img.layer)));
      assert.equal((await c.req('DELETE', '/v2/gc/one/manifests/v1')).status, 202);
      await until('the manifest row to go', async () => (await db.query('t', 'SELECT 1 FROM manifests WHERE digest = $1', [img.digest])).length === 0);
      await until('the blob rows to go', async () => (await db.query('t', 'SELECT 1 FROM blobs WHERE digest = ANY($1)', [[img.layer, img.config]])).length === 0);
      assert.ok(!existsSync(blobFile(reg.root, img.layer)), 'layer removed from storage');
      assert.ok(!existsSync(blobFile(reg.root, img.config)), 'config removed from storage');
      assert.equal((await c.req('GET', `/v2/gc/one/manifests/${img.digest}`)).status, 404);
      const queues = await db.query<{ n: string }>('t', 'SELECT (SELECT count(*) FROM gc_blob_review_queue WHERE digest = ANY($1)) + (SELECT count(*) FROM gc_manifest_review_queue) AS n', [[img.layer, img.config]]);
      assert.equal(Number(queues[0]?.n), 0, 'queues drained');
    });

    it('a tagged manifest, a referenced child and a referrer of a live subject are kept', async () => {
      const img = await c.pushImage('gc/keep', 'v1');
      const sig = await c.pushImage('gc/keep', 'tmp', { subject: { mediaType: OCI, digest: img.digest, size: img.body.length } });
      assert.equal((await c.req('DELETE', '/v2/gc/keep/manifests/tmp')).status, 202);
      await until(
        'the review of the untagged referrer',
        async () => (await db.query('t', 'SELECT 1 FROM gc_manifest_review_queue q JOIN manifests m ON m.id = q.manifest_id WHERE m.digest = $1', [sig.digest])).length === 0,
      );
      assert.equal((await c.req('GET', `/v2/gc/keep/manifests/${sig.digest}`)).status, 200, 'referrer kept while its subject exists');
      assert.equal((await c.req('GET', '/v2/gc/keep/manifests/v1')).status, 200);
    });

    it('a blob shared by two repositories stays until both drop it', async () => {
      const a = await c.pushImage('gc/share-a', 'v1');
      for (const d of [a.layer, a.config]) assert.equal((await c.req('POST', `/v2/gc/share-b/blobs/uploads/?mount=${d}&from=gc/share-a`)).status, 201);
      assert.equal((await c.req('PUT', '/v2/gc/share-b/manifests/v1', { body: a.body, headers: { 'Content-Type': OCI } })).status, 201);
      await c.req('DELETE', '/v2/gc/share-a/manifests/v1');
      await until('repository A manifest to go', async () => (await db.query('t', 'SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.path = $1', ['gc/share-a'])).length === 0);
      await until('the blob reviews to finish', async () => (await db.query('t', 'SELECT 1 FROM gc_blob_review_queue WHERE digest = ANY($1) AND review_after <= now()', [[a.layer, a.config]])).length === 0);
      assert.ok(existsSync(blobFile(reg.root, a.layer)), 'still referenced by repository B');
      assert.equal((await c.req('GET', `/v2/gc/share-b/blobs/${a.layer}`)).status, 200);
      await c.req('DELETE', '/v2/gc/share-b/manifests/v1');
      // The agent deletes from storage first and the row second: wait on the row, the last step, then check both.
      await until('the shared blob row to go', async () => (await db.query('t', 'SELECT 1 FROM blobs WHERE digest = $1', [a.layer])).length === 0);
      assert.ok(!existsSync(blobFile(reg.root, a.layer)), 'the shared blob is gone from storage');
    });
  });

  describe('with agents stopped, reviews driven by the test', () => {
    let reg: TestRegistry;
    let c: TestClient;
    let driver: StorageDriver;
    before(async () => {
      reg = await startWharf({ database: tdb.section, gc: { blobs: { disabled: true }, manifests: { disabled: true } } });
      driver = reg.node.driver;
      c = new TestClient(reg.url);
    });
    after(async () => reg?.close());

    it('a manifest push racing the review of its blobs never loses a referenced blob (40 rounds)', async () => {
      await setDelays(db, '0');
      const outcomes = { pushed: 0, refused: 0 };
      for (let i = 0; i < 40; i++) {
        const layer = await c.pushBlob('gc/race', `race-layer-${i}-${Math.random()}`);
        const config = await c.pushBlob('gc/race', `{"round":${i},"r":${Math.random()}}`);
        const body = JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 1 },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 1 }],
        });
        const [put] = await Promise.all([
          c.req('PUT', `/v2/gc/race/manifests/r${i}`, { body, headers: { 'Content-Type': OCI } }),
          (async () => {
            for (let k = 0; k < 4; k++) await reviewNextBlob(db, driver, 5000);
          })(),
        ]);
        if (put.status === 201) {
          outcomes.pushed++;
          for (const d of [layer, config]) {
            assert.ok(existsSync(blobFile(reg.root, d)), `round ${i}: blob ${d} of a pushed manifest is in storage`);
            assert.equal((await db.query('t', 'SELECT 1 FROM blobs WHERE digest = $1', [d])).length, 1, `round ${i}: blob row kept`);
          }
          // Its blobs are referenced now: more reviews keep them.
          while ((await reviewNextBlob(db, driver, 5000)).kind !== 'idle');
          assert.ok(existsSync(blobFile(reg.root, layer)));
        } else {
          outcomes.refused++;
          assert.equal(put.errorCode(), 'MANIFEST_BLOB_UNKNOWN', `round ${i}: a push that lost the race is refused cleanly`);
        }
      }
      assert.equal(outcomes.pushed + outcomes.refused, 40);
    });

    it('two workers on one database never delete a blob twice', async () => {
      await setDelays(db, '0');
      const digests: string[] = [];
      for (let i = 0; i < 30; i++) digests.push(await c.pushBlob('gc/twice', `orphan-${i}-${Math.random()}`));
      const deletes = new Map<string, number>();
      const counting: StorageDriver = {
        ...driver,
        async delete(p) {
          deletes.set(p, (deletes.get(p) ?? 0) + 1);
          return driver.delete(p);
        },
      };
      const db2 = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
      try {
        const work = async (d: Database) => {
          let deleted = 0;
          for (;;) {
            const o = await reviewNextBlob(d, counting, 5000);
            if (o.kind === 'idle') return deleted;
            if (o.kind === 'reviewed' && o.deleted) deleted++;
          }
        };
        const [a, b] = await Promise.all([work(db), work(db2)]);
        assert.ok(a + b >= digests.length, 'every orphan was deleted by one of the two');
        assert.ok(a > 0 && b > 0, `both workers took part (${a} and ${b})`);
        for (const d of digests) {
          const path = `/docker/registry/v2/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data`;
          assert.equal(deletes.get(path), 1, `${d} deleted exactly once`);
          assert.ok(!existsSync(blobFile(reg.root, d)));
        }
      } finally {
        await db2.close();
      }
    });

    it('an untagged manifest pushed by digest is reviewed and removed', async () => {
      await setDelays(db, '1 hour');
      const img = await c.pushImage('gc/bydigest', 'v1');
      assert.equal((await c.req('DELETE', '/v2/gc/bydigest/manifests/v1')).status, 202);
      await db.query('t', 'UPDATE gc_manifest_review_queue SET review_after = now()');
      let o;
      do o = await reviewNextManifest(db);
      while (o.kind !== 'idle' && !(o.kind === 'reviewed' && o.id === img.digest));
      assert.deepEqual(o, { kind: 'reviewed', id: img.digest, deleted: true });
      assert.equal((await c.req('GET', `/v2/gc/bydigest/manifests/${img.digest}`)).status, 404);
    });
  });
});
