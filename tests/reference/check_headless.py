#!/usr/bin/env python3
"""Independent check of gradlab's engine: a NumPy (float64) re-implementation of one step.

For several configurations -- feed-forward nets, recurrent ones and Transformers -- it runs the headless runner
with --dump-step0, takes the batch and the weights it dumped, and recomputes from scratch --
forward pass, MSE or cross-entropy + L1/L2 loss, backprop (through time for an RNN, truncated or
not), the three clipping rules as PyTorch/Keras define them, the first update of each optimizer
as torch.optim documents it (SGD, momentum, Nesterov, RMSprop, Adam, AdamW), and for an RNN the
largest singular value and spectral radius (vanilla cell) of W_h (numpy.linalg) -- then compares every number
of the first JSON line (loss, per-layer norms, global norms, clip scale, cosine, update ratios
and update norms) and the raw gradients. Nothing here imports or mirrors the Rust code; the formulas are written
from THEORY.md. The engine computes in float32, so agreement is asked to ~1e-4 relative.

usage: check_headless.py PATH/TO/headless
"""
import json
import math
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
     "--clip-mode", "global-norm", "--clip", "0.5", "--bias-scale", "0.1",
     "--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99"], 2e-4),
    (["--activation", "sigmoid", "--depth", "5", "--width", "12", "--l1", "0.001",
     "--clip-mode", "value", "--clip", "0.01", "--dataset", "xor",
     "--optimizer", "nesterov", "--momentum", "0.5"], 2e-4),
    (["--activation", "linear", "--depth", "12", "--width", "10", "--weight-scale", "1.3",
     "--clip-mode", "layer-norm", "--clip", "0.2", "--dataset", "sine", "--batch", "16",
     "--optimizer", "rmsprop", "--eps", "0.001"], 2e-4),
    (["--activation", "tanh", "--depth", "30", "--width", "16", "--weight-scale", "2.5",
     "--clip-mode", "global-norm", "--clip", "1", "--dataset", "spiral", "--lr", "0.1"], 2e-2),
    # Residual connections with LayerNorm (its gain and bias are groups of their own), clipped
    # per group, under AdamW.
    (["--activation", "tanh", "--depth", "6", "--width", "8", "--weight-scale", "1.2",
     "--bias-scale", "0.2", "--residual", "on", "--layer-norm", "on", "--l2", "0.01",
     "--clip-mode", "layer-norm", "--clip", "0.3", "--optimizer", "adamw"], 2e-4),
    (["--activation", "relu", "--depth", "5", "--width", "10", "--residual", "on",
     "--weight-scale", "0.7", "--dataset", "xor"], 2e-4),
    # Backward clipping: the error clamped at every layer on the way back.
    (["--activation", "tanh", "--depth", "10", "--width", "12", "--weight-scale", "2",
     "--clip-mode", "backward", "--clip", "0.002", "--optimizer", "momentum"], 2e-4),
]

# Recurrent nets: every activation, both readouts, truncated BPTT, the three clip rules, the
# four tasks (MSE and cross-entropy) and the three recurrent inits. Explosion through time
# amplifies float32 rounding like depth does, hence the looser tolerance at g = 1.8.
RNN_CASES = [
    (["--model", "rnn", "--task", "adding", "--seq-len", "20", "--hidden", "8",
      "--recurrent-scale", "1.2", "--clip-mode", "global-norm", "--clip", "1"], 2e-4),
    (["--model", "rnn", "--task", "series", "--activation", "relu", "--readout", "all",
      "--bptt", "5", "--seq-len", "16", "--hidden", "6", "--l2", "0.01",
      "--clip-mode", "layer-norm", "--clip", "0.5", "--recurrent-init", "identity",
      "--optimizer", "adamw", "--weight-decay", "0.2", "--lr", "0.5"], 2e-4),
    (["--model", "rnn", "--task", "copy", "--activation", "sigmoid", "--readout", "all",
      "--seq-len", "25", "--hidden", "12", "--l1", "0.001", "--clip-mode", "value",
      "--clip", "0.01", "--batch", "8", "--optimizer", "momentum"], 2e-4),
    (["--model", "rnn", "--task", "adding", "--activation", "linear", "--seq-len", "30",
      "--hidden", "10", "--recurrent-init", "orthogonal", "--recurrent-scale", "1.1",
      "--input-scale", "0.5"], 2e-4),
    (["--model", "rnn", "--task", "adding", "--seq-len", "40", "--hidden", "16",
      "--recurrent-scale", "1.8", "--lr", "0.1"], 2e-3),
    (["--model", "rnn", "--task", "language", "--readout", "all", "--seq-len", "20",
      "--hidden", "16", "--recurrent-init", "orthogonal", "--clip-mode", "global-norm",
      "--clip", "1", "--batch", "4"], 2e-4),
    # Gated cells: their gradients (and the LSTM's ||dL/dc_t||) are taken here by central
    # differences of a float64 forward pass written from the cell equations -- nothing of the
    # engine's backward pass is mirrored.
    (["--model", "rnn", "--cell", "lstm", "--task", "adding", "--seq-len", "12", "--hidden", "6",
      "--batch", "4", "--clip-mode", "global-norm", "--clip", "0.5", "--l2", "0.01"], 2e-4),
    (["--model", "rnn", "--cell", "gru", "--task", "copy", "--readout", "all", "--seq-len", "10",
      "--hidden", "5", "--batch", "3", "--recurrent-init", "orthogonal", "--optimizer", "adam"],
     2e-4),
    # (Not ReLU: its c_1 is exactly 0 wherever g is, a kink a central difference straddles.)
    (["--model", "rnn", "--cell", "lstm", "--task", "series", "--activation", "sigmoid",
      "--readout", "all", "--seq-len", "8", "--hidden", "4", "--batch", "2",
      "--recurrent-init", "identity", "--clip-mode", "value", "--clip", "0.05"], 2e-4),
]

