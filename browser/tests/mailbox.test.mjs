// Browser test of the mayor's mailbox as its people use it.
//
// A resident without an account, on a phone: the mailbox from the main
// navigation, a letter refused without a mobile number (shown again as
// typed), then sent; the code texted to the phone (this demo shows the text
// on the page) confirms it, and the follow page gives the letter's number
// and link. The mayor's office (市政府办公厅) hands it to the transport
// commission on the case page; the commission answers and publishes it from
// the publication page, where the writer's name, phone and address are
// already replaced. The writer reads the answer on the follow page and rates
// it; anyone finds the published letter by a search, without personal data.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone widths for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import {
  PHONE, actionForm, assertFormPageBasics, assertNoSidewaysScroll, assertUniqueIds, caseFacts, landOn,
  launchBrowser, open, settle, shoot, startServer, submitAndLand, submitExpecting, textOf, watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 180_000;
const BODY =
  '我叫刘小明，住在回龙观东大街12号院3号楼2单元501室，电话13912340000。' +
  '回龙观到西二旗的公交早高峰非常拥挤，经常要等两三趟车，建议增开大站快车。';
const SUBJECT = '建议早高峰增开回龙观大站快车';
const ANSWER = '感谢您的建议。公交集团将于下月起在工作日早高峰增开回龙观至西二旗大站快车。';

let server;
let browser;
let cast;
const letter = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    office: { username: 'bgt.mailbox', displayName: '市政府办公厅来信办理', args: ['--department', '110000-BGT', '--role', 'handler'] },
    commission: { username: 'jtw.mailbox', displayName: '市交通委来信办理', args: ['--department', '110000-JTW', '--role', 'handler'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a resident without an account writes to the mayor on a phone and confirms with the texted code', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    const toggle = page.locator('.nav-toggle, button[aria-controls]').first();
    if (await toggle.count()) await toggle.click();
    await page.getByRole('link', { name: '市长信箱', exact: true }).first().click();
    await landOn(page, watch, '/mailbox');
    assert.ok(Number(await textOf(page.locator('#found .count'))) >= 6, 'the demonstration letters are published');
    assert.match(await textOf(page.locator('#figures')), /北京市交通委员会/);
    await assertNoSidewaysScroll(page);
    await shoot(page, 'mailbox-phone');

    await page.getByRole('link', { name: '我要写信', exact: true }).click();
    await landOn(page, watch, '/mailbox/write');
    await assertFormPageBasics(page);
    await page.getByLabel('建议', { exact: true }).check();
    await page.getByLabel('标题', { exact: true }).fill(SUBJECT);
    await page.getByLabel('来信内容', { exact: true }).fill(BODY);
    await page.getByLabel('姓名', { exact: true }).fill('刘小明');
    await page.getByLabel(/^同意在答复后公开/).check();
    // The browser's own check would stop an empty required field: take it off
    // to see the server's.
    await page.getByLabel('手机号码', { exact: true }).evaluate((e) => e.removeAttribute('required'));
    await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '提交并获取验证码', exact: true }).click());
    assert.match(await textOf(page.locator('#form-error')), /须留下姓名和手机号码/);
    assert.equal(await page.getByLabel('标题', { exact: true }).inputValue(), SUBJECT, 'kept as typed');
    await shoot(page, 'mailbox-write-refused-phone');

    await page.getByLabel('手机号码', { exact: true }).fill('139 1234 0000');
    await page.getByRole('button', { name: '提交并获取验证码', exact: true }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/mailbox/confirm/'), { waitUntil: 'load' });
    await settle(page, watch);
    assert.match(await textOf(page.locator('#sent-to')), /139\*\*\*\*0000/);
    const sms = await textOf(page.locator('#demo-sms'));
    const code = /(\d{6})/.exec(sms);
    assert.ok(code, `no code in the text shown: ${sms}`);
    await shoot(page, 'mailbox-confirm-phone');
    await page.getByLabel('短信验证码', { exact: true }).fill(code[1]);
    await page.getByRole('button', { name: '确认提交来信', exact: true }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/mailbox/follow/'), { waitUntil: 'load' });
    await settle(page, watch);
    const written = await textOf(page.locator('#written'));
    const number = /编号 (\d+)/.exec(written);
    assert.ok(number, written);
    letter.number = number[1];
    letter.follow = new URL(page.url()).pathname;
    assert.equal(await textOf(page.locator('#letter-state')), '待受理');
    await assertNoSidewaysScroll(page);
    await shoot(page, 'mailbox-follow-written-phone');
    watch.assertClean();
  } finally {
    await context.close();
  }
});

