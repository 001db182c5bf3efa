// Trunk post-build hook (Node; not part of the app): makes the built page safe to put on any
// static host.
// - Trunk starts the app with an inline <script type="module">; a Content-Security-Policy that
//   allows scripts from the page's own origin only would block it. Move it to a file beside
//   the page, named by its content's hash, and load that instead.
// - Add the CSP as a <meta> tag, so a plain static host enforces it too. The policy is read
//   from Trunk.toml's [serve.headers] (`make serve` sends it as a header), so it is written once.
// - Name the training worker's files by their content and stamp the build's id (a hash of
//   every file) into the page, the worker's loader, version.json and the service worker, so a
//   page never runs a worker of another release (below) and a new build replaces the cache.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
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

// One release at a time. The build's id is a hash of every file it wrote; the training
// worker's files get content-hashed names (each engine build, its chooser, the loader that
// names them), and the page names its loader, so an open page only ever starts workers of its
// own release — after a new deployment its loader is gone, and the page, finding a different
// id in version.json, says a new version is available. The loader hands the id to the worker,
// which says it in its first message (Event::Ready), so a worker of another release is told
// apart even if some cache mixes releases. The service worker gets the same names.
const hash = (...parts) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex').slice(0, 16);
};
const read = (f) => readFileSync(join(staging, f));
const built = readdirSync(staging).filter((f) => f !== 'sw.js').sort();
const version = hash(...built.flatMap((f) => [f, read(f)]));
const renamed = new Map();
const rename = (from, to) => {
  renameSync(join(staging, from), join(staging, to));
  renamed.set(from, to);
  return `./${to}`;
};
const engineFiles = {};
for (const build of ['worker', 'worker_relaxed', 'worker_threads']) {
  const [glue, wasm] = [`${build}.js`, `${build}_bg.wasm`];
  const h = hash(read(glue), read(wasm));
  engineFiles[build] = [rename(glue, `${build}-${h}.js`), rename(wasm, `${build}-${h}_bg.wasm`)];
}
const engineBuild = rename('engine_build.js', `engine_build-${hash(read('engine_build.js'))}.js`);
const engineHelper = rename('engine_helper.js', `engine_helper-${hash(read('engine_helper.js'))}.js`);
const stamp = (text, what) => {
  const out = text
    .replaceAll("'__GRADLAB_VERSION__'", `'${version}'`)
    .replaceAll('__GRADLAB_ENGINE_FILES__', JSON.stringify(engineFiles))
    .replaceAll('__GRADLAB_ENGINE_BUILD__', engineBuild)
    .replaceAll('__GRADLAB_ENGINE_HELPER__', engineHelper);
  if (out.includes('__GRADLAB_')) throw new Error(`${what}: placeholders were not all filled`);
  return out;
};
const loader = stamp(read('worker_loader.js').toString('utf8'), 'worker_loader.js');
writeFileSync(join(staging, 'worker_loader.js'), loader);
const loaderPath = rename('worker_loader.js', `worker_loader-${hash(loader)}.js`);
for (const [from] of renamed) {
  if (html.includes(from)) throw new Error(`index.html names ${from}, which the build renamed`);
}
html = html.replace(
  /<meta charset="utf-8"\s*\/?>/,
  (m) => `${m}\n    <meta name="gradlab-version" content="${version}" />\n    <meta name="gradlab-worker" content="${loaderPath}" />`,
);
writeFileSync(page, html);
writeFileSync(join(staging, 'version.json'), `${JSON.stringify({ version })}\n`);

// The service worker: this build's files and its version.
const files = readdirSync(staging).filter((f) => f !== 'sw.js' && f !== 'version.json').sort();
const listed = read('sw.js').toString('utf8').replace('__GRADLAB_FILES__', JSON.stringify(files.map((f) => `./${f}`)));
writeFileSync(join(staging, 'sw.js'), stamp(listed, 'sw.js'));
