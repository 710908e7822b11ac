// Browser test of citizen interaction as a resident uses it (issue point 6):
// a registered resident writes to the transport commission's mailbox and,
// on a phone, files a request for government information with the planning
// commission. The commission's handler asks once for a clarification (the
// one correction notice); the resident clarifies on the case page, the
// clock running again; the handler answers (予以公开). The transport
// commission answers the letter and publishes it from the proposal without
// personal data. The resident reads both answers on the case pages and
// rates both; anyone finds the letter on the public page without the
// resident's name or phone. The request is counted in the year's table.
// On the way, the planning commission publishes a document of its own
// accord, found by the public search.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone widths for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import {
  PHONE, actionForm, assertFormPageBasics, assertNoSidewaysScroll, assertUniqueIds, caseFacts, landOn,
  launchBrowser, newCitizen, noticeText, open, register, section, settle, shoot, signIn, startServer,
  submitAndLand, submitExpecting, textOf, watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 180_000;
const SUBJECT = '建议在劲松地铁站增设自行车停放区';
const LETTER =
  '我是住在劲松街道的居民，每天骑车到劲松地铁站换乘，站口没有自行车停放区，车辆乱停影响通行，建议增设停放区并划线管理。';
const ASKED = '本市城市更新项目的立项批复文件';
const CLARIFIED = '朝阳区劲松街道危旧楼房改建项目2025年的立项批复及其文号';
const PROVIDED = '该项目立项批复为京规自朝复〔2025〕18号，全文见附件，也可在本委网站“规划审批”栏目查阅。';
const REPLY = '感谢您的建议。我委已会同朝阳区在劲松地铁站东北口增设自行车停放区，并安排专人引导停放。';

let server;
let browser;
let cast;
const resident = newCitizen('赵晓雯');
const flow = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    planning: { username: 'ghz.disclosure', displayName: '市规划自然资源委信息公开', args: ['--department', '110000-GHZRZYW', '--role', 'handler'] },
    transport: { username: 'jtw.letters', displayName: '市交通委来信办理', args: ['--department', '110000-JTW', '--role', 'handler'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a resident writes to a department’s mailbox and, on a phone, requests information; nothing unidentifiable is taken', { timeout: TEST_TIMEOUT }, async () => {
  const p = await cast.person('resident');
  const { page, watch } = p;
  await register(page, watch, resident);
  await signIn(page, watch, resident.username, resident.password, '/account');

  await open(p, '/mailbox/write');
  await page.getByLabel('信箱', { exact: true }).selectOption({ label: '北京市交通委员会信箱' });
  await page.getByLabel('建议', { exact: true }).check();
  await page.getByLabel('标题', { exact: true }).fill(SUBJECT);
  await page.getByLabel('来信内容', { exact: true }).fill(LETTER);
  await page.getByLabel(/^同意在答复后公开/).check();
  await page.getByRole('button', { name: '提交来信', exact: true }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/cases/'), { waitUntil: 'load' });
  await settle(page, watch);
  flow.letter = new URL(page.url()).pathname.split('/').pop();
  assert.equal((await caseFacts(page)).state, '待受理');

  // The request, on a phone.
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true, storageState: await p.context.storageState() });
  phone.setDefaultTimeout(20_000);
  try {
    const mobile = await phone.newPage();
    const mwatch = watchPage(mobile, server.baseUrl);
    await mobile.goto(`${server.baseUrl}/`, { waitUntil: 'load' });
    const toggle = mobile.locator('.nav-toggle, button[aria-controls]').first();
    if (await toggle.count()) await toggle.click();
    await mobile.getByRole('link', { name: '信息公开', exact: true }).first().click();
    await landOn(mobile, mwatch, '/disclosure');
    assert.ok(Number(await textOf(mobile.locator('#found .count'))) >= 9, 'the demonstration documents are listed');
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'disclosure-list-phone');
    await mobile.getByRole('link', { name: '申请政府信息公开', exact: true }).click();
    await landOn(mobile, mwatch, '/disclosure/apply');
    await assertFormPageBasics(mobile);
    await mobile.getByLabel('受理机关', { exact: true }).selectOption({ label: '北京市规划和自然资源委员会' });
    await mobile.getByLabel(/^所需政府信息的名称/).fill('申请公开贵单位所有信息');
    await submitExpecting(mobile, mwatch, 422, () => mobile.getByRole('button', { name: '提交申请', exact: true }).click());
    assert.match(await textOf(mobile.locator('#form-error')), /没有指向具体的政府信息/);
    assert.equal(await mobile.getByLabel('受理机关', { exact: true }).inputValue(), '110000-GHZRZYW', 'kept as chosen');
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'disclosure-apply-refused-phone');
    await mobile.getByLabel(/^所需政府信息的名称/).fill(ASKED);
    await mobile.getByRole('button', { name: '提交申请', exact: true }).click();
    await mobile.waitForURL((u) => u.pathname.startsWith('/cases/') && u.searchParams.get('done') === 'opened', { waitUntil: 'load' });
    await settle(mobile, mwatch);
    flow.request = new URL(mobile.url()).pathname.split('/').pop();
    assert.equal((await caseFacts(mobile)).state, '待答复');
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'disclosure-request-filed-phone');
    mwatch.assertClean();
  } finally {
    await phone.close();
  }
  watch.assertClean();
});

