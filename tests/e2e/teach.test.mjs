// Issue 5 in real Chromium: the lessons, compare mode and the downloads.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { useLab, openPage, screenshot, waitReady, setInput, sliderValue, stepsAbove, pause } from './harness.mjs';

const lab = useLab();
const LESSONS = JSON.parse(
  await readFile(new URL('../../public/lessons.json', import.meta.url), 'utf8'),
).lessons;

// TrainParams::default(), by link key: what a lesson's missing settings take.
const DEFAULTS = {
  model: 'mlp', depth: 10, width: 16, activation: 'tanh', 'weight-scale': 1, 'bias-scale': 0,
  init: 'gaussian', residual: 'off', 'layer-norm': 'off', dataset: 'circle', task: 'adding', 'seq-len': 50, hidden: 32, 'recurrent-init': 'gaussian',
  'recurrent-scale': 1, 'input-scale': 1, bptt: 0, readout: 'last', batch: 32, lr: 0.03,
  schedule: 'constant', precision: 'f32', 'loss-scale': 'none',
  'clip-mode': 'none', clip: 1, l1: 0, l2: 0, optimizer: 'sgd', momentum: 0.9, alpha: 0.99,
  beta1: 0.9, beta2: 0.999, eps: 1e-8, 'weight-decay': 0.01, seed: 1,
  layers: 4, 'd-model': 64, heads: 4, context: 64, norm: 'pre',
};
// Settings of some models only: a link holds those of its own model (the settings table says).
const MODELS_OF = {
  depth: ['mlp'], width: ['mlp'], 'bias-scale': ['mlp'], init: ['mlp'], dataset: ['mlp'], residual: ['mlp'], 'layer-norm': ['mlp'],
  'weight-scale': ['mlp', 'transformer'], activation: ['mlp', 'rnn'],
  task: ['rnn', 'transformer'], readout: ['rnn', 'transformer'],
  'seq-len': ['rnn'], hidden: ['rnn'], 'recurrent-init': ['rnn'], 'recurrent-scale': ['rnn'], 'input-scale': ['rnn'], bptt: ['rnn'],
  layers: ['transformer'], 'd-model': ['transformer'], heads: ['transformer'], context: ['transformer'], norm: ['transformer'],
};
// An optimizer's hyperparameters are in a link beside that optimizer (A's or, in compare
// mode, B's, which follows A's value).
const ONLY_WITH = {
  momentum: ['momentum', 'nesterov'], alpha: ['rmsprop'], beta1: ['adam', 'adamw'],
  beta2: ['adam', 'adamw'], eps: ['rmsprop', 'adam', 'adamw'], 'weight-decay': ['adamw'],
};
const applies = (key, settings) =>
  (!MODELS_OF[key] || MODELS_OF[key].includes(settings.model)) &&
  (!ONLY_WITH[key] || settings.optimizers.some((o) => ONLY_WITH[key].includes(o)));

// The address once it has settled: the page writes it at most every 250 ms (and once more
// after the last change), so it is read when it has not changed for longer than that.
const query = (page) => page.evaluate(() => new Promise((resolve) => {
  let last = location.search;
  let since = performance.now();
  const poll = () => {
    if (location.search !== last) [last, since] = [location.search, performance.now()];
    if (performance.now() - since > 400) resolve(Object.fromEntries(new URLSearchParams(last)));
    else setTimeout(poll, 25);
  };
  poll();
}));
const same = (a, b) => (typeof b === 'number' ? Math.abs(parseFloat(a) - b) <= 1e-9 * Math.max(1, Math.abs(b)) : a === b);