# Mixed precision (MLPs): the same step in f16 or bf16, at THEORY-style rounding points the
# engine states (ARCHITECTURE.md): weights, input, each product's output, each layer's output;
# the loss's gradient times S, each error, each weight gradient; products in float32. NumPy's
# float16 does the f16 rounding; bf16 is rounded here from float32's bits (to nearest even).
# (flags, relative tolerance, whether the first layer's gradient is all flushed to zero): the
# healthy cases agree exactly, and forgetting any rounding point
# moves them by 1e-3 or more (by 0.2 for bf16). Where the error is subnormal in f16 (the
# vanishing sigmoid net) a product summed in another order can round the other way, and one
# such flip moves a value with a few bits a lot: 2e-2 there (unrounded: 1.0); its first
# layer must be exactly zero in both.
PRECISION_CASES = [
    (["--activation", "tanh", "--depth", "3", "--width", "8", "--precision", "f16"], 2e-4, False),
    (["--activation", "relu", "--depth", "5", "--width", "10", "--residual", "on",
      "--weight-scale", "0.7", "--precision", "f16", "--loss-scale", "static",
      "--static-scale", "1024", "--l2", "0.01"], 2e-4, False),
    (["--activation", "sigmoid", "--depth", "4", "--width", "12", "--precision", "bf16",
      "--l1", "0.001"], 2e-4, False),
    (["--activation", "sigmoid", "--depth", "10", "--precision", "f16"], 2e-2, True),
    (["--activation", "sigmoid", "--depth", "10", "--precision", "f16", "--loss-scale",
      "dynamic"], 2e-3, False),
]


# Transformers: each LayerNorm placement, the language model and the copy task (cross-entropy on
# every position), the adding task (MSE, last position), clipping and the optimizers. The
# reference is a NumPy forward pass written from the module docs' equations and its backward
# pass by hand, itself checked against central differences on sampled entries (below).
TRANSFORMER_CASES = [
    (["--model", "transformer", "--task", "language", "--readout", "all", "--layers", "2",
      "--d-model", "16", "--heads", "2", "--context", "8", "--batch", "3", "--norm", "pre",
      "--clip-mode", "global-norm", "--clip", "1", "--l2", "0.01"], 2e-4),
    (["--model", "transformer", "--task", "copy", "--readout", "all", "--layers", "3",
      "--d-model", "16", "--heads", "4", "--context", "12", "--batch", "2", "--norm", "post",
      "--weight-scale", "1.5", "--clip-mode", "layer-norm", "--clip", "0.3",
      "--optimizer", "adamw", "--weight-decay", "0.1"], 2e-4),
    (["--model", "transformer", "--task", "adding", "--readout", "last", "--layers", "2",
      "--d-model", "24", "--heads", "3", "--context", "10", "--batch", "4", "--norm", "none",
      "--weight-scale", "0.8", "--clip-mode", "value", "--clip", "0.05", "--l1", "0.001",
      "--optimizer", "adam"], 2e-4),
]


def layer_norm(z, gamma, beta):
    """LayerNorm over the last axis (biased variance, eps 1e-5); returns (u, cache)."""
    mu = z.mean(-1, keepdims=True)
    inv = 1.0 / np.sqrt(((z - mu) ** 2).mean(-1, keepdims=True) + 1e-5)
    n = (z - mu) * inv
    return n * gamma + beta, (n, inv)


def layer_norm_back(du, cache, gamma):
    """d/dz of LayerNorm from du; and d gamma, d beta (summed over every row)."""
    n, inv = cache
    dn = du * gamma
    dz = inv * (dn - dn.mean(-1, keepdims=True) - n * (dn * n).mean(-1, keepdims=True))
    rows = du.reshape(-1, du.shape[-1])
    return dz, (rows * n.reshape(rows.shape)).sum(0), rows.sum(0)


ERF = np.vectorize(math.erf)


