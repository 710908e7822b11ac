// Browser tests of the public portal, the sign-in redirect of the staff
// pages, the API docs page and the 404 page.
//
// One egov server is started for this file; every test opens its own
// browser context (fresh cookies) and closes it afterwards.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HAN, launchBrowser, startServer, watchPage } from './helpers.mjs';

const TEST_TIMEOUT = 90_000;

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

/** Run fn(page, context) in a fresh browser context, closed afterwards. */
async function withPage(contextOptions, fn) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  try {
    const page = await context.newPage();
    return await fn(page, context);
  } finally {
    await context.close();
  }
}

const url = (p) => `${server.baseUrl}${p}`;
const htmlLang = (page) => page.locator('html').getAttribute('lang');

/** Text of the page's single <h1>. */
async function h1Text(page) {
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, `expected exactly one <h1> on ${page.url()}`);
  return ((await h1.textContent()) || '').trim();
}

/** Click the language link a[hreflang=LANG] and wait for the page in LANG. */
async function switchLanguage(page, lang) {
  const link = page.locator(`a[hreflang="${lang}"]`).first();
  assert.equal(await link.count(), 1, `no a[hreflang="${lang}"] on ${page.url()}`);
  await link.click();
  await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/', 'language switch should come back to the same page');
}

describe('portal home page', () => {
  test('en: the hall reads in English: audiences, life events, item names and kinds', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'en-US' }, async (page, context) => {
      const watch = watchPage(page, server.baseUrl);
      await context.addCookies([{ name: 'egov_lang', value: 'en', url: server.baseUrl }]);
      await page.goto(url('/services'), { waitUntil: 'load' });
      const chips = (await page.locator('ul.chips a').allTextContents()).map((t) => t.trim()).join(' | ');
      for (const word of ['Individuals', 'Organisations', 'Starting a business', 'Retirement']) {
        assert.ok(chips.includes(word), `no ${word} among ${chips}`);
      }
      assert.doesNotMatch(chips, HAN, `Chinese left among the chips: ${chips}`);
      await page.goto(url('/services/110000GAJ0001'), { waitUntil: 'load' });
      assert.equal(await h1Text(page), 'Issuance of an ordinary passport');
      watch.assertClean();
    });
  });

  test('the home search finds items; the directory leads to a department page with its items and figures', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'zh-CN' }, async (page) => {
      const watch = watchPage(page, server.baseUrl);
      await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(await page.getByText('建设中').count(), 0, 'nothing under construction on the home page');
      await page.getByLabel('搜索办事事项', { exact: true }).fill('营业执照');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/services' && u.searchParams.get('q') === '营业执照', { waitUntil: 'load' }),
        page.keyboard.press('Enter'),
      ]);
      assert.ok((await page.locator('ul.services > li').count()) > 0, 'the search found items');

      // A typo is offered the word it misspells; a sentence finds the items
      // with most of its words, said to be partial, and where to ask.
      await page.goto(url(`/services?q=${encodeURIComponent('营叶执照')}`), { waitUntil: 'load' });
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('q') === '营业执照', { waitUntil: 'load' }),
        page.locator('#did-you-mean').getByRole('link', { name: '营业执照', exact: true }).click(),
      ]);
      assert.equal(await page.locator('#did-you-mean').count(), 0, 'a word the guides use is not corrected');
      await page.goto(url(`/services?q=${encodeURIComponent('孩子上小学怎么报名')}`), { waitUntil: 'load' });
      assert.ok(await page.locator('#partial').isVisible());
      assert.match(await page.locator('ul.services').textContent(), /小学一年级/);
      assert.match(await page.locator('#ask').textContent(), /12345/);

      await page.goto(url('/departments?division=110105'), { waitUntil: 'load' });
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/departments/110105-SCJGJ', { waitUntil: 'load' }),
        page.getByRole('link', { name: '北京市朝阳区市场监督管理局', exact: true }).click(),
      ]);
      assert.equal(await h1Text(page), '北京市朝阳区市场监督管理局');
      const items = page.locator('section[aria-labelledby="items-heading"] a');
      assert.ok((await items.count()) > 0, 'the department lists its items');
      assert.ok(await page.locator('#figures-heading').isVisible());
      const first = ((await items.first().textContent()) || '').trim();
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/services/'), { waitUntil: 'load' }), items.first().click()]);
      assert.equal(await h1Text(page), first);
      watch.assertClean();
    });
  });

  test('zh-CN: lang, Chinese heading, title, landmarks, skip link', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'zh-CN' }, async (page) => {
      const res = await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'] || '', /^text\/html/);

      assert.equal(await htmlLang(page), 'zh-CN');
      const h1 = await h1Text(page);
      assert.match(h1, HAN, `<h1> should be Chinese, got ${JSON.stringify(h1)}`);
      assert.match(await page.title(), /北京/);

      assert.ok((await page.locator('main, [role="main"]').count()) >= 1, 'no <main> landmark');
      assert.equal(await page.locator('#main').count(), 1, 'the skip link target #main is missing');
      assert.ok((await page.locator('a[href="#main"]').count()) >= 1, 'no skip link a[href="#main"]');

      // The skip link is the first thing keyboard users reach.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        return el ? { tag: el.tagName, href: el.href || el.getAttribute('href') || '' } : null;
      });
      assert.ok(focused, 'nothing focused after Tab');
      assert.ok(
        focused.href.endsWith('#main'),
        `first Tab stop should be the skip link, got <${focused.tag} href=${JSON.stringify(focused.href)}>`,
      );
    });
  });

  test('language switch to English and back, remembered by cookie', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'zh-CN' }, async (page, context) => {
      await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(await htmlLang(page), 'zh-CN');

      await switchLanguage(page, 'en');
      const enH1 = await h1Text(page);
      assert.ok(enH1.length > 0, 'English <h1> is empty');
      assert.doesNotMatch(enH1, HAN, `English <h1> has Han characters: ${JSON.stringify(enH1)}`);
      assert.ok((await context.cookies(server.baseUrl)).length > 0, 'no cookie set by the language switch');

      // A new navigation (the browser still sends Accept-Language: zh-CN) keeps English.
      const again = await context.newPage();
      await again.goto(url('/'), { waitUntil: 'load' });
      assert.equal(await htmlLang(again), 'en', 'English choice not remembered on a new navigation');
      assert.doesNotMatch(await h1Text(again), HAN);
      await again.close();

      await switchLanguage(page, 'zh-CN');
      assert.match(await h1Text(page), HAN);

      await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(await htmlLang(page), 'zh-CN', 'Chinese choice not remembered on a new navigation');
    });
  });

  test('en-US browser without a cookie gets English (Accept-Language)', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ locale: 'en-US' }, async (page, context) => {
      assert.deepEqual(await context.cookies(server.baseUrl), []);
      const res = await page.goto(url('/'), { waitUntil: 'load' });
      assert.equal(res.status(), 200);
      assert.equal(await htmlLang(page), 'en');
      const h1 = await h1Text(page);
      assert.ok(h1.length > 0, 'English <h1> is empty');
      assert.doesNotMatch(h1, HAN, `English <h1> has Han characters: ${JSON.stringify(h1)}`);
    });
  });

  for (const locale of ['zh-CN', 'en-US']) {
    test(`phone viewport (${locale}): no horizontal scroll`, { timeout: TEST_TIMEOUT }, async () => {
      const phone = {
        locale,
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
      };
      await withPage(phone, async (page) => {
        await page.goto(url('/'), { waitUntil: 'load' });
        const m = await page.evaluate(async () => {
          await document.fonts.ready;
          const meta = document.querySelector('meta[name="viewport"]');
          return {
            viewportMeta: meta ? meta.getAttribute('content') : null,
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
          };
        });
        assert.match(m.viewportMeta || '', /width\s*=\s*device-width/, 'no <meta name="viewport" content="width=device-width, ...">');
        // With a device-width viewport the layout viewport is the phone's width;
        // if content overflows, mobile Chromium zooms out and innerWidth grows.
        assert.equal(
          m.innerWidth,
          390,
          `layout viewport is ${m.innerWidth}px wide, not 390px: content wider than the phone (or a wrong viewport meta)`,
        );
        assert.ok(
          m.scrollWidth <= m.innerWidth,
          `horizontal scroll: scrollWidth ${m.scrollWidth} > innerWidth ${m.innerWidth}`,
        );
      });
    });
  }
});

