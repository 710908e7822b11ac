// Browser test of grid city management as a resident uses it on a phone:
// sign in, choose the kind of problem, tap the map (the city's streets,
// drawn from egov's own layers), answer the class's question, describe it,
// add a photo and send it; then follow it by its link without signing in,
// waiting to be filed by the command centre.
//
// Then the same problem again: a neighbour is offered the report nearby
// and follows it instead; another reports it anyway; the district's
// dispatcher files the first report and merges the second into its case.
//
// Then a report the dispatcher files from the centre's list and sends on
// the routing advice is handled and
// closed, and its reporter rates the outcome by the link, signed out, on a
// phone; the dispatcher's call-back page shows the rating.
//
// Last, a system administrator changes the dispatch rules on the settings
// page: a wrong file is shown again with what is wrong, a right one is
// loaded as the new version in force.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone width for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import {
  PHONE,
  assertFormPageBasics,
  assertNoSidewaysScroll,
  assertUniqueIds,
  landOn,
  launchBrowser,
  newCitizen,
  onePixelPng,
  register,
  runEgov,
  settle,
  shoot,
  signIn,
  startServer,
  submitExpecting,
  textOf,
  watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 180_000;

let server;
let browser;
let cast;
/** The follow link of the first report, its id, and its case number once filed. */
let first;
/** The report the dispatcher sent to the enforcement bureau: its link and case number. */
let dispatched;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    dispatcher: { username: 'dispatch.dc', displayName: '东城调度', args: ['--department', '110101-CGZX', '--role', 'dispatcher'] },
    handler: { username: 'handler.cgzfj', displayName: '东城执法', args: ['--department', '110101-CGZFJ', '--role', 'handler'] },
    admin: { username: 'admin.grid', displayName: '系统管理员', args: ['--role', 'system_admin'] },
  });
  // The demo grid: 东城区 and 西城区 to the unit cell.
  await runEgov(['grid', 'demo', '--data-dir', server.dataDir]);
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a resident reports a missing manhole cover with a photo and follows it by link', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    const resident = newCitizen('网格报告');
    await register(page, watch, resident);
    await signIn(page, watch, resident.username, resident.password, '/account');

    // From the main navigation, on a phone.
    await page.goto(`${server.baseUrl}/grid/report`, { waitUntil: 'load' });
    await settle(page, watch);
    assert.equal(await textOf(page.locator('h1')), '报告城市管理问题');
    await page.getByLabel('问题类别', { exact: true }).selectOption('c0101');
    await page.getByRole('button', { name: '下一步', exact: true }).click();
    await landOn(page, watch, '/grid/report');
    await assertFormPageBasics(page);
    assert.match(await textOf(page.locator('#chosen')), /上水井盖/);

    // The map draws the streets; a tap puts the marker and fills the fields.
    const map = page.locator('#report-map');
    await page.waitForFunction(() => document.querySelectorAll('#report-map path.leaflet-interactive').length >= 30);
    // Below the menu on a phone: in view before it is tapped.
    await map.scrollIntoViewIfNeeded();
    const box = await map.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const lat = page.getByLabel('纬度', { exact: true });
    const lon = page.getByLabel('经度', { exact: true });
    assert.match(await lat.inputValue(), /^39\.\d{6}$/);
    assert.match(await lon.inputValue(), /^116\.\d{6}$/);
    await shoot(page, 'grid-report-phone');
    // Typed, as a keyboard user would: beside 东华门.
    await lat.fill('39.9295');
    await lon.fill('116.4095');
    await page.getByLabel('地址或位置描述', { exact: true }).fill('东华门大街 12 号门前');
    await page.getByLabel('井盖状况', { exact: false }).selectOption('missing');
    await page.getByLabel('问题描述', { exact: true }).fill('上水井盖丢失，夜间行人容易跌落。');
    await page.getByLabel('现场照片', { exact: true }).setInputFiles({
      name: 'cover.png',
      mimeType: 'image/png',
      buffer: onePixelPng(),
    });
    await page.getByRole('button', { name: '提交报告', exact: true }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/grid/follow/'), { waitUntil: 'load' });
    await settle(page, watch);
    const link = await textOf(page.locator('#follow-link'));
    assert.ok(link.endsWith(new URL(page.url()).pathname), link);

    // Anyone holding the link follows it, signed in or not.
    const stranger = await browser.newContext({ locale: 'zh-CN' });
    try {
      const other = await stranger.newPage();
      const otherWatch = watchPage(other, server.baseUrl);
      // A request from the moment it was received, waiting to be filed.
      await other.goto(link, { waitUntil: 'load' });
      await settle(other, otherWatch);
      assert.equal(await textOf(other.locator('#follow-step')), '待立案');
      first = { link, id: await textOf(other.locator('#follow-facts code')) };
      const facts = await textOf(other.locator('#follow-facts'));
      assert.match(facts, /上水井盖/);
      assert.match(facts, /北京市东城区城市管理指挥中心/);
      assert.equal(await other.locator('.photos img').count(), 1);
      const thumb = await other.locator('.photos img').getAttribute('src');
      const res = await other.request.get(`${server.baseUrl}${thumb}`);
      assert.equal(res.headers()['content-type'], 'image/jpeg');
      assert.ok(!(await other.content()).includes(resident.username));
      await other.setViewportSize({ width: 1280, height: 900 });
      await shoot(other, 'grid-follow-desktop');
      await other.setViewportSize(PHONE);
      await shoot(other, 'grid-follow-phone');
    } finally {
      await stranger.close();
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.baseUrl}/grid/report?service=e0102`, { waitUntil: 'load' });
    await settle(page, watch);
    await page.waitForFunction(() => document.querySelectorAll('#report-map path.leaflet-interactive').length >= 30);
    await shoot(page, 'grid-report-desktop');
  } finally {
    await context.close();
  }
});

/** Sends the report form and lands on its follow page, waiting to be filed; answers its id. */
async function sendAndFollow(page, watch) {
  await page.getByRole('button', { name: '提交报告', exact: true }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/grid/follow/'), { waitUntil: 'load' });
  await settle(page, watch);
  assert.equal(await textOf(page.locator('#follow-step')), '待立案');
  return textOf(page.locator('#follow-facts code'));
}

/** The case number a page at `/grid/requests/{number}/…` is about. */
function caseOf(page) {
  return new URL(page.url()).pathname.split('/')[3];
}

/** Signs a new resident in, in a phone-sized context of their own. */
async function resident(name) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const watch = watchPage(page, server.baseUrl);
  const who = newCitizen(name);
  await register(page, watch, who);
  await signIn(page, watch, who.username, who.password, '/account');
  return { context, page, watch };
}

/** On the report page for a missing cover, at the first report's place. */
async function atTheSamePlace(page, watch) {
  await page.goto(`${server.baseUrl}/grid/report?service=c0101`, { waitUntil: 'load' });
  await settle(page, watch);
  await page.getByLabel('纬度', { exact: true }).fill('39.9296');
  await page.getByLabel('经度', { exact: true }).fill('116.4096');
  await page.getByLabel('经度', { exact: true }).press('Tab');
}

test('the same problem again is followed, or merged by the dispatcher', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(first, 'the first test reported the problem');
  // A neighbour is offered the report 15 m away, waiting to be filed, and
  // follows it.
  const neighbour = await resident('关注邻居');
  try {
    const { page, watch } = neighbour;
    await atTheSamePlace(page, watch);
    const offered = page.locator('#nearby');
    await offered.waitFor({ state: 'visible' });
    assert.match(await textOf(offered), new RegExp(`${first.id} · 待立案`));
    await shoot(page, 'grid-report-nearby-phone');
    await page.getByRole('button', { name: `关注此问题 ${first.id}`, exact: true }).click();
    await page.waitForURL((u) => u.pathname === new URL(first.link).pathname, { waitUntil: 'load' });
    await settle(page, watch);
    assert.match(await textOf(page.locator('#followed')), /您已关注此问题/);
  } finally {
    await neighbour.context.close();
  }

  // Another reports it anyway.
  const another = await resident('重复报告');
  let second;
  try {
    const { page, watch } = another;
    await atTheSamePlace(page, watch);
    await page.locator('#nearby').waitFor({ state: 'visible' });
    await page.getByLabel('井盖状况', { exact: false }).selectOption('broken');
    await page.getByLabel('问题描述', { exact: true }).fill('井盖破损，还没修。');
    second = await sendAndFollow(page, watch);
  } finally {
    await another.context.close();
  }

  // The dispatcher files the first report from its page, then merges the
  // second into the first's case from the second's page.
  const oneTime = await cast.createStaff('dispatcher');
  await cast.firstStaffSignIn('dispatcher', oneTime);
  const d = await cast.person('dispatcher');
  await d.page.setViewportSize({ width: 1280, height: 900 });
  await d.page.goto(`${server.baseUrl}/grid/reports/${first.id}`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  assert.match(await textOf(d.page.locator('#report-facts')), /上水井盖/);
  await assertUniqueIds(d.page);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-filing-desktop');
  await d.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-filing-phone');
  await d.page.setViewportSize({ width: 1280, height: 900 });
  // Refusing asks for the reasons first: the page comes back saying so.
  await d.page.getByLabel('不予立案（如信息不实、已解决、无法核实）', { exact: true }).check();
  await d.page.getByLabel('理由', { exact: true }).fill(' ');
  await submitExpecting(d.page, d.watch, 400, () => d.page.getByRole('button', { name: '确定', exact: true }).click());
  assert.match(await textOf(d.page.locator('#decide-error')), /请填写理由/);
  await d.page.getByRole('button', { name: '立案', exact: true }).click();
  await d.page.waitForURL((u) => /^\/grid\/requests\/[^/]+\/dispatch$/.test(u.pathname), { waitUntil: 'load' });
  await settle(d.page, d.watch);
  first.number = caseOf(d.page);
  await d.page.goto(`${server.baseUrl}/grid/reports/${second}`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  // One open case nearby: one merge form, with its one field.
  await assertUniqueIds(d.page);
  assert.equal(await d.page.getByLabel('并案说明（可不填）', { exact: true }).count(), 1);
  await d.page.getByRole('button', { name: `并入案件 ${first.number}`, exact: true }).click();
  await landOn(d.page, d.watch, `/cases/${first.number}`);
  // The second report's page now leads to its case, ended as merged.
  await d.page.goto(`${server.baseUrl}/grid/reports/${second}`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  assert.match(await textOf(d.page.locator('main')), /已并案/);
  d.watch.assertClean();
});

test('the command centre sees a new report arrive without reloading', { timeout: TEST_TIMEOUT }, async () => {
  const d = await cast.person('dispatcher');
  await d.page.setViewportSize({ width: 1280, height: 900 });
  await d.page.goto(`${server.baseUrl}/grid/centre`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  assert.equal(await textOf(d.page.locator('h1')), '城市管理监督指挥中心');
  await d.page.waitForFunction(() => document.querySelectorAll('#centre-map path.leaflet-interactive').length >= 30);
  assert.match(await textOf(d.page.locator('#centre-cases')), new RegExp(first.number));

  // A resident reports; the centre's list and map show it of themselves,
  // waiting to be filed.
  const someone = await resident('实时报告');
  let number;
  try {
    const { page, watch } = someone;
    await page.goto(`${server.baseUrl}/grid/report?service=e0102`, { waitUntil: 'load' });
    await settle(page, watch);
    await page.getByLabel('纬度', { exact: true }).fill('39.9120');
    await page.getByLabel('经度', { exact: true }).fill('116.3650');
    await page.getByLabel('问题描述', { exact: true }).fill('路边垃圾无人清运。');
    number = await sendAndFollow(page, watch);
  } finally {
    await someone.context.close();
  }
  // A report's id is a short number: wait for its row's link, not its text.
  await d.page.waitForFunction(
    (n) => document.querySelector(`#centre-cases a[href="/grid/reports/${n}"]`) !== null,
    number,
    { timeout: 20_000 },
  );
  assert.match(await textOf(d.page.locator('#centre-cases tbody')), /暴露垃圾/);
  d.watch.assertClean();
  await shoot(d.page, 'grid-centre-desktop');
  await d.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-centre-phone');
});

