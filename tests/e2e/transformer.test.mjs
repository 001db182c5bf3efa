// The Transformer in real Chromium: a link builds one in the worker; its first steps are the
// native runner's; the tables name its groups (embed, pos, L0.attn.qkv, …, readout) and give each
// block's residual-stream error and each head's largest logit and entropy; the δ view draws the
// per-block profile. Heads that do not divide the width, and a context out of range, each get a
// message and a safe value. The Post-LN lesson trains A (Pre-LN) and B (Post-LN) side by side.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, openPage, screenshot, waitReady, stepTimes, headlessRunner, sliderValue, canvasPixels, pause } from './harness.mjs';

const lab = useLab();

const SETTINGS = { model: 'transformer', task: 'language', readout: 'all', layers: 2, 'd-model': 16, heads: 2, context: 16, batch: 4, norm: 'post', seed: 3 };
const link = (settings) => `${lab.server.url}?${new URLSearchParams(Object.entries(settings).map(([k, v]) => [k, String(v)]))}`;
const notices = (page) => page.evaluate(() => document.querySelector('.notices')?.textContent ?? '');

test('a Transformer trains in the worker as natively, writes samples, and its tables name groups, blocks and heads', async () => {
  const { page, errors } = await openPage(lab.browser, link(SETTINGS));
  await waitReady(page);
  const groups = await page.$$eval('#layer-table tbody tr', (rows) => rows.map((r) => r.dataset.group));
  assert.deepEqual(groups, [
    'embed', 'pos',
    'L0.attn.qkv', 'L0.attn.out', 'L0.ln1', 'L0.mlp.in', 'L0.mlp.out', 'L0.ln2',
    'L1.attn.qkv', 'L1.attn.out', 'L1.ln1', 'L1.mlp.in', 'L1.mlp.out', 'L1.ln2',
    'readout',
  ]);
  await stepTimes(page, 3);
  // LayerNorm's γ and β are one vector and no matrix: "—" under ‖W‖ and ‖ΔW‖, numbers elsewhere
  // (read once the table, which refreshes on its own cadence, shows the third step: numbered 2,
  // as the statistics number steps from 0).
  await page.waitForFunction(() => /at step 2$/.test(document.querySelector('#layer-table caption').textContent));
  const cells = (group) => page.$$eval(`#layer-table tr[data-group="${group}"] td`, (tds) => Object.fromEntries(tds.map((td) => [td.dataset.field, td.textContent])));
  const [ln, qkv] = [await cells('L0.ln1'), await cells('L0.attn.qkv')];
  for (const field of ['weight-norm', 'update-ratio', 'update-norm']) {
    assert.equal(ln[field], '—', field);
    assert.ok(parseFloat(qkv[field]) > 0, `${field}: ${qkv[field]}`);
  }
  assert.ok(parseFloat(ln['grad-norm']) > 0, ln['grad-norm']);
  const native = headlessRunner(SETTINGS, '--steps', '3');
  const loss = parseFloat(await page.textContent('#loss'));
  assert.ok(Math.abs(loss - native[2].loss) <= 1e-3 * native[2].loss, `${loss} vs ${native[2].loss}`);
  // It writes, as the RNN's language model does: the first step's sample, of the alphabet.
  assert.ok(await page.isVisible('#lm-sample'), 'the sample panel shows for the language task');
  await page.waitForFunction(() => document.querySelector('#lm-sample').dataset.step === '1');
  assert.match(await page.textContent('#lm-sample'), /^[ ,.a-z]{160}$/);

  // One row per block: its error, and one number per head for the logits and the entropies.
  await page.waitForFunction(() => document.querySelectorAll('#block-table tbody tr').length === 2);
  const blocks = await page.$$eval('#block-table tbody tr', (rows) => rows.map((r) => ({
    norm: r.querySelector('[data-field=block-norm]').textContent,
    logits: r.querySelector('[data-field=attn-logit-max]').textContent.split(' · '),
    entropy: r.querySelector('[data-field=attn-entropy]').textContent.split(' · '),
  })));
  for (const [b, block] of blocks.entries()) {
    const expected = native[2].block_norms[b];
    assert.ok(Math.abs(parseFloat(block.norm) - expected) <= 1e-2 * expected, `block ${b}: ${block.norm} vs ${expected}`);
    assert.equal(block.logits.length, 2);
    assert.equal(block.entropy.length, 2);
    // A head's entropy lies between 0 and ln 16 (uniform over every position).
    for (const e of block.entropy) assert.ok(parseFloat(e) > 0 && parseFloat(e) < Math.log(16), e);
  }
  assert.equal(await page.isVisible('#time-table'), false);

  // The δ view: the per-block profile on the bar chart, its pixels changed by the switch.
  const before = await canvasPixels(page, 'grad-chart');
  await page.click('#show-delta');
  await page.waitForFunction((old) => document.querySelector('#grad-chart').toDataURL() !== old, before);
  assert.match(await page.textContent('label:has(#show-delta)'), /‖∂L\/∂x_l‖ per block/);
  await screenshot(page, 'transformer');
  assert.deepEqual(errors, []);
  await page.close();
});

