// Browser tests of the citizen identity pages: registration, signing in
// and out, the account page with its session list, enrolling a TOTP second
// factor and signing in with a recovery code, and the keyboard and label
// basics of the registration and sign-in forms.
//
// One egov server is started for this file; every test opens its own
// browser context (fresh cookies) and, where it needs an account,
// registers its own citizen with a distinct resident ID number and user
// name. Only one wrong password is submitted in the whole file, far below
// the sign-in rate limits (5 failures per account, 20 per source address).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  alertText,
  assertInputsLabelled,
  base32Decode,
  confirmPhone,
  fillCitizenForm,
  idCheckChar,
  landOn,
  launchBrowser,
  newCitizen,
  PASSWORD,
  register,
  residentId,
  settle,
  signIn,
  startServer,
  submitExpecting,
  textOf,
  totp,
  watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 120_000;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const url = (p) => `${server.baseUrl}${p}`;
const pathname = (page) => new URL(page.url()).pathname;

/**
 * Run fn(page, watch, context) in a fresh zh-CN browser context with the
 * page watched for errors and foreign requests; the context is closed
 * afterwards, and the watch must be clean at the end.
 */
async function withPage(fn) {
  const context = await browser.newContext({ locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    await fn(page, watch, context);
    await settle(page, watch);
  } finally {
    await context.close();
  }
}

// The resident ID and TOTP helpers (in helpers.mjs), against known vectors.
test('helpers: resident ID check character and RFC 6238 TOTP vectors', () => {
  assert.equal(residentId('19491231', 2), '11010519491231002X');
  assert.equal(idCheckChar('11010519491231002'), 'X');
  // RFC 6238 appendix B, SHA-1, with the 20-byte ASCII key "12345678901234567890".
  const key = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.equal(key.toString('ascii'), '12345678901234567890');
  assert.equal(totp(key, 59, 8), '94287082');
  assert.equal(totp(key, 1111111109, 8), '07081804');
  assert.equal(totp(key, 20000000000, 8), '65353130');
  assert.equal(totp(key, 59), '287082');
});

// ---------------------------------------------------------------------------
// Signing out. The other form helpers (registration, signing in, alerts,
// labels) are in helpers.mjs; every field is found by its visible label.

/** Click the header's 退出 button and check the browser leaves the signed-in pages. */
async function signOut(page, watch) {
  const button = page.locator('header').getByRole('button', { name: '退出', exact: true });
  assert.equal(await button.count(), 1, `no 退出 button in the header of ${page.url()}`);
  await button.click();
  await page.waitForURL((u) => u.pathname === '/', { waitUntil: 'load' });
  await settle(page, watch);
  assert.equal(
    await page.locator('header').getByRole('button', { name: '退出', exact: true }).count(),
    0,
    'the 退出 button is still shown after signing out',
  );
  assert.equal(await page.locator('header a[href="/login"]').count(), 1, 'no 登录 link after signing out');
}

// ---------------------------------------------------------------------------

describe('citizen registration', () => {
  test('register from the home page, submitting with Enter, lands on /login', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      await page.goto(url('/'), { waitUntil: 'load' });
      await settle(page, watch);

      await page.locator('a[href="/register"]', { hasText: '注册' }).first().click();
      await landOn(page, watch, '/register');
      await page.locator('main a[href="/register/citizen"]').click();
      await landOn(page, watch, '/register/citizen');
      assert.equal(await page.locator('h1').textContent(), '个人注册');

      const zhang = {
        realName: '张三',
        residentId: '11010519491231002X',
        phone: '13800138000',
        username: 'zhang.san',
        password: PASSWORD,
      };
      await fillCitizenForm(page, zhang);
      // Submit from the last field with the keyboard.
      await page.getByLabel('确认新密码', { exact: true }).press('Enter');
      // The phone is confirmed before the account is usable.
      await landOn(page, watch, '/register/confirm');
      assert.match(await textOf(page.locator('#sent-to')), /138\*\*\*\*8000/);
      await confirmPhone(page, watch);
      assert.equal(await page.getByRole('alert').count(), 0, 'an alert is shown after a successful registration');
    });
  });

  test('a wrong check digit re-shows the form with an alert, keeping the name but not the passwords', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      await page.goto(url('/register/citizen'), { waitUntil: 'load' });
      await settle(page, watch);
      const c = newCitizen('李四');
      const validId = c.residentId;
      // 11010519491231002 takes the check character X, not 1.
      await fillCitizenForm(page, { ...c, residentId: '110105194912310021' });
      await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '注册', exact: true }).click());

      assert.equal(pathname(page), '/register/citizen');
      const message = await alertText(page);
      assert.match(message, /校验位不正确/, `alert text: ${JSON.stringify(message)}`);
      assert.equal(await page.getByLabel('真实姓名', { exact: true }).inputValue(), '李四');
      assert.equal(await page.getByLabel('用户名', { exact: true }).inputValue(), c.username);
      assert.equal(await page.getByLabel('密码', { exact: true }).inputValue(), '', 'the password was sent back');
      assert.equal(await page.getByLabel('确认新密码', { exact: true }).inputValue(), '', 'the confirmation was sent back');

      // Correcting the ID number (passwords typed again) registers the account.
      await page.getByLabel('居民身份证号码', { exact: true }).fill(validId);
      await page.getByLabel('密码', { exact: true }).fill(c.password);
      await page.getByLabel('确认新密码', { exact: true }).fill(c.password);
      await page.getByRole('button', { name: '注册', exact: true }).click();
      await confirmPhone(page, watch);
    });
  });
});

