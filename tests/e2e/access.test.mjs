// Issue 12, "accessible": axe-core over the lab, a lesson, compare mode and the RNN view; a
// whole lesson driven by the keyboard alone (with the shortcuts the page lists); the charts'
// text equivalents; and prefers-reduced-motion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { useLab, openPage, waitReady, stepsAbove, stepCount, pause } from './harness.mjs';

const lab = useLab();
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));

/** Serious and critical axe violations on the page as it stands, one line each. */
async function axeViolations(page) {
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return results
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.join(', ')}`);
}

test('axe-core finds no serious or critical violation in the lab, a lesson, compare mode and the RNN view', async () => {
  // axe is injected as a script, which the page's CSP (rightly) refuses: bypass it for this page.
  const page = await lab.browser.newPage({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  const views = {
    lab: '?depth=12&weight-scale=1.6',
    lesson: '?lesson=5',
    compare: '?lesson=6',
    rnn: '?model=rnn&task=language&readout=all&seq-len=20&hidden=16',
  };
  for (const [name, query] of Object.entries(views)) {
    await page.goto(`${lab.server.url}${query}`);
    await waitReady(page);
    if (name === 'compare') {
      await page.click('#lesson-choice-0');
      await page.click('#run-lesson');
    } else {
      await page.click('#step-once');
    }
    await stepsAbove(page, 0);
    await pause(page);
    await page.addScriptTag({ path: AXE });
    assert.deepEqual(await axeViolations(page), [], `${name} view`);
  }
  await page.close();
});

/** Presses Tab until the element with `id` has focus (at most `limit` presses). */
async function tabTo(page, id, limit = 80) {
  for (let i = 0; i < limit; i += 1) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached #${id}`);
}

test('a whole lesson by keyboard alone: predict, run, pause, step, change a slider, next lesson', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?lesson=4`);
  await waitReady(page);
  assert.match(await page.textContent('#shortcuts'), /Space.*K.*play \/ pause.*one step/s);
  await page.waitForFunction(() => document.querySelector('#lesson-heading')?.textContent.includes('vanishing'));
  // Predict: the first answer, then the second with an arrow key (radios), as a keyboard user does.
  await tabTo(page, 'lesson-choice-0');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.isChecked('#lesson-choice-1'), true);
  // The focused control shows a focus ring.
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none', 'a visible focus ring');
  await tabTo(page, 'run-lesson');
  await page.keyboard.press('Enter');
  await stepsAbove(page, 5);
  // K pauses (focus is on a button: K is not Space, so it is a shortcut there too).
  await page.keyboard.press('k');
  // Paused and nothing in flight, so the count stands still and "." is not refused.
  await page.waitForFunction(() => {
    const line = document.querySelector('.status-line');
    return line?.dataset.state !== 'training' && line?.dataset.busy === 'false';
  });
  const paused = await stepCount(page);
  await page.keyboard.press('.');
  await page.waitForFunction((n) => parseInt(document.querySelector('#step-count').textContent.replace(/,/g, ''), 10) === n + 1, paused);
  // A slider moves with the arrow keys.
  await tabTo(page, 'learning-rate');
  const before = await page.inputValue('#learning-rate');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((v) => document.querySelector('#learning-rate').value !== v, before);
  // Play with the keyboard: Enter on the Play button; focus moves on to Pause, so Enter pauses.
  await tabTo(page, 'play');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'pause');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'play');
  // The answer is shown, and the next lesson is a Tab and an Enter away.
  await page.waitForSelector('.feedback');
  await tabTo(page, 'next-lesson');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /lesson=5/.test(location.search));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the loss and history charts have live text equivalents', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?depth=30&weight-scale=2.5&lr=0.3`);
  await waitReady(page);
  assert.match(await page.textContent('#loss-chart-summary'), /no steps yet/);
  await page.click('#play');
  await page.waitForFunction(() => /Diverged/.test(document.querySelector('#status').textContent));
  const loss = await page.textContent('#loss-chart-summary');
  assert.match(loss, /^Loss after \d+ steps: now .+, lowest .+, at the start .+\. Rising\. It overflowed at step \d+\.$/);
  assert.match(await page.textContent('#history-chart-summary'), /^Gradient history: largest .+ at layer \d+ around step \d+\./);
  assert.equal(await page.getAttribute('#loss-chart', 'aria-describedby'), 'loss-chart-summary');
  assert.deepEqual(errors, []);
  await page.close();
});

test('prefers-reduced-motion: the charts redraw a few times a second instead of every frame', async () => {
  const paintsIn = async (reducedMotion) => {
    const context = await lab.browser.newContext({ reducedMotion, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${lab.server.url}?depth=4&speed=1`);
    await waitReady(page);
    await page.click('#play');
    await stepsAbove(page, 30);
    const count = () => page.evaluate(() => Number(document.querySelector('#perf-probe').dataset.paints));
    const [p0, t0] = [await count(), Date.now()];
    await page.waitForTimeout(2000);
    const rate = ((await count()) - p0) / ((Date.now() - t0) / 1000);
    const spotlight = await page.evaluate(() => {
      const el = document.createElement('div');
      el.className = 'spotlight';
      document.body.append(el);
      return getComputedStyle(el).transitionDuration;
    });
    await context.close();
    return { rate, spotlight };
  };
  const reduced = await paintsIn('reduce');
  const normal = await paintsIn('no-preference');
  assert.ok(reduced.rate <= 5, `reduced motion: ${reduced.rate} paints/s`);
  assert.ok(normal.rate >= 3 * reduced.rate && normal.rate >= 10, `normal: ${normal.rate} paints/s vs ${reduced.rate}`);
  assert.equal(reduced.spotlight, '0s');
  assert.equal(normal.spotlight, '0.3s');
});
