// Issue 22, "a phone is a first-class screen": on a 390 × 844 phone the status line and the
// per-layer chart come first and stay in view while the controls scroll; Play is on the first
// screen; a lesson's Run it leaves the charts in view. A 1024 × 768 screen keeps the two
// columns with everything that moves on the first screen. Screenshots in test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, screenshot, waitReady, stepsAbove, pause } from './harness.mjs';

const lab = useLab();

/** Where an element sits in the viewport, in CSS pixels. */
const box = (page, selector) =>
  page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  });

/** Whether the element is wholly inside the viewport. */
const inView = async (page, selector) => {
  const b = await box(page, selector);
  const { width, height } = page.viewportSize();
  return b.top >= 0 && b.bottom <= height && b.left >= 0 && b.right <= width + 0.5;
};

test('a phone (390 × 844): status and chart first, and in view while the controls scroll and after Run it', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url, { viewport: { width: 390, height: 844 } });
  try {
    await waitReady(page);
    for (const selector of ['.status-line', '#grad-chart-figure', '#play']) {
      assert.ok(await inView(page, selector), `${selector} on the first screen: ${JSON.stringify(await box(page, selector))}`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing wider than the screen');
    await page.click('#play');
    await stepsAbove(page, 20);
    // Deep in the controls: the numbers and the chart are still on screen.
    await page.$eval('#weight-decay', (e) => e.closest('section').scrollIntoView());
    await page.evaluate(() => window.scrollBy(0, 400));
    assert.ok((await page.evaluate(() => window.scrollY)) > 1500, 'scrolled well down');
    assert.ok(await inView(page, '.status-line'));
    assert.ok(await inView(page, '#grad-chart-figure'));
    const before = await page.textContent('#step-count');
    await stepsAbove(page, Number(before.replace(/,/g, '')) + 10);
    await screenshot(page, 'phone-390-controls');
    await pause(page);

    // A lesson: its Run it trains where the student can see it.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('#start-lessons');
    await page.click('#lesson-choice-0');
    await page.click('#run-lesson');
    await stepsAbove(page, 5);
    assert.ok(await inView(page, '.status-line'));
    assert.ok(await inView(page, '#grad-chart-figure'));
    // What the lesson points at is in view too (scrolled to below the chart, not under it).
    await page.waitForFunction(() => {
      const r = document.querySelector('.spotlight').getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight;
    });
    await screenshot(page, 'phone-390-lesson');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('a 1024 × 768 screen: the controls beside the charts, status and chart on the first screen', async () => {
  const { page, errors } = await openPage(lab.browser, lab.server.url, { viewport: { width: 1024, height: 768 } });
  try {
    await waitReady(page);
    for (const selector of ['.status-line', '#grad-chart-figure', '#play']) {
      assert.ok(await inView(page, selector), `${selector} on the first screen`);
    }
    const controls = await box(page, '.controls');
    const chart = await box(page, '#grad-chart-figure');
    assert.ok(controls.right <= chart.left, 'two columns');
    await screenshot(page, 'screen-1024');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the presenter view (present=1): numbers and chart large at 1024 × 768, run from the keyboard, P leaves it', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?present=1&depth=20`, { viewport: { width: 1024, height: 768 } });
  try {
    await waitReady(page);
    assert.equal(await page.isVisible('#play'), false, 'the controls give way');
    assert.ok(await page.isVisible('#present-keys'));
    const size = (selector) => page.$eval(selector, (e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok((await size('#step-count')) >= 30, 'the step count reads from the back of a room');
    assert.ok((await size('#grad-chart-figure h2')) >= 22);
    assert.ok(await inView(page, '#grad-chart-figure'));
    const chart = await box(page, '#grad-chart-figure .canvas-stack');
    assert.ok(chart.bottom - chart.top >= 0.4 * 768, 'the chart takes much of the screen');
    await page.keyboard.press(' ');
    await stepsAbove(page, 50);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => /Paused/.test(document.querySelector('#status').textContent));
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');
    await screenshot(page, 'present-1024');
    await page.keyboard.press('p');
    await page.waitForSelector('#play', { state: 'visible' });
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('present'));
    await page.keyboard.press('P');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('present') === '1');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