describe('signing in and out', () => {
  test('sign in with the ID number: account page, one current session, 退出', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      const c = newCitizen('张三');
      await register(page, watch, c);

      await signIn(page, watch, c.residentId, c.password, '/account');
      const main = page.locator('main');
      assert.match(await main.textContent(), /张三/, '/account does not show the name');
      assert.match(await main.textContent(), new RegExp(c.username.replace('.', '\\.')));

      const table = page.locator('section[aria-labelledby="sessions-heading"] table');
      assert.equal(await table.count(), 1, 'no sessions table on /account');
      const rows = table.locator('tbody tr');
      assert.equal(await rows.count(), 1, 'expected exactly one session');
      assert.match(await rows.first().textContent(), /当前会话/);

      const header = page.locator('header');
      assert.equal(((await header.locator('.who').textContent()) || '').trim(), '张三');
      assert.equal(await header.locator('a[href="/login"]').count(), 0, 'the 登录 link is still shown when signed in');

      await signOut(page, watch);

      const res = await page.goto(url('/account'), { waitUntil: 'load' });
      assert.equal(pathname(page), '/login', `/account after signing out ended at ${page.url()}`);
      assert.equal(res.status(), 200);
      await settle(page, watch);
    });
  });
});

describe('second factor', () => {
  test('TOTP enrolment, then sign in again with a recovery code', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      const c = newCitizen('王五');
      await register(page, watch, c);
      await signIn(page, watch, c.username, c.password, '/account');

      await page.locator('main a[href="/account/mfa"]').click();
      await landOn(page, watch, '/account/mfa');
      const secret = ((await page.locator('#totp-secret').textContent()) || '').trim();
      assert.match(secret, /^[A-Z2-7]{32}$/, `#totp-secret is not 32 base32 characters: ${JSON.stringify(secret)}`);
      const key = base32Decode(secret);
      assert.equal(key.length, 20);

      assert.equal(await page.locator('form input[name="secret"]').count(), 0, 'the secret travels in the form');
      await page.getByLabel('应用为新密钥显示的验证码', { exact: true }).fill(totp(key));
      await page.getByLabel('您的密码', { exact: true }).fill(c.password);
      await page.getByRole('button', { name: '绑定', exact: true }).click();
      const codes = page.locator('#recovery-codes li');
      await codes.first().waitFor({ state: 'visible' });
      await settle(page, watch);
      assert.equal(await page.getByRole('alert').count(), 0, `enrolment refused: ${await page.locator('main').textContent()}`);
      const recovery = (await codes.allTextContents()).map((s) => s.trim());
      assert.equal(recovery.length, 10, `expected 10 recovery codes, got ${JSON.stringify(recovery)}`);
      assert.equal(new Set(recovery).size, 10, 'the recovery codes are not distinct');
      for (const code of recovery) assert.match(code, /^[0-9a-z]{5}-[0-9a-z]{5}$/i, `recovery code ${code}`);

      await page.locator('main a[href="/account"]').click();
      await landOn(page, watch, '/account');
      assert.match(await page.locator('main').textContent(), /已开启/, '/account does not show MFA as on');

      await signOut(page, watch);
      await signIn(page, watch, c.username, c.password, '/login/mfa');
      // Half signed in: not yet the user's pages.
      assert.equal(await page.locator('header .who').count(), 0, 'the header shows a user before the second factor');

      await page.getByLabel('验证码', { exact: true }).fill(recovery[3]);
      await page.getByRole('button', { name: '验证', exact: true }).click();
      await landOn(page, watch, '/account');
      assert.equal(((await page.locator('header .who').textContent()) || '').trim(), '王五');
      assert.match(await page.locator('main').textContent(), /王五/);
    });
  });
});

// ---------------------------------------------------------------------------

/** Tab to the skip link, follow it with Enter, Tab once more: the focus is on FIRST_ID. */
async function assertSkipLinkReaches(page, firstId) {
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => document.activeElement?.getAttribute('href'));
  assert.equal(skip, '#main', `the first Tab stop on ${page.url()} is not the skip link`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return el ? `<${el.tagName.toLowerCase()} id=${el.id}>` : 'nothing';
  });
  assert.equal(focused, `<input id=${firstId}>`, `after the skip link, Tab went to ${focused} on ${page.url()}`);
}

describe('keyboard and accessibility basics', () => {
  test('/register/citizen: labels and the skip link', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      await page.goto(url('/register/citizen'), { waitUntil: 'load' });
      await settle(page, watch);
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      await assertInputsLabelled(page);
      await assertSkipLinkReaches(page, 'real_name');
    });
  });

  test('/login: labels, the skip link, and a role=alert after a wrong password', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(async (page, watch) => {
      const c = newCitizen('赵六');
      await register(page, watch, c);

      await page.goto(url('/login'), { waitUntil: 'load' });
      await settle(page, watch);
      await assertInputsLabelled(page);
      await assertSkipLinkReaches(page, 'username');

      // The one failed sign-in of this file.
      await page.getByLabel('用户名', { exact: true }).fill(c.username);
      await page.getByLabel('密码', { exact: true }).fill('Wrong-Password-Here-7');
      await submitExpecting(page, watch, 422, () => page.getByLabel('密码', { exact: true }).press('Enter'));
      assert.equal(pathname(page), '/login');
      const message = await alertText(page);
      assert.match(message, /用户名或密码错误/, `alert text: ${JSON.stringify(message)}`);
      assert.equal(await page.getByLabel('用户名', { exact: true }).inputValue(), c.username, 'the user name was not kept');
      assert.equal(await page.getByLabel('密码', { exact: true }).inputValue(), '', 'the password was sent back');
      await assertInputsLabelled(page);

      // The right password still works afterwards.
      await signIn(page, watch, c.username, c.password, '/account');
    });
  });
});
