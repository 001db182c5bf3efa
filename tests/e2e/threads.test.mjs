// The threaded engine build in real Chromium. Served with the cross-origin isolation headers
// (`make serve` sends them), the page loads the relaxed-SIMD build made with wasm atomics, whose
// loader starts a second thread for half of each large matrix product (crates/worker/src/
// threads.rs); served without them (a plain static host), the one-thread relaxed build. A run
// trained both ways is the same bit for bit: its CSV download is byte for byte one file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, serveDist, openPage, waitReady, stepTimes, unhashed } from './harness.mjs';

const lab = {};
before(async () => {
  lab.isolated = await serveDist('/', { isolated: true });
  lab.plain = await serveDist('/');
  lab.browser = await launchBrowser();
});
after(async () => {
  await lab.browser?.close();
  await lab.isolated?.close();
  await lab.plain?.close();
});

// A Transformer whose products are large enough to be split (1,024 rows a product).
const T1 = { model: 'transformer', task: 'language', readout: 'all', layers: 2, 'd-model': 64, heads: 4, context: 64, batch: 16, seed: 7 };
const query = `?${new URLSearchParams(Object.entries(T1).map(([k, v]) => [k, String(v)]))}`;

/** Opens the lab from `server`, noting the engine files it fetches. */
async function open(server) {
  const fetched = [];
  const watch = (page) => page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop();
    if (/^(worker|engine_helper)/.test(name)) fetched.push(unhashed(name));
  });
  const { page, errors } = await openPage(lab.browser, `${server.url}${query}`, { beforeLoad: watch });
  await waitReady(page);
  return { page, errors, fetched };
}

/** Trains `steps` single steps and returns the run's CSV download. */
async function trainedCsv(page, steps) {
  await stepTimes(page, steps);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const { readFile } = await import('node:fs/promises');
  return (await readFile(await download.path())).toString('utf8');
}

test('an isolated page trains on two threads, a plain host on one, and both train the same bits', async () => {
  const threaded = await open(lab.isolated);
  assert.equal(await threaded.page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(await threaded.page.getAttribute('#perf-probe', 'data-engine-build'), 'simd128 + relaxed-simd, 2 threads');
  assert.match(await threaded.page.textContent('#engine-build'), /WebAssembly simd128 \+ relaxed-simd, 2 threads \(fused/);
  assert.ok(threaded.fetched.includes('worker_threads_bg.wasm') && threaded.fetched.includes('engine_helper.js'), threaded.fetched.join());
  assert.ok(!threaded.fetched.includes('worker_relaxed_bg.wasm'), 'one engine build is downloaded');

  const single = await open(lab.plain);
  assert.equal(await single.page.evaluate(() => self.crossOriginIsolated), false);
  assert.equal(await single.page.getAttribute('#perf-probe', 'data-engine-build'), 'simd128 + relaxed-simd');
  assert.match(await single.page.textContent('#engine-build'), /one thread, as the server sends no cross-origin isolation headers/);
  assert.ok(!single.fetched.some((f) => /threads|helper/.test(f)), single.fetched.join());

  const [two, one] = [await trainedCsv(threaded.page, 4), await trainedCsv(single.page, 4)];
  assert.equal(two.trim().split('\n').length, 1 + 4, 'a header and four steps');
  assert.equal(two, one, 'the threaded build trains the one-thread build\'s numbers, bit for bit');
  assert.deepEqual(threaded.errors, []);
  assert.deepEqual(single.errors, []);
  await threaded.page.close();
  await single.page.close();
});