test('each lesson\'s Run it sets the controls and seed, starts training and highlights its target', async () => {
  assert.equal(LESSONS.length, 31);
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?lesson=1`);
  await waitReady(page);
  for (const [i, lesson] of LESSONS.entries()) {
    await page.waitForFunction((t) => document.querySelector('#lesson-heading')?.textContent.includes(t), lesson.title);
    assert.equal((await query(page)).lesson, String(i + 1), 'the lesson is in the address');
    // Nothing shown before Run it answers the prediction: what to look for waits.
    assert.equal(await page.isVisible('#look-for'), false, `lesson ${i + 1}: what to look for, before Run it`);
    await page.click('#lesson-choice-0');
    await page.click('#run-lesson');
    await stepsAbove(page, 0);
    // Every setting (defaults where the lesson is silent) is in force: the address mirrors the
    // configuration the worker was sent.
    const q = await query(page);
    const want = { ...DEFAULTS, ...lesson.settings };
    const optimizers = [want.optimizer, lesson.compare?.optimizer ?? want.optimizer];
    for (const [key, value] of Object.entries(want)) {
      if (!applies(key, { model: want.model, optimizers })) {
        assert.equal(q[key], undefined, `lesson ${i + 1}: ${key} does not apply to its runs`);
        continue;
      }
      assert.ok(same(q[key], value), `lesson ${i + 1}: ${key} = ${q[key]}, want ${value}`);
    }
    // The chart view and the speed are part of the link too (defaults are left out).
    assert.equal(q.view, lesson.view && lesson.view !== 'gradient' ? lesson.view : undefined);
    if (lesson.speed !== undefined) assert.equal(q.speed, lesson.speed === 6 ? undefined : String(lesson.speed));
    assert.equal(await page.isChecked(`#show-${lesson.view ?? 'gradient'}`), true);
    assert.equal(await page.inputValue('#optimizer'), want.optimizer);
    // The controls show it.
    assert.equal(await page.inputValue('#model'), want.model);
    // The depth slider's position is depth − 1 up to 100 (then one per ten layers).
    assert.equal(await page.inputValue('#depth'), String(want.depth <= 100 ? want.depth - 1 : 99 + (want.depth - 100) / 10));
    assert.equal(await sliderValue(page, 'seq-len'), want['seq-len']);
    assert.equal(await page.inputValue('#recurrent-init'), want['recurrent-init']);
    assert.equal(await page.isVisible('#seq-len'), want.model === 'rnn', `lesson ${i + 1}: RNN controls shown`);
    assert.equal(await page.isVisible('#depth'), want.model === 'mlp', `lesson ${i + 1}: MLP controls shown`);
    assert.equal(await page.isVisible('#layers'), want.model === 'transformer', `lesson ${i + 1}: Transformer controls shown`);
    assert.equal(await page.inputValue('#activation'), want.activation);
    assert.equal(await page.inputValue('#clip-mode'), want['clip-mode']);
    assert.equal(await page.inputValue('#seed'), String(want.seed));
    assert.ok(Math.abs(await sliderValue(page, 'weight-scale') - want['weight-scale']) <= 0.025);
    // Compare mode as the lesson says, with run B's differences.
    assert.equal(await page.isChecked('#compare'), Boolean(lesson.compare), `lesson ${i + 1}: compare`);
    assert.equal(q.compare, lesson.compare ? 'on' : undefined);
    for (const [key, value] of Object.entries(lesson.compare ?? {})) {
      assert.ok(same(q[`b-${key}`], value), `lesson ${i + 1}: b-${key} = ${q[`b-${key}`]}, want ${value}`);
    }
    if (lesson.compare) {
      await page.waitForFunction(() => parseInt(document.querySelector('#b-step-count')?.textContent ?? '0', 10) > 0);
    }
    // It trains (lesson 2 diverges within a few dozen steps: it trained, then stopped).
    const state = await page.$eval('.status-line', (el) => el.dataset.state);
    assert.ok(['training', 'diverged', 'paused'].includes(state), `lesson ${i + 1}: ${state}`);
    // The feedback reveals the answer; what to look for shows only now, and its target is
    // highlighted.
    assert.ok(await page.isVisible('#look-for'), `lesson ${i + 1}: what to look for, after Run it`);
    assert.ok((await page.textContent('#lesson-feedback')).includes(lesson.question.why.slice(0, 40)));
    const lit = await page.$eval('.spotlight', (el) => el.id || el.className);
    assert.ok(
      await page.$eval(`#${lesson['look-for'].target}`, (el) => Boolean(el.closest('.spotlight'))),
      `lesson ${i + 1}: spotlight on ${lit}`,
    );
    if (i === 4) await screenshot(page, 'lesson-5-running');
    if (i + 1 < LESSONS.length) {
      await pause(page);
      await page.click('#next-lesson');
    }
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lesson link reopens that lesson; a lesson the file lacks gives a notice', async () => {
  const { page } = await openPage(lab.browser, `${lab.server.url}?lesson=4&hide=depth,compare`);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelector('#lesson-heading')?.textContent.includes('vanishing'));
  assert.equal(await page.isDisabled('#prev-lesson'), false);
  await page.selectOption('#lesson-select', String(LESSONS.length - 1));
  await page.waitForFunction((t) => document.querySelector('#lesson-heading')?.textContent.includes(t), LESSONS.at(-1).title);
  assert.equal(await page.isDisabled('#next-lesson'), true);
  const q = await query(page);
  assert.equal(q.lesson, String(LESSONS.length));
  assert.equal(q.hide, 'depth,compare', 'teacher mode survives');
  assert.equal(await page.isVisible('#compare'), false);
  await page.close();

  const bad = await openPage(lab.browser, `${lab.server.url}?lesson=42`);
  await waitReady(bad.page);
  await bad.page.waitForSelector('#start-lessons');
  assert.match(await bad.page.textContent('.notices'), new RegExp(`lesson 42, but there are ${LESSONS.length}`));
  await bad.page.close();
});

