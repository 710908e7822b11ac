// Browser test of the online service hall (一网通办), end to end: a citizen
// registers, searches the hall in Chinese (二手房), opens the guide of
// 存量房买卖转移登记 (a joint item: 市规划自然资源委海淀分局 leads, 海淀区税务局
// co-handles) and applies online: fills the item's 申请表 (a wrong value
// is refused and marked, then saved), uploads each required material (a
// picture named .pdf is refused by its content) and files it. The lead
// department's handler opens a material and asks once for corrections
// (一次性告知补正); the clock stands while the citizen answers on the case
// page with the files. The lead accepts (受理并分送), and the two
// departments approve their parts in parallel (并联审查); the case is
// granted. The citizen downloads the result notice (a PDF), reads its
// verification code, checks it on the public /verify page (a forged code is
// refused), and rates the result (好差评) with the keyboard; the public
// statistics then list the lead department.
//
// One egov server is started for this file with the demo data it ships
// (data/services/110108GHZRZYW0001.toml, data/processes/joint-approval.toml).
// Each person has one browser context (stage.mjs) kept for the whole file,
// so the tests below run in order and share the application.

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
  assertUniqueIds,
  caseFacts,
  forgiveStatusReport,
  landOn,
  launchBrowser,
  newCitizen,
  noticeText,
  onePagePdf,
  pdfLines,
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

// The item and its departments (data/services/, data/org/departments.toml).
const ITEM = {
  code: '110108GHZRZYW0001',
  name: '存量房买卖转移登记（不动产登记与缴税“一窗办理”）',
};
const LEAD = { code: '110108-GHZRZYW', name: '北京市规划和自然资源委员会海淀分局' };
const TAX = { code: '110108-SWZJ', name: '国家税务总局北京市海淀区税务局' };
/** The item's materials that must come with the application (required, not 可容缺后补). */
const REQUIRED = ['不动产登记申请书', '买卖双方身份证明', '不动产权证书或房屋所有权证', '存量房买卖合同（网签）', '购房资格核验结果'];
/** Asked for in the 补正 notice, one per line. */
const MISSING = ['婚姻状况证明', '共有人同意出售的书面意见'];

const STAFF = {
  lead: {
    username: 'hd.ghzrzy.handler',
    displayName: '海淀规自分局登记员',
    args: ['--department', LEAD.code, '--role', 'handler'],
  },
  tax: {
    username: 'hd.swj.handler',
    displayName: '海淀税务局窗口',
    args: ['--department', TAX.code, '--role', 'handler'],
  },
};

// What the citizen types into the 申请表 (labels as the guide's [fields]).
const FORM = {
  房屋坐落: '北京市海淀区中关村南大街 5 号院 2 号楼 3 单元 401 室',
  不动产权证书号: '京（2019）海淀区不动产权第 0012345 号',
  '成交价格（万元）': '520',
  买受人: '王晓雨',
  出卖人: '刘建国、张秀英',
};
const SHARES = '共同共有';
const NOTE = '出卖人为夫妻二人，共同到场签字。';
const OPINION_LEAD = '权属清晰，材料齐全，同意转移登记。';
const OPINION_TAX = '契税已完税。';
const RATING_COMMENT = '一次告知，跑一次就办完了。';

/** The verification code's form (crates/services/src/result.rs): 4 groups of 4 from an unambiguous alphabet. */
const CODE = /^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/;

let server;
let browser;
let tmpDir;
/** The people of the flow (stage.mjs): one browser context each. */
let person;
let createStaff;
let firstStaffSignIn;
let closePeople;
/** Filled in as the flow goes. */
const flow = { citizen: null, draft: null, number: null, code: null };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-hall-'));
  ({ person, createStaff, firstStaffSignIn, close: closePeople } = stage(server, browser, STAFF));
});

after(async () => {
  if (closePeople) await closePeople();
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

/** A file named NAME in the test's temporary directory holding BYTES; returns its path. */
function file(name, bytes) {
  const where = path.join(tmpDir, name);
  fs.writeFileSync(where, bytes);
  return where;
}

/** What the PDF for material NAME says (ASCII, so the PDF needs no font of its own). */
const pdfFor = (name) => onePagePdf(`egov browser test: ${Buffer.from(name).toString('hex')}`);

/**
 * Submit a GET form (search, verify) with SUBMIT() and expect the page it
 * loads to answer STATUS; a 4xx is reported on the console, as expected.
 */
async function getExpecting(p, status, submit) {
  const { page, watch } = p;
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.request().method() === 'GET' && r.frame() === page.mainFrame(),
    ),
    page.waitForEvent('load'),
    submit(),
  ]);
  assert.equal(res.status(), status, `GET ${res.url()} answered ${res.status()}, expected ${status}`);
  if (status >= 400) await forgiveStatusReport(watch, status, res.url());
  await settle(page, watch);
  return new URL(page.url());
}

