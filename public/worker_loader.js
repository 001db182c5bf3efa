// Starts the training worker: pick the engine build this browser runs (engine_build.js), load
// its wasm-bindgen no-modules glue, then its wasm. A failed load is rethrown outside the
// promise so the page's `worker.onerror` hears of it (a rejected promise alone would leave the
// page waiting forever).
importScripts('./engine_build.js');
const build = engineBuild(new URL(self.location.href).searchParams.get('engine'));
importScripts(`./${build}.js`);
wasm_bindgen({ module_or_path: `./${build}_bg.wasm` }).then((wasm) => {
  // Its memory, for `make soak`'s memory figures (as Trunk's start-up script exposes the page's).
  self.gradlabWasm = wasm;
}, (error) => {
  setTimeout(() => {
    throw new Error(`could not load the training engine (${error})`);
  });
});
