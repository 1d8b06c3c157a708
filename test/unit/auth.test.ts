/** Token auth primitives: scopes, libtrust ids, verification by kid/x5c/jwk, tag rules, passwords, tag selection. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { parseScope, parseScopes, formatScope } from '../../src/auth/scope.js';
import { libtrustKeyId } from '../../src/auth/libtrust.js';
import { trustFromPem, type TrustStore } from '../../src/auth/trust.js';
import { TokenError, verifyToken } from '../../src/auth/verify.js';
import { grants } from '../../src/auth/claims.js';
import { checkManifestDelete, checkTagDelete, checkTagPush } from '../../src/auth/tag-rules.js';
import { hashPassword, verifyPassword } from '../../src/control/passwords.js';
import { safeEqual } from '../../src/control/secrets.js';
import { parseOlderThan, selectTags } from '../../src/control/registry/tag-selection.js';
import { RegistryError } from '../../src/oci/errors.js';
import { testKey, type TestKey } from '../support/auth-stack.js';

describe('scopes', () => {
  it('parses exactly type:name:actions', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository:a/b/*:pull'), { type: 'repository', name: 'a/b/*', actions: ['pull'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    for (const bad of [
      'repository:a/b',
      'repository:a/b:pull:push',
      'repository:A/b:pull',
      'repository:a/../b:pull',
      'repository:a/b:pull,',
      'repository:a/b:admin',
      'registry:catalog:pull',
      'registry:other:*',
      'plugin:a:pull',
      'repository:localhost:5000/a:pull',
    ]) {
      assert.equal(parseScope(bad), undefined, bad);
    }
    assert.deepEqual(parseScopes(['repository:a:pull repository:b:push', 'junk', 'repository:c:delete']).map(formatScope), ['repository:a:pull', 'repository:b:push', 'repository:c:delete']);
  });

  it('grants by exact name, namespace wildcard and *', () => {
    const claims = {
      iss: 'i',
      aud: 's',
      exp: 0,
      access: [
        { type: 'repository', name: 'g/p', actions: ['pull'] },
        { type: 'repository', name: 'ns/*', actions: ['*'] },
      ],
    };
    assert.equal(grants(claims, 'repository', 'g/p', 'pull'), true);
    assert.equal(grants(claims, 'repository', 'g/p', 'push'), false);
    assert.equal(grants(claims, 'repository', 'g/p/sub', 'pull'), false);
    assert.equal(grants(claims, 'repository', 'ns/a/b', 'delete'), true);
    assert.equal(grants(claims, 'repository', 'nsx/a', 'pull'), false);
    assert.equal(grants(claims, 'repository', 'ns', 'pull'), false);
  });
});

describe('token verification', () => {
  let key: TestKey;
  let trust: TrustStore;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ iss: 'iss', aud: ['other', 'svc'], exp: now() + 60, access: [] });
  before(async () => {
    key = await testKey();
    trust = trustFromPem(key.certificatePem);
  });

  it('computes libtrust key ids (12 groups of 4 base32 characters), the same from either half of the pair', () => {
    const id = libtrustKeyId(createPrivateKey(key.keyPem));
    assert.match(id, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    assert.equal(id, libtrustKeyId(new X509Certificate(key.certificatePem).publicKey));
    assert.ok(trust.keys.has(id));
  });

  it('finds the key by kid, by x5c chain and by a trusted jwk', async () => {
    const priv = createPrivateKey(key.keyPem);
    const cert = new X509Certificate(key.certificatePem);
    const opts = { trust, issuer: 'iss', service: 'svc' };
    const byKid = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: libtrustKeyId(priv) }).sign(priv);
    assert.equal((await verifyToken(byKid, opts)).iss, 'iss');
    const byX5c = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', x5c: [cert.raw.toString('base64')] }).sign(priv);
    assert.equal((await verifyToken(byX5c, opts)).iss, 'iss');
    const jwk = createPublicKey(priv).export({ format: 'jwk' });
    const byJwk = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', jwk: jwk as never }).sign(priv);
    assert.equal((await verifyToken(byJwk, opts)).iss, 'iss');
  });

  it('refuses an untrusted x5c chain, an untrusted jwk and a missing key id', async () => {
    const other = await testKey('unit-other');
    const priv = createPrivateKey(other.keyPem);
    const opts = { trust, issuer: 'iss', service: 'svc' };
    const x5c = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', x5c: [new X509Certificate(other.certificatePem).raw.toString('base64')] }).sign(priv);
    await assert.rejects(verifyToken(x5c, opts), (e: TokenError) => e instanceof TokenError && /rootcertbundle/.test(e.reason));
    const jwk = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', jwk: createPublicKey(priv).export({ format: 'jwk' }) as never }).sign(priv);
    await assert.rejects(verifyToken(jwk, opts), (e: TokenError) => /untrusted JWK/.test(e.reason));
    const bare = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(priv);
    await assert.rejects(verifyToken(bare, opts), (e: TokenError) => /signing key/.test(e.reason));
    const wrongIssuer = await new SignJWT({ ...claims(), iss: 'evil' }).setProtectedHeader({ alg: 'RS256', kid: libtrustKeyId(createPrivateKey(key.keyPem)) }).sign(createPrivateKey(key.keyPem));
    await assert.rejects(verifyToken(wrongIssuer, opts), (e: TokenError) => /token from untrusted issuer "evil"/.test(e.reason));
    const noExp = await new SignJWT({ iss: 'iss', aud: 'svc', access: [] }).setProtectedHeader({ alg: 'RS256', kid: libtrustKeyId(createPrivateKey(key.keyPem)) }).sign(createPrivateKey(key.keyPem));
    await assert.rejects(verifyToken(noExp, opts), TokenError);
  });
});

describe('tag rules from token meta', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
      return undefined;
    } catch (e) {
      return (e as RegistryError).code;
    }
  };
  it('protects, makes immutable and refuses manifest deletes under patterns', async () => {
    const meta = { tag_deny_access_patterns: { push: ['^v[0-9]+$'], delete: ['^prod$'] }, tag_immutable_patterns: ['^release-'] };
    assert.equal(
      code(() => checkTagPush(meta, 'v1', async () => false)),
      'PROTECTED_TAG',
    );
    assert.equal(
      code(() => checkTagPush(meta, 'prod', async () => true)),
      undefined,
    );
    await assert.rejects(Promise.resolve(checkTagPush(meta, 'release-1', async () => true)), (e: RegistryError) => e.code === 'IMMUTABLE_TAG');
    await checkTagPush(meta, 'release-2', async () => false);
    assert.equal(
      code(() => checkTagDelete(meta, 'prod')),
      'PROTECTED_TAG',
    );
    assert.equal(
      code(() => checkTagDelete(meta, 'release-1')),
      'IMMUTABLE_TAG',
    );
    assert.equal(
      code(() => checkTagDelete(meta, 'v1')),
      undefined,
    );
    assert.equal(
      code(() => checkManifestDelete(meta)),
      'PROTECTED_MANIFEST',
    );
    assert.equal(
      code(() => checkManifestDelete({})),
      undefined,
    );
    assert.equal(
      code(() => checkManifestDelete(undefined)),
      undefined,
    );
  });
  it('limits patterns to 5, 100 characters and valid RE2', () => {
    assert.equal(
      code(() => checkTagDelete({ tag_immutable_patterns: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'x')),
      'TAG_PATTERN_COUNT',
    );
    assert.equal(
      code(() => checkTagDelete({ tag_deny_access_patterns: { delete: ['a'.repeat(101)] } }, 'x')),
      'INVALID_TAG_PROTECTION_PATTERN',
    );
    assert.equal(
      code(() => checkTagDelete({ tag_immutable_patterns: ['(?<=x)'] }, 'x')),
      'INVALID_TAG_IMMUTABILITY_PATTERN',
    );
  });
});

describe('passwords and secrets', () => {
  it('hashes with scrypt and verifies', async () => {
    const h = await hashPassword('s3cret-password');
    assert.match(h, /^scrypt\$32768\$8\$1\$/);
    assert.equal(await verifyPassword('s3cret-password', h), true);
    assert.equal(await verifyPassword('s3cret-passwore', h), false);
    assert.equal(await verifyPassword('anything', undefined), false);
    assert.notEqual(await hashPassword('s3cret-password'), h, 'salted');
  });
  it('compares secrets whatever their lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', 'x'), false);
  });
});

describe('bulk tag selection', () => {
  const t = (name: string, hoursAgo: number) => ({ name, created_at: new Date(Date.UTC(2026, 0, 10) - hoursAgo * 3.6e6).toISOString() });
  const now = Date.UTC(2026, 0, 10);
  const tags = [t('latest', 1), t('v1', 50), t('v2', 30), t('v3', 10), t('v4', 2), t('keep-v5', 100), t('main', 5)];
  const deleted = (rules: Parameters<typeof selectTags>[1]) =>
    selectTags(tags, rules, now)
      .filter((d) => d.delete)
      .map((d) => d.name)
      .sort();

  it("applies GitLab's rules, each alone and combined", () => {
    assert.deepEqual(deleted({ nameRegexDelete: '.*' }), ['keep-v5', 'main', 'v1', 'v2', 'v3', 'v4']);
    assert.deepEqual(deleted({ nameRegexDelete: 'v\\d' }), ['v1', 'v2', 'v3', 'v4'], 'anchored: keep-v5 does not match');
    assert.deepEqual(deleted({ nameRegexDelete: '.*', nameRegexKeep: 'keep-.*|main' }), ['v1', 'v2', 'v3', 'v4']);
    assert.deepEqual(deleted({ nameRegexDelete: 'v.*', keepN: 2 }), ['v1', 'v2']);
    assert.deepEqual(deleted({ nameRegexDelete: 'v.*', olderThanMs: 24 * 3.6e6 }), ['v1', 'v2']);
    assert.deepEqual(deleted({ nameRegexDelete: '.*', nameRegexKeep: 'main', keepN: 1, olderThanMs: 40 * 3.6e6 }), ['keep-v5', 'v1']);
    assert.deepEqual(deleted({ nameRegexDelete: 'latest' }), [], 'latest is never deleted');
    const why = selectTags(tags, { nameRegexDelete: 'v.*', keepN: 1 }, now);
    assert.match(why.find((d) => d.name === 'v4')!.reason, /keep_n/);
    assert.match(why.find((d) => d.name === 'main')!.reason, /does not match/);
  });

  it('runs hostile patterns in linear time', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ name: `${'a'.repeat(40)}${i}!` }));
    const started = Date.now();
    selectTags(many, { nameRegexDelete: '(a+)+$', nameRegexKeep: '(a|aa)*b' });
    assert.ok(Date.now() - started < 2000, 'no catastrophic backtracking');
  });

  it('parses older_than', () => {
    assert.equal(parseOlderThan('90s'), 90_000);
    assert.equal(parseOlderThan('1h'), 3_600_000);
    assert.equal(parseOlderThan('7d'), 7 * 86_400_000);
    assert.equal(parseOlderThan('1month'), 30 * 86_400_000);
    assert.equal(parseOlderThan('soon'), undefined);
    assert.equal(parseOlderThan('-1d'), undefined);
  });
});
