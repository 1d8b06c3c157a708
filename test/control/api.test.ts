/**
 * The REST API end to end: users and tokens, nested groups, projects,
 * members, pagination headers, deploy tokens, registry events creating
 * repositories, repositories with sizes, tags (details, delete, bulk delete
 * in the background), scheduled repository deletion, settings, OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requirePostgres } from '../support/postgres.js';
import { PASSWORD, claimsOf, startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { TestClient } from '../support/http.js';
import { until } from '../support/wait.js';

const skip = await requirePostgres();
const SECRET = 'events-secret-0123456789';

describe('REST API', { skip }, () => {
  let s: AuthStack;
  let groupId: number;
  let projectId: number;
  let client: TestClient;

  before(async () => {
    s = await startAuthStack();
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'org', name: 'Org', visibility: 'private' });
    groupId = g.body.id;
    const sub = await s.api('POST', '/groups', s.rootCreds, { path: 'team', parent_id: groupId });
    assert.equal(sub.status, 201);
    assert.equal(sub.body.full_path, 'org/team');
    const p = await s.api('POST', '/projects', s.rootCreds, { path: 'svc', namespace_id: sub.body.id });
    assert.equal(p.body.path_with_namespace, 'org/team/svc');
    projectId = p.body.id;
    const token = await s.token(s.rootCreds, ['repository:org/team/svc:pull,push,delete', 'repository:org/team/svc/worker:pull,push,delete']);
    client = new TestClient(s.url, { Authorization: `Bearer ${token}` });
  });
  after(() => s?.close());

  it("paginates with GitLab's headers", async () => {
    for (let i = 0; i < 5; i++) await s.createUser(`page-${i}`);
    const r = await s.api('GET', '/users?per_page=2&page=2', s.rootCreds);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 2);
    assert.equal(r.headers.get('x-total'), '6');
    assert.equal(r.headers.get('x-total-pages'), '3');
    assert.equal(r.headers.get('x-page'), '2');
    assert.equal(r.headers.get('x-per-page'), '2');
    assert.equal(r.headers.get('x-next-page'), '3');
    assert.equal(r.headers.get('x-prev-page'), '1');
    const link = r.headers.get('link') ?? '';
    assert.match(link, /<\/api\/v4\/users\?per_page=2&page=3>; rel="next"/);
    assert.match(link, /<\/api\/v4\/users\?per_page=2&page=1>; rel="prev"/);
    // root is user 1, so the second page of two holds page-1 and page-2.
    assert.deepEqual(
      r.body.map((u: { username: string }) => u.username),
      ['page-1', 'page-2'],
    );
  });

  it('refuses bad input with GitLab-style errors and changes nothing', async () => {
    assert.equal((await s.api('POST', '/users', s.rootCreds, { username: 'x y', password: PASSWORD })).status, 400);
    assert.equal((await s.api('POST', '/users', s.rootCreds, { username: 'shortpw', password: 'abc' })).status, 400);
    const dup = await s.api('POST', '/users', s.rootCreds, { username: 'root', password: PASSWORD });
    assert.equal(dup.status, 409);
    assert.equal((await s.api('POST', '/projects', s.rootCreds, { path: '../etc', namespace_id: groupId })).status, 400);
    assert.equal((await s.api('POST', `/projects/${projectId}/members`, s.rootCreds, { user_id: 1, access_level: 35 })).status, 400);
    const bad = await fetch(`${s.url}/api/v4/groups`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.ok((await bad.json()).error);
    assert.equal((await s.api('GET', '/projects/999999', s.rootCreds)).status, 404);
    assert.equal((await s.api('GET', '/nothing-here', s.rootCreds)).status, 404);
    assert.equal((await s.api('PATCH', '/users', s.rootCreds)).status, 405);
    assert.equal((await s.api('GET', '/users', undefined)).status, 401);
    assert.equal((await s.api('GET', '/users', { pat: 'wharfpat-forged' })).status, 401);
  });

  it('members: maintainers manage up to their level; only owners grant Owner', async () => {
    const maint = await s.createUser('maint');
    const other = await s.createUser('other');
    assert.equal((await s.api('POST', `/projects/${projectId}/members`, s.rootCreds, { user_id: maint, access_level: 40 })).status, 201);
    const pat = await s.createPat(maint, ['api']);
    assert.equal((await s.api('POST', `/projects/${projectId}/members`, { pat }, { user_id: other, access_level: 30 })).status, 201);
    assert.equal((await s.api('PUT', `/projects/${projectId}/members/${other}`, { pat }, { access_level: 50 })).status, 403);
    const list = await s.api('GET', `/projects/${projectId}/members`, { pat });
    assert.deepEqual(
      list.body.map((m: { username: string; access_level: number }) => [m.username, m.access_level]),
      [
        ['maint', 40],
        ['other', 30],
      ],
    );
    assert.equal((await s.api('DELETE', `/projects/${projectId}/members/${other}`, { pat })).status, 204);
    // Group membership is inherited by subgroups' projects.
    const viewer = await s.createUser('group-reporter');
    assert.equal((await s.api('POST', `/groups/${groupId}/members`, s.rootCreds, { user_id: viewer, access_level: 20 })).status, 201);
    const vpat = await s.createPat(viewer, ['read_api']);
    assert.equal((await s.api('GET', `/projects/${encodeURIComponent('org/team/svc')}`, { pat: vpat })).status, 200);
    assert.equal((await s.api('PUT', `/projects/${projectId}`, { pat: vpat }, { name: 'x' })).status, 403, 'read_api cannot write');
  });

  it('registry events create repositories; the list shows sizes; tags can be read and deleted', async () => {
    const a = await client.pushImage('org/team/svc', 'v1');
    await client.pushImage('org/team/svc', 'v2');
    await client.pushImage('org/team/svc/worker', 'latest');
    const event = (repository: string, tag: string) => ({ action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository, tag, digest: a.digest } });
    const post = await fetch(`${s.url}/api/v4/container_registry_event/events`, {
      method: 'POST',
      headers: { Authorization: SECRET, 'Content-Type': 'application/vnd.docker.distribution.events.v1+json' },
      body: JSON.stringify({ events: [event('org/team/svc', 'v1'), event('org/team/svc/worker', 'latest'), event('nobody/else', 'x'), { action: 'pull', target: { repository: 'org/team/svc' } }] }),
    });
    assert.equal(post.status, 200);
    const repos = await s.api('GET', `/projects/${projectId}/registry/repositories?tags_count=true`, s.rootCreds);
    assert.equal(repos.status, 200);
    assert.deepEqual(
      repos.body.map((r: { path: string; name: string; tags_count: number }) => [r.path, r.name, r.tags_count]),
      [
        ['org/team/svc', '', 2],
        ['org/team/svc/worker', 'worker', 1],
      ],
    );
    assert.ok(
      repos.body.every((r: { size: number }) => typeof r.size === 'number' && r.size > 0),
      'sizes from the registry',
    );
    const svc = repos.body[0];
    const tags = await s.api('GET', `/projects/${projectId}/registry/repositories/${svc.id}/tags`, s.rootCreds);
    assert.deepEqual(
      tags.body.map((t: { name: string }) => t.name),
      ['v1', 'v2'],
    );
    const v1 = await s.api('GET', `/projects/${projectId}/registry/repositories/${svc.id}/tags/v1`, s.rootCreds);
    assert.equal(v1.body.digest, a.digest);
    assert.equal(v1.body.short_revision, a.digest.slice(7, 16));
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${svc.id}/tags/v1`, s.rootCreds)).status, 200);
    assert.equal((await s.api('GET', `/projects/${projectId}/registry/repositories/${svc.id}/tags/v1`, s.rootCreds)).status, 404);
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${svc.id}/tags/v1`, s.rootCreds)).status, 404);
    const group = await s.api('GET', `/groups/${groupId}/registry/repositories`, s.rootCreds);
    assert.equal(group.body.length, 2);
  });

  it('bulk-deletes tags by regex in the background, keeping latest, keep_n and name_regex_keep', async () => {
    const repoPath = 'org/team/svc/bulk';
    const token = await s.token(s.rootCreds, [`repository:${repoPath}:pull,push,delete`]);
    const c = new TestClient(s.url, { Authorization: `Bearer ${token}` });
    for (const t of ['latest', 'rc-1', 'rc-2', 'rc-3', 'keep-rc-4', 'stable']) await c.pushImage(repoPath, t);
    await fetch(`${s.url}/api/v4/container_registry_event/events`, { method: 'POST', headers: { Authorization: SECRET }, body: JSON.stringify({ events: [{ action: 'push', target: { repository: repoPath } }] }) });
    const repos = await s.api('GET', `/projects/${projectId}/registry/repositories`, s.rootCreds);
    const repo = repos.body.find((r: { path: string }) => r.path === repoPath);
    assert.equal(
      (await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags?name_regex_delete=${encodeURIComponent('(a+)+$')}x`, s.rootCreds)).status,
      202,
      'hostile regex accepted and harmless (RE2)',
    );
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags`, s.rootCreds, { name_regex_delete: '[' })).status, 400);
    const r = await s.api('DELETE', `/projects/${projectId}/registry/repositories/${repo.id}/tags`, s.rootCreds, { name_regex_delete: '.*rc.*|latest', name_regex_keep: 'keep-.*', keep_n: 1 });
    assert.equal(r.status, 202);
    const left = await until('bulk delete', async () => {
      const t = await s.api('GET', `/projects/${projectId}/registry/repositories/${repo.id}/tags`, s.rootCreds);
      const names = t.body.map((x: { name: string }) => x.name);
      return names.length === 4 ? names : undefined;
    });
    // rc-3 is the newest rc (keep_n: 1); latest is never deleted; keep-rc-4 is kept by name_regex_keep.
    assert.deepEqual(left, ['keep-rc-4', 'latest', 'rc-3', 'stable']);
  });

  it('with the registry in the same process, pushes create repositories without any endpoint configured', async () => {
    const token = await s.token(s.rootCreds, ['repository:org/team/svc/inproc:pull,push']);
    await new TestClient(s.url, { Authorization: `Bearer ${token}` }).pushImage('org/team/svc/inproc', 'v1');
    await until('the repository recorded', async () => {
      const repos = await s.api('GET', `/projects/${projectId}/registry/repositories`, s.rootCreds);
      return repos.body.some((r: { path: string }) => r.path === 'org/team/svc/inproc') ? true : undefined;
    });
  });

  it('reports disk usage per project with layers counted once (API, JSON and CSV)', async () => {
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'usage' });
    const p = await s.api('POST', '/projects', s.rootCreds, { path: 'proj', namespace_id: g.body.id });
    const token = await s.token(s.rootCreds, ['repository:usage/proj/a:pull,push', 'repository:usage/proj/b:pull,push']);
    const c = new TestClient(s.url, { Authorization: `Bearer ${token}` });
    const shared = 'shared-layer-'.repeat(100);
    const own = 'own-layer-of-b'.repeat(50);
    const push = async (repo: string, tag: string, layers: string[]) => {
      const digests = [];
      for (const l of layers) digests.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await c.pushBlob(repo, l), size: Buffer.byteLength(l) });
      const cfg = JSON.stringify({ repo, tag });
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await c.pushBlob(repo, cfg), size: Buffer.byteLength(cfg) },
        layers: digests,
      });
      assert.equal((await c.req('PUT', `/v2/${repo}/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
    };
    await push('usage/proj/a', 'one', [shared]);
    await push('usage/proj/a', 'two', [shared]);
    await push('usage/proj/b', 'one', [shared, own]);
    const expected = Buffer.byteLength(shared) + Buffer.byteLength(own);
    await until('both repositories recorded', async () => ((await s.api('GET', `/projects/${p.body.id}/registry/repositories`, s.rootCreds)).body.length === 2 ? true : undefined));
    const usage = await s.api('GET', `/projects/${p.body.id}/registry/disk_usage`, s.rootCreds);
    assert.equal(usage.status, 200);
    assert.deepEqual({ size: usage.body.registry_size_bytes, layers: usage.body.layers, repositories: usage.body.repositories }, { size: expected, layers: 2, repositories: 2 });
    const csv = await fetch(`${s.url}/api/v4/registry/disk_usage?format=csv`, { headers: { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}` } });
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\n');
    assert.equal(lines[0], 'project_id,creator_id,registry_size_bytes,project path');
    assert.ok(lines.includes(`${p.body.id},1,${expected},usage/proj`), lines.join(' | '));
  });

  it('deploy tokens read only their project', async () => {
    const dt = await s.api('POST', `/projects/${projectId}/deploy_tokens`, s.rootCreds, { name: 'ci', scopes: ['read_registry'] });
    assert.equal(dt.status, 201);
    const own = claimsOf(await s.token({ basic: [dt.body.username, dt.body.token] }, ['repository:org/team/svc:pull,push', 'repository:matrix/x:pull']));
    assert.deepEqual(
      own.access.map((a: { name: string; actions: string[] }) => [a.name, a.actions]),
      [['org/team/svc', ['pull']]],
    );
    assert.equal(own.auth_type, 'deploy_token');
    assert.equal((await s.api('DELETE', `/projects/${projectId}/deploy_tokens/${dt.body.id}`, s.rootCreds)).status, 204);
    await assert.rejects(s.token({ basic: [dt.body.username, dt.body.token] }, ['repository:org/team/svc:pull']), /401/);
  });

  it("tokens carry GitLab's claims and the admin lifetime setting", async () => {
    const before = claimsOf(await s.token(s.rootCreds, ['repository:org/team/svc:pull']));
    assert.equal(before.exp - before.iat, 300, 'default 5 minutes');
    for (const k of ['iss', 'aud', 'sub', 'iat', 'nbf', 'exp', 'jti', 'auth_type', 'access']) assert.ok(k in before, k);
    assert.deepEqual(before.access[0].meta, { project_path: 'org/team/svc', project_id: projectId, root_namespace_id: groupId });
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { container_registry_token_expire_delay: 15 })).status, 200);
    const after = claimsOf(await s.token(s.rootCreds, ['repository:org/team/svc:pull']));
    assert.equal(after.exp - after.iat, 900);
    const res = await fetch(`${s.url}/jwt/auth?service=container_registry&scope=repository:org/team/svc:pull&offline_token=true&client_id=docker`, {
      headers: { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}` },
    });
    const body = await res.json();
    assert.equal(body.expires_in, 900);
    assert.equal(body.token, body.access_token);
    assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
    assert.equal((await fetch(`${s.url}/jwt/auth?service=wrong`)).status, 401);
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { container_registry_token_expire_delay: 0 })).status, 400);
  });

  it('tag protection rules reach the registry through the token', async () => {
    const dev = await s.createUser('protected-dev');
    assert.equal((await s.api('POST', `/projects/${projectId}/members`, s.rootCreds, { user_id: dev, access_level: 30 })).status, 201);
    assert.equal(
      (
        await s.api('POST', `/projects/${projectId}/registry/protection/tag/rules`, s.rootCreds, {
          tag_name_pattern: '^v\\d+$',
          minimum_access_level_for_push: 'maintainer',
          minimum_access_level_for_delete: 'maintainer',
        })
      ).status,
      201,
    );
    assert.equal((await s.api('POST', `/projects/${projectId}/registry/protection/tag/rules`, s.rootCreds, { tag_name_pattern: '^release-.*', immutable: true })).status, 201);
    const devToken = await s.token({ basic: ['protected-dev', PASSWORD] }, ['repository:org/team/svc:pull,push,delete']);
    const meta = claimsOf(devToken).access[0].meta;
    assert.deepEqual(meta.tag_deny_access_patterns, { push: ['^v\\d+$'], delete: ['^v\\d+$'] });
    assert.deepEqual(meta.tag_immutable_patterns, ['^release-.*']);
    const c = new TestClient(s.url, { Authorization: `Bearer ${devToken}` });
    await assert.rejects(c.pushImage('org/team/svc', 'v9'), /401.*PROTECTED_TAG/);
    await c.pushImage('org/team/svc', 'dev-1');
    await c.pushImage('org/team/svc', 'release-1');
    await assert.rejects(c.pushImage('org/team/svc', 'release-1'), /401.*IMMUTABLE_TAG/);
    assert.equal((await c.req('DELETE', '/v2/org/team/svc/manifests/release-1')).status, 401);
    const byDigest = await c.req('DELETE', `/v2/org/team/svc/manifests/sha256:${'1'.repeat(64)}`);
    assert.equal(byDigest.errorCode(), 'PROTECTED_MANIFEST');
    assert.equal((await c.req('DELETE', '/v2/org/team/svc/manifests/dev-1')).status, 202);
    // The admin is not bound by protection (but is by immutability).
    const rootToken = await s.token(s.rootCreds, ['repository:org/team/svc:pull,push,delete']);
    await new TestClient(s.url, { Authorization: `Bearer ${rootToken}` }).pushImage('org/team/svc', 'v9');
  });

  it('deleting a repository is scheduled, runs in the background, and the repository goes', async () => {
    const repos = await s.api('GET', `/projects/${projectId}/registry/repositories`, s.rootCreds);
    const worker = repos.body.find((r: { path: string }) => r.path === 'org/team/svc/worker');
    assert.equal((await s.api('DELETE', `/projects/${projectId}/registry/repositories/${worker.id}`, s.rootCreds)).status, 202);
    await until('repository deletion', async () => ((await s.api('GET', `/registry/repositories/${worker.id}`, s.rootCreds)).status === 404 ? true : undefined));
    const tags = await client.req('GET', '/v2/org/team/svc/worker/tags/list');
    assert.deepEqual(tags.json<{ tags: string[] }>().tags ?? [], []);
    assert.equal((await s.api('DELETE', `/projects/${projectId}`, s.rootCreds)).status, 409, 'a project with images cannot be deleted');
    assert.equal((await s.api('DELETE', `/groups/${groupId}`, s.rootCreds)).status, 409, 'nor a group above it');
    const empty = await s.api('POST', '/groups', s.rootCreds, { path: 'empty' });
    assert.equal((await s.api('POST', '/projects', s.rootCreds, { path: 'nothing', namespace_id: empty.body.id })).status, 201);
    assert.equal((await s.api('DELETE', `/groups/${empty.body.id}`, s.rootCreds)).status, 202);
    assert.equal((await s.api('GET', `/projects/${encodeURIComponent('empty/nothing')}`, s.rootCreds)).status, 404, 'projects go with their group');
  });

  it('serves an OpenAPI document covering every route', async () => {
    const r = await s.api('GET', '/openapi.json', undefined);
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    const paths = Object.keys(r.body.paths);
    for (const p of [
      '/projects/{id}/registry/repositories',
      '/projects/{id}/registry/repositories/{repository_id}/tags/{tag_name}',
      '/application/settings',
      '/container_registry_event/events',
      '/{source}/{id}/members/{user_id}',
    ])
      assert.ok(paths.includes(p), p);
    for (const [path, ops] of Object.entries(r.body.paths as Record<string, Record<string, { summary: string }>>)) {
      for (const [m, op] of Object.entries(ops)) assert.ok(!op.summary.startsWith(m.toUpperCase()), `summary for ${m} ${path}`);
    }
  });
});