/** Click LINK (with a download attribute) and return the download's name and bytes. */
async function download(p, link) {
  const [dl] = await Promise.all([p.page.waitForEvent('download'), link.click()]);
  assert.equal(await dl.failure(), null, `the download of ${dl.url()} failed`);
  const bytes = fs.readFileSync(await dl.path());
  await settle(p.page, p.watch);
  return { name: dl.suggestedFilename(), bytes };
}

/** The material's entry (its heading, files and upload form) on the draft page. */
const material = (page, name) =>
  section(page, 'materials-heading')
    .locator('ol.materials > li')
    .filter({ has: page.locator('h3', { hasText: name }) });

/** Choose FILEPATH for material NAME on the draft page; returns the click on that material's own 上传 button. */
async function chooseFor(page, name, filePath) {
  await page.getByLabel(`选择文件（${name}）`, { exact: true }).setInputFiles(filePath);
  return () => material(page, name).getByRole('button', { name: '上传', exact: true }).click();
}

/** The case's parallel branches as shown: [[department, state], ...]. */
async function branches(page) {
  const table = section(page, 'clock-heading').locator('table');
  assert.equal(await textOf(table.locator('caption')), '并联审批各部门意见');
  return table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].slice(0, 2).map((td) => td.textContent.trim())),
  );
}

/** The names of the action forms the viewer is offered on the case page. */
const actionNames = async (page) =>
  (await section(page, 'actions-heading').locator('form h3').allTextContents()).map((s) => s.trim());

test('helpers: the one-page PDF is well formed', () => {
  const pdf = onePagePdf('Hello (world)');
  const text = pdf.toString('latin1');
  assert.ok(text.startsWith('%PDF-1.4\n') && text.endsWith('%%EOF\n'));
  // Each cross-reference entry points at its object.
  const xref = Number(/startxref\n(\d+)\n/.exec(text)[1]);
  assert.ok(text.startsWith('xref\n', xref));
  const entries = text.slice(xref).split('\n').slice(3, 8);
  entries.forEach((e, i) => assert.ok(text.startsWith(`${i + 1} 0 obj`, Number(e.slice(0, 10))), `object ${i + 1}`));
});

