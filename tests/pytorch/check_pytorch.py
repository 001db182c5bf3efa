#!/usr/bin/env python3
"""Every model, optimizer and clip mode exported with --export-pytorch and trained again by its
own run.py in PyTorch (`make check-pytorch`; torch lives in a virtual environment of its own).

Each folder's run.py runs in this process (torch is imported once) with its own argv; a case
passes when run.py's exit status is 0: every step's loss and global gradient norm within the
tolerance config.json states, or — for a setting whose notice says it is not held to it
(reduced precision) — a finished run. The last line counts them.

usage: check_pytorch.py RUNNER
"""

import contextlib
import io
import itertools
import os
import runpy
import subprocess
import sys
import tempfile

# Each model's flags: every cell, readout and loss, the MLP's residual/LayerNorm, truncation,
# penalties and every schedule.
MODELS = {
    "mlp": ["--depth", "8", "--activation", "tanh", "--weight-scale", "1.2"],
    "mlp-residual-ln": ["--depth", "6", "--activation", "relu", "--residual", "on",
                        "--layer-norm", "on", "--dataset", "spiral", "--l2", "0.001"],
    "mlp-l1-warmup": ["--depth", "4", "--activation", "sigmoid", "--l1", "0.0005",
                      "--schedule", "warmup-cosine", "--warmup-steps", "5", "--decay-steps", "10"],
    "rnn-tanh-adding": ["--model", "rnn", "--task", "adding", "--seq-len", "20",
                        "--recurrent-scale", "1.2"],
    "rnn-relu-copy-bptt": ["--model", "rnn", "--task", "copy", "--seq-len", "12",
                           "--activation", "relu", "--readout", "all", "--bptt", "4",
                           "--recurrent-init", "identity", "--recurrent-scale", "0.9"],
    "rnn-sigmoid-series": ["--model", "rnn", "--task", "series", "--seq-len", "15",
                           "--activation", "sigmoid", "--readout", "all", "--l2", "0.001"],
    "lstm-language": ["--model", "rnn", "--cell", "lstm", "--task", "language", "--seq-len", "16",
                      "--readout", "all", "--hidden", "24", "--schedule", "warmup",
                      "--warmup-steps", "4", "--clip", "0.2"],
    "gru-adding-bptt": ["--model", "rnn", "--cell", "gru", "--task", "adding", "--seq-len", "18",
                        "--bptt", "5", "--recurrent-init", "orthogonal", "--l1", "0.0002"],
    # The Transformer in each LayerNorm placement: the language model and the copy task on every
    # position, the adding task on the last.
    "transformer-pre-language": ["--model", "transformer", "--task", "language", "--readout", "all",
                                 "--layers", "2", "--d-model", "16", "--heads", "2",
                                 "--context", "10", "--batch", "3", "--norm", "pre"],
    "transformer-post-copy": ["--model", "transformer", "--task", "copy", "--readout", "all",
                              "--layers", "2", "--d-model", "16", "--heads", "4", "--context", "12",
                              "--batch", "2", "--norm", "post", "--schedule", "warmup",
                              "--warmup-steps", "4", "--l2", "0.001"],
    "transformer-none-adding": ["--model", "transformer", "--task", "adding", "--readout", "last",
                                "--layers", "2", "--d-model", "24", "--heads", "3", "--context", "8",
                                "--batch", "4", "--norm", "none", "--weight-scale", "0.8"],
}
# Each rule at a learning rate of its usual range: the adaptive rules' steps are ~lr per element
# whatever the gradient, so at SGD's 0.03 they throw these small nets into chaos in two steps.
OPTIMIZERS = {"sgd": [], "momentum": [], "nesterov": [], "rmsprop": ["--lr", "0.003"],
              "adam": ["--lr", "0.003"], "adamw": ["--lr", "0.003"]}
CLIPS = ["none", "global-norm", "layer-norm", "value", "backward"]
# Settings whose numbers run.py reproduces another way or not at all: float32 in torch, a
# dynamic loss scale (no scaling in run.py; skipped steps skipped), f16 (not held).
EXTRA = [
    ("mlp", ["--optimizer", "adam", "--lr", "0.003", "--clip-mode", "global-norm"], ["--float32"]),
    ("lstm-language", ["--optimizer", "adam", "--lr", "0.003", "--clip-mode", "global-norm"],
     ["--float32"]),
    ("mlp", ["--loss-scale", "dynamic", "--optimizer", "adam", "--lr", "0.003"], []),
    ("mlp", ["--precision", "f16", "--loss-scale", "dynamic"], []),
    ("transformer-pre-language", ["--optimizer", "adam", "--lr", "0.003", "--clip-mode", "global-norm"],
     ["--float32"]),
    ("transformer-post-copy", ["--precision", "bf16", "--optimizer", "adam", "--lr", "0.003"], []),
]


def run_case(runner, name, flags, run_args, work):
    folder = os.path.join(work, name)
    subprocess.run([runner, *flags, "--export-pytorch", folder], check=True,
                   capture_output=True, text=True)
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [os.path.join(folder, "run.py"), *run_args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                runpy.run_path(sys.argv[0], run_name="__main__")
                status = 0
            except SystemExit as e:
                status = e.code or 0
    finally:
        sys.argv = argv
    last = out.getvalue().strip().splitlines()[-1]
    return status == 0, last


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    runner = sys.argv[1]
    cases = [(f"{model}-{opt}-{clip}",
              MODELS[model] + ["--optimizer", opt, *OPTIMIZERS[opt], "--clip-mode", clip], [])
             for model, opt, clip in itertools.product(MODELS, OPTIMIZERS, CLIPS)]
    cases += [(f"{model} {' '.join(flags)}", MODELS[model] + flags, args)
              for model, flags, args in EXTRA]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name, flags, run_args in cases:
            ok, last = run_case(runner, name, flags, run_args, work)
            print(f"{'ok  ' if ok else 'FAIL'} {name} {' '.join(run_args)}: {last}", flush=True)
            passed, failed = passed + ok, failed + (not ok)
    print(f"check-pytorch: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
