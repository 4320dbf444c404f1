/**
 * Browser sessions in a real browser: headless Chromium (as the explorer's test, CHROMIUM_PATH
 * for another one) driven by playwright-core. It signs in on `/login` and sees the profile;
 * the page's script cannot read the session cookie; a form posted from pages of other origins
 * (one of the same site, another port of 127.0.0.1, and one of another site, localhost) does
 * not move the stock; after signing out, the old cookie no longer works. Also: a temporary
 * password's challenge answered on the page, the API explorer beside a session cookie, framing.
 *
 * The local stack serves plain http on 127.0.0.1: Chromium treats loopback as a secure context,
 * so it keeps `Secure` and `__Host-` cookies from it, as this test checks.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../lib/sessions/web-session';
import { call, login, stack, user, withinRevocationBound } from '../support/client';
import { userWithMfa } from '../support/mfa';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Fill the sign-in form shown on the page and send it; then wait for the section that should follow. */
const signInOnPage = async (page: Page, credentials: { username: string; password: string }, next: '#profile' | '#challenge') => {
  await page.locator('#signin').waitFor({ state: 'visible', timeout: 20_000 });
  await page.fill('#username', credentials.username);
  await page.fill('#password', credentials.password);
  await page.click('#signin-button');
  await page.locator(next).waitFor({ state: 'visible', timeout: 20_000 });
};

/** A page of another origin: a form that posts a stock adjustment to the gateway as soon as it loads. */
const attackerPage = (target: string) => `<!doctype html><html><body>
<form id="f" method="POST" action="${target}" enctype="text/plain">
<input name='{"delta":7,"reason":"csrf' value='"}'>
</form>
<script>document.getElementById('f').submit();</script>
</body></html>`;