/** Check that the page has a form whose visible fields all have a label. */
async function assertLabelledLoginForm(page) {
  const r = await page.evaluate(() => {
    const notFields = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
    const fields = [...document.querySelectorAll('form input, form select, form textarea')].filter(
      (el) => !(el.tagName === 'INPUT' && notFields.has(el.type)),
    );
    const hasName = (el) => {
      if ([...(el.labels || [])].some((l) => l.textContent.trim())) return true;
      if ((el.getAttribute('aria-label') || '').trim()) return true;
      const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
      return ids.some((id) => (document.getElementById(id)?.textContent || '').trim());
    };
    return {
      forms: document.querySelectorAll('form').length,
      fields: fields.length,
      unlabelled: fields.filter((el) => !hasName(el)).map((el) => el.outerHTML),
    };
  });
  assert.ok(r.forms >= 1, `no <form> on ${page.url()}`);
  assert.ok(r.fields >= 1, `the form on ${page.url()} has no input fields`);
  assert.deepEqual(r.unlabelled, [], `inputs without a <label> or aria-label:\n${r.unlabelled.join('\n')}`);
}

describe('pages load cleanly and only from the egov server', () => {
  const pages = [
    { path: '/', landing: '/' },
    { path: '/workbench', landing: '/login' },
    { path: '/admin', landing: '/login' },
    { path: '/api/docs', landing: '/api/docs' },
  ];

  for (const { path, landing } of pages) {
    test(`${path}`, { timeout: TEST_TIMEOUT }, async () => {
      await withPage({ locale: 'zh-CN' }, async (page) => {
        const watch = watchPage(page, server.baseUrl);
        const res = await page.goto(url(path), { waitUntil: 'load' });
        assert.equal(res.status(), 200, `GET ${path} ended at ${page.url()} with ${res.status()}`);
        assert.equal(new URL(page.url()).pathname, landing, `GET ${path} should end at ${landing}`);
        assert.ok(await htmlLang(page), `<html lang> missing on ${page.url()}`);

        if (landing === '/login') {
          await assertLabelledLoginForm(page);
        }
        if (path === '/api/docs') {
          // Inside the portal's frame: its header and navigation, a way back.
          assert.equal(await page.locator('header nav').getByRole('link', { name: '开放接口', exact: true }).getAttribute('aria-current'), 'page');
          assert.equal(await page.locator('main').getByRole('link', { name: '← 返回首页', exact: true }).getAttribute('href'), '/');
          await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' });
          assert.ok(
            watch.requests.includes(url('/api/openapi.json')),
            'Swagger UI did not load /api/openapi.json',
          );
        }
        await page.waitForLoadState('networkidle');
        watch.assertClean();
      });
    });
  }

  // Swagger UI hides its online-validator badge (an <img> from an outside
  // host) only when the spec URL contains "localhost" or "127.0.0.1", so the
  // test above cannot see it. Here the server is reached by another name,
  // and every other name fails to resolve, so nothing leaves this machine.
  test('/api/docs under a non-loopback host name (no validator badge)', { timeout: TEST_TIMEOUT }, async () => {
    const host = 'egov.test';
    const other = await launchBrowser({
      args: [`--host-resolver-rules=MAP ${host} 127.0.0.1, MAP * ~NOTFOUND`],
    });
    try {
      const context = await other.newContext({ locale: 'zh-CN' });
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const baseUrl = `http://${host}:${server.port}`;
      const watch = watchPage(page, baseUrl);
      const res = await page.goto(`${baseUrl}/api/docs`, { waitUntil: 'load' });
      assert.equal(res.status(), 200);
      await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible' });
      await page.waitForLoadState('networkidle');
      watch.assertClean();
      await context.close();
    } finally {
      await other.close();
    }
  });
});

test('unknown page: HTML 404 with lang and a link home', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({ locale: 'zh-CN' }, async (page) => {
    const res = await page.goto(url('/no-such-page'), { waitUntil: 'load' });
    assert.equal(res.status(), 404);
    assert.match(res.headers()['content-type'] || '', /^text\/html/);
    assert.ok(await htmlLang(page), '<html lang> missing on the 404 page');
    const home = new URL('/', server.baseUrl).href;
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
    assert.ok(hrefs.includes(home), `no link to / on the 404 page (links: ${hrefs.join(', ')})`);
  });
});
