/**
 * The admin web page (SPEC 9.4) in a real browser: playwright-core driving
 * Debian's chromium against a real Wharf (default mode, token auth) holding
 * images pushed by skopeo. Screenshots of each page, at 1280 px and at a
 * phone's width, go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { basic, launchChromium, openView, shot, signIn as signInAt } from '../support/browser.js';
import { OciLayout } from '../support/oci-layout.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { requireCommand, skopeoCopy } from '../support/tools.js';

const skip = requireCommand('chromium') ?? requireCommand('skopeo');
const PASSWORD = 'admin-page-root-password-1';
const VIEWER_PASSWORD = 'viewer-password-12345';
const UPSTREAM_SECRET = 'upstream-sekret-never-shown';

describe('the admin web page in chromium', { skip, timeout: 300_000 }, () => {
  let work: string;
  let wharf: WharfProcess;
  let browser: Browser;
  let projectId: number;
  let repoId: number;
  let groupId: number;
  let registryId: number;
  let patToken: string;
  let viewerId: number;
  let sbom: { digest: string };

  async function api(method: string, path: string, body?: unknown, auth = basic('root', PASSWORD)): Promise<{ status: number; body: any }> {
    for (let i = 0; ; i++) {
      const res = await fetch(`${wharf.url}/api/v4${path}`, { method, headers: { Authorization: auth, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      // The first admin appears as the server starts.
      if (res.status === 401 && i < 50 && auth === basic('root', PASSWORD)) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }
  }

  async function registryTags(): Promise<string[]> {
    const tok = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:team/app:pull`, { headers: { Authorization: basic('root', PASSWORD) } });
    const token = ((await tok.json()) as { token: string }).token;
    const res = await fetch(`${wharf.url}/v2/team/app/tags/list`, { headers: { Authorization: `Bearer ${token}` } });
    return ((await res.json()) as { tags: string[] }).tags;
  }

  const signIn = (context: BrowserContext, user: string, pass: string) => signInAt(context, wharf.url, user, pass);

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-web-');
    const layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 40_000 });
    const v2 = await layout.image({ tag: 'v2', layers: 1, layerSize: 30_000 });
    sbom = await layout.artifact('sbom', v2);
    await layout.flush();
    wharf = await spawnWharf(join(work, 'wharf'), work, 1, 'auth:\n  token: {}\nvirtual_registries:\n  allow_private_upstreams: true\n');
    const g = await api('POST', '/groups', { path: 'team', visibility: 'private' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    groupId = g.body.id;
    const p = await api('POST', '/projects', { path: 'app', namespace_id: groupId, visibility: 'private' });
    assert.equal(p.status, 201);
    projectId = p.body.id;
    for (const [src, tag] of [
      ['v1', 'v1'],
      ['v2', 'v2'],
      ['v1', 'old'],
    ])
      await skopeoCopy(`oci:${layout.dir}:${src}`, `docker://${wharf.host}/team/app:${tag}`, ['--dest-creds', `root:${PASSWORD}`]);
    // An SBOM of v2, pushed by digest only (no tag of its own).
    await skopeoCopy(`oci:${layout.dir}:sbom`, `docker://${wharf.host}/team/app@${sbom.digest}`, ['--dest-creds', `root:${PASSWORD}`]);
    const repos = await api('GET', `/projects/${projectId}/registry/repositories`);
    repoId = repos.body[0].id;
    const viewer = await api('POST', '/users', { username: 'viewer', name: 'Viewer', email: 'viewer@example.com', password: VIEWER_PASSWORD });
    assert.equal(viewer.status, 201, JSON.stringify(viewer.body));
    viewerId = viewer.body.id;
    const pat = await api('POST', '/user/personal_access_tokens', { name: 'ci', scopes: ['api'] });
    patToken = pat.body.token;
    const r = await api('POST', `/groups/${groupId}/-/virtual_registries/container/registries`, { name: 'hub' });
    registryId = r.body.id;
    await api('POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: 'http://127.0.0.1:9', name: 'first', username: 'u', password: UPSTREAM_SECRET });
    await api('POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: 'http://127.0.0.1:10', name: 'second' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await wharf?.kill();
  });

  it('redirects / to the page; a wrong password is refused; the session cookie is HttpOnly and SameSite', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${wharf.url}/`);
    assert.equal(new URL(page.url()).pathname, '/admin/');
    await page.getByLabel('Username').fill('root');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    assert.equal((await context.cookies()).length, 0);
    await shot(page, 'sign-in');
    // A token is not a password here.
    await page.reload();
    await page.getByLabel('Username').fill('root');
    await page.getByLabel('Password').fill(patToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    assert.equal((await context.cookies()).length, 0);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === 'wharf_session');
    assert.ok(cookie, `cookies: ${JSON.stringify(cookies.map((c) => c.name))}`);
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    // Signed out while the settings view is still loading (its answer held back until after
    // the sign-out): that 401 must not replace the sign-in form being filled in.
    await page.evaluate("location.hash = '#/groups'");
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    let release = () => undefined as void;
    const held = new Promise<void>((r) => (release = r));
    await context.route('**/api/v4/application/settings', async (route) => {
      await held;
      await route.continue();
    });
    await page.evaluate("location.hash = '#/settings'");
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill('root');
    const answered = page.waitForEvent('requestfinished', (r) => r.url().endsWith('/api/v4/application/settings'));
    release();
    assert.equal((await (await answered).response())?.status(), 401, 'the held request was answered after the sign-out');
    // One more turn of the page's event loop: the answer's handler has run.
    await page.evaluate('new Promise((r) => setTimeout(r, 50))');
    assert.equal(await page.getByLabel('Username').inputValue(), 'root', 'the form being filled in stayed');
    await context.unroute('**/api/v4/application/settings');
    // Signed out elsewhere (the session is gone): the stale cookie does not stop signing in again.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await context.addCookies([{ ...cookie, value: cookie?.value as string }]);
    await page.getByLabel('Username').fill('root');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await context.close();
  });

  it('refuses API writes made with the session cookie but without its CSRF token, and calls without a session', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    // Strings, not functions: the TypeScript loader decorates functions with helpers the page does not have.
    const statuses = await page.evaluate(`(async () => {
      const put = (headers) => fetch('/api/v4/application/settings', { method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ container_registry_token_expire_delay: 9 }) }).then((r) => r.status);
      return { none: await put({}), wrong: await put({ 'X-CSRF-Token': 'forged' }), read: await fetch('/api/v4/application/settings').then((r) => r.status) };
    })()`);
    assert.deepEqual(statuses, { none: 403, wrong: 403, read: 200 });
    assert.equal((await api('GET', '/application/settings')).body.container_registry_token_expire_delay, 5, 'nothing changed');
    // Another browser with no session: the page asks to sign in, the API refuses admin calls.
    const stranger = await browser.newContext();
    const anon = await stranger.newPage();
    await anon.goto(`${wharf.url}/admin/#/settings`);
    await anon.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await anon.evaluate("fetch('/api/v4/application/settings').then((r) => r.status)"), 401);
    assert.equal(await anon.evaluate("fetch('/api/v4/session').then((r) => r.status)"), 401);
    await stranger.close();
    await context.close();
  });

  it("renders every page with the API's numbers, at 1280 px and at a phone's width", async (t) => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    const apiRepos = (await api('GET', `/projects/${projectId}/registry/repositories?tags_count=true`)).body;
    // Projects: repositories and tags of team/app.
    const row = page.getByRole('row').filter({ hasText: 'team/app' });
    await row.waitFor();
    assert.deepEqual(await row.getByRole('cell').allTextContents(), ['team/app', 'private', String(apiRepos.length), String(apiRepos[0].tags_count)]);
    await shot(page, 'projects');
    // A project: its repository with tag count and size.
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}`);
    await page.getByRole('heading', { name: 'Container repositories' }).waitFor();
    const repoRow = page.getByRole('row').filter({ hasText: 'team/app' });
    await repoRow.waitFor();
    const cells = await repoRow.getByRole('cell').allTextContents();
    assert.equal(cells[1], String(apiRepos[0].tags_count));
    assert.notEqual(cells[2], '—');
    assert.ok(await page.getByRole('button', { name: 'Dry run' }).count(), 'the cleanup policy section');
    await shot(page, 'project');
    // A repository: every tag with the digest the API reports.
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}/repositories/${repoId}`);
    await page.getByRole('columnheader', { name: 'Digest' }).waitFor();
    for (const tag of ['v1', 'v2', 'old']) {
      const detail = (await api('GET', `/projects/${projectId}/registry/repositories/${repoId}/tags/${tag}`)).body;
      const tagRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: tag, exact: true }) });
      assert.equal(await tagRow.getByRole('cell').nth(1).textContent(), detail.digest);
    }
    // The SBOM under its subject.
    const referrers = page.getByRole('list', { name: 'Referrers of v2' });
    assert.equal(await referrers.locator('code').textContent(), sbom.digest);
    assert.match((await referrers.textContent()) as string, /application\/vnd\.example\.sbom\.v1\+json/);
    await shot(page, 'repository');
    // Group: usage; virtual registries; its upstreams in order.
    await page.goto(`${wharf.url}/admin/#/groups/${groupId}`);
    await page.locator('[data-usage="total"]').waitFor();
    await page.getByRole('link', { name: 'hub' }).click();
    const upstreams = page.getByRole('table').first();
    await upstreams.getByRole('row').filter({ hasText: 'second' }).waitFor();
    assert.deepEqual(
      (await upstreams.getByRole('row').allTextContents()).slice(1).map((t) => (t.includes('first') ? 'first' : 'second')),
      ['first', 'second'],
    );
    const stats = (await api('GET', `/virtual_registries/container/registries/${registryId}/statistics`)).body;
    assert.equal(stats.length, 2);
    const figures = page.getByRole('table').nth(1).getByRole('row').filter({ hasText: 'first' });
    assert.equal((await figures.getByRole('cell').nth(1).textContent()) as string, String(stats[0].entries));
    await shot(page, 'virtual-registry');
    await page.getByRole('button', { name: 'Move second up' }).click();
    await page.getByRole('status').filter({ hasText: 'second moved to position 1.' }).waitFor();
    const order = (await api('GET', `/virtual_registries/container/registries/${registryId}/upstreams`)).body.map((u: { name: string }) => u.name);
    assert.deepEqual(order, ['second', 'first']);
    for (const [hash, name, ready] of [
      ['#/groups', 'groups', 'team'],
      ['#/usage', 'usage', 'team/app'],
      ['#/users', 'users', 'viewer'],
      ['#/settings', 'settings', 'Save'],
      ['#/geo', 'geo', 'Geo is not configured'],
      ['#/operations', 'operations', 'Online garbage collection'],
      ['#/tokens', 'tokens', 'Create token'],
    ] as const) {
      // A full load of the page (HTML, stylesheet, modules, session, the view's API calls), timed for the record.
      const started = performance.now();
      await page.goto(`${wharf.url}/admin/${hash}`);
      await page.getByText(ready).first().waitFor();
      t.diagnostic(`${name}: shown ${Math.round(performance.now() - started)} ms after navigation`);
      await shot(page, name);
    }
    // Operations: the GC queues as the API counts them.
    await page.goto(`${wharf.url}/admin/#/operations`);
    const blobs = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'blobs', exact: true }) });
    await blobs.waitFor();
    const gc = (await api('GET', '/registry/gc')).body.find((q: { queue: string }) => q.queue === 'blobs');
    assert.equal((await blobs.getByRole('cell').allTextContents())[1], String(gc.size));
    const usage = (await api('GET', '/registry/disk_usage')).body.find((u: { project_path: string }) => u.project_path === 'team/app');
    await page.goto(`${wharf.url}/admin/#/usage`);
    assert.equal(await page.locator('[data-bytes]').first().getAttribute('data-bytes'), String(usage.registry_size_bytes));
    await context.close();
  });

  it("deletes a tag from the page: it is gone from the registry's tags list", async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}/repositories/${repoId}`);
    await page.getByRole('button', { name: 'Delete tag old' }).click();
    await page.getByRole('status').filter({ hasText: 'Tag old deleted.' }).waitFor();
    assert.deepEqual((await registryTags()).sort(), ['v1', 'v2']);
    await context.close();
  });

  it("edits the cleanup policy with GitLab's values and shows a dry run's fate for each tag, as the API decides", async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}`);
    await page.getByLabel('Keep the most recent').selectOption('1');
    await page.getByLabel('Remove tags older than').selectOption('');
    await page.getByLabel('Remove tags matching (regex)').fill('.*');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run: what a run would do now' }).waitFor();
    const policy = (await api('GET', `/projects/${projectId}/registry/cleanup_policy`)).body;
    assert.equal(policy.keep_n, 1);
    assert.equal(policy.older_than, null);
    const decided = (await api('POST', `/projects/${projectId}/registry/cleanup_policy/run?dry_run=true`)).body[0].tags as Array<{ name: string; delete: boolean; reason: string }>;
    assert.ok(decided.some((d) => d.delete) && decided.some((d) => !d.delete), 'one tag kept, one deleted');
    for (const d of decided) {
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: d.name, exact: true }) });
      assert.deepEqual((await row.getByRole('cell').allTextContents()).slice(1), [d.name, d.delete ? 'Delete' : 'Keep', d.reason]);
    }
    await shot(page, 'cleanup-dry-run');
    // Nothing was deleted by the dry run.
    assert.deepEqual((await registryTags()).sort(), ['v1', 'v2']);
    await context.close();
  });

  it('creates and revokes tokens on the page: a personal access token and a project deploy token, each secret shown once', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    // Every request of the view has settled: nothing re-renders the form under the test's hands.
    await openView(page, wharf.url, '#/tokens', 'Your personal access tokens');
    await page.getByLabel('Name').fill('from-the-page');
    await page.getByLabel('read_api').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'copy it now' })
      .waitFor({ timeout: 10_000 })
      .catch(async () => assert.fail(`no token shown; the page says: ${await page.locator('#status').textContent()} ${await page.locator('main').textContent()}`));
    const secret = (await page.getByRole('alert').filter({ hasText: 'copy it now' }).locator('code').textContent()) as string;
    assert.match(secret, /^wharfpat-/);
    const me = await fetch(`${wharf.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': secret } });
    assert.equal(me.status, 200, 'the token shown works');
    await page.getByRole('button', { name: 'Revoke token from-the-page' }).click();
    await page.getByRole('status').filter({ hasText: 'Token from-the-page revoked.' }).waitFor();
    assert.equal((await fetch(`${wharf.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': secret } })).status, 401);
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}`);
    await page.getByRole('form', { name: 'Create a deploy token' }).getByLabel('Name').fill('ci-pull');
    await page.getByRole('button', { name: 'Create deploy token' }).click();
    const dt = (await page.getByRole('alert').filter({ hasText: 'copy it now' }).locator('code').textContent()) as string;
    assert.match(dt, /^wharfdt-/);
    const listed = (await api('GET', `/projects/${projectId}/deploy_tokens`)).body;
    assert.deepEqual(
      listed.map((t: { name: string; scopes: string[] }) => [t.name, t.scopes]),
      [['ci-pull', ['read_registry']]],
    );
    const pulls = async () => (await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:team/app:pull`, { headers: { Authorization: basic(listed[0].username, dt) } })).status;
    assert.equal(await pulls(), 200, 'the deploy token shown works');
    await page.getByRole('button', { name: 'Revoke deploy token ci-pull' }).click();
    await page.getByRole('status').filter({ hasText: 'Deploy token ci-pull revoked.' }).waitFor();
    assert.equal(await pulls(), 401);
    await shot(page, 'project-tokens');
    await context.close();
  });

  it("saves settings that the next token, the API and new projects obey; turns one project's registry off and on", async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'root', PASSWORD);
    await openView(page, wharf.url, '#/settings', 'Settings');
    await page.getByLabel('Registry token lifetime (minutes)').fill('17');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    const res = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:team/app:pull`, { headers: { Authorization: basic('root', PASSWORD) } });
    const body = (await res.json()) as { token: string; expires_in: number };
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1] as string, 'base64url').toString()) as { iat: number; exp: number };
    assert.equal(claims.exp - claims.iat, 17 * 60);
    // The host shown to users, and the registry off for new projects.
    await page.getByLabel('Registry host shown to users (empty: this server)').fill('registry.example.test:5050');
    await page.getByLabel('New projects have the registry enabled').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    const repo = (await api('GET', `/projects/${projectId}/registry/repositories`)).body[0];
    assert.equal(repo.location, 'registry.example.test:5050/team/app');
    const fresh = await api('POST', '/projects', { path: 'fresh', namespace_id: groupId });
    assert.equal(fresh.body.container_registry_enabled, false);
    await page.getByLabel('Registry host shown to users (empty: this server)').fill('');
    await page.getByLabel('New projects have the registry enabled').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.equal((await api('GET', '/application/settings')).body.container_registry_host, null);
    // The registry of one project, off and on: a token for it grants nothing while it is off.
    const granted = async () => {
      const t = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:team/app:pull`, { headers: { Authorization: basic('root', PASSWORD) } });
      const claims = JSON.parse(Buffer.from(((await t.json()) as { token: string }).token.split('.')[1] as string, 'base64url').toString()) as { access: Array<{ actions: string[] }> };
      return claims.access.flatMap((a) => a.actions);
    };
    // The registry off for the whole site, then on again.
    await page.getByLabel('Container registry enabled on this site').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.deepEqual(await granted(), []);
    await page.getByLabel('Container registry enabled on this site').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.deepEqual(await granted(), ['pull']);
    await openView(page, wharf.url, `#/projects/${projectId}`, 'team/app');
    await page.getByLabel('Container registry enabled for this project').uncheck();
    await page.getByRole('status').filter({ hasText: 'Container registry disabled for team/app.' }).waitFor();
    assert.deepEqual(await granted(), []);
    await page.getByLabel('Container registry enabled for this project').check();
    await page.getByRole('status').filter({ hasText: 'Container registry enabled for team/app.' }).waitFor();
    assert.deepEqual(await granted(), ['pull']);
    await context.close();
  });

  it("shows a non-admin only what the API allows, and no secret in any page's source", async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'viewer', VIEWER_PASSWORD);
    await page.getByText('No projects yet.').waitFor();
    assert.equal(await page.getByText('team/app').count(), 0);
    // Admin-only pages are not offered.
    const offered = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    assert.deepEqual(offered, ['Projects', 'Groups']);
    // The admin makes the viewer a Reporter of the project on the page.
    const adminContext = await browser.newContext();
    const adminPage = await signIn(adminContext, 'root', PASSWORD);
    await adminPage.goto(`${wharf.url}/admin/#/projects/${projectId}`);
    await adminPage.getByRole('form', { name: 'Add a member' }).getByLabel('Username').fill('viewer');
    await adminPage.getByRole('form', { name: 'Add a member' }).getByLabel('Role').selectOption('20');
    await adminPage.getByRole('button', { name: 'Add member' }).click();
    await adminPage.getByRole('status').filter({ hasText: 'viewer added as Reporter.' }).waitFor();
    assert.deepEqual(
      (await api('GET', `/projects/${projectId}/members`)).body.map((m: { id: number; access_level: number }) => [m.id, m.access_level]),
      [[viewerId, 20]],
    );
    await adminContext.close();
    // As a Reporter the viewer sees the project, and a delete is refused in words.
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}/repositories/${repoId}`);
    await page.getByRole('button', { name: 'Delete tag v1' }).click();
    await page.getByRole('status').filter({ hasText: 'Not allowed' }).waitFor();
    assert.ok((await registryTags()).includes('v1'));
    await page.goto(`${wharf.url}/admin/#/settings`);
    await page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
    // The cleanup policy is for Maintainers: the page shows none, as the API answers 403.
    const asViewer = basic('viewer', VIEWER_PASSWORD);
    assert.equal((await api('GET', `/projects/${projectId}/registry/cleanup_policy`, undefined, asViewer)).status, 403);
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}`);
    await page.getByText('Only Maintainers see and change the cleanup policy.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run now' }).count(), 0);
    // As a Developer the same delete goes through.
    assert.equal((await api('PUT', `/projects/${projectId}/members/${viewerId}`, { access_level: 30 })).status, 200);
    await page.goto(`${wharf.url}/admin/#/projects/${projectId}/repositories/${repoId}`);
    await page.getByRole('button', { name: 'Delete tag v1' }).click();
    await page.getByRole('status').filter({ hasText: 'Tag v1 deleted.' }).waitFor();
    assert.ok(!(await registryTags()).includes('v1'));
    await context.close();
    // The admin's pages: no password, token or upstream credential in any source.
    const admin = await signIn(await browser.newContext(), 'root', PASSWORD);
    const sources: string[] = [];
    for (const hash of ['#/projects', `#/projects/${projectId}`, `#/groups/${groupId}`, `#/virtual/${registryId}`, '#/users', '#/settings']) {
      await openView(admin, wharf.url, hash, /./);
      sources.push(await admin.content());
    }
    for (const secret of [PASSWORD, VIEWER_PASSWORD, UPSTREAM_SECRET, patToken]) assert.ok(!sources.some((s) => s.includes(secret)), 'a secret in a page');
  });
});