describe('the sign-in page in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let attacker: http.Server;
  let attackerPort: number;

  beforeAll(async () => {
    assert.ok(existsSync(CHROMIUM), `No browser at ${CHROMIUM}: run \`npm run setup:browser\` (Debian's chromium) or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext();
    const target = `${stack().gatewayUrl}/branches/1/products/espresso-beans/adjustments`;
    attacker = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(attackerPage(target));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  const stock = async (cookie: string) => {
    const answer = await call('GET', '/branches/1/products', { headers: { cookie } });
    assert.equal(answer.status, 200, answer.text);
    return (answer.body.items as { productId: string; quantity: number }[]).find((item) => item.productId === 'espresso-beans')?.quantity;
  };

  it('signs in on /login, shows the profile, hides the session cookie from script, refuses forms of other origins, and signs out for good', async () => {
    const problems: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Failed loads are judged by their answers below (a CSP violation is not one of them).
      if (message.type() === 'error' && !/^Failed to load resource/.test(message.text())) problems.push(message.text());
    });
    page.on('response', (answer) => {
      const path = new URL(answer.url()).pathname;
      // Expected: the first profile call before signing in (401), the browser's own favicon request.
      if (answer.status() >= 400 && !(path === '/users/me' && answer.status() === 401) && path !== '/favicon.ico') {
        problems.push(`${answer.status()} ${path}`);
      }
    });
    const response = await page.goto(`${stack().gatewayUrl}/login`);
    assert.equal(response?.status(), 200);
    assert.match((response?.headers() ?? {})['content-security-policy'] ?? '', /script-src 'sha256-[^']+'; .*frame-ancestors 'none'/);

    // Sign in as the branch manager and see the profile.
    const manager = user('manager');
    await signInOnPage(page, manager, '#profile');
    assert.equal(await page.textContent('#who'), manager.username);
    const profile = JSON.parse((await page.textContent('#profile-data')) ?? '{}') as Record<string, unknown>;
    assert.equal(profile.authType, 'session');
    assert.deepEqual(profile.branches, ['1']);

    // The browser kept the __Host- cookie over http on loopback, HttpOnly: script cannot read it.
    const cookies = await context.cookies(stack().gatewayUrl);
    const session = cookies.find((cookie) => cookie.name === SESSION_COOKIE);
    assert.ok(session, `the browser kept ${SESSION_COOKIE}: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
    const readable = await page.evaluate<string>('document.cookie');
    assert.ok(!readable.includes(SESSION_COOKIE), `document.cookie shows ${readable}`);
    assert.ok(!readable.includes(session.value));
    assert.match(readable, /__Host-csrf=/, 'the CSRF cookie is readable, for the page to echo');
    const cookieHeader = `${SESSION_COOKIE}=${session.value}`;
    const before = await stock(cookieHeader);

    // Forms posted by pages of other origins: same site (another port: the cookie goes along,
    // no CSRF header can) and another site (localhost: SameSite=Strict keeps the cookie back).
    for (const origin of [`http://127.0.0.1:${attackerPort}`, `http://localhost:${attackerPort}`]) {
      const attack = await context.newPage();
      const posted = attack.waitForResponse((r) => r.url().endsWith('/adjustments'), { timeout: 20_000 });
      await attack.goto(origin);
      const answer = await posted;
      assert.ok([401, 403].includes(answer.status()), `${origin}: the form post answered ${answer.status()}`);
      await attack.close();
    }
    assert.equal(await stock(cookieHeader), before, 'the stock did not move');

    // Sign out: the page shows the form again, and the old cookie no longer works.
    await page.click('#signout');
    await page.locator('#signin').waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal((await context.cookies(stack().gatewayUrl)).find((cookie) => cookie.name === SESSION_COOKIE), undefined, 'the cookie is cleared');
    await withinRevocationBound(async () => (await call('GET', '/users/me', { headers: { cookie: cookieHeader } })).status === 401, 'the old cookie refused');
    assert.deepEqual(problems, []);
    await page.close();
  }, 90_000);

  it("lets the API explorer of the same origin call with its bearer token while a session cookie is set (it sends no cookie)", async () => {
    const own = await browser.newContext();
    try {
      const page = await own.newPage();
      await page.goto(`${stack().gatewayUrl}/login`);
      const manager = user('manager');
      await signInOnPage(page, manager, '#profile');
      assert.ok((await own.cookies(stack().gatewayUrl)).some((cookie) => cookie.name === SESSION_COOKIE));

      await page.goto(`${stack().gatewayUrl}/docs`);
      const operation = page.locator('#operations-inventory-getBranchesBranchIdProducts');
      await operation.waitFor({ timeout: 15_000 });
      await page.fill('#username', manager.username);
      await page.fill('#password', manager.password);
      await page.click('#signin-button');
      await page.locator('#signin-status[data-state="signed-in"]').waitFor({ timeout: 20_000 });
      if (!(await operation.locator('button.execute').isVisible())) await operation.locator('.opblock-summary-control').click();
      await operation.locator('input[placeholder="branchId"]').fill('1');
      const answered = page.waitForResponse((r) => r.url().endsWith('/branches/1/products'), { timeout: 20_000 });
      await operation.locator('button.execute').click();
      const answer = await answered;
      assert.equal(answer.status(), 200);
      assert.equal(answer.request().headers().cookie, undefined, 'no cookie sent along with the bearer token');
    } finally {
      await own.close();
    }
  }, 60_000);

  it('answers the NEW_PASSWORD_REQUIRED challenge of a temporary password on the page, then shows the profile', async () => {
    const admin = await login('admin');
    const username = `page-first-${randomBytes(4).toString('hex')}@example.com`;
    const created = await call('POST', '/users', { token: admin.accessToken, body: { email: username, roles: ['customer'], temporaryPassword: 'Temp-Passw0rd!-1' } });
    assert.equal(created.status, 201, created.text);
    const own = await browser.newContext();
    try {
      const page = await own.newPage();
      await page.goto(`${stack().gatewayUrl}/login`);
      await signInOnPage(page, { username, password: 'Temp-Passw0rd!-1' }, '#challenge');
      assert.equal(await page.textContent('#challenge-label'), 'Choose a new password');
      assert.equal(await page.getAttribute('#challenge-input', 'type'), 'password');
      assert.equal((await own.cookies(stack().gatewayUrl)).length, 0, 'no cookie before the challenge is answered');
      await page.fill('#challenge-input', 'Chosen-Passw0rd!-2');
      await page.click('#challenge-button');
      await page.locator('#profile').waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await page.textContent('#who'), username);
    } finally {
      await own.close();
    }
  }, 60_000);

  it('asks for the authenticator code of a user with MFA on, refuses a wrong one, and signs in with the right one', async () => {
    const mfa = await userWithMfa('page-mfa');
    const own = await browser.newContext();
    try {
      const page = await own.newPage();
      await page.goto(`${stack().gatewayUrl}/login`);
      await signInOnPage(page, mfa.user, '#challenge');
      assert.equal(await page.textContent('#challenge-label'), 'The 6-digit code from your authenticator app');
      assert.equal(await page.getAttribute('#challenge-input', 'autocomplete'), 'one-time-code');
      assert.equal((await own.cookies(stack().gatewayUrl)).length, 0, 'no cookie before the code');
      await page.fill('#challenge-input', '000000');
      await page.click('#challenge-button');
      await page.locator('#message', { hasText: /\S/ }).waitFor({ timeout: 20_000 });
      assert.equal(await page.textContent('#message'), 'Invalid username or password');
      assert.equal((await own.cookies(stack().gatewayUrl)).some((c) => c.name === SESSION_COOKIE), false, 'no session after a wrong code');

      // The wrong code spent that challenge: the page is back at the sign-in form.
      await signInOnPage(page, mfa.user, '#challenge');
      await page.fill('#challenge-input', await mfa.code());
      await page.click('#challenge-button');
      await page.locator('#profile').waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await page.textContent('#who'), mfa.user.username);
    } finally {
      await own.close();
    }
  }, 60_000);

  it('cannot be framed by another page', async () => {
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));
    await page.setContent(`<iframe src="${stack().gatewayUrl}/login"></iframe>`);
    await page.waitForTimeout(1000);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.notEqual(await frame?.title().catch(() => ''), 'Sign in');
    assert.ok(messages.some((text) => /frame-ancestors|X-Frame-Options|Refused to display/i.test(text)), messages.join('\n'));
    await page.close();
  }, 30_000);
});
