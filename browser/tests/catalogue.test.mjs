// Browser test of the information resource catalogue as its people use it.
//
// Anyone, signed out, on a phone and at a desk: the open data portal from
// the main navigation, a search, a department's facet, a dataset's page
// with its fields and first rows, and its data downloaded as CSV, Excel
// and JSON; nothing loads from outside hosts and nothing scrolls sideways.
//
// A department's catalogue administrator (统计局): the whole catalogue with
// its facets, a conditional resource of another department with its
// condition, and the data of one of the department's own resources loaded
// from a CSV file on its page (a bad file is shown again with the row and
// column at fault, and nothing is loaded); a new resource registered on the
// form on a phone (refused first, shown again as typed); the month's sharing
// assessment. Then sharing: 民政局's catalogue
// administrator asks for 统计局's conditional resource, 统计局's finds the
// request waiting on its catalogue page and grants part of it; the asker
// sees it granted.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone widths for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import { PHONE, assertFormPageBasics, assertNoSidewaysScroll, assertUniqueIds, launchBrowser, open, settle, shoot, startServer, submitExpecting, textOf, watchPage } from './helpers.mjs';

const TEST_TIMEOUT = 180_000;
const PHONE_390 = { width: 390, height: 844 };

let server;
let browser;
let cast;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    keeper: { username: 'tjj.catalogue', displayName: '统计局目录管理员', args: ['--department', '110000-TJJ', '--role', 'catalogue_admin'] },
    provider: { username: 'rsj.catalogue', displayName: '人社局目录管理员', args: ['--department', '110000-RSJ', '--role', 'catalogue_admin'] },
    consumer: { username: 'mzj.catalogue', displayName: '民政局目录管理员', args: ['--department', '110000-MZJ', '--role', 'catalogue_admin'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('anyone finds open data, reads a dataset and downloads it, on a phone and at a desk', { timeout: TEST_TIMEOUT }, async () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', PHONE], ['phone390', PHONE_390]]) {
    const mobile = label !== 'desktop';
    const context = await browser.newContext({ locale: 'zh-CN', viewport, hasTouch: mobile, isMobile: mobile });
    context.setDefaultTimeout(20_000);
    try {
      const page = await context.newPage();
      const watch = watchPage(page, server.baseUrl);
      await page.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
      if (mobile) {
        // The menu folds away on a phone.
        const toggle = page.locator('.nav-toggle, button[aria-controls]').first();
        if (await toggle.count()) await toggle.click();
      }
      await page.getByRole('link', { name: '数据开放', exact: true }).first().click();
      await page.waitForURL((u) => u.pathname === '/open-data', { waitUntil: 'load' });
      await settle(page, watch);
      assert.equal(await textOf(page.locator('h1')), '政务数据开放');
      const all = Number(await textOf(page.locator('#found .count')));
      assert.ok(all >= 15, `${all} open datasets`);
      await shoot(page, `open-data-${label}`);

      await page.getByLabel('检索资源', { exact: true }).fill('空气质量');
      await page.getByRole('button', { name: '检索', exact: true }).click();
      await page.waitForURL((u) => u.searchParams.get('q') === '空气质量', { waitUntil: 'load' });
      await settle(page, watch);
      const found = await textOf(page.locator('#resources'));
      assert.match(found, /空气质量监测站点日均值/);
      assert.doesNotMatch(found, /最低生活保障/, 'closed resources are not on the portal');

      // A provider's facet narrows the list, and the words stay.
      await page.locator('#facet-department a', { hasText: '北京市生态环境局' }).first().click();
      await page.waitForURL((u) => u.searchParams.get('department') === '110000-STHJJ', { waitUntil: 'load' });
      await settle(page, watch);
      assert.equal(new URL(page.url()).searchParams.get('q'), '空气质量');
      assert.equal(await page.locator('#facet-department a[aria-current="page"]').count(), 1);

      await page.getByRole('link', { name: '空气质量监测站点日均值', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/open-data/110000-sthjj-00001', { waitUntil: 'load' });
      await settle(page, watch);
      assert.match(await textOf(page.locator('#items')), /PM2\.5日均浓度/);
      assert.ok((await page.locator('#preview tbody tr').count()) >= 10, 'the first rows are shown');
      assert.equal(await page.locator('#sharing').count(), 0, 'the public page leaves out how departments share it');
      await assertUniqueIds(page);
      if (mobile) await assertNoSidewaysScroll(page);
      await shoot(page, `open-dataset-${label}`);

      // The downloads: CSV with a BOM for Excel, a workbook, JSON records.
      const href = (f) => page.locator('#downloads a', { hasText: f }).getAttribute('href');
      const csv = await page.request.get(`${server.baseUrl}${await href('CSV')}`);
      assert.equal(csv.status(), 200);
      const bytes = await csv.body();
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      assert.match(bytes.toString('utf8'), /^\uFEFFstation,district,date,aqi/);
      const xlsx = await page.request.get(`${server.baseUrl}${await href('XLSX')}`);
      assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK', 'an XLSX file is a zip');
      const json = await (await page.request.get(`${server.baseUrl}${await href('JSON')}`)).json();
      assert.ok(json.length >= 10 && json[0].station, JSON.stringify(json[0]));
      watch.assertClean();
    } finally {
      await context.close();
    }
  }
});

test('a catalogue administrator browses the whole catalogue and loads data from a file', { timeout: TEST_TIMEOUT }, async () => {
  const otp = await cast.createStaff('keeper');
  await cast.firstStaffSignIn('keeper', otp);
  const p = await cast.person('keeper');
  const { page, watch } = p;

  await open(p, '/catalogue');
  assert.equal(await textOf(page.locator('h1')), '政务信息资源目录');
  await page.locator('#facet-sharing a', { hasText: '有条件共享' }).click();
  await page.waitForURL((u) => u.searchParams.get('sharing') === 'conditional', { waitUntil: 'load' });
  await settle(page, watch);
  const listed = await textOf(page.locator('#resources'));
  assert.match(listed, /最低生活保障对象名单/);
  assert.doesNotMatch(listed, /空气质量监测站点日均值/);
  await shoot(page, 'catalogue-desktop');
  await page.getByRole('link', { name: '最低生活保障对象名单', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/catalogue/110000-MZJ-00002', { waitUntil: 'load' });
  await settle(page, watch);
  assert.equal(await textOf(page.locator('#sharing')), '有条件共享');
  assert.match(await textOf(page.locator('#metadata')), /仅用于社会救助/);
  assert.equal(await page.locator('#upload-form').count(), 0, 'another department’s resource: no upload');
  assert.equal(await page.locator('#request-form').count(), 1, 'it may be asked for');

  // Its own resource (各区常住人口): a bad file first, then a good one.
  await open(p, '/catalogue/110000-TJJ-00001');
  const columns = await page.locator('#items tbody tr td:nth-child(2) code').allTextContents();
  const before = await textOf(page.locator('#preview-heading .count'));
  // Every cell a word: the first column that is a number refuses it.
  const bad = `${columns.join(',')}\n` + columns.map(() => '二〇二六').join(',') + '\n';
  await page.getByLabel('数据文件', { exact: true }).setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad, 'utf8') });
  await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '装载', exact: true }).click());
  const error = await textOf(page.locator('#form-error'));
  assert.match(error, /第 2 行/, error);
  assert.equal(await textOf(page.locator('#preview-heading .count')), before, 'nothing loaded');
  await shoot(page, 'catalogue-upload-refused');

  // The file as downloaded from the portal, loaded again as a new version.
  const csv = await page.request.get(`${server.baseUrl}/open-data/110000-tjj-00001.csv`);
  await page.getByLabel('数据文件', { exact: true }).setInputFiles({ name: 'population.csv', mimeType: 'text/csv', buffer: await csv.body() });
  await page.getByRole('button', { name: '装载', exact: true }).click();
  await page.locator('#notice').waitFor();
  await settle(page, watch);
  assert.match(await textOf(page.locator('#notice')), /已装载为第 2 版/);
  assert.equal(await page.locator('#loads tbody tr').count(), 2, 'two versions listed');
  await shoot(page, 'catalogue-upload-done');

  // A new resource registered on the form, on a phone: a resource not
  // shared with no legal basis is shown again as typed; with its basis it
  // is registered, and its page has what was typed.
  await page.setViewportSize(PHONE);
  await open(p, '/catalogue');
  await page.getByRole('link', { name: '登记信息资源', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/catalogue/new', { waitUntil: 'load' });
  await settle(page, watch);
  await assertFormPageBasics(page);
  await shoot(page, 'catalogue-register-phone');
  await page.getByLabel('资源分类', { exact: true }).selectOption('101');
  await page.getByLabel('资源名称', { exact: true }).fill('各街道流动人口登记数');
  await page.getByLabel('资源摘要', { exact: true }).fill('各街道登记的流动人口数，按季度汇总。');
  await page.getByLabel('关键字', { exact: true }).fill('流动人口、街道');
  await page.getByLabel('资源格式', { exact: true }).fill('电子表格');
  await page.getByLabel('更新周期', { exact: true }).selectOption('quarterly');
  await page.getByLabel('不予共享', { exact: true }).check();
  await page.getByLabel('共享方式', { exact: true }).selectOption('');
  await page.getByLabel('信息项名称 1', { exact: true }).fill('街道');
  await page.getByLabel('字段名 1', { exact: true }).fill('street');
  await page.getByLabel('信息项名称 2', { exact: true }).fill('登记人数');
  await page.getByLabel('字段名 2', { exact: true }).fill('registered');
  await page.getByLabel('数据类型 2', { exact: true }).selectOption('integer');
  await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '登记', exact: true }).click());
  assert.match(await textOf(page.locator('#form-error')), /不予共享的资源须写明/);
  assert.equal(await page.getByLabel('资源名称', { exact: true }).inputValue(), '各街道流动人口登记数', 'kept as typed');
  await shoot(page, 'catalogue-register-refused-phone');
  await page.getByLabel('不予共享依据', { exact: true }).fill('《北京市流动人口服务管理条例》');
  await page.getByRole('button', { name: '登记', exact: true }).click();
  await page.waitForURL((u) => /^\/catalogue\/110000-TJJ-\d{5}$/.test(u.pathname), { waitUntil: 'load' });
  await settle(page, watch);
  assert.equal(await textOf(page.locator('h1')), '各街道流动人口登记数');
  assert.equal(await textOf(page.locator('#sharing')), '不予共享');
  assert.equal(await page.locator('#items tbody tr').count(), 2);
  await assertNoSidewaysScroll(page);
  await shoot(page, 'catalogue-registered-phone');
  // The month's sharing assessment, the city's departments ranked.
  await page.setViewportSize({ width: 1280, height: 900 });
  await open(p, '/catalogue');
  await page.locator('#assessment').click();
  await page.waitForURL((u) => u.pathname === '/rankings/catalogue.sharing_score', { waitUntil: 'load' });
  await settle(page, watch);
  assert.match(await textOf(page.locator('h1')), /政务信息资源共享考核/);
  assert.match(await textOf(page.locator('#ranking-table')), /统计局/, 'the demo departments ranked');
  await shoot(page, 'catalogue-assessment-desktop');
  watch.assertClean();
});

