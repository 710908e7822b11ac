// Shared helpers for the browser tests: start the egov server (and run its
// command line against the server's data), launch Debian's Chromium through
// playwright-core, watch a page for errors and for requests that leave the
// egov server, resident ID numbers and TOTP codes computed independently of
// the server, the forms of the identity pages (registration, sign-in), the
// page helpers and accessibility checks of the form pages, the case page's
// parts, and small valid files to upload (a one-pixel PNG, a one-page PDF).
// The people of a flow (one browser context each, staff accounts) are in
// stage.mjs.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

/** The browser/ directory (parent of tests/). */
export const BROWSER_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

const READY_POLL_MS = 100;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const MAX_CAPTURE = 64 * 1024;

/** Han (CJK unified ideograph) characters. */
export const HAN = /[\u4e00-\u9fff]/;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ask the kernel for a free TCP port on 127.0.0.1, then release it. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Keep the tail of a stream in memory (for error messages). */
function capture(stream) {
  const buf = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf.text += chunk;
    if (buf.text.length > MAX_CAPTURE) buf.text = buf.text.slice(-MAX_CAPTURE);
  });
  return buf;
}

/**
 * The egov binary: $EGOV_BIN, or ../target/debug/egov; a relative path is
 * resolved against the browser/ directory.
 */
function egovBinary() {
  const bin = path.resolve(BROWSER_DIR, process.env.EGOV_BIN || '../target/debug/egov');
  if (!fs.existsSync(bin)) {
    throw new Error(`egov binary not found at ${bin} (build it with cargo build, or set EGOV_BIN)`);
  }
  return bin;
}

/**
 * Run the egov command line with ARGS (from the browser/ directory, like
 * the server) and return its standard output; fails if it exits non-zero.
 * Pass `--data-dir server.dataDir` to act on a running server's database.
 */
export function runEgov(args) {
  const bin = egovBinary();
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { cwd: BROWSER_DIR, env: { ...process.env, EGOV_LOG: 'warn' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`egov ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/**
 * Start `egov serve` on a free loopback port with a fresh data directory.
 *
 * The binary is $EGOV_BIN, or ../target/debug/egov; a relative path is
 * resolved against the browser/ directory.
 *
 * @returns {Promise<{baseUrl: string, port: number, dataDir: string,
 *   stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startServer() {
  const bin = egovBinary();
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-browser-'));
  const baseUrl = `http://127.0.0.1:${port}`;

  const child = spawn(
    bin,
    ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir],
    {
      cwd: BROWSER_DIR,
      // Every person of a suite registers from this one address.
      env: { ...process.env, EGOV_LOG: 'warn', EGOV_REGISTRATIONS_PER_HOUR: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out = capture(child.stdout);
  const err = capture(child.stderr);

  let exited = null; // {code, signal} once the process has ended
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  let spawnError = null;
  child.on('error', (e) => {
    spawnError = e;
  });

  // Never leave a server behind if the test process dies.
  const killOnExit = () => {
    if (exited === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    if (exited === null && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (exited === null) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const describe = () =>
    `--- egov stderr ---\n${err.text || '(empty)'}\n--- egov stdout ---\n${out.text || '(empty)'}`;

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`could not start ${bin}: ${spawnError.message}\n${describe()}`);
    }
    if (exited !== null) {
      const how = exited.signal ? `signal ${exited.signal}` : `code ${exited.code}`;
      await stop();
      throw new Error(`egov exited (${how}) before ${baseUrl}/readyz answered 200\n${describe()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) break;
      lastProblem = `GET /readyz answered ${res.status}`;
    } catch (e) {
      lastProblem = `GET /readyz failed: ${e.cause?.code || e.message}`;
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(
        `egov not ready at ${baseUrl} after ${READY_TIMEOUT_MS / 1000} s (${lastProblem})\n${describe()}`,
      );
    }
    await sleep(READY_POLL_MS);
  }

  return { baseUrl, port, dataDir, stderr: () => err.text, stop };
}

/**
 * Launch headless Chromium (Debian's, never a downloaded build).
 * @param {{args?: string[]}} [options] extra command-line switches
 */
export async function launchBrowser(options = {}) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath} (apt-get install chromium, or set CHROMIUM)`,
    );
  }
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args || []),
    ],
  });
}

/** Schemes that are not network fetches and so have no origin to check. */
// The browser's own pages (its PDF viewer shows a previewed PDF) reach no host.
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:', 'chrome-extension:', 'chrome:']);

/**
 * Record what a page does: every request, console errors, page errors and
 * failed requests. assertClean() fails if there was any error, any failed
 * request, or any request to an origin other than baseUrl's. The watch
 * keeps baseUrl, so the page helpers below know the server.
 */
export function watchPage(page, baseUrl) {
  const origin = new URL(baseUrl).origin;
  const requests = [];
  const consoleErrors = [];
  const pageErrors = [];
  const failedRequests = [];

  page.on('request', (req) => {
    requests.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
      consoleErrors.push(`${msg.text()}${where}`);
    }
  });
  page.on('pageerror', (error) => {
    pageErrors.push(String(error && error.stack ? error.stack : error));
  });
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    // The browser fetches the icon and its PDF viewer's parts on its own,
    // and abandons them when the page moves on first: not a fault.
    if (failure?.errorText === 'net::ERR_ABORTED') {
      // An event stream (the command centre's) is meant to be dropped
      // when the page is left.
      if (req.resourceType() === 'eventsource') return;
      // So is what the page's script was fetching on such an event (the
      // command centre's list) when the person moves on.
      if (req.resourceType() === 'fetch') return;
      const u = new URL(req.url());
      if (u.pathname === '/assets/img/favicon.svg' || ['chrome-extension:', 'chrome:'].includes(u.protocol)) return;
    }
    failedRequests.push(`${req.method()} ${req.url()}: ${failure ? failure.errorText : 'failed'}`);
  });

  function foreignRequests() {
    return requests.filter((u) => {
      let parsed;
      try {
        parsed = new URL(u);
      } catch {
        return true;
      }
      if (LOCAL_SCHEMES.has(parsed.protocol)) return false;
      return parsed.origin !== origin;
    });
  }

  function assertClean() {
    const list = (items) => items.map((s) => `  - ${s}`).join('\n');
    const problems = [];
    const section = (title, items) => {
      if (items.length) problems.push(`${title}:\n${list(items)}`);
    };
    section('console errors', consoleErrors);
    section('page errors', pageErrors);
    section('failed requests', failedRequests);
    section(`requests to origins other than ${origin}`, foreignRequests());
    assert.ok(problems.length === 0, `on ${page.url()}:\n${problems.join('\n')}`);
  }

  return { baseUrl, requests, consoleErrors, pageErrors, failedRequests, foreignRequests, assertClean };
}

