// The peer in `make bench`'s table: TensorFlow.js 4.22 on its wasm backend (XNNPACK, SIMD)
// trains gradlab's step for the MLP shapes and shape R, in the same headless Chromium.
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

/** Serves the peer's page and files on 127.0.0.1; `close()` stops it. */
async function servePeer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    const file = FILES[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    res.writeHead(200, { 'content-type': type }).end(await readFile(file));
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
  if (!recurrent) {
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
  const step = () => {
    const [x, y] = tf.tidy(() => (recurrent
      ? [tf.randomUniform([shape.depth, batch, 2]), tf.randomUniform([batch, 1])]
      : [tf.randomUniform([batch, 2], -1, 1), tf.randomUniform([batch, 1], -1, 1)]));
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

/** TF.js steps per second for each of `shapes` (MLP shapes without the cures, and R). */
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
