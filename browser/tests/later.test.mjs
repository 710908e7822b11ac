// 容缺受理 in the browser: a material the guide lets follow later
// (网约车驾驶员证核发's 近期免冠照片) is left out at filing; the case lists it as
// owed; the handler's grant is refused until it arrives, and goes through once
// the citizen has uploaded it in its place on the case page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  actionForm,
  alertText,
  assertNoSidewaysScroll,
  caseFacts,
  landOn,
  launchBrowser,
  newCitizen,
  noticeText,
  onePagePdf,
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
// The item and its department (data/services/110000JTW0001.toml, data/org/departments.toml).
const ITEM = { code: '110000JTW0001', name: '网络预约出租汽车驾驶员证核发' };
const DEPT = { code: '110000-JTW', name: '北京市交通委员会' };
const LATER = '近期免冠照片';
const STAFF = {
  handler: {
    username: 'jtw.handler',
    displayName: '市交通委窗口',
    args: ['--department', DEPT.code, '--role', 'handler'],
  },
};

let server;
let browser;
let person;
let createStaff;
let firstStaffSignIn;
let closePeople;
const flow = { draft: null, number: null };

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

/** A PDF the upload forms take, named for the material. */
const pdf = (name) => ({ name: `${name}.pdf`, mimeType: 'application/pdf', buffer: onePagePdf(`later: ${Buffer.from(name).toString('hex')}`) });

/** The case page's checklist of materials accepted to follow later. */
const owed = (page) => section(page, 'owed-heading');

describe('容缺受理: left out at filing, owed on the case, needed before the grant', () => {
  test('handler: first sign-in', { timeout: TEST_TIMEOUT }, async () => {
    await firstStaffSignIn('handler', await createStaff('handler'));
  });

  test('citizen: files without the photo the guide lets follow later; the case lists it as owed', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page, watch } = p;
    const citizen = newCitizen('李文静');
    await register(page, watch, citizen);
    await signIn(page, watch, citizen.username, citizen.password, '/account');
    await open(p, `/services/${ITEM.code}`);
    await Promise.all([
      page.waitForURL((u) => /^\/applications\/\d+$/.test(u.pathname), { waitUntil: 'load' }),
      page.getByRole('button', { name: '在线申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    flow.draft = new URL(page.url()).pathname;
    await open(p, `${flow.draft}/materials`);
    const items = section(page, 'materials-heading').locator('ol.materials > li');
    const later = items.filter({ has: page.locator('h3', { hasText: LATER }) });
    assert.equal(await textOf(later.locator('h3 .badge')), '可容缺后补');
    const required = await items
      .filter({ has: page.locator('h3 .badge', { hasText: /^必需$/ }) })
      .locator('h3')
      .evaluateAll((hs) => hs.map((h) => h.firstChild.textContent.trim()));
    assert.ok(required.length >= 1 && !required.includes(LATER), `required: ${JSON.stringify(required)}`);
    for (const name of required) {
      await page.getByLabel(`选择文件（${name}）`, { exact: true }).setInputFiles(pdf(name));
      await submitAndLand(p, () => items.filter({ has: page.locator('h3', { hasText: name }) }).getByRole('button', { name: '上传', exact: true }).click(), `${flow.draft}/materials`, 'file');
    }
    assert.equal(await page.locator('#still-missing').count(), 0, 'the photo is asked for before filing');

    await open(p, `${flow.draft}/check`);
    const row = page.locator('#checked-materials > div').filter({ has: page.locator('dt', { hasText: LATER }) });
    assert.equal(await textOf(row.locator('dd').first()), '可容缺后补');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'),
      page.waitForEvent('load'),
      section(page, 'submit-heading').getByRole('button', { name: '提交申请', exact: true }).click(),
    ]);
    assert.equal(res.status(), 303);
    await settle(page, watch);
    flow.number = new URL(page.url()).pathname.split('/').pop();
    assert.match(flow.number, /^\d{11}$/);

    assert.equal(await textOf(owed(page).locator('h2')), '容缺受理的材料');
    const point = owed(page).locator('ol.checklist > li');
    assert.equal(await point.count(), 1);
    assert.match(await textOf(point), new RegExp(`^${LATER}\\s*待上传`));
    assert.equal(await textOf(page.locator('#owed-left')), '还有 1 项容缺材料未补交。');
    // The case's facts name what is owed, not its stored form.
    const facts = await textOf(page.locator('main > dl.facts'));
    assert.ok(facts.includes(`容缺后补的材料${LATER}`), `the facts: ${facts}`);
    assert.ok(!facts.includes('outstanding') && !facts.includes('{"name"'), `the facts show stored data: ${facts}`);
    await assertNoSidewaysScroll(page);
  });

  test('handler: accepts; the grant is refused while the photo is owed, and nothing changes', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('handler');
    const { page, watch } = p;
    await open(p, `/cases/${flow.number}`);
    await submitAndLand(p, () => actionForm(page, '受理').getByRole('button').click(), `/cases/${flow.number}`, 'action');
    assert.deepEqual((await caseFacts(page)).state, '审查');
    // The handler sees what is owed, without an upload slot of their own.
    assert.equal(await owed(page).locator('input[type=file]').count(), 0);
    await submitExpecting(page, watch, 409, () => actionForm(page, '准予许可').getByRole('button').click());
    assert.match(await alertText(page), /容缺受理的材料尚未补齐/);
    assert.equal((await caseFacts(page)).state, '审查', 'the refused grant changed the case');
  });

  test('citizen: uploads the photo in its place on the case page; the checklist is complete', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    await owed(page).getByLabel(`上传：${LATER}`, { exact: true }).setInputFiles(pdf(LATER));
    await submitAndLand(p, () => owed(page).getByRole('button', { name: `上传 ${LATER}`, exact: true }).click(), `/cases/${flow.number}`, 'file');
    assert.match(await textOf(owed(page).locator('ol.checklist > li')), new RegExp(`^${LATER}\\s*已上传`));
    assert.equal(await textOf(page.locator('#owed-left')), '容缺材料均已补齐。');
  });

  test('handler: grants the licence now that nothing is owed', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('handler');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    await submitAndLand(p, () => actionForm(page, '准予许可').getByRole('button').click(), `/cases/${flow.number}`, 'action');
    assert.deepEqual(await caseFacts(page), { state: '准予许可', clock: '已办结' });
    assert.match(await noticeText(page), /.+/);
  });
});
