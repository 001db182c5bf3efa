#!/usr/bin/env python3
"""Trains a gradlab run again in PyTorch and compares every step with gradlab's numbers.

    python run.py            # float64
    python run.py --float32  # float32, as gradlab computes

Everything comes from this folder: config.json (the settings, under gradlab's link keys),
init/*.npy (the initial weights, gradlab's row-vector shapes: y = x·W + b, so a
torch.nn.Linear's weight is W transposed), data/x.npy and data/y.npy (step s's batch at index
s) and gradlab.json (gradlab's numbers). README.txt says where PyTorch and gradlab differ and
how this script bridges it. The last line printed is the largest relative difference of the
loss and the global gradient norm over every step, and whether it is within the tolerance;
the exit status is 0 when it is.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

ACTIVATIONS = {
    "linear": lambda z: z,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


def load(path):
    return np.load(os.path.join(HERE, path))


def clamping(z, error_clip):
    """z itself; with backward clipping (clip-mode=backward, no torch.nn.utils counterpart) the
    gradient that flows back into z is clamped to [-c, c] first, as gradlab clamps each error
    at a pre-activation (Graves 2013)."""
    if error_clip is not None and z.requires_grad:
        z.register_hook(lambda g: g.clamp(-error_clip, error_clip))
    return z


def set_param(param, array, dtype):
    with torch.no_grad():
        param.copy_(torch.as_tensor(array, dtype=dtype))


class Mlp(nn.Module):
    """gradlab's MLP: z_l = h_{l-1}·W_l + b_l, h_l = [h_{l-1} +] φ(LN(z_l)) for the hidden layers
    (the residual connection on hidden-to-hidden layers only), and a linear output."""

    def __init__(self, settings, tensors, dtype, error_clip):
        super().__init__()
        self.depth = int(settings["depth"])
        self.residual = settings["residual"] == "on"
        self.layer_norm = settings["layer-norm"] == "on"
        self.phi = ACTIVATIONS[settings["activation"]]
        self.error_clip = error_clip
        self.linears = nn.ModuleList()
        for l in range(1, self.depth + 2):
            W, b = tensors[f"layer{l}.W"], tensors[f"layer{l}.b"]
            linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
            set_param(linear.weight, W.T, dtype)
            set_param(linear.bias, b, dtype)
            self.linears.append(linear)
        self.norms = nn.ModuleList()
        if self.layer_norm:
            for l in range(1, self.depth + 1):
                gamma, beta = tensors[f"ln{l}.gamma"], tensors[f"ln{l}.beta"]
                norm = nn.LayerNorm(gamma.shape[0], eps=1e-5, dtype=dtype)
                set_param(norm.weight, gamma, dtype)
                set_param(norm.bias, beta, dtype)
                self.norms.append(norm)

    def forward(self, x):
        h = x
        for i, linear in enumerate(self.linears):
            z = clamping(linear(h), self.error_clip)
            if i == self.depth:
                return z
            a = self.phi(self.norms[i](z) if self.layer_norm else z)
            h = h + a if self.residual and i >= 1 else a

    def groups(self):
        """gradlab's parameter groups, in its order: each layer's W and b together, then each
        LayerNorm's gain and bias as groups of their own."""
        layers = [[linear.weight, linear.bias] for linear in self.linears]
        norms = [[p] for norm in self.norms for p in (norm.weight, norm.bias)]
        return layers + norms

    def weights(self):
        """The tensors L1/L2 (and AdamW's decay) apply to: the weight matrices."""
        return [linear.weight for linear in self.linears]


