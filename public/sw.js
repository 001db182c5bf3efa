// gradlab's service worker: keeps a copy of the page's own files so it opens without a network.
// Network first — online, every file comes fresh from the server (a teacher's replaced
// lessons.json shows at once, and page and training worker always come from one build) — and
// the copy answers when the network does not. The build writes VERSION and FILES
// (src/build/finish_html.mjs): a new build has a new cache, and the old one is deleted.
// Of the builds of the training worker, only those the page may run are kept:
// engine_build.js decides, as the worker's loader does, told by the page's registration
// (`sw.js?engine=simd128`) when a link forces the plain build.
// Copies are kept by path: the many query strings of links to runs are one page.
// Every file but this one, the page and version.json has a content-hashed name (the build
// writes them in, with ENGINE_FILES and the chooser's name).
importScripts('__GRADLAB_ENGINE_BUILD__');
const VERSION = '__GRADLAB_VERSION__';
const ENGINE_FILES = __GRADLAB_ENGINE_FILES__;
// The page may run this browser's relaxed build alone or on two threads (whether it is
// cross-origin isolated is the page's, not this worker's): both are kept where either is.
const FORCED = new URL(self.location.href).searchParams.get('engine');
const IN_USE = new Set([engineBuild(FORCED, false), engineBuild(FORCED, true)]);
const OTHER_BUILD = new Set(Object.entries(ENGINE_FILES).filter(([build]) => !IN_USE.has(build)).flatMap(([, files]) => files));
const FILES = __GRADLAB_FILES__.filter((f) => !OTHER_BUILD.has(f));
const CACHE = `gradlab-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(['./', ...FILES]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('gradlab-') && n !== CACHE).map((n) => caches.delete(n)))),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          const path = new URL(request.url);
          path.search = '';
          caches.open(CACHE).then((cache) => cache.put(path.href, copy));
        }
        return response;
      })
      // Offline: the copy; a page address with a query (a link to a run) is the page itself.
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit ?? Response.error())),
  );
});
