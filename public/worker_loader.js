// Starts the training worker: pick the engine build this browser runs (engine_build.js), load
// its wasm-bindgen no-modules glue, then its wasm. A failed load is rethrown outside the
// promise so the page's `worker.onerror` hears of it (a rejected promise alone would leave the
// page waiting forever).
//
// The build stamps this file (src/build/finish_html.mjs) with its release id and the
// content-hashed names of the files it loads, then names it by its own hash; the page names
// it in its <meta name="gradlab-worker">. So a page only ever starts workers of its own
// release, and a worker says which release it is in its first message (Event::Ready).
self.gradlabVersion = '__GRADLAB_VERSION__';
const ENGINE_FILES = __GRADLAB_ENGINE_FILES__;
importScripts('__GRADLAB_ENGINE_BUILD__');
const [glue, wasm] = ENGINE_FILES[engineBuild(new URL(self.location.href).searchParams.get('engine'))];
importScripts(glue);
wasm_bindgen({ module_or_path: wasm }).then((exports) => {
  // Its memory, for `make soak`'s memory figures (as Trunk's start-up script exposes the page's).
  self.gradlabWasm = exports;
  // The threaded build: its second thread, on the same module and memory (engine_helper.js).
  // Until it is running, and if it ever fails, the training thread works alone.
  if (typeof wasm_bindgen.helper_start_data === 'function') {
    const [module, memory] = wasm_bindgen.helper_start_data();
    new Worker('__GRADLAB_ENGINE_HELPER__').postMessage({ glue, module, memory });
  }
}, (error) => {
  setTimeout(() => {
    throw new Error(`could not load the training engine (${error})`);
  });
});