// ---------------------------------------------------------------------------
// Page helpers. Each takes the page and its watch (from watchPage above).

const pathnameOf = (page) => new URL(page.url()).pathname;

/** Wait until the current page has finished loading, then check the watch. */
export async function settle(page, watch) {
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle');
  watch.assertClean();
}

/** Wait for a navigation to PATH (pathname only), then check the watch. */
export async function landOn(page, watch, path) {
  await page.waitForURL((u) => u.pathname === path, { waitUntil: 'load' });
  await settle(page, watch);
}

/**
 * Chromium reports every document that arrives with an error status on the
 * console ("Failed to load resource: the server responded with a status of
 * 422 ..."). When a test expects that status for that document, the one
 * report is what it expects: take it off the watch's console errors (waiting
 * up to two seconds for it to arrive); anything else still fails
 * assertClean().
 */
export async function forgiveStatusReport(watch, status, documentUrl) {
  const report = (e) =>
    e.startsWith(`Failed to load resource: the server responded with a status of ${status} `) &&
    e.endsWith(`(${documentUrl}:0)`);
  const deadline = Date.now() + 2_000;
  while (!watch.consoleErrors.some(report) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const i = watch.consoleErrors.findIndex(report);
  if (i >= 0) watch.consoleErrors.splice(i, 1);
}

/**
 * Submit a form with SUBMIT() and expect the server to answer the POST with
 * STATUS (a refused form is shown again with 422, a failed sign-in too);
 * Chromium's console report of that status is expected (forgiveStatusReport).
 */
export async function submitExpecting(page, watch, status, submit) {
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.frame() === page.mainFrame(),
    ),
    submit(),
  ]);
  assert.equal(res.status(), status, `POST ${res.url()} answered ${res.status()}, expected ${status}`);
  await page.waitForLoadState('load');
  await forgiveStatusReport(watch, status, res.url());
  await settle(page, watch);
  return res;
}

