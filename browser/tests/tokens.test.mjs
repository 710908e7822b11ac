// Browser test of personal access tokens as a citizen uses them for their
// own software: from the account page, a token is made (name, scopes,
// lifetime, the password again) and shown once; an outside client (this
// test, with fetch) finds the department by its public code and opens a
// case with the token alone; a read-only token may not; revoking it in the
// browser stops it at once. The page works in English and at phone width.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertFormPageBasics,
  launchBrowser,
  newCitizen,
  open,
  register,
  settle,
  signIn,
  startServer,
  textOf,
  watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 120_000;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Makes a token on the open tokens page; answers the token shown. */
async function makeToken(p, citizen, name, { write }) {
  const { page, watch } = p;
  await page.getByLabel('名称', { exact: true }).fill(name);
  if (write) await page.getByLabel(/applications:write/).check();
  await page.getByLabel('有效期', { exact: true }).selectOption({ label: '30 天' });
  await page.getByLabel('当前密码', { exact: true }).fill(citizen.password);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'),
    page.getByRole('button', { name: '生成令牌', exact: true }).click(),
  ]);
  assert.equal(res.status(), 201, `making a token answered ${res.status()}`);
  await page.waitForLoadState('load');
  await settle(page, watch);
  const token = await textOf(page.locator('#personal-token'));
  assert.match(token, /^egovp_[0-9a-f]{64}$/);
  return token;
}

async function api(method, path, token, body) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test('a citizen makes a token, their software opens a case with it, revoking stops it', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  context.setDefaultTimeout(20_000);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, server.baseUrl);
    const p = { page, watch };
    const citizen = newCitizen('令牌测试');
    await register(page, watch, citizen);
    await signIn(page, watch, citizen.username, citizen.password, '/account');

    await Promise.all([
      page.waitForURL((u) => u.pathname === '/account/tokens', { waitUntil: 'load' }),
      page.getByRole('link', { name: '个人访问令牌', exact: true }).click(),
    ]);
    await settle(page, watch);
    await assertFormPageBasics(page);
    assert.match(await textOf(page.locator('main')), /还没有个人访问令牌/);

    const reader = await makeToken(p, citizen, '只读', { write: false });
    const writer = await makeToken(p, citizen, '申报软件', { write: true });
    // Listed by name and prefix; the whole token is not shown again.
    await open(p, '/account/tokens');
    const rows = page.locator('#tokens tbody tr');
    assert.equal(await rows.count(), 2);
    assert.ok(!(await page.content()).includes(reader));
    assert.match(await textOf(rows.first()), /申报软件/);

    // The outside client: who am I, which department, then a case.
    const me = await api('GET', '/api/v1/me', writer);
    assert.equal(me.status, 200);
    assert.equal(me.body.username, citizen.username);
    const departments = await api('GET', '/api/v1/departments', writer);
    const centre = departments.body.find((d) => d.name === '北京市城市管理委员会');
    assert.ok(centre, 'the city management commission is listed with its code');
    const report = {
      process: 'city_grid_case',
      department: centre.code,
      title: '东直门内大街 井盖缺失',
      data: { category: '部件/井盖', description: '井盖缺失，有安全隐患' },
    };
    const refused = await api('POST', '/api/v1/cases', reader, report);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'insufficient_scope');
    const opened = await api('POST', '/api/v1/cases', writer, report);
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    assert.equal(opened.body.department, centre.code);

    // The citizen sees it among their cases in the browser.
    await open(p, '/cases');
    assert.match(await textOf(page.locator('main')), /东直门内大街 井盖缺失/);

    // Revoked in the browser: the software is refused at once.
    await open(p, '/account/tokens');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/account/tokens', { waitUntil: 'load' }),
      page.getByRole('button', { name: '吊销 申报软件', exact: true }).click(),
    ]);
    await settle(page, watch);
    assert.match(await textOf(rows.first()), /已吊销/);
    assert.equal((await api('GET', '/api/v1/me', writer)).status, 401);
    assert.equal((await api('GET', '/api/v1/me', reader)).status, 200);

    // In English.
    await context.addCookies([{ name: 'egov_lang', value: 'en', url: server.baseUrl }]);
    await open(p, '/account/tokens');
    assert.equal(await textOf(page.locator('h1')), 'Personal access tokens');
    assert.match(await textOf(rows.first()), /Revoked/);
    watch.assertClean();
  } finally {
    await context.close();
  }
});