def transformer_loss_and_grads(cfg, x, y, P):
    """The Transformer of crates/engine/src/transformer.rs's docs, in float64 and batch-major
    ([n, T, .]): returns loss (with the penalty), gradients {name: (dW, db)}, per-block
    ||dL/dx_l||, and per block and head the largest logit and the mean attention entropy."""
    n, T, _ = x.shape
    L, d, H = int(cfg["layers"]), int(cfg["d-model"]), int(cfg["heads"])
    dh, norm = d // H, cfg["norm"]
    W = lambda name: P[name][0]
    B = lambda name: P[name][1]
    ln = lambda name: (B(name)[:d], B(name)[d:])
    mask = np.triu(np.ones((T, T), bool), 1)
    heads = lambda m: m.reshape(n, T, H, dh).transpose(0, 2, 1, 3)
    merge = lambda m: m.transpose(0, 2, 1, 3).reshape(n, T, -1)
    h = x @ W("embed") + W("pos")[None]
    caches, logit_max, entropy = [], [], []
    for l in range(L):
        c = {"x_in": h}
        a = h
        if norm == "pre":
            a, c["ln1"] = layer_norm(h, *ln(f"L{l}.ln1"))
        c["a"] = a
        qkv = a @ W(f"L{l}.attn.qkv") + B(f"L{l}.attn.qkv")
        q, k, v = (heads(qkv[..., i * d:(i + 1) * d]) for i in range(3))
        S = np.where(mask, -np.inf, q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh))
        Pr = np.exp(S - S.max(-1, keepdims=True))
        Pr /= Pr.sum(-1, keepdims=True)
        logit_max += [S[:, j][:, ~mask].max() for j in range(H)]
        plogp = np.where(Pr > 0, Pr * np.log(np.where(Pr > 0, Pr, 1.0)), 0.0)
        entropy += list(-plogp.sum(-1).mean(axis=(0, 2)))
        o = merge(Pr @ v)
        mid = h + o @ W(f"L{l}.attn.out") + B(f"L{l}.attn.out")
        if norm == "post":
            mid, c["ln1"] = layer_norm(mid, *ln(f"L{l}.ln1"))
        m = mid
        if norm == "pre":
            m, c["ln2"] = layer_norm(mid, *ln(f"L{l}.ln2"))
        z = m @ W(f"L{l}.mlp.in") + B(f"L{l}.mlp.in")
        cdf = 0.5 * (1.0 + ERF(z / math.sqrt(2.0)))
        act = z * cdf
        out = mid + act @ W(f"L{l}.mlp.out") + B(f"L{l}.mlp.out")
        if norm == "post":
            out, c["ln2"] = layer_norm(out, *ln(f"L{l}.ln2"))
        c.update(q=q, k=k, v=v, P=Pr, o=o, mid=mid, m=m, z=z, cdf=cdf, act=act)
        caches.append(c)
        h = out
    top = h
    if norm == "pre":
        top, final = layer_norm(h, *ln("ln_f"))
    last = cfg["readout"] == "last"
    read = top[:, -1] if last else top.reshape(n * T, d)
    out = read @ W("readout") + B("readout")
    if cfg["task"] in ("copy", "language"):
        classes = np.array(y, int).reshape(-1)
        loss, dout = softmax_ce(out, classes)
    else:
        target = np.array(y, float).reshape(out.shape)
        loss, dout = np.mean((out - target) ** 2), 2.0 * (out - target) / out.size
    l1, l2 = cfg["l1"], cfg["l2"]
    matrices = [name for name in P if P[name][0].size]
    loss += sum(l1 * np.abs(W(k)).sum() + 0.5 * l2 * (W(k) ** 2).sum() for k in matrices)

    G = {"readout": (read.T @ dout, dout.sum(0))}
    dtop = np.zeros_like(top)
    if last:
        dtop[:, -1] = dout @ W("readout").T
    else:
        dtop = (dout @ W("readout").T).reshape(n, T, d)
    dh_ = dtop
    if norm == "pre":
        dh_, dg, db = layer_norm_back(dtop, final, ln("ln_f")[0])
        G["ln_f"] = (np.zeros((0, 2 * d)), np.concatenate([dg, db]))
    block_norms = np.zeros(L)
    flat = lambda a: a.reshape(-1, a.shape[-1])
    for l in reversed(range(L)):
        c = caches[l]
        g_ln = {}
        dsum2 = dh_
        if norm == "post":
            dsum2, *g_ln["ln2"] = layer_norm_back(dh_, c["ln2"], ln(f"L{l}.ln2")[0])
        G[f"L{l}.mlp.out"] = (flat(c["act"]).T @ flat(dsum2), flat(dsum2).sum(0))
        dz = (dsum2 @ W(f"L{l}.mlp.out").T) * (c["cdf"] + c["z"] * np.exp(-c["z"] ** 2 / 2) / math.sqrt(2 * math.pi))
        G[f"L{l}.mlp.in"] = (flat(c["m"]).T @ flat(dz), flat(dz).sum(0))
        dm = dz @ W(f"L{l}.mlp.in").T
        if norm == "pre":
            dm, *g_ln["ln2"] = layer_norm_back(dm, c["ln2"], ln(f"L{l}.ln2")[0])
        dmid = dsum2 + dm
        dsum1 = dmid
        if norm == "post":
            dsum1, *g_ln["ln1"] = layer_norm_back(dmid, c["ln1"], ln(f"L{l}.ln1")[0])
        G[f"L{l}.attn.out"] = (flat(c["o"]).T @ flat(dsum1), flat(dsum1).sum(0))
        do = heads(dsum1 @ W(f"L{l}.attn.out").T)
        Pr, q, k, v = c["P"], c["q"], c["k"], c["v"]
        dv = Pr.transpose(0, 1, 3, 2) @ do
        dP = do @ v.transpose(0, 1, 3, 2)
        dS = Pr * (dP - (dP * Pr).sum(-1, keepdims=True)) / math.sqrt(dh)
        dq, dk = dS @ k, dS.transpose(0, 1, 3, 2) @ q
        dqkv = np.concatenate([merge(dq), merge(dk), merge(dv)], axis=-1)
        G[f"L{l}.attn.qkv"] = (flat(c["a"]).T @ flat(dqkv), flat(dqkv).sum(0))
        da = dqkv @ W(f"L{l}.attn.qkv").T
        if norm == "pre":
            da, *g_ln["ln1"] = layer_norm_back(da, c["ln1"], ln(f"L{l}.ln1")[0])
        dh_ = dsum1 + da
        for key, (dg, db) in g_ln.items():
            G[f"L{l}.{key}"] = (np.zeros((0, 2 * d)), np.concatenate([dg, db]))
        block_norms[l] = np.linalg.norm(dh_)
    G["embed"] = (flat(x).T @ flat(dh_), np.zeros(0))
    G["pos"] = (dh_.sum(0), np.zeros(0))
    for k in matrices:
        G[k] = (G[k][0] + l1 * np.sign(W(k)) + l2 * W(k), G[k][1])
    return loss, G, block_norms, np.array(logit_max), np.array(entropy)


