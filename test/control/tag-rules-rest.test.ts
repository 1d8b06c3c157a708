/**
 * The permission matrix's tag-rule dimension over every control-plane path
 * that deletes tags: for each principal × {protected, immutable, plain} tag ×
 * {REST single delete, REST bulk delete, repository deletion, cleanup run,
 * /v2 delete}, the answer and whether the tag is still there afterwards; and
 * with deletes off, a clear 400 instead of a 500. Also the API's input
 * checks found the same way (nested scopes, expires_at in the past).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { PASSWORD, startAuthStack, type AuthStack, type Creds } from '../support/auth-stack.js';
import { TestClient } from '../support/http.js';
import { until } from '../support/wait.js';
import { tempDir } from '../support/temp.js';

const skip = await requirePostgres();

const PROTECTED = 'v1'; // rule ^v.* : Maintainer to delete
const IMMUTABLE = 'stable'; // rule stable : immutable
const PLAIN = 'dev';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

describe("REST deletes apply the acting user's tag rules", { skip }, () => {
  let s: AuthStack;
  let projectId: number;
  let n = 0;
  let dev: Creds;
  let maintainer: Creds;

  before(async () => {
    s = await startAuthStack();
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'rules' });
    projectId = (await s.api('POST', '/projects', s.rootCreds, { path: 'app', namespace_id: g.body.id })).body.id;
    for (const [name, level] of [
      ['rules-dev', 30],
      ['rules-maint', 40],
    ] as const) {
      const id = await s.createUser(name);
      assert.equal((await s.api('POST', `/projects/${projectId}/members`, s.rootCreds, { user_id: id, access_level: level })).status, 201);
    }
    dev = { basic: ['rules-dev', PASSWORD] };
    maintainer = { basic: ['rules-maint', PASSWORD] };
    assert.equal(
      (await s.api('POST', `/projects/${projectId}/registry/protection/tag/rules`, s.rootCreds, { tag_name_pattern: '^v.*', minimum_access_level_for_push: 'maintainer', minimum_access_level_for_delete: 'maintainer' }))
        .status,
      201,
    );
    assert.equal((await s.api('POST', `/projects/${projectId}/registry/protection/tag/rules`, s.rootCreds, { tag_name_pattern: 'stable', immutable: true })).status, 201);
  });
  after(() => s?.close());

  /** A fresh repository holding the three tags (pushed by root), and its REST id. */
  async function seeded(): Promise<{ path: string; id: number }> {
    const path = `rules/app/r${n++}`;
    const token = await s.token(s.rootCreds, [`repository:${path}:pull,push`]);
    const c = new TestClient(s.url, { Authorization: `Bearer ${token}` });
    for (const t of [PROTECTED, IMMUTABLE, PLAIN]) await c.pushImage(path, t);
    let id: number | undefined;
    await until('the repository to appear in the API', async () => {
      const repos = await s.api('GET', `/projects/${projectId}/registry/repositories`, s.rootCreds);
      id = (repos.body as Array<{ id: number; path: string }>).find((r) => r.path === path)?.id;
      return id !== undefined;
    });
    return { path, id: id as number };
  }

  async function tags(path: string): Promise<string[]> {
    const token = await s.token(s.rootCreds, [`repository:${path}:pull`]);
    const r = await new TestClient(s.url, { Authorization: `Bearer ${token}` }).req('GET', `/v2/${path}/tags/list`);
    return r.status === 404 ? [] : (r.json<{ tags: string[] | null }>().tags ?? []).sort();
  }

  // principal → tag → expected status of the REST single delete
  const SINGLE: Array<[string, () => Creds, Record<string, number>]> = [
    ['Developer', () => dev, { [PROTECTED]: 403, [IMMUTABLE]: 403, [PLAIN]: 200 }],
    ['Maintainer', () => maintainer, { [PROTECTED]: 200, [IMMUTABLE]: 403, [PLAIN]: 200 }],
    ['admin', () => s.rootCreds, { [PROTECTED]: 200, [IMMUTABLE]: 403, [PLAIN]: 200 }],
  ];

  for (const [who, creds, want] of SINGLE) {
    it(`REST single delete as ${who}: ${JSON.stringify(want)}, and /v2 agrees`, async () => {
      const repo = await seeded();
      for (const [tag, status] of Object.entries(want)) {
        const r = await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags/${tag}`, creds());
        assert.equal(r.status, status, `${who} deleting ${tag}: ${JSON.stringify(r.body)}`);
        if (status === 403) assert.match(String(r.body.message), tag === IMMUTABLE ? /immutable.*tag rule "stable"/ : /protected.*tag rule "\^v\.\*".*Maintainer/);
        assert.equal((await tags(repo.path)).includes(tag), status !== 200, `${tag} ${status === 200 ? 'gone' : 'kept'}`);
      }
    });
  }

  // principal → tag → expected OCI code of a /v2 tag delete and of a manifest overwrite (undefined: allowed)
  const V2: Array<[string, () => Creds, Record<string, [string | undefined, string | undefined]>]> = [
    ['Developer', () => dev, { [PROTECTED]: ['PROTECTED_TAG', 'PROTECTED_TAG'], [IMMUTABLE]: ['IMMUTABLE_TAG', 'IMMUTABLE_TAG'], [PLAIN]: [undefined, undefined] }],
    ['Maintainer', () => maintainer, { [PROTECTED]: [undefined, undefined], [IMMUTABLE]: ['IMMUTABLE_TAG', 'IMMUTABLE_TAG'], [PLAIN]: [undefined, undefined] }],
    ['admin', () => s.rootCreds, { [PROTECTED]: [undefined, undefined], [IMMUTABLE]: ['IMMUTABLE_TAG', 'IMMUTABLE_TAG'], [PLAIN]: [undefined, undefined] }],
  ];

  for (const [who, creds, want] of V2) {
    it(`/v2 delete and manifest overwrite as ${who} agree with the REST answers`, async () => {
      const repo = await seeded();
      const token = await s.token(creds(), [`repository:${repo.path}:pull,push,delete`]);
      const c = new TestClient(s.url, { Authorization: `Bearer ${token}` });
      for (const [tag, [onDelete, onOverwrite]] of Object.entries(want)) {
        // Overwrite first (the tag still exists): a different manifest under the same tag.
        const other = await c.pushImage(repo.path, `scratch-${tag}`);
        const put = await c.req('PUT', `/v2/${repo.path}/manifests/${tag}`, { body: other.body, headers: { 'Content-Type': OCI } });
        assert.equal(put.errorCode(), onOverwrite, `${who} overwriting ${tag}: ${put.status}`);
        if (!onOverwrite) assert.equal(put.status, 201);
        const del = await c.req('DELETE', `/v2/${repo.path}/manifests/${tag}`);
        assert.equal(del.errorCode(), onDelete, `${who} deleting ${tag} through /v2: ${del.status}`);
        assert.equal((await tags(repo.path)).includes(tag), onDelete !== undefined, `${tag} ${onDelete ? 'kept' : 'gone'}`);
      }
    });
  }

  it('REST bulk delete of everything as a Developer keeps the protected and immutable tags', async () => {
    const repo = await seeded();
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags?name_regex_delete=.*`, dev)).status, 202);
    await until('the bulk delete job', async () => !(await tags(repo.path)).includes(PLAIN));
    assert.deepEqual(await tags(repo.path), [IMMUTABLE, PROTECTED].sort());
  });

  it('REST bulk delete as a Maintainer deletes the protected tag but keeps the immutable one', async () => {
    const repo = await seeded();
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags?name_regex_delete=.*`, maintainer)).status, 202);
    await until('the bulk delete job', async () => (await tags(repo.path)).length === 1);
    assert.deepEqual(await tags(repo.path), [IMMUTABLE]);
  });

  it('repository deletion is refused (403, naming the rule) when a tag must stay for the actor', async () => {
    const repo = await seeded();
    const r = await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}`, dev);
    assert.equal(r.status, 403);
    assert.match(String(r.body.message), /tag rule/);
    const byAdmin = await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}`, s.rootCreds);
    assert.equal(byAdmin.status, 403, 'an immutable tag stays even for an admin');
    assert.deepEqual(await tags(repo.path), [PLAIN, IMMUTABLE, PROTECTED].sort());
  });

  it('a cleanup run keeps protected and immutable tags and says why in the dry run', async () => {
    const repo = await seeded();
    const policy = { enabled: true, cadence: '1d', keep_n: 1, name_regex: '.*' };
    const put = await s.api('PUT', `/projects/${projectId}/registry/cleanup_policy`, s.rootCreds, policy);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const dry = await s.api('POST', `/projects/${projectId}/registry/cleanup_policy/run?dry_run=true`, s.rootCreds);
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    const report = (dry.body as Array<{ repository: string; tags: Array<{ name: string; delete: boolean; reason: string }> }>).find((x) => x.repository === repo.path);
    for (const t of [PROTECTED, IMMUTABLE]) {
      const d = report?.tags.find((x) => x.name === t);
      assert.equal(d?.delete, false, `${t} kept`);
      assert.match(String(d?.reason), /protect|immutable|rule/i);
    }
    assert.deepEqual(await tags(repo.path), [PLAIN, IMMUTABLE, PROTECTED].sort(), 'a dry run deletes nothing');
  });

  it('the API refuses deeply nested scopes and expiry dates in the past with 400', async () => {
    // Sent as text: 10,000 levels would overflow JSON.stringify here too.
    const text = `{"name":"x","scopes":${'['.repeat(10_000)}"api"${']'.repeat(10_000)}}`;
    const deep = await fetch(`${s.node.controlPlaneUrl ?? s.url}/api/v4/user/personal_access_tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}` },
      body: text,
    });
    assert.equal(deep.status, 400);
    assert.equal((await s.api('GET', '/user', s.rootCreds)).status, 200, 'the server still answers');
    // An oversized body: 413, refused at the declared length.
    const big = await fetch(`${s.node.controlPlaneUrl ?? s.url}/api/v4/user/personal_access_tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}` },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), scopes: ['api'] }),
    });
    assert.equal(big.status, 413);
    const shallow = await s.api('POST', '/user/personal_access_tokens', s.rootCreds, { name: 'x', scopes: [['api']] });
    assert.equal(shallow.status, 400);
    assert.equal((await s.api('POST', '/user/personal_access_tokens', s.rootCreds, { name: 'x', scopes: ['api'], expires_at: '2020-01-01' })).status, 400);
    assert.equal((await s.api('POST', `/projects/${projectId}/deploy_tokens`, s.rootCreds, { name: 'x', scopes: ['read_registry'], expires_at: '2020-01-01T00:00:00Z' })).status, 400);
    assert.equal((await s.api('POST', '/user/personal_access_tokens', s.rootCreds, { name: 'nul\u0000', scopes: ['api'] })).status, 400);
  });
});

describe('REST deletes with deletes off on the registry', { skip }, () => {
  let s: AuthStack;
  before(async () => {
    s = await startAuthStack({ storage: { filesystem: { rootdirectory: await tempDir('wharf-rules-off-') }, delete: { enabled: false } } });
  });
  after(() => s?.close());

  it('answers 400 "deletes are disabled on this registry", never 500, and the tag stays', async () => {
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'off' });
    const projectId = (await s.api('POST', '/projects', s.rootCreds, { path: 'app', namespace_id: g.body.id })).body.id;
    const token = await s.token(s.rootCreds, ['repository:off/app:pull,push']);
    const c = new TestClient(s.url, { Authorization: `Bearer ${token}` });
    await c.pushImage('off/app', 'v1');
    let id: number | undefined;
    await until('the repository to appear', async () => {
      id = ((await s.api('GET', `/projects/${projectId}/registry/repositories`, s.rootCreds)).body as Array<{ id: number }>)[0]?.id;
      return id !== undefined;
    });
    const r = await s.api('DELETE', `/projects/${projectId}/registry/repositories/${id}/tags/v1`, s.rootCreds);
    assert.equal(r.status, 400);
    assert.match(String(r.body.message), /deletes are disabled on this registry/);
    assert.equal((await c.req('GET', '/v2/off/app/manifests/v1')).status, 200);
  });
});
