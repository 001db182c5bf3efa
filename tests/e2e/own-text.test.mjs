// The reader's own text for the language model, in real Chromium: a link with text=own and no
// text says so and trains on the shipped one; bad input (empty, too short, a binary file, a
// gigantic file) is refused with a message and leaves the run alone; a pasted text is folded,
// reported and trained on — the worker's first step is the native runner's with --text-file —
// and survives a reload (local storage) without ever entering the address; a dropped file is
// read; "Forget it" goes back to the shipped text.
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
