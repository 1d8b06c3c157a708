/** Geo's pure parts: what a manifest references, the retry backoff, the graph checksum, role resolution, config checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { graphChecksum, referencesOf, type RepositoryGraph } from '../../src/control/geo/graph.js';
import { backoffMs } from '../../src/control/geo/scheduler.js';
import { resolveRole } from '../../src/control/geo/site.js';
import type { SiteStateRow } from '../../src/control/geo/store.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe('geo: manifest references', () => {
  it('an image: config and layers with sizes; foreign layers skipped', () => {
    const m = {
      schemaVersion: 2,
      config: { digest: d('a'), size: 10 },
      layers: [
        { digest: d('b'), size: 20 },
        { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('c'), size: 5, urls: ['https://x'] },
      ],
    };
    assert.deepEqual(referencesOf(Buffer.from(JSON.stringify(m))), {
      children: [],
      blobs: [
        { digest: d('a'), size: 10 },
        { digest: d('b'), size: 20 },
      ],
    });
  });
  it('an index: children; schema 1: blobSums without sizes, deduplicated', () => {
    assert.deepEqual(referencesOf(Buffer.from(JSON.stringify({ manifests: [{ digest: d('1') }, { digest: d('2') }] }))).children, [d('1'), d('2')]);
    const s1 = { schemaVersion: 1, fsLayers: [{ blobSum: d('e') }, { blobSum: d('e') }, { blobSum: d('f') }] };
    assert.deepEqual(referencesOf(Buffer.from(JSON.stringify(s1))).blobs, [
      { digest: d('e'), size: -1 },
      { digest: d('f'), size: -1 },
    ]);
  });
  it('not JSON is a sync error naming the problem', () => {
    assert.throws(() => referencesOf(Buffer.from('nope')), /not JSON/);
  });
});

describe('geo: backoff', () => {
  it('grows from 5 s, doubles, is capped, and has ±20 % jitter', () => {
    for (let i = 0; i < 50; i++) {
      const first = backoffMs(1, 3_600_000);
      assert.ok(first >= 4000 && first <= 6000, String(first));
      const third = backoffMs(3, 3_600_000);
      assert.ok(third >= 16_000 && third <= 24_000, String(third));
      assert.ok(backoffMs(40, 60_000) <= 72_000);
    }
  });
});

describe('geo: graph checksum', () => {
  const graph = (tag: string, size: number): RepositoryGraph => ({
    tags: new Map([[tag, d('1')]]),
    manifests: new Map([[d('1'), { manifest: { digest: d('1'), mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: Buffer.from('{}') }, children: [], blobs: [{ digest: d('a'), size }], referrers: [] }]]),
  });
  it('changes with a tag name or a blob size, and only then', () => {
    assert.equal(graphChecksum(graph('v1', 10)), graphChecksum(graph('v1', 10)));
    assert.notEqual(graphChecksum(graph('v1', 10)), graphChecksum(graph('v2', 10)));
    assert.notEqual(graphChecksum(graph('v1', 10)), graphChecksum(graph('v1', 11)));
  });
});

describe('geo: configuration and role', () => {
  const base = { auth: { token: {} }, storage: { inmemory: {} } };
  it('a secondary needs the primary URLs, token auth and the database', () => {
    assert.throws(() => parseConfig({ ...base, geo: { role: 'secondary' } }), /geo\.primary\.api_url.*|geo\.primary\.registry_url/s);
    assert.throws(() => parseConfig({ storage: { inmemory: {} }, geo: { role: 'primary' } }), /token auth/);
    assert.throws(() => parseConfig({ ...base, database: { enabled: false }, geo: { role: 'primary' } }), /database\.enabled: true/);
    const ok = parseConfig({ ...base, geo: { role: 'secondary', primary: { api_url: 'http://p:1', registry_url: 'http://p:2' } } });
    assert.equal(ok.geo.secondary.unsynced, 'proxy');
  });
  it('a promotion or an announcement stored in the database wins over the configured role', () => {
    const config = parseConfig({ ...base, geo: { role: 'secondary', primary: { api_url: 'http://p:1/', registry_url: 'http://p:2' } } });
    assert.deepEqual(resolveRole(config, undefined).primary, { name: null, apiUrl: 'http://p:1', registryUrl: 'http://p:2' });
    const promoted = { role: 'primary', generation: 1 } as SiteStateRow;
    assert.deepEqual(resolveRole(config, promoted), { role: 'primary', generation: 1 });
    const moved = { role: 'secondary', generation: 2, primary_name: 'b', primary_api_url: 'http://b:1', primary_registry_url: 'http://b:2' } as SiteStateRow;
    assert.equal(resolveRole(config, moved).primary?.apiUrl, 'http://b:1');
    assert.equal(resolveRole(parseConfig(base), moved).role, 'none');
  });
});
