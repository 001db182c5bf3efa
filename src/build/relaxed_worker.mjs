// Trunk post-build hook (Node; not part of the app): the other two builds of the training
// worker, beside the simd128 build Trunk makes from index.html. The page loads one of the three
// (public/engine_build.js); all are in dist/.
// - worker_relaxed: relaxed SIMD (`f32x4.relaxed_madd` in the matrix products,
//   crates/engine/src/gemm.rs).
// - worker_threads: the same with wasm atomics and a shared memory, so a second thread computes
//   half of each large product (crates/worker/src/threads.rs). The standard library must be
//   rebuilt with atomics for that, which only a nightly toolchain does (`-Z build-std`): the
//   Makefile installs the one pinned below, with its source.
//
// Trunk builds each <link data-trunk rel="rust"> once with the crate's rustflags, and target
// features are rustflags, so this runs cargo itself: the same bin and profile, a target dir per
// build (other rustflags would otherwise rebuild Trunk's artifacts every time), then the same
// wasm-bindgen and wasm-opt Trunk uses (pinned by `make`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
const source = process.env.TRUNK_SOURCE_DIR ?? '.';
if (!staging) throw new Error('relaxed_worker.mjs runs as a Trunk post_build hook (TRUNK_STAGING_DIR is unset)');
const release = process.env.TRUNK_PROFILE === 'release';
/** The nightly toolchain of the threaded build (the Makefile's NIGHTLY installs it). */
export const NIGHTLY = 'nightly-2026-10-30';
const RELAXED = '-C target-feature=+simd128,+relaxed-simd';
// A shared memory must be imported and have a maximum: 2 GiB, twice the lab's memory budget
// (crates/engine/src/memory.rs). wasm-bindgen starts each thread's TLS through these exports.
const THREADED = [
  '-C target-feature=+atomics,+bulk-memory,+simd128,+relaxed-simd',
  ...['--shared-memory', '--import-memory', '--max-memory=2147483648',
    '--export=__wasm_init_tls', '--export=__tls_size', '--export=__tls_align', '--export=__tls_base']
    .map((arg) => `-C link-arg=${arg}`),
].join(' ');

const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: source, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`worker build: ${command} ${args.join(' ')} failed`);
};

for (const { name, toolchain, flags, std, features } of [
  { name: 'worker_relaxed', toolchain: [], flags: RELAXED, std: [], features: ['--enable-simd', '--enable-relaxed-simd'] },
  {
    name: 'worker_threads',
    toolchain: [`+${NIGHTLY}`],
    flags: THREADED,
    std: ['-Z', 'build-std=panic_abort,std'],
    features: ['--enable-simd', '--enable-relaxed-simd', '--enable-threads', '--enable-bulk-memory'],
  },
]) {
  const targetDir = join(source, 'target', name === 'worker_relaxed' ? 'relaxed-simd' : 'threads');
  run(
    'cargo',
    [...toolchain, 'build', '--quiet', ...std, '--target', 'wasm32-unknown-unknown', '-p', 'gradlab-worker', '--bin', 'worker',
      '--target-dir', targetDir, ...(release ? ['--profile', 'release'] : [])],
    // RUSTFLAGS, not the per-target variable: -Z build-std compiles the standard library with
    // them too (it must have atomics).
    name === 'worker_threads' ? { RUSTFLAGS: flags } : { CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: flags },
  );
  const built = join(targetDir, 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'worker.wasm');
  run('wasm-bindgen', ['--target', 'no-modules', '--no-typescript', '--out-dir', staging, '--out-name', name, built]);
  if (release) {
    const wasm = join(staging, `${name}_bg.wasm`);
    run('wasm-opt', ['-O3', ...features, '--output', wasm, wasm]);
  }
}
