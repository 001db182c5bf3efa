// The reader's own data in real Chromium. A text for the language model: a link with text=own
// and no text says so and trains on the shipped one; bad input (empty, too short, a binary file, a
// gigantic file) is refused with a message and leaves the run alone; a pasted text is folded,
// reported and trained on — the worker's first step is the native runner's with --text-file —
// and survives a reload (local storage) without ever entering the address; a dropped file is
// read; "Forget it" goes back to the shipped text. A series for the series task: CSVs without
// a number column, a binary file, too few values and a missing column are refused; a CSV's
// column is read, normalised and trained on (the native runner's --series-file agrees), kept
// over a reload, and a sequence length its windows cannot fit is told. Labelled points for the
// MLP: one class, three, a bad coordinate, too few and too many are refused; two classes are
// scaled, fitted (the native runner's --points-file agrees) and kept over a reload.
// Every wait is for a condition, never a fixed sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useLab, openPage, screenshot, waitReady, stepTimes, headlessRunner } from './harness.mjs';

const lab = useLab();

const SETTINGS = { model: 'rnn', task: 'language', text: 'own', 'seq-len': 16, hidden: 16, readout: 'all', seed: 4 };
const query = new URLSearchParams(Object.entries(SETTINGS).map(([k, v]) => [k, String(v)]));
const POEM = 'The Owl and the Pussy-cat went to sea\nIn a beautiful pea-green boat,\nThey took some honey, and plenty of money,\nWrapped up in a five-pound note. 1871!\n'.repeat(30);

const report = (page) => page.textContent('#own-text-report');
const notices = (page) => page.evaluate(() => document.querySelector('.notices')?.textContent ?? '');

async function refusedWith(page, pattern) {
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('#own-text-report').textContent), pattern.source);
  assert.match(await report(page), /Nothing changed/);
}

async function chooseFile(page, name, buffer) {
  await page.setInputFiles('#own-text-file', { name, mimeType: 'application/octet-stream', buffer });
}