// ---------------------------------------------------------------------------
// Resident ID numbers (GB 11643-1999) and TOTP codes (RFC 6238), computed
// here independently of the server.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The check character for the first 17 digits of a resident ID number. */
export function idCheckChar(first17) {
  assert.match(first17, /^\d{17}$/);
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * ID_WEIGHTS[i], 0);
  return ID_CHECK[sum % 11];
}

/** A valid resident ID number: Chaoyang district (110105), BIRTH (YYYYMMDD), SEQ (0-999). */
export function residentId(birth, seq) {
  const first17 = `110105${birth}${String(seq).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

/** The password the tests give the accounts they create. */
export const PASSWORD = 'Chang-Cheng-Wan-Li-9';

let nextCitizen = 1;

/**
 * A new citizen with a distinct ID number, user name and phone number
 * (distinct within one test file, which has its own server).
 */
export function newCitizen(realName) {
  const n = nextCitizen++;
  return {
    realName,
    residentId: residentId('19850612', 100 + n),
    phone: `1391000${String(1000 + n).padStart(4, '0')}`,
    username: `citizen.${n}`,
    password: PASSWORD,
  };
}

/** RFC 4648 base32 (upper or lower case, padding and spaces ignored) to bytes. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** HOTP (RFC 4226) with HMAC-SHA-1. */
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** TOTP (RFC 6238): 30-second steps from the Unix epoch. */
export function totp(key, unixSeconds = Date.now() / 1000, digits = 6) {
  return hotp(key, Math.floor(unixSeconds / 30), digits);
}

// ---------------------------------------------------------------------------
// Identity forms: every field is found by its visible label, as a user would.

/** Fill the citizen registration form (the page must be /register/citizen). */
export async function fillCitizenForm(page, c, { confirm = c.password } = {}) {
  await page.getByLabel('真实姓名', { exact: true }).fill(c.realName);
  await page.getByLabel('居民身份证号码', { exact: true }).fill(c.residentId);
  await page.getByLabel('手机号码', { exact: true }).fill(c.phone);
  await page.getByLabel('用户名', { exact: true }).fill(c.username);
  await page.getByLabel('密码', { exact: true }).fill(c.password);
  await page.getByLabel('确认新密码', { exact: true }).fill(confirm);
}

/** Register C through /register/citizen and check the browser lands on /login. */
export async function register(page, watch, c) {
  await page.goto(`${watch.baseUrl}/register/citizen`, { waitUntil: 'load' });
  await settle(page, watch);
  await fillCitizenForm(page, c);
  await page.getByRole('button', { name: '注册', exact: true }).click();
  await confirmPhone(page, watch);
}

/**
 * On /register/confirm: types the code texted to the phone (a demo with no
 * SMS gateway shows the text on the page) and confirms; lands on /login.
 */
export async function confirmPhone(page, watch) {
  await landOn(page, watch, '/register/confirm');
  const sms = await textOf(page.locator('#demo-sms'));
  const code = /(\d{6})/.exec(sms);
  assert.ok(code, `no code in the text shown: ${sms}`);
  await page.getByLabel('短信验证码', { exact: true }).fill(code[1]);
  await page.getByLabel('短信验证码', { exact: true }).press('Enter');
  await landOn(page, watch, '/login');
}

/** Sign in on /login with LOGIN and PASSWORD; returns after the next page (LANDING) has loaded. */
export async function signIn(page, watch, login, password, landing) {
  if (pathnameOf(page) !== '/login') {
    await page.goto(`${watch.baseUrl}/login`, { waitUntil: 'load' });
    await settle(page, watch);
  }
  await page.getByLabel('用户名', { exact: true }).fill(login);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.locator('main').getByRole('button', { name: '登录', exact: true }).click();
  await landOn(page, watch, landing);
}

/** The text of the page's role=alert element (there must be exactly one). */
export async function alertText(page) {
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1, `expected one role=alert on ${page.url()}`);
  return ((await alert.textContent()) || '').trim();
}

/** Every visible input, select and textarea has a non-empty accessible label. */
export async function assertInputsLabelled(page) {
  const r = await page.evaluate(() => {
    const fields = [...document.querySelectorAll('input, select, textarea')].filter(
      (el) => el.type !== 'hidden' && el.checkVisibility(),
    );
    const hasName = (el) => {
      if ([...(el.labels || [])].some((l) => l.textContent.trim())) return true;
      if ((el.getAttribute('aria-label') || '').trim()) return true;
      const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
      return ids.some((id) => (document.getElementById(id)?.textContent || '').trim());
    };
    return {
      fields: fields.length,
      unlabelled: fields.filter((el) => !hasName(el)).map((el) => el.outerHTML),
    };
  });
  assert.ok(r.fields >= 2, `only ${r.fields} visible inputs on ${page.url()}`);
  assert.deepEqual(r.unlabelled, [], `inputs without a label on ${page.url()}:\n${r.unlabelled.join('\n')}`);
}

// ---------------------------------------------------------------------------
// Pages as a person sees them. P is a person: {page, watch} (see stage.mjs);
// the watch knows the server.

export const textOf = async (locator) => ((await locator.textContent()) || '').trim();

/** The text of the page's role=status notice (there must be exactly one). */
export async function noticeText(page) {
  const status = page.getByRole('status');
  assert.equal(await status.count(), 1, `expected one role=status on ${page.url()}`);
  return ((await status.textContent()) || '').trim();
}

/** Open PATH (on the server) and check it answered 200 and loaded cleanly. */
export async function open(p, path) {
  const res = await p.page.goto(`${p.watch.baseUrl}${path}`, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  await settle(p.page, p.watch);
}

/**
 * Submit a form with SUBMIT() (a click or a key press), expect the POST to
 * be answered with a redirect to PATH?done=DONE (post/redirect/get), and
 * wait for that page to load. Waits for the new document's load event, so
 * it works when the page redirects back to the URL it is already on.
 */
export async function submitAndLand(p, submit, path, done) {
  const { page, watch } = p;
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.frame() === page.mainFrame(),
    ),
    page.waitForEvent('load'),
    submit(),
  ]);
  const where = new URL(page.url());
  if (res.status() !== 303 || where.pathname !== path || where.searchParams.get('done') !== done) {
    const alert = await page.getByRole('alert').allTextContents().catch(() => []);
    assert.fail(
      `POST ${res.url()} answered ${res.status()} and the browser is on ${page.url()}, ` +
        `expected 303 to ${path}?done=${done}; alerts: ${JSON.stringify(alert)}`,
    );
  }
  await settle(page, watch);
}

/** The section headed by the element with id HEADING. */
export const section = (page, heading) => page.locator(`section[aria-labelledby="${heading}"]`);

/** The case page's state (状态) and clock (计时状态). */
export async function caseFacts(page) {
  return { state: await textOf(page.locator('#case-state')), clock: await textOf(page.locator('#clock-state')) };
}

/** The action form named NAME (a <form aria-labelledby> with heading NAME) on the case page. */
export const actionForm = (page, name) =>
  section(page, 'actions-heading').getByRole('form', { name, exact: true });

/** A phone's viewport. */
export const PHONE = { width: 375, height: 740 };

// Saves the whole page as `name`.png in the folder EGOV_SCREENSHOTS names,
// for a person to look at; nothing when it is not set.
export async function shoot(page, name) {
  const dir = process.env.EGOV_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * At phone width (375×740) the document does not scroll sideways; the
 * viewport is put back afterwards.
 */
export async function assertNoSidewaysScroll(page) {
  const before = page.viewportSize();
  await page.setViewportSize(PHONE);
  try {
    const r = await page.evaluate(() => {
      const doc = document.scrollingElement;
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 0.5)
        .filter((el) => !el.closest('.table-scroll, table.data, .visually-hidden, .skip-link'))
        .slice(0, 5)
        .map((el) => `${el.outerHTML.slice(0, 160)} (right ${Math.round(el.getBoundingClientRect().right)})`);
      return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide };
    });
    assert.ok(
      r.scrollWidth <= r.clientWidth,
      `${page.url()} scrolls sideways at ${PHONE.width} px: scrollWidth ${r.scrollWidth} > clientWidth ${r.clientWidth}; ` +
        `wider than the viewport:\n${r.wide.join('\n')}`,
    );
  } finally {
    await page.setViewportSize(before);
  }
}

/** Element ids are unique on the page (a label's for= finds one control). */
export async function assertUniqueIds(page) {
  const dup = await page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  });
  assert.deepEqual(dup, [], `duplicate ids on ${page.url()}`);
}

/** The accessibility checks every form page gets. */
export async function assertFormPageBasics(page) {
  await assertInputsLabelled(page);
  await assertUniqueIds(page);
  await assertNoSidewaysScroll(page);
}

// ---------------------------------------------------------------------------
// Files to upload, built here. A valid 1×1 PNG (one opaque grey pixel):
// signature, IHDR, IDAT (zlib), IEND, each chunk with its CRC-32.

export function crc32(buf) {
  let crc = 0xffffffff;
  for (const byte of buf) {
    let c = (crc ^ byte) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

export function onePixelPng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression, filter and interlace methods: 0
  const scanline = Buffer.from([0, 0x80, 0x80, 0x80]); // filter "none", one grey pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The lines of text on a PDF's pages, as a reader's PDF viewer finds them
 * (pdf.js, which also reads embedded subset fonts through their ToUnicode
 * maps): each run of text on one baseline is a line.
 */
export async function pdfLines(bytes) {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, verbosity: 0 }).promise;
  const lines = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const { items } = await (await doc.getPage(n)).getTextContent();
    let line = '';
    let baseline = null;
    for (const item of items) {
      const y = item.transform[5];
      if (baseline !== null && Math.abs(y - baseline) > 2) {
        if (line) lines.push(line);
        line = '';
      }
      line += item.str;
      baseline = y;
    }
    if (line) lines.push(line);
  }
  const info = (await doc.getMetadata()).info;
  await doc.destroy();
  return { lines, pages: doc.numPages, title: info.Title };
}

/**
 * A valid one-page PDF saying TEXT (ASCII) in Helvetica: catalogue, pages,
 * page, content stream and font, with a cross-reference table whose
 * offsets point at each object.
 */
export function onePagePdf(text) {
  assert.match(text, /^[\x20-\x7e]*$/, 'onePagePdf takes printable ASCII');
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = `BT /F1 12 Tf 72 760 Td (${escaped}) Tj ET\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = Buffer.byteLength(out);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---------------------------------------------------------------------------
// An Excel workbook (.xlsx) of one sheet, built here as a person's
// spreadsheet program would save it: the sheet's cells as inline strings,
// the parts in a zip archive (stored, uncompressed).

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function zipStored(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = Buffer.from(text, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** ROWS (arrays of text) as the first sheet of an .xlsx workbook. */
export function xlsxOf(rows) {
  const column = (i) => String.fromCharCode(65 + i);
  const sheetRows = rows
    .map((row, r) => {
      const cells = row
        .map((v, c) => `<c r="${column(c)}${r + 1}" t="inlineStr"><is><t>${xmlEscape(v)}</t></is></c>`)
        .join('');
      return `<row r="${r + 1}">${cells}</row>`;
    })
    .join('');
  const ns = 'http://schemas.openxmlformats.org';
  return zipStored([
    [
      '[Content_Types].xml',
      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${ns}/package/2006/content-types">` +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        `<Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
        `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
        `</Types>`,
    ],
    [
      '_rels/.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
        `</Relationships>`,
    ],
    [
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${ns}/spreadsheetml/2006/main" ` +
        `xmlns:r="${ns}/officeDocument/2006/relationships"><sheets><sheet name="报表" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">` +
        `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
        `</Relationships>`,
    ],
    [
      'xl/worksheets/sheet1.xml',
      `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${ns}/spreadsheetml/2006/main"><sheetData>${sheetRows}</sheetData></worksheet>`,
    ],
  ]);
}

/**
 * The files of a .zip archive (an .xlsx workbook), by name, read through its
 * central directory: stored and deflated entries.
 */
export function unzip(bytes) {
  const buf = Buffer.from(bytes);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'not a zip archive: no end of central directory');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const files = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'a broken central directory');
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    files.set(name, method === 0 ? data : zlib.inflateRawSync(data));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

/** The text cells of an .xlsx workbook's first sheet, row by row. */
export function xlsxRows(bytes) {
  const files = unzip(bytes);
  const unescape = (s) =>
    s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const shared = [...(files.get('xl/sharedStrings.xml')?.toString('utf8') ?? '').matchAll(/<si>(.*?)<\/si>/gs)].map(
    (m) => unescape([...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join('')),
  );
  const sheet = files.get('xl/worksheets/sheet1.xml')?.toString('utf8') ?? '';
  return [...sheet.matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map((row) =>
    [...row[1].matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)].map((c) => {
      const value = /<v>(.*?)<\/v>/s.exec(c[2] ?? '')?.[1] ?? /<t[^>]*>(.*?)<\/t>/s.exec(c[2] ?? '')?.[1] ?? '';
      return /t="s"/.test(c[1]) ? shared[Number(value)] : unescape(value);
    }),
  );
}
