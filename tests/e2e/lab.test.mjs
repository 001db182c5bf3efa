// The live lab in real Chromium: controls, worker, charts, table and status working together.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useLab, openPage, screenshot, waitReady, setInput, sliderValue, column, stepCount, stepsAbove, canvasPixels, pause,
} from './harness.mjs';

const lab = useLab();

const rows = (page) => page.$$eval('#layer-table tbody tr', (r) => r.length);

test('the worker starts and the page logs no console error', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  assert.match(await page.title(), /gradlab/);
  assert.match(await page.textContent('#status'), /Ready/);
  assert.equal(await rows(page), 11); // default depth 10 → 11 weight layers
  await screenshot(page, 'lab-ready');
  assert.deepEqual(errors, []);
  await page.close();
});

test('moving depth changes the number of layer-table rows', async () => {
  const { page } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  await setInput(page, 'depth', 3); // the depth slider's position: depth − 1 up to 100
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 5);
  await setInput(page, 'depth', 41);
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 43);
  const labels = await page.$$eval('#layer-table tbody tr', (r) => r.map((x) => x.dataset.layer));
  assert.equal(labels[0], '0');
  assert.equal(labels[42], '42');
  await page.close();
});

test('a burst of 40 slider inputs on a deep net builds the newest, writes the address a few times, and a step follows', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=400&width=256`);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 401);
  await page.evaluate(() => {
    window.addressWrites = 0;
    const replace = history.replaceState.bind(history);
    history.replaceState = (...args) => {
      window.addressWrites += 1;
      return replace(...args);
    };
  });
  const started = Date.now();
  // A drag through 40 positions of the depth slider: depths 310 … 700 (ten a position).
  await page.$eval('#depth', (el) => {
    for (let i = 0; i < 40; i += 1) {
      el.value = String(120 + i);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 701, null, { timeout: 60_000 });
  await page.click('#step-once');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '1', null, { timeout: 60_000 });
  const seconds = (Date.now() - started) / 1000;
  // Forty rebuilds of nets this deep take far longer; the first and the newest take a few seconds.
  console.log(`burst of 40 inputs to a step: ${seconds.toFixed(1)} s`);
  assert.ok(seconds < 15, `${seconds} s`);
  // The address follows, a few times a second at most, and ends at the newest depth.
  await page.waitForFunction(() => new URLSearchParams(location.search).get('depth') === '700');
  const writes = await page.evaluate(() => window.addressWrites);
  assert.ok(writes >= 1 && writes <= 4 + seconds * 4, `${writes} address writes in ${seconds} s`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a network too big for the lab is refused with its estimate; the page keeps its settings, a link is shrunk', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=1000&width=256`);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 1001);
  // The top of the width slider: 512 units, 1000 layers — about 2.2 GB of weights and gradients.
  await setInput(page, 'width', await page.$eval('#width', (el) => el.max));
  await page.waitForFunction(() => /needs about [0-9.]+ GB to train; the lab's limit is 1 GB/.test(document.querySelector('.notices')?.textContent ?? ''));
  await page.waitForFunction(() => document.querySelector('output[for="width"]').textContent === '256');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('width') === '256');
  assert.ok((await page.textContent('.notices')).includes('The settings before this change are kept.'));
  await page.close();
  // The same network asked for by a link opens at a width that fits, and says why.
  const linked = await openPage(lab.browser, `${lab.server.url}?depth=1000&width=512`);
  await waitReady(linked.page);
  assert.match(await linked.page.textContent('.notices'), /needs about [0-9.]+ GB to train; the lab's limit is 1 GB/);
  assert.equal(await sliderValue(linked.page, 'width'), 256);
  assert.deepEqual([...errors, ...linked.errors], []);
  await linked.page.close();
});

