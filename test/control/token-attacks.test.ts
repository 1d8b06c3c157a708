/**
 * Attacks on token auth, each denied with the right status and nothing
 * changed: forged, expired, early, misaddressed, re-signed or tampered
 * tokens, scope tricks, disabled or expired credentials, and guessing the
 * events secret.
 */
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { libtrustKeyId } from '../../src/auth/libtrust.js';
import { requirePostgres } from '../support/postgres.js';
import { PASSWORD, startAuthStack, testKey, type AuthStack } from '../support/auth-stack.js';

const skip = await requirePostgres();
const REPO = 'acme/app/img';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('token attacks', { skip }, () => {
  let s: AuthStack;
  let pem: string;
  let kid: string;
  let devId: number;

  before(async () => {
    s = await startAuthStack();
    pem = s.key.keyPem;
    kid = libtrustKeyId(createPrivateKey(pem));
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'acme' });
    for (const path of ['app', 'other']) assert.equal((await s.api('POST', '/projects', s.rootCreds, { path, namespace_id: g.body.id })).status, 201);
    devId = await s.createUser('dev');
    const project = await s.api('GET', `/projects/${encodeURIComponent('acme/app')}`, s.rootCreds);
    assert.equal((await s.api('POST', `/projects/${project.body.id}/members`, s.rootCreds, { user_id: devId, access_level: 30 })).status, 201);
  });
  after(() => s?.close());

  /** A token like the control plane's, with overrides, signed by `key` (default: the trusted key). */
  async function forge(claims: Record<string, unknown> = {}, opts: { key?: string; kid?: string; alg?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const body = { iss: 'wharf-issuer', aud: 'container_registry', sub: 'dev', iat: now, nbf: now - 5, exp: now + 300, access: [{ type: 'repository', name: REPO, actions: ['pull', 'push'] }], ...claims };
    return new SignJWT(body).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? kid }).sign(createPrivateKey(opts.key ?? pem));
  }

  /** Trying to push with `token` must fail with 401 and leave no repository behind. */
  async function refused(token: string, path = `/v2/${REPO}/blobs/uploads/`): Promise<void> {
    const res = await s.call('POST', path, { bearer: token });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.errors[0].code, 'UNAUTHORIZED');
    const admin = await s.token(s.rootCreds, ['registry:catalog:*']);
    const catalog = await s.call('GET', '/v2/_catalog', { bearer: admin });
    assert.deepEqual(catalog.body.repositories, [], 'nothing was created');
  }

  it('a well-formed token is accepted (the baseline)', async () => {
    const res = await s.call('GET', `/v2/${REPO}/tags/list`, { bearer: await forge() });
    assert.equal(res.status, 404);
    assert.equal(res.body.errors[0].code, 'NAME_UNKNOWN');
  });

  it('expired (beyond the 60 s leeway) is refused; within the leeway is accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await forge({ exp: now - 120 }));
    const res = await s.call('GET', `/v2/${REPO}/tags/list`, { bearer: await forge({ exp: now - 30 }) });
    assert.equal(res.status, 404);
    assert.match((await s.call('GET', `/v2/${REPO}/tags/list`, { bearer: await forge({ exp: now - 120 }) })).headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('nbf in the future is refused', async () => {
    await refused(await forge({ nbf: Math.floor(Date.now() / 1000) + 600 }));
  });

  it('wrong audience and wrong issuer are refused', async () => {
    await refused(await forge({ aud: 'another_service' }));
    await refused(await forge({ iss: 'someone-else' }));
  });

  it('a token signed by another key is refused, whatever kid it claims', async () => {
    const other = await testKey('attacker');
    await refused(await forge({}, { key: other.keyPem, kid: libtrustKeyId(createPrivateKey(other.keyPem)) }));
    await refused(await forge({}, { key: other.keyPem }));
  });

  it('alg none is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', kid })}.${b64({ iss: 'wharf-issuer', aud: 'container_registry', exp: now + 300, access: [{ type: 'repository', name: REPO, actions: ['push'] }] })}.`;
    await refused(token);
  });

  it('HS256 signed with the public certificate as secret is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'HS256', kid });
    const body = b64({ iss: 'wharf-issuer', aud: 'container_registry', exp: now + 300, access: [{ type: 'repository', name: REPO, actions: ['pull', 'push'] }] });
    const sig = createHmac('sha256', s.key.certificatePem).update(`${head}.${body}`).digest('base64url');
    await refused(`${head}.${body}.${sig}`);
  });

  it('a tampered payload is refused', async () => {
    const [head, , sig] = (await forge({ access: [{ type: 'repository', name: 'acme/other', actions: ['pull'] }] })).split('.');
    const now = Math.floor(Date.now() / 1000);
    await refused(`${head}.${b64({ iss: 'wharf-issuer', aud: 'container_registry', exp: now + 300, access: [{ type: 'repository', name: REPO, actions: ['pull', 'push'] }] })}.${sig}`);
  });

  it('a token for a/b does not open a/c, nor a/b/../c', async () => {
    const token = await s.token({ basic: ['dev', PASSWORD] }, [`repository:${REPO}:pull,push`]);
    const other = await s.call('POST', '/v2/acme/other/blobs/uploads/', { bearer: token });
    assert.equal(other.status, 401);
    assert.match(other.headers.get('www-authenticate') ?? '', /scope="repository:acme\/other:pull,push",error="insufficient_scope"/);
    const { raw } = await import('../support/http.js');
    const traversal = await raw(s.url, 'POST', `/v2/${REPO}/../../other/blobs/uploads/`, { headers: { Authorization: `Bearer ${token}` } });
    assert.ok([400, 401].includes(traversal.status), `traversal refused (${traversal.status})`);
    const admin = await s.token(s.rootCreds, ['registry:catalog:*']);
    assert.deepEqual((await s.call('GET', '/v2/_catalog', { bearer: admin })).body.repositories, []);
  });

  it('scope strings with extra colons, spaces or unknown actions grant nothing', async () => {
    for (const scope of [
      `repository:${REPO}:pull:push`,
      `repository:${REPO} :pull`,
      `repository: ${REPO}:pull`,
      `repository:${REPO}:pull,admin`,
      `repository:${REPO}:`,
      `repository::${REPO}:pull`,
      `registry:catalog:pull`,
    ]) {
      const token = await s.token({ basic: ['dev', PASSWORD] }, [scope]);
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
      assert.deepEqual(claims.access, [], scope);
    }
    // Several valid scopes, in one parameter separated by a space or in several parameters.
    const two = await s.token({ basic: ['dev', PASSWORD] }, [`repository:${REPO}:pull repository:acme/other:pull`]);
    assert.deepEqual(
      JSON.parse(Buffer.from(two.split('.')[1]!, 'base64url').toString()).access.map((a: { name: string }) => a.name),
      [REPO],
    );
  });

  it('a blocked user and an expired or revoked token get no token', async () => {
    const id = await s.createUser('blocked-soon');
    const pat = await s.createPat(id, ['read_registry', 'write_registry', 'api']);
    assert.equal((await s.api('GET', '/user', { pat })).status, 200);
    assert.equal((await s.api('POST', `/users/${id}/block`, s.rootCreds)).status, 201);
    await assert.rejects(s.token({ basic: ['blocked-soon', pat] }, [`repository:${REPO}:pull`]), /401/);
    await assert.rejects(s.token({ basic: ['blocked-soon', PASSWORD] }, [`repository:${REPO}:pull`]), /401/);
    assert.equal((await s.api('GET', '/user', { pat })).status, 401);

    // Created valid (a past expiry is refused at creation), then expired as time would.
    const expired = await s.createPat(devId, ['read_registry'], new Date(Date.now() + 86_400_000 * 2).toISOString().slice(0, 10));
    await s.node.database?.query('t', "UPDATE personal_access_tokens SET expires_at = '2020-01-01' WHERE id = (SELECT max(id) FROM personal_access_tokens)");
    await assert.rejects(s.token({ basic: ['dev', expired] }, [`repository:${REPO}:pull`]), /401/);
    const revoked = await s.createPat(devId, ['read_registry']);
    const list = await s.api('GET', `/personal_access_tokens?user_id=${devId}`, s.rootCreds);
    const id2 = list.body.at(-1).id;
    assert.equal((await s.api('DELETE', `/personal_access_tokens/${id2}`, s.rootCreds)).status, 204);
    await assert.rejects(s.token({ basic: ['dev', revoked] }, [`repository:${REPO}:pull`]), /401/);
    await assert.rejects(s.token({ basic: ['dev', 'wrong-password'] }, [`repository:${REPO}:pull`]), /401/);
  });

  it('the events endpoint refuses every wrong secret and takes the right one', async () => {
    const post = (secret: string | undefined) =>
      fetch(`${s.url}/api/v4/container_registry_event/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.docker.distribution.events.v1+json', ...(secret === undefined ? {} : { Authorization: secret }) },
        body: JSON.stringify({ events: [] }),
      });
    assert.equal((await post(undefined)).status, 401);
    const real = 'events-secret-0123456789';
    for (let i = 0; i < 200; i++) {
      const guess = real.slice(0, i % real.length) + 'x'.repeat(real.length - (i % real.length));
      assert.equal((await post(guess)).status, 401);
    }
    assert.equal((await post(`${real}x`)).status, 401);
    assert.equal((await post(real)).status, 200, 'no lock-out after failures');
  });
});
