/**
 * The API explorer in a real browser: headless Chromium (Debian's `chromium`, which
 * scripts/setup-browser.sh installs and npm test runs first; CHROMIUM_PATH for another one) driven by
 * playwright-core opens `/docs`, signs in as the branch manager through the page's form, and
 * uses swagger-ui's "try it out" on `GET /branches/{branchId}/products`: branch 1 answers 200
 * with the stock, branch 2 answers 403. A pasted API key works the same way. The page must load
 * without a single content security policy violation or script error.
 *
 * `EXPLORER_SCREENSHOT=<file.png>` saves the page after the 200 (the README's picture).
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { call, login, stack, user } from '../support/client';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OPERATION = '#operations-inventory-getBranchesBranchIdProducts';

/** The status swagger-ui shows for the last call of an operation, once it is `expected` (or the time is up). */
const shownStatus = async (operation: Locator, expected: string): Promise<string> => {
  const cell = operation.locator('.live-responses-table .response .response-col_status');
  await cell
    .filter({ hasText: new RegExp(`^\\s*${expected}\\s*$`) })
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined);
  return ((await cell.textContent()) ?? '').trim();
};

/** "Try it out" on the branch stock operation (swagger-ui opens with it enabled) for one branch. */
const tryBranch = async (page: Page, branchId: string, expected: string) => {
  const operation = page.locator(OPERATION);
  if (!(await operation.locator('button.execute').isVisible())) await operation.locator('.opblock-summary-control').click();
  await operation.locator('input[placeholder="branchId"]').fill(branchId);
  await operation.locator('button.execute').click();
  const status = await shownStatus(operation, expected);
  const body = (await operation.locator('.live-responses-table .response .response-col_description pre').first().textContent()) ?? '';
  return { status, body };
};

describe('the API explorer in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  /** Console errors and failed page scripts: a CSP violation shows up here. */
  const problems: string[] = [];

  beforeAll(async () => {
    assert.ok(existsSync(CHROMIUM), `No browser at ${CHROMIUM}: run \`npm run setup:browser\` (Debian's chromium) or set CHROMIUM_PATH`);
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
  });

  const openExplorer = async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      // The 403 of the branch-2 call is the expected answer, logged by the browser as a failed load.
      if (message.type() === 'error' && !/status of 403/.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    const response = await page.goto(`${stack().gatewayUrl}/docs`);
    assert.equal(response?.status(), 200);
    await page.locator(OPERATION).waitFor({ timeout: 15_000 });
  };

  it('signs the manager in with username and password, then shows 200 with the stock of branch 1 and 403 for branch 2', async () => {
    await openExplorer();
    const manager = user('manager');
    await page.fill('#username', manager.username);
    await page.fill('#password', manager.password);
    await page.click('#signin-button');
    await page.locator('#signin-status[data-state="signed-in"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.textContent('#signin-status'), `Signed in as ${manager.username}`);

    const own = await tryBranch(page, '1', '200');
    assert.equal(own.status, '200', own.body);
    assert.match(own.body, /"branchId": "1"/);
    assert.match(own.body, /"productId": "espresso-beans"/);
    if (process.env.EXPLORER_SCREENSHOT) {
      // The sign-in bar (sticky), the operation's parameter, and the answer with the stock.
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.locator(`${OPERATION} .live-responses-table`).evaluate((element) => element.scrollIntoView({ block: 'start' }));
      await page.evaluate('window.scrollBy(0, -600)');
      await page.screenshot({ path: process.env.EXPLORER_SCREENSHOT });
    }

    const other = await tryBranch(page, '2', '403');
    assert.equal(other.status, '403', other.body);
    assert.deepEqual(problems, []);
    await page.close();
  }, 60_000);

  it('uses a pasted API key for the same calls: 200 for branch 1, 403 for branch 2', async () => {
    const session = await login('manager');
    const created = await call('POST', '/api-keys', {
      token: session.accessToken,
      body: { name: 'explorer test', scopes: ['inventory:read'], expiresInDays: 1 },
    });
    assert.equal(created.status, 201, created.text);
    try {
      await openExplorer();
      await page.fill('#apikey', created.body.key);
      await page.click('#apikey-button');
      assert.match((await page.textContent('#signin-status')) ?? '', /^Using API key /);
      assert.equal((await tryBranch(page, '1', '200')).status, '200');
      assert.equal((await tryBranch(page, '2', '403')).status, '403');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await call('DELETE', `/api-keys/${created.body.id}`, { token: session.accessToken });
    }
  }, 60_000);

  it('cannot be framed by another page', async () => {
    page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => blocked.push(message.text()));
    // A page of another origin (about:blank's opaque one) that frames the explorer.
    await page.setContent(`<iframe id="framed" src="${stack().gatewayUrl}/docs"></iframe>`);
    await page.waitForTimeout(1000);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const framedTitle = await frame?.title().catch(() => '');
    assert.notEqual(framedTitle, 'API explorer · serverless-api-gateway');
    assert.ok(blocked.some((text) => /frame-ancestors|X-Frame-Options|refused to connect|Refused to display/i.test(text)), blocked.join('\n'));
    await page.close();
  }, 30_000);
});
