// Browser test of work-plan supervision (督查督办) as its people use it: the
// plan office of 市经济和信息化局 drafts this year's key tasks, adds an item
// and two tasks led by 市发展改革委 and 市财政局, and cannot publish until
// both confirm; each department confirms its share on the board, and the
// office publishes. 市发展改革委 reports on its task on a phone (a link that
// is not evidence refused once); 市财政局
// reports for January, late (when the year is past January's deadline),
// and is warned when the reminders are run for a day its current report is
// overdue. The office orders 市财政局 to act (督办), it answers on the case
// page, the office accepts; the year-end ranking and its summary PDF are
// produced.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone widths for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import {
  PHONE, actionForm, assertFormPageBasics, assertNoSidewaysScroll, assertUniqueIds, landOn, launchBrowser, open,
  pdfLines, runEgov, settle, shoot, startServer, submitAndLand, submitExpecting, textOf, watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 240_000;
const YEAR = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date());
const TODAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const PLAN = `${YEAR}年政务信息化重点任务`;
const ITEM = '推进政务服务一网通办';
const TASK_FGW = '建成投资项目在线审批监管平台';
const TASK_CZJ = '完成政务信息化项目资金绩效评价';

let server;
let browser;
let cast;
const flow = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    office: { username: 'jxj.office', displayName: '市经济和信息化局督查室', args: ['--department', '110000-JXJ', '--role', 'supervisor'] },
    fgw: { username: 'fgw.tasks', displayName: '市发展改革委信息处', args: ['--department', '110000-FGW', '--role', 'handler'] },
    czj: { username: 'czj.tasks', displayName: '市财政局信息处', args: ['--department', '110000-CZJ', '--role', 'handler'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** The day N working days after DAY, by the server's calendar. */
async function workdaysAfter(day, n) {
  const out = await runEgov(['calendar', 'due', day, String(n), '--data-dir', server.dataDir]);
  const m = /(\d{4}-\d{2}-\d{2})/.exec(out);
  assert.ok(m, `no date in: ${out}`);
  return m[1];
}

/** The last day of DAY's month. */
function monthEnd(day) {
  const [y, m] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** Adds a node on the board with the office's form. */
async function addNode(p, { level, parent, title, lead, partner, due, outcome }) {
  const form = p.page.locator('#node-form');
  await form.getByLabel('层级', { exact: true }).selectOption({ label: level });
  if (parent) await form.getByLabel('所属事项', { exact: true }).selectOption({ label: parent });
  await form.getByLabel('事项名称', { exact: true }).fill(title);
  if (lead) await form.getByLabel('牵头单位', { exact: true }).selectOption({ label: lead });
  if (partner) await form.getByLabel('配合单位 1', { exact: true }).selectOption({ label: partner });
  await form.getByLabel('责任人', { exact: true }).fill('王立新');
  await form.getByLabel('完成时限', { exact: true }).fill(due);
  await form.getByLabel('完成标志（可衡量）', { exact: true }).fill(outcome);
  await submitAndLand(p, () => form.getByRole('button', { name: '新增', exact: true }).click(), flow.board, 'added');
}

test('the office drafts a plan; the departments confirm their share; it is published', { timeout: TEST_TIMEOUT }, async () => {
  for (const name of ['office', 'fgw', 'czj']) {
    const otp = await cast.createStaff(name);
    await cast.firstStaffSignIn(name, otp);
  }
  const office = await cast.person('office');
  const { page, watch } = office;
  await open(office, '/workplans');
  await assertFormPageBasics(page);
  await page.getByLabel('计划名称', { exact: true }).fill(PLAN);
  await page.getByLabel('计划类型', { exact: true }).selectOption({ label: '重点任务' });
  await page.getByLabel('计划年度', { exact: true }).fill(YEAR);
  await page.getByLabel('向社会公开落实情况', { exact: true }).check();
  await page.getByRole('button', { name: '起草', exact: true }).click();
  await page.waitForURL((u) => /^\/workplans\/\d+$/.test(u.pathname) && u.searchParams.get('done') === 'drafted', { waitUntil: 'load' });
  await settle(page, watch);
  flow.board = new URL(page.url()).pathname;
  flow.id = flow.board.split('/').pop();

  // A task without a lead: the board again with the message, as typed.
  const form = page.locator('#node-form');
  await form.getByLabel('层级', { exact: true }).selectOption({ label: '要点' });
  await form.getByLabel('事项名称', { exact: true }).fill(ITEM);
  await form.getByLabel('责任人', { exact: true }).fill('王立新');
  await form.getByLabel('完成时限', { exact: true }).fill(`${YEAR}-12-31`);
  await form.getByLabel('完成标志（可衡量）', { exact: true }).fill('事项全部网上可办');
  await submitExpecting(page, watch, 422, () => form.getByRole('button', { name: '新增', exact: true }).click());
  assert.match(await textOf(page.locator('#form-error')), /每项任务都必须明确牵头单位/);
  assert.equal(await page.locator('#node-form').getByLabel('事项名称', { exact: true }).inputValue(), ITEM, 'kept as typed');

  await addNode(office, { level: '要点', title: ITEM, lead: '市发展改革委', partner: '市财政局', due: `${YEAR}-12-31`, outcome: '事项全部网上可办' });
  await addNode(office, { level: '任务', parent: ITEM, title: TASK_FGW, lead: '市发展改革委', due: `${YEAR}-12-31`, outcome: '平台上线运行并通过验收' });
  await addNode(office, { level: '任务', parent: ITEM, title: TASK_CZJ, lead: '市财政局', partner: '市发展改革委', due: `${YEAR}-12-31`, outcome: '评价报告报送市政府' });

  // Not yet: both departments must confirm.
  await page.getByLabel('版本说明', { exact: true }).fill('市政府常务会议审定');
  await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '发布新版本', exact: true }).click());
  const refused = await textOf(page.locator('#form-error'));
  assert.match(refused, /市发展改革委/);
  assert.match(refused, /市财政局/);
  watch.assertClean();

  for (const [name, code] of [['fgw', '110000-FGW'], ['czj', '110000-CZJ']]) {
    const p = await cast.person(name);
    await open(p, flow.board);
    const mine = p.page.locator(`#confirm-${code}`);
    await mine.getByLabel('确认', { exact: true }).check();
    await submitAndLand(p, () => mine.getByRole('button', { name: '提交意见', exact: true }).click(), flow.board, 'confirmed');
    p.watch.assertClean();
  }

  await open(office, flow.board);
  assert.match(await textOf(page.locator('#all-confirmed')), /均已确认/);
  await page.getByLabel('版本说明', { exact: true }).fill('市政府常务会议审定');
  await submitAndLand(office, () => page.getByRole('button', { name: '发布新版本', exact: true }).click(), flow.board, 'published');
  assert.match(await textOf(page.locator('#plan-status')), /已发布第 1 版/);
  const tree = await textOf(page.locator('#tree'));
  assert.match(tree, new RegExp(TASK_FGW));
  assert.match(tree, /正常推进/);
  await assertUniqueIds(page);
  await shoot(page, 'workplans-board-desktop');
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page);
  await shoot(page, 'workplans-board-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  const ids = await page.locator('#tree tbody tr').evaluateAll((rows) => rows.map((r) => r.id.replace('node-', '')));
  flow.tasks = { fgw: ids[1], czj: ids[2] };
  watch.assertClean();
});

