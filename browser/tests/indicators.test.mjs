// Browser tests of statistical reporting: the statistics office (a
// city-wide 统计员) lays down two elements, a validation rule and a monthly
// data set for Dongcheng over the API from its signed-in session; Dongcheng's
// 统计员 finds the report owed in the navigation, types a figure that is not
// a number and is shown why beside the field with nothing saved, saves
// figures that break the rule and is shown the rule, corrects them, and sees
// the period reported; then uploads an Excel report with a bad row, is shown
// that row by its row in the sheet with nothing saved, and uploads it
// corrected. The pages work at phone width and in English.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertFormPageBasics,
  assertNoSidewaysScroll,
  launchBrowser,
  open,
  PHONE,
  settle,
  startServer,
  submitExpecting,
  textOf,
  xlsxOf,
} from './helpers.mjs';
import { stage } from './stage.mjs';

const TEST_TIMEOUT = 180_000;

// User names the staff password (stage.mjs) does not contain.
const STAFF = {
  office: {
    username: 'stats.office',
    displayName: '市统计局统计员',
    args: ['--department', '110000-TJJ', '--role', 'statistician', '--city-wide'],
  },
  dongcheng: {
    username: 'stats.dongcheng',
    displayName: '东城区统计员',
    args: ['--department', '110101-GOV', '--role', 'statistician'],
  },
};

let server;
let browser;
let person;
let createStaff;
let firstStaffSignIn;
let closePeople;

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

/** Sends JSON to the API from P's signed-in session, with its CSRF token. */
async function put(p, method, path, body) {
  const csrf = await p.page.locator('header input[name="csrf"]').first().inputValue();
  const res = await p.page.request.fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
    data: JSON.stringify(body),
  });
  assert.equal(res.status(), 201, `${method} ${path}: ${res.status()} ${await res.text()}`);
}

/** Submits the report form and waits for the page it lands on. */
async function save(p) {
  await Promise.all([
    p.page.waitForEvent('load'),
    p.page.getByRole('button', { name: '保存数据', exact: true }).click(),
  ]);
  await settle(p.page, p.watch);
}

describe('statistical reporting by form', () => {
  test('the office lays down elements, a rule and a data set', { timeout: TEST_TIMEOUT }, async () => {
    await firstStaffSignIn('office', await createStaff('office'));
    const p = await person('office');
    await put(p, 'POST', '/api/v1/indicators/elements', {
      code: 'retail', name: '社会消费品零售额（本月）', unit: '亿元', aggregation: 'sum',
    });
    await put(p, 'POST', '/api/v1/indicators/elements', {
      code: 'retail_cum', name: '社会消费品零售额（本月止累计）', unit: '亿元', aggregation: 'last',
    });
    await put(p, 'PUT', '/api/v1/indicators/validationRules/month_within_cum', {
      code: 'month_within_cum', name: '本月不大于本月止累计', left: '#{retail}', operator: '<=', right: '#{retail_cum}',
    });
    await put(p, 'PUT', '/api/v1/indicators/dataSets/retail_monthly', {
      code: 'retail_monthly', name: '社会消费品零售额月报', frequency: 'monthly', elements: ['retail', 'retail_cum'],
      units: ['110101'], due_days: 5,
    });
  });

  test('a district 统计员 reports a month: a bad figure is shown beside its field, a broken rule after saving', { timeout: TEST_TIMEOUT }, async () => {
    await firstStaffSignIn('dongcheng', await createStaff('dongcheng'));
    const p = await person('dongcheng');
    const { page, watch } = p;
    await Promise.all([
      page.waitForEvent('load'),
      page.locator('header nav').getByRole('link', { name: '统计报表', exact: true }).click(),
    ]);
    await settle(page, watch);
    assert.equal(await textOf(page.locator('h1')), '统计报表填报');
    const latest = page.locator('#owed tbody tr').first();
    assert.match(await textOf(latest), /东城区.*未报送/s);
    const period = await textOf(latest.locator('td').nth(1));
    await Promise.all([page.waitForEvent('load'), latest.getByRole('link').click()]);
    await settle(page, watch);
    assert.equal(await textOf(page.locator('h1')), '社会消费品零售额月报');
    await assertFormPageBasics(page);

    // Not a number: refused, the reason beside the field, what was typed kept.
    const month = page.getByLabel('社会消费品零售额（本月）（亿元）', { exact: true });
    const cum = page.getByLabel('社会消费品零售额（本月止累计）（亿元）', { exact: true });
    await month.fill('六十');
    await cum.fill('50');
    await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '保存数据', exact: true }).click());
    assert.equal(await textOf(page.locator('#v-retail-error')), '不是数值：“六十”');
    assert.equal(await month.getAttribute('aria-invalid'), 'true');
    assert.equal(await cum.inputValue(), '50');

    // Saved, but the month exceeds the year so far: the rule says so.
    await month.fill('60');
    await save(p);
    assert.equal(await textOf(page.locator('#saved')), '数据已保存。');
    assert.match(await textOf(page.locator('#violations')), /本月不大于本月止累计.*60 <= 50.*不成立/s);
    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Corrected, every rule holds, and the list shows the period reported.
    await cum.fill('60');
    await save(p);
    assert.match(await textOf(page.locator('#checks-pass')), /通过全部审核规则/);
    assert.equal(await cum.inputValue(), '60');
    await open(p, '/indicators/report');
    const row = page.locator('#owed tbody tr').filter({ hasText: period });
    assert.match(await textOf(row), /已报送/);

    // An Excel report of two months, one with a period that does not exist.
    const upload = async (rows, status) => {
      await page.locator('#sheet').setInputFiles({
        name: '东城区报表.xlsx',
        mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        buffer: xlsxOf(rows),
      });
      await submitExpecting(page, watch, status, () => page.getByRole('button', { name: '上传并保存', exact: true }).click());
    };
    const header = ['指标项代码', '报告期', '填报单位代码', '数值'];
    await upload([header, ['retail', '202509', '110101', '55'], ['retail', '202513', '110101', '56']], 422);
    const problem = page.locator('#sheet-problems tbody tr');
    assert.equal(await problem.count(), 1);
    assert.match(await textOf(problem), /^3\s*报告期\s*“202513”不是报告期/);
    await upload([header, ['retail', '202509', '110101', '55'], ['retail', '202510', '110101', '56']], 200);
    assert.equal(await textOf(page.locator('#uploaded')), '已保存：新增 2 个数，更新 0 个，未变 0 个。');
    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    // In English.
    await open(p, '/locale?lang=en&next=%2Findicators%2Freport');
    assert.equal(await textOf(page.locator('h1')), 'Statistical reporting');
    assert.match(await textOf(row), /Reported/);
    // The set keeps no English name: its Chinese one is marked as Chinese.
    assert.equal(await row.locator('th span[lang="zh-CN"]').count(), 1);
    await open(p, '/locale?lang=zh-CN&next=%2Findicators%2Freport');
  });
});