describe('the online service hall: apply, 补正, joint approval, result, verification, rating', () => {
  test('staff of both departments: CLI accounts, first sign-in with new password and TOTP', { timeout: TEST_TIMEOUT }, async () => {
    for (const key of Object.keys(STAFF)) {
      const oneTime = await createStaff(key);
      await firstStaffSignIn(key, oneTime);
    }
  });

  test('citizen: registers, searches 二手房 in the hall, finds 存量房买卖转移登记 and reads its guide', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page, watch } = p;
    flow.citizen = newCitizen('王晓雨');
    await register(page, watch, flow.citizen);
    await signIn(page, watch, flow.citizen.username, flow.citizen.password, '/account');

    await page.locator('header nav').getByRole('link', { name: '办事大厅', exact: true }).click();
    await landOn(page, watch, '/services');
    assert.equal(await textOf(page.locator('h1')), '网上办事大厅');
    const search = page.getByRole('search');
    await search.getByLabel('搜索事项', { exact: true }).fill('二手房');
    const landed = await getExpecting(p, 200, () => search.getByRole('button', { name: '搜索', exact: true }).click());
    assert.equal(landed.pathname, '/services');
    assert.equal(landed.searchParams.get('q'), '二手房');
    assert.equal(await page.getByLabel('搜索事项', { exact: true }).inputValue(), '二手房', 'the query is not kept in the box');

    const hits = page.locator('main ul.services > li');
    assert.ok((await hits.count()) >= 1, 'no item found for 二手房');
    const hit = hits.filter({ has: page.getByRole('link', { name: ITEM.name, exact: true }) });
    assert.equal(await hit.count(), 1, `${ITEM.name} is not among the results: ${await textOf(page.locator('main ul.services'))}`);
    assert.equal(await textOf(hit.locator('.badge')), '并联审批');
    assert.ok((await textOf(hit.locator('.hint'))).includes(LEAD.name), `the hit does not name ${LEAD.name}: ${await textOf(hit)}`);
    await assertInputsLabelled(page);
    await assertNoSidewaysScroll(page);

    await hit.getByRole('link', { name: ITEM.name, exact: true }).click();
    await landOn(page, watch, `/services/${ITEM.code}`);
    assert.equal(await textOf(page.locator('h1')), ITEM.name);
    const facts = await textOf(page.locator('main dl.facts').first());
    for (const want of [ITEM.code, LEAD.name, TAX.name, '30 个工作日']) {
      assert.ok(facts.includes(want), `the guide does not show ${want}: ${facts}`);
    }
    const guideMaterials = await page.locator('main table.data tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.cells[0].textContent.trim(), tr.cells[2].textContent.trim()]),
    );
    assert.deepEqual(
      guideMaterials.filter(([, req]) => req === '必需').map(([name]) => name),
      REQUIRED,
      'the guide lists other required materials than the item file',
    );
    await assertNoSidewaysScroll(page);
  });

  test('citizen: 在线申请 opens a draft; a wrong 成交价格 is refused and marked, then the form is saved', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('citizen');
    const { page, watch } = p;
    assert.equal(new URL(page.url()).pathname, `/services/${ITEM.code}`, 'not on the guide after the previous test');
    await Promise.all([
      page.waitForURL((u) => /^\/applications\/\d+$/.test(u.pathname), { waitUntil: 'load' }),
      page.getByRole('button', { name: '在线申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    flow.draft = new URL(page.url()).pathname;
    assert.equal(await textOf(page.locator('h1')), `在线申请：${ITEM.name}`);
    assert.equal(await textOf(section(page, 'form-heading').locator('h2')), '申请表');
    // Step 1 of 3, and the form's step holds no upload to lose typing to.
    assert.equal(await textOf(page.locator('nav.steps [aria-current="step"]')), '1. 填写申请表');
    assert.equal(await page.locator('main input[type="file"]').count(), 0);
    await assertInputsLabelled(page);
    await assertUniqueIds(page);

    const form = section(page, 'form-heading').locator('form');
    for (const [label, value] of Object.entries(FORM)) await form.getByLabel(label).fill(value);
    await form.getByLabel('成交价格（万元）').fill('很多');
    await form.getByLabel('共有方式').selectOption({ label: SHARES });
    await form.getByLabel('需要向办理部门说明的情况（选填）').fill(NOTE);
    await submitExpecting(page, watch, 422, () => form.getByRole('button', { name: '保存草稿', exact: true }).click());

    assert.match(await alertText(page), /请检查标出的内容/);
    const price = page.getByLabel('成交价格（万元）');
    assert.equal(await price.getAttribute('aria-invalid'), 'true', '成交价格（万元） is not marked aria-invalid');
    const errorId = await price.getAttribute('aria-describedby');
    assert.ok(errorId, '成交价格（万元） has no aria-describedby pointing at its error');
    const error = await textOf(page.locator(`[id="${errorId}"]`));
    assert.ok(error.length > 0, 'the error text of 成交价格（万元） is empty');
    assert.equal(await price.inputValue(), '很多', 'the typed price was not kept');
    for (const [label, value] of Object.entries(FORM)) {
      if (label === '成交价格（万元）') continue;
      assert.equal(await page.getByLabel(label).inputValue(), value, `what was typed into ${label} was not kept`);
      assert.equal(await page.getByLabel(label).getAttribute('aria-invalid'), null, `${label} is marked invalid`);
    }
    assert.equal(await page.getByLabel('共有方式').inputValue(), SHARES, 'the chosen 共有方式 was not kept');
    assert.equal(await page.getByLabel('需要向办理部门说明的情况（选填）').inputValue(), NOTE, 'the note was not kept');
    await assertInputsLabelled(page);
    await assertUniqueIds(page);

    await price.fill(FORM['成交价格（万元）']);
    await submitAndLand(p, () => page.getByRole('button', { name: '保存草稿', exact: true }).click(), flow.draft, 'saved');
    assert.equal(await noticeText(page), '草稿已保存。');
    // A number: shown back as the number typed (520 may come back as 520.0).
    assert.equal(Number(await page.getByLabel('成交价格（万元）').inputValue()), Number(FORM['成交价格（万元）']));
    assert.equal(await page.getByLabel('成交价格（万元）').getAttribute('aria-invalid'), null);
    assert.equal(await page.getByLabel('共有方式').inputValue(), SHARES);
    assert.equal(await page.getByLabel('需要向办理部门说明的情况（选填）').inputValue(), NOTE);

    // The citizen may leave and come back: 我的案件 lists the unfiled application.
    await page.locator('header nav').getByRole('link', { name: '我的案件', exact: true }).click();
    await landOn(page, watch, '/cases');
    const resume = page.locator('main').getByRole('link', { name: ITEM.name, exact: true });
    assert.equal(await resume.count(), 1, 'the draft is not listed under 未提交的申请');
    await resume.click();
    await landOn(page, watch, flow.draft);
    assert.equal(await page.getByLabel('房屋坐落').inputValue(), FORM['房屋坐落']);
    // Last, so that the flow goes on if only this fails.
    await assertNoSidewaysScroll(page);
  });

  test('citizen: a picture named .pdf is refused; each required material is uploaded as a PDF; filing opens the case', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.draft, 'no draft from the previous test');
    const p = await person('citizen');
    const { page, watch } = p;
    await open(p, flow.draft);
    // "Save and continue" keeps the form and goes on to the materials.
    await submitAndLand(p, () => page.getByRole('button', { name: '保存并继续', exact: true }).click(), `${flow.draft}/materials`, 'saved');
    assert.equal(await textOf(page.locator('nav.steps [aria-current="step"]')), '2. 上传材料');
    const required = await section(page, 'materials-heading')
      .locator('ol.materials > li')
      .filter({ has: page.locator('h3 .badge', { hasText: /^必需$/ }) })
      .locator('h3')
      .evaluateAll((hs) => hs.map((h) => h.firstChild.textContent.trim()));
    assert.deepEqual(required, REQUIRED, 'the draft marks other materials 必需 than the guide');
    assert.equal(await textOf(page.locator('#still-missing')), `提交前还需上传：${REQUIRED.join('、')}`);

    // A PNG under a PDF's name: refused by its content, nothing listed.
    const first = REQUIRED[0];
    const click = await chooseFor(page, first, file(`${first}.pdf`, onePixelPng()));
    await submitExpecting(page, watch, 415, click);
    const refusal = await alertText(page);
    assert.match(refusal, /与扩展名不符/, `the refusal: ${refusal}`);
    assert.match(refusal, /image\/png/, `the refusal does not say what the file is: ${refusal}`);
    assert.equal(await material(page, first).locator('ul.files li').count(), 0, 'the refused file is listed');

    for (const name of REQUIRED) {
      const upload = await chooseFor(page, name, file(`${name}.pdf`, pdfFor(name)));
      await submitAndLand(p, upload, `${flow.draft}/materials`, 'file');
      assert.equal(await noticeText(page), '材料已上传。');
      const listed = material(page, name).locator('ul.files li');
      assert.equal(await listed.count(), 1, `no file listed under ${name}`);
      const shown = await textOf(listed);
      assert.ok(shown.startsWith(`${name}.pdf`) && shown.includes('application/pdf'), `listed under ${name}: ${shown}`);
    }
    assert.equal(await page.locator('#still-missing').count(), 0, 'the draft still asks for materials');
    await assertInputsLabelled(page);
    await assertUniqueIds(page);

    await assertNoSidewaysScroll(page);

    // Step 3: every answer to check, each with its way back to change it.
    await page.getByRole('link', { name: '继续：核对并提交', exact: true }).click();
    await landOn(page, watch, `${flow.draft}/check`);
    const answers = await page.locator('#answers > div').evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('dt').textContent.trim(), r.querySelector('dd').textContent.trim()]),
    );
    for (const [label, value] of Object.entries(FORM)) {
      const row = answers.find(([l]) => l === label);
      assert.ok(row, `${label} is not among the answers: ${JSON.stringify(answers)}`);
      // A number may come back as 520.0.
      assert.ok(row[1] === value || Number(row[1]) === Number(value), `${label} reads ${row[1]}, not ${value}`);
    }
    assert.equal(await page.locator('#checked-materials').getByRole('link', { name: `修改 ${REQUIRED[0]}` }).count(), 1);
    await assertNoSidewaysScroll(page);
    const submit = section(page, 'submit-heading').getByRole('button', { name: '提交申请', exact: true });
    const [res] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.frame() === page.mainFrame(),
      ),
      page.waitForEvent('load'),
      submit.click(),
    ]);
    assert.equal(res.status(), 303, `POST ${res.url()} answered ${res.status()}`);
    const landed = new URL(page.url());
    assert.match(landed.pathname, /^\/cases\/[^/]+$/, `after filing the browser is on ${page.url()}`);
    assert.equal(landed.searchParams.get('done'), 'opened');
    await settle(page, watch);

    flow.number = await textOf(page.locator('dl.facts code').first());
    assert.equal(landed.pathname, `/cases/${flow.number}`, 'the page shows another case number than its address');
    assert.equal(await noticeText(page), '案件已提交，请留意办理进度。');
    // The confirmation: the case number and what happens next.
    assert.equal(await textOf(page.locator('#filed-number')), flow.number);
    assert.equal(await page.locator('#what-next li').count(), 3);
    // The progress line: filed, acceptance next; no supervision times.
    assert.equal(await textOf(page.locator('#progress [aria-current="step"]')), '受理');
    assert.equal(await page.locator('#alert-level').count(), 0);
    assert.equal(await textOf(page.locator('h1')), ITEM.name);
    assert.deepEqual(await caseFacts(page), { state: '待受理', clock: '计时中' });
    // The date the citizen can expect a decision by, from the item's promised limit.
    assert.match(await textOf(page.locator('#expected')), /^\d{4}-\d{2}-\d{2}前（按承诺时限/);
    const facts = await textOf(page.locator('main > dl.facts'));
    for (const want of ['并联审批', LEAD.name, ...Object.keys(FORM), ...Object.values(FORM), '共有方式', SHARES, NOTE]) {
      assert.ok(facts.includes(want), `the case facts do not show ${want}: ${facts}`);
    }
    const files = (await section(page, 'files-heading').locator('ul.files a').allTextContents()).map((s) => s.trim());
    assert.deepEqual(files.sort(), REQUIRED.map((n) => `${n}.pdf`).sort());
    assert.deepEqual(await actionNames(page), ['撤回申请']);
    await assertFormPageBasics(page);

    // Filed: the draft is gone from 我的案件, the case is there.
    await open(p, '/cases');
    assert.equal(await page.locator('main').getByRole('link', { name: ITEM.name, exact: true }).count(), 0);
    const row = page.locator('main table tbody tr').filter({ hasText: flow.number });
    assert.equal(await row.count(), 1, 'the case is not in 我的案件');
    assert.match(await textOf(row), /待受理/);
  });

  test('lead handler: finds the case in the department queue, opens a material, asks for corrections (一次性告知补正)', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('lead');
    const { page, watch } = p;
    await open(p, '/workbench');
    const queue = section(page, 'dept-queue');
    assert.equal(await queue.getByRole('link', { name: flow.number }).count(), 1, 'the case is not in 本部门队列');
    assert.equal(await section(page, 'my-tasks').getByRole('link', { name: flow.number }).count(), 1, 'the case is not in 我的待办');
    await queue.getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.deepEqual(await caseFacts(page), { state: '待受理', clock: '计时中' });
    assert.deepEqual((await actionNames(page)).sort(), ['一次性告知补正', '受理并分送'].sort());
    await assertFormPageBasics(page);

    // The handler reads what the citizen sent.
    const name = `${REQUIRED[0]}.pdf`;
    const got = await download(p, section(page, 'files-heading').getByRole('link', { name, exact: true }));
    assert.equal(got.name, name);
    assert.deepEqual(got.bytes, pdfFor(REQUIRED[0]), 'the material downloaded is not the one uploaded');

    const ask = actionForm(page, '一次性告知补正');
    await ask.getByLabel('需补正的材料').fill(MISSING.join('\n'));
    await submitAndLand(p, () => ask.getByRole('button', { name: '一次性告知补正', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '待补正', clock: '暂停计时（等待申请人或听证等）' });
    assert.deepEqual(await actionNames(page), [], 'the handler has actions while the case waits for the applicant');
  });

  test('citizen: sees the 补正 notice and the stopped clock, uploads the files on the case page, answers it', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('citizen');
    const { page, watch } = p;
    await open(p, '/cases');
    const row = page.locator('main table tbody tr').filter({ hasText: flow.number });
    assert.match(await textOf(row), /待补正/);
    assert.match(await textOf(row), /暂停计时/);
    await row.getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.deepEqual(await caseFacts(page), { state: '待补正', clock: '暂停计时（等待申请人或听证等）' });
    assert.equal(await textOf(page.locator('#expected')), '暂停计时中，恢复计时后重新计算');
    const asked = section(page, 'timeline-heading').locator('ol.timeline > li').filter({ hasText: '一次性告知补正' });
    assert.equal(await asked.count(), 1, 'the timeline does not show the 补正 notice');
    assert.equal(await textOf(asked.locator('dt')), '需补正的材料');
    const listed = await textOf(asked.locator('dd'));
    for (const m of MISSING) assert.ok(listed.includes(m), `the 补正 notice does not list ${m}: ${listed}`);
    assert.deepEqual((await actionNames(page)).sort(), ['提交补正材料', '撤回申请'].sort());
    await assertFormPageBasics(page);

    // The 补正 is a checklist: a slot per point, each answered in place.
    const checklist = section(page, 'corrections-heading');
    assert.deepEqual(
      (await checklist.locator('ol.checklist > li strong').allTextContents()).map((t) => t.trim()),
      MISSING,
    );
    assert.match(await textOf(page.locator('#corrections-left')), new RegExp(`还有 ${MISSING.length} 项未上传`));
    for (const m of MISSING) {
      await section(page, 'corrections-heading').getByLabel(`上传：${m}`, { exact: true }).setInputFiles(file(`${m}.pdf`, pdfFor(m)));
      const upload = () => section(page, 'corrections-heading').getByRole('button', { name: `上传 ${m}`, exact: true }).click();
      await submitAndLand(p, upload, `/cases/${flow.number}`, 'file');
      assert.equal(await noticeText(page), '材料已上传。');
      assert.equal(await section(page, 'files-heading').getByRole('link', { name: `${m}.pdf`, exact: true }).count(), 1);
      const point = section(page, 'corrections-heading').locator('ol.checklist > li').filter({ hasText: m });
      assert.match(await textOf(point.locator('.badge')), /已上传/);
    }
    assert.match(await textOf(page.locator('#corrections-left')), /每项都已上传/);

    const answer = actionForm(page, '提交补正材料');
    await submitAndLand(p, () => answer.getByRole('button', { name: '提交补正材料', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '待受理', clock: '计时中' });
  });

  test('lead handler: 受理并分送 opens a branch per department; its own approval leaves the case in 并联审查', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('lead');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    assert.equal((await caseFacts(page)).state, '待受理');
    for (const m of MISSING) {
      const link = section(page, 'files-heading').getByRole('link', { name: `${m}.pdf`, exact: true });
      assert.equal(await link.count(), 1, `the handler does not see ${m}.pdf`);
      // Named as the guide names the material, and marked as the answer to the 补正.
      const item = section(page, 'files-heading').locator('li').filter({ has: page.getByRole('link', { name: `${m}.pdf`, exact: true }) });
      assert.match(await textOf(item.locator('.answers')), /答复： 一次性告知补正/);
    }
    const first = section(page, 'files-heading').locator('li').first();
    assert.equal(await textOf(first.locator('strong.material')), REQUIRED[0]);
    // A PDF is previewed in the page.
    await first.locator('summary').click();
    assert.equal(await first.locator('iframe').count(), 1);
    assert.ok(await first.locator('iframe').isVisible());

    // Who applied: masked until asked for, then shown in full (audited).
    const who = section(page, 'applicant-heading');
    assert.match(await textOf(who.locator('#applicant-phone')), /^\d{3}\*{4}\d{4}$/);
    await Promise.all([
      page.waitForURL((u) => u.pathname === `/cases/${flow.number}/applicant`, { waitUntil: 'load' }),
      who.getByRole('button', { name: '显示完整号码', exact: true }).click(),
    ]);
    await settle(page, p.watch);
    assert.match(await textOf(section(page, 'applicant-heading').locator('#applicant-phone')), /^1\d{10}$/);
    await open(p, `/cases/${flow.number}`);

    const accept = actionForm(page, '受理并分送');
    await submitAndLand(p, () => accept.getByRole('button', { name: '受理并分送', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '并联审查', clock: '计时中' });
    assert.deepEqual(await branches(page), [
      [LEAD.name, '待答复'],
      [TAX.name, '待答复'],
    ]);
    assert.ok((await actionNames(page)).includes('本部门同意'), `the lead is not offered 本部门同意: ${await actionNames(page)}`);
    await assertFormPageBasics(page);

    const approve = actionForm(page, '本部门同意');
    await approve.getByLabel('意见').fill(OPINION_LEAD);
    await submitAndLand(p, () => approve.getByRole('button', { name: '本部门同意', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '并联审查', clock: '计时中' });
    assert.deepEqual(await branches(page), [
      [LEAD.name, '同意'],
      [TAX.name, '待答复'],
    ]);
    assert.ok(!(await actionNames(page)).includes('本部门同意'), 'the lead may approve its part twice');
  });

  test('tax bureau handler: the case is in its queue; its approval grants the application (准予许可, 已办结)', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('tax');
    const { page, watch } = p;
    await open(p, '/workbench');
    const tasks = section(page, 'my-tasks');
    assert.equal(await tasks.getByRole('link', { name: flow.number }).count(), 1, 'the case is not in the tax bureau handler\'s 我的待办');
    await tasks.getByRole('link', { name: flow.number }).click();
    await landOn(page, watch, `/cases/${flow.number}`);
    assert.equal((await caseFacts(page)).state, '并联审查');
    await assertFormPageBasics(page);

    const approve = actionForm(page, '本部门同意');
    await approve.getByLabel('意见').fill(OPINION_TAX);
    await submitAndLand(p, () => approve.getByRole('button', { name: '本部门同意', exact: true }).click(), `/cases/${flow.number}`, 'action');
    assert.equal(await noticeText(page), '操作已办理。');
    assert.deepEqual(await caseFacts(page), { state: '准予许可', clock: '已办结' });
    assert.equal(await section(page, 'actions-heading').count(), 0, 'actions are offered on a decided case');
    // Each department's answer stays on the record after the decision.
    assert.deepEqual(await branches(page), [
      [LEAD.name, '同意'],
      [TAX.name, '同意'],
    ]);
    // Each department's part is in the history, with who decided it.
    const timeline = await textOf(section(page, 'timeline-heading'));
    for (const want of ['受理并分送', '本部门同意', OPINION_LEAD, OPINION_TAX, STAFF.lead.displayName, STAFF.tax.displayName, '准予许可']) {
      assert.ok(timeline.includes(want), `the timeline does not show ${want}: ${timeline}`);
    }
  });

  test('citizen: downloads the result notice (PDF), reads its code; /verify checks it in public, refuses a forged one', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('citizen');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    assert.deepEqual(await caseFacts(page), { state: '准予许可', clock: '已办结' });
    const link = page.locator('main').getByRole('link', { name: '下载办理结果通知书（PDF）', exact: true });
    assert.equal(await link.getAttribute('href'), `/cases/${flow.number}/result`);
    assert.notEqual(await link.getAttribute('download'), null, 'the result link is not a download');

    const got = await download(p, link);
    assert.equal(got.name, `result-${flow.number}.pdf`);
    assert.equal(got.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(got.bytes.subarray(-8).toString('latin1'), /%%EOF\s*$/);
    // The notice after GB/T 9704: the lead department's mark, the title,
    // the applicant addressed, the item, the decision, the signature, and
    // the verification block with the absolute address of the check.
    const pdf = await pdfLines(got.bytes);
    const { lines } = pdf;
    const say = (prefix) => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length);
    assert.equal(lines[0], LEAD.name, `the notice's lines: ${JSON.stringify(lines)}`);
    // The letter form numbers pages after the first only.
    assert.equal(lines.includes(`— ${pdf.pages} —`), pdf.pages > 1, `page numbers: ${JSON.stringify(lines)}`);
    assert.equal(pdf.title, '办理结果通知书');
    assert.ok(lines.includes('办理结果通知书'), `no title: ${JSON.stringify(lines)}`);
    assert.ok(lines.includes(`${flow.citizen.realName}：`), `not addressed to the applicant: ${JSON.stringify(lines)}`);
    const text = lines.join('');
    for (const want of [ITEM.name, `受理编号：${flow.number}`, '本机关决定：准予许可。', `${LEAD.name}：同意。`, `${TAX.name}：同意。`]) {
      assert.ok(text.includes(want), `the notice does not say ${want}: ${JSON.stringify(lines)}`);
    }
    flow.code = say('核验码：');
    assert.match(flow.code || '', CODE, `no verification code in the notice: ${JSON.stringify(lines)}`);
    assert.ok(lines.includes(`${server.baseUrl}/verify?code=${flow.code}`), `no absolute verification address: ${JSON.stringify(lines)}`);
    flow.digest = lines.find((l) => /^[0-9a-f]{64}$/.test(l));
    assert.ok(flow.digest, `no digest: ${JSON.stringify(lines)}`);
    // Downloading again gives the same notice, not a new code.
    const again = (await pdfLines((await download(p, link)).bytes)).lines;
    assert.ok(again.includes(`核验码：${flow.code}`), 'a second download carries another code');

    // Anyone may check a code, signed in or not, typed in any case.
    const pub = await person('public');
    await open(pub, '/services');
    await pub.page.locator('main').getByRole('link', { name: '办理结果核验', exact: true }).click();
    await landOn(pub.page, pub.watch, '/verify');
    assert.equal(await textOf(pub.page.locator('h1')), '办理结果核验');
    assert.equal(await pub.page.getByLabel('核验码', { exact: true }).count(), 1, 'the code field has no label');
    await pub.page.getByLabel('核验码', { exact: true }).fill(flow.code.toLowerCase().replaceAll('-', ' '));
    await getExpecting(pub, 200, () => pub.page.getByRole('button', { name: '核验', exact: true }).click());
    assert.equal(await noticeText(pub.page), '核验通过：该通知书由本平台出具。');
    const verified = await textOf(pub.page.locator('#verified'));
    for (const want of [ITEM.code, ITEM.name, '准予许可', flow.number, LEAD.name, '办理结果通知书']) {
      assert.ok(verified.includes(want), `the check does not show ${want}: ${verified}`);
    }
    // The digest printed on the notice is the one the check shows.
    assert.equal(await textOf(pub.page.locator('#digest')), flow.digest);
    assert.ok(!verified.includes(flow.citizen.realName), `the public sees the applicant's full name: ${verified}`);
    await assertNoSidewaysScroll(pub.page);

    await pub.page.getByLabel('核验码', { exact: true }).fill('ABCD-EFGH-JKLM-NPQR');
    await getExpecting(pub, 404, () => pub.page.getByRole('button', { name: '核验', exact: true }).click());
    assert.match(await alertText(pub.page), /^核验码无效/);
    assert.equal(await pub.page.locator('#verified').count(), 0);
  });

  test('citizen: 我的证照 holds the 不动产权证书 the grant issued; its PDF names the holder and its code checks out in public', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.code, 'no result from the previous tests');
    const p = await person('citizen');
    const { page } = p;
    await open(p, '/account');
    await page.locator('main').getByRole('link', { name: '我的证照', exact: true }).click();
    await landOn(page, p.watch, '/account/certificates');
    assert.equal(await textOf(page.locator('h1')), '我的证照');
    const card = page.locator('#wallet li').filter({ has: page.getByRole('heading', { name: '不动产权证书', exact: true }) });
    assert.equal(await card.count(), 1, 'the certificate is not in the wallet');
    const facts = await textOf(card.locator('dl'));
    assert.ok(facts.includes(LEAD.name) && facts.includes(flow.citizen.realName), `the card says ${facts}`);
    await assertNoSidewaysScroll(page);

    const got = await download(p, card.getByRole('link', { name: /^下载证照（PDF）/ }));
    const { lines } = await pdfLines(got.bytes);
    assert.ok(lines.includes('不动产权证书（电子证照）'), `the certificate's lines: ${JSON.stringify(lines)}`);
    assert.ok(lines.includes(`持证主体：${flow.citizen.realName}`), `no holder: ${JSON.stringify(lines)}`);
    const code = lines.find((l) => l.startsWith('证照编号：'))?.slice(5);
    assert.match(code || '', CODE);

    await card.getByRole('link', { name: /^在线核验/ }).click();
    await landOn(page, p.watch, '/verify');
    assert.equal(await noticeText(page), '核验通过：该电子证照由本平台签发。');
    const verified = await textOf(page.locator('#verified'));
    assert.ok(verified.includes(code) && verified.includes('不动产权证书'), `the check shows ${verified}`);
  });

  test('citizen: rates the result 非常满意 with the keyboard; the public statistics list the lead department', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(flow.number, 'no case from the previous tests');
    const p = await person('citizen');
    const { page } = p;
    await open(p, `/cases/${flow.number}`);
    const rating = section(page, 'rate-heading');
    assert.equal(await textOf(rating.locator('h2')), '评价办理结果（好差评）');
    const grades = await rating.getByRole('radio').evaluateAll((els) => els.map((e) => e.labels[0]?.textContent.trim()));
    assert.deepEqual(grades, ['非常满意', '满意', '基本满意', '不满意', '非常不满意']);
    await assertFormPageBasics(page);

    // Keyboard only: focus 非常满意, Space selects it, Tab to 评价内容 and type, Tab to the button, Enter.
    const best = rating.getByLabel('非常满意', { exact: true });
    await best.focus();
    await page.keyboard.press('Space');
    assert.equal(await best.isChecked(), true, 'Space did not select 非常满意');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'rate-comment', 'Tab from the grades did not reach 评价内容');
    await page.keyboard.type(RATING_COMMENT);
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent.trim()),
      '提交评价',
      'Tab from 评价内容 did not reach the 提交评价 button',
    );
    await submitAndLand(p, () => page.keyboard.press('Enter'), `/cases/${flow.number}`, 'rating');
    assert.equal(await noticeText(page), '感谢您的评价。');
    assert.equal(await section(page, 'rate-heading').count(), 0, 'the rating form is still offered');
    assert.equal(await textOf(section(page, 'rating-heading').locator('p')), `非常满意：${RATING_COMMENT}`);

    const pub = await person('public');
    await open(pub, '/services');
    await pub.page.locator('main').getByRole('link', { name: '办件统计公开', exact: true }).click();
    await landOn(pub.page, pub.watch, '/services/statistics');
    assert.equal(await textOf(pub.page.locator('h1')), '办件统计公开');
    const line = pub.page.locator('table#hall-statistics tbody tr').filter({ hasText: LEAD.name });
    assert.equal(await line.count(), 1, `no statistics line for ${LEAD.name}`);
    const cells = (await line.locator('th, td').allTextContents()).map((s) => s.trim());
    assert.equal(cells[1], '承办', `角色: ${JSON.stringify(cells)}`);
    assert.equal(cells[2], '并联审批', `事项类型: ${JSON.stringify(cells)}`);
    assert.equal(cells[3], '1', `办结: ${JSON.stringify(cells)}`);
    assert.equal(cells[6], '100.0%', `满意率: ${JSON.stringify(cells)}`);
    // The co-handling tax bureau has its line too, marked as such.
    const co = pub.page.locator('table#hall-statistics tbody tr').filter({ hasText: TAX.name });
    assert.equal((await co.locator('td').first().textContent()).trim(), '联办');
    await assertNoSidewaysScroll(pub.page);
  });
});