test('play advances the step count and redraws every chart', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  const ids = ['grad-chart', 'history-chart', 'loss-chart'];
  const before = await Promise.all(ids.map((id) => canvasPixels(page, id)));
  await page.click('#play');
  await stepsAbove(page, 500);
  const after = await Promise.all(ids.map((id) => canvasPixels(page, id)));
  ids.forEach((id, i) => assert.notEqual(after[i], before[i], `${id} did not change`));
  assert.match(await page.textContent('#status'), /Training/);
  const rate = parseInt((await page.textContent('#steps-per-second')).replace(/,/g, ''), 10);
  assert.ok(rate > 0, `steps/s ${rate}`);
  await pause(page);
  await page.waitForFunction(() => /Paused/.test(document.querySelector('#status').textContent));
  const paused = await stepCount(page);
  // Pausing stops training: one more frame-sized wait shows no new steps.
  await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
  assert.equal(await stepCount(page), paused);
  await screenshot(page, 'lab-training');
  assert.deepEqual(errors, []);
  await page.close();
});

test('deep tanh past the critical scale: the first layer\'s gradient dwarfs the last', async () => {
  const { page } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  await setInput(page, 'depth', 29);
  await page.selectOption('#activation', 'tanh');
  await setInput(page, 'weight-scale', 50); // σ 2.5: 0.05 a position up to 4
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 31);
  await page.click('#step-once');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '1');
  const norms = await column(page, 'grad-norm');
  assert.equal(norms.length, 31);
  const ratio = norms[0] / norms[30];
  assert.ok(ratio > 100, `first/last = ${norms[0]} / ${norms[30]} = ${ratio}`);
  // The theory agrees: past the critical scale, and the δ view draws its prediction.
  assert.match(await page.textContent('#phase-badge'), /^exploding · χ₁ = /);
  const gradientView = await canvasPixels(page, 'grad-chart');
  await page.click('#show-delta');
  await page.waitForFunction((before) => document.querySelector('#grad-chart').toDataURL() !== before, gradientView);
  await screenshot(page, 'lab-delta-view');
  const deltaView = await canvasPixels(page, 'grad-chart');
  await page.click('#show-update-ratio');
  await page.waitForFunction((before) => document.querySelector('#grad-chart').toDataURL() !== before, deltaView);
  await page.click('#show-gradient');
  // Let it run a while, gently, for the picture of explosion over time.
  await setInput(page, 'learning-rate', -3);
  await setInput(page, 'speed', 0);
  await page.click('#play');
  await stepsAbove(page, 199);
  await pause(page);
  await screenshot(page, 'lab-explosion');
  await page.close();
});

test('global-norm clipping at 1: the clipped global norm never exceeds 1', async () => {
  const { page } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  await setInput(page, 'depth', 29);
  await setInput(page, 'weight-scale', 50); // σ 2.5: 0.05 a position up to 4
  await setInput(page, 'learning-rate', -1); // 0.1
  await page.selectOption('#clip-mode', 'global-norm');
  await setInput(page, 'clip-threshold', 0); // 10^0 = 1
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 31);
  await page.click('#play');
  await stepsAbove(page, 2000);
  await pause(page);
  await page.waitForFunction(() => /Paused/.test(document.querySelector('#status').textContent));
  // The run-wide maximum of the clipped global norm, and the raw one for contrast.
  const maxClipped = parseFloat(await page.getAttribute('#max-clipped-norm', 'data-value'));
  const maxRaw = parseFloat(await page.getAttribute('#max-raw-norm', 'data-value'));
  assert.ok(maxClipped <= 1 + 1e-6, `max clipped global norm ${maxClipped}`);
  assert.ok(maxRaw > 1, `raw norms should exceed the threshold (max ${maxRaw})`);
  const share = parseFloat(await page.textContent('#clipped-share'));
  assert.ok(share > 0, `share clipped ${share}`);
  assert.doesNotMatch(await page.textContent('#status'), /Diverged/);
  for (const v of await column(page, 'grad-norm-clipped')) assert.ok(v <= 1 + 1e-6, `layer norm ${v}`);
  // Norm clipping only rescales: the direction is kept exactly.
  assert.equal(await page.textContent('#clip-cosine'), '1.0000');
  await screenshot(page, 'lab-clipped');
  await page.close();
});

