/**
 * The admin page's Geo view in chromium, against two real sites (each a
 * `wharf serve` process with its own embedded database, sharing one signing
 * key pair): the primary's view of its secondary's report, the secondary's
 * per-repository replication with a failure and its reason (the primary
 * down), and resync of one repository and of all, with their progress.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { testKey, type TestKey } from '../support/auth-stack.js';
import { basic, launchChromium, openView, shot, signIn } from '../support/browser.js';
import { freePort } from '../support/distribution.js';
import { OciLayout } from '../support/oci-layout.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { requireCommand, skopeoCopy } from '../support/tools.js';
import { until } from '../support/wait.js';

const skip = requireCommand('chromium') ?? requireCommand('skopeo');
const PASSWORD = 'geo-page-root-password-1';

interface GeoRow {
  path: string;
  state: number;
  last_sync_failure: string | null;
}

describe('the admin page: Geo, on a primary and a secondary, in chromium', { skip, timeout: 300_000 }, () => {
  let work: string;
  let key: TestKey;
  let browser: Browser;
  let primary: WharfProcess;
  let secondary: WharfProcess;
  let primaryPort: number;

  const siteYaml = (name: string, geo: string) => `auth:\n  token: {}\ncontrolplane:\n  key: ${key.key}\n  certificate: ${key.certificate}\n  jobinterval: 200ms\ngeo:\n  name: ${name}\n${geo}`;
  const startPrimary = () => spawnWharf(join(work, 'a'), work, 1, siteYaml('site-a', '  role: primary\n'), '', undefined, undefined, primaryPort);

  async function api(site: WharfProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    for (let i = 0; ; i++) {
      const res = await fetch(`${site.url}/api/v4${path}`, { method, headers: { Authorization: basic('root', PASSWORD), 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      if (res.status === 401 && i < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }
  }

  /** geo/app's row on the secondary once `ok` holds. */
  const rowWhen = (what: string, ok: (r: GeoRow) => boolean) =>
    until(
      what,
      async () => {
        const rows = (await api(secondary, 'GET', '/geo/repositories?per_page=100')).body as GeoRow[];
        const row = rows.find((r) => r.path === 'geo/app');
        return row && ok(row) ? row : undefined;
      },
      90_000,
      200,
    );

  /** The secondary's Geo view, once loaded. */
  async function geoPage(page: Page, site: WharfProcess, name: string): Promise<void> {
    await openView(page, site.url, '#/geo', new RegExp(`^Geo: ${name}`));
  }

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-web-geo-');
    key = await testKey();
    const layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 40_000 });
    await layout.flush();
    primaryPort = await freePort();
    primary = await startPrimary();
    secondary = await spawnWharf(
      join(work, 'b'),
      work,
      1,
      siteYaml('site-b', `  role: secondary\n  primary:\n    api_url: ${primary.url}\n    registry_url: ${primary.url}\n  sync:\n    backfillinterval: 2s\n    concurrency: 2\n`),
    );
    assert.equal((await api(primary, 'POST', '/geo/sites', { name: 'site-b', api_url: secondary.url, registry_url: secondary.url })).status, 201);
    const g = await api(primary, 'POST', '/groups', { path: 'geo' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.equal((await api(primary, 'POST', '/projects', { path: 'app', namespace_id: g.body.id })).status, 201);
    await until('the secondary to copy the project', async () => ((await api(secondary, 'GET', `/projects/${encodeURIComponent('geo/app')}`)).status === 200 ? true : undefined), 60_000, 200);
    await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${primary.host}/geo/app:v1`, ['--dest-creds', `root:${PASSWORD}`]);
    await rowWhen('geo/app to sync', (r) => r.state === 2);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await Promise.all([primary?.kill(), secondary?.kill()]);
  });

  it("shows each site's counts and lag on the primary, and each repository's replication on the secondary, as the API reports them", async () => {
    // The secondary's report reaches the primary.
    const sites = await until(
      "the secondary's report on the primary",
      async () => {
        const list = (await api(primary, 'GET', '/geo/sites')).body as Array<{ name: string; status: { container_repositories_synced_count: number } | null }>;
        return list.find((s) => s.name === 'site-b')?.status?.container_repositories_synced_count === 1 ? list : undefined;
      },
      60_000,
      200,
    );
    const context = await browser.newContext();
    const onPrimary = await signIn(context, primary.url, 'root', PASSWORD);
    await geoPage(onPrimary, primary, 'site-a');
    assert.equal(await onPrimary.getByRole('heading', { level: 1 }).textContent(), 'Geo: site-a (primary)');
    const siteRow = onPrimary.getByRole('row').filter({ hasText: 'site-b' });
    const cells = await siteRow.getByRole('cell').allTextContents();
    assert.equal(cells[1], secondary.url);
    assert.match(cells[2] as string, /^1 synced · 0 pending · 0 started · 0 failed · \d+ verified$/);
    assert.equal(await onPrimary.getByRole('row').count(), sites.length + 1, 'one row per site, and the header');
    await shot(onPrimary, 'geo-primary');
    // The secondary: its own counts and geo/app synced.
    const onSecondary = await signIn(context, secondary.url, 'root', PASSWORD);
    await geoPage(onSecondary, secondary, 'site-b');
    const status = (await api(secondary, 'GET', '/geo/status')).body;
    assert.match(
      (await onSecondary
        .getByText(/ synced · /)
        .first()
        .textContent()) as string,
      new RegExp(`^${status.container_repositories_synced_count} synced · ${status.container_repositories_pending_count} pending`),
    );
    const repoRow = onSecondary.getByRole('row').filter({ has: onSecondary.getByRole('cell', { name: 'geo/app', exact: true }) });
    assert.deepEqual((await repoRow.getByRole('cell').allTextContents()).slice(0, 2), ['geo/app', 'synced']);
    await shot(onSecondary, 'geo-secondary');
    await context.close();
  });

  it('shows a failed sync with its reason while the primary is down, and resyncs one and all with progress once it is back', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, secondary.url, 'root', PASSWORD);
    await geoPage(page, secondary, 'site-b');
    await primary.kill();
    await page.getByRole('button', { name: 'Resync geo/app' }).click();
    await page.getByRole('progressbar', { name: 'Resync progress' }).waitFor();
    // The page follows the counts until nothing is pending: here, one failure.
    await page.getByText('Resync of geo/app: 0 of 1 synced, 1 failed.').waitFor({ timeout: 60_000 });
    const failed = await rowWhen('the failure to be recorded', (r) => r.state === 3);
    await geoPage(page, secondary, 'site-b');
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'geo/app', exact: true }) });
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[1], 'failed');
    assert.equal(cells[4], failed.last_sync_failure);
    assert.match(cells[4] as string, /unreachable/);
    await shot(page, 'geo-failed');
    primary = await startPrimary();
    await page.getByRole('button', { name: 'Resync all' }).click();
    await page.getByText('Resync of every repository: 1 of 1 synced, 0 failed.').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('progressbar', { name: 'Resync progress' }).getAttribute('value'), '100');
    await rowWhen('geo/app synced again', (r) => r.state === 2 && r.last_sync_failure === null);
    await geoPage(page, secondary, 'site-b');
    assert.deepEqual((await row.getByRole('cell').allTextContents()).slice(0, 2), ['geo/app', 'synced']);
    await context.close();
  });
});