test('a department asks for another’s resource and its provider grants part of it', { timeout: TEST_TIMEOUT }, async () => {
  const otp = await cast.createStaff('consumer');
  await cast.firstStaffSignIn('consumer', otp);
  const asker = await cast.person('consumer');
  await open(asker, '/catalogue/110000-MZJ-00002');
  assert.equal(await asker.page.locator('#request-form').count(), 0, 'its own resource: nothing to ask for');
  await open(asker, '/catalogue/110000-GAJ-00001');
  assert.equal(await asker.page.locator('#request-form').count(), 0, 'not shared: nothing to ask for');
  assert.match(await textOf(asker.page.locator('#legal-basis')), /法/);
  await open(asker, '/catalogue/110000-RSJ-00001');
  const a = asker.page;
  await a.getByLabel('用途', { exact: true }).fill('低保家庭成员就业状况核查');
  const until = new Date(Date.now() + 180 * 86400_000).toISOString().slice(0, 10);
  await a.getByLabel('使用截止日期', { exact: true }).fill(until);
  await a.getByRole('button', { name: '提交申请', exact: true }).click();
  await a.locator('#notice').waitFor();
  await settle(a, asker.watch);
  assert.match(await textOf(a.locator('#notice')), /申请已提交提供方/);
  await a.getByRole('link', { name: '查看申请', exact: true }).click();
  await a.waitForURL((u) => u.pathname.startsWith('/catalogue/requests/'), { waitUntil: 'load' });
  await settle(a, asker.watch);
  const requestPath = new URL(a.url()).pathname;
  assert.equal(await textOf(a.locator('#request-state')), '待提供方审核');
  await shoot(a, 'catalogue-request-desktop');
  asker.watch.assertClean();

  // The provider finds it waiting and grants it without the arrears.
  const otp2 = await cast.createStaff('provider');
  await cast.firstStaffSignIn('provider', otp2);
  const provider = await cast.person('provider');
  await open(provider, '/catalogue');
  const q = provider.page;
  await q.locator(`#awaiting a[href="${requestPath}"]`).click();
  await q.waitForURL((u) => u.pathname === requestPath, { waitUntil: 'load' });
  await settle(q, provider.watch);
  assert.match(await textOf(q.locator('#request-facts')), /北京市民政局/);
  await q.locator('#grant-form').getByLabel('欠费月数', { exact: true }).uncheck();
  await q.locator('#grant-form').getByRole('button', { name: '同意', exact: true }).click();
  await q.waitForURL((u) => u.pathname === requestPath, { waitUntil: 'load' });
  await settle(q, provider.watch);
  assert.equal(await textOf(q.locator('#request-state')), '已同意共享');
  assert.equal(await q.locator('#grant-form').count(), 0, 'answered once');

  // The asker's own view, on a phone.
  await a.setViewportSize(PHONE);
  await open(asker, requestPath);
  assert.equal(await textOf(a.locator('#request-state')), '已同意共享');
  await assertNoSidewaysScroll(a);
  await shoot(a, 'catalogue-request-phone');
  provider.watch.assertClean();
  asker.watch.assertClean();
});
