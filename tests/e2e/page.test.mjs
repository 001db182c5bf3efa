// The built page loads in real Chromium, mounts the Leptos app, and logs no error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launchBrowser, openPage, screenshot } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('page loads, mounts and logs no console error', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.waitForSelector('#status', { timeout: 20_000 });
  assert.match(await page.title(), /gradlab/);
  assert.match(await page.textContent('h1'), /gradlab/);
  await screenshot(page, 'page');
  assert.deepEqual(errors, []);
});

test('no request leaves the machine', async () => {
  const page = await browser.newPage();
  const foreign = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(server.url) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  await page.goto(server.url);
  await page.waitForSelector('#status', { timeout: 20_000 });
  await page.waitForLoadState('networkidle');
  assert.deepEqual(foreign, []);
});
