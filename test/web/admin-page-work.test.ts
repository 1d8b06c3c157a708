/**
 * The admin page's long and failing work, in chromium against a real Wharf
 * (default embedded mode, token auth) holding images pushed by skopeo:
 * notification replay to an endpoint that was down (and the page's own
 * reads never reported to it as pulls), a virtual registry's
 * cache entry deleted, a cleanup run with its progress until every
 * repository is done, a repository deletion that fails (the registry's
 * deletes fail: the control plane reaches it through a proxy the test
 * controls), shows `delete_failed` and completes after a reset; and the page
 * used with the keyboard alone; users created, blocked, unblocked and
 * deleted.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { basic, launchChromium, openView, shot, signIn } from '../support/browser.js';
import { freePort } from '../support/distribution.js';
import { OciLayout } from '../support/oci-layout.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';
import { until } from '../support/wait.js';

const skip = requireCommand('chromium') ?? requireCommand('skopeo');
const PASSWORD = 'admin-work-root-password-1';
const ROOT = basic('root', PASSWORD);

/** Presses Tab until the focused element is named `name` (its text, aria-label or label); fails after 80 presses. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el) return '';
      return (el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent || '').trim();
    })()`);
    if (focused === name || (typeof focused === 'string' && focused.startsWith(name))) return;
  }
  assert.fail(`Tab never reached ${name}`);
}

describe('the admin page: long work, failures and the keyboard, in chromium', { skip, timeout: 300_000 }, () => {
  let work: string;
  let wharf: WharfProcess;
  let browser: Browser;
  let hook: Server;
  let hookFailing = true;
  let proxy: Server;
  let registryDeletesFail = false;
  const delivered: string[] = [];
  const events: Array<{ action: string; actor?: { name?: string }; target?: { repository?: string } }> = [];
  let appProject: number;
  let oldProject: number;
  let groupId: number;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    for (let i = 0; ; i++) {
      const res = await fetch(`${wharf.url}/api/v4${path}`, { method, headers: { Authorization: ROOT, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      // The first admin appears as the server starts.
      if (res.status === 401 && i < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }
  }

  async function registryTags(repository: string): Promise<{ status: number; tags: string[] }> {
    const tok = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:${repository}:pull`, { headers: { Authorization: ROOT } });
    const token = ((await tok.json()) as { token: string }).token;
    const res = await fetch(`${wharf.url}/v2/${repository}/tags/list`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, tags: res.ok ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [] };
  }

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-web-work-');
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (hookFailing) {
          res.writeHead(503).end('down for the test');
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { events: Array<{ id: string; action: string }> };
        for (const e of body.events) delivered.push(e.id);
        events.push(...body.events);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events`;
    // The control plane's way to the registry: a proxy that, when told, answers every DELETE with 503.
    const port = await freePort();
    proxy = createServer((req, res) => {
      if (registryDeletesFail && req.method === 'DELETE') {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"storage unavailable (test)"}]}');
        return;
      }
      const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'one', layers: 1, layerSize: 30_000 });
    await layout.image({ tag: 'two', layers: 1, layerSize: 20_000 });
    await layout.image({ tag: 'three', layers: 1, layerSize: 10_000 });
    await layout.flush();
    wharf = await spawnWharf(
      join(work, 'wharf'),
      work,
      1,
      // Jobs retry at once (5 ms × 2^n), so a deletion gives up after its 10 attempts in seconds.
      `auth:\n  token: {}\nvirtual_registries:\n  allow_private_upstreams: true\ncontrolplane:\n  registryurl: ${proxyUrl}\n  jobinterval: 50ms\n  jobbackoff: 5ms\nnotifications:\n  endpoints:\n    - name: hook\n      url: ${hookUrl}\n      timeout: 2s\n      maxretries: 0\n      backoff: 50ms\n`,
      '',
      undefined,
      undefined,
      port,
    );
    const g = await api('POST', '/groups', { path: 'work' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    groupId = g.body.id;
    appProject = (await api('POST', '/projects', { path: 'app', namespace_id: groupId })).body.id;
    oldProject = (await api('POST', '/projects', { path: 'old', namespace_id: groupId })).body.id;
    const creds = ['--dest-creds', `root:${PASSWORD}`];
    for (const [src, dest] of [
      ['one', 'work/app:a'],
      ['two', 'work/app:b'],
      ['three', 'work/app:c'],
      ['one', 'work/old:x'],
      ['two', 'work/old:y'],
    ])
      await skopeoCopy(`oci:${layout.dir}:${src}`, `docker://${wharf.host}/${dest}`, creds);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await wharf?.kill();
    hook?.close();
    proxy?.close();
  });

  it('replays the failed notifications of an endpoint that was down, and they arrive', async () => {
    const failed = await until('the pushes to fail at the endpoint (no retries)', async () => {
      const n = (await api('GET', '/registry/notifications')).body.endpoints.find((e: { endpoint: string }) => e.endpoint === 'hook');
      return n && n.failed >= 5 && n.pending === 0 ? (n.failed as number) : undefined;
    });
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    await openView(page, wharf.url, '#/operations', 'Operations');
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'hook', exact: true }) });
    assert.deepEqual((await row.getByRole('cell').allTextContents()).slice(0, 3), ['hook', '0', String(failed)]);
    assert.ok((await page.getByRole('cell', { name: /^push work\/app/ }).count()) >= 3, 'the failed pushes are listed');
    assert.match((await page.getByRole('cell', { name: /503/ }).first().textContent()) as string, /503/, 'with the reason');
    await shot(page, 'operations-failed');
    hookFailing = false;
    await page.getByRole('button', { name: 'Replay failed of hook' }).click();
    const said = (await page.getByRole('status').filter({ hasText: 'Replay of hook' }).textContent()) as string;
    assert.equal(said, `Replay of hook: ${failed} event(s) queued again.`);
    await until('the replayed events to arrive', async () => (delivered.length >= failed ? true : undefined));
    assert.equal(new Set(delivered).size, failed, 'each event delivered once');
    await until('no failed event left', async () => ((await api('GET', '/registry/notifications')).body.failed.length === 0 ? true : undefined));
    await openView(page, wharf.url, '#/operations', 'Operations');
    await page.getByText('No notification endpoint has queued anything.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Replay failed of hook' }).count(), 0);
    await context.close();
  });

  it("is no client: the page's reads of tags reach no listener as pulls, while a client's pull does", async () => {
    const from = events.length;
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    const repoId = (await api('GET', `/projects/${appProject}/registry/repositories`)).body[0].id;
    // Each tag's details: the control plane reads its manifest from the registry.
    await openView(page, wharf.url, `#/projects/${appProject}/repositories/${repoId}`, 'work/app');
    await page.getByRole('cell', { name: 'c', exact: true }).waitFor();
    await context.close();
    // Then a client pulls; an endpoint's events arrive in order, so once this one is in, any before it is too.
    const tok = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:work/app:pull`, { headers: { Authorization: ROOT } });
    const token = ((await tok.json()) as { token: string }).token;
    const pulled = await fetch(`${wharf.url}/v2/work/app/manifests/a`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(pulled.status, 200);
    await until("the client's pull event", () => events.slice(from).some((e) => e.action === 'pull' && e.actor?.name === 'root'));
    assert.deepEqual(
      events
        .slice(from)
        .filter((e) => e.action === 'pull')
        .map((e) => `${e.actor?.name} ${e.target?.repository}`),
      ['root work/app'],
    );
  });

  it("deletes a virtual registry's cache entry from the page, found by search", async () => {
    const r = await api('POST', `/groups/${groupId}/-/virtual_registries/container/registries`, { name: 'self' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // The upstream is this Wharf itself, through the Bearer token flow with the root's password.
    const u = await api('POST', `/virtual_registries/container/registries/${r.body.id}/upstreams`, { url: wharf.url, name: 'loop', username: 'root', password: PASSWORD });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `root:${PASSWORD}`, `docker://${wharf.host}/virtual_registries/container/${r.body.id}/work/app:a`]);
    const entries = (await api('GET', `/virtual_registries/container/upstreams/${u.body.id}/cache_entries`)).body as Array<{ id: number; relative_path: string }>;
    assert.ok(entries.length >= 2, `the manifest and the config are cached: ${JSON.stringify(entries)}`);
    const manifest = entries.find((e) => e.relative_path.includes('/manifests/')) as { relative_path: string };
    assert.ok(manifest, JSON.stringify(entries));
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    await openView(page, wharf.url, `#/virtual/${r.body.id}`, 'self');
    await page.getByRole('button', { name: 'Cache entries of loop' }).click();
    await page.getByRole('heading', { name: 'Cache entries of loop' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Delete cache entry / }).count(), entries.length);
    await page.getByLabel('Search').fill('manifests/a');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await until('the search to narrow the list', async () => ((await page.getByRole('button', { name: /^Delete cache entry / }).count()) === 1 ? true : undefined)).catch(async (err) =>
      assert.fail(`${err.message}: ${JSON.stringify(entries)}; the page shows ${await page.locator('main').textContent()}`),
    );
    await shot(page, 'virtual-cache-entries');
    await page.getByRole('button', { name: `Delete cache entry ${manifest.relative_path}` }).click();
    await page.getByRole('status').filter({ hasText: 'Cache entry deleted.' }).waitFor();
    const left = (await api('GET', `/virtual_registries/container/upstreams/${u.body.id}/cache_entries`)).body as Array<{ relative_path: string }>;
    assert.deepEqual(
      left.map((e) => e.relative_path),
      entries.filter((e) => e !== manifest).map((e) => e.relative_path),
    );
    await page.getByText('No cache entries.').waitFor();
    await context.close();
  });

  it('runs the cleanup policy now and shows its progress until every repository is done', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    await openView(page, wharf.url, `#/projects/${appProject}`, 'work/app');
    await page.getByLabel('Keep the most recent').selectOption('1');
    await page.getByLabel('Remove tags older than').selectOption('');
    await page.getByLabel('Remove tags matching (regex)').fill('.*');
    // Every progress bar the page puts up is recorded, however short-lived.
    await page.evaluate(`(() => {
      window.progressSeen = [];
      new MutationObserver(() => {
        for (const p of document.querySelectorAll('progress')) window.progressSeen.push(p.getAttribute('aria-label'));
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('status').filter({ hasText: 'Cleanup finished: 2 tags deleted.' }).waitFor({ timeout: 60_000 });
    assert.ok(((await page.evaluate('window.progressSeen')) as string[]).includes('Cleanup progress'), 'a progress bar was shown');
    const { tags } = await registryTags('work/app');
    assert.equal(tags.length, 1);
    const repo = (await api('GET', `/projects/${appProject}/registry/repositories`)).body[0];
    assert.equal(repo.expiration_policy_cleanup_status, 'cleanup_unscheduled');
    assert.ok(repo.cleanup_policy_started_at && repo.expiration_policy_completed_at >= repo.cleanup_policy_started_at, JSON.stringify(repo));
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'work/app', exact: true }) });
    assert.deepEqual((await row.getByRole('cell').allTextContents()).slice(1, 2), ['1']);
    await shot(page, 'cleanup-run');
    await context.close();
  });

  it('deletes a repository from the page; a deletion that keeps failing shows delete_failed, and a reset completes it', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    page.on('dialog', (d) => void d.accept());
    await openView(page, wharf.url, `#/projects/${oldProject}`, 'work/old');
    registryDeletesFail = true;
    await page.getByRole('button', { name: 'Delete work/old' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Deletion of work/old scheduled' })
      .waitFor({ timeout: 10_000 })
      .catch(async () => assert.fail(`not scheduled; the page says: ${await page.locator('#status').textContent()}`));
    const id = (await api('GET', `/projects/${oldProject}/registry/repositories`)).body[0].id as number;
    // Each of the 10 attempts fails at the registry.
    await until('delete_failed', async () => ((await api('GET', '/registry/repositories?status=delete_failed')).body.some((r: { id: number }) => r.id === id) ? true : undefined), 60_000);
    await openView(page, wharf.url, `#/projects/${oldProject}`, 'work/old');
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'work/old', exact: true }) });
    assert.match((await row.getByRole('cell').allTextContents())[3] as string, /^deletion failed after 10 attempts \(delete_failed\)/);
    assert.deepEqual((await registryTags('work/old')).tags.sort(), ['x', 'y'], 'nothing was deleted');
    await shot(page, 'repository-delete-failed');
    // The registry is mended; the operator resets the deletion on the page.
    registryDeletesFail = false;
    await page.getByRole('button', { name: 'Reset work/old' }).click();
    await page.getByRole('status').filter({ hasText: 'Deletion of work/old scheduled again.' }).waitFor();
    await until('the repository to be deleted', async () => ((await api('GET', `/projects/${oldProject}/registry/repositories`)).body.length === 0 ? true : undefined), 60_000);
    await openView(page, wharf.url, `#/projects/${oldProject}`, 'work/old');
    await page.getByText('No container images in this project.').waitFor();
    assert.deepEqual((await registryTags('work/old')).tags, []);
    await context.close();
  });

  it('creates, blocks, unblocks and deletes a user on the page; the API obeys each step', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, wharf.url, 'root', PASSWORD);
    page.on('dialog', (d) => void d.accept());
    await openView(page, wharf.url, '#/users', 'Users');
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('Username').fill('dora');
    await form.getByLabel('Name', { exact: true }).fill('Dora');
    await form.getByLabel('Email').fill('dora@example.com');
    await form.getByLabel('Password (at least 8 characters)').fill('dora-password-123');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'User dora created.' }).waitFor();
    const asDora = async () => (await fetch(`${wharf.url}/api/v4/user`, { headers: { Authorization: basic('dora', 'dora-password-123') } })).status;
    assert.equal(await asDora(), 200);
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'dora', exact: true }) });
    assert.equal((await row.getByRole('cell').allTextContents())[3], 'active');
    assert.equal(
      await page
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: 'root', exact: true }) })
        .getByRole('button')
        .count(),
      0,
      'no action on oneself',
    );
    await page.getByRole('button', { name: 'Block dora' }).click();
    await page.getByRole('status').filter({ hasText: 'dora blocked.' }).waitFor();
    assert.equal((await row.getByRole('cell').allTextContents())[3], 'blocked');
    assert.notEqual(await asDora(), 200, 'a blocked user gets nothing');
    await page.getByRole('button', { name: 'Unblock dora' }).click();
    await page.getByRole('status').filter({ hasText: 'dora unblocked.' }).waitFor();
    assert.equal(await asDora(), 200);
    await shot(page, 'users');
    await page.getByRole('button', { name: 'Delete user dora' }).click();
    await page.getByRole('status').filter({ hasText: 'User dora deleted.' }).waitFor();
    assert.ok(!(await api('GET', '/users')).body.some((u: { username: string }) => u.username === 'dora'));
    assert.equal(await row.count(), 0);
    await context.close();
  });

  it('works with the keyboard alone: sign in, move between pages, change a setting', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${wharf.url}/`);
    await page.getByLabel('Username').waitFor();
    // The sign-in form takes the focus.
    await page.keyboard.type('root');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
    await tabTo(page, 'Settings');
    const ring = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.equal(ring, 'solid', 'the focused link shows a focus ring');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.waitForLoadState('networkidle');
    await until('the new page to take the focus', async () => ((await page.evaluate('document.activeElement.tagName')) === 'H1' ? true : undefined));
    await tabTo(page, 'Registry token lifetime (minutes)');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('23');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    assert.equal((await api('GET', '/application/settings')).body.container_registry_token_expire_delay, 23);
    await tabTo(page, 'Sign out');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await context.close();
  });
});
