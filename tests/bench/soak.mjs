// `make soak`: the page under a classroom's worth of abuse in one sitting, in real Chromium.
// 10⁶ steps of an MLP in compare mode, then 10⁶ of an RNN in compare mode, lessons opened and
// run between them, 20 resets, 5 downloads of full logs — while every animation frame's gap,
// every console message and the memory of the page and of the training worker are watched.
// Prints a table for BENCHMARKS.md and exits 1 if a target is missed. Not part of `make test`.
import { serveDist, launchBrowser, waitReady, stepCount, setInput, pause } from '../e2e/harness.mjs';

const STEPS = Number(process.env.SOAK_STEPS ?? 1_000_000);
const log = (...a) => console.error('soak:', ...a);
const until = (ms) => new Promise((r) => setTimeout(r, ms));

const server = await serveDist();
const browser = await launchBrowser(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, serviceWorkers: 'block' });
const page = await context.newPage();
const problems = [];
page.on('console', (m) => {
  if ((m.type() === 'error' || m.type() === 'warning') && m.text() !== 'Service Worker registration blocked by Playwright') {
    problems.push(`${m.type()}: ${m.text()}`);
  }
});
page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
await page.addInitScript(() => {
  // Every frame's gap, for as long as the page lives.
  window.__frames = { count: 0, over200: 0, max: 0, last: 0, long: [] };
  window.__phase = 'loading';
  const tick = (t) => {
    const f = window.__frames;
    // A gap the soak caused itself (its forced gc() while measuring memory) is not the page's.
    if (f.last && !window.__phase.startsWith('measuring')) {
      const gap = t - f.last;
      f.max = Math.max(f.max, gap);
      if (gap > 200) f.over200 += 1;
      if (gap > 120) f.long.push(`${Math.round(gap)} ms during ${window.__phase}`);
    }
    f.last = t;
    f.count += 1;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasmMemory = e.detail.wasm.memory; });
});

const MB = 1024 * 1024;
/** Page memory (JS heap after a GC, plus the page's wasm memory) and the worker's wasm memory. */
async function memory() {
  const pageBytes = await page.evaluate(async () => {
    const phase = window.__phase;
    window.__phase = 'measuring';
    window.gc?.();
    const bytes = performance.memory.usedJSHeapSize + (window.__wasmMemory?.buffer.byteLength ?? 0);
    // Let the frame after the forced collection pass before counting gaps again.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    window.__phase = phase;
    return bytes;
  });
  let workerBytes = NaN;
  for (const worker of page.workers()) {
    const bytes = await worker.evaluate(() => self.gradlabWasm?.memory?.buffer.byteLength).catch(() => undefined);
    if (bytes) workerBytes = bytes;
  }
  return { page: pageBytes / MB, worker: workerBytes / MB };
}

/** Trains until run A has taken `steps` more steps (or stops), pausing between checks only to read. */
async function trainFor(steps) {
  await phase('training');
  const start = await stepCount(page);
  await page.click('#play');
  for (;;) {
    await until(2000);
    const now = await stepCount(page);
    const halted = await page.evaluate(() => document.querySelector('.status-line')?.dataset.state !== 'training');
    if (now - start >= steps || halted) return now - start;
  }
}

const phase = (name) => page.evaluate((n) => { window.__phase = n; }, name);

async function download(button) {
  await phase(`download ${button}`);
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(button)]);
  const path = await file.path();
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(path));
  await file.delete();
  return size / MB;
}

const started = Date.now();
const mlp = '?depth=4&width=16&lr=0.01&clip-mode=global-norm&clip=1&compare=on&b-clip-mode=none&speed=10';

log('warm-up…');
await page.goto(server.url + mlp);
await waitReady(page);
await trainFor(20_000);
await pause(page);
const m0 = await memory();

