// Browser tests of statistical reporting: the statistics office (a
// city-wide 统计员) lays down two elements, a validation rule and a monthly
// data set for Dongcheng over the API from its signed-in session; Dongcheng's
// 统计员 finds the report owed in the navigation, types a figure that is not
// a number and is shown why beside the field with nothing saved, saves
// figures that break the rule and is shown the rule, corrects them, and sees
// the period reported; then uploads an Excel report with a bad row, is shown
// that row by its row in the sheet with nothing saved, and uploads it
// corrected. The pages work at phone width and in English.
//
// Then the statistics pages: the office watches Dongcheng's light on a new
// indicator from its dashboard, a month's figure turns it yellow, the pass
// an operator runs (`egov indicators watch`) tells the office, and the
// message leads back to the dashboard; anyone reads the demonstration
// series' dashboard (charts, map, tables), takes the districts as CSV, and
// the districts' ranking on the demonstration index as Excel.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertFormPageBasics,
  assertNoSidewaysScroll,
  launchBrowser,
  open,
  PHONE,
  runEgov,
  settle,
  startServer,
  submitExpecting,
  textOf,
  xlsxOf,
  xlsxRows,
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

/** Sends JSON to the API from P's signed-in session; expects STATUS. */
async function api(p, method, path, body, status) {
  const csrf = await p.page.locator('header input[name="csrf"]').first().inputValue();
  const res = await p.page.request.fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
    data: JSON.stringify(body),
  });
  assert.equal(res.status(), status, `${method} ${path}: ${res.status()} ${await res.text()}`);
}

/** The month N months before the current one in Beijing, as YYYYMM. */
function monthsAgo(n) {
  const beijing = new Date(Date.now() + 8 * 3600 * 1000);
  const d = new Date(Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth() - n, 1));
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Clicks what CLICK() clicks and returns the downloaded file's bytes. */
async function download(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const chunks = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk);
  return { name: file.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

describe('statistics pages and warning lights', () => {
  test('the office watches a light from the dashboard, a month turns it yellow and the office is told', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('office');
    const { page } = p;
    await open(p, '/statistics');
    await api(p, 'POST', '/api/v1/indicators/elements', {
      code: 'hotline_calls', name: '热线来电', unit: '件', aggregation: 'sum',
    }, 201);
    await api(p, 'PUT', '/api/v1/indicators/hotline_total', {
      code: 'hotline_total', name: '热线来电量', numerator: '#{hotline_calls}', denominator: '1', factor: 1,
      unit: '件', decimals: 0, public: true, bands: [50, 80, 120, 150],
    }, 201);
    const year = [];
    for (let n = 13; n >= 2; n--) {
      year.push({ dataElement: 'hotline_calls', period: monthsAgo(n), orgUnit: '110101', value: '100' });
    }
    await api(p, 'POST', '/api/v1/indicators/dataValueSets', { dataValues: year }, 200);

    // From the dashboard of Dongcheng's calls: watch the light.
    await open(p, '/statistics/hotline_total?area=110101');
    assert.equal(await textOf(page.locator('h1')), '热线来电量');
    assert.match(await textOf(page.locator('#series-table tbody tr').first()), /绿灯（正常）/);
    await page.getByLabel('灯变为红灯或蓝灯时，为本地区开立预警跟进案件', { exact: true }).check();
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('watch') === 'on'),
      page.getByRole('button', { name: '订阅本地区的预警灯变化', exact: true }).click(),
    ]);
    await settle(page, p.watch);
    assert.match(await textOf(page.locator('#watch-notice')), /已订阅/);
    assert.match(await textOf(page.locator('#watch-form')), /灯变为红灯或蓝灯时会开立预警跟进案件/);

    // The pass sees the light first (green), then last month far up (yellow).
    const pass = async () => runEgov(['indicators', 'watch', '--data-dir', server.dataDir]);
    assert.match(await pass(), /lights changed: 1/);
    await api(p, 'POST', '/api/v1/indicators/dataValueSets', {
      dataValues: [{ dataElement: 'hotline_calls', period: monthsAgo(1), orgUnit: '110101', value: '130' }],
    }, 200);
    assert.match(await pass(), /lights changed: 1/);
    assert.match(await pass(), /lights changed: 0/);

    // Told in the message centre; the message leads to the dashboard.
    await open(p, '/messages');
    const told = page.locator('li.message').filter({ hasText: '黄（偏热）' });
    assert.equal(await told.count(), 1);
    assert.match(await textOf(told), /东城区的「热线来电量」\d{6} 期为 130/);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/statistics/hotline_total'),
      told.getByRole('button', { name: '查看详情', exact: true }).click(),
    ]);
    await settle(page, p.watch);
    const latest = page.locator('#series-table tbody tr').first();
    assert.match(await textOf(latest), new RegExp(`${monthsAgo(1)}.*130.*黄灯（偏热）`, 's'));
  });

  test('anyone reads a dashboard with its charts and map, and takes the figures and the ranking away', { timeout: TEST_TIMEOUT }, async () => {
    const p = await person('reader');
    const { page } = p;
    await open(p, '/statistics');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/statistics/demo.retail'),
      page.getByRole('link', { name: '社会消费品零售总额（演示）', exact: true }).click(),
    ]);
    await settle(page, p.watch);
    assert.match(await textOf(page.locator('#demonstration')), /演示数据/);
    // The charts are drawn, the districts outlined on the map.
    await page.locator('#series-chart canvas').first().waitFor();
    await page.locator('#ranking-chart canvas').first().waitFor();
    await page.locator('#district-map path.leaflet-interactive').nth(15).waitFor();
    assert.equal(await page.locator('#district-map path.leaflet-interactive').count(), 16);
    assert.equal(await page.locator('#forecast-table tbody tr').count(), 12);
    assert.match(await textOf(page.locator('#forecast-method')), /季节分解/);
    assert.equal(await page.locator('#watch-form').count(), 0, 'no watching without signing in');

    const csv = await download(page, () => page.locator('#districts-csv').click());
    assert.equal(csv.name, 'demo.retail-110000-districts.csv');
    const lines = csv.bytes.toString('utf8').replace(/^\ufeff/, '').trim().split('\n');
    assert.equal(lines.length, 17);
    assert.match(lines[1], /^1,110108,海淀区,/);

    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    // The districts ranked on the demonstration index, and its Excel.
    await open(p, '/statistics');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/rankings/demo.district_index'),
      page.getByRole('link', { name: '区域发展综合指数（演示）', exact: true }).click(),
    ]);
    await settle(page, p.watch);
    assert.equal(await page.locator('#ranking-table tbody tr').count(), 16);
    await page.locator('#ranking-chart canvas').first().waitFor();
    const period = await page.locator('#period-choice').inputValue();
    const xlsx = await download(page, () => page.locator('#ranking-xlsx').click());
    assert.equal(xlsx.name, `demo.district_index-${period}.xlsx`);
    const rows = xlsxRows(xlsx.bytes);
    assert.equal(rows.length, 17);
    assert.deepEqual(rows[0].slice(0, 3), ['名次', '地区', '得分']);
    assert.equal(rows[1][1], await textOf(page.locator('#ranking-table tbody tr th').first()));
    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    // In English.
    await open(p, '/locale?lang=en&next=%2Fstatistics%2Fdemo.retail');
    assert.equal(await textOf(page.locator('h1')), 'Retail sales of consumer goods (demo)');
    assert.match(await textOf(page.locator('#forecast-method')), /seasonal decomposition/);
    await open(p, '/locale?lang=zh-CN&next=%2Fstatistics');
  });
});
