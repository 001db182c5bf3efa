// Which build of the training engine this browser runs (imported by worker_loader.js and sw.js).
// Three builds of the worker exist: simd128; simd128 + relaxed SIMD (a fused multiply-add in
// the matrix products where the CPU has one); and that one on two threads. A module using a
// relaxed-SIMD instruction is invalid where the browser lacks it, so this probe — the smallest such module, one function
// computing f32x4.relaxed_madd of its three v128 arguments — decides.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // "\0asm", version 1
  1, 8, 1, 96, 3, 123, 123, 123, 1, 123, // types: (v128, v128, v128) -> v128
  3, 2, 1, 0, // one function of that type
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, // its body: local.get 0, 1, 2
  253, 133, 2, 11, // f32x4.relaxed_madd (0xfd 0x105), end
]);

/** The engine build's file stem: `worker_threads` (relaxed SIMD, the large matrix products on
 *  two threads) where the page is cross-origin isolated — its server sends COOP and COEP
 *  headers, so memory can be shared with a second worker — and relaxed SIMD validates;
 *  `worker_relaxed` where relaxed SIMD validates only; else `worker`. All three compute the same
 *  numbers: the threaded build's bits are the relaxed build's (crates/engine/src/gemm.rs).
 *  `?engine=simd128` on the loader's address forces the plain build (tests, comparisons). */
function engineBuild(forced, isolated = self.crossOriginIsolated === true) {
  if (forced === 'simd128') return 'worker';
  let relaxed = false;
  try {
    relaxed = WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    relaxed = false;
  }
  if (!relaxed) return 'worker';
  return isolated ? 'worker_threads' : 'worker_relaxed';
}
