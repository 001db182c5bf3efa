#!/usr/bin/env python3
"""Independent check of gradlab's engine: a NumPy (float64) re-implementation of one step.

For several configurations it runs the headless runner with --dump-step0, takes the batch and the
weights it dumped, and recomputes from scratch -- forward pass, MSE + L1/L2 loss, backprop, the
three clipping rules as PyTorch/Keras define them, the SGD update -- then compares every number
of the first JSON line (loss, per-layer norms, global norms, clip scale, cosine, update ratios)
and the raw gradients. Nothing here imports or mirrors the Rust code; the formulas are written
from THEORY.md. The engine computes in float32, so agreement is asked to ~1e-4 relative.

usage: check_headless.py PATH/TO/headless
"""
import json
import subprocess
import sys
import tempfile

import numpy as np

# (flags, relative tolerance). The engine is float32 like the frameworks; in the deep chaotic
# case float32 rounding is amplified layer after layer (tanh's slope 1 - a^2 loses digits where
# a is near +-1), so float32 and float64 honestly differ by up to ~1% at the input end there.
CASES = [
    (["--activation", "tanh", "--depth", "3", "--width", "8", "--weight-scale", "1.5"], 2e-4),
    (["--activation", "relu", "--depth", "8", "--width", "16", "--l2", "0.01",
     "--clip-mode", "global-norm", "--clip", "0.5", "--bias-scale", "0.1"], 2e-4),
    (["--activation", "sigmoid", "--depth", "5", "--width", "12", "--l1", "0.001",
     "--clip-mode", "value", "--clip", "0.01", "--dataset", "xor"], 2e-4),
    (["--activation", "linear", "--depth", "12", "--width", "10", "--weight-scale", "1.3",
     "--clip-mode", "layer-norm", "--clip", "0.2", "--dataset", "sine", "--batch", "16"], 2e-4),
    (["--activation", "tanh", "--depth", "30", "--width", "16", "--weight-scale", "2.5",
     "--clip-mode", "global-norm", "--clip", "1", "--dataset", "spiral", "--lr", "0.1"], 2e-2),
]

PHI = {
    "linear": (lambda z: z, lambda a: np.ones_like(a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(float)),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda a: a * (1.0 - a)),
}


def reference_step(dump):
    cfg = dump["config"]
    x, y = np.array(dump["x"], float), np.array(dump["y"], float)
    Ws = [np.array(layer["W"], float).reshape(-1, len(layer["b"])) for layer in dump["layers"]]
    bs = [np.array(layer["b"], float) for layer in dump["layers"]]
    phi, dphi = PHI[cfg["activation"]]
    l1, l2 = cfg["l1"], cfg["l2"]

    hs = [x]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = hs[-1] @ W + b
        hs.append(z if i == len(Ws) - 1 else phi(z))
    yhat = hs[-1]
    loss = np.mean((yhat - y) ** 2) + sum(l1 * np.abs(W).sum() + 0.5 * l2 * (W * W).sum() for W in Ws)

    delta = 2.0 * (yhat - y) / yhat.size
    gWs, gbs, deltas = [None] * len(Ws), [None] * len(Ws), [None] * len(Ws)
    for i in reversed(range(len(Ws))):
        deltas[i] = np.linalg.norm(delta)
        gWs[i] = hs[i].T @ delta + l1 * np.sign(Ws[i]) + l2 * Ws[i]
        gbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * dphi(hs[i])

    norms = np.array([np.sqrt((gW ** 2).sum() + (gb ** 2).sum()) for gW, gb in zip(gWs, gbs)])
    total = np.sqrt((norms ** 2).sum())
    mode, c = cfg["clip-mode"], cfg["clip"]
    if mode == "global-norm":  # torch.nn.utils.clip_grad_norm_
        factors = np.full(len(Ws), min(1.0, c / (total + 1e-6)))
        cW = [gW * factors[0] for gW in gWs]
        cb = [gb * factors[0] for gb in gbs]
    elif mode == "layer-norm":  # Keras clipnorm, W and b of a layer together
        factors = c / np.maximum(norms, c)
        cW = [gW * f for gW, f in zip(gWs, factors)]
        cb = [gb * f for gb, f in zip(gbs, factors)]
    elif mode == "value":  # torch.nn.utils.clip_grad_value_
        cW = [np.clip(gW, -c, c) for gW in gWs]
        cb = [np.clip(gb, -c, c) for gb in gbs]
    else:
        cW, cb = gWs, gbs
    clipped_norms = np.array([np.sqrt((w ** 2).sum() + (b ** 2).sum()) for w, b in zip(cW, cb)])
    clipped_total = np.sqrt((clipped_norms ** 2).sum())
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gWs, gbs)])
    flat_c = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(cW, cb)])
    cosine = flat @ flat_c / (np.linalg.norm(flat) * np.linalg.norm(flat_c))
    scale = min(1.0, c / (total + 1e-6)) if mode == "global-norm" else clipped_total / total
    weight_norms = np.array([np.linalg.norm(W) for W in Ws])
    update_ratios = np.array([cfg["lr"] * np.linalg.norm(w) for w in cW]) / weight_norms
    return {
        "loss": loss,
        "grad_norms": norms,
        "grad_norms_clipped": clipped_norms,
        "delta_norms": np.array(deltas),
        "weight_norms": weight_norms,
        "update_ratios": update_ratios,
        "global_norm": total,
        "global_norm_clipped": clipped_total,
        "clip_scale": scale,
        "cos_pre_post": cosine,
    }, gWs, gbs


def close(a, b, rel=2e-4, abs_=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + abs_))


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    runner = sys.argv[1]
    passed = failed = 0
    for args, rel in CASES:
        with tempfile.NamedTemporaryFile(suffix=".json") as dump_file:
            out = subprocess.run([runner, *args, "--steps", "1", "--dump-step0", dump_file.name],
                                 check=True, capture_output=True, text=True).stdout
            dump = json.load(open(dump_file.name))
        stats = json.loads(out.splitlines()[0])
        expected, gWs, gbs = reference_step(dump)
        problems = [k for k, v in expected.items() if not close(stats[k], v, rel=rel)]
        # Raw gradients, tensor by tensor: relative error in the Frobenius norm.
        for i, layer in enumerate(dump["layers"]):
            for key, ref in (("dW", gWs[i]), ("db", gbs[i])):
                got = np.array(layer[key], float).reshape(ref.shape)
                if np.linalg.norm(got - ref) > rel * np.linalg.norm(ref) + 1e-9:
                    problems.append(f"{key}[{i}]")
        if stats["clipped"] != (expected["global_norm_clipped"] < expected["global_norm"] * (1 - 1e-9)):
            problems.append("clipped")
        name = " ".join(args)
        if problems:
            failed += 1
            print(f"FAIL {name}: {', '.join(problems)}")
            for k in problems:
                if k in expected:
                    print(f"  {k}: engine {stats[k]} vs numpy {expected[k]}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"reference: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