def reference_transformer_step(dump):
    """The Transformer's first step: its loss, gradients and statistics (as the RNN's), with the
    hand-written backward pass checked against central differences first."""
    cfg = dump["config"]
    if cfg["task"] == "language":
        check_language_batch(dump)
    x = np.array(dump["x"], float)
    names = [g["name"] for g in dump["groups"]]
    # A LayerNorm's group has no matrix: its vector is gamma then beta.
    P = {g["name"]: (np.array(g["W"], float) if g["W"] else np.zeros((0, len(g["b"]))),
                     np.array(g["b"], float))
         for g in dump["groups"]}
    loss, G, block_norms, logit_max, entropy = transformer_loss_and_grads(cfg, x, dump["y"], P)
    # The hand-written backward pass against central differences, 3 entries of every tensor.
    rng = np.random.default_rng(0)
    for name in names:
        for part in (0, 1):
            tensor = P[name][part]
            for flat_index in rng.choice(tensor.size, size=min(3, tensor.size), replace=False):
                idx = np.unravel_index(flat_index, tensor.shape)
                saved = tensor[idx]
                tensor[idx] = saved + 1e-6
                up = transformer_loss_and_grads(cfg, x, dump["y"], P)[0]
                tensor[idx] = saved - 1e-6
                down = transformer_loss_and_grads(cfg, x, dump["y"], P)[0]
                tensor[idx] = saved
                numeric, analytic = (up - down) / 2e-6, G[name][part][idx]
                assert abs(numeric - analytic) <= 1e-6 + 1e-5 * abs(numeric), \
                    f"reference backward {name}[{part}]{idx}: {analytic} vs {numeric}"
    grads = [np.concatenate([G[k][0].ravel(), G[k][1]]) for k in names]
    norms, total, clipped = clip_groups(grads, cfg["clip-mode"], cfg["clip"])
    clipped_norms = np.array([np.linalg.norm(g) for g in clipped])
    clipped_total = np.sqrt((clipped_norms ** 2).sum())
    flat_g, flat_c = np.concatenate(grads), np.concatenate(clipped)
    # Weights: each group's matrix (none for a LayerNorm's vector); the clipped W gradient is
    # the front of each clipped group.
    weight_norms = np.array([np.linalg.norm(P[k][0]) for k in names])
    update_norms = np.array([np.linalg.norm(first_update(P[k][0], c[:P[k][0].size].reshape(P[k][0].shape), cfg))
                             if P[k][0].size else 0.0 for k, c in zip(names, clipped)])
    mode, c = cfg["clip-mode"], cfg["clip"]
    expected = {
        "loss": loss,
        "grad_norms": norms,
        "grad_norms_clipped": clipped_norms,
        "block_norms": block_norms,
        "attn_logit_max": logit_max,
        "attn_entropy": entropy,
        "weight_norms": weight_norms,
        "update_norms": update_norms,
        "update_ratios": np.where(weight_norms > 0, update_norms / np.where(weight_norms > 0, weight_norms, 1), 0.0),
        "global_norm": total,
        "global_norm_clipped": clipped_total,
        "clip_scale": min(1.0, c / (total + 1e-6)) if mode == "global-norm" else clipped_total / total,
        "cos_pre_post": flat_g @ flat_c / (np.linalg.norm(flat_g) * np.linalg.norm(flat_c)),
    }
    return expected, [G[k] for k in names]


def to_format(a, precision):
    a = np.asarray(a, np.float32)
    if precision == "f16":
        return a.astype(np.float16).astype(np.float32)
    if precision == "bf16":
        bits = a.view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return bits.astype(np.uint32).view(np.float32)
    return a


def reference_reduced_step(dump):
    """One MLP step in f16/bf16 (no LayerNorm): the loss, per-group gradients (unscaled) and
    the error norms, computed in float32 with rounding at the stated points."""
    cfg = dump["config"]
    precision = cfg["precision"]
    scale = {"none": 1.0, "static": cfg["static-scale"], "dynamic": 65536.0}[cfg["loss-scale"]]
    R = lambda a: to_format(a, precision)
    f32 = np.float32
    x, y = np.array(dump["x"], f32), np.array(dump["y"], f32)
    masters = [np.array(layer["W"], f32).reshape(-1, len(layer["b"])) for layer in dump["layers"]]
    Ws = [R(W) for W in masters]
    bs = [R(np.array(layer["b"], f32)) for layer in dump["layers"]]
    phi, dphi = PHI[cfg["activation"]]
    depth, residual = int(cfg["depth"]), cfg["residual"] == "on"
    hs, acts = [R(x)], []
    for i in range(depth + 1):
        z = R(hs[-1] @ Ws[i] + bs[i])
        if i == depth:
            hs.append(z)
            break
        a = R(phi(z).astype(f32))
        acts.append(a)
        hs.append(R(hs[-1] + a) if residual and 1 <= i < depth else a)
    yhat = hs[-1]
    l1, l2 = cfg["l1"], cfg["l2"]
    loss = float(np.mean((yhat.astype(float) - y) ** 2)) + sum(
        l1 * np.abs(W.astype(float)).sum() + 0.5 * l2 * (W.astype(float) ** 2).sum() for W in masters)
    gWs, gbs, deltas = [None] * (depth + 1), [None] * (depth + 1), [None] * (depth + 1)
    grad_h = None
    for i in reversed(range(depth + 1)):
        if i == depth:
            delta = R((yhat - y) * f32(2.0 / yhat.size) * f32(scale))
        else:
            delta = R(grad_h * dphi(acts[i]).astype(f32))
        deltas[i] = float(np.linalg.norm(delta.astype(float))) / scale
        penalty = (l1 * np.sign(masters[i]) + l2 * masters[i]) * scale
        gWs[i] = (R(hs[i].T @ delta) + penalty.astype(f32)) * f32(1.0 / scale)
        gbs[i] = R(delta.sum(axis=0)) * f32(1.0 / scale)
        if i > 0:
            back = delta @ Ws[i].T
            grad_h = R(back + grad_h if residual and 1 <= i < depth else back)
    norms = np.array([np.sqrt((gW.astype(float) ** 2).sum() + (gb.astype(float) ** 2).sum())
                      for gW, gb in zip(gWs, gbs)])
    return {
        "loss": loss,
        "grad_norms": norms,
        "delta_norms": np.array(deltas),
        "global_norm": float(np.sqrt((norms ** 2).sum())),
        "loss_scale": scale,
    }, gWs, gbs