class WrittenCell(nn.Module):
    """gradlab's recurrent cell in torch operations, its parameters in gradlab's layout:
    W_x [d, G·H], W_h [H, G·H], b [G·H], the gates side by side (LSTM i f g o, GRU r z n).
    Used where no torch cell computes the same thing: the GRU (gradlab applies the reset gate
    before the product, Keras' reset_after=False; torch.nn.GRU after it), an activation torch's
    cells lack, and backward clipping (which needs the pre-activations)."""

    def __init__(self, cell, activation, W_x, W_h, b, dtype, error_clip):
        super().__init__()
        self.cell, self.phi, self.error_clip = cell, ACTIVATIONS[activation], error_clip
        self.hidden = W_h.shape[0]
        self.W_x = nn.Parameter(torch.as_tensor(W_x, dtype=dtype).clone())
        self.W_h = nn.Parameter(torch.as_tensor(W_h, dtype=dtype).clone())
        self.b = nn.Parameter(torch.as_tensor(b, dtype=dtype).clone())

    def forward(self, x_t, state):
        h, c = state
        H, clip = self.hidden, self.error_clip
        a = x_t @ self.W_x + self.b
        if self.cell == "vanilla":
            h = self.phi(clamping(a + h @ self.W_h, clip))
            return h, (h, c)
        if self.cell == "lstm":
            pre = clamping(a + h @ self.W_h, clip)
            i, f, g, o = pre.split(H, dim=1)
            i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), self.phi(g)
            c = f * c + i * g
            h = o * self.phi(c)
            return h, (h, c)
        # GRU: r, z = σ(a_rz + h·W_h[:, rz]); n = φ(a_n + (r⊙h)·W_h[:, n]); h = (1−z)⊙n + z⊙h.
        rz = torch.sigmoid(clamping(a[:, : 2 * H] + h @ self.W_h[:, : 2 * H], clip))
        r, z = rz.split(H, dim=1)
        n = self.phi(clamping(a[:, 2 * H:] + (r * h) @ self.W_h[:, 2 * H:], clip))
        h = (1 - z) * n + z * h
        return h, (h, c)

    def groups(self):
        return [[self.W_x], [self.W_h], [self.b]]


class TorchCell(nn.Module):
    """torch.nn.RNNCell (tanh or relu) or torch.nn.LSTMCell (tanh, gates i f g o as gradlab's):
    weight_ih = W_xᵀ, weight_hh = W_hᵀ, bias_ih = b; torch's second bias, bias_hh, stays zero
    and frozen (gradlab's cell has one bias)."""

    def __init__(self, cell, activation, W_x, W_h, b, dtype):
        super().__init__()
        d, H = W_x.shape[0], W_h.shape[0]
        if cell == "lstm":
            self.inner = nn.LSTMCell(d, H, dtype=dtype)
        else:
            self.inner = nn.RNNCell(d, H, nonlinearity=activation, dtype=dtype)
        self.lstm = cell == "lstm"
        set_param(self.inner.weight_ih, W_x.T, dtype)
        set_param(self.inner.weight_hh, W_h.T, dtype)
        set_param(self.inner.bias_ih, b, dtype)
        set_param(self.inner.bias_hh, np.zeros_like(b), dtype)
        self.inner.bias_hh.requires_grad_(False)

    def forward(self, x_t, state):
        h, c = state
        if self.lstm:
            h, c = self.inner(x_t, (h, c))
        else:
            h = self.inner(x_t, h)
        return h, (h, c)

    def groups(self):
        return [[self.inner.weight_ih], [self.inner.weight_hh], [self.inner.bias_ih]]


class Rnn(nn.Module):
    """gradlab's RNN over time-major x [T, n, d]: h_0 = 0 (and c_0 = 0), the cell at each step,
    the readout ŷ = h·W_out + b_out from the last state or every state. Truncated BPTT with k
    cuts the error into blocks of k steps counted back from the last (the state is detached
    where a block starts, as gradlab's truncation does)."""

    def __init__(self, settings, tensors, dtype, error_clip):
        super().__init__()
        W_x, W_h, b = tensors["W_x"], tensors["W_h"], tensors["b"]
        cell, activation = settings["cell"], settings["activation"]
        torch_has_it = (cell == "vanilla" and activation in ("tanh", "relu")) or (
            cell == "lstm" and activation == "tanh"
        )
        if torch_has_it and error_clip is None:
            self.cell = TorchCell(cell, activation, W_x, W_h, b, dtype)
        else:
            self.cell = WrittenCell(cell, activation, W_x, W_h, b, dtype, error_clip)
        self.hidden = W_h.shape[0]
        self.truncation = int(settings["bptt"])
        self.last = settings["readout"] == "last"
        W_out, b_out = tensors["W_out"], tensors["b_out"]
        self.readout = nn.Linear(W_out.shape[0], W_out.shape[1], dtype=dtype)
        set_param(self.readout.weight, W_out.T, dtype)
        set_param(self.readout.bias, b_out, dtype)

    def forward(self, x):
        T, n, _ = x.shape
        zeros = x.new_zeros((n, self.hidden))
        state, k, outputs = (zeros, zeros), self.truncation, []
        for t in range(T):
            if k > 0 and t > 0 and (T - t) % k == 0:
                state = tuple(s.detach() for s in state)
            h, state = self.cell(x[t], state)
            if not self.last:
                outputs.append(self.readout(h))
        return self.readout(h) if self.last else torch.stack(outputs)

    def groups(self):
        """gradlab's five groups, one tensor each: W_x, W_h, b, W_out, b_out."""
        return self.cell.groups() + [[self.readout.weight], [self.readout.bias]]

    def weights(self):
        groups = self.groups()
        return [groups[0][0], groups[1][0], groups[3][0]]


