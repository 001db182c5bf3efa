// The other cures in real Chromium: the optimizers — each reaches the worker and changes the
// step it takes, its hyperparameters show beside it only, a new kind says its state starts over,
// run B may use another one, and links carry all of it.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, screenshot, waitReady, setInput, sliderValue, column, pause } from './harness.mjs';

const lab = useLab();

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adamw'];
// Which hyperparameter controls each optimizer shows.
const SHOWS = {
  momentum: ['momentum', 'nesterov'], alpha: ['rmsprop'], beta1: ['adam', 'adamw'],
  beta2: ['adam', 'adamw'], eps: ['rmsprop', 'adam', 'adamw'], 'weight-decay': ['adamw'],
};

/** Clicks Step until the step count reads `n`. */
async function stepTo(page, n) {
  for (;;) {
    const now = parseInt(await page.textContent('#step-count'), 10);
    if (now >= n) return;
    await page.click('#step-once');
    await page.waitForFunction((k) => parseInt(document.querySelector('#step-count').textContent, 10) > k, now);
  }
}

test('each optimizer reaches the worker, shows only its own hyperparameters and takes its own step', async () => {
  // depth 3, width 8, 2 inputs: W is 2×8, 8×8, 8×8, 8×1.
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=3&width=8&lr=0.01`);
  await waitReady(page);
  const steps = {};
  for (const optimizer of OPTIMIZERS) {
    await page.selectOption('#optimizer', optimizer);
    await page.waitForFunction((o) => new URLSearchParams(location.search).get('optimizer') === o, optimizer);
    for (const [id, kinds] of Object.entries(SHOWS)) {
      assert.equal(await page.isVisible(`#${id}`), kinds.includes(optimizer), `${optimizer}: #${id}`);
    }
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');
    await stepTo(page, 1);
    const first = await column(page, 'update-norm');
    await stepTo(page, 2);
    steps[optimizer] = [first, await column(page, 'update-norm')];
  }
  // Adam's first step moves every weight by η (m̂/√v̂ = ±1): ‖ΔW‖ = 0.01·√(elements).
  const expected = [16, 64, 64, 8].map((n) => 0.01 * Math.sqrt(n));
  steps.adam[0].forEach((got, l) => assert.ok(Math.abs(got - expected[l]) < 1e-3 * expected[l], `layer ${l}: ${got}`));
  // Heavy-ball momentum's first step is SGD's (b₁ = g); its second is not. The two are computed
  // by different code (SGD's fused update kernel, momentum's buffer), so the shown 4 digits may
  // differ by one in the last place.
  steps.momentum[0].forEach((v, l) => assert.ok(Math.abs(v - steps.sgd[0][l]) <= 1e-3 * steps.sgd[0][l], `layer ${l}: ${v} vs ${steps.sgd[0][l]}`));
  // Every rule takes its own second step.
  const seconds = OPTIMIZERS.map((o) => JSON.stringify(steps[o][1]));
  assert.equal(new Set(seconds).size, OPTIMIZERS.length, seconds.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a new optimizer mid-run keeps the weights and says its state starts over; a hyperparameter does not', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=3&width=8&optimizer=momentum`);
  await waitReady(page);
  await stepTo(page, 5);
  await setInput(page, 'momentum', 50); // μ 0.5: 0.01 a position up to 0.9
  await page.waitForFunction(() => new URLSearchParams(location.search).get('momentum') === '0.5');
  await page.selectOption('#optimizer', 'adam');
  await page.waitForFunction(() => /now Adam from step 5/.test(document.querySelector('.notices')?.textContent ?? ''));
  assert.match(await page.textContent('.notices'), /weights are kept, the optimizer's state/);
  assert.equal(await page.textContent('#step-count'), '5', 'a live change does not restart the run');
  assert.doesNotMatch(await page.textContent('.notices'), /Momentum/, 'μ changed without a notice');
  await stepTo(page, 6);
  // Adam's state is fresh: its first step is η per weight (η = 0.03, the default; 8×8 weights).
  const norms = await column(page, 'update-norm');
  assert.ok(Math.abs(norms[1] - 0.03 * 8) < 1e-4, `${norms}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an optimizer link reproduces the run, and run B may use another optimizer', async () => {
  const link = `${lab.server.url}?depth=4&width=8&weight-scale=1.5&lr=0.02&optimizer=adamw&beta1=0.8&beta2=0.99&eps=0.000001&weight-decay=0.05&seed=3`;
  const run = async () => {
    const { page } = await openPage(lab.browser, link);
    await waitReady(page);
    assert.equal(await page.inputValue('#optimizer'), 'adamw');
    assert.equal(await sliderValue(page, 'weight-decay'), 0.05);
    await stepTo(page, 4);
    const numbers = await Promise.all(['grad-norm', 'weight-norm', 'update-norm'].map((f) => column(page, f)));
    await page.close();
    return numbers;
  };
  assert.deepEqual(await run(), await run());

  // Compare: A plain SGD, B Adam on the same first gradient.
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=3&width=8&lr=0.01&compare=on&b-optimizer=adam`);
  await waitReady(page);
  assert.equal(await page.inputValue('#b-optimizer'), 'adam');
  assert.ok(await page.isHidden('#b-weight-decay'), 'B\'s AdamW decay shows only when B is AdamW');
  await stepTo(page, 1);
  await page.waitForFunction(() => document.querySelector('#b-step-count')?.textContent === '1');
  assert.equal(await page.textContent('#b-global-norm'), await page.textContent('#global-norm'));
  const b = await page.$$eval('#layer-table-b tbody tr td[data-field="update-norm"]', (cells) => cells.map((c) => parseFloat(c.textContent)));
  assert.ok(Math.abs(b[1] - 0.08) < 1e-4, `B: ${b}`);
  assert.notDeepEqual(await column(page, 'update-norm'), b);
  await page.selectOption('#b-optimizer', 'adamw');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('b-optimizer') === 'adamw');
  assert.ok(await page.isVisible('#b-weight-decay'));
  await pause(page);
  await screenshot(page, 'compare-optimizers');
  assert.deepEqual(errors, []);
  await page.close();
});

