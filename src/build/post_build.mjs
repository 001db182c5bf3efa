// Trunk's one post-build hook (Node; not part of the app). Trunk runs a stage's hooks at the
// same time, and these two must run in order: the relaxed-SIMD worker is built first, so the
// service worker's file list, written by finish_html, includes it.
await import('./relaxed_worker.mjs');
await import('./finish_html.mjs');
