// Issue 12, "locked down", "hostable anywhere" and "offline": the built dist/ (what `make dist`
// publishes) served by a plain static file server under a sub-path, with no headers of its own.
// The page must find every file by relative paths, keep its Content-Security-Policy (a <meta>
// tag: no inline script, nothing from elsewhere), train, export and run a lesson without a
// single console error or policy violation — and, once visited, open and train with the
// server gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launchBrowser, openPage, waitReady, stepsAbove, pause, unhashed } from './harness.mjs';

const PREFIX = '/course/gradlab/';
const lab = {};
before(async () => {
  lab.server = await serveDist(PREFIX);
  lab.browser = await launchBrowser();
});
after(async () => {
  await lab.browser?.close();
  await lab.server?.close();
});

test('under a sub-path on a plain static host: trains, exports and runs a lesson within its CSP', async () => {
  assert.ok(lab.server.url.endsWith(PREFIX));
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?model=rnn&seq-len=20&seed=3`, {
    serviceWorkers: 'allow',
  });
  // Anything asked for outside the sub-path (an absolute /… path) is a 404 here.
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await waitReady(page);
  const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(policy, /'unsafe-inline'|'unsafe-eval'|\*/);
  assert.equal(await page.$$eval('script:not([src])', (s) => s.length), 0, 'no inline script');

  await page.click('#play');
  await stepsAbove(page, 50);
  await pause(page);
  for (const button of ['#download-csv', '#download-json', '#download-pytorch', '#png-loss-chart']) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    assert.ok((await download.path()) !== null, `${button} saved a file`);
  }

  await page.goto(`${lab.server.url}?lesson=16`);
  await waitReady(page);
  await page.click('#lesson-choice-1');
  await page.click('#run-lesson');
  await stepsAbove(page, 20);
  await pause(page);
  assert.match(new URL(page.url()).pathname, /^\/course\/gradlab\/$/, 'the address keeps its sub-path');
  assert.deepEqual(errors, []);

  // The policy is in force: an inline style attribute is refused and reported.
  await page.evaluate(() => document.body.setAttribute('style', 'outline: 3px solid red'));
  await page.waitForFunction(() => true);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(errors.some((e) => e.includes('CSP violation: style-src-attr')), errors.join('\n'));
  await page.close();
});

test('offline: after one visit the page opens and trains with no network, and is installable', async () => {
  const server = await serveDist(PREFIX);
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  await page.goto(`${server.url}?depth=4&seed=2`);
  await waitReady(page);
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector('link[rel="manifest"]');
    return (await fetch(link.href)).json();
  });
  assert.equal(manifest.start_url, './');
  assert.equal(manifest.display, 'standalone');
  // The worker has cached this build once it is active.
  await page.evaluate(() => navigator.serviceWorker.ready);
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const cache = await caches.open(names.find((n) => n.startsWith('gradlab-')));
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  }).then((paths) => paths.map(unhashed));
  for (const file of ['index.html', 'worker_relaxed_bg.wasm', 'worker_loader.js', 'engine_build.js', 'lessons.json']) {
    assert.ok(cached.includes(`${PREFIX}${file}`), `${file} cached: ${cached}`);
  }
  // Only the engine build this browser runs (relaxed SIMD) is kept, not the other.
  assert.ok(!cached.includes(`${PREFIX}worker_bg.wasm`), `the plain build is not cached: ${cached}`);
  // The network goes away: the server stops and the browser is offline.
  await server.close();
  await context.setOffline(true);
  await page.goto(`${server.url}?depth=4&seed=2&lesson=3`);
  await waitReady(page);
  await page.click('#play');
  await stepsAbove(page, 20);
  await pause(page);
  await page.waitForFunction(() => document.querySelector('#lesson-heading')?.textContent.length > 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('offline with engine=simd128: the copy keeps the plain build the page runs, and keeps files by path', async () => {
  const server = await serveDist(PREFIX);
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Whatever fails, the server and the context go: an open server would keep this file's
  // process, and the whole run, waiting.
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    await page.goto(`${server.url}?depth=3&engine=simd128`);
    await waitReady(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    // Links to other runs, visited online while the copy is kept: one page, whatever the query.
    for (const depth of [5, 6]) {
      await page.goto(`${server.url}?depth=${depth}&engine=simd128`);
      await waitReady(page);
    }
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const cache = await caches.open(names.find((n) => n.startsWith('gradlab-')));
      return (await cache.keys()).map((r) => r.url);
    });
    assert.ok(cached.some((u) => unhashed(new URL(u).pathname) === `${PREFIX}worker_bg.wasm`), `the plain build is kept: ${cached}`);
    assert.ok(!cached.some((u) => u.includes('worker_relaxed')), `not the relaxed one: ${cached}`);
    assert.deepEqual(cached.filter((u) => new URL(u).search !== ''), [], 'no copy per query string');
    await server.close();
    await context.setOffline(true);
    await page.goto(`${server.url}?depth=4&seed=2&engine=simd128`);
    await waitReady(page);
    await page.click('#play');
    await stepsAbove(page, 20);
    await pause(page);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close().catch(() => {});
  }
});
