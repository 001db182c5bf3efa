#!/usr/bin/env python3
"""The --export-pytorch folder checked without torch (part of `make reference`): for every model
of check_pytorch.py and every clip mode, the files are there with the shapes config.json
states, run.py compiles, and the first step replayed from the folder's own weights and batch by
the independent NumPy reference (tests/reference/check_headless.py, written from the
equations) gives the loss and gradient norms gradlab.json logged.

usage: check_export.py RUNNER
"""

import json
import os
import py_compile
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, HERE)
from check_headless import close, reference_rnn_step, reference_step, reference_transformer_step  # noqa: E402
from check_pytorch import CLIPS, MODELS, OPTIMIZERS  # noqa: E402

# The reference takes a gated cell's gradient by central differences (one pair of forward passes
# per weight) and for the full BPTT: its cases are small and untruncated.
GATED_REPLAY = ["--hidden", "4", "--seq-len", "6", "--bptt", "0"]
FILES = ["run.py", "README.txt", "config.json", "gradlab.json", "data/x.npy", "data/y.npy"]


def as_dump(folder, config):
    """The folder's step 0 in the shape of the runner's --dump-step0 (which the reference reads)."""
    settings = config["settings"]
    tensors = {t["name"]: np.load(os.path.join(folder, t["file"])) for t in config["tensors"]}
    x = np.load(os.path.join(folder, "data/x.npy"))[0]
    y = np.load(os.path.join(folder, "data/y.npy"))[0]
    dump = {"config": settings, "loss": None}
    if config["model"] == "mlp":
        layers = []
        for g, name in enumerate(config["groups"]):
            parts = {t["part"]: tensors[t["name"]] for t in config["tensors"] if t["group"] == g}
            b = parts["b"]
            layers.append({"W": parts.get("W", np.zeros((0, len(b)))).tolist(), "b": b.tolist()})
        dump.update(x=x.tolist(), y=y.tolist(), layers=layers)
        return dump
    # The dump's sequences are [n][T][·]; the folder's batches are time-major [T, n, ·].
    dump["x"] = x.transpose(1, 0, 2).tolist()
    dump["y"] = (y if settings["readout"] == "last" else y.transpose(1, 0, 2)).tolist()
    if config["model"] == "transformer":
        dump["groups"] = []
        for g, name in enumerate(config["groups"]):
            parts = {t["part"]: tensors[t["name"]].tolist() for t in config["tensors"] if t["group"] == g}
            dump["groups"].append({"name": name, "W": parts.get("W", []), "b": parts.get("b", [])})
    else:
        dump["groups"] = [{"name": n, "value": tensors[n].tolist()} for n in config["groups"]]
        dump["gates"] = {"vanilla": [], "lstm": ["i", "f", "g", "o"], "gru": ["r", "z", "n"]}[settings["cell"]]
    return dump


def check(runner, flags, work):
    folder = tempfile.mkdtemp(dir=work)
    subprocess.run([runner, *flags, "--steps", "3", "--export-pytorch", folder], check=True,
                   capture_output=True, text=True)
    problems = [f"missing {f}" for f in FILES if not os.path.isfile(os.path.join(folder, f))]
    if problems:
        return problems
    config = json.load(open(os.path.join(folder, "config.json")))
    logged = json.load(open(os.path.join(folder, "gradlab.json")))["steps"]
    if config["format"] != "gradlab-pytorch/1" or len(logged) != config["steps"]:
        problems.append("format or step count")
    for t in config["tensors"]:
        a = np.load(os.path.join(folder, t["file"]))
        if a.dtype != np.float32 or list(a.shape) != t["shape"]:
            problems.append(f"{t['file']}: {a.dtype} {a.shape}")
    for name, key in (("x", "x_shape"), ("y", "y_shape")):
        a = np.load(os.path.join(folder, f"data/{name}.npy"))
        if list(a.shape) != config[key]:
            problems.append(f"data/{name}.npy: {a.shape} against {config[key]}")
    try:
        py_compile.compile(os.path.join(folder, "run.py"), doraise=True)
    except py_compile.PyCompileError as e:
        problems.append(f"run.py: {e}")
    dump = as_dump(folder, config)
    replay = {"mlp": reference_step, "rnn": reference_rnn_step, "transformer": reference_transformer_step}
    expected = replay[config["model"]](dump)[0]
    first = logged[0]
    for key in ("loss", "global_norm", "global_norm_clipped", "grad_norms"):
        if not close(first[key], expected[key], rel=2e-4):
            problems.append(f"{key}: gradlab {first[key]} vs numpy {expected[key]}")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    runner = sys.argv[1]
    optimizers = list(OPTIMIZERS)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for m, model in enumerate(MODELS):
            for c, clip in enumerate(CLIPS):
                opt = optimizers[(m + c) % len(optimizers)]
                flags = MODELS[model] + ["--optimizer", opt, *OPTIMIZERS[opt], "--clip-mode", clip]
                if "--cell" in flags:
                    flags += GATED_REPLAY
                problems = check(runner, flags, work)
                name = f"{model} {opt} {clip}"
                print(f"ok   {name}" if not problems else f"FAIL {name}: {'; '.join(problems)}")
                passed, failed = passed + (not problems), failed + bool(problems)
    print(f"export: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
