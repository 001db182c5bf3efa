// Trunk post-build hook (Node; not part of the app): the second build of the training worker,
// with relaxed SIMD (`f32x4.relaxed_madd` in the matrix products, crates/engine/src/gemm.rs), beside
// the simd128 build Trunk makes from index.html. The page loads one of the two
// (public/engine_build.js); both are in dist/.
//
// Trunk builds each <link data-trunk rel="rust"> once with the crate's rustflags, and target
// features are rustflags, so this build runs cargo itself: the same bin and profile, its own
// target dir (other rustflags would otherwise rebuild Trunk's artifacts every time), then the
// same wasm-bindgen and wasm-opt Trunk uses (pinned by `make`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
const source = process.env.TRUNK_SOURCE_DIR ?? '.';
if (!staging) throw new Error('relaxed_worker.mjs runs as a Trunk post_build hook (TRUNK_STAGING_DIR is unset)');
const release = process.env.TRUNK_PROFILE === 'release';
const targetDir = join(source, 'target', 'relaxed-simd');

const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: source, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`relaxed-SIMD worker: ${command} ${args.join(' ')} failed`);
};

run(
  'cargo',
  ['build', '--quiet', '--target', 'wasm32-unknown-unknown', '-p', 'gradlab-worker', '--bin', 'worker', '--target-dir', targetDir,
    ...(release ? ['--profile', 'release'] : [])],
  { CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: '-C target-feature=+simd128,+relaxed-simd' },
);
const built = join(targetDir, 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'worker.wasm');
run('wasm-bindgen', ['--target', 'no-modules', '--no-typescript', '--out-dir', staging, '--out-name', 'worker_relaxed', built]);
if (release) {
  const wasm = join(staging, 'worker_relaxed_bg.wasm');
  run('wasm-opt', ['-O3', '--enable-simd', '--enable-relaxed-simd', '--output', wasm, wasm]);
}