test('a divergent setting shows the diverged state and pauses', async () => {
  const { page } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  await setInput(page, 'depth', 29);
  await setInput(page, 'weight-scale', 50); // σ 2.5: 0.05 a position up to 4
  await setInput(page, 'learning-rate', -0.5); // ≈ 0.316
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 31);
  await page.click('#play');
  await page.waitForFunction(() => /Diverged at step \d+/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });
  assert.ok(await page.isDisabled('#pause'), 'pause is disabled: training stopped');
  assert.ok(await page.isDisabled('#play'), 'play needs a reset first');
  const at = await stepCount(page);
  await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
  assert.equal(await stepCount(page), at);
  await screenshot(page, 'lab-diverged');
  // Reset starts over.
  await page.click('#reset');
  await page.waitForFunction(() => /Ready/.test(document.querySelector('#status').textContent));
  assert.equal(await stepCount(page), 0);
  await page.close();
});

test('a worker that cannot start is reported and can be restarted', async () => {
  const page = await lab.browser.newPage();
  await page.route('**/worker*_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(lab.server.url);
  await page.waitForFunction(() => /worker stopped/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });
  await page.waitForSelector('#restart-worker');
  await page.unroute('**/worker*_bg.wasm');
  await page.click('#restart-worker');
  await waitReady(page);
  await page.close();
});

test('no request leaves the machine', async () => {
  const page = await lab.browser.newPage();
  const foreign = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(lab.server.url) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  await page.goto(lab.server.url);
  await waitReady(page);
  await page.click('#play');
  await stepsAbove(page, 100);
  assert.deepEqual(foreign, []);
  await page.close();
});

test('phone-width layout has no horizontal scroll', async () => {
  const { page } = await openPage(lab.browser, lab.server.url, { viewport: { width: 390, height: 844 } });
  await waitReady(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await screenshot(page, 'lab-phone');
  await page.close();
});

test('a copied link reopened in a new page reproduces the run step for step', async () => {
  const context = await lab.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const stepFive = async (page) => {
    for (let i = 1; i <= 5; i++) {
      await page.click('#step-once');
      await page.waitForFunction((n) => document.querySelector('#step-count').textContent === String(n), i);
    }
    return Promise.all(['grad-norm', 'grad-norm-clipped', 'delta-norm', 'update-ratio'].map((f) => column(page, f)));
  };
  const first = await context.newPage();
  await first.goto(`${lab.server.url}?depth=12&weight-scale=1.7&seed=42&lr=0.1&clip-mode=value&clip=0.05`);
  await waitReady(first);
  await first.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 13);
  await first.selectOption('#dataset', 'spiral'); // a change made on the page is in the link too
  await first.waitForFunction(() => /dataset=spiral/.test(location.search));
  const numbers = await stepFive(first);
  // Value clipping at 0.05 bends the gradient: the cosine drops below 1.
  assert.ok(parseFloat(await first.textContent('#clip-cosine')) < 1);
  await first.click('#copy-link');
  const link = await first.evaluate(() => navigator.clipboard.readText());
  assert.match(link, /depth=12/);
  assert.match(link, /dataset=spiral/);
  const second = await context.newPage();
  await second.goto(link);
  await waitReady(second);
  assert.equal(await sliderValue(second, 'weight-scale'), 1.7);
  assert.deepEqual(await stepFive(second), numbers);
  await context.close();
});

test('a hostile link shows notices naming each parameter and a working page', async () => {
  const { page, errors } = await openPage(
    lab.browser,
    `${lab.server.url}?depth=NaN&activation=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&lr=1e999&gpu=1&width=${'9'.repeat(500)}`,
  );
  await waitReady(page);
  const notices = await page.textContent('.notices');
  for (const name of ['depth', 'activation', 'lr', 'gpu', 'width']) assert.match(notices, new RegExp(name));
  assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no markup from the link reaches the page');
  await page.click('#play');
  await stepsAbove(page, 50);
  await screenshot(page, 'lab-hostile-link');
  assert.deepEqual(errors, []);
  await page.close();
});

test('teacher mode hides the controls the link names, and keeps them hidden in its links', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?weight-scale=2.5&hide=depth,width,seed,clip-mode`);
  await waitReady(page);
  for (const id of ['depth', 'width', 'seed', 'clip-mode']) assert.ok(await page.isHidden(`#${id}`), `${id} shown`);
  for (const id of ['weight-scale', 'learning-rate', 'play']) assert.ok(await page.isVisible(`#${id}`), `${id} hidden`);
  assert.match(await page.evaluate(() => location.search), /hide=depth%2Cwidth%2Cseed%2Cclip-mode/);
  assert.deepEqual(errors, []);
  await page.close();
});