test('heads that do not divide the width, and a context out of range, are told and repaired', async () => {
  const { page, errors } = await openPage(lab.browser, link({ ...SETTINGS, heads: 5, context: 1000 }));
  await waitReady(page);
  await page.waitForFunction(() => /Attention heads must divide the model width d = 16 — got 5; using 4\./.test(document.querySelector('.notices')?.textContent ?? ''));
  assert.match(await notices(page), /Context length T must be between 8 and 256 — got 1000/);
  assert.equal(await sliderValue(page, 'heads'), 4);
  assert.equal(await sliderValue(page, 'context'), 256);
  await stepTimes(page, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Post-LN lesson trains Pre-LN and Post-LN side by side', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?lesson=29`);
  await waitReady(page);
  await page.waitForFunction(() => /Post-LN stalls where Pre-LN learns/.test(document.querySelector('#lesson-heading')?.textContent ?? ''));
  await page.click('#lesson-choice-1');
  await page.click('#run-lesson');
  await page.waitForFunction(() => document.querySelector('#model').value === 'transformer' && document.querySelector('#b-norm')?.value === 'post');
  assert.equal(await page.inputValue('#norm'), 'pre');
  assert.equal(await page.inputValue('#b-norm'), 'post');
  await pause(page);
  await page.click('#reset');
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');
  await stepTimes(page, 1);
  // B's first gradient is several times A's (global norm 6.0 against 1.8 at seed 1).
  const table = (id) => page.$$eval(`#${id} tbody tr [data-field=grad-norm]`, (cells) => cells.map((c) => parseFloat(c.textContent)));
  const a = await table('layer-table');
  const b = await table('layer-table-b');
  assert.equal(b.length, a.length - 1, 'Post-LN has no final LayerNorm');
  const total = (xs) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));
  assert.ok(total(b) > 2.5 * total(a), `${total(b)} vs ${total(a)}`);
  // Each run's per-block table, B's below A's: six blocks, each with a number per head.
  const blocks = (id) => page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => ({
    norm: parseFloat(r.querySelector('[data-field=block-norm]').textContent),
    heads: r.querySelector('[data-field=attn-entropy]').textContent.split(' · ').length,
  })));
  assert.ok(await page.isVisible('#block-table-b'));
  const [blocksA, blocksB] = [await blocks('block-table'), await blocks('block-table-b')];
  assert.equal(blocksB.length, 6);
  assert.ok(blocksB.every((r, i) => r.heads === blocksA[i].heads && r.norm > 0 && r.norm !== blocksA[i].norm));
  assert.deepEqual(errors, []);
  await page.close();
});
