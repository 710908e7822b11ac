// Single sign-on in a browser, as another government system uses it: a
// relying party on another loopback port (a small server here that speaks
// the authorization code flow with PKCE and RP-initiated logout, as any
// OpenID Connect client library would) sends a person who is not signed in
// to egov. They sign in on egov's own pages (a citizen with a password; a
// civil servant with a password, then the TOTP second factor), allow the
// application on the consent page, and land back at the relying party
// signed in; a second visit goes straight through; declining goes back
// with access_denied; signing out at the relying party ends the egov
// session too, with and without an ID token hint (without one, egov asks
// first). Every form on the way must be allowed by egov's
// Content-Security-Policy to end at the relying party: a refused form
// shows up as a console error and as a person stuck on egov's page.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  assertNoSidewaysScroll,
  launchBrowser,
  newCitizen,
  PHONE,
  register,
  runEgov,
  startServer,
  textOf,
  totp,
  watchPage,
} from './helpers.mjs';
import { stage } from './stage.mjs';

const TEST_TIMEOUT = 180_000;

const STAFF = {
  handler: {
    username: 'sso.handler',
    displayName: '单点登录经办人',
    args: ['--department', '110105-SCJGJ', '--role', 'handler'],
  },
};

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/**
 * The relying party: "区级业务系统" at its own loopback port. Pages:
 * / (signed in or not), /login (off to egov), /cb (the code comes back,
 * exchanged at egov's token endpoint, the ID token checked against egov's
 * keys, nonce and audience), /logout (off to egov's end-session endpoint,
 * with or without ?hint=0 an ID token hint) and /bye.
 */
