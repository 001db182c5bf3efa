// Starts the training worker: load wasm-bindgen's no-modules glue, then the wasm beside it.
// A failed load is rethrown outside the promise so the page's `worker.onerror` hears of it
// (a rejected promise alone would leave the page waiting forever).
importScripts('./worker.js');
wasm_bindgen({ module_or_path: './worker_bg.wasm' }).then((wasm) => {
  // Its memory, for `make soak`'s memory figures (as Trunk's start-up script exposes the page's).
  self.gradlabWasm = wasm;
}, (error) => {
  setTimeout(() => {
    throw new Error(`could not load the training engine (${error})`);
  });
});