PHI = {
    "linear": (lambda z: z, lambda a: np.ones_like(a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(float)),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda a: a * (1.0 - a)),
}


def reference_step(dump):
    cfg = dump["config"]
    x, y = np.array(dump["x"], float), np.array(dump["y"], float)
    # Every group: the depth + 1 weight layers, then with LayerNorm gamma_l, beta_l per hidden
    # layer (an empty W, the vector in b).
    Ws = [np.array(layer["W"], float).reshape(-1, len(layer["b"])) for layer in dump["layers"]]
    bs = [np.array(layer["b"], float) for layer in dump["layers"]]
    phi, dphi = PHI[cfg["activation"]]
    l1, l2 = cfg["l1"], cfg["l2"]
    depth = int(cfg["depth"])
    residual, layer_norm = cfg["residual"] == "on", cfg["layer-norm"] == "on"
    gammas = bs[depth + 1::2] if layer_norm else []
    betas = bs[depth + 2::2] if layer_norm else []

    # h_l = [h_{l-1} +] phi(LN(h_{l-1} W_l + b_l)); LayerNorm per row, biased variance, eps 1e-5.
    hs, acts, normed = [x], [], []
    for i in range(depth + 1):
        z = hs[-1] @ Ws[i] + bs[i]
        if i == depth:
            hs.append(z)
            break
        if layer_norm:
            inv = 1.0 / np.sqrt(z.var(axis=1, keepdims=True) + 1e-5)
            n = (z - z.mean(axis=1, keepdims=True)) * inv
            normed.append((n, inv))
            z = n * gammas[i] + betas[i]
        a = phi(z)
        acts.append(a)
        hs.append(hs[-1] + a if residual and 1 <= i < depth else a)
    yhat = hs[-1]
    weights = Ws[:depth + 1]
    loss = np.mean((yhat - y) ** 2) + sum(l1 * np.abs(W).sum() + 0.5 * l2 * (W * W).sum() for W in weights)

    def backward(error_clip=None):
        """Gradients of every group and the norm of the error at each layer; with error_clip c,
        each layer's error is clamped to [-c, c] on the way back (Graves 2013)."""
        gWs = [np.zeros_like(W) for W in Ws]
        gbs = [np.zeros_like(b) for b in bs]
        deltas = [None] * (depth + 1)
        grad_h = None  # dL/dh of the layer above
        for i in reversed(range(depth + 1)):
            if i == depth:
                delta = 2.0 * (yhat - y) / yhat.size
            else:
                gu = grad_h * dphi(acts[i])
                if layer_norm:
                    n, inv = normed[i]
                    gbs[depth + 1 + 2 * i] = (gu * n).sum(axis=0)
                    gbs[depth + 2 + 2 * i] = gu.sum(axis=0)
                    gn = gu * gammas[i]
                    delta = inv * (gn - gn.mean(axis=1, keepdims=True) - n * (gn * n).mean(axis=1, keepdims=True))
                else:
                    delta = gu
            if error_clip is not None:
                delta = np.clip(delta, -error_clip, error_clip)
            deltas[i] = np.linalg.norm(delta)
            gWs[i] = hs[i].T @ delta + l1 * np.sign(Ws[i]) + l2 * Ws[i]
            gbs[i] = delta.sum(axis=0)
            if i > 0:
                back = delta @ Ws[i].T
                grad_h = back + grad_h if residual and 1 <= i < depth else back
        return gWs, gbs, deltas

    gWs, gbs, deltas = backward()

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
    elif mode == "backward":  # the error clamped during backprop; the profile is the clamped one
        cW, cb, deltas = backward(c)
    else:
        cW, cb = gWs, gbs
    clipped_norms = np.array([np.sqrt((w ** 2).sum() + (b ** 2).sum()) for w, b in zip(cW, cb)])
    clipped_total = np.sqrt((clipped_norms ** 2).sum())
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gWs, gbs)])
    flat_c = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(cW, cb)])
    cosine = flat @ flat_c / (np.linalg.norm(flat) * np.linalg.norm(flat_c))
    scale = min(1.0, c / (total + 1e-6)) if mode == "global-norm" else clipped_total / total
    weight_norms = np.array([np.linalg.norm(W) for W in Ws])
    update_norms = np.array([np.linalg.norm(first_update(W, g, cfg)) for W, g in zip(Ws, cW)])
    update_ratios = np.array([u / w if w > 0 else 0.0 for u, w in zip(update_norms, weight_norms)])
    return {
        "loss": loss,
        "grad_norms": norms,
        "grad_norms_clipped": clipped_norms,
        "delta_norms": np.array(deltas),
        "weight_norms": weight_norms,
        "update_ratios": update_ratios,
        "update_norms": update_norms,
        "global_norm": total,
        "global_norm_clipped": clipped_total,
        "clip_scale": scale,
        "cos_pre_post": cosine,
    }, gWs, gbs


