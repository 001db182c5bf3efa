// The peer in `make bench`'s table: TensorFlow.js 4.22 on its wasm backend (XNNPACK, SIMD)
// trains gradlab's step for the MLP shapes, shape R and the Transformer T1, in the same headless
// Chromium.
//
// The step, as gradlab's page runs it: a fresh batch; the forward pass (tanh layers, a linear
// readout, mean squared error); gradients by TF.js's autodiff (`tf.variableGrads`); each
// parameter tensor's sum of squares (gradlab's per-group norms); the global norm and a clip to
// 1; SGD at η = 0.01; then the loss and the norms read back to JavaScript every step
// (`dataSync`), as gradlab's page receives them. gradlab's own step also measures per-layer
// activations and, for R, the error's norm at every time step; TF.js is not asked to.
// The packages' own files are served from node_modules, with `setWasmPaths` pointed at them.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ISOLATION } from '../e2e/harness.mjs';

const MODULES = new URL('../../node_modules/@tensorflow/', import.meta.url).pathname;
const FILES = {
  '/tf.min.js': join(MODULES, 'tfjs/dist/tf.min.js'),
  '/tf-backend-wasm.min.js': join(MODULES, 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
  '/tfjs-backend-wasm.wasm': join(MODULES, 'tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  '/tfjs-backend-wasm-simd.wasm': join(MODULES, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
  '/tfjs-backend-wasm-threaded-simd.wasm': join(MODULES, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'),
};
const PAGE = '<!DOCTYPE html><meta charset="utf-8"><title>TF.js peer</title>'
  + '<script src="tf.min.js"></script><script src="tf-backend-wasm.min.js"></script>';

/** Serves the peer's page and files on 127.0.0.1, cross-origin isolated as gradlab's page is
 *  (TF.js then loads its threaded build; on T1 it trains as fast as with one thread, 1.43–1.54
 *  steps/s against 1.32–1.48, BENCHMARKS.md); `close()` stops it. */
async function servePeer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html', ...ISOLATION }).end(PAGE);
      return;
    }
    const file = FILES[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    res.writeHead(200, { 'content-type': type, ...ISOLATION }).end(await readFile(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  };
}

/** One shape's steps per second in TF.js (runs inside the page). */
async function trainInPage({ shape, warmSeconds, seconds }) {
  const tf = window.tf;
  tf.wasm.setWasmPaths(`${location.origin}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const recurrent = shape.model === 'rnn';
  const { batch } = shape;
  const dense = (fanIn, fanOut) => [
    tf.variable(tf.randomNormal([fanIn, fanOut], 0, 1 / Math.sqrt(fanIn))),
    tf.variable(tf.zeros([fanOut])),
  ];
  let vars;
  let lossOf;
  let batchOf;
  if (shape.model === 'transformer') {
    // T1: gradlab's Pre-LN Transformer on the language model — one-hot tokens (V = 29) times the
    // embedding, learned positions, per block LN → q|k|v → causal softmax per head → output
    // projection, LN → 4d GELU (erf) MLP, a final LN and the readout; softmax cross-entropy on
    // every position.
    const [L, d, heads, T, V] = [shape.depth, shape.width, shape.heads, shape.context, 29];
    const dh = d / heads;
    const norm = () => [tf.variable(tf.ones([d])), tf.variable(tf.zeros([d]))];
    const embed = tf.variable(tf.randomNormal([V, d]));
    const pos = tf.variable(tf.randomNormal([T, d]));
    const blocks = Array.from({ length: L }, () => ({
      ln1: norm(), qkv: dense(d, 3 * d), out: dense(d, d), ln2: norm(), mlpIn: dense(d, 4 * d), mlpOut: dense(4 * d, d),
    }));
    const lnF = norm();
    const readout = dense(d, V);
    vars = [embed, pos, ...blocks.flatMap((b) => [...b.ln1, ...b.qkv, ...b.out, ...b.ln2, ...b.mlpIn, ...b.mlpOut]), ...lnF, ...readout];
    const layerNorm = (x, [g, b]) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    };
    const linear = (x, [w, b]) => tf.add(tf.matMul(x, w), b);
    const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
    const masked = tf.mul(tf.sub(1, causal), -1e9);
    const heads3 = (x) => tf.transpose(tf.reshape(x, [batch, T, heads, dh]), [0, 2, 1, 3]);
    lossOf = (x, y) => {
      let h = tf.reshape(tf.add(tf.reshape(tf.matMul(tf.reshape(x, [batch * T, V]), embed), [batch, T, d]), pos), [batch * T, d]);
      for (const b of blocks) {
        const [q, k, v] = tf.split(linear(layerNorm(h, b.ln1), b.qkv), 3, 1).map(heads3);
        const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), masked);
        const o = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [batch * T, d]);
        h = tf.add(h, linear(o, b.out));
        const z = linear(layerNorm(h, b.ln2), b.mlpIn);
        const gelu = tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.div(z, Math.SQRT2))));
        h = tf.add(h, linear(gelu, b.mlpOut));
      }
      return tf.losses.softmaxCrossEntropy(y, linear(layerNorm(h, lnF), readout));
    };
    batchOf = () => {
      const tokens = tf.randomUniform([batch, T + 1], 0, V, 'int32');
      const x = tf.oneHot(tf.slice(tokens, [0, 0], [batch, T]), V);
      const y = tf.reshape(tf.oneHot(tf.slice(tokens, [0, 1], [batch, T]), V), [batch * T, V]);
      return [x, y];
    };
  } else if (!recurrent) {
    const dims = [2, ...Array(shape.depth).fill(shape.width), 1];
    vars = dims.slice(1).flatMap((out, l) => dense(dims[l], out));
    lossOf = (x, y) => {
      let h = x;
      for (let l = 0; l < vars.length; l += 2) {
        const z = tf.add(tf.matMul(h, vars[l]), vars[l + 1]);
        h = l + 2 < vars.length ? tf.tanh(z) : z;
      }
      return tf.losses.meanSquaredError(y, h);
    };
  } else {
    // The adding task's shapes: T steps of 2 inputs, H hidden units, one output read at the end.
    const [H, T] = [shape.width, shape.depth];
    const [wx, b] = dense(2, H);
    const wh = tf.variable(tf.randomNormal([H, H], 0, 1 / Math.sqrt(H)));
    const [wOut, bOut] = dense(H, 1);
    vars = [wx, wh, b, wOut, bOut];
    lossOf = (x, y) => {
      const steps = tf.unstack(x);
      let h = tf.zeros([batch, H]);
      for (let t = 0; t < T; t++) h = tf.tanh(tf.add(tf.add(tf.matMul(steps[t], wx), tf.matMul(h, wh)), b));
      return tf.losses.meanSquaredError(y, tf.add(tf.matMul(h, wOut), bOut));
    };
  }
  batchOf ??= () => (recurrent
    ? [tf.randomUniform([shape.depth, batch, 2]), tf.randomUniform([batch, 1])]
    : [tf.randomUniform([batch, 2], -1, 1), tf.randomUniform([batch, 1], -1, 1)]);
  const step = () => {
    const [x, y] = tf.tidy(batchOf);
    const { value, grads } = tf.variableGrads(() => lossOf(x, y), vars);
    const norms = tf.tidy(() => {
      const squares = tf.stack(vars.map((v) => tf.sum(tf.square(grads[v.name]))));
      const global = tf.sqrt(tf.sum(squares));
      const scale = tf.minimum(1, tf.div(1, tf.add(global, 1e-6)));
      for (const v of vars) v.assign(tf.sub(v, tf.mul(tf.mul(scale, 0.01), grads[v.name])));
      return tf.sqrt(squares);
    });
    value.dataSync();
    norms.dataSync();
    tf.dispose([x, y, value, norms, ...Object.values(grads)]);
  };
  const run = (limit) => {
    const start = performance.now();
    let steps = 0;
    while (performance.now() - start < limit * 1000) {
      step();
      steps++;
    }
    return steps / ((performance.now() - start) / 1000);
  };
  run(warmSeconds);
  const rate = run(seconds);
  tf.dispose(vars);
  return { rate, simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
}

/** TF.js steps per second for each of `shapes` (MLP shapes without the cures, R and T1). */
export async function tfjsRates(browser, shapes, { warmSeconds = 2, seconds = 8 } = {}) {
  const server = await servePeer();
  const rates = {};
  let backend = '';
  try {
    for (const shape of shapes) {
      const page = await browser.newPage();
      await page.goto(server.url);
      const r = await page.evaluate(trainInPage, { shape, warmSeconds, seconds });
      rates[shape.shape] = r.rate;
      backend = `wasm backend, SIMD ${r.simd ? 'on' : 'off'}, threads ${r.threads ? 'on' : 'off'}`;
      await page.close();
    }
  } finally {
    await server.close();
  }
  return { rates, backend };
}