test('the planning commission asks once for a clarification; the resident clarifies; the request is answered', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.request, 'no request from the previous test');
  for (const name of ['planning', 'transport']) {
    const otp = await cast.createStaff(name);
    await cast.firstStaffSignIn(name, otp);
  }
  const planning = await cast.person('planning');
  await open(planning, `/cases/${flow.request}`);
  const ask = actionForm(planning.page, '一次性告知补正');
  await ask.getByLabel('需要补正的事项').fill('请写明项目名称或所在区\n请写明批复的大致年份');
  await submitAndLand(planning, () => ask.getByRole('button', { name: '一次性告知补正', exact: true }).click(), `/cases/${flow.request}`, 'action');
  assert.equal((await caseFacts(planning.page)).state, '待补正');
  await shoot(planning.page, 'disclosure-correction-desktop');

  const resident = await cast.person('resident');
  await open(resident, `/cases/${flow.request}`);
  assert.equal((await caseFacts(resident.page)).state, '待补正');
  assert.match(await textOf(resident.page.locator('main')), /请写明项目名称或所在区/);
  const clarify = actionForm(resident.page, '提交补正');
  await clarify.getByLabel('补正内容').fill(CLARIFIED);
  await submitAndLand(resident, () => clarify.getByRole('button', { name: '提交补正', exact: true }).click(), `/cases/${flow.request}`, 'action');
  assert.equal((await caseFacts(resident.page)).state, '待答复');

  await open(planning, `/cases/${flow.request}`);
  assert.equal(await actionForm(planning.page, '一次性告知补正').count(), 0, 'a second correction notice is offered');
  const provide = actionForm(planning.page, '答复：予以公开');
  await provide.getByLabel(/^提供的信息/).fill(PROVIDED);
  await submitAndLand(planning, () => provide.getByRole('button', { name: '答复：予以公开', exact: true }).click(), `/cases/${flow.request}`, 'action');
  assert.equal((await caseFacts(planning.page)).state, '已答复');
  planning.watch.assertClean();
});

test('the transport commission answers the letter and publishes it without personal data', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.letter, 'no letter from the first test');
  const transport = await cast.person('transport');
  const { page, watch } = transport;
  await open(transport, `/cases/${flow.letter}`);
  const take = actionForm(page, '受理');
  await submitAndLand(transport, () => take.getByRole('button', { name: '受理', exact: true }).click(), `/cases/${flow.letter}`, 'action');
  const answer = actionForm(page, '答复');
  await answer.getByLabel('答复内容').fill(REPLY);
  await submitAndLand(transport, () => answer.getByRole('button', { name: '答复', exact: true }).click(), `/cases/${flow.letter}`, 'action');
  await page.getByRole('link', { name: '公开来信', exact: true }).click();
  await landOn(page, watch, `/mailbox/letters/${flow.letter}/publish`);
  const proposed = await page.getByLabel('来信内容', { exact: true }).inputValue();
  assert.ok(!proposed.includes('赵晓雯'), proposed);
  await page.getByRole('button', { name: '公开', exact: true }).click();
  await landOn(page, watch, `/mailbox/letters/${flow.letter}`);
  watch.assertClean();
});

