/**
 * The permission matrix: every role × visibility × action, driven through
 * real HTTP — a token from /jwt/auth used against the registry (pull, push,
 * delete, catalog) and the REST API with the user's token (read, write).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { PASSWORD, startAuthStack, type AuthStack, type Creds } from '../support/auth-stack.js';

const skip = await requirePostgres();
const ROLES = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;
type Who = keyof typeof ROLES | 'outsider' | 'admin' | 'anonymous';
const WHO: Who[] = ['anonymous', 'outsider', 'guest', 'reporter', 'developer', 'maintainer', 'owner', 'admin'];
const VISIBILITIES = ['public', 'internal', 'private'] as const;
type Visibility = (typeof VISIBILITIES)[number];
const ZERO = `sha256:${'0'.repeat(64)}`;

/** What GitLab's model grants (the expectation the matrix is checked against). */
function expected(who: Who, vis: Visibility): Record<string, boolean> {
  const level = who === 'admin' ? 60 : who in ROLES ? ROLES[who as keyof typeof ROLES] : 0;
  const signedIn = who !== 'anonymous';
  return {
    pull: vis === 'public' || (vis === 'internal' && signedIn) || level >= 20,
    push: level >= 30,
    delete: level >= 30,
    apiRead: vis === 'public' || (vis === 'internal' && signedIn) || level >= 10,
    apiWrite: level >= 40,
  };
}

describe('permission matrix', { skip }, () => {
  let s: AuthStack;
  const pats = new Map<Who, string>();
  const projects = new Map<Visibility, number>();

  before(async () => {
    s = await startAuthStack();
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'matrix', visibility: 'public' });
    assert.equal(g.status, 201);
    for (const vis of VISIBILITIES) {
      const p = await s.api('POST', '/projects', s.rootCreds, { path: vis, namespace_id: g.body.id, visibility: vis });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      projects.set(vis, p.body.id);
    }
    for (const who of WHO) {
      if (who === 'anonymous') continue;
      const id = await s.createUser(`u-${who}`, { admin: who === 'admin' });
      pats.set(who, await s.createPat(id, ['api']));
      if (who in ROLES) {
        for (const pid of projects.values()) {
          const m = await s.api('POST', `/projects/${pid}/members`, s.rootCreds, { user_id: id, access_level: ROLES[who as keyof typeof ROLES] });
          assert.equal(m.status, 201, JSON.stringify(m.body));
        }
      }
    }
  });
  after(() => s?.close());

  const creds = (who: Who): Creds => (who === 'anonymous' ? undefined : { basic: [`u-${who}`, PASSWORD] });
  const apiCreds = (who: Who): Creds => (who === 'anonymous' ? undefined : { pat: pats.get(who)! });

  for (const vis of VISIBILITIES) {
    for (const who of WHO) {
      it(`${who} on a ${vis} project`, async () => {
        const repo = `matrix/${vis}/img`;
        const want = expected(who, vis);
        const token = await s.token(creds(who), [`repository:${repo}:pull,push,delete`]);
        const bearer = { bearer: token };
        const pull = await s.call('GET', `/v2/${repo}/tags/list`, bearer);
        assert.equal(pull.status !== 401, want.pull, `pull: ${pull.status}`);
        const push = await s.call('POST', `/v2/${repo}/blobs/uploads/`, bearer);
        assert.equal(push.status === 202, want.push, `push: ${push.status}`);
        if (push.status === 202) assert.equal((await s.call('DELETE', push.headers.get('location')!.replace(/^https?:\/\/[^/]+/, ''), bearer)).status, 204);
        else assert.equal(push.status, 401);
        const del = await s.call('DELETE', `/v2/${repo}/manifests/${ZERO}`, bearer);
        assert.equal(del.status !== 401, want.delete, `delete: ${del.status}`);
        const pid = projects.get(vis)!;
        const read = await s.api('GET', `/projects/${pid}`, apiCreds(who));
        assert.equal(read.status === 200, want.apiRead, `api read: ${read.status}`);
        if (!want.apiRead) assert.equal(read.status, 404, 'invisible projects are not found');
        const write = await s.api('PUT', `/projects/${pid}`, apiCreds(who), { name: `renamed-${who}` });
        assert.equal(write.status === 200, want.apiWrite, `api write: ${write.status}`);
        if (!want.apiWrite) assert.ok([401, 403, 404].includes(write.status), `api write refused with ${write.status}`);
      });
    }
  }

  it('the catalog is for admins only', async () => {
    for (const who of WHO) {
      const token = await s.token(creds(who), ['registry:catalog:*']);
      const res = await s.call('GET', '/v2/_catalog', { bearer: token });
      assert.equal(res.status, who === 'admin' ? 200 : 401, who);
      if (res.status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /scope="registry:catalog:\*",error="insufficient_scope"/);
    }
  });

  it('a project with its registry disabled, or the registry disabled site-wide, grants nothing', async () => {
    const pid = projects.get('public')!;
    const repo = 'matrix/public/img';
    assert.equal((await s.api('PUT', `/projects/${pid}`, s.rootCreds, { container_registry_enabled: false })).status, 200);
    let token = await s.token(creds('owner'), [`repository:${repo}:pull,push`]);
    assert.equal((await s.call('GET', `/v2/${repo}/tags/list`, { bearer: token })).status, 401);
    assert.equal((await s.api('PUT', `/projects/${pid}`, s.rootCreds, { container_registry_enabled: true })).status, 200);
    token = await s.token(creds('owner'), [`repository:${repo}:pull,push`]);
    assert.notEqual((await s.call('GET', `/v2/${repo}/tags/list`, { bearer: token })).status, 401);
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { container_registry_enabled: false })).status, 200);
    try {
      token = await s.token(creds('admin'), [`repository:${repo}:pull`]);
      assert.equal((await s.call('GET', `/v2/${repo}/tags/list`, { bearer: token })).status, 401);
    } finally {
      assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { container_registry_enabled: true })).status, 200);
    }
  });

  it('new projects take the site-wide registry default', async () => {
    const g = await s.api('GET', '/groups/matrix', s.rootCreds);
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { default_projects_container_registry: false })).status, 200);
    const off = await s.api('POST', '/projects', s.rootCreds, { path: 'defaults-off', namespace_id: g.body.id });
    assert.equal(off.body.container_registry_enabled, false);
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { default_projects_container_registry: true })).status, 200);
    const on = await s.api('POST', '/projects', s.rootCreds, { path: 'defaults-on', namespace_id: g.body.id });
    assert.equal(on.body.container_registry_enabled, true);
  });
});
