// Shared end-to-end harness: serves the built dist/ on 127.0.0.1 and drives Debian's Chromium
// (headless, fresh profile) with playwright-core. Everything it starts, it stops.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const DIST = new URL('../../dist/', import.meta.url).pathname;
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

/**
 * A plain static file server for dist/ on an ephemeral loopback port — what a school server or
 * GitHub Pages is: no headers beyond the content type. With `prefix` (e.g. `/course/gradlab/`)
 * the files are served under that sub-path only.
 */
/** A built file's name without its content hash (`worker_relaxed-0123…_bg.wasm` →
 *  `worker_relaxed_bg.wasm`), for tests that name files by what they are. */
export const unhashed = (name) => name.replace(/-[0-9a-f]{16}(?=(\.js|_bg\.wasm|\.css)$)/, '');

/** The headers that make a page cross-origin isolated (shared memory: the engine's threads). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves dist/ (or, after `serve(dir)`, another build: a new deployment) under `prefix`; with
 *  `isolated`, every response carries the cross-origin isolation headers (as `make serve`). */
export async function serveDist(prefix = '/', { isolated = false } = {}) {
  let root = DIST;
  const server = createServer(async (req, res) => {
    const full = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!full.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    const path = `/${full.slice(prefix.length)}`;
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...(isolated ? ISOLATION : {}) });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const close = () =>
    new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    });
  const serve = (dir) => {
    root = dir;
  };
  return { url: `http://127.0.0.1:${port}${prefix}`, close, serve };
}

/** Launches headless Chromium with the flags this machine needs. */
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/**
 * Serves dist/ and launches Chromium for the calling test file, stopping both after its tests.
 * Returns an object whose `server` and `browser` are set once the file's tests start.
 */
export function useLab({ isolated = false } = {}) {
  const lab = { server: undefined, browser: undefined };
  before(async () => {
    lab.server = await serveDist('/', { isolated });
    lab.browser = await launchBrowser();
  });
  after(async () => {
    await lab.browser?.close();
    await lab.server?.close();
  });
  return lab;
}

/**
 * Opens `url` in a new page, recording console errors and uncaught exceptions. The page's
 * service worker is blocked unless `serviceWorkers: 'allow'` (a test that routes requests
 * must not have them answered by the worker's cache instead). `beforeLoad(page)` runs before the
 * first navigation (to listen for requests from the start).
 */
export async function openPage(browser, url, { viewport = { width: 1280, height: 800 }, serviceWorkers = 'block', beforeLoad } = {}) {
  const page = await browser.newPage({ viewport, serviceWorkers });
  beforeLoad?.(page);
  const errors = [];
  page.on('console', (msg) => {
    // Playwright's own note when it blocks the page's service worker (see above).
    if (serviceWorkers === 'block' && msg.text() === 'Service Worker registration blocked by Playwright') return;
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()}`));
  // The page's Content-Security-Policy: any violation fails the test that caused it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  await page.goto(url);
  return { page, errors };
}

/** Saves a screenshot to test-artifacts/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Waits until the worker answered and the page says it is ready (or training). */
export async function waitReady(page) {
  await page.waitForFunction(
    () => /Ready|Training|Paused/.test(document.querySelector('#status')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  );
}

/** Sets a range or number input as a user would, firing `input` and `change`. */
export async function setInput(page, id, value) {
  await page.$eval(
    `#${id}`,
    (el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

/** The value a slider shows (its output; the input itself holds a position on its scale). */
export async function sliderValue(page, id) {
  return parseFloat(await page.textContent(`output[for="${id}"]`));
}

/** The numbers in one layer-table column, input layer first. */
export async function column(page, field) {
  return page.$$eval(`#layer-table tbody tr td[data-field="${field}"]`, (cells) =>
    cells.map((c) => parseFloat(c.textContent)),
  );
}

/**
 * The native headless runner's JSON lines for the same settings a link carries (`{ key: value }`
 * becomes `--key value`), plus `args` (`--steps 3`, `--sweep …`).
 */
export function headlessRunner(settings, ...args) {
  const flags = Object.entries(settings).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'gradlab-cli', '--', ...flags, ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    encoding: 'utf8',
  });
  return out.trim().split('\n').map((line) => JSON.parse(line));
}

/** Takes `n` single steps with the Step button, each waited for. */
export async function stepTimes(page, n) {
  for (let i = 1; i <= n; i += 1) {
    await page.click('#step-once');
    await page.waitForFunction((k) => document.querySelector('#step-count').textContent === String(k), i);
  }
}

/** The current step count as a number. */
export async function stepCount(page) {
  return parseInt((await page.textContent('#step-count')).replace(/,/g, ''), 10);
}

/** Waits until the page has taken more than `n` steps. */
export async function stepsAbove(page, n) {
  await page.waitForFunction(
    (k) => parseInt(document.querySelector('#step-count').textContent.replace(/,/g, ''), 10) > k,
    n,
    { timeout: 30_000 },
  );
}

/**
 * Pauses training if it is running. The check and the click happen in one turn of the page's
 * own event loop, so nothing can change between them (a run that diverges disables Pause: a
 * check from the test followed by a click from the test would race it and wait 30 s).
 */
export async function pause(page) {
  await page.evaluate(() => {
    const button = document.querySelector('#pause');
    if (button && !button.disabled) button.click();
  });
  // Paused, and the last chunk asked for has arrived: the step count stands still from here.
  await page.waitForFunction(() => {
    const line = document.querySelector('.status-line');
    return line?.dataset.state !== 'training' && line?.dataset.busy === 'false';
  });
}

/** A fingerprint of a canvas's pixels. */
export async function canvasPixels(page, id) {
  return page.$eval(`#${id}`, (c) => c.toDataURL());
}