const phases = [];
let resets = 0;
const downloads = [];
// One page for the whole soak (a navigation would reset what is measured): the RNN phase is
// chosen with the controls, compare mode staying on.
for (const name of ['MLP, compare mode', 'RNN, compare mode']) {
  log(`${name}: ${STEPS.toLocaleString()} steps…`);
  if (name.startsWith('RNN')) {
    await page.selectOption('#model', 'rnn');
    await setInput(page, 'seq-len', 10);
    await setInput(page, 'hidden', 8);
    await page.waitForFunction(() => document.querySelectorAll('#time-table tbody tr').length === 10);
  }
  const t0 = Date.now();
  const steps = await trainFor(STEPS);
  await pause(page);
  phases.push({ name, steps, seconds: (Date.now() - t0) / 1000 });
  // Full logs: the run is far past the log's capacity, so it has thinned.
  for (const button of ['#download-csv', '#download-json', '#download-csv']) {
    if (downloads.length < 5) downloads.push(await download(button));
  }
  log(`${name}: lessons and resets…`);
  for (const lesson of [2, 6, 11, 16]) {
    await phase(`lesson ${lesson}`);
    if (!(await page.$('#lesson-select'))) await page.click('#start-lessons');
    await page.selectOption('#lesson-select', String(lesson - 1));
    await page.waitForSelector('#run-lesson');
    await page.click('#lesson-choice-0');
    await page.click('#run-lesson');
    await until(1500);
    await pause(page);
  }
  // Back to the phase's own kind of network for the resets.
  await page.selectOption('#model', name.startsWith('RNN') ? 'rnn' : 'mlp');
  await phase('resets');
  for (let i = 0; i < 10; i += 1) {
    await page.click('#reset');
    resets += 1;
    await page.click('#play');
    await until(300);
    await pause(page);
  }
}
const m1 = await memory();
const frames = await page.evaluate(() => window.__frames);
await context.close();
await browser.close();
await server.close();

const f = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const growth = m1.page - m0.page;
const lines = [
  `| soak (${f((Date.now() - started) / 60000, 1)} min) | measured | target | |`,
  '|---|---|---|---|',
  ...phases.map((p) => `| ${p.name}: steps of run A (B in lockstep) | ${f(p.steps)} in ${f(p.seconds)} s | ≥ ${f(STEPS)} | ${p.steps >= STEPS ? 'met' : 'MISSED'} |`),
  `| lessons run, resets | 8, ${resets} | 8, 20 | ${resets >= 20 ? 'met' : 'MISSED'} |`,
  `| downloads of full logs (MB each) | ${downloads.map((d) => f(d, 1)).join(', ')} | 5 | ${downloads.length >= 5 ? 'met' : 'MISSED'} |`,
  `| console errors and warnings | ${problems.length} | 0 | ${problems.length === 0 ? 'met' : 'MISSED'} |`,
  `| frames over 200 ms (longest) | ${frames.over200} of ${f(frames.count)} (${f(frames.max)} ms) | 0 | ${frames.over200 === 0 ? 'met' : 'MISSED'} |`,
  `| page memory growth (JS heap + page wasm) | ${f(growth, 2)} MB | ≤ 5 MB | ${growth <= 5 ? 'met' : 'MISSED'} |`,
  // The worker's logs reserve their whole bound when a run starts (so the warm-up includes
  // them); wasm memory never shrinks, so this is its high-water mark.
  `| worker wasm memory, after warm-up → after the soak (growth) | ${f(m0.worker, 1)} → ${f(m1.worker, 1)} MB (${f(m1.worker - m0.worker, 1)}) | growth ≤ 5 MB | ${m1.worker - m0.worker <= 5 ? 'met' : 'MISSED'} |`,
];
console.log(lines.join('\n'));
for (const p of problems.slice(0, 10)) console.log(`  ${p}`);
if (frames.long.length) console.log(`frames over 120 ms: ${frames.long.join('; ')}`);
const missed = lines.some((l) => l.endsWith('MISSED |'));
process.exit(missed ? 1 : 0);
