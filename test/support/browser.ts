/**
 * The admin page's tests in a real browser: playwright-core driving Debian's
 * chromium, signing in through the page, and screenshots of each page at
 * 1280 px and at a phone's width under test-artifacts/web/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ARTIFACTS = join(new URL('../../', import.meta.url).pathname, 'test-artifacts', 'web');

/** Starts chromium (no sandbox: tests may run as root). */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}

/** Opens the page at `base` and signs in; resolves once the main navigation shows. */
export async function signIn(context: BrowserContext, base: string, user: string, pass: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(pass);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

/** Goes to a view of the page and waits until it has loaded: its heading shows and its requests have settled. */
export async function openView(page: Page, base: string, hash: string, heading: string | RegExp): Promise<void> {
  const url = `${base}/admin/${hash}`;
  // Going to the address already shown changes nothing in a page routed by its hash: load it again instead.
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForLoadState('networkidle');
}

/** Screenshots of the page at 1280 px and at a phone's width. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Basic credentials. */
export const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