class Transformer(nn.Module):
    """gradlab's decoder-only Transformer (transformer.rs's module docs) over time-major
    x [T, n, V]: x_0 = x·W_embed + P, then per block causal multi-head self-attention (q, k, v
    side by side in W_qkv's columns, head j in columns j·d_h..(j+1)·d_h of each; scores scaled
    by 1/√d_h) and a GELU MLP (exact GELU, torch's default), placed as `norm` says — pre:
    x + f(LN(x)) and a final LayerNorm; post: LN(x + f(x)); none — and the readout of every
    position or of the last. Weights keep gradlab's row-vector shapes (y = x·W + b, no
    transposes); a LayerNorm's group is one vector, γ then β (ε = 1e-5, torch's default)."""

    def __init__(self, settings, tensors, dtype, error_clip):
        super().__init__()
        self.layers, self.heads = int(settings["layers"]), int(settings["heads"])
        self.norm, self.last = settings["norm"], settings["readout"] == "last"
        self.error_clip = error_clip
        block = ["attn.qkv", "attn.out", "ln1", "mlp.in", "mlp.out", "ln2"]
        if self.norm == "none":
            block = [part for part in block if not part.startswith("ln")]
        names = ["embed", "pos"] + [f"L{l}.{part}" for l in range(self.layers) for part in block]
        names += (["ln_f"] if self.norm == "pre" else []) + ["readout"]
        # A group with a weight and a vector was saved as name.W and name.b; one with either
        # alone (embed, pos, a LayerNorm) under its name.
        self.parts = {
            name: [nn.Parameter(torch.as_tensor(tensors[key], dtype=dtype))
                   for key in ([f"{name}.W", f"{name}.b"] if f"{name}.W" in tensors else [name])]
            for name in names
        }
        self.store = nn.ParameterList([p for parts in self.parts.values() for p in parts])
        self.matrices = [parts[0] for parts in self.parts.values() if parts[0].dim() == 2]

    def linear(self, a, name):
        W, b = self.parts[name]
        return a @ W + b

    def layer_norm(self, z, name):
        (gain_bias,) = self.parts[name]
        d = z.shape[-1]
        return nn.functional.layer_norm(z, (d,), gain_bias[:d], gain_bias[d:], eps=1e-5)

    def attend(self, a, l):
        n, T, d = a.shape
        dh = d // self.heads
        qkv = self.linear(a, f"L{l}.attn.qkv")
        q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(n, T, self.heads, dh).transpose(1, 2)
                   for i in range(3))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        later = torch.ones(T, T, dtype=torch.bool).triu(1)
        p = scores.masked_fill(later, float("-inf")).softmax(-1)
        return self.linear((p @ v).transpose(1, 2).reshape(n, T, d), f"L{l}.attn.out")

    def mlp(self, m, l):
        return self.linear(nn.functional.gelu(self.linear(m, f"L{l}.mlp.in")), f"L{l}.mlp.out")

    def forward(self, x):
        x = x.transpose(0, 1)  # [n, T, V]: sequences first
        (embed,), (pos,) = self.parts["embed"], self.parts["pos"]
        # Backward clipping clamps the error on the residual stream at every block boundary.
        h = clamping(x @ embed + pos, self.error_clip)
        for l in range(self.layers):
            if self.norm == "pre":
                mid = h + self.attend(self.layer_norm(h, f"L{l}.ln1"), l)
                h = mid + self.mlp(self.layer_norm(mid, f"L{l}.ln2"), l)
            elif self.norm == "post":
                mid = self.layer_norm(h + self.attend(h, l), f"L{l}.ln1")
                h = self.layer_norm(mid + self.mlp(mid, l), f"L{l}.ln2")
            else:
                mid = h + self.attend(h, l)
                h = mid + self.mlp(mid, l)
            h = clamping(h, self.error_clip)
        if self.norm == "pre":
            h = self.layer_norm(h, "ln_f")
        if self.last:
            return self.linear(h[:, -1], "readout")
        return self.linear(h, "readout").transpose(0, 1)  # time-major [T, n, ·], as y

    def groups(self):
        """gradlab's groups, in its order: embed, pos, each block's, ln_f, readout."""
        return list(self.parts.values())

    def weights(self):
        """The matrices (embed and pos too); not the biases, not the LayerNorms' vectors."""
        return self.matrices


