// Issue 22, "embed it" (in part): the lab in a 320-px iframe of another page with `embed=1`
// shows the charts and controls its link names and nothing else, links to itself in a page of
// its own, and pauses while scrolled out of the host's view, resuming when seen again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { useLab, screenshot } from './harness.mjs';

const lab = useLab();

test('an embedded lab: its charts and controls only, "open in gradlab", paused out of view', async () => {
  const context = await lab.browser.newContext({ viewport: { width: 800, height: 700 } });
  const host = await context.newPage();
  const errors = [];
  host.on('pageerror', (e) => errors.push(e.message));
  const src = `${lab.server.url}?embed=1&embed-charts=layers&embed-controls=run,weight-scale&depth=6&seed=5`;
  await host.setContent(`<!doctype html><title>A course page</title>
    <h1>Exploding gradients</h1>
    <iframe id="lab" src="${src}" width="320" height="640" style="border:1px solid #ccc"></iframe>
    <div style="height:3000px">The rest of the course page.</div>`);
  const frame = await (await host.waitForSelector('#lab')).contentFrame();
  try {
    await frame.waitForFunction(() => /Ready/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 30_000 });
    // What the link names, and nothing else.
    for (const id of ['#grad-chart-figure', '#weight-scale', '#play', '#open-in-gradlab']) {
      assert.ok(await frame.isVisible(id), `${id} shows`);
    }
    for (const id of ['#loss-chart-figure', '#history-chart-figure', '#depth', '#learning-rate', '#start-lessons', '.colophon', '#download-csv', '#copy-link']) {
      assert.equal(await frame.isVisible(id), false, `${id} is left out`);
    }
    assert.equal(await frame.evaluate(() => document.documentElement.scrollWidth), 320, 'fits 320 px');
    await frame.click('#play');
    await frame.waitForFunction(() => parseInt(document.querySelector('#step-count').textContent.replace(/,/g, ''), 10) > 20);
    await screenshot(host, 'embed-320');

    // Scrolled out of the host's view: training pauses; back in view: it resumes.
    await host.evaluate(() => window.scrollTo(0, 2000));
    // (Polled on a timer: an iframe out of view gets no animation frames.)
    await frame.waitForFunction(() => /Paused/.test(document.querySelector('#status').textContent), null, { polling: 100 });
    const held = await frame.textContent('#step-count');
    await host.evaluate(() => window.scrollTo(0, 0));
    await frame.waitForFunction(() => /Training/.test(document.querySelector('#status').textContent));
    await frame.waitForFunction((n) => document.querySelector('#step-count').textContent !== n, held);
    // Paused by the reader, it stays paused when seen again.
    await frame.click('#pause');
    await host.evaluate(() => window.scrollTo(0, 2000));
    await host.evaluate(() => window.scrollTo(0, 0));
    // Two frames of the lab's own after it is back in view: its observer has reported by then.
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))));
    const stopped = await frame.textContent('#step-count');
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.match(await frame.textContent('#status'), /Paused/);
    assert.equal(await frame.textContent('#step-count'), stopped);

    // "Open in gradlab": the same run in a page of its own, without the embed keys.
    const [opened] = await Promise.all([context.waitForEvent('page'), frame.click('#open-in-gradlab')]);
    await opened.waitForLoadState();
    const query = new URL(opened.url()).searchParams;
    assert.equal(query.get('depth'), '6');
    assert.equal(query.get('seed'), '5');
    assert.equal(query.has('embed'), false);
    assert.equal(query.has('hide'), false);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the example host page (docs/embed-host.html) drives two embedded labs by postMessage', async () => {
  const context = await lab.browser.newContext({ viewport: { width: 900, height: 800 } });
  const host = await context.newPage();
  const errors = [];
  host.on('pageerror', (e) => errors.push(e.message));
  // The host page beside the lab, as its comment says to put it.
  const file = await readFile(new URL('../../docs/embed-host.html', import.meta.url), 'utf8');
  await host.route(`${lab.server.url}embed-host.html`, (route) => route.fulfill({ contentType: 'text/html', body: file }));
  const replies = [];
  await host.exposeFunction('__reply', (r) => replies.push(r));
  await host.addInitScript(() => addEventListener('message', (e) => window.__reply(e.data)));
  await host.goto(`${lab.server.url}embed-host.html`);
  try {
    const frames = await Promise.all(['#plain', '#clipped'].map(async (id) => (await host.waitForSelector(id)).contentFrame()));
    for (const frame of frames) {
      await frame.waitForFunction(() => /Ready/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 30_000 });
    }
    assert.equal(replies.filter((r) => r.type === 'ready').length, 2, JSON.stringify(replies));
    await host.click('#explode');
    for (const frame of frames) {
      await frame.waitForFunction(() => new URLSearchParams(location.search).get('weight-scale') === '2.5');
    }
    await host.click('#play');
    // The host's own numbers move: the labs report their steps once subscribed.
    for (const id of ['#steps-plain', '#steps-clipped']) {
      await host.waitForFunction((sel) => Number(document.querySelector(sel).value) > 30, id);
    }
    await host.click('#pause');
    for (const frame of frames) {
      await frame.waitForFunction(() => /Paused|diverged/i.test(document.querySelector('#status').textContent));
    }
    const stats = replies.filter((r) => r.type === 'stats');
    assert.ok(stats.length >= 2);
    assert.equal(stats.at(-1).gradNorms.length, 21, 'one norm per layer (depth 20)');
    // A bad message is answered with an error and changes nothing.
    await host.evaluate(() => document.querySelector('#plain').contentWindow.postMessage({ gradlab: 1, type: 'set', settings: { 'weight-scale': 'lots' } }, '*'));
    await host.evaluate(() => document.querySelector('#plain').contentWindow.postMessage({ gradlab: 1, type: 'explode' }, '*'));
    // The answers arrive as messages: wait until both are in (or five seconds).
    const until = Date.now() + 5000;
    while (replies.filter((r) => r.type === 'error').length < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const refused = replies.filter((r) => r.type === 'error').map((r) => r.message);
    assert.equal(refused.length, 2, JSON.stringify(refused));
    assert.match(refused[0], /weight-scale/);
    assert.match(refused[1], /unknown type "explode"/);
    assert.equal(await frames[0].evaluate(() => new URLSearchParams(location.search).get('weight-scale')), '2.5');
    await screenshot(host, 'embed-host');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
