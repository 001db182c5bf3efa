// Mixed precision in real Chromium: f16 reaches the worker and flushes a vanishing net's first
// layer to zero; dynamic loss scaling (a live change) brings it back and the status line shows
// S; too high a static scale skips every step without a divergence; the range chart and its
// summary say where the values fell. The worker's numbers are the native runner's.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, screenshot, waitReady, stepTimes, column, headlessRunner } from './harness.mjs';

const lab = useLab();

const VANISHING = { activation: 'sigmoid', depth: 10, optimizer: 'adam', lr: 0.01, precision: 'f16' };
const query = (settings) => new URLSearchParams(Object.entries(settings).map(([k, v]) => [k, String(v)]));

test('f16 flushes the first layer to zero, and a dynamic loss scale brings it back', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query(VANISHING)}`);
  await waitReady(page);
  assert.equal(await page.inputValue('#precision'), 'f16');
  assert.ok(!(await page.isVisible('#loss-scale-now')), 'no scale shown without loss scaling');
  assert.ok(!(await page.isVisible('#static-scale')), 'the static scale belongs to static scaling');
  await stepTimes(page, 1);
  const flushed = await column(page, 'grad-norm');
  assert.equal(flushed[0], 0, `first layer ${flushed[0]}`);
  // The worker's step is the native runner's: the output layer's gradient to the 4 digits shown.
  const native = headlessRunner(VANISHING, '--steps', '1')[0];
  const last = flushed.length - 1;
  assert.ok(Math.abs(flushed[last] - native.grad_norms[last]) <= 1e-3 * native.grad_norms[last],
    `${flushed[last]} vs ${native.grad_norms[last]}`);
  const summary = await page.textContent('#range-chart-summary');
  assert.match(summary, /^A recent step's gradient values: \d+\.\d% exactly zero/);
  assert.ok(parseFloat(summary.match(/([\d.]+)% exactly zero/)[1]) > 0, summary);

  // Live: the weights stay, the next step is scaled.
  await page.selectOption('#loss-scale', 'dynamic');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('loss-scale') === 'dynamic');
  await page.click('#step-once');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '2');
  assert.ok(await page.isVisible('#loss-scale-now'));
  assert.equal(await page.textContent('#loss-scale-now'), '2¹⁶');
  // (data-value has four significant digits, as every plain number on the page.)
  assert.equal(parseFloat(await page.getAttribute('#loss-scale-now', 'data-value')), 6.554e4);
  const scaled = await column(page, 'grad-norm');
  assert.ok(scaled[0] > 0, `first layer ${scaled[0]} with S = 2¹⁶`);
  assert.equal(await page.textContent('#skipped-steps'), '0');
  await screenshot(page, 'precision-dynamic');
  assert.deepEqual(errors, []);
  await page.close();
});

test('too high a static scale skips every step: nothing moves and nothing diverges', async () => {
  const settings = { precision: 'f16', 'loss-scale': 'static', 'static-scale': 16777216 };
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query(settings)}`);
  await waitReady(page);
  assert.ok(await page.isVisible('#static-scale'));
  await stepTimes(page, 3);
  assert.equal(await page.textContent('#skipped-steps'), '3');
  assert.equal(await page.textContent('#loss-scale-now'), '2²⁴');
  assert.deepEqual(await column(page, 'update-norm'), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.notEqual(await page.getAttribute('.status-line', 'data-state'), 'diverged');
  assert.match(await page.textContent('#range-chart-summary'), /100\.0% inf or NaN.*3 of 3 steps skipped/);
  // The chart was drawn: its data canvas holds more than a blank frame.
  const drawn = await page.$eval('#range-chart', (c) => c.toDataURL().length);
  assert.ok(drawn > 2000, `range chart ${drawn} bytes`);
  await screenshot(page, 'precision-overflow');
  assert.deepEqual(errors, []);
  await page.close();
});
