// Issue 11 in real Chromium: the trainability map — filled by its own pool of workers, tile for
// tile the headless runner's sweep, a click loads a tile into the lab, cancel stops it — and
// Pascanu's cliff map — its lesson, a click that starts two descents computed by the worker,
// the link that reproduces them, teacher mode, and axe-core.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { useLab, openPage, screenshot, waitReady, setInput, headlessRunner } from './harness.mjs';

const lab = useLab();
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));

/** The two descents' longest steps, once both are drawn. */
async function longestSteps(page) {
  await page.waitForFunction(() => document.querySelector('#cliff-summary')?.dataset.longestClipped !== undefined);
  return page.$eval('#cliff-summary', (e) => [parseFloat(e.dataset.longestPlain), parseFloat(e.dataset.longestClipped)]);
}

/** The map's outcomes, once every tile is in. */
async function phaseOutcomes(page) {
  await page.waitForFunction(() => {
    const o = document.querySelector('#phase-summary')?.dataset.outcomes;
    return o && !o.includes('-');
  }, null, { timeout: 60_000 });
  return (await page.getAttribute('#phase-summary', 'data-outcomes')).split(',');
}

/**
 * The page's outcomes against the runner's `--sweep` lines, square by square. They must be the
 * same, except on a square whose run the runner saw at the edge of f32's range (overflowed, or a
 * loss above 10³⁰ without overflowing): there whether the overflow comes within the window is
 * decided by rounding, and the page's products (the wasm kernel, fused multiply-add) round
 * differently from the runner's (matrixmultiply), so such a square may read stalled or exploded.
 */
function assertSameOutcomes(shown, runner) {
  assert.equal(shown.length, runner.length);
  let compared = 0;
  runner.forEach((tile, i) => {
    const edge = tile.loss_last === null || tile.loss_last > 1e30;
    if (edge) {
      assert.ok(['stalled', 'exploded'].includes(shown[i]), `square ${i}: page ${shown[i]}, runner ${tile.outcome} at the f32 edge`);
    } else {
      assert.equal(shown[i], tile.outcome, `square ${i}`);
      compared += 1;
    }
  });
  assert.ok(compared >= runner.length / 2, `only ${compared} of ${runner.length} squares away from the f32 edge`);
}

