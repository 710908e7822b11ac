// Browser tests of getting back into an account: a citizen who forgot the
// password resets it with the code texted to the phone (the demo shows the
// text on the page); an administrator finds a department by typing in the
// account form, then resets a civil servant's second factor and password,
// and the civil servant signs in again with the one-time password, sets a
// new one and enrols a new authenticator.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertFormPageBasics,
  landOn,
  launchBrowser,
  newCitizen,
  open,
  register,
  settle,
  signIn,
  startServer,
  textOf,
  watchPage,
} from './helpers.mjs';
import { stage } from './stage.mjs';

const TEST_TIMEOUT = 120_000;
const NEW_PASSWORD = 'Xin-Mi-Ma-Hen-Chang-7';

let server;
let browser;
let cast;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    admin: { username: 'admin.zhou', displayName: '周管理', args: ['--role', 'system_admin'] },
    clerk: { username: 'clerk.qian', displayName: '钱办事', args: ['--department', '110105-SCJGJ', '--role', 'handler'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a citizen resets a forgotten password with the code sent to the phone', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    const citizen = newCitizen('忘记密码');
    await register(page, watch, citizen);

    await Promise.all([
      page.waitForURL((u) => u.pathname === '/login/forgot', { waitUntil: 'load' }),
      page.getByRole('link', { name: '忘记密码？', exact: true }).click(),
    ]);
    await settle(page, watch);
    await assertFormPageBasics(page);
    await page.getByLabel('用户名', { exact: true }).fill(citizen.username);
    await page.getByLabel('绑定的手机号码或电子邮箱', { exact: true }).fill(citizen.phone);
    await page.getByRole('button', { name: '发送验证码', exact: true }).click();
    await landOn(page, watch, '/login/reset');
    assert.match(await textOf(page.locator('#sent-to')), /\*\*\*\*/);
    const sms = await textOf(page.locator('#demo-sms'));
    const code = /验证码 (\d{6})/.exec(sms);
    assert.ok(code, `no code in the text shown: ${sms}`);
    await page.getByLabel('短信验证码', { exact: true }).fill(code[1]);
    await page.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('确认新密码', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: '设置新密码', exact: true }).click();
    await page.waitForLoadState('load');
    await settle(page, watch);
    assert.equal(await textOf(page.locator('h1')), '密码已重置');

    // The new password signs in.
    await open({ page, watch }, '/login');
    await signIn(page, watch, citizen.username, NEW_PASSWORD, '/account');
  } finally {
    await context.close();
  }
});

describe('an administrator resets a civil servant who lost the phone', () => {
  test('the department is found by typing; the second factor and the password are reset; the clerk starts again', { timeout: TEST_TIMEOUT }, async () => {
    await cast.firstStaffSignIn('admin', await cast.createStaff('admin'));
    await cast.firstStaffSignIn('clerk', await cast.createStaff('clerk'));
    const admin = await cast.person('admin');
    const { page, watch } = admin;

    // The account form's department list narrows as a name is typed.
    await open(admin, '/admin/users');
    const filter = page.getByLabel('查找部门', { exact: true });
    await filter.fill('朝阳区市场');
    const shown = await page.locator('select#department option:not([hidden])').allTextContents();
    assert.ok(shown.length >= 1 && shown.every((t) => t.includes('朝阳区市场')), `options left: ${JSON.stringify(shown)}`);
    assert.match(await page.locator('select#department option:checked').textContent(), /朝阳区市场监督管理局/);
    // The list names each account's department.
    const row = page.locator('table.data tbody tr').filter({ hasText: 'clerk.qian' });
    assert.match(await textOf(row), /北京市朝阳区市场监督管理局/);

    await Promise.all([
      page.waitForURL((u) => /^\/admin\/users\/\d+$/.test(u.pathname), { waitUntil: 'load' }),
      row.getByRole('link', { name: 'clerk.qian', exact: true }).click(),
    ]);
    await settle(page, watch);
    const userPage = new URL(page.url()).pathname;
    await page.getByRole('button', { name: '重置双因素认证', exact: true }).click();
    await landOn(page, watch, userPage);
    assert.equal(await page.getByRole('button', { name: '重置双因素认证', exact: true }).count(), 0);
    await page.getByRole('button', { name: '重置密码', exact: true }).click();
    await page.waitForLoadState('load');
    await settle(page, watch);
    const oneTime = await textOf(page.locator('#one-time-password'));
    assert.match(oneTime, /^[A-Za-z0-9]{20}$/);

    // The clerk was signed out, and starts again as on the first day.
    const clerk = await cast.person('clerk');
    await clerk.page.goto(`${server.baseUrl}/workbench`, { waitUntil: 'load' });
    assert.equal(new URL(clerk.page.url()).pathname, '/login');
    await cast.firstStaffSignIn('clerk', oneTime);
  });
});
