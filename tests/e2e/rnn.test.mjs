// Issue 9 in real Chromium: the recurrent network's view, its explosion through time, clipping,
// the λ₁ gauge against the headless runner, and RNN links that reproduce their run.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, screenshot, waitReady, stepsAbove, pause, stepTimes, headlessRunner } from './harness.mjs';

const lab = useLab();

/** The table's numbers for one field, by row attribute (`data-group`, `data-time-step`). */
async function cells(page, table, field) {
  return page.$$eval(`#${table} tbody tr td[data-field="${field}"]`, (tds) => tds.map((c) => parseFloat(c.textContent)));
}

test('choosing the RNN turns the chart to time steps and the table to groups and time steps', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  assert.equal(await page.isVisible('#seq-len'), false, 'RNN controls hidden for the MLP');
  await page.selectOption('#model', 'rnn');
  await page.waitForSelector('#layer-table tr[data-group="W_h"]');
  assert.deepEqual(
    await page.$$eval('#layer-table tbody tr', (rows) => rows.map((r) => r.dataset.group)),
    ['W_x', 'W_h', 'b', 'W_out', 'b_out'],
  );
  await page.waitForFunction(() => document.querySelectorAll('#time-table tbody tr').length === 50);
  assert.equal(await page.isVisible('#depth'), false, 'MLP controls hidden for the RNN');
  for (const id of ['task', 'seq-len', 'hidden', 'recurrent-init', 'recurrent-scale', 'input-scale', 'bptt', 'readout']) {
    assert.ok(await page.isVisible(`#${id}`), `${id} shown`);
  }
  assert.match(await page.textContent('#grad-chart-figure h2'), /per time step/);
  assert.match(new URL(page.url()).search, /model=rnn/);
  await stepTimes(page, 1);
  const times = await cells(page, 'time-table', 'time-norm');
  assert.equal(times.length, 50);
  assert.ok(times.every((v) => Number.isFinite(v) && v > 0), `${times}`);
  assert.match(await page.textContent('#sigma-max'), /λ₁\(W_h\) = [0-9.]+/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a tanh RNN at recurrent scale 2 over 50 steps: the first step\'s error dwarfs the last\'s', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?model=rnn&seq-len=50&recurrent-scale=2&seed=1`);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#time-table tbody tr').length === 50);
  await stepTimes(page, 1);
  const first = parseFloat(await page.textContent('#time-table tr[data-time-step="1"] td[data-field="time-norm"]'));
  const last = parseFloat(await page.textContent('#time-table tr[data-time-step="50"] td[data-field="time-norm"]'));
  assert.ok(first > 100 * last, `‖∂L/∂h_1‖ = ${first}, ‖∂L/∂h_50‖ = ${last}`);
  await screenshot(page, 'rnn-explosion');
  assert.deepEqual(errors, []);
  await page.close();
});

test('global-norm clipping at 1 keeps an exploding RNN\'s clipped norm at most 1 for 1000+ steps', async () => {
  const { page, errors } = await openPage(
    lab.browser,
    `${lab.server.url}?model=rnn&seq-len=30&recurrent-scale=1.8&lr=0.1&clip-mode=global-norm&clip=1`,
  );
  await waitReady(page);
  await page.click('#play');
  await stepsAbove(page, 1000);
  await pause(page);
  const maxClipped = parseFloat(await page.getAttribute('#max-clipped-norm', 'data-value'));
  const maxRaw = parseFloat(await page.getAttribute('#max-raw-norm', 'data-value'));
  assert.ok(maxClipped <= 1 + 1e-6, `max clipped global norm ${maxClipped}`);
  assert.ok(maxRaw > 1, `the raw norm should pass the threshold (max ${maxRaw})`);
  const clipped = await cells(page, 'layer-table', 'grad-norm-clipped');
  assert.ok(Math.hypot(...clipped) <= 1 + 1e-4, `clipped group norms ${clipped}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the λ₁ gauge agrees with the headless runner for the same link, from before the first step', async () => {
  const settings = { model: 'rnn', 'seq-len': 30, 'recurrent-scale': 1.2, lr: 0.1, seed: 3 };
  const query = new URLSearchParams(settings).toString();
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query}`);
  await waitReady(page);
  // The runner prints λ₁ before each step's update: line 0 is the network as built, which the
  // gauge shows before any step, and line 5 the weights after 5 steps.
  const lines = headlessRunner(settings, '--steps', '6');
  await page.waitForFunction(() => document.querySelector('#sigma-max').dataset.value !== undefined);
  const built = parseFloat(await page.getAttribute('#sigma-max', 'data-value'));
  assert.ok(Math.abs(built - lines[0].sigma_max) <= 0.01 * lines[0].sigma_max, `page λ₁ before Play ${built} vs runner ${lines[0].sigma_max}`);
  await stepTimes(page, 5);
  const shown = parseFloat(await page.getAttribute('#sigma-max', 'data-value'));
  const runner = lines[5].sigma_max;
  assert.ok(Math.abs(shown - runner) <= 0.01 * runner, `page λ₁ ${shown} vs runner ${runner}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an RNN link reproduces the run step for step', async () => {
  const link = `${lab.server.url}?model=rnn&task=copy&readout=all&seq-len=25&hidden=16&recurrent-init=orthogonal&recurrent-scale=1.1&bptt=10&seed=7`;
  const numbers = async () => {
    const { page, errors } = await openPage(lab.browser, link);
    await waitReady(page);
    await page.waitForFunction(() => document.querySelectorAll('#time-table tbody tr').length === 25);
    await stepTimes(page, 5);
    const got = [
      await cells(page, 'time-table', 'time-norm'),
      await cells(page, 'layer-table', 'grad-norm'),
      await page.textContent('#loss'),
    ];
    assert.deepEqual(errors, []);
    await page.close();
    return got;
  };
  const first = await numbers();
  assert.equal(first[0].length, 25);
  assert.deepEqual(await numbers(), first);
});

