// The people of a browser test flow: each person has one zh-CN browser
// context (own cookies) kept for the whole test file, so a file's tests run
// in order and share what they made. Staff accounts are made with
// `egov admin user create` against the running server's database and sign
// in for the first time through the browser (new password, TOTP
// enrolment), as a civil servant would.
//
// Not a *.test.mjs file: node --test runs those.

import assert from 'node:assert/strict';
import { base32Decode, landOn, open, runEgov, settle, signIn, textOf, totp, watchPage } from './helpers.mjs';

/** The staff accounts' own password, set at first sign-in (12+ characters). */
export const STAFF_PASSWORD = 'Hu-Tong-Jie-Dao-Wang-Ge-7';

/**
 * The cast of a flow on SERVER (from startServer) in BROWSER (from
 * launchBrowser). STAFF maps a person's name to their staff account:
 * {username, displayName, args} (args: the rest of `egov admin user
 * create`, e.g. ['--department', code, '--role', 'handler']).
 *
 * Returns person(name) → {context, page, watch} (made on first use),
 * createStaff(name) → the account's one-time password,
 * firstStaffSignIn(name, oneTimePassword) → the TOTP key, and close() for after().
 */
export function stage(server, browser, staff = {}) {
  /** name → {context, page, watch} */
  const people = new Map();

  async function person(name) {
    if (!people.has(name)) {
      const context = await browser.newContext({ locale: 'zh-CN' });
      context.setDefaultTimeout(20_000);
      context.setDefaultNavigationTimeout(30_000);
      const page = await context.newPage();
      people.set(name, { context, page, watch: watchPage(page, server.baseUrl) });
    }
    return people.get(name);
  }

  function account(name) {
    const s = staff[name];
    assert.ok(s, `no staff account named ${name}`);
    return s;
  }

  /** Create staff account NAME with `egov admin user create`; returns its one-time password. */
  async function createStaff(name) {
    const s = account(name);
    const out = await runEgov([
      'admin',
      'user',
      'create',
      '--data-dir',
      server.dataDir,
      '--username',
      s.username,
      '--display-name',
      s.displayName,
      ...s.args,
    ]);
    const m = /one-time password:\s*(\S+)/.exec(out);
    assert.ok(m, `no one-time password in the output of egov admin user create:\n${out}`);
    return m[1];
  }

  /**
   * The first sign-in of staff account NAME: the one-time password leads to
   * /account/password, the new password to /account/mfa (staff must enrol a
   * second factor), a TOTP code from the shown secret enrols it, and the
   * workbench is then open. Returns the second factor's key, for signing
   * in again.
   */
  async function firstStaffSignIn(name, oneTimePassword) {
    const s = account(name);
    const p = await person(name);
    const { page, watch } = p;
    await signIn(page, watch, s.username, oneTimePassword, '/account/password');
    assert.match(await textOf(page.locator('main')), /一次性初始密码/, 'no must-change notice on /account/password');

    await page.getByLabel('当前密码', { exact: true }).fill(oneTimePassword);
    await page.getByLabel('新密码', { exact: true }).fill(STAFF_PASSWORD);
    await page.getByLabel('确认新密码', { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: '保存新密码', exact: true }).click();
    await landOn(page, watch, '/account/mfa');
    assert.match(await textOf(page.locator('main')), /工作人员必须开启双因素认证/);

    const secret = await textOf(page.locator('#totp-secret'));
    assert.match(secret, /^[A-Z2-7]{32}$/, `#totp-secret: ${JSON.stringify(secret)}`);
    const key = base32Decode(secret);
    await page.getByLabel('应用为新密钥显示的验证码', { exact: true }).fill(totp(key));
    // Turning a second factor on asks for the password again.
    await page.getByLabel('您的密码', { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: '绑定', exact: true }).click();
    await page.locator('#recovery-codes li').first().waitFor({ state: 'visible' });
    await settle(page, watch);
    assert.equal(await page.locator('#recovery-codes li').count(), 10);

    await open(p, '/workbench');
    assert.equal(await textOf(page.locator('h1')), '工作台');
    assert.equal(await textOf(page.locator('header .who')), s.displayName);
    return key;
  }

  async function close() {
    for (const { context } of people.values()) await context.close().catch(() => {});
    people.clear();
  }

  return { person, createStaff, firstStaffSignIn, close };
}
