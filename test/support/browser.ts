/**
 * Headless Chromium for the browser tests (issue 12), driven by playwright-core: Debian's
 * `chromium` (`/usr/bin/chromium`; `.ci/run` installs it when missing; elsewhere set
 * `CHROMIUM_PATH`), started as the NOTES say — headless, no sandbox (we run as root), no GPU, no
 * background networking (the network is closed), a fresh profile. Screenshots of what a person
 * would see go to docs/screenshots/ and are linked from the README.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Chromium the tests drive. @throws Error naming how to get one when there is none */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH ?? '', '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((candidate) => candidate !== '');
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('no Chromium: install Debian\'s package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH to a Chromium binary');
  return found;
}

/** Starts headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  // playwright-core gives each launch a fresh temporary profile of its own (it refuses --user-data-dir here).
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

/** A fresh context (cookies of its own) in the admin's time zone and language. */
export function newContext(browser: Browser, options: { locale?: string; timezoneId?: string; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return browser.newContext({
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'Asia/Shanghai',
    viewport: options.viewport ?? { width: 1360, height: 860 },
  });
}

/** Saves what `page` shows as docs/screenshots/<folder>/<name>.png. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const dir = path.join(REPO_ROOT, 'docs', 'screenshots', folder);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs `page` in to the admin console at `baseUrl` (`/admin`) as `username`, through the sign-in form. */
export async function signInToConsole(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
}

/**
 * The `name` attribute of every element `locator` matches, in document order (null where it is
 * missing). Typed without the DOM library: the server's TypeScript settings (no `lib: dom`) see
 * @types/react's empty HTMLElement, so callbacks run in the page cannot call getAttribute.
 */
export async function attributeValues(locator: Locator, name: string): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  const count = await locator.count();
  for (let index = 0; index < count; index += 1) values.push(await locator.nth(index).getAttribute(name));
  return values;
}
