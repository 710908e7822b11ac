// Browser tests of the notification settings and the notice templates: a
// citizen confirms an email address with the code sent to it (the demo
// shows the email on the page, there being no mail server), chooses email
// and text messages and the language they come in; a system administrator
// rewords a kind of notice in the console, is refused a value the notice
// does not have (with what they typed kept), saves, and resets it. The
// pages work in English and at phone width; the message centre's link and
// the empty centre read plainly.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  alertText,
  assertFormPageBasics,
  assertNoSidewaysScroll,
  landOn,
  launchBrowser,
  newCitizen,
  noticeText,
  open,
  register,
  settle,
  signIn,
  startServer,
  submitExpecting,
  textOf,
} from './helpers.mjs';
import { stage } from './stage.mjs';

const TEST_TIMEOUT = 120_000;

const STAFF = {
  admin: { username: 'admin.notify', displayName: '通知管理员', args: ['--role', 'system_admin'] },
};

let server;
let browser;
let person;
let createStaff;
let firstStaffSignIn;
let closePeople;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ person, createStaff, firstStaffSignIn, close: closePeople } = stage(server, browser, STAFF));
});

after(async () => {
  if (closePeople) await closePeople();
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Submits a form with CLICK and waits for the page it lands on. */
async function submit(p, click, path) {
  await Promise.all([
    p.page.waitForURL((u) => u.pathname === path, { waitUntil: 'load' }),
    click(),
  ]);
  await settle(p.page, p.watch);
}

describe('notification settings and notice templates', () => {
  test('a citizen confirms an email address by code and chooses email and texts in English', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page, watch } = p;
    const citizen = newCitizen('通知测试');
    await register(page, watch, citizen);
    await signIn(page, watch, citizen.username, citizen.password, '/account');

    // The header's 消息 link, and an empty centre that says what will come.
    await submit(p, () => page.locator('header').getByRole('link', { name: '消息', exact: true }).click(), '/messages');
    assert.equal(await textOf(page.locator('h1')), '消息中心');
    assert.match(await textOf(page.locator('main')), /还没有消息/);
    await submit(p, () => page.getByRole('link', { name: '设置短信和电子邮件通知' }).click(), '/account/notifications');

    // Email cannot be chosen before an address is confirmed.
    const byEmail = page.getByLabel('电子邮件', { exact: true });
    assert.equal(await byEmail.isDisabled(), true, 'email offered before an address is confirmed');
    await assertFormPageBasics(page);

    // A wrong address is refused with the reason, in Chinese.
    await page.getByLabel('新的电子邮箱地址', { exact: true }).fill('zhang@localhost');
    await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '发送验证码', exact: true }).click());
    assert.equal(await alertText(page), '请输入有效的电子邮箱地址');

    await page.getByLabel('新的电子邮箱地址', { exact: true }).fill('Zhang.San@Example.cn');
    await submit(p, () => page.getByRole('button', { name: '发送验证码', exact: true }).click(), '/account/notifications');
    const main = await textOf(page.locator('main'));
    assert.match(main, /验证码已发送到\s*zhang\.san@example\.cn/);
    const shown = await noticeText(page);
    const code = /(\d{6})/.exec(shown)?.[1];
    assert.ok(code, `no code in the demo email: ${shown}`);
    await page.getByLabel('邮箱验证码（6 位数字）', { exact: true }).fill(code);
    await submit(p, () => page.getByRole('button', { name: '验证邮箱', exact: true }).click(), '/account/notifications');
    assert.equal(await noticeText(page), '已保存。');
    assert.match(await textOf(page.locator('main')), /已验证的邮箱：\s*zhang\.san@example\.cn/);

    // Email and texts, in English.
    await page.getByLabel('电子邮件', { exact: true }).check();
    await page.getByRole('checkbox', { name: /^短信/ }).check();
    await page.getByLabel('短信和邮件的语言', { exact: true }).selectOption('en');
    await submit(p, () => page.getByRole('button', { name: '保存设置', exact: true }).click(), '/account/notifications');
    assert.equal(await noticeText(page), '已保存。');
    await open(p, '/account/notifications');
    assert.equal(await page.getByLabel('电子邮件', { exact: true }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: /^短信/ }).isChecked(), true);
    assert.equal(await page.getByLabel('短信和邮件的语言', { exact: true }).inputValue(), 'en');
    await assertNoSidewaysScroll(page);

    await open(p, '/locale?lang=en&next=%2Faccount%2Fnotifications');
    assert.equal(await textOf(page.locator('h1')), 'Notification settings');
    assert.equal(await page.getByLabel('Email', { exact: true }).isChecked(), true);
    assert.equal(await textOf(page.locator('header a.inbox')), 'Messages');
    await open(p, '/locale?lang=zh-CN&next=%2Faccount%2Fnotifications');
  });

  test('an administrator rewords a notice, is refused an unknown value with the text kept, and resets it', { timeout: TEST_TIMEOUT }, async () => {
    const oneTime = await createStaff('admin');
    await firstStaffSignIn('admin', oneTime);
    const p = await person('admin');
    const { page } = p;
    await open(p, '/admin');
    await submit(p, () => page.getByRole('link', { name: '通知模板', exact: true }).click(), '/admin/notifications');
    const row = page.locator('tbody tr').filter({ hasText: '新的待办' });
    assert.equal(await row.locator('.badge').count(), 0, 'shown as changed before any change');
    await submit(p, () => row.getByRole('link', { name: '编辑' }).first().click(), '/admin/notifications/task_assigned/zh-CN');
    assert.match(await textOf(page.locator('#values-hint')), /\{number\} \{title\} \{state\}/);
    await assertFormPageBasics(page);

    const subject = page.getByLabel('标题', { exact: true });
    await subject.fill('待办 {number}：{password}');
    await submitExpecting(page, p.watch, 422, () => page.getByRole('button', { name: '保存', exact: true }).click());
    assert.match(await alertText(page), /\{password\}/);
    assert.equal(await subject.inputValue(), '待办 {number}：{password}', 'what was typed is lost');

    await subject.fill('【待办】{title}（{number}）');
    await submit(p, () => page.getByRole('button', { name: '保存', exact: true }).click(), '/admin/notifications/task_assigned/zh-CN');
    assert.equal(await noticeText(page), '已保存，此后发出的通知使用新文本。');
    assert.equal(await subject.inputValue(), '【待办】{title}（{number}）');
    await open(p, '/admin/notifications');
    assert.equal(await textOf(page.locator('tbody tr').filter({ hasText: '新的待办' }).locator('.badge')), '已修改');
    await assertNoSidewaysScroll(page);

    await open(p, '/admin/notifications/task_assigned/zh-CN');
    await submit(p, () => page.getByRole('button', { name: '恢复默认文本', exact: true }).click(), '/admin/notifications/task_assigned/zh-CN');
    assert.match(await page.getByLabel('标题', { exact: true }).inputValue(), /^新的待办/);
    assert.equal(await page.getByRole('button', { name: '恢复默认文本', exact: true }).count(), 0);
    await landOn(page, p.watch, '/admin/notifications/task_assigned/zh-CN');
  });
});