test('the dispatcher files a report and dispatches it on the routing advice', { timeout: TEST_TIMEOUT }, async () => {
  // A resident reports spilt spoil from a lorry, which a routing rule sends
  // to the enforcement bureau rather than the sub-class's default.
  const someone = await resident('渣土报告');
  let number;
  try {
    const { page, watch } = someone;
    await page.goto(`${server.baseUrl}/grid/report?service=e0102`, { waitUntil: 'load' });
    await settle(page, watch);
    await page.getByLabel('纬度', { exact: true }).fill('39.9330');
    await page.getByLabel('经度', { exact: true }).fill('116.4180');
    await page.getByLabel('问题描述', { exact: true }).fill('路口渣土车遗撒，满地泥土。');
    number = await sendAndFollow(page, watch);
    dispatched = { link: page.url() };
  } finally {
    await someone.context.close();
  }

  // From the centre's list to the report's page, where the routing advice
  // already shows; filing it leads on to the dispatch.
  const d = await cast.person('dispatcher');
  await d.page.setViewportSize({ width: 1280, height: 900 });
  await d.page.goto(`${server.baseUrl}/grid/centre`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  await d.page.locator(`#centre-cases a[href="/grid/reports/${number}"]`).click();
  await landOn(d.page, d.watch, `/grid/reports/${number}`);
  assert.match(await textOf(d.page.locator('#routed')), /规则：渣土车遗撒归城管执法/);
  await d.page.getByRole('button', { name: '立案', exact: true }).click();
  await d.page.waitForURL((u) => /^\/grid\/requests\/[^/]+\/dispatch$/.test(u.pathname), { waitUntil: 'load' });
  await settle(d.page, d.watch);
  number = caseOf(d.page);
  dispatched.number = number;
  assert.match(await textOf(d.page.locator('#routed')), /规则：渣土车遗撒归城管执法/);
  // The demonstration's classifier, trained on its made-up history, agrees.
  assert.match(await textOf(d.page.locator('#suggested')), /城市管理综合行政执法局.*置信度 \d+%/);
  assert.match(await textOf(d.page.locator('#model')), /准确率 \d+%/);
  const chosen = d.page.getByLabel('处置部门', { exact: true });
  assert.equal(await chosen.inputValue(), '110101-CGZFJ');
  await assertUniqueIds(d.page);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-dispatch-desktop');
  await d.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-dispatch-phone');
  await d.page.getByRole('button', { name: '派遣', exact: true }).click();
  await landOn(d.page, d.watch, `/cases/${number}`);
  assert.match(await textOf(d.page.locator('main')), /处置中/);
  d.watch.assertClean();
});

test('the handled case is closed, and its reporter rates it by the link without signing in', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(dispatched, 'the dispatch test sent a case to the enforcement bureau');
  const { number, link } = dispatched;
  // The bureau reports it handled; the dispatcher checks and closes it.
  const oneTime = await cast.createStaff('handler');
  await cast.firstStaffSignIn('handler', oneTime);
  const h = await cast.person('handler');
  await h.page.goto(`${server.baseUrl}/cases/${number}`, { waitUntil: 'load' });
  await settle(h.page, h.watch);
  await h.page.getByLabel('处置结果').fill('已清扫遗撒渣土并处罚运输单位。');
  await h.page.getByRole('button', { name: '处置反馈', exact: true }).click();
  await landOn(h.page, h.watch, `/cases/${number}`);
  const d = await cast.person('dispatcher');
  await d.page.setViewportSize({ width: 1280, height: 900 });
  await d.page.goto(`${server.baseUrl}/cases/${number}`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  await d.page.getByRole('button', { name: '核查结案', exact: true }).click();
  await landOn(d.page, d.watch, `/cases/${number}`);
  assert.match(await textOf(d.page.locator('main')), /已结案/);

  // The reporter opens the link on a phone, signed out: the outcome, a
  // rating form and the "not fixed" form.
  const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    await page.goto(link, { waitUntil: 'load' });
    await settle(page, watch);
    assert.match(await textOf(page.locator('#follow-status')), /办理已结束/);
    await assertUniqueIds(page);
    await assertNoSidewaysScroll(page);
    await shoot(page, 'grid-follow-rate-phone');
    // Dissatisfied needs a reason: the form comes back saying so.
    await page.getByLabel('不满意', { exact: true }).check();
    await submitExpecting(page, watch, 400, () => page.getByRole('button', { name: '提交评价', exact: true }).click());
    assert.match(await textOf(page.locator('#rate-error')), /选择不满意时，请说明原因/);
    await page.getByLabel('不满意', { exact: true }).check();
    await page.getByLabel('评价内容', { exact: true }).fill('路面还有泥，没有冲洗。');
    await page.getByRole('button', { name: '提交评价', exact: true }).click();
    await page.waitForURL((u) => u.search === '?rated=1', { waitUntil: 'load' });
    await settle(page, watch);
    assert.match(await textOf(page.locator('#rated')), /感谢您的评价/);
    assert.match(await textOf(page.locator('#rating-given')), /不满意/);
    assert.equal(await page.getByRole('button', { name: '提交评价', exact: true }).count(), 0);
    await page.setViewportSize({ width: 1280, height: 900 });
    await shoot(page, 'grid-follow-rated-desktop');
    watch.assertClean();
  } finally {
    await context.close();
  }

  // The dispatcher's call-back page shows the rating on record, and asks for none.
  await d.page.goto(`${server.baseUrl}/grid/requests/${number}/reporter`, { waitUntil: 'load' });
  await settle(d.page, d.watch);
  assert.match(await textOf(d.page.locator('#rating-on-record')), /不满意/);
  assert.equal(await d.page.getByRole('button', { name: '记录回访结果', exact: true }).count(), 0);
  await assertNoSidewaysScroll(d.page);
  await shoot(d.page, 'grid-callback-desktop');
  d.watch.assertClean();
  h.watch.assertClean();
});

