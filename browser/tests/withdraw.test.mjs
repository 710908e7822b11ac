// Browser test of withdrawing an application as a citizen does it: the
// application is made in its three steps (the form, one upload per
// material, the answers to check) for 购买自住住房提取住房公积金; on the
// case page, 撤回申请 without a reason is held back as incomplete; with one, a
// page asks to confirm and says what withdrawing means, going back changes
// nothing, and confirming ends the application with the reason on record.
// At phone width nothing scrolls sideways.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertNoSidewaysScroll,
  caseFacts,
  landOn,
  launchBrowser,
  newCitizen,
  onePagePdf,
  open,
  PHONE,
  register,
  section,
  settle,
  signIn,
  startServer,
  submitAndLand,
  textOf,
  watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 120_000;
const ITEM = { code: '110000GJJ0001', name: '购买北京市行政区域内自住住房提取住房公积金' };
const REQUIRED = ['居民身份证', '购房合同或不动产权证书', '本人银行借记卡'];
const REASON = '已改为按月提取，不再一次提取。';

let server;
let browser;
let tmpDir;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-withdraw-'));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

test('a citizen withdraws a filed application: a reason, then a confirmation', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    const p = { page, watch };
    const citizen = newCitizen('撤回测试');
    await register(page, watch, citizen);
    await signIn(page, watch, citizen.username, citizen.password, '/account');

    // Apply: the form (nothing to fill in here), each material, the check.
    await open(p, `/services/${ITEM.code}`);
    await Promise.all([
      page.waitForURL((u) => /^\/applications\/\d+$/.test(u.pathname), { waitUntil: 'load' }),
      page.getByRole('button', { name: '在线申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    const draft = new URL(page.url()).pathname;
    await submitAndLand(p, () => page.getByRole('button', { name: '保存并继续', exact: true }).click(), `${draft}/materials`, 'saved');
    for (const name of REQUIRED) {
      const where = path.join(tmpDir, `${name}.pdf`);
      fs.writeFileSync(where, onePagePdf(`egov withdraw test ${Buffer.from(name).toString('hex')}`));
      await page.getByLabel(`选择文件（${name}）`, { exact: true }).setInputFiles(where);
      const slot = section(page, 'materials-heading')
        .locator('ol.materials > li')
        .filter({ has: page.locator('h3', { hasText: name }) });
      await submitAndLand(p, () => slot.getByRole('button', { name: '上传', exact: true }).click(), `${draft}/materials`, 'file');
    }
    await page.getByRole('link', { name: '继续：核对并提交', exact: true }).click();
    await landOn(page, watch, `${draft}/check`);
    await Promise.all([
      page.waitForURL((u) => /^\/cases\/[^/]+$/.test(u.pathname), { waitUntil: 'load' }),
      section(page, 'submit-heading').getByRole('button', { name: '提交申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    const casePath = new URL(page.url()).pathname;
    assert.deepEqual(await caseFacts(page), { state: '待受理', clock: '计时中' });

    // 撤回申请 without a reason: the reason is required, and the browser
    // says so before anything is sent (the server refuses it too, tested
    // in process).
    const form = page.locator('form[aria-labelledby="action-withdraw"]');
    const reason = form.getByLabel('撤回理由');
    assert.equal(await reason.getAttribute('required'), '');
    await form.getByRole('button', { name: '撤回申请', exact: true }).click();
    assert.equal(await reason.evaluate((el) => el.validity.valueMissing), true);
    assert.equal(new URL(page.url()).pathname, casePath);

    // With a reason: asked to confirm, told what it means; going back
    // changes nothing.
    await reason.fill(REASON);
    await Promise.all([
      page.waitForEvent('load'),
      page.locator('form[aria-labelledby="action-withdraw"]').getByRole('button', { name: '撤回申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    assert.equal(await textOf(page.locator('h1')), '请确认：撤回申请');
    assert.match(await textOf(page.locator('#confirm-message')), /撤回后本申请终止办理/);
    assert.match(await textOf(page.locator('main dl.summary')), new RegExp(REASON));
    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.getByRole('link', { name: '返回', exact: true }).click();
    await landOn(page, watch, casePath);
    assert.deepEqual(await caseFacts(page), { state: '待受理', clock: '计时中' });

    // Confirmed: the application ends, the reason on its record.
    await page.locator('form[aria-labelledby="action-withdraw"]').getByLabel('撤回理由').fill(REASON);
    await Promise.all([
      page.waitForEvent('load'),
      page.locator('form[aria-labelledby="action-withdraw"]').getByRole('button', { name: '撤回申请', exact: true }).click(),
    ]);
    await settle(page, watch);
    await submitAndLand(p, () => page.getByRole('button', { name: '确认撤回申请', exact: true }).click(), casePath, 'action');
    assert.equal((await caseFacts(page)).state, '已撤回');
    assert.match(await textOf(section(page, 'timeline-heading')), new RegExp(REASON));
    assert.equal(await page.locator('form[aria-labelledby="action-withdraw"]').count(), 0);
  } finally {
    await context.close();
  }
});
