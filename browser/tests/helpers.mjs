// Shared helpers for the browser tests: start the egov server, launch
// Debian's Chromium through playwright-core, and watch a page for errors
// and for requests that leave the egov server.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
 * Start `egov serve` on a free loopback port with a fresh data directory.
 *
 * The binary is $EGOV_BIN, or ../target/debug/egov; a relative path is
 * resolved against the browser/ directory.
 *
 * @returns {Promise<{baseUrl: string, port: number, dataDir: string,
 *   stderr: () => string, stop: () => Promise<void>}>}
 */
export async function startServer() {
  const bin = path.resolve(BROWSER_DIR, process.env.EGOV_BIN || '../target/debug/egov');
  if (!fs.existsSync(bin)) {
    throw new Error(`egov binary not found at ${bin} (build it with cargo build, or set EGOV_BIN)`);
  }
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'egov-browser-'));
  const baseUrl = `http://127.0.0.1:${port}`;

  const child = spawn(
    bin,
    ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir],
    {
      cwd: BROWSER_DIR,
      env: { ...process.env, EGOV_LOG: 'warn' },
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
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

/**
 * Record what a page does: every request, console errors, page errors and
 * failed requests. assertClean() fails if there was any error, any failed
 * request, or any request to an origin other than baseUrl's.
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

  return { requests, consoleErrors, pageErrors, failedRequests, foreignRequests, assertClean };
}
