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
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, startServer, watchPage } from './helpers.mjs';

const TEST_TIMEOUT = 120_000;
const PASSWORD = 'Chang-Cheng-Wan-Li-9';

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

/** Wait until the current page has finished loading, then check the watch. */
async function settle(page, watch) {
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle');
  watch.assertClean();
}

/**
 * Submit a form with SUBMIT() and expect the server to answer the POST with
 * STATUS (a refused form is shown again with 422, a failed sign-in too).
 *
 * Chromium reports every document that arrives with an error status on the
 * console ("Failed to load resource: the server responded with a status of
 * 422 ..."). That one report, for this document and this status, is what
 * the test expects, so it is taken off the watch's console errors; anything
 * else still fails assertClean().
 */
async function submitExpecting(page, watch, status, submit) {
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.frame() === page.mainFrame(),
    ),
    submit(),
  ]);
  assert.equal(res.status(), status, `POST ${res.url()} answered ${res.status()}, expected ${status}`);
  await page.waitForLoadState('load');
  const report = (e) =>
    e.startsWith(`Failed to load resource: the server responded with a status of ${status} `) &&
    e.endsWith(`(${res.url()}:0)`);
  const deadline = Date.now() + 2_000;
  while (!watch.consoleErrors.some(report) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const i = watch.consoleErrors.findIndex(report);
  if (i >= 0) watch.consoleErrors.splice(i, 1);
  await settle(page, watch);
  return res;
}

/** Wait for a navigation to PATH (pathname only), then check the watch. */
async function landOn(page, watch, path) {
  await page.waitForURL((u) => u.pathname === path, { waitUntil: 'load' });
  await settle(page, watch);
}

// ---------------------------------------------------------------------------
// Resident ID numbers (GB 11643-1999) and TOTP codes (RFC 6238), computed
// here independently of the server.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The check character for the first 17 digits of a resident ID number. */
function idCheckChar(first17) {
  assert.match(first17, /^\d{17}$/);
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * ID_WEIGHTS[i], 0);
  return ID_CHECK[sum % 11];
}

/** A valid resident ID number: Chaoyang district (110105), BIRTH (YYYYMMDD), SEQ (0-999). */
function residentId(birth, seq) {
  const first17 = `110105${birth}${String(seq).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

let nextCitizen = 1;

/** A new citizen with a distinct ID number, user name and phone number. */
function newCitizen(realName) {
  const n = nextCitizen++;
  return {
    realName,
    residentId: residentId('19850612', 100 + n),
    phone: `1391000${String(1000 + n).padStart(4, '0')}`,
    username: `citizen.${n}`,
    password: PASSWORD,
  };
}

/** RFC 4648 base32 (upper or lower case, padding and spaces ignored) to bytes. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** HOTP (RFC 4226) with HMAC-SHA-1. */
function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** TOTP (RFC 6238): 30-second steps from the Unix epoch. */
function totp(key, unixSeconds = Date.now() / 1000, digits = 6) {
  return hotp(key, Math.floor(unixSeconds / 30), digits);
}

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
// Form helpers: every field is found by its visible label, as a user would.

/** Fill the citizen registration form (the page must be /register/citizen). */
async function fillCitizenForm(page, c, { confirm = c.password } = {}) {
  await page.getByLabel('真实姓名', { exact: true }).fill(c.realName);
  await page.getByLabel('居民身份证号码', { exact: true }).fill(c.residentId);
  await page.getByLabel('手机号码', { exact: true }).fill(c.phone);
  await page.getByLabel('用户名', { exact: true }).fill(c.username);
  await page.getByLabel('密码', { exact: true }).fill(c.password);
  await page.getByLabel('确认新密码', { exact: true }).fill(confirm);
}

/** Register C through /register/citizen and check the browser lands on /login. */
async function register(page, watch, c) {
  await page.goto(url('/register/citizen'), { waitUntil: 'load' });
  await settle(page, watch);
  await fillCitizenForm(page, c);
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await landOn(page, watch, '/login');
}

/** Sign in on /login with LOGIN and PASSWORD; returns after the next page has loaded. */
async function signIn(page, watch, login, password, landing) {
  if (pathname(page) !== '/login') {
    await page.goto(url('/login'), { waitUntil: 'load' });
    await settle(page, watch);
  }
  await page.getByLabel('用户名', { exact: true }).fill(login);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.locator('main').getByRole('button', { name: '登录', exact: true }).click();
  await landOn(page, watch, landing);
}

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

/** The text of the page's role=alert element(s). */
async function alertText(page) {
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, `expected one role=alert on ${page.url()}`);
  return ((await alert.textContent()) || '').trim();
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
      await landOn(page, watch, '/login');
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
      await landOn(page, watch, '/login');
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

      await page.getByLabel('验证码', { exact: true }).fill(totp(key));
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

/** Every visible input, select and textarea has a non-empty accessible label. */
async function assertInputsLabelled(page) {
  const r = await page.evaluate(() => {
    const fields = [...document.querySelectorAll('input, select, textarea')].filter(
      (el) => el.type !== 'hidden' && el.checkVisibility(),
    );
    const hasName = (el) => {
      if ([...(el.labels || [])].some((l) => l.textContent.trim())) return true;
      if ((el.getAttribute('aria-label') || '').trim()) return true;
      const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
      return ids.some((id) => (document.getElementById(id)?.textContent || '').trim());
    };
    return {
      fields: fields.length,
      unlabelled: fields.filter((el) => !hasName(el)).map((el) => el.outerHTML),
    };
  });
  assert.ok(r.fields >= 2, `only ${r.fields} visible inputs on ${page.url()}`);
  assert.deepEqual(r.unlabelled, [], `inputs without a label on ${page.url()}:\n${r.unlabelled.join('\n')}`);
}

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