test('the departments report: one on a phone, one late and warned', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.tasks, 'no plan from the previous test');
  const fgw = await cast.person('fgw');
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true, storageState: await fgw.context.storageState() });
  phone.setDefaultTimeout(20_000);
  try {
    const mobile = await phone.newPage();
    const watch = watchPage(mobile, server.baseUrl);
    await mobile.goto(`${server.baseUrl}/workplans/mine`, { waitUntil: 'load' });
    await settle(mobile, watch);
    await mobile.getByRole('link', { name: TASK_FGW }).first().click();
    await landOn(mobile, watch, `/workplans/tasks/${flow.tasks.fgw}`);
    await assertFormPageBasics(mobile);
    // A link that is not evidence: the form again, as typed.
    await mobile.getByLabel('完成进度（%）', { exact: true }).fill('40');
    await mobile.getByLabel('进展情况', { exact: true }).fill('完成需求调研和总体设计');
    await mobile.getByLabel('佐证链接', { exact: true }).fill('javascript:alert(1)');
    await submitExpecting(mobile, watch, 422, () => mobile.getByRole('button', { name: '报送', exact: true }).click());
    assert.match(await textOf(mobile.locator('#form-error')), /不是办件编号、本平台页面或 http\(s\) 地址/);
    assert.equal(await mobile.getByLabel('进展情况', { exact: true }).inputValue(), '完成需求调研和总体设计', 'kept as typed');
    await mobile.getByLabel('佐证链接', { exact: true }).fill('/disclosure');
    await mobile.getByRole('button', { name: '报送', exact: true }).click();
    await mobile.waitForURL((u) => u.searchParams.get('done') === 'reported', { waitUntil: 'load' });
    await settle(mobile, watch);
    assert.match(await textOf(mobile.locator('#report-list')), /完成需求调研和总体设计/);
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'workplans-report-phone');
    watch.assertClean();
  } finally {
    await phone.close();
  }

  // 市财政局 reports for January: late once January's report was due.
  const january = `${YEAR}-01`;
  const januaryDue = await workdaysAfter(`${YEAR}-01-31`, 5);
  const late = TODAY > januaryDue;
  const czj = await cast.person('czj');
  await open(czj, `/workplans/tasks/${flow.tasks.czj}`);
  await czj.page.getByLabel('报送周期', { exact: true }).selectOption(january);
  await czj.page.getByLabel('完成进度（%）', { exact: true }).fill('20');
  await czj.page.getByLabel('进展情况', { exact: true }).fill('完成评价方案');
  await submitAndLand(czj, () => czj.page.getByRole('button', { name: '报送', exact: true }).click(),
    `/workplans/tasks/${flow.tasks.czj}`, late ? 'reported_late' : 'reported');
  assert.equal(/逾期报送/.test(await textOf(czj.page.locator('#report-list'))), late);

  // The reminders run as of three working days after this month's report
  // was due: 市财政局 has not reported this month and is warned (unless
  // January, which it did report, is this month); 市发展改革委 has.
  const due = await workdaysAfter(monthEnd(TODAY), 5);
  const warnDay = await workdaysAfter(due, 3);
  const out = await runEgov(['workplan', 'remind', '--on', warnDay, '--data-dir', server.dataDir]);
  const warned = !TODAY.startsWith(january);
  assert.match(out, warned ? /raised: 1\b/ : /raised: 0\b/, out);
  await open(czj, `/workplans/tasks/${flow.tasks.czj}`);
  assert.equal((await czj.page.locator('#alerts').count()) > 0, warned);
  if (warned) {
    assert.match(await textOf(czj.page.locator('#alerts')), /督查预警/);
    await open(czj, '/messages');
    assert.match(await textOf(czj.page.locator('main')), /督查预警/);
  }
  await open(fgw, `/workplans/tasks/${flow.tasks.fgw}`);
  assert.equal(await fgw.page.locator('#alerts').count(), 0, 'the department that reported is not warned');
  czj.watch.assertClean();
  fgw.watch.assertClean();
});

