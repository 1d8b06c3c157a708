/** Unit tests of manifest parsing and validation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifest, type ParseOptions } from '../../src/manifest/parse.js';
import type { RegistryError } from '../../src/oci/errors.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const opts: ParseOptions = { schema1: false, urls: { allow: [/^https:\/\/allowed\.example\//], deny: [] } };
const parse = (doc: unknown, ct?: string, o = opts) => parseManifest(Buffer.from(JSON.stringify(doc)), ct, o);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as RegistryError).code;
  }
  return 'OK';
};
const oci = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('a'), size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('b'), size: 20 }],
  ...extra,
});

describe('manifest validation', () => {
  it('lists config and layers of an OCI manifest as blobs to check', () => {
    const p = parse(oci());
    assert.equal(p.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(
      p.blobs.map((b) => b.digest.value),
      [D('a'), D('b')],
    );
    assert.equal(p.artifactType, 'application/vnd.oci.image.config.v1+json');
  });
  it('takes the media type from Content-Type when the body has none, and refuses a mismatch', () => {
    const { mediaType: _m, ...noType } = oci();
    assert.equal(parse(noType, 'application/vnd.oci.image.manifest.v1+json').mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(
      code(() => parse(oci(), 'application/vnd.docker.distribution.manifest.v2+json')),
      'MANIFEST_INVALID',
    );
  });
  it('reads artifactType and subject', () => {
    const p = parse(oci({ artifactType: 'application/vnd.x', subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('c'), size: 5 } }));
    assert.equal(p.artifactType, 'application/vnd.x');
    assert.equal(p.subject?.value, D('c'));
  });
  it('refuses structural errors', () => {
    assert.equal(
      code(() => parse({ ...oci(), schemaVersion: 1 })),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse({ ...oci(), config: undefined })),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse({ ...oci(), layers: {} })),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(oci({ layers: [{ mediaType: 'x/y', digest: 'sha256:1', size: 1 }] }))),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(oci({ layers: [{ mediaType: 'x/y', digest: D('d'), size: -1 }] }))),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(oci({ layers: [{ mediaType: 'not a type', digest: D('d'), size: 1 }] }))),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(oci({ annotations: { a: 1 } }))),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parseManifest(Buffer.from('nope'), undefined, opts)),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse({ hello: 'world' })),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(oci({ mediaType: 'application/vnd.unknown+json' }))),
      'MANIFEST_INVALID',
    );
  });
  it('skips foreign layers with allowed URLs and refuses disallowed ones', () => {
    const foreign = (url: string) => oci({ layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D('e'), size: 1, urls: [url] }] });
    assert.deepEqual(
      parse(foreign('https://allowed.example/layer')).blobs.map((b) => b.digest.value),
      [D('a')],
    );
    assert.equal(
      code(() => parse(foreign('https://evil.example/layer'))),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse(foreign('file:///etc/passwd'))),
      'MANIFEST_INVALID',
    );
  });
  it('splits index entries into child manifests and (BuildKit cache) blobs', () => {
    const p = parse({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('1'), size: 1 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('2'), size: 1 },
      ],
    });
    assert.deepEqual(
      p.manifests.map((m) => m.digest.value),
      [D('1')],
    );
    assert.deepEqual(
      p.blobs.map((m) => m.digest.value),
      [D('2')],
    );
  });
  it('refuses blobs in a Docker manifest list', () => {
    const doc = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [{ mediaType: 'application/octet-stream', digest: D('1'), size: 1 }] };
    assert.equal(
      code(() => parse(doc)),
      'MANIFEST_INVALID',
    );
  });
  it('refuses schema 1 unless enabled, and checks its layers when enabled', () => {
    const s1 = { schemaVersion: 1, name: 'a', tag: 't', architecture: 'amd64', fsLayers: [{ blobSum: D('f') }], history: [{ v1Compatibility: '{}' }] };
    assert.equal(
      code(() => parse(s1)),
      'UNSUPPORTED',
    );
    const p = parse(s1, undefined, { ...opts, schema1: true });
    assert.equal(p.mediaType, 'application/vnd.docker.distribution.manifest.v1+json');
    assert.deepEqual(
      p.blobs.map((b) => b.digest.value),
      [D('f')],
    );
    assert.equal(
      code(() => parse({ ...s1, history: [] }, undefined, { ...opts, schema1: true })),
      'MANIFEST_INVALID',
    );
    assert.equal(
      code(() => parse({ ...s1, signatures: [{ header: { alg: 'ES256' } }] }, undefined, { ...opts, schema1: true })),
      'MANIFEST_UNVERIFIED',
    );
  });
});