test('compare mode with identical settings trains two identical runs in lockstep', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=8&weight-scale=1.8&compare=on&seed=5`);
  await waitReady(page);
  assert.equal(await page.isChecked('#compare'), true);
  await setInput(page, 'speed', 0); // one step per frame
  await page.click('#play');
  await stepsAbove(page, 40);
  await pause(page);
  await page.waitForFunction(() => document.querySelector('.status-line').dataset.state === 'paused');
  const a = await page.$$eval(['#step-count', '#loss', '#global-norm', '#clip-cosine'].join(','), (els) => els.map((e) => e.textContent));
  const b = await page.$$eval(['#b-step-count', '#b-loss', '#b-global-norm', '#b-clip-cosine'].join(','), (els) => els.map((e) => e.textContent));
  assert.deepEqual(b, a);
  // Now B clips by value: same step, different numbers, and cos below 1 shows up for B only.
  await page.selectOption('#b-clip-mode', 'value');
  await setInput(page, 'b-clip-threshold', Math.log10(0.01));
  await page.waitForFunction(() => new URLSearchParams(location.search).get('b-clip-mode') === 'value');
  await page.click('#play');
  await stepsAbove(page, 30);
  await page.waitForFunction(() => parseFloat(document.querySelector('#b-clip-cosine').textContent) < 0.9999);
  assert.equal(await page.textContent('#clip-cosine'), '1.0000');
  await pause(page);
  await screenshot(page, 'compare');
  assert.deepEqual(errors, []);
  await page.close();
});

test('downloads: CSV has one row per step, JSON the settings and steps, PNG a chart', async () => {
  // Under a 4-step warmup from η = 0.1: each row's lr is the rate its step used, η·min(1, t/4).
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=3&clip-mode=global-norm&clip=0.5&seed=3&lr=0.1&schedule=warmup&warmup-steps=4`);
  await waitReady(page);
  for (let i = 0; i < 12; i += 1) {
    await page.click('#step-once');
    await page.waitForFunction((k) => parseInt(document.querySelector('#step-count').textContent, 10) === k, i + 1);
  }
  const save = async (button) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
  };
  const csv = await save('#download-csv');
  assert.match(csv.name, /^gradlab-seed3-12steps\.csv$/);
  const lines = csv.bytes.toString('utf8').trim().split('\n');
  const header = lines[0].split(',');
  assert.deepEqual(header.slice(0, 6), ['run', 'step', 'loss', 'global_norm', 'global_norm_clipped', 'clipped']);
  assert.equal(header.length, 6 + 3 * 4 + 3, 'per-layer norms before and after clipping, the step ‖ΔW‖ (4 layers), lr, loss scale, skipped');
  assert.deepEqual(header.slice(14), ['update_norm_1', 'update_norm_2', 'update_norm_3', 'update_norm_4', 'lr', 'loss_scale', 'skipped']);
  assert.equal(lines.length, 13, 'a header and one row per step');
  lines.slice(1).forEach((line, step) => {
    const cells = line.split(',');
    assert.equal(cells[0], 'A');
    assert.equal(cells[1], String(step));
    // Global-norm clipping at 0.5: the clipped norm never exceeds it.
    assert.ok(parseFloat(cells[4]) <= 0.5 * (1 + 1e-5), line);
    assert.ok(Math.abs(parseFloat(cells[18]) - 0.1 * Math.min(1, step / 4)) < 1e-8, line);
    // No loss scaling: S = 1 and nothing skipped.
    assert.deepEqual(cells.slice(19), ['1', '0'], line);
  });
  // The table's first-layer gradient (last step) is the CSV's.
  const tableGrad = parseFloat(await page.textContent('#layer-table tbody tr[data-layer="0"] td[data-field="grad-norm"]'));
  const csvGrad = parseFloat(lines[12].split(',')[6]);
  assert.ok(Math.abs(tableGrad - csvGrad) <= 1e-3 * Math.abs(csvGrad), `${tableGrad} vs ${csvGrad}`);
  const tableStep = parseFloat(await page.textContent('#layer-table tbody tr[data-layer="0"] td[data-field="update-norm"]'));
  const csvStep = parseFloat(lines[12].split(',')[14]);
  assert.ok(Math.abs(tableStep - csvStep) <= 1e-3 * Math.abs(csvStep), `${tableStep} vs ${csvStep}`);

  const json = JSON.parse((await save('#download-json')).bytes.toString('utf8'));
  assert.equal(json.format, 'gradlab-run/1');
  assert.equal(json.runs[0].settings.depth, 3);
  assert.equal(json.runs[0].settings['clip-mode'], 'global-norm');
  assert.equal(json.runs[0].steps.length, 12);
  assert.equal(json.runs[0].last.step, 11);

  // Reproduce in PyTorch: the worker's zip holds the folder the runner's --export-pytorch
  // writes, for the same settings from step 0 — its first step's loss is the CSV's.
  const zip = await save('#download-pytorch');
  assert.match(zip.name, /^gradlab-pytorch-mlp-seed3\.zip$/);
  assert.deepEqual([...zip.bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
  const listing = JSON.parse(execFileSync('python3', ['-c', `
import io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
print(json.dumps({"names": sorted(z.namelist()),
                  "config": json.loads(z.read("gradlab-pytorch-mlp-seed3/config.json")),
                  "steps": json.loads(z.read("gradlab-pytorch-mlp-seed3/gradlab.json"))["steps"]}))
`], { input: zip.bytes }).toString());
  for (const file of ['run.py', 'README.txt', 'config.json', 'gradlab.json', 'data/x.npy', 'data/y.npy', 'init/layer1.W.npy', 'init/layer4.b.npy']) {
    assert.ok(listing.names.includes(`gradlab-pytorch-mlp-seed3/${file}`), file);
  }
  assert.equal(listing.config.settings.schedule, 'warmup');
  assert.equal(listing.steps.length, 20);
  assert.ok(Math.abs(listing.steps[0].loss - parseFloat(lines[1].split(',')[2])) <= 1e-6 * listing.steps[0].loss);
  assert.equal(listing.steps[0].lr, 0);

  const png = await save('#png-loss-chart');
  assert.match(png.name, /^gradlab-loss-chart-step12\.png$/);
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.bytes.length > 5_000, `${png.bytes.length} bytes`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing or broken lesson file says so in the panel, and the lab still trains', async () => {
  for (const [body, status, says] of [
    ['not found', 404, /HTTP 404/],
    ['{"lessons": [{"title": "x"}]}', 200, /not valid/],
  ]) {
    const page = await lab.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.route('**/lessons.json', (route) => route.fulfill({ status, body, contentType: 'application/json' }));
    await page.goto(`${lab.server.url}?lesson=2`);
    await waitReady(page);
    await page.waitForSelector('#lesson-error');
    assert.match(await page.textContent('#lesson-error'), says);
    await page.click('#play');
    await stepsAbove(page, 10);
    await page.close();
  }
});