async function startRelyingParty(egov) {
  const flows = new Map(); // state -> {verifier, nonce}
  const sessions = new Map(); // rp cookie -> {name, sub, idToken}
  let client = null; // {id, secret}, once registered
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const page = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><link rel="icon" href="data:,"><title>区级业务系统</title><main>${body}</main></html>`);
  };
  const redirect = (res, to, headers = {}) => {
    res.writeHead(302, { location: to, ...headers });
    res.end();
  };
  const sessionOf = (req) => {
    const m = /(?:^|;\s*)rp=([^;]+)/.exec(req.headers.cookie || '');
    return m ? sessions.get(m[1]) : undefined;
  };

  async function checkIdToken(idToken, nonce) {
    const [head, body, sig] = idToken.split('.');
    const header = JSON.parse(Buffer.from(head, 'base64url'));
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    const jwks = await (await fetch(`${egov}/oidc/jwks`)).json();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `no key ${header.kid} in egov's JWKS`);
    assert.equal(header.alg, 'RS256');
    const ok = verifySignature('sha256', Buffer.from(`${head}.${body}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(sig, 'base64url'));
    assert.ok(ok, 'the ID token signature does not verify');
    assert.equal(claims.iss, egov);
    assert.equal(claims.aud, client.id);
    assert.equal(claims.nonce, nonce);
    return claims;
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, base);
    try {
      if (url.pathname === '/') {
        const s = sessionOf(req);
        return page(res, 200, s
          ? `<h1>区级业务系统</h1><p id="who">已登录：${s.name}</p><p><a href="/logout">退出</a> <a href="/logout?hint=0">退出（无令牌提示）</a></p>`
          : '<h1>区级业务系统</h1><p id="who">未登录</p><p><a href="/login">使用统一身份认证登录</a></p>');
      }
      if (url.pathname === '/login') {
        const state = b64url(randomBytes(16));
        const nonce = b64url(randomBytes(16));
        const verifier = b64url(randomBytes(32));
        flows.set(state, { verifier, nonce });
        const to = new URL(`${egov}/oidc/authorize`);
        to.search = new URLSearchParams({
          response_type: 'code',
          client_id: client.id,
          redirect_uri: `${base}/cb`,
          scope: 'openid profile',
          state,
          nonce,
          code_challenge: b64url(createHash('sha256').update(verifier).digest()),
          code_challenge_method: 'S256',
        }).toString();
        return redirect(res, to.toString());
      }
      if (url.pathname === '/cb') {
        const flow = flows.get(url.searchParams.get('state'));
        if (!flow) return page(res, 400, '<p id="error">unknown state</p>');
        flows.delete(url.searchParams.get('state'));
        assert.equal(url.searchParams.get('iss'), egov);
        const error = url.searchParams.get('error');
        if (error) return page(res, 200, `<h1>区级业务系统</h1><p id="error">${error}</p>`);
        const tokenRes = await fetch(`${egov}/oidc/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: url.searchParams.get('code'),
            redirect_uri: `${base}/cb`,
            code_verifier: flow.verifier,
          }),
        });
        const tokens = await tokenRes.json();
        assert.equal(tokenRes.status, 200, JSON.stringify(tokens));
        const claims = await checkIdToken(tokens.id_token, flow.nonce);
        const cookie = b64url(randomBytes(16));
        sessions.set(cookie, { name: claims.name, sub: claims.sub, idToken: tokens.id_token });
        return redirect(res, '/', { 'set-cookie': `rp=${cookie}; Path=/; HttpOnly; SameSite=Lax` });
      }
      if (url.pathname === '/logout') {
        const s = sessionOf(req);
        const to = new URL(`${egov}/oidc/logout`);
        const params = { post_logout_redirect_uri: `${base}/bye`, state: 'bye-1', client_id: client.id };
        if (s && url.searchParams.get('hint') !== '0') params.id_token_hint = s.idToken;
        to.search = new URLSearchParams(params).toString();
        const m = /(?:^|;\s*)rp=([^;]+)/.exec(req.headers.cookie || '');
        if (m) sessions.delete(m[1]);
        return redirect(res, to.toString(), { 'set-cookie': 'rp=; Path=/; Max-Age=0' });
      }
      if (url.pathname === '/bye') {
        return page(res, 200, `<h1>区级业务系统</h1><p id="bye">已退出（${url.searchParams.get('state')}）</p>`);
      }
      return page(res, 404, 'not found');
    } catch (e) {
      page(res, 500, `<p id="error">${String(e.message).replace(/</g, '&lt;')}</p>`);
    }
  });

  return {
    base,
    setClient(c) {
      client = c;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

let server;
let browser;
let rp;
let people;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  rp = await startRelyingParty(server.baseUrl);
  const out = await runEgov([
    'admin', 'oidc-client', 'create', '--data-dir', server.dataDir,
    '--name', '区级业务系统',
    '--redirect-uri', `${rp.base}/cb`,
    '--post-logout-redirect-uri', `${rp.base}/bye`,
  ]);
  const id = /client_id:\s*(\S+)/.exec(out);
  const secret = /client_secret:\s*(\S+)/.exec(out);
  assert.ok(id && secret, `no client id and secret in:\n${out}`);
  rp.setClient({ id: id[1], secret: secret[1] });
  people = stage(server, browser, STAFF);
  // The running server learns of the new client within its reference
  // recheck; wait for it to know the client rather than for a time.
  const probe = `${server.baseUrl}/oidc/authorize?client_id=${encodeURIComponent(id[1])}&redirect_uri=${encodeURIComponent(`${rp.base}/cb`)}&response_type=code&scope=openid`;
  for (let i = 0; ; i++) {
    const res = await fetch(probe, { redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 400) break;
    assert.ok(i < 200, 'egov never learned of the new client');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  if (people) await people.close();
  if (browser) await browser.close();
  if (rp) await rp.stop();
  if (server) await server.stop();
});

/**
 * Checks a page that travels between egov and the relying party: no
 * console error (a form refused by the Content-Security-Policy is one), no
 * page error, no failed request, and nothing fetched from a third origin.
 */
function assertCleanBetween(watch) {
  assert.deepEqual(watch.consoleErrors, [], 'console errors');
  assert.deepEqual(watch.pageErrors, [], 'page errors');
  assert.deepEqual(watch.failedRequests, [], 'failed requests');
  const third = watch.foreignRequests().filter((u) => !u.startsWith(`${rp.base}/`));
  assert.deepEqual(third, [], 'requests to a third origin');
}

const at = (page, origin, path) =>
  page.waitForURL((u) => u.origin === origin && u.pathname === path, { waitUntil: 'load' });

/** The consent page: names the application and what it gets; allow or decline. */
async function consent(page, answer) {
  await at(page, server.baseUrl, '/oidc/authorize');
  assert.equal(await textOf(page.locator('h1')), '授权登录');
  assert.match(await textOf(page.locator('#consent-intro')), /区级业务系统/);
  assert.match(await textOf(page.locator('#consent-scopes')), /姓名和用户名/);
  await page.getByRole('button', { name: answer, exact: true }).click();
}

async function signInAtEgov(page, username, password) {
  await at(page, server.baseUrl, '/login');
  await page.getByLabel('用户名', { exact: true }).fill(username);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.locator('main').getByRole('button', { name: '登录', exact: true }).click();
}

describe('single sign-on from another system', { timeout: TEST_TIMEOUT }, () => {
  const citizen = newCitizen('单点登录测试');

  test('a citizen who is not signed in signs in at egov, consents and lands back; declining and signing out work too', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    context.setDefaultTimeout(20_000);
    try {
      const page = await context.newPage();
      const watch = watchPage(page, server.baseUrl);
      // A citizen account, then out of egov again: the visit starts cold.
      await register(page, watch, citizen);
      await context.clearCookies();

      await page.goto(`${rp.base}/`);
      assert.equal(await textOf(page.locator('#who')), '未登录');
      await page.getByRole('link', { name: '使用统一身份认证登录' }).click();
      await signInAtEgov(page, citizen.username, citizen.password);
      // The first time, egov asks; declining goes back with access_denied.
      await consent(page, '拒绝');
      await at(page, rp.base, '/cb');
      assert.equal(await textOf(page.locator('#error')), 'access_denied');

      await page.goto(`${rp.base}/`);
      await page.getByRole('link', { name: '使用统一身份认证登录' }).click();
      await consent(page, '同意并继续');
      await at(page, rp.base, '/');
      assert.equal(await textOf(page.locator('#who')), `已登录：${citizen.realName}`);
      assertCleanBetween(watch);

      // The account page lists the application.
      await page.goto(`${server.baseUrl}/account`);
      assert.match(await textOf(page.locator('#apps')), /区级业务系统/);

      // RP-initiated logout with an ID token hint: straight back, and the
      // egov session has ended.
      await page.goto(`${rp.base}/`);
      await page.getByRole('link', { name: '退出', exact: true }).click();
      await at(page, rp.base, '/bye');
      assert.equal(await textOf(page.locator('#bye')), '已退出（bye-1）');
      await page.goto(`${server.baseUrl}/account`);
      await at(page, server.baseUrl, '/login');

      // Signing in again, switching to English on the way: the password,
      // and no consent page this time.
      await page.goto(`${rp.base}/login`);
      await at(page, server.baseUrl, '/login');
      await page.getByRole('link', { name: 'English', exact: true }).click();
      await at(page, server.baseUrl, '/login');
      await page.getByLabel('User name', { exact: true }).fill(citizen.username);
      await page.getByLabel('Password', { exact: true }).fill(citizen.password);
      await page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click();
      await at(page, rp.base, '/');
      assert.equal(await textOf(page.locator('#who')), `已登录：${citizen.realName}`);
      assertCleanBetween(watch);
    } finally {
      await context.close();
    }
  });

  test('a civil servant signs in with the second factor, lands back, and signs out after confirming at egov', async () => {
    const oneTime = await people.createStaff('handler');
    const key = await people.firstStaffSignIn('handler', oneTime);
    const { page, context } = await people.person('handler');
    await context.clearCookies();
    const watch = watchPage(page, server.baseUrl);

    await page.goto(`${rp.base}/login`);
    await signInAtEgov(page, STAFF.handler.username, 'Hu-Tong-Jie-Dao-Wang-Ge-7');
    await at(page, server.baseUrl, '/login/mfa');
    // The next step's code: the one used to enrol may not be used again.
    await page.getByLabel('验证码', { exact: true }).fill(totp(key, Date.now() / 1000 + 30));
    await page.getByRole('button', { name: '验证', exact: true }).click();
    await consent(page, '同意并继续');
    await at(page, rp.base, '/');
    assert.equal(await textOf(page.locator('#who')), `已登录：${STAFF.handler.displayName}`);

    // Without an ID token hint, egov asks before signing out.
    await page.getByRole('link', { name: '退出（无令牌提示）' }).click();
    await at(page, server.baseUrl, '/oidc/logout');
    await page.setViewportSize(PHONE);
    await assertNoSidewaysScroll(page);
    await page.locator('main').getByRole('button', { name: '退出', exact: true }).click();
    await at(page, rp.base, '/bye');
    await page.goto(`${server.baseUrl}/workbench`);
    await at(page, server.baseUrl, '/login');
    assertCleanBetween(watch);
  });
});