def schedule_factor(settings, t):
    """The factor of the learning rate at 0-based step t (gradlab's schedule.rs; LambdaLR)."""
    kind = settings["schedule"]
    warmup = max(1, int(settings["warmup-steps"]))
    ramp = min(1.0, t / warmup)
    if kind == "constant":
        return 1.0
    if kind == "warmup" or t < warmup:
        return ramp
    progress = min(1.0, (t - warmup) / max(1, int(settings["decay-steps"])))
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))


def optimizer_for(settings, weights, others):
    kind, lr = settings["optimizer"], settings["lr"]
    params = weights + others
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=settings["momentum"], nesterov=kind == "nesterov")
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=settings["alpha"], eps=settings["eps"])
    betas = (settings["beta1"], settings["beta2"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=settings["eps"])
    if kind == "adamw":
        # gradlab decays weight matrices only: biases and LayerNorm gains get weight_decay=0.
        return torch.optim.AdamW(
            [{"params": weights}, {"params": others, "weight_decay": 0.0}],
            lr=lr, betas=betas, eps=settings["eps"], weight_decay=settings["weight-decay"],
        )
    raise SystemExit(f"run.py: unknown optimizer {kind!r}")


def global_norm(params):
    return math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in params))


def clip(settings, groups, params):
    mode, c = settings["clip-mode"], settings["clip"]
    if mode == "global-norm":
        torch.nn.utils.clip_grad_norm_(params, c)
    elif mode == "value":
        torch.nn.utils.clip_grad_value_(params, c)
    elif mode == "layer-norm":
        # Keras' clipnorm rule per gradlab group: g·c / max(‖g‖, c).
        for group in groups:
            factor = c / max(global_norm(group), c)
            for p in group:
                p.grad.mul_(factor)
    # "none"; "backward" clamped the errors during the backward pass (hooks).


def relative(a, b):
    if a is None or b is None:
        return math.inf
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def train(config, logged, dtype):
    """Trains the folder's steps in `dtype`; per step the loss, the global gradient norm before
    clipping (None under backward clipping, whose hooks leave only the clamped gradient) and
    after it."""
    settings = config["settings"]
    tensors = {t["name"]: load(t["file"]) for t in config["tensors"]}
    for t in config["tensors"]:
        assert list(tensors[t["name"]].shape) == t["shape"], f"{t['file']}: shape"
    xs, ys = load("data/x.npy"), load("data/y.npy")
    backward = settings["clip-mode"] == "backward"
    error_clip = settings["clip"] if backward else None
    model = MODELS[config["model"]](settings, tensors, dtype, error_clip)
    groups = model.groups()
    params = [p for group in groups for p in group]
    weights = model.weights()
    others = [p for p in params if all(p is not w for w in weights)]
    optimizer = optimizer_for(settings, weights, others)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: schedule_factor(settings, t))
    l1, l2 = settings["l1"], settings["l2"]
    measured = []
    for s, row in enumerate(logged):
        x = torch.as_tensor(xs[s], dtype=dtype)
        y = torch.as_tensor(ys[s], dtype=dtype)
        optimizer.zero_grad(set_to_none=False)
        prediction = model(x)
        if config["loss"] == "cross-entropy":
            loss = nn.functional.cross_entropy(
                prediction.reshape(-1, prediction.shape[-1]), y.reshape(-1).long())
        else:
            loss = nn.functional.mse_loss(prediction, y)
        if l1 or l2:
            loss = loss + sum(l1 * w.abs().sum() + 0.5 * l2 * (w * w).sum() for w in weights)
        loss.backward()
        before = None if backward else global_norm(params)
        after = None
        if not row["skipped"]:  # gradlab's loss scaler skipped this update (inf/NaN)
            clip(settings, groups, params)
            after = global_norm(params)
            optimizer.step()
        scheduler.step()
        measured.append((loss.item(), before, after))
    return measured


