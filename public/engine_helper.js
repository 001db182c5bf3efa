// The threaded engine build's second thread, started by worker_loader.js where the page is
// cross-origin isolated: the same module on the same shared memory, running the helper loop of
// crates/worker/src/threads.rs (it computes half of each large matrix product). Should the loop
// trap, the training thread is told, takes the work back and carries on alone.
self.gradlabHelper = true;
self.onmessage = ({ data: { glue, module, memory } }) => {
  importScripts(glue);
  wasm_bindgen.initSync({ module, memory });
  try {
    wasm_bindgen.helper_run();
  } catch (error) {
    wasm_bindgen.helper_failed();
    throw error;
  }
};