test('teacher mode can hide the optimizer and its hyperparameters, and they stay hidden', async () => {
  const hide = 'optimizer,beta1';
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?optimizer=adam&compare=on&hide=${hide}`);
  await waitReady(page);
  for (const id of hide.split(',')) assert.ok(await page.isHidden(`#${id}`), `#${id} shown`);
  for (const id of ['beta2', 'eps']) assert.ok(await page.isVisible(`#${id}`), `#${id} hidden`);
  await setInput(page, 'beta2', 180); // β₂ 0.99: 90 positions to 0.9, then 0.001 each
  await page.waitForFunction(() => new URLSearchParams(location.search).get('beta2') === '0.99');
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get('hide'), hide);
  assert.deepEqual(errors, []);
  await page.close();
});

test('residual connections and LayerNorm reach the worker, change the charts and drop the theory line', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=6&width=8&weight-scale=0.3&view=delta`);
  await waitReady(page);
  assert.equal(await page.$eval('#phase-badge', (e) => e.dataset.phase), 'vanishing');
  await stepTo(page, 1);
  const plain = await column(page, 'delta-norm');
  const chart = await page.$eval('#grad-chart', (c) => c.toDataURL());
  await page.selectOption('#residual', 'on');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('residual') === 'on');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');
  await stepTo(page, 1);
  const residual = await column(page, 'delta-norm');
  // The identity path: the input layer's error is no longer far below the output's.
  assert.ok(plain[0] / plain[6] < 1e-2, `plain ${plain}`);
  assert.ok(residual[0] / residual[6] > 0.1, `residual ${residual}`);
  assert.notEqual(await page.$eval('#grad-chart', (c) => c.toDataURL()), chart);
  assert.equal(await page.$eval('#phase-badge', (e) => e.dataset.phase), 'none');
  assert.match(await page.textContent('#phase-badge'), /no mean-field theory/);

  await page.selectOption('#layer-norm', 'on');
  // 7 weight layers, then LayerNorm's γ and β for each of the 6 hidden layers.
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 19);
  const names = await page.$$eval('#layer-table tbody th', (r) => r.map((x) => x.textContent));
  assert.deepEqual(names.slice(6, 9), ['7', 'LN γ 1', 'LN β 1']);
  await stepTo(page, 1);
  const gains = await column(page, 'grad-norm');
  assert.ok(gains.slice(7).every((g) => g > 0), `LayerNorm's groups have gradients: ${gains}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('run B may differ in architecture: same weights, its own wiring', async () => {
  const { page, errors } = await openPage(
    lab.browser, `${lab.server.url}?depth=6&width=8&weight-scale=0.3&compare=on&b-residual=on&b-layer-norm=on`,
  );
  await waitReady(page);
  assert.equal(await page.inputValue('#b-residual'), 'on');
  assert.equal(await page.inputValue('#b-layer-norm'), 'on');
  await stepTo(page, 1);
  await page.waitForFunction(() => document.querySelector('#b-step-count')?.textContent === '1');
  const b = await page.$$eval('#layer-table-b tbody tr td[data-field="weight-norm"]', (cells) => cells.map((c) => parseFloat(c.textContent)));
  const a = await column(page, 'weight-norm');
  assert.deepEqual(b.slice(0, 7), a.slice(0, 7), 'B starts from A\'s weights');
  // B's table lists B's groups: LayerNorm's γ and β after its 7 weight layers.
  assert.equal(b.length, 19);
  const names = await page.$$eval('#layer-table-b tbody th', (r) => r.map((x) => x.textContent));
  assert.deepEqual(names.slice(6, 9), ['7', 'LN γ 1', 'LN β 1']);
  assert.notEqual(await page.textContent('#b-loss'), await page.textContent('#loss'));
  await screenshot(page, 'compare-architecture');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the depth slider reaches 1000 layers, and orthogonal weights keep their error within a small factor', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?width=32&batch=4&lr=0.0001&weight-scale=1`);
  await waitReady(page);
  await setInput(page, 'depth', 189); // the ladder's top rung
  await page.waitForFunction(() => new URLSearchParams(location.search).get('depth') === '1000');
  await page.waitForFunction(() => document.querySelectorAll('#layer-table tbody tr').length === 1001);
  const spread = async () => {
    const d = await column(page, 'delta-norm');
    return Math.max(...d) / Math.min(...d);
  };
  await stepTo(page, 1);
  const gaussian = await spread();
  await page.selectOption('#init', 'orthogonal');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('init') === 'orthogonal');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');
  await stepTo(page, 1);
  const orthogonal = await spread();
  assert.ok(gaussian > 1e4 && orthogonal < 100, `Gaussian ${gaussian}, orthogonal ${orthogonal}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('backward clipping reaches the worker: the update leaves the true gradient\'s direction', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=10&weight-scale=2.5`);
  await waitReady(page);
  await page.selectOption('#clip-mode', 'backward');
  await setInput(page, 'clip-threshold', -2); // 0.01 (the slider holds log₁₀ of the value)
  await page.waitForFunction(() => new URLSearchParams(location.search).get('clip-mode') === 'backward');
  await stepTo(page, 1);
  const cosine = parseFloat(await page.textContent('#clip-cosine'));
  assert.ok(cosine < 0.99, `cos ${cosine}`);
  const deltas = await column(page, 'delta-norm');
  // Every error was clamped to ±0.01: ‖δ‖ ≤ 0.01·√(32 examples × 16 units).
  assert.ok(deltas.slice(0, 10).every((d) => d <= 0.01 * Math.sqrt(32 * 16) * 1.001), `${deltas}`);
  assert.deepEqual(errors, []);
  await page.close();
});