MODELS = {"mlp": Mlp, "rnn": Rnn, "transformer": Transformer}


# A step's numbers may differ from gradlab's by TOLERANCE, or by SPREAD times what float32
# rounding alone moves them in this run (torch in float32 against torch in float64): where a run
# amplifies rounding (RMSProp's and Adam's first steps on tiny gradients, a ReLU that flips), no
# float32 implementation repeats another's digits, but a real difference shows from the start.
# Once float32 alone moves a step by more than CHAOTIC, the run has forgotten its rounding's
# history: the steps from there on are printed, not held.
SPREAD = 10.0
CHAOTIC = 0.01


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--float32", action="store_true", help="compute in float32 (default float64)")
    args = parser.parse_args()
    config = json.load(open(os.path.join(HERE, "config.json")))
    logged = json.load(open(os.path.join(HERE, "gradlab.json")))["steps"]
    for notice in config["notices"]:
        print(f"note: {notice['text']}")
    wide = train(config, logged, torch.float64)
    narrow = train(config, logged, torch.float32)
    shown = narrow if args.float32 else wide
    tolerance = config["tolerance"]

    worst, worst_at, failures, chaotic_from = 0.0, None, 0, None
    print(f"{'step':>5} {'loss gradlab':>14} {'loss torch':>14} {'|g| gradlab':>14} {'|g| torch':>14}"
          f" {'clipped gradlab':>15} {'clipped torch':>14} {'rel. diff':>10} {'allowed':>9}")
    for s, row in enumerate(logged):
        ours = (row["loss"], row["global_norm"], row["global_norm_clipped"])
        pairs = [(a, b) for a, b in zip(ours, shown[s]) if b is not None]
        diff = max(relative(a, b) for a, b in pairs)
        spread = max(relative(a, b) for a, b in zip(wide[s], narrow[s]) if a is not None)
        allowed = max(tolerance, SPREAD * spread)
        if chaotic_from is None and spread > CHAOTIC:
            chaotic_from = s
        held = chaotic_from is None
        failures += held and diff > allowed
        if held and diff > worst:
            worst, worst_at = diff, s
        cells = [f"{v:>14.8g}" if v is not None else f"{'-':>14}" for v in shown[s]]
        print(f"{s:>5} {ours[0]:>14.8g} {cells[0]} {ours[1]:>14.8g} {cells[1]} {ours[2]:>15.8g} {cells[2]}"
              f" {diff:>10.2e} {allowed:>9.1e}" + ("  skipped" if row["skipped"] else "")
              + ("" if held else "  not held") + ("  OUTSIDE" if held and diff > allowed else ""))

    unheld = [n["text"].split(":")[0] for n in config["notices"] if not n["held"]]
    where = f" (step {worst_at})" if worst_at is not None else ""
    held_steps = len(logged) if chaotic_from is None else chaotic_from
    summary = (f"largest relative difference {worst:.2e}{where} over {held_steps} steps "
               f"(loss and global gradient norm, {'float32' if args.float32 else 'float64'})")
    if chaotic_from is not None:
        summary += (f"; from step {chaotic_from} float32 rounding alone moves this run by more than"
                    f" {CHAOTIC:.0%}, so later steps are shown, not held")
    if unheld:
        print(f"{summary}: not held to the tolerance, {', '.join(unheld)} (README.txt)")
        return 0
    if failures == 0:
        print(f"{summary}: within the tolerance ({tolerance:g}, or {SPREAD:g}x float32's own spread)")
        return 0
    print(f"{summary}: {failures} step(s) OUTSIDE the tolerance ({tolerance:g}, or {SPREAD:g}x float32's own spread)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
