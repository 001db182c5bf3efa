// Issue 20, "one version at a time": a page opened before a new deployment never runs a worker
// of the new release. The built files have content-hashed names and the build's id is stamped
// in the page, the worker's loader and version.json (src/build/finish_html.mjs).
//
// The next release is made from this build as the build itself makes one: the loader stamped
// with another id and named by its new hash, the page and version.json naming them. (A second
// compilation would add minutes to every CI run and change nothing the page can see: it meets
// another release only through these files and its worker's first message. That first message
// surviving a real protocol change is crates/protocol's `another_release_is_recognised_whatever_follows`.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDist, launchBrowser, openPage, waitReady, stepsAbove, pause, stepCount, sliderValue, screenshot } from './harness.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const NEW_RELEASE = /A new version of gradlab is available/;

/** dist/ as the next release: its own id, its loader stamped with it under a new name. */
function nextRelease() {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-next-'));
  cpSync(DIST, dir, { recursive: true });
  const old = JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8')).version;
  const version = createHash('sha256').update(`after ${old}`).digest('hex').slice(0, 16);
  const oldLoader = readdirSync(dir).find((f) => f.startsWith('worker_loader-'));
  const loader = readFileSync(join(dir, oldLoader), 'utf8').replaceAll(old, version);
  const newLoader = `worker_loader-${createHash('sha256').update(loader).digest('hex').slice(0, 16)}.js`;
  unlinkSync(join(dir, oldLoader));
  writeFileSync(join(dir, newLoader), loader);
  const html = readFileSync(join(dir, 'index.html'), 'utf8').replaceAll(old, version).replaceAll(oldLoader, newLoader);
  writeFileSync(join(dir, 'index.html'), html);
  writeFileSync(join(dir, 'version.json'), `${JSON.stringify({ version })}\n`);
  return { dir, version, old, oldLoader, loader };
}

const lab = {};
before(async () => {
  lab.next = nextRelease();
  lab.server = await serveDist();
  lab.browser = await launchBrowser();
});
after(async () => {
  await lab.browser?.close();
  await lab.server?.close();
  rmSync(lab.next.dir, { recursive: true, force: true });
});

const status = (page) => page.textContent('#status');

test('after a new deployment, an open page asks to be reloaded when it next starts a worker, and the reload keeps the run', async () => {
  lab.server.serve(DIST);
  const { page } = await openPage(lab.browser, `${lab.server.url}?depth=6&seed=4`);
  try {
    assert.equal(await page.getAttribute('meta[name="gradlab-version"]', 'content'), lab.next.old);
    await waitReady(page);
    await page.click('#play');
    await stepsAbove(page, 20);
    await pause(page);
    // The server now has the next release: this page's loader is gone from it.
    lab.server.serve(lab.next.dir);
    await page.click('#open-phase'); // the map starts workers of its own
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#status').textContent), NEW_RELEASE.source);
    assert.doesNotMatch(await status(page), /worker stopped/);
    assert.ok(await page.isDisabled('#play'), 'nothing trains until the page is reloaded');
    await page.click('#reload-page');
    await waitReady(page);
    assert.equal(await page.getAttribute('meta[name="gradlab-version"]', 'content'), lab.next.version);
    assert.equal(await sliderValue(page, 'depth'), 6, 'the reload keeps the settings');
    assert.equal(await stepCount(page), 0);
    await page.click('#play');
    await stepsAbove(page, 20); // the new release's worker trains
    await pause(page);
  } finally {
    await page.close();
  }
});

test("a worker of another release (a cache mixing releases) is recognised by its first message and never configured", async () => {
  lab.server.serve(DIST);
  const { page } = await openPage(lab.browser, `${lab.server.url}?depth=4`, {
    // This page's loader, answered with the next release's: its worker says the other id.
    beforeLoad: (p) => p.route(`**/${lab.next.oldLoader}`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript', body: lab.next.loader })),
  });
  try {
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#status').textContent), NEW_RELEASE.source);
    await page.waitForSelector('#reload-page');
    await screenshot(page, 'release-new-version');
    assert.ok(await page.isDisabled('#play'));
    assert.equal(await stepCount(page), 0);
    // The map starts no worker either.
    const loads = [];
    page.on('request', (r) => r.url().includes('worker_loader-') && loads.push(r.url()));
    await page.click('#open-phase');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(loads, []);
    assert.match(await status(page), NEW_RELEASE);
  } finally {
    await page.close();
  }
});