test('the mayor’s office hands the letter on; the commission answers and publishes it without personal data', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(letter.number, 'no letter from the previous test');
  for (const name of ['office', 'commission']) {
    const otp = await cast.createStaff(name);
    await cast.firstStaffSignIn(name, otp);
  }
  const office = await cast.person('office');
  await open(office, `/cases/${letter.number}`);
  assert.equal((await caseFacts(office.page)).state, '待受理');
  const forward = actionForm(office.page, '转办');
  await forward.getByLabel('部门').selectOption({ label: '北京市交通委员会' });
  await forward.getByRole('textbox').last().fill('公交线路由市交通委办理');
  await submitAndLand(office, () => forward.getByRole('button', { name: '转办', exact: true }).click(), `/cases/${letter.number}`, 'action');
  assert.equal((await caseFacts(office.page)).state, '办理中');

  const commission = await cast.person('commission');
  const { page, watch } = commission;
  await open(commission, `/cases/${letter.number}`);
  const answer = actionForm(page, '答复');
  await answer.getByLabel('答复内容').fill(ANSWER);
  await submitAndLand(commission, () => answer.getByRole('button', { name: '答复', exact: true }).click(), `/cases/${letter.number}`, 'action');
  assert.equal((await caseFacts(page)).state, '已答复');
  await shoot(page, 'mailbox-case-answered-desktop');

  await page.getByRole('link', { name: '公开来信', exact: true }).click();
  await landOn(page, watch, `/mailbox/letters/${letter.number}/publish`);
  await assertFormPageBasics(page);
  assert.match(await textOf(page.locator('#replaced')), /姓名/);
  const proposed = await page.getByLabel('来信内容', { exact: true }).inputValue();
  for (const personal of ['刘小明', '13912340000', '501室']) {
    assert.ok(!proposed.includes(personal), `${personal} proposed: ${proposed}`);
  }
  await shoot(page, 'mailbox-publish-desktop');
  // A phone number typed back in is refused.
  await page.getByLabel('来信内容', { exact: true }).fill(`${proposed} 联系电话13912340000`);
  await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '公开', exact: true }).click());
  assert.match(await textOf(page.locator('#form-error')), /电话号码/);
  await page.getByLabel('来信内容', { exact: true }).fill(proposed);
  await page.getByRole('button', { name: '公开', exact: true }).click();
  await landOn(page, watch, `/mailbox/letters/${letter.number}`);
  assert.match(await textOf(page.locator('#letter-answer')), /大站快车/);
  watch.assertClean();
});

test('the writer reads the answer and rates it; anyone finds the published letter', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(letter.follow, 'no letter from the first test');
  for (const [label, viewport] of [['phone', PHONE], ['desktop', { width: 1280, height: 900 }]]) {
    const mobile = label === 'phone';
    const context = await browser.newContext({ locale: 'zh-CN', viewport, hasTouch: mobile, isMobile: mobile });
    context.setDefaultTimeout(20_000);
    try {
      const page = await context.newPage();
      const watch = watchPage(page, server.baseUrl);
      if (mobile) {
        await page.goto(`${server.baseUrl}${letter.follow}`, { waitUntil: 'load' });
        await settle(page, watch);
        assert.equal(await textOf(page.locator('#letter-state')), '已答复');
        assert.match(await textOf(page.locator('#letter-answer')), /大站快车/);
        await page.getByLabel('满意', { exact: true }).check();
        await page.getByRole('button', { name: '提交评价', exact: true }).click();
        await page.waitForURL((u) => u.searchParams.get('rated') === '1', { waitUntil: 'load' });
        await settle(page, watch);
        assert.match(await textOf(page.locator('#rating')), /满意/);
        assert.equal(await page.locator('#rate-form').count(), 0, 'rated once');
        await assertNoSidewaysScroll(page);
        await shoot(page, 'mailbox-follow-rated-phone');
      }
      await page.goto(`${server.baseUrl}/mailbox`, { waitUntil: 'load' });
      await settle(page, watch);
      await page.getByLabel('检索来信', { exact: true }).fill('大站快车');
      await page.getByRole('button', { name: '检索', exact: true }).click();
      await page.waitForURL((u) => u.searchParams.get('q') === '大站快车', { waitUntil: 'load' });
      await settle(page, watch);
      await page.getByRole('link', { name: SUBJECT, exact: true }).click();
      await landOn(page, watch, `/mailbox/letters/${letter.number}`);
      const shown = await textOf(page.locator('main'));
      for (const personal of ['刘小明', '13912340000', '501室']) {
        assert.ok(!shown.includes(personal), `${personal} published: ${shown}`);
      }
      await assertUniqueIds(page);
      if (mobile) await assertNoSidewaysScroll(page);
      await shoot(page, `mailbox-letter-${label}`);
      watch.assertClean();
    } finally {
      await context.close();
    }
  }
});
