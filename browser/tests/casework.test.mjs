// Browser tests of the case workbench pages: a citizen registers a city
// management case (网格化城市管理案件) on /cases/new, the command centre's
// dispatcher registers (立案) and dispatches (派遣) it from the workbench,
// the district handler uploads a photo, writes an internal comment and
// reports it handled (处置反馈), the dispatcher checks and closes it
// (核查结案), and the citizen sees the result, not the internal comment,
// and rates it (好差评) with the keyboard. On the way: the supervision
// board (电子监察) for a supervisor and its 403 page for a handler, the
// statistics page, labels of every form control, and no sideways scrolling
// at phone width.
//
// One egov server is started for this file. The staff accounts are made
// with `egov admin user create` against the running server's database, and
// sign in for the first time through the browser (new password, TOTP
// enrolment). Each person has one browser context (own cookies) kept for
// the whole file (stage.mjs), so the tests below run in order and share
// the case.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  actionForm,
  alertText,
  assertFormPageBasics,
  assertInputsLabelled,
  assertNoSidewaysScroll,
  caseFacts,
  crc32,
  forgiveStatusReport,
  landOn,
  launchBrowser,
  newCitizen,
  noticeText,
  onePixelPng,
  open,
  register,
  section,
  settle,
  signIn,
  startServer,
  submitAndLand,
  submitExpecting,
  textOf,
} from './helpers.mjs';
import { stage } from './stage.mjs';

const TEST_TIMEOUT = 180_000;

// The departments of the flow (data/org/departments.toml).
const CGW = { code: '110000-CGW', name: '北京市城市管理委员会' };
const SCJGJ = { code: '110105-SCJGJ', name: '北京市朝阳区市场监督管理局' };

const STAFF = {
  dispatcher: {
    username: 'cgw.dispatch',
    displayName: '城管委调度员',
    args: ['--department', CGW.code, '--role', 'dispatcher'],
  },
  handler: {
    username: 'cy.scjgj.handler',
    displayName: '朝阳市监处置员',
    args: ['--department', SCJGJ.code, '--role', 'handler'],
  },
  supervisor: {
    username: 'city.supervisor',
    displayName: '电子监察员',
    args: ['--role', 'supervisor'],
  },
};

// What the flow types, to find again (or not) on the pages.
const TITLE = '东直门外大街井盖缺失';
const CATEGORY = '市政设施';
const DESCRIPTION = '东直门外大街 12 号门前人行道井盖缺失，夜间行人容易踩空。';
const NOTE = '请朝阳区市场监管局到场处置。';
const INTERNAL_COMMENT = '内部：已联系产权单位，明早更换井盖。';
const RESULT = '已更换井盖并设置警示标志，现场恢复通行。';
const ORDER = '请于今日内处置完毕并反馈。';
const ANSWER = '已安排人员到场，今日处置完毕。';
const PHOTO = 'manhole-cover.png';

let server;
let browser;
let tmpDir;
/** The people of the flow (stage.mjs): one browser context each. */
let person;
let createStaff;
let firstStaffSignIn;
let closePeople;
/** Filled in as the flow goes. */
const flow = { number: null };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-casework-'));
  ({ person, createStaff, firstStaffSignIn, close: closePeople } = stage(server, browser, STAFF));
});