test('the trainability map fills tile by tile as the headless sweep does, and a click loads a tile', async () => {
  const settings = { lr: 0.1, seed: 2 };
  const axes = { x: 'depth=2:20:3', y: 'weight-scale=0.5:3:3' };
  const query = new URLSearchParams({ ...settings, map: 'phase', 'phase-x': axes.x, 'phase-y': axes.y, 'phase-steps': 60 });
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query}`);
  await waitReady(page);
  await page.waitForSelector('#phase', { state: 'visible' });
  const shown = await phaseOutcomes(page);
  const lines = headlessRunner(settings, '--sweep', `${axes.x},${axes.y}`, '--steps', '60');
  assertSameOutcomes(shown, lines);
  assert.match(await page.textContent('#phase-summary'), /9 of 9 tiles, done/);
  // The lab's own setting (depth 11, σ 1.75 — a square of the grid): its first step's loss is
  // the square's, the same settings and seed trained by the lab's worker.
  await setInput(page, 'depth', 10); // ladder position 10 = depth 11
  await setInput(page, 'weight-scale', 35); // σ 1.75: 0.05 a position
  await page.waitForFunction(() => document.querySelector('#phase-summary').dataset.labCell !== undefined);
  const [, squareLoss] = (await page.getAttribute('#phase-summary', 'data-lab-cell')).split(' ');
  await page.click('#step-once');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '1');
  const labLoss = parseFloat(await page.textContent('#loss'));
  assert.ok(Math.abs(labLoss - Number(squareLoss)) <= 5e-4 * Number(squareLoss), `lab ${labLoss} vs square ${squareLoss}`);
  assert.match(await page.textContent('#phase-theory'), /χ₁ = 1/);
  // The top-right tile (depth 20, σ 3) into the lab.
  const box = await page.locator('#phase-chart').boundingBox();
  await page.mouse.click(box.x + box.width - 30, box.y + 20);
  await page.waitForFunction(() => {
    const s = new URLSearchParams(location.search);
    return s.get('depth') === '20' && s.get('weight-scale') === '3';
  });
  assert.equal(await page.inputValue('#depth'), '19'); // the ladder slider's position for depth 20
  await screenshot(page, 'phase-map');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the RNN\'s map (T × recurrent scale) matches the runner and draws Pascanu\'s line', async () => {
  const settings = { model: 'rnn', task: 'adding', hidden: 8, 'recurrent-init': 'orthogonal', lr: 0.1 };
  const axes = { x: 'seq-len=5:30:2', y: 'recurrent-scale=0.5:2:3' };
  const query = new URLSearchParams({ ...settings, map: 'phase', 'phase-x': axes.x, 'phase-y': axes.y, 'phase-steps': 40 });
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query}`);
  await waitReady(page);
  const shown = await phaseOutcomes(page);
  const lines = headlessRunner(settings, '--sweep', `${axes.x},${axes.y}`, '--steps', '40');
  assertSameOutcomes(shown, lines);
  assert.match(await page.textContent('#phase-theory'), /λ₁\(W_h\) = 1\/γ at g = 1(\.0+)? \(orthogonal/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the trainability map can be cancelled, and teacher mode hides its button', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?map=phase&hide=open-phase`);
  await waitReady(page);
  assert.ok(await page.isHidden('#open-phase'));
  await page.waitForFunction(() => /[1-9]\d* of 256 tiles, computing/.test(document.querySelector('#phase-summary')?.textContent));
  // Checked and clicked in one turn of the page's event loop: the map cannot finish between.
  const clicked = await page.evaluate(() => {
    const button = document.querySelector('#phase-cancel');
    if (button.disabled) return false;
    button.click();
    return true;
  });
  assert.ok(clicked, 'Cancel was enabled while the map computed');
  await page.waitForFunction(() => /cancelled/.test(document.querySelector('#phase-summary').textContent));
  const stopped = await page.textContent('#phase-summary');
  const done = parseInt(stopped, 10);
  assert.ok(done > 0 && done < 256, stopped);
  // Nothing more arrives once cancelled.
  await page.waitForTimeout(1500);
  assert.equal(await page.textContent('#phase-summary'), stopped);
  // Closing the map removes it from the address.
  await page.click('#close-phase');
  await page.waitForFunction(() => !new URLSearchParams(location.search).has('map'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the cliff lesson throws the unclipped step off the map and keeps the clipped one at η·c', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?lesson=24`);
  await waitReady(page);
  assert.ok(await page.isHidden('#cliff'), 'the map opens with the lesson, not before');
  await page.click('#run-lesson');
  await page.waitForSelector('#cliff', { state: 'visible' });
  const [plain, clipped] = await longestSteps(page);
  assert.ok(clipped <= 0.1 + 1e-9, `clipped step ${clipped}`);
  assert.ok(plain > 100 * clipped, `unclipped ${plain} vs clipped ${clipped}`);
  assert.match(await page.textContent('#cliff-summary'), /never more than η·c = 0\.1/);
  const search = new URLSearchParams(await page.evaluate(() => location.search));
  assert.equal(search.get('map'), 'cliff');
  assert.equal(search.get('cliff-from'), '5,-2.6123');
  // Something is drawn on both layers.
  const drawn = await page.$eval('#cliff-chart', (c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let opaque = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque += 1;
    return opaque;
  });
  assert.ok(drawn > 100, `paths drawn: ${drawn} pixels`);
  await page.locator('#cliff').scrollIntoViewIfNeeded();
  await screenshot(page, 'cliff-lesson');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a click on the map starts both descents there, and the link reproduces them', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url);
  await waitReady(page);
  await page.click('#open-cliff');
  await page.waitForSelector('#cliff', { state: 'visible' });
  assert.match(await page.textContent('#cliff-summary'), /Click the map/);
  const box = await page.locator('#cliff-chart').boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.4);
  const first = await longestSteps(page);
  assert.match(await page.textContent('#cliff-summary'), /^From w = /);
  const link = await page.evaluate(() => location.href);
  assert.match(link, /map=cliff&cliff-from=/);
  // A smaller threshold shortens the clipped steps to at most η·c.
  await page.$eval('#cliff-clip', (input) => {
    input.value = String(Math.log10(0.01));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForFunction(() => new URLSearchParams(location.search).get('cliff-clip') === '0.01');
  await page.waitForFunction(() => parseFloat(document.querySelector('#cliff-summary').dataset.longestClipped) <= 0.001 + 1e-9);
  await page.close();

  const again = await openPage(lab.browser, link);
  await waitReady(again.page);
  assert.deepEqual(await longestSteps(again.page), first);
  assert.deepEqual([...errors, ...again.errors], []);
  await again.page.close();
});

test('teacher mode hides the map button and its sliders; bad cliff values are repaired with a notice', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?map=cliff&cliff-lr=500&hide=open-cliff,cliff-lr`);
  await waitReady(page);
  await page.waitForSelector('#cliff', { state: 'visible' });
  for (const id of ['open-cliff', 'cliff-lr']) assert.ok(await page.isHidden(`#${id}`), `#${id} shown`);
  assert.ok(await page.isVisible('#cliff-clip'));
  assert.match(await page.textContent('.notices'), /cliff-lr/);
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get('cliff-lr'), '10');
  assert.deepEqual(errors, []);
  await page.close();
});

test('axe-core finds no serious or critical violation with either map open', async () => {
  const page = await lab.browser.newPage({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  const maps = {
    cliff: ['?map=cliff&cliff-from=5,-2.6123', () => longestSteps(page)],
    phase: ['?map=phase&phase-x=depth%3D2%3A8%3A2&phase-y=weight-scale%3D0.5%3A2%3A2&phase-steps=20', () => phaseOutcomes(page)],
  };
  for (const [name, [query, ready]] of Object.entries(maps)) {
    await page.goto(`${lab.server.url}${query}`);
    await waitReady(page);
    await ready();
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(violations, [], `${name} map`);
  }
  await page.close();
});
