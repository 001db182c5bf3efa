// Trunk post-build hook (Node; not part of the app): makes the built page safe to put on any
// static host.
// - Trunk starts the app with an inline <script type="module">; a Content-Security-Policy that
//   allows scripts from the page's own origin only would block it. Move it to a file beside
//   the page, named by its content's hash, and load that instead.
// - Add the CSP as a <meta> tag, so a plain static host enforces it too. The policy is read
//   from Trunk.toml's [serve.headers] (`make serve` sends it as a header), so it is written once.
// - Write the build's file list and version (a hash of every file) into the service worker, so
//   it caches exactly this build and a new build replaces the old cache.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
const source = process.env.TRUNK_SOURCE_DIR ?? '.';
if (!staging) throw new Error('finish_html.mjs runs as a Trunk post_build hook (TRUNK_STAGING_DIR is unset)');

const toml = readFileSync(join(source, 'Trunk.toml'), 'utf8');
const policy = toml.match(/^"Content-Security-Policy"\s*=\s*"([^"]+)"/m)?.[1];
if (!policy) throw new Error('Trunk.toml has no "Content-Security-Policy" header under [serve.headers]');
// frame-ancestors is ignored (with a console error) in a <meta> policy: headers only.
const metaPolicy = policy
  .split(';')
  .map((d) => d.trim())
  .filter((d) => d && !d.startsWith('frame-ancestors'))
  .join('; ');

const page = join(staging, 'index.html');
let html = readFileSync(page, 'utf8');
const inline = /<script type="module">([\s\S]*?)<\/script>/;
const found = html.match(inline);
if (!found) throw new Error('no inline module script in index.html: did Trunk change its loader?');
const code = found[1].trim() + '\n';
const name = `start-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`;
writeFileSync(join(staging, name), code);
html = html.replace(inline, `<script type="module" src="./${name}"></script>`);
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) throw new Error('index.html still has an inline script');
html = html.replace(
  /<meta charset="utf-8"\s*\/?>/,
  (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${metaPolicy}" />`,
);
if (!html.includes('http-equiv="Content-Security-Policy"')) throw new Error('no <meta charset> to put the CSP after');
writeFileSync(page, html);

// The service worker: this build's files and a version that changes whenever any of them does.
const worker = join(staging, 'sw.js');
const files = readdirSync(staging).filter((f) => f !== 'sw.js').sort();
const version = createHash('sha256');
for (const f of files) version.update(f).update(readFileSync(join(staging, f)));
const sw = readFileSync(worker, 'utf8')
  .replace("'__GRADLAB_VERSION__'", `'${version.digest('hex').slice(0, 16)}'`)
  .replace('__GRADLAB_FILES__', JSON.stringify(files.map((f) => `./${f}`)));
if (sw.includes('__GRADLAB_')) throw new Error('sw.js placeholders were not all filled');
writeFileSync(worker, sw);