def first_update(W, g, cfg, decays=True):
    """The change torch.optim makes to a parameter W at its first step, from the clipped
    gradient g (every moment starts at zero, t = 1). `decays`: AdamW's decoupled decay applies
    (gradlab decays weights, not biases)."""
    lr, kind = cfg["lr"], cfg["optimizer"]
    if kind in ("sgd", "momentum"):  # SGD; momentum's buffer starts as b = g
        return -lr * g
    if kind == "nesterov":  # b = g; the step uses g + mu*b
        return -lr * (g + cfg["momentum"] * g)
    if kind == "rmsprop":  # v = (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)
        v = (1 - cfg["alpha"]) * g * g
        return -lr * g / (np.sqrt(v) + cfg["eps"])
    # Adam/AdamW: m = (1-b1) g, v = (1-b2) g^2, bias-corrected by (1-b1), sqrt(1-b2)
    b1, b2, eps = cfg["beta1"], cfg["beta2"], cfg["eps"]
    m, v = (1 - b1) * g, (1 - b2) * g * g
    step = -(lr / (1 - b1)) * m / (np.sqrt(v) / np.sqrt(1 - b2) + eps)
    if kind == "adamw" and decays:
        return step - lr * cfg["weight-decay"] * W
    return step


def softmax_ce(logits, classes):
    """Mean softmax cross-entropy over rows; classes are indices. Returns (loss, dlogits)."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    rows = np.arange(len(classes))
    loss = -np.mean(np.log(p[rows, classes]))
    grad = p.copy()
    grad[rows, classes] -= 1.0
    return loss, grad / len(classes)


def clip_groups(grads, mode, c):
    """The three clip rules over a list of tensors (one parameter group each)."""
    norms = np.array([np.linalg.norm(g) for g in grads])
    total = np.sqrt((norms ** 2).sum())
    if mode == "global-norm":  # torch.nn.utils.clip_grad_norm_
        clipped = [g * min(1.0, c / (total + 1e-6)) for g in grads]
    elif mode == "layer-norm":  # Keras clipnorm, per group (here: per tensor)
        clipped = [g * (c / max(n, c)) for g, n in zip(grads, norms)]
    elif mode == "value":  # torch.nn.utils.clip_grad_value_
        clipped = [np.clip(g, -c, c) for g in grads]
    else:
        clipped = list(grads)
    return norms, total, clipped


ALPHABET = " ,.abcdefghijklmnopqrstuvwxyz"
CORPUS = open(__file__.rsplit("/tests/", 1)[0] + "/crates/engine/src/corpus/washington-1790-1793.txt",
              encoding="utf-8").read().strip()


def check_language_batch(dump):
    """The language task's batch: every sequence is a window of the shipped text, one-hot, and
    its targets are the next characters."""
    x, y = np.array(dump["x"]), np.array(dump["y"], int)[:, :, 0]
    for seq, targets in zip(x, y):
        assert (seq.sum(axis=1) == 1).all(), "one-hot inputs"
        text = "".join(ALPHABET[i] for i in seq.argmax(axis=1))
        window = text + ALPHABET[targets[-1]]
        assert window in CORPUS, f"{window!r} is not in the text"
        assert "".join(ALPHABET[i] for i in targets[:-1]) == text[1:], "targets are next chars"


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def gated_loss(cfg, x, y_raw, params, nudge_h=None, nudge_c=None):
    """The loss of an LSTM (gates i, f, g, o) or GRU (gates r, z, n, reset applied before the
    product) over x [n, T, d], data term plus L1/L2; nudge_h[t] / nudge_c[t] are added to h_t /
    c_t as they are made (so the derivative by a nudge is the total dL/dh_t, dL/dc_t)."""
    Wx, Wh, b, Wo, bo = params
    n, T, _ = x.shape
    H = Wh.shape[0]
    phi = PHI[cfg["activation"]][0]
    h, c, hs = np.zeros((n, H)), np.zeros((n, H)), []
    for t in range(T):
        a = x[:, t] @ Wx + b
        if cfg["cell"] == "lstm":
            a = a + h @ Wh
            i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), phi(a[:, 2*H:3*H]), sig(a[:, 3*H:])
            c = f * c + i * g
            if nudge_c is not None:
                c = c + nudge_c[t]
            h = o * phi(c)
        else:
            r = sig(a[:, :H] + h @ Wh[:, :H])
            z = sig(a[:, H:2*H] + h @ Wh[:, H:2*H])
            cand = phi(a[:, 2*H:] + (r * h) @ Wh[:, 2*H:])
            h = (1.0 - z) * cand + z * h
        if nudge_h is not None:
            h = h + nudge_h[t]
        hs.append(h)
    last = cfg["readout"] == "last"
    read = [hs[-1]] if last else hs
    out = np.concatenate([hh @ Wo + bo for hh in read])
    if cfg["task"] in ("copy", "language"):
        classes = np.array(y_raw, int).reshape(-1) if last else \
            np.array(y_raw, int)[:, :, 0].T.reshape(-1)
        loss = softmax_ce(out, classes)[0]
    else:
        y = np.array(y_raw, float)
        target = y if last else np.concatenate([y[:, t] for t in range(T)])
        loss = np.mean((out - target) ** 2)
    return loss + sum(cfg["l1"] * np.abs(W).sum() + 0.5 * cfg["l2"] * (W * W).sum()
                      for W in (Wx, Wh, Wo))


def central_difference(f, shape, h=1e-6):
    """df/dv at v = 0 for a function of an array v of `shape`, entry by entry."""
    grad = np.zeros(shape)
    for idx in np.ndindex(*shape):
        up, down = np.zeros(shape), np.zeros(shape)
        up[idx], down[idx] = h, -h
        grad[idx] = (f(up) - f(down)) / (2 * h)
    return grad


def gated_gradients(cfg, x, y_raw, params):
    """Gradients of every group, ||dL/dh_t|| and (LSTM) ||dL/dc_t||, by central differences."""
    grads = []
    for k, P in enumerate(params):
        def moved(v, k=k):
            return gated_loss(cfg, x, y_raw, [p + v if j == k else p for j, p in enumerate(params)])
        grads.append(central_difference(moved, P.shape))
    n, T, _ = x.shape
    H = params[1].shape[0]
    dh = central_difference(lambda v: gated_loss(cfg, x, y_raw, params, nudge_h=v), (T, n, H))
    time_norms = np.array([np.linalg.norm(dh[t]) for t in range(T)])
    cell_norms = None
    if cfg["cell"] == "lstm":
        dc = central_difference(lambda v: gated_loss(cfg, x, y_raw, params, nudge_c=v), (T, n, H))
        cell_norms = np.array([np.linalg.norm(dc[t]) for t in range(T)])
    return grads, time_norms, cell_norms


def reference_rnn_step(dump):
    """An Elman RNN step: h_t = phi(x_t W_x + h_{t-1} W_h + b), BPTT (optionally truncated in
    blocks of k counted back from the last step), readout from the last or every state."""
    cfg = dump["config"]
    if cfg["task"] == "language":
        check_language_batch(dump)
    x = np.array(dump["x"], float)  # [n, T, d]
    groups = {g["name"]: np.array(g["value"], float) for g in dump["groups"]}
    Wx, Wh, b, Wo, bo = (groups[k] for k in ("W_x", "W_h", "b", "W_out", "b_out"))
    n, T, _ = x.shape
    phi, dphi = PHI[cfg["activation"]]
    l1, l2, k = cfg["l1"], cfg["l2"], int(cfg["bptt"])
    if cfg["cell"] != "vanilla":
        assert dump["gates"] == {"lstm": ["i", "f", "g", "o"], "gru": ["r", "z", "n"]}[cfg["cell"]]
        params = [Wx, Wh, b, Wo, bo]
        loss = gated_loss(cfg, x, dump["y"], params)
        grads, time_norms, cell_norms = gated_gradients(cfg, x, dump["y"], params)
        return summarise_rnn_step(cfg, params, loss, grads, time_norms, cell_norms)
    hs = [np.zeros((n, Wh.shape[0]))]
    for t in range(T):
        hs.append(phi(x[:, t] @ Wx + hs[-1] @ Wh + b))
    last = cfg["readout"] == "last"
    read = [hs[T]] if last else hs[1:]
    outs = [h @ Wo + bo for h in read]
    if cfg["task"] in ("copy", "language"):
        classes = np.array(dump["y"], int).reshape(-1) if last else \
            np.array(dump["y"], int)[:, :, 0].T.reshape(-1)
        loss, dz = softmax_ce(np.concatenate(outs), classes)
    else:
        y = np.array(dump["y"], float)
        target = [y] if last else [y[:, t] for t in range(T)]
        diff = np.concatenate(outs) - np.concatenate(target)
        loss, dz = np.mean(diff ** 2), 2.0 * diff / diff.size
    douts = np.split(dz, len(outs))
    weights = (Wx, Wh, Wo)
    loss += sum(l1 * np.abs(W).sum() + 0.5 * l2 * (W * W).sum() for W in weights)

    gWo = sum(h.T @ d for h, d in zip(read, douts)) + l1 * np.sign(Wo) + l2 * Wo
    gbo = sum(d.sum(axis=0) for d in douts)
    gWx, gWh, gb = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    carry = np.zeros_like(hs[0])
    time_norms = np.zeros(T)
    for t in range(T, 0, -1):
        g = carry + (douts[0] @ Wo.T if (last and t == T) else 0.0) + \
            (douts[t - 1] @ Wo.T if not last else 0.0)
        time_norms[t - 1] = np.linalg.norm(g)
        delta = g * dphi(hs[t])
        gWx += x[:, t - 1].T @ delta
        gWh += hs[t - 1].T @ delta
        gb += delta.sum(axis=0)
        cut = t == 1 or (k > 0 and (T - t + 1) % k == 0)
        carry = np.zeros_like(carry) if cut else delta @ Wh.T
    gWx += l1 * np.sign(Wx) + l2 * Wx
    gWh += l1 * np.sign(Wh) + l2 * Wh
    grads = [gWx, gWh, gb, gWo, gbo]
    return summarise_rnn_step(cfg, [Wx, Wh, b, Wo, bo], loss, grads, time_norms, None)


def summarise_rnn_step(cfg, params, loss, grads, time_norms, cell_norms):
    """The first JSON line of a recurrent run, from its loss, gradients and profile: clipping,
    the first update and (vanilla cell) W_h's spectrum."""
    Wx, Wh, b, Wo, bo = params
    norms, total, clipped = clip_groups(grads, cfg["clip-mode"], cfg["clip"])
    clipped_norms = np.array([np.linalg.norm(g) for g in clipped])
    clipped_total = np.sqrt((clipped_norms ** 2).sum())
    flat = np.concatenate([g.ravel() for g in grads])
    flat_c = np.concatenate([g.ravel() for g in clipped])
    # Weights only: a bias group has no weight matrix, so its norm and update ratio are 0.
    is_weight = [True, True, False, True, False]
    weight_norms = np.array([np.linalg.norm(v) if w else 0.0
                             for v, w in zip((Wx, Wh, b, Wo, bo), is_weight)])
    update_norms = np.array([np.linalg.norm(first_update(v, g, cfg)) if w else 0.0
                             for v, g, w in zip((Wx, Wh, b, Wo, bo), clipped, is_weight)])
    update_ratios = np.array([u / wn if w else 0.0
                              for u, wn, w in zip(update_norms, weight_norms, is_weight)])
    mode, c = cfg["clip-mode"], cfg["clip"]
    expected = {
        "loss": loss,
        "grad_norms": norms,
        "grad_norms_clipped": clipped_norms,
        "time_norms": time_norms,
        "weight_norms": weight_norms,
        "update_ratios": update_ratios,
        "update_norms": update_norms,
        "global_norm": total,
        "global_norm_clipped": clipped_total,
        "clip_scale": min(1.0, c / (total + 1e-6)) if mode == "global-norm" else clipped_total / total,
        "cos_pre_post": flat @ flat_c / (np.linalg.norm(flat) * np.linalg.norm(flat_c)),
    }
    if cfg["cell"] == "vanilla":
        expected["sigma_max"] = np.linalg.svd(Wh, compute_uv=False)[0]
        expected["spectral_radius"] = np.abs(np.linalg.eigvals(Wh)).max()
    else:
        expected["cell_norms"] = cell_norms if cfg["cell"] == "lstm" else []
    return expected, grads