test('the resident reads both answers and rates them; the letter is public without personal data', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.request && flow.letter, 'no request or letter from the earlier tests');
  const p = await cast.person('resident');
  const { page } = p;
  for (const [number, said] of [[flow.request, '京规自朝复〔2025〕18号'], [flow.letter, '增设自行车停放区']]) {
    await open(p, `/cases/${number}`);
    assert.match(await textOf(page.locator('main')), new RegExp(said));
    const rating = section(page, 'rate-heading');
    await rating.getByLabel('满意', { exact: true }).check();
    await submitAndLand(p, () => rating.getByRole('button', { name: '提交评价', exact: true }).click(), `/cases/${number}`, 'rating');
    assert.equal(await noticeText(page), '感谢您的评价。');
  }
  await shoot(page, 'disclosure-request-rated-desktop');

  for (const [label, viewport] of [['phone', PHONE], ['desktop', { width: 1280, height: 900 }]]) {
    const mobile = label === 'phone';
    const context = await browser.newContext({ locale: 'zh-CN', viewport, hasTouch: mobile, isMobile: mobile });
    context.setDefaultTimeout(20_000);
    try {
      const anyone = await context.newPage();
      const watch = watchPage(anyone, server.baseUrl);
      await anyone.goto(`${server.baseUrl}/mailbox?q=${encodeURIComponent('自行车停放区')}`, { waitUntil: 'load' });
      await settle(anyone, watch);
      await anyone.getByRole('link', { name: SUBJECT, exact: true }).click();
      await landOn(anyone, watch, `/mailbox/letters/${flow.letter}`);
      const shown = await textOf(anyone.locator('main'));
      for (const personal of ['赵晓雯', resident.phone, resident.residentId]) {
        assert.ok(!shown.includes(personal), `${personal} published: ${shown}`);
      }
      await assertUniqueIds(anyone);
      if (mobile) await assertNoSidewaysScroll(anyone);
      await shoot(anyone, `disclosure-letter-public-${label}`);

      const year = new Date().getFullYear();
      await anyone.goto(`${server.baseUrl}/disclosure/report?year=${year}&department=110000-GHZRZYW`, { waitUntil: 'load' });
      await settle(anyone, watch);
      const disclosed = anyone.locator('#report tr').filter({ hasText: '（一）予以公开' });
      assert.equal(await textOf(disclosed.locator('td').last()), '1', 'the answered request is counted');
      if (mobile) await assertNoSidewaysScroll(anyone);
      await shoot(anyone, `disclosure-report-${label}`);
      watch.assertClean();
    } finally {
      await context.close();
    }
  }
});

test('the planning commission publishes a document; anyone finds it', { timeout: TEST_TIMEOUT }, async () => {
  const planning = await cast.person('planning');
  const { page, watch } = planning;
  await open(planning, '/disclosure');
  await page.getByRole('link', { name: '发布公开信息', exact: true }).click();
  await landOn(page, watch, '/disclosure/publish');
  await assertFormPageBasics(page);
  await page.getByLabel('标题', { exact: true }).fill('关于劲松街道危旧楼房改建项目规划许可的公告');
  await page.getByLabel('文号', { exact: true }).fill('京规自朝告〔2026〕7号');
  await page.getByLabel('公开类别', { exact: true }).selectOption({ label: '行政许可' });
  await page.getByLabel('正文', { exact: true }).fill('劲松街道危旧楼房改建项目已取得建设工程规划许可证，现予公告，公告期十个工作日。');
  await page.getByRole('button', { name: '发布', exact: true }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/disclosure/documents/'), { waitUntil: 'load' });
  await settle(page, watch);
  await shoot(page, 'disclosure-document-desktop');
  await page.goto(`${server.baseUrl}/disclosure?q=${encodeURIComponent('危旧楼房改建')}`, { waitUntil: 'load' });
  await settle(page, watch);
  assert.ok(await page.getByRole('link', { name: '关于劲松街道危旧楼房改建项目规划许可的公告', exact: true }).count(), 'found');
  watch.assertClean();
});
