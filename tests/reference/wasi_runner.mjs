// The headless runner built for WebAssembly (wasm32-wasip1), run in Node's V8 through WASI, so the
// NumPy reference (check_headless.py) checks each wasm build of the engine too: the plain
// simd128 build and the relaxed-SIMD one, whose f32 matrix products are the browser's
// (crates/engine/src/gemm.rs). /tmp is the only directory it can see (for --dump-step0).
//
// usage: node --experimental-wasm-relaxed-simd tests/reference/wasi_runner.mjs RUNNER.wasm [ARGS]...
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['headless', ...args], env: {}, preopens: { '/tmp': '/tmp' }, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