test('the language model writes live samples from its alphabet; other tasks show none', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?model=rnn&task=language&readout=all&seq-len=30&hidden=32&lr=0.5&clip-mode=global-norm&clip=1&seed=2`);
  await waitReady(page);
  assert.ok(await page.isVisible('#lm-sample'), 'the sample panel shows for the language task');
  assert.match(await page.textContent('#lm-sample'), /appears once training starts/);
  await stepTimes(page, 1);
  await page.waitForFunction(() => document.querySelector('#lm-sample').dataset.step === '1');
  const text = await page.textContent('#lm-sample');
  assert.equal(text.length, 160);
  assert.match(text, /^[ ,.a-z]+$/);
  // A new sample every 50 steps, written by the newer weights.
  await page.click('#play');
  await page.waitForFunction(() => Number(document.querySelector('#lm-sample').dataset.step) >= 100);
  await pause(page);
  assert.notEqual(await page.textContent('#lm-sample'), text);
  const known = parseFloat(await page.getAttribute('#lm-sample', 'data-known-words'));
  assert.ok(known >= 0 && known <= 1, `${known}`);
  assert.match(await page.textContent('.samples'), /4\.15 bits per character/);
  await page.selectOption('#task', 'adding');
  await page.waitForFunction(() => document.querySelector('.samples').hidden);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an LSTM shows ‖∂L/∂c_t‖ beside ‖∂L/∂h_t‖, agreeing with the headless runner; a GRU has no such column', async () => {
  const settings = { model: 'rnn', cell: 'lstm', task: 'adding', 'seq-len': 12, hidden: 8, lr: 0.1, seed: 4 };
  const query = new URLSearchParams(settings).toString();
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query}`);
  await waitReady(page);
  assert.equal(await page.inputValue('#cell'), 'lstm');
  await stepTimes(page, 3);
  // The λ₁ gauge is the vanilla cell's: a gated cell says why it has none.
  assert.equal(await page.getAttribute('#sigma-max', 'data-phase'), 'none');
  assert.match(await page.textContent('#sigma-max'), /gated cell/);
  assert.ok(await page.isVisible('#grad-chart-figure .key:has(.swatch.cell-state)'), 'the legend names the cell-state line');
  const shown = await cells(page, 'time-table', 'cell-norm');
  assert.equal(shown.length, 12);
  // The table shows the last step taken (step 3, 0-based 2): the runner's third line.
  const lines = headlessRunner(settings, '--steps', '3');
  const runner = lines[2].cell_norms;
  shown.forEach((v, t) => assert.ok(Math.abs(v - runner[t]) <= 1e-3 * runner[t], `step ${t + 1}: page ${v} vs runner ${runner[t]}`));
  // The address keeps the cell; switching to a GRU rebuilds the run without the column.
  assert.match(await page.evaluate(() => location.search), /cell=lstm/);
  await page.selectOption('#cell', 'gru');
  await page.waitForFunction(() => /cell=gru/.test(location.search));
  await stepTimes(page, 1);
  assert.equal(await page.isVisible('#time-table td[data-field="cell-norm"]'), false);
  assert.equal(await page.isVisible('#grad-chart-figure .key:has(.swatch.cell-state)'), false);
  assert.deepEqual(errors, []);
  await page.close();
  // Teacher mode hides the cell control; the linked cell still trains.
  const hidden = await openPage(lab.browser, `${lab.server.url}?model=rnn&cell=lstm&seq-len=6&hide=cell`);
  await waitReady(hidden.page);
  assert.ok(await hidden.page.isHidden('#cell'));
  await stepTimes(hidden.page, 1);
  assert.equal((await cells(hidden.page, 'time-table', 'cell-norm')).length, 6);
  assert.deepEqual(hidden.errors, []);
  await hidden.page.close();
});