test('an administrator loads new dispatch rules on the settings page, a wrong file first', { timeout: TEST_TIMEOUT }, async () => {
  const oneTime = await cast.createStaff('admin');
  await cast.firstStaffSignIn('admin', oneTime);
  const { page, watch } = await cast.person('admin');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.baseUrl}/admin`, { waitUntil: 'load' });
  await settle(page, watch);
  await page.getByRole('link', { name: '城市管理分类与派遣设置', exact: true }).click();
  await landOn(page, watch, '/admin/grid');
  const rules = page.getByLabel('派遣规则文件', { exact: true });
  assert.match(await rules.inputValue(), /version = "2026-12"/);
  assert.match(await page.getByLabel('问题分类文件', { exact: true }).inputValue(), /\[\[class\]\]/);
  await assertFormPageBasics(page);
  const wrong = 'version = "2027-01"\n[[rule]]\nname = "渣土车一律交公安"\nservice = "e99"\ndepartment = "GAJ"\n';
  await rules.fill(wrong);
  await submitExpecting(page, watch, 400, () =>
    page.getByRole('button', { name: '校验并载入新版本派遣规则', exact: true }).click());
  assert.match(await textOf(page.locator('#rules-error')), /文件有误，未载入.*rule 1/);
  assert.equal(await page.getByLabel('派遣规则文件', { exact: true }).inputValue(), wrong);
  const right = wrong.replace('e99', 'e01').replace('department', 'words = ["渣土车"]\ndepartment');
  await page.getByLabel('派遣规则文件', { exact: true }).fill(right);
  await page.getByRole('button', { name: '校验并载入新版本派遣规则', exact: true }).click();
  await landOn(page, watch, '/admin/grid');
  assert.equal(new URL(page.url()).search, '?done=routing');
  assert.match(await textOf(page.locator('#done')), /新版本派遣规则已载入/);
  assert.match(await textOf(page.locator('section[aria-labelledby="rules-heading"] tbody tr').first()), /2027-01 · 现行/);
  assert.match(await page.getByLabel('派遣规则文件', { exact: true }).inputValue(), /渣土车一律交公安/);
  await assertUniqueIds(page);
  await assertNoSidewaysScroll(page);
  await shoot(page, 'grid-admin-desktop');
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page);
  await shoot(page, 'grid-admin-phone');
  watch.assertClean();
});
