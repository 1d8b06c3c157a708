/** Unit tests: digests, names, tags, ranges, error rendering, durations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestOf, parseDigest, tryParseDigest } from '../../src/oci/digest.js';
import { ERROR_CODES, RegistryError, renderErrors, toRegistryError } from '../../src/oci/errors.js';
import { isValidName, isValidTag } from '../../src/oci/names.js';
import { parseContentRange, parseRange } from '../../src/registry/range.js';
import { matchRoute } from '../../src/registry/routes.js';
import { parseDuration } from '../../src/config/duration.js';
import { assertSafePath } from '../../src/storage/checked.js';

describe('digest parsing', () => {
  it('accepts sha256 and sha512 in canonical form', () => {
    const d = parseDigest(`sha256:${'a'.repeat(64)}`);
    assert.deepEqual([d.algorithm, d.hex], ['sha256', 'a'.repeat(64)]);
    assert.equal(tryParseDigest(`sha512:${'0'.repeat(128)}`)?.algorithm, 'sha512');
    assert.equal(digestOf(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('rejects wrong lengths, uppercase hex, unknown algorithms and garbage', () => {
    for (const bad of [`sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, 'sha256:', ':abc', 'sha256', `sha256:${'g'.repeat(64)}`, `sha256:../${'a'.repeat(61)}`]) {
      assert.equal(tryParseDigest(bad), undefined, bad);
    }
    assert.throws(
      () => parseDigest('nope'),
      (e: RegistryError) => e.code === 'DIGEST_INVALID',
    );
  });
});

describe('name and tag rules', () => {
  it('accepts nested lowercase names with separators', () => {
    for (const ok of ['a', 'library/ubuntu', 'group/sub/project/image', 'a.b_c__d-e--f/g', `a/${'b'.repeat(253)}`]) assert.ok(isValidName(ok), ok);
  });
  it('rejects traversal, uppercase, empty segments and overlong names', () => {
    for (const bad of ['../x', 'x/..', 'A', 'a//b', '/a', 'a/', '.a', 'a.', 'a___b', '%2e%2e', `a/${'b'.repeat(254)}`, '']) assert.ok(!isValidName(bad), bad);
  });
  it('tags follow [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', () => {
    assert.ok(isValidTag('v1.2.3-RC_1'));
    assert.ok(isValidTag('_x'));
    assert.ok(!isValidTag('-x'));
    assert.ok(!isValidTag('.x'));
    assert.ok(!isValidTag('a'.repeat(129)));
    assert.ok(!isValidTag('a/b'));
  });
});

describe('range parsing', () => {
  it('parses single byte ranges against a size', () => {
    assert.deepEqual(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
    assert.equal(parseRange('items=0-1', 10), undefined);
    assert.equal(parseRange(undefined, 10), undefined);
  });
  it('parses upload Content-Range and refuses malformed ones with 416', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
    for (const bad of ['', '10', '5-2', 'a-b', '-5', '0-1-2']) {
      assert.throws(
        () => parseContentRange(bad),
        (e: RegistryError) => e.code === 'RANGE_INVALID' && e.status === 416,
        bad,
      );
    }
  });
});

describe('error rendering', () => {
  it('renders the OCI error body with code, message and detail', () => {
    const body = JSON.parse(renderErrors([new RegistryError('BLOB_UNKNOWN', undefined, { digest: 'sha256:x' })]));
    assert.deepEqual(body, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: 'sha256:x' } }] });
  });
  it('maps unknown failures to UNKNOWN 500 without leaking their message', () => {
    const e = toRegistryError(new Error('secret path /etc/x'));
    assert.equal(e.code, 'UNKNOWN');
    assert.equal(e.status, 500);
    assert.ok(!e.message.includes('/etc'));
  });
  it('uses the statuses of the OCI spec', () => {
    assert.equal(ERROR_CODES.NAME_UNKNOWN.status, 404);
    assert.equal(ERROR_CODES.DENIED.status, 403);
    assert.equal(ERROR_CODES.UNAUTHORIZED.status, 401);
    assert.equal(ERROR_CODES.TOOMANYREQUESTS.status, 429);
  });
});

describe('routing', () => {
  it('matches routes from the end so names may contain route words', () => {
    assert.deepEqual(matchRoute('/v2/a/blobs/b/manifests/latest'), { kind: 'manifest', name: 'a/blobs/b', reference: 'latest' });
    assert.deepEqual(matchRoute('/v2/x/blobs/uploads/'), { kind: 'upload-start', name: 'x' });
    assert.deepEqual(matchRoute('/v2/x/blobs/uploads/abc'), { kind: 'upload', name: 'x', id: 'abc' });
    assert.deepEqual(matchRoute('/v2/x/y/tags/list'), { kind: 'tags', name: 'x/y' });
    assert.deepEqual(matchRoute('/v2/_catalog'), { kind: 'catalog' });
    assert.equal(matchRoute('/v3/x'), undefined);
  });
});

describe('storage path checks', () => {
  it('refuses paths that could leave the root', () => {
    assertSafePath('/docker/registry/v2/blobs/sha256/aa/aaaa/data');
    for (const bad of ['relative', '/a/../b', '/a//b', '/a/./b', '/a/b c', '/a\\b', '/a/b/']) assert.throws(() => assertSafePath(bad), bad);
  });
});

describe('durations', () => {
  it('parses Go-style durations to milliseconds', () => {
    assert.equal(parseDuration('168h'), 168 * 3600_000);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(5_000_000_000), 5000);
    assert.equal(parseDuration('5 minutes'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});