after(async () => {
  if (closePeople) await closePeople();
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

const url = (p) => `${server.baseUrl}${p}`;

test('helpers: CRC-32 check value and the PNG signature', () => {
  assert.equal(crc32(Buffer.from('123456789', 'ascii')), 0xcbf43926);
  const png = onePixelPng();
  assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
  assert.equal(png.readUInt32BE(16), 1);
});

// ---------------------------------------------------------------------------

describe('a city management case from report to rating', () => {
  test('staff accounts from the CLI: one-time password, new password, TOTP enrolment', { timeout: TEST_TIMEOUT }, async () => {
    for (const key of Object.keys(STAFF)) {
      const oneTime = await createStaff(key);
      await firstStaffSignIn(key, oneTime);
    }
  });

  test('citizen: 我的案件 → 登记新案件; a blank 问题描述 is refused and marked, then the case is 待立案 and timed', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page, watch } = p;
    const c = newCitizen('刘小明');
    await register(page, watch, c);
    await signIn(page, watch, c.username, c.password, '/account');

    await page.locator('header nav').getByRole('link', { name: '我的案件', exact: true }).click();
    await landOn(page, watch, '/cases');
    assert.equal(await textOf(page.locator('h1')), '我的案件');
    await page.getByRole('link', { name: '登记新案件', exact: true }).click();
    await landOn(page, watch, '/cases/new');
    // Citizens may open several kinds of case, offered as chips: pick the city management one.
    const kinds = page.getByRole('navigation', { name: '案件类型', exact: true });
    const kind = kinds.getByRole('link', { name: '城市管理案件', exact: true });
    if ((await kind.getAttribute('aria-current')) !== 'page') {
      await kind.click();
      await page.waitForURL((u) => u.searchParams.get('process') === 'city_grid_case', { waitUntil: 'load' });
      await settle(page, watch);
    }
    assert.equal(await kind.getAttribute('aria-current'), 'page');
    const chips = await kinds.evaluate((nav) => {
      const ul = nav.querySelector('ul');
      const current = nav.querySelector('a[aria-current="page"]');
      const other = nav.querySelector('a:not([aria-current])');
      const style = (el) => getComputedStyle(el);
      return {
        listStyle: style(ul).listStyleType,
        display: style(ul).display,
        currentWeight: style(current).fontWeight,
        otherWeight: other ? style(other).fontWeight : null,
      };
    });
    // A row of chips, not a bulleted list, and the chosen one shows (not only to screen readers).
    assert.equal(chips.listStyle, 'none', `the kinds of case are a bulleted list: ${JSON.stringify(chips)}`);
    assert.equal(chips.display, 'flex', `the kinds of case are not laid out as chips: ${JSON.stringify(chips)}`);
    assert.notEqual(chips.currentWeight, chips.otherWeight, `the chosen kind of case looks like the others: ${JSON.stringify(chips)}`);
    assert.equal(await textOf(page.locator('h1')), '登记案件');
    assert.equal(await textOf(page.locator('main form h2')), '城市管理案件');
    await assertFormPageBasics(page);

    const form = page.locator('main form[action="/cases/new"]');
    await form.getByLabel('受理部门').selectOption({ label: CGW.name });
    await form.getByLabel('标题').fill(TITLE);
    await form.getByLabel('问题类别').fill(CATEGORY);
    // Blanks pass the browser's `required` check; the server trims them away.
    await form.getByLabel('问题描述').fill('   ');
    const location = form.getByRole('group', { name: '位置' });
    await location.getByLabel('地址').fill('北京市东城区东直门外大街 12 号');
    await location.getByLabel('纬度').fill('39.9409');
    await location.getByLabel('经度').fill('116.4342');
    await submitExpecting(page, watch, 422, () => form.getByRole('button', { name: '提交', exact: true }).click());

    assert.equal(new URL(page.url()).pathname, '/cases/new');
    assert.match(await alertText(page), /请检查标出的内容/);
    const description = page.getByLabel('问题描述');
    assert.equal(await description.getAttribute('aria-invalid'), 'true', '问题描述 is not marked aria-invalid');
    const errorId = await description.getAttribute('aria-describedby');
    assert.ok(errorId, '问题描述 has no aria-describedby pointing at its error');
    assert.match(await textOf(page.locator(`[id="${errorId}"]`)), /必填/);
    assert.equal(await page.getByLabel('问题类别').getAttribute('aria-invalid'), null, '问题类别 is marked invalid');
    assert.equal(await page.getByLabel('标题').inputValue(), TITLE, 'the typed title was not kept');
    assert.equal(await page.getByLabel('问题类别').inputValue(), CATEGORY);
    const chosen = await page.getByLabel('受理部门').evaluate((s) => s.selectedOptions[0]?.textContent.trim());
    assert.equal(chosen, CGW.name, 'the chosen department was not kept');
    assert.equal(await page.getByLabel('经度').inputValue(), '116.4342');
    await assertFormPageBasics(page);

    await page.getByLabel('问题描述').fill(DESCRIPTION);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'),
      page.waitForEvent('load'),
      page.getByRole('button', { name: '提交', exact: true }).click(),
    ]);
    assert.equal(res.status(), 303, `POST /cases/new answered ${res.status()}`);
    const landed = new URL(page.url());
    assert.match(landed.pathname, /^\/cases\/[^/]+$/, `after opening the case the browser is on ${page.url()}`);
    assert.equal(landed.searchParams.get('done'), 'opened');
    await settle(page, watch);

    flow.number = await textOf(page.locator('dl.facts code').first());
    assert.equal(landed.pathname, `/cases/${flow.number}`, 'the page shows another case number than its address');
    assert.match(await noticeText(page), /案件已提交/);
    assert.equal(await textOf(page.locator('h1')), TITLE);
    assert.deepEqual(await caseFacts(page), { state: '待立案', clock: '计时中' });
    const facts = await textOf(page.locator('main > dl.facts'));
    for (const want of [CGW.name, CATEGORY, DESCRIPTION, '东直门外大街 12 号']) {
      assert.ok(facts.includes(want), `the case facts do not show ${want}: ${facts}`);
    }
    // The applicant may withdraw, nothing else.
    assert.deepEqual(
      (await section(page, 'actions-heading').locator('form h3').allTextContents()).map((s) => s.trim()),
      ['撤回'],
    );
    await assertFormPageBasics(page);

    await open(p, '/cases');
    assert.equal(await page.locator('main table').getByRole('link', { name: flow.number }).count(), 1);
    await assertNoSidewaysScroll(page);
  });

  test('dispatcher: the case is in 我的待办; 立案, then 派遣 to 朝阳区市场监督管理局 → 处置中', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous test');
    const p = await person('dispatcher');
    const { page, watch } = p;
    await open(p, '/workbench');
    const tasks = section(page, 'my-tasks');
    assert.equal(await tasks.getByRole('link', { name: flow.number }).count(), 1, 'the new case is not in 我的待办');
    assert.equal(await section(page, 'dept-queue').getByRole('link', { name: flow.number }).count(), 1, 'the new case is not in 本部门队列');
    // The row says who reported it and how long is left on the clock.
    const row = tasks.locator('tbody tr').filter({ has: page.getByRole('link', { name: flow.number }) });
    const rowText = await textOf(row);
    assert.match(rowText, /刘小明/, `no reporter in the row: ${rowText}`);
    assert.match(rowText, /今日到期|剩 \d+ 个工作日/, `no time left in the row: ${rowText}`);
    await assertNoSidewaysScroll(page);
    await tasks.getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.equal((await caseFacts(page)).state, '待立案');
    await assertFormPageBasics(page);

    const registerForm = actionForm(page, '立案');
    await submitAndLand(p, () => registerForm.getByRole('button', { name: '立案', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '待派遣', clock: '计时中' });

    const dispatch = actionForm(page, '派遣');
    assert.equal(await dispatch.count(), 1, 'no 派遣 form after 立案');
    // The phone check with the department list in the page.
    await assertFormPageBasics(page);
    await dispatch.getByLabel('部门').selectOption({ label: SCJGJ.name });
    await dispatch.getByLabel('备注').fill(NOTE);
    await submitAndLand(p, () => dispatch.getByRole('button', { name: '派遣', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '处置中', clock: '计时中' });
    const facts = await textOf(page.locator('main > dl.facts'));
    assert.ok(facts.includes(SCJGJ.name), `承办部门 is not ${SCJGJ.name}: ${facts}`);
    const timeline = await textOf(section(page, 'timeline-heading'));
    for (const want of ['立案', '派遣', NOTE, SCJGJ.name]) {
      assert.ok(timeline.includes(want), `the timeline does not show ${want}: ${timeline}`);
    }
  });

  test('supervisor: the 电子监察 board; a 督办单 on the case puts its department on the board; a handler gets 403', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const sup = await person('supervisor');
    const { page, watch } = sup;
    await page.locator('header nav').getByRole('link', { name: '电子监察', exact: true }).click();
    await landOn(page, watch, '/supervision');
    assert.equal(await textOf(page.locator('h1')), '电子监察');
    // The board lists departments with warnings, cards or open orders: none yet.
    assert.equal(await page.locator('table#board tbody tr').filter({ hasText: SCJGJ.name }).count(), 0);

    // Supervisors may see any case and issue a supervision order (督办单) on an open one.
    await open(sup, `/cases/${flow.number}`);
    const orders = section(page, 'orders-heading');
    await assertFormPageBasics(page);
    await orders.getByLabel('督办内容').fill(ORDER);
    await submitAndLand(sup, () => orders.getByRole('button', { name: '发出督办单', exact: true }).click(), `/cases/${flow.number}`, 'order');
    assert.equal(await noticeText(page), '督办单已发出。');
    const issued = await textOf(section(page, 'orders-heading').locator('article.order'));
    assert.ok(issued.includes(ORDER) && issued.includes(SCJGJ.name), `the order shown: ${issued}`);

    await open(sup, '/supervision');
    const board = page.locator('table#board');
    assert.equal(await board.count(), 1, 'no board table on /supervision after an order');
    assert.equal(await textOf(board.locator('caption')), '按部门统计');
    // Lines are by the department handling the cases, and so is the column named.
    assert.equal(await textOf(board.locator('thead th').first()), '承办部门');
    const line = board.locator('tbody tr').filter({ hasText: SCJGJ.name });
    assert.equal(await line.count(), 1, `no board line for ${SCJGJ.name}`);
    const cells = (await line.locator('th, td').allTextContents()).map((x) => x.trim());
    // 在办 1, 未答复督办 1 (the first and last columns after the department).
    assert.equal(cells[1], '1', `在办: ${JSON.stringify(cells)}`);
    assert.equal(cells[5], '1', `未答复督办: ${JSON.stringify(cells)}`);
    await assertNoSidewaysScroll(page);

    const handler = await person('handler');
    const res = await handler.page.goto(url('/supervision'), { waitUntil: 'load' });
    assert.equal(res.status(), 403, `/supervision answered ${res.status()} to a handler`);
    await forgiveStatusReport(handler.watch, 403, res.url());
    await settle(handler.page, handler.watch);
    assert.equal(await textOf(handler.page.locator('h1')), '无权访问');
    assert.equal(
      await handler.page.locator('header nav').getByRole('link', { name: '电子监察' }).count(),
      0,
      'the handler is offered a 电子监察 link',
    );
  });

  test('handler: from 我的待办, uploads a PNG, writes an internal comment, reports it handled (处置反馈)', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('handler');
    const { page, watch } = p;
    await open(p, '/workbench');
    await section(page, 'my-tasks').getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.deepEqual(await caseFacts(page), { state: '处置中', clock: '计时中' });
    await assertFormPageBasics(page);

    const photo = path.join(tmpDir, PHOTO);
    fs.writeFileSync(photo, onePixelPng());
    const files = section(page, 'files-heading');
    await files.getByLabel('选择文件').setInputFiles(photo);
    await submitAndLand(p, () => files.getByRole('button', { name: '上传', exact: true }).click(), `/cases/${flow.number}`, 'file');
    assert.equal(await noticeText(page), '材料已上传。');
    const listed = section(page, 'files-heading').locator('ul.files li');
    assert.equal(await listed.count(), 1);
    assert.equal(await textOf(listed.getByRole('link')), PHOTO);
    assert.match(await textOf(listed), /image\/png/);

    const comments = section(page, 'comments-heading');
    await comments.getByLabel('写留言').fill(INTERNAL_COMMENT);
    await comments.getByLabel('仅工作人员可见').check();
    await submitAndLand(p, () => comments.getByRole('button', { name: '发表留言', exact: true }).click(), `/cases/${flow.number}`, 'comment');
    assert.equal(await noticeText(page), '留言已发表。');
    const posted = section(page, 'comments-heading').locator('ul.comments li');
    assert.equal(await posted.count(), 1);
    assert.match(await textOf(posted), /仅内部可见/);
    assert.ok((await textOf(posted)).includes(INTERNAL_COMMENT));

    // The supervisor's order is the handler's department's to answer.
    const order = section(page, 'orders-heading').locator('article.order');
    assert.ok((await textOf(order)).includes(ORDER));
    await order.getByLabel('答复').fill(ANSWER);
    await submitAndLand(p, () => order.getByRole('button', { name: '提交答复', exact: true }).click(), `/cases/${flow.number}`, 'answer');
    assert.equal(await noticeText(page), '督办答复已提交。');
    assert.ok((await textOf(section(page, 'orders-heading').locator('article.order'))).includes(ANSWER));

    const done = actionForm(page, '处置反馈');
    await done.getByLabel('处置结果').fill(RESULT);
    await submitAndLand(p, () => done.getByRole('button', { name: '处置反馈', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '待核查', clock: '计时中' });
    assert.equal(await section(page, 'actions-heading').count(), 0, 'the handler still has actions while the case awaits the check');
  });

  test('dispatcher: 核查结案 closes the case (已结案, 已办结); the statistics count it', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('dispatcher');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    assert.equal((await caseFacts(page)).state, '待核查');
    const close = actionForm(page, '核查结案');
    await submitAndLand(p, () => close.getByRole('button', { name: '核查结案', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '已结案', clock: '已办结' });
    assert.equal(await section(page, 'actions-heading').count(), 0, 'actions are offered on a closed case');
    // A closed case takes no more files.
    assert.equal(await page.getByLabel('选择文件').count(), 0);

    await page.locator('main').getByRole('link', { name: '工作台', exact: true }).click();
    await landOn(page, p.watch, '/workbench');
    assert.equal(await section(page, 'my-tasks').getByRole('link', { name: flow.number }).count(), 0, 'the closed case is still a task');
    await page.locator('main').getByRole('link', { name: '办件统计', exact: true }).click();
    await landOn(page, p.watch, '/workbench/statistics');
    assert.equal(await textOf(page.locator('h1')), '办件统计');
    // Cases count for the department that handled them.
    const line = page.locator('table#metrics tbody tr').filter({ hasText: SCJGJ.name }).filter({ hasText: '城市管理案件' });
    assert.equal(await line.count(), 1, `no statistics line for ${SCJGJ.name} / 城市管理案件`);
    // The table says what it groups by: the department and its part.
    const heads = (await page.locator('table#metrics thead th').allTextContents()).map((s) => s.trim());
    assert.deepEqual(heads.slice(0, 3), ['部门', '角色', '事项类型']);
    const cells = (await line.locator('th, td').allTextContents()).map((s) => s.trim());
    assert.equal(cells[1], '承办', `角色: ${JSON.stringify(cells)}`);
    // 受理 and 办结 (columns 4 and 5).
    assert.equal(cells[3], '1', `受理: ${JSON.stringify(cells)}`);
    assert.equal(cells[4], '1', `办结: ${JSON.stringify(cells)}`);
    await assertInputsLabelled(page);
    await assertNoSidewaysScroll(page);
  });

  test('citizen: sees the file and the result but not the internal comment; rates 满意 with the keyboard', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('citizen');
    const { page, watch } = p;
    await open(p, '/cases');
    const row = page.locator('main table tbody tr').filter({ hasText: flow.number });
    assert.match(await textOf(row), /已结案/);
    await row.getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.deepEqual(await caseFacts(page), { state: '已结案', clock: '已办结' });

    assert.equal(await textOf(section(page, 'files-heading').locator('ul.files a')), PHOTO);
    const timeline = await textOf(section(page, 'timeline-heading'));
    for (const want of ['处置反馈', '处置结果', RESULT, '核查结案', '已结案']) {
      assert.ok(timeline.includes(want), `the citizen's timeline does not show ${want}: ${timeline}`);
    }
    const main = await textOf(page.locator('main'));
    assert.ok(!main.includes(INTERNAL_COMMENT), 'the citizen sees the internal comment');
    assert.ok(!main.includes('仅内部可见'), 'the citizen sees an internal item');
    assert.equal(await section(page, 'comments-heading').locator('ul.comments li').count(), 0);
    // Staff names stay hidden from the applicant.
    for (const s of Object.values(STAFF)) assert.ok(!main.includes(s.displayName), `the citizen sees ${s.displayName}`);
    assert.equal(await page.getByLabel('仅工作人员可见').count(), 0, 'the citizen is offered an internal-only box');

    const rating = section(page, 'rate-heading');
    assert.equal(await textOf(rating.locator('h2')), '评价办理结果（好差评）');
    const grades = (await rating.getByRole('radio').evaluateAll((els) => els.map((e) => e.labels[0]?.textContent.trim())));
    assert.deepEqual(grades, ['非常满意', '满意', '基本满意', '不满意', '非常不满意']);
    await assertFormPageBasics(page);

    // Keyboard only: focus 满意, Space selects it, Tab to 评价内容 and type, Tab to the button, Enter.
    const satisfied = rating.getByLabel('满意', { exact: true });
    await satisfied.focus();
    await page.keyboard.press('Space');
    assert.equal(await satisfied.isChecked(), true, 'Space did not select 满意');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'rate-comment', 'Tab from the grades did not reach 评价内容');
    await page.keyboard.type('处理及时，谢谢。');
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent.trim()),
      '提交评价',
      'Tab from 评价内容 did not reach the 提交评价 button',
    );
    await submitAndLand(p, () => page.keyboard.press('Enter'), `/cases/${flow.number}`, 'rating');
    assert.equal(await noticeText(page), '感谢您的评价。');
    assert.equal(await section(page, 'rate-heading').count(), 0, 'the rating form is still offered');
    const given = await textOf(section(page, 'rating-heading').locator('p'));
    assert.match(given, /^满意：处理及时，谢谢。$/, `rating shown: ${JSON.stringify(given)}`);
    await assertNoSidewaysScroll(page);
  });

  // The opening event's fields are labelled from the process's start form.
  test('the opening event in the timeline labels its fields (问题类别, 问题描述)', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('citizen');
    await open(p, `/cases/${flow.number}`);
    const opened = section(p.page, 'timeline-heading').locator('ol.timeline > li').first();
    const labels = (await opened.locator('dt').allTextContents()).map((x) => x.trim());
    assert.deepEqual(labels, ['问题类别', '问题描述']);
  });
  // Everyone the flow concerned was told in their message centre.
  test('messages: each person was told what concerns them; opening one goes to the case; the header counts what is unread', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const unreadInHeader = async (page) => {
      const count = page.locator('header a.inbox .count');
      return (await count.count()) === 0 ? 0 : Number.parseInt(await textOf(count), 10);
    };
    const subjects = async (page) =>
      (await page.locator('ol.messages li h2').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());

    // The handler: the dispatched case and the supervisor's order.
    const handler = await person('handler');
    await open(handler, '/messages');
    const told = await subjects(handler.page);
    assert.ok(told.some((t) => t.includes('督办通知') && t.includes(flow.number)), `handler's messages: ${told}`);
    assert.ok(told.some((t) => t.includes('新的待办') && t.includes(flow.number)), `handler's messages: ${told}`);
    const before = await unreadInHeader(handler.page);
    assert.ok(before >= 2, `the header counts ${before} unread`);
    const first = handler.page.locator('ol.messages li').first();
    await Promise.all([
      handler.page.waitForURL((u) => u.pathname === `/cases/${flow.number}`, { waitUntil: 'load' }),
      first.getByRole('button', { name: '查看详情', exact: true }).click(),
    ]);
    await settle(handler.page, handler.watch);
    assert.equal(await unreadInHeader(handler.page), before - 1, 'opening a message reads it');

    // The dispatcher: the report, and the case back for its check.
    const dispatcher = await person('dispatcher');
    await open(dispatcher, '/messages');
    const tasks = (await subjects(dispatcher.page)).filter((t) => t.includes('新的待办') && t.includes(flow.number));
    assert.equal(tasks.length, 2, `the dispatcher was told of the report and of the check: ${tasks}`);

    // The supervisor: the department's answer to the order.
    const supervisor = await person('supervisor');
    await open(supervisor, '/messages');
    assert.ok((await subjects(supervisor.page)).some((t) => t.includes('督办已答复')), 'no answer told to the supervisor');

    // The citizen: the case closed; all read at once; in English too.
    const citizen = await person('citizen');
    await open(citizen, '/messages');
    const closed = (await subjects(citizen.page)).find((t) => t.includes(flow.number));
    assert.ok(closed && closed.includes('已结案'), `the citizen's messages: ${await subjects(citizen.page)}`);
    assert.ok(await unreadInHeader(citizen.page) >= 1);
    await Promise.all([
      citizen.page.waitForURL((u) => u.pathname === '/messages', { waitUntil: 'load' }),
      citizen.page.getByRole('button', { name: '全部标为已读', exact: true }).click(),
    ]);
    await settle(citizen.page, citizen.watch);
    assert.equal(await unreadInHeader(citizen.page), 0);
    assert.equal(await citizen.page.locator('ol.messages li.unread').count(), 0);
    await assertNoSidewaysScroll(citizen.page);
    await open(citizen, '/locale?lang=en&next=%2Fmessages');
    const english = await subjects(citizen.page);
    assert.ok(english.some((t) => t.includes('has been decided') && t.includes('Closed')), `in English: ${english}`);
    assert.equal(await textOf(citizen.page.locator('h1')), 'Messages');
    await open(citizen, '/locale?lang=zh-CN&next=%2Fmessages');
  });
});