test('the office issues a 督办 order, the department answers, the office accepts; the ranking and its PDF', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.tasks, 'no plan from the first test');
  const office = await cast.person('office');
  await open(office, `/workplans/tasks/${flow.tasks.czj}`);
  await office.page.getByLabel('督办事项和要求', { exact: true }).fill('请于五个工作日内报送评价工作的进度安排和资金测算');
  await office.page.getByLabel('答复时限（工作日）', { exact: true }).fill('5');
  await submitAndLand(office, () => office.page.getByRole('button', { name: '下发督办', exact: true }).click(),
    `/workplans/tasks/${flow.tasks.czj}`, 'ordered');
  const number = await textOf(office.page.locator('#order-list a').first());
  assert.match(number, /^\d+$/);

  const czj = await cast.person('czj');
  await open(czj, `/cases/${number}`);
  const answer = actionForm(czj.page, '答复督办');
  await answer.getByLabel('落实情况').fill('已报送进度安排和资金测算，评价工作十二月底前完成');
  await submitAndLand(czj, () => answer.getByRole('button', { name: '答复督办', exact: true }).click(), `/cases/${number}`, 'action');
  czj.watch.assertClean();

  // The answer waits on the office's supervision board.
  await open(office, '/workplans');
  await office.page.getByRole('link', { name: '督查工作台', exact: true }).click();
  await landOn(office.page, office.watch, '/workplans/office');
  assert.match(await textOf(office.page.locator('.order-list')), new RegExp(`${number}.*待审核答复`));
  await shoot(office.page, 'workplans-office-desktop');
  await open(office, `/workplans/tasks/${flow.tasks.czj}`);
  await submitAndLand(office, () => office.page.locator(`#accept-${number}`).getByRole('button', { name: '审核通过', exact: true }).click(),
    `/workplans/tasks/${flow.tasks.czj}`, 'order_accept');
  assert.match(await textOf(office.page.locator('#order-list')), /已办结/);
  await shoot(office.page, 'workplans-task-desktop');

  // The ranking, and its summary as the office's letter.
  await open(office, `/workplans/${flow.id}/summary`);
  const ranking = await textOf(office.page.locator('#ranking'));
  assert.match(ranking, /市发展改革委/);
  assert.match(ranking, /市财政局/);
  await assertUniqueIds(office.page);
  await shoot(office.page, 'workplans-summary-desktop');
  await office.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(office.page);
  await office.page.setViewportSize({ width: 1280, height: 800 });
  const got = await office.page.request.get(`${server.baseUrl}/workplans/${flow.id}/summary.pdf`);
  assert.equal(got.status(), 200);
  assert.equal(got.headers()['content-type'], 'application/pdf');
  const text = (await pdfLines(await got.body())).lines.join('');
  for (const said of ['落实情况的通报', PLAN, '市发展改革委', '市财政局', '北京市经济和信息化局']) {
    assert.ok(text.includes(said), `${said} not in the summary: ${text}`);
  }
  office.watch.assertClean();

  // Public: anyone reads the ranking.
  const visitor = await browser.newContext({ locale: 'zh-CN' });
  try {
    const page = await visitor.newPage();
    const res = await page.goto(`${server.baseUrl}/workplans/${flow.id}/summary`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.match(await textOf(page.locator('#ranking')), /市财政局/);
  } finally {
    await visitor.close();
  }
});
