// An enterprise on the portal: its legal representative registers it, sees
// its name and credit code on the account page, adds an operator (who signs
// in with the one-time password and sets their own), limits the operator to
// viewing the enterprise's business (the guide then offers no application,
// and filing is refused), and lets them act again.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  PASSWORD,
  assertInputsLabelled,
  assertNoSidewaysScroll,
  confirmPhone,
  landOn,
  launchBrowser,
  open,
  residentId,
  settle,
  signIn,
  startServer,
  submitExpecting,
  textOf,
  watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 120_000;
const COMPANY = {
  name: '北京示例科技有限公司',
  code: '91350100M000100Y43',
  rep: '王建国',
  repId: residentId('19790305', 301),
  phone: '13910009001',
  username: 'qiye.wang',
};
const OPERATOR = { username: 'qiye.zhao', name: '赵经办', phone: '13910009002' };
const OPERATOR_PASSWORD = 'Jing-Ban-Ren-Mi-Ma-8';
// An item that serves enterprises (data/services/, audiences 法人).
const ITEM = '110000FGW0001';

let server;
let browser;
const people = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const p of Object.values(people)) await p.context.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function person(name) {
  if (!people[name]) {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    people[name] = { context, page, watch: watchPage(page, server.baseUrl) };
  }
  return people[name];
}

/** The operators table's row for USERNAME. */
const row = (page, username) => page.locator('main table tbody tr').filter({ hasText: username });

describe('an enterprise: its account, its operator, and the operator limited to viewing', () => {
  test('legal representative: registers the enterprise; the account page names it and its credit code', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('rep');
    const { page, watch } = p;
    await page.goto(`${server.baseUrl}/register/enterprise`, { waitUntil: 'load' });
    await settle(page, watch);
    await assertInputsLabelled(page);
    await page.getByLabel('单位名称', { exact: true }).fill(COMPANY.name);
    await page.getByLabel('统一社会信用代码', { exact: true }).fill(COMPANY.code);
    await page.getByLabel('法定代表人姓名', { exact: true }).fill(COMPANY.rep);
    await page.getByLabel('法定代表人身份证号码', { exact: true }).fill(COMPANY.repId);
    await page.getByLabel('手机号码', { exact: true }).fill(COMPANY.phone);
    await page.getByLabel('用户名', { exact: true }).fill(COMPANY.username);
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByLabel('确认新密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '注册', exact: true }).click();
    await confirmPhone(page, watch);
    await signIn(page, watch, COMPANY.username, PASSWORD, '/account');
    assert.equal(await textOf(page.locator('#enterprise-name')), COMPANY.name);
    assert.equal(await textOf(page.locator('#enterprise-code')), COMPANY.code);
    await assertNoSidewaysScroll(page);
  });

  test('legal representative: adds an operator, who signs in with the one-time password and sets their own', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('rep');
    const { page, watch } = p;
    await page.locator('main').getByRole('link', { name: '经办人账户', exact: true }).click();
    await landOn(page, watch, '/enterprise/operators');
    await page.getByLabel('用户名', { exact: true }).fill(OPERATOR.username);
    await page.getByLabel('姓名', { exact: true }).fill(OPERATOR.name);
    await page.getByLabel('手机号码', { exact: true }).fill(OPERATOR.phone);
    await submitExpecting(page, watch, 201, () => page.getByRole('button', { name: '添加经办人', exact: true }).click());
    const oneTime = await textOf(page.locator('[role=status] code'));
    assert.ok(oneTime.length >= 12, `no one-time password shown: ${oneTime}`);
    assert.match(await textOf(row(page, OPERATOR.username)), /代表企业申请和办理/);

    const o = await person('operator');
    await signIn(o.page, o.watch, OPERATOR.username, oneTime, '/account/password');
    await o.page.getByLabel('当前密码', { exact: true }).fill(oneTime);
    await o.page.getByLabel('新密码', { exact: true }).fill(OPERATOR_PASSWORD);
    await o.page.getByLabel('确认新密码', { exact: true }).fill(OPERATOR_PASSWORD);
    await o.page.getByRole('button', { name: '保存新密码', exact: true }).click();
    await o.page.waitForLoadState('load');
    await settle(o.page, o.watch);
    await open(o, '/account');
    assert.equal(await textOf(o.page.locator('#enterprise-name')), COMPANY.name);
    await open(o, `/services/${ITEM}`);
    assert.equal(await o.page.getByRole('button', { name: '在线申请', exact: true }).count(), 1, 'the operator is not offered 在线申请');
  });

  test('legal representative: limits the operator to viewing; the operator may not apply; then lets them act again', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('rep');
    const { page, watch } = p;
    await open(p, '/enterprise/operators');
    await row(page, OPERATOR.username).getByRole('button', { name: `限为仅查看 ${OPERATOR.username}`, exact: true }).click();
    await landOn(page, watch, '/enterprise/operators');
    assert.match(await textOf(row(page, OPERATOR.username)), /仅查看/);
    await assertNoSidewaysScroll(page);

    const o = await person('operator');
    await open(o, `/services/${ITEM}`);
    assert.equal(await o.page.getByRole('button', { name: '在线申请', exact: true }).count(), 0, 'a view-only operator is offered 在线申请');
    assert.match(await textOf(o.page.locator('#apply-offer')), /仅可查看企业的申请和结果/);

    await open(p, '/enterprise/operators');
    await row(page, OPERATOR.username).getByRole('button', { name: `恢复代办权限 ${OPERATOR.username}`, exact: true }).click();
    await landOn(page, watch, '/enterprise/operators');
    assert.match(await textOf(row(page, OPERATOR.username)), /代表企业申请和办理/);
    await open(o, `/services/${ITEM}`);
    assert.equal(await o.page.getByRole('button', { name: '在线申请', exact: true }).count(), 1);
  });
});