test('own text: refused input changes nothing, a taken text trains and survives a reload', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}?${query}`);
  await waitReady(page);
  await page.waitForFunction(() => /asks for your own text/.test(document.querySelector('.notices')?.textContent ?? ''));
  assert.ok(await page.isVisible('#own-text-input'));
  assert.match(await report(page), /No text of yours yet/);

  // Bad input: each refused with its reason, the run untouched.
  await page.click('#own-text-use');
  await refusedWith(page, /the text is empty/);
  await page.fill('#own-text-input', 'Far too short to learn from.');
  await page.click('#own-text-use');
  await refusedWith(page, /needs at least 1000/);
  const binary = Buffer.alloc(6000);
  for (let i = 0; i < binary.length; i += 1) binary[i] = (i * 37) % 256;
  await chooseFile(page, 'photo.png', binary);
  await refusedWith(page, /looks like a binary file/);
  await chooseFile(page, 'huge.txt', Buffer.alloc(1_600_000, 'a'));
  await refusedWith(page, /1\.5 MB; at most 1 MB/);
  assert.equal(await page.textContent('#step-count'), '0');
  assert.equal(await page.evaluate(() => localStorage.getItem('gradlab.own-text')), null);

  // A pasted text: folded, reported, kept, trained on.
  await page.fill('#own-text-input', POEM);
  await page.click('#own-text-use');
  await page.waitForFunction(() => /^In use: 4,530 characters read, 4,379 kept/.test(document.querySelector('#own-text-report').textContent));
  assert.match(await report(page), /most often '1' ×60/);
  assert.match(await report(page), /4\.036 bits per character/);
  await stepTimes(page, 1);
  const loss = parseFloat(await page.textContent('#loss'));
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-text-'));
  writeFileSync(join(dir, 'poem.txt'), POEM);
  const native = headlessRunner(SETTINGS, '--text-file', join(dir, 'poem.txt'), '--steps', '1')[0];
  assert.ok(Math.abs(loss - native.loss) <= 1e-3 * native.loss, `${loss} vs ${native.loss}`);
  const shipped = headlessRunner({ ...SETTINGS, text: 'shipped' }, '--steps', '1')[0];
  assert.ok(Math.abs(shipped.loss - native.loss) > 1e-3, 'the own text is what trains');
  assert.equal(new URL(page.url()).searchParams.get('text'), 'own');
  assert.ok(!page.url().includes('Owl'), 'the text never enters the address');
  await screenshot(page, 'own-text');

  // A reload: the kept text goes back to the worker; no notice, the same first step.
  await page.reload();
  await waitReady(page);
  await page.waitForFunction(() => /^In use: 4,530/.test(document.querySelector('#own-text-report').textContent));
  await stepTimes(page, 1);
  assert.equal(parseFloat(await page.textContent('#loss')), loss);
  assert.doesNotMatch(await notices(page), /asks for your own text/);

  // Dropped on the box: a file is read like a chosen one.
  const dropped = await page.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['Hickory dickory dock, the mouse ran up the clock. '.repeat(40)], 'rhyme.txt', { type: 'text/plain' }));
    return transfer;
  });
  await page.dispatchEvent('#own-text-input', 'drop', { dataTransfer: dropped });
  await page.waitForFunction(() => /^In use: 2,000 characters read/.test(document.querySelector('#own-text-report').textContent));
  await page.waitForFunction(() => document.querySelector('#step-count').textContent === '0');

  // Forgotten: the shipped text again, and the notice says so.
  await page.click('#own-text-forget');
  await page.waitForFunction(() => /No text of yours yet/.test(document.querySelector('#own-text-report').textContent));
  assert.equal(await page.evaluate(() => localStorage.getItem('gradlab.own-text')), null);
  await page.waitForFunction(() => /asks for your own text/.test(document.querySelector('.notices')?.textContent ?? ''));
  assert.deepEqual(errors, []);
  await page.close();
});

const SERIES = { model: 'rnn', task: 'series', series: 'own', 'seq-len': 30, hidden: 16, readout: 'all', seed: 2 };
const CSV = 'date,close\n' + Array.from({ length: 200 }, (_, i) => `2024-${String(1 + (i % 12)).padStart(2, '0')}-01,${(100 + 20 * Math.sin(i / 5) + i / 10).toFixed(2)}`).join('\n') + '\n';

test('own series: refused CSVs change nothing, a column trains, and too long a window is told', async () => {
  const url = (settings) => `${lab.server.url}?${new URLSearchParams(Object.entries(settings).map(([k, v]) => [k, String(v)]))}`;
  const { page, errors } = await openPage(lab.browser, url(SERIES));
  await waitReady(page);
  await page.waitForFunction(() => /asks for your own series/.test(document.querySelector('.notices')?.textContent ?? ''));
  const seriesReport = () => page.textContent('#own-series-report');
  const refused = async (pattern) => {
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('#own-series-report').textContent), pattern.source);
    assert.match(await seriesReport(), /Nothing changed/);
  };
  await page.fill('#own-series-input', 'name,colour\nowl,brown\ncat,grey\n');
  await page.click('#own-series-use');
  await refused(/no column holds a number in every row/);
  await page.fill('#own-series-input', '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
  await page.click('#own-series-use');
  await refused(/10 values; it needs at least 20/);
  const binary = Buffer.alloc(4000);
  for (let i = 0; i < binary.length; i += 1) binary[i] = (i * 91) % 256;
  await page.setInputFiles('#own-series-file', { name: 'data.xlsx', mimeType: 'application/octet-stream', buffer: binary });
  await refused(/binary file/);
  await page.fill('#own-series-input', CSV);
  await page.fill('#own-series-column', '9');
  await page.click('#own-series-use');
  await refused(/there is no column 9: the rows have 2/);
  await page.fill('#own-series-column', '1');
  await page.click('#own-series-use');
  await refused(/line 2, column 1 is "2024-01-01", not a number/);
  assert.equal(await page.textContent('#step-count'), '0');

  // The first numeric column, normalised by its own statistics.
  await page.fill('#own-series-column', '');
  await page.click('#own-series-use');
  await page.waitForFunction(() => /^In use: column 2 \("close"\), 200 values/.test(document.querySelector('#own-series-report').textContent));
  assert.match(await seriesReport(), /mean μ = [\d.]+ and standard deviation σ = [\d.]+/);
  await stepTimes(page, 1);
  const loss = parseFloat(await page.textContent('#loss'));
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-series-'));
  writeFileSync(join(dir, 'close.csv'), CSV);
  const native = headlessRunner(SERIES, '--series-file', join(dir, 'close.csv'), '--steps', '1')[0];
  assert.ok(Math.abs(loss - native.loss) <= 1e-3 * native.loss, `${loss} vs ${native.loss}`);
  const sines = headlessRunner({ ...SERIES, series: 'sines' }, '--steps', '1')[0];
  assert.ok(Math.abs(sines.loss - native.loss) > 1e-3, 'the own series is what trains');
  assert.ok(!page.url().includes('close'), 'the series never enters the address');
  await screenshot(page, 'own-series');

  // Kept over a reload; windows of T + 1 = 251 do not fit 200 values: told, on the sines.
  await page.goto(url({ ...SERIES, 'seq-len': 250 }));
  await waitReady(page);
  await page.waitForFunction(() => /^In use: column 2/.test(document.querySelector('#own-series-report').textContent));
  await page.waitForFunction(() => /has 200 values, too few for windows of T \+ 1 = 251/.test(document.querySelector('.notices')?.textContent ?? ''));
  assert.deepEqual(errors, []);
  await page.close();
});

const POINTS = { dataset: 'own', depth: 3, width: 8, seed: 6 };
// A disc of "in" inside a ring of "out", in metres: 20 of each.
const RING = 'east,north,where\n' + Array.from({ length: 40 }, (_, i) => {
  const r = i % 2 === 0 ? 1 + (i % 5) / 10 : 3 + (i % 7) / 10;
  const t = (i * 2 * Math.PI) / 40;
  return `${(10 + r * Math.cos(t)).toFixed(3)},${(-5 + r * Math.sin(t)).toFixed(3)},${i % 2 === 0 ? 'in' : 'out'}`;
}).join('\n') + '\n';

test('own points: refused CSVs change nothing, two classes are scaled, fitted and kept', async () => {
  const url = `${lab.server.url}?${new URLSearchParams(Object.entries(POINTS).map(([k, v]) => [k, String(v)]))}`;
  const { page, errors } = await openPage(lab.browser, url);
  await waitReady(page);
  await page.waitForFunction(() => /asks for your own points/.test(document.querySelector('.notices')?.textContent ?? ''));
  const refused = async (csv, pattern) => {
    await page.fill('#own-points-input', csv);
    await page.click('#own-points-use');
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('#own-points-report').textContent), pattern.source);
    assert.match(await page.textContent('#own-points-report'), /Nothing changed/);
  };
  const rows = (n, label) => Array.from({ length: n }, (_, i) => `${i},${i % 3},${label(i)}`).join('\n');
  await refused(rows(20, () => 'a'), /every point has the same label/);
  await refused(rows(20, (i) => ['a', 'b', 'c'][i % 3]), /the labels are "a", "b", "c" and more/);
  await refused(rows(20, (i) => i % 2).replace('4,1,0', '4,north,0'), /line 5, column 2 is "north", not a number/);
  await refused(rows(5, (i) => i % 2), /5 points; at least 8 are needed/);
  await refused(rows(600, (i) => i % 2), /600 points; at most 512 are taken/);
  assert.equal(await page.textContent('#step-count'), '0');

  await page.fill('#own-points-input', RING);
  await page.click('#own-points-use');
  await page.waitForFunction(() => /^In use: 40 points, 20 labelled "in" \(target \+1\) and 20 labelled "out"/.test(document.querySelector('#own-points-report').textContent));
  assert.match(await page.textContent('#own-points-report'), /x from [\d.]+ to [\d.]+, y from -[\d.]+ to -[\d.]+/);
  await stepTimes(page, 1);
  const loss = parseFloat(await page.textContent('#loss'));
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-points-'));
  writeFileSync(join(dir, 'ring.csv'), RING);
  const native = headlessRunner(POINTS, '--points-file', join(dir, 'ring.csv'), '--steps', '1')[0];
  assert.ok(Math.abs(loss - native.loss) <= 1e-3 * native.loss, `${loss} vs ${native.loss}`);
  const circle = headlessRunner({ ...POINTS, dataset: 'circle' }, '--steps', '1')[0];
  assert.ok(Math.abs(circle.loss - native.loss) > 1e-3, 'the own points are what the network fits');

  await page.reload();
  await waitReady(page);
  await page.waitForFunction(() => /^In use: 40 points/.test(document.querySelector('#own-points-report').textContent));
  await stepTimes(page, 1);
  assert.equal(parseFloat(await page.textContent('#loss')), loss);
  assert.doesNotMatch(await page.evaluate(() => document.querySelector('.notices')?.textContent ?? ''), /asks for your own points/);
  await screenshot(page, 'own-points');
  assert.deepEqual(errors, []);
  await page.close();
});
