// Issue 13 in real Chromium: the two builds of the training worker. The browser picks the
// relaxed-SIMD build where a relaxed-SIMD module validates (public/engine_build.js), downloads
// only that one, and says which it runs; `engine=simd128` in the address forces the plain build;
// both train the numbers the native headless runner trains, within the kernel's tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, waitReady, stepTimes, column, headlessRunner, unhashed } from './harness.mjs';

const lab = useLab();

/** Opens the page at `query`, noting every engine file it fetches. */
async function openWatching(query) {
  const fetched = [];
  const watch = (page) => page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop();
    if (/^worker/.test(name)) fetched.push(unhashed(name));
  });
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}${query}`, { beforeLoad: watch });
  await waitReady(page);
  return { page, errors, fetched };
}

test('the browser picks the relaxed-SIMD build and says so; engine=simd128 loads the plain one', async () => {
  const picked = await openWatching('');
  const build = await picked.page.getAttribute('#perf-probe', 'data-engine-build');
  assert.equal(build, 'simd128 + relaxed-simd', 'Chromium has relaxed SIMD');
  assert.match(await picked.page.textContent('#engine-build'), /Engine build: WebAssembly simd128 \+ relaxed-simd/);
  assert.ok(picked.fetched.includes('worker_relaxed_bg.wasm'), picked.fetched.join());
  assert.ok(!picked.fetched.includes('worker_bg.wasm'), 'the plain build is not downloaded');
  assert.deepEqual(picked.errors, []);
  await picked.page.close();

  const plain = await openWatching('?engine=simd128');
  assert.equal(await plain.page.getAttribute('#perf-probe', 'data-engine-build'), 'simd128');
  assert.match(await plain.page.textContent('#engine-build'), /WebAssembly simd128 \(this browser has no relaxed SIMD\)/);
  assert.ok(plain.fetched.includes('worker_bg.wasm') && !plain.fetched.includes('worker_relaxed_bg.wasm'), plain.fetched.join());
  // The address is not a setting's: no notice, and the lab works as ever.
  assert.equal(await plain.page.isVisible('.notices li'), false);
  assert.deepEqual(plain.errors, []);
  await plain.page.close();

  const wrong = await openWatching('?engine=avx512');
  assert.match(await wrong.page.textContent('.notices'), /Ignored the link's "engine": it must be simd128, not "avx512"/);
  assert.equal(await wrong.page.getAttribute('#perf-probe', 'data-engine-build'), 'simd128 + relaxed-simd');
  await wrong.page.close();
});

test('both builds train what the native runner trains (deep tanh MLP, three steps)', async () => {
  // Wide enough that every product goes through the kernel's full tiles, its edges and KC.
  const settings = { depth: 12, width: 40, batch: 50, activation: 'tanh', lr: 0.05, seed: 5 };
  const lines = headlessRunner(settings, '--steps', '3');
  // The table shows the last step taken: the runner's third line.
  const runner = lines[2].grad_norms;
  const query = `?${new URLSearchParams(settings)}`;
  for (const force of ['', '&engine=simd128']) {
    const { page, errors } = await openWatching(query + force);
    await stepTimes(page, 3);
    const shown = await column(page, 'grad-norm');
    assert.equal(shown.length, runner.length);
    // The table rounds to 3 significant digits; the builds differ from the runner's f32 (and
    // from each other) by rounding only, far below that.
    shown.forEach((v, l) => assert.ok(Math.abs(v - runner[l]) <= 5e-3 * runner[l], `layer ${l + 1}${force}: page ${v} vs runner ${runner[l]}`));
    assert.deepEqual(errors, []);
    await page.close();
  }
});