def close(a, b, rel=2e-4, abs_=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + abs_))


def first_step(runner, args):
    """The runner's dump of step 0 and its first JSON line."""
    with tempfile.NamedTemporaryFile(suffix=".json") as dump_file:
        out = subprocess.run([runner, *args, "--steps", "1", "--dump-step0", dump_file.name],
                             check=True, capture_output=True, text=True).stdout
        dump = json.load(open(dump_file.name))
    return dump, json.loads(out.splitlines()[0])


def report(args, problems, expected, stats):
    """Prints one case's outcome; returns whether it passed."""
    name = " ".join(args)
    if not problems:
        print(f"ok   {name}")
        return True
    print(f"FAIL {name}: {', '.join(problems)}")
    for k in problems:
        if k in expected:
            print(f"  {k}: engine {stats[k]} vs numpy {expected[k]}")
    return False


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    runner = sys.argv[1]
    passed = failed = 0
    for args, rel in CASES + RNN_CASES:
        dump, stats = first_step(runner, args)
        # Raw gradients, tensor by tensor: relative error in the Frobenius norm.
        if "groups" in dump:
            expected, grads = reference_rnn_step(dump)
            pairs = [(f"grad {g['name']}", np.array(g["grad"], float), ref)
                     for g, ref in zip(dump["groups"], grads)]
        else:
            expected, gWs, gbs = reference_step(dump)
            pairs = [(f"{key}[{i}]", np.array(layer[key], float).reshape(ref.shape), ref)
                     for i, layer in enumerate(dump["layers"])
                     for key, ref in (("dW", gWs[i]), ("db", gbs[i]))]
        problems = [k for k, v in expected.items() if not close(stats.get(k, []), v, rel=rel)]
        for name, got, ref in pairs:
            if got.shape != ref.shape or np.linalg.norm(got - ref) > rel * np.linalg.norm(ref) + 1e-9:
                problems.append(name)
        if stats["clipped"] != (expected["global_norm_clipped"] < expected["global_norm"] * (1 - 1e-9)):
            problems.append("clipped")
        ok = report(args, problems, expected, stats)
        passed, failed = passed + ok, failed + (not ok)
    for args, rel in TRANSFORMER_CASES:
        dump, stats = first_step(runner, args)
        expected, grads = reference_transformer_step(dump)
        problems = [k for k, v in expected.items() if not close(stats.get(k, []), v, rel=rel)]
        for g, (ref_w, ref_b) in zip(dump["groups"], grads):
            for key, ref in (("dW", ref_w), ("db", ref_b)):
                got = np.array(g[key], float).reshape(ref.shape)
                if np.linalg.norm(got - ref) > rel * np.linalg.norm(ref) + 1e-9:
                    problems.append(f"{key} {g['name']}")
        ok = report(args, problems, expected, stats)
        passed, failed = passed + ok, failed + (not ok)
    for args, rel, flushes_first_layer in PRECISION_CASES:
        dump, stats = first_step(runner, args)
        expected, gWs, gbs = reference_reduced_step(dump)
        problems = [k for k, v in expected.items() if not close(stats.get(k, []), v, rel=rel, abs_=1e-12)]
        for i, layer in enumerate(dump["layers"]):
            for key, ref in (("dW", gWs[i]), ("db", gbs[i])):
                got = np.array(layer[key], float).reshape(ref.shape)
                if np.linalg.norm(got - ref) > rel * np.linalg.norm(ref) + 1e-12:
                    problems.append(f"{key}[{i}]")
                # A value the format flushed is exactly zero in both, never merely small.
                if not np.array_equal(got == 0, ref == 0) and rel <= 2e-4:
                    problems.append(f"{key}[{i}] zeros")
        if flushes_first_layer and (np.any(gWs[0] != 0) or np.any(np.array(dump["layers"][0]["dW"]) != 0)):
            problems.append("first layer not flushed")
        ok = report(args, problems, expected, stats)
        passed, failed = passed + ok, failed + (not ok)
    print(f"reference: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
