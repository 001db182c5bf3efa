# gradlab — two commands for a fresh machine: `make serve` and `make test`.
# Every tool is installed here when missing (quietly skipped when present); nothing is
# downloaded at build time except through crates.io, npm and Debian's apt.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true
export CHROMEDRIVER := /usr/bin/chromedriver

TRUNK_VERSION := 0.21.14
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/[^0-9.]/, ""); print}' Cargo.lock)
NUMPY_VERSION := 2.4.6
# The threaded worker build's toolchain: src/build/relaxed_worker.mjs names the same one.
NIGHTLY := $(shell sed -n "s/^export const NIGHTLY = '\(.*\)';/\1/p" src/build/relaxed_worker.mjs)
# The relaxed-SIMD build of the engine (browser tests, reference check; the worker's is made by
# src/build/relaxed_worker.mjs with the same flags).
RELAXED_FLAGS := -C target-feature=+simd128,+relaxed-simd
RELAXED := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(RELAXED_FLAGS)"
RELAXED_WASI := CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="$(RELAXED_FLAGS)"
# Trunk and wasm-bindgen-cli are built from source (no prebuilt binaries may be fetched here):
# without their TLS and update-check features (nothing is downloaded at build time anyway) and
# with a quick release profile — they process a few MB of wasm, their speed hardly shows, and
# this halves their build on a bare machine (README's build table).
TOOL_BUILD := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help serve dist soak test build tools tools-build tools-test lint unit reference web e2e bench check-pytorch clean

help:
	@echo "make serve   build and serve gradlab on http://127.0.0.1:8080/"
	@echo "make dist    build the page into dist/, ready for any static host (any sub-path)"
	@echo "make test    lint, native tests, reference check and browser tests"
	@echo "make bench   engine speed (native, in the worker, TF.js) and page figures, one table"
	@echo "make soak    a long browser soak: 10^6 steps per model, resets, lessons, downloads"
	@echo "make check-pytorch  every model/optimizer/clip exported and trained again in PyTorch"

# ---- tools -------------------------------------------------------------------------------

tools-build:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  && rustup target list --installed | grep -qx wasm32-wasip1 \
	  || rustup target add wasm32-unknown-unknown wasm32-wasip1
	@# The threaded worker build's toolchain (src/build/relaxed_worker.mjs): it rebuilds the
	@# standard library with atomics, which needs a pinned nightly and its source.
	@rustup run $(NIGHTLY) rustc --version >/dev/null 2>&1 \
	  && rustup component list --installed --toolchain $(NIGHTLY) | grep -q '^rust-src' \
	  || rustup toolchain install $(NIGHTLY) --profile minimal --component rust-src --target wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@grep -q 'wasm_bindgen = "$(WASM_BINDGEN_VERSION)"' Trunk.toml \
	  || { echo "Trunk.toml's wasm_bindgen must be $(WASM_BINDGEN_VERSION) (Cargo.lock)"; exit 1; }
	@trunk --version 2>/dev/null | grep -q '$(TRUNK_VERSION)' \
	  || $(TOOL_BUILD) cargo install --locked --no-default-features trunk@$(TRUNK_VERSION)
	@# Not --locked: wasm-bindgen-cli's own lock file names a webpki-roots the registry no longer has.
	@wasm-bindgen --version 2>/dev/null | grep -q '$(WASM_BINDGEN_VERSION)' \
	  || $(TOOL_BUILD) cargo install --no-default-features wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)
	@[ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] \
	  && [ -d node_modules/@tensorflow/tfjs-backend-wasm ] \
	  || npm ci --no-audit --no-fund --loglevel=error
	@cargo fetch --quiet

tools-test: tools-build
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || { $(SUDO) apt-get update -qq \
	       && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@python3 -c 'import numpy' 2>/dev/null \
	  || python3 -m pip install --quiet --disable-pip-version-check numpy==$(NUMPY_VERSION)

tools: tools-test

# ---- build and serve ---------------------------------------------------------------------

build: tools-build
	trunk build --release

# What to publish: dist/ is the whole app — relative paths, no dev code, its CSP in a <meta>
# tag (Trunk.toml, src/build/finish_html.mjs). Copy it to any static host, under any path.
dist: build

# Serves the same build, with the CSP also sent as a header (Trunk.toml's [serve.headers]) and
# no live-reload script.
serve: build
	@echo "gradlab: open http://127.0.0.1:8080/"
	trunk serve --release

# ---- tests -------------------------------------------------------------------------------
# Each compilation below earns its place: README's "Testing" section has the table of what each
# one alone catches and what it costs on a fresh clone. Native builds never compile a web crate
# (the page is built for wasm32 only).

# Crates checked natively (everything but the page) and for the browser (the page and the
# worker's glue, which exist only there).
NATIVE := --workspace --exclude gradlab
BROWSER := -p gradlab -p gradlab-worker

lint: tools-build
	cargo fmt --all --check
	cargo clippy $(NATIVE) --all-targets --quiet -- -D warnings
	cargo clippy --target wasm32-unknown-unknown $(BROWSER) --all-targets --quiet -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p gradlab-engine

# The engine, protocol, worker core, charts (SVG) and runner, with the engine's doc tests.
unit: tools-build
	cargo test $(NATIVE) --quiet

# The engine's first step, recomputed by an independent NumPy implementation: on the native
# runner (the dev build `make unit` made), then on the runner built for WebAssembly with relaxed
# SIMD — the engine build Chromium runs — under WASI in Node's V8 (tests/reference/headless-wasm).
# Only engine crates are compiled for wasm32-wasip1. Last, the "Reproduce in PyTorch" folder
# (--export-pytorch) replayed by the same NumPy reference, without torch (tests/pytorch/).
WASI_RUNNER := target/relaxed-simd/wasm32-wasip1/debug/gradlab-cli.wasm
reference: tools-test
	cargo build --quiet -p gradlab-cli
	python3 tests/reference/check_headless.py target/debug/gradlab-cli
	python3 tests/pytorch/check_export.py target/debug/gradlab-cli
	$(RELAXED_WASI) cargo build --quiet -p gradlab-cli --target wasm32-wasip1 --target-dir target/relaxed-simd
	GRADLAB_WASM=$(WASI_RUNNER) python3 tests/reference/check_headless.py tests/reference/headless-wasm

# Inside headless Chromium (wasm-bindgen-test): the page's unit tests and components, the engine's kernel,
# trainer and gradient checks (f64 exact, f32 against f64) in the simd128 build; then the
# engine's tests alone again with relaxed SIMD (its own target dir, as its worker has): the
# components do not change with the engine's target features.
ENGINE_WEB_TESTS := --test gemm --test trainer --test gradient_check --test rnn_gradient_check

web: tools-test
	cargo test --target wasm32-unknown-unknown -p gradlab --lib --test web
	cargo test --target wasm32-unknown-unknown -p gradlab-engine $(ENGINE_WEB_TESTS)
	$(RELAXED) cargo test --target wasm32-unknown-unknown --target-dir target/relaxed-simd -p gradlab-engine $(ENGINE_WEB_TESTS)

e2e: dist tools-test
	node --test tests/e2e/

# Stage by stage, each timed, so every CI log shows what each stage cost (README's build table
# has the expected times).
TEST_STAGES := tools lint unit reference web e2e
test:
	@start=$$SECONDS; report=; \
	for stage in $(TEST_STAGES); do \
	  echo "::: make $$stage"; t0=$$SECONDS; \
	  $(MAKE) --no-print-directory $$stage; \
	  report="$$report$$(printf '\n  %-10s %5d s' $$stage $$((SECONDS - t0)))"; \
	done; \
	printf '::: make test, time per stage:%s\n  %-10s %5d s\n' "$$report" total $$((SECONDS - start))

# Native and in-browser figures, one table (see BENCHMARKS.md). Not part of `make test`:
# its memory run takes ten minutes (BENCH_LONG_SECONDS shortens it).
bench: build tools-test
	node tests/bench/bench.mjs

# Ten minutes of classroom abuse in one page (see BENCHMARKS.md); not part of `make test`.
# SOAK_STEPS shortens it.
soak: dist tools-test
	node tests/bench/soak.mjs

# "Reproduce in PyTorch", checked in PyTorch itself: every model, optimizer and clip mode exported
# with --export-pytorch and trained again by its run.py (tests/pytorch/check_pytorch.py). Not part
# of `make test`: torch is large (~5 GB with its CUDA wheels, from PyPI), so it lives in a virtual
# environment of its own under target/, installed here when missing.
TORCH_VERSION := 2.15.0
TORCH_VENV := target/torch-venv
check-pytorch: tools-build
	@$(TORCH_VENV)/bin/python -c 'import torch, numpy' 2>/dev/null \
	  || { python3 -m venv $(TORCH_VENV) \
	       && $(TORCH_VENV)/bin/pip install --quiet --disable-pip-version-check \
	            torch==$(TORCH_VERSION) numpy==$(NUMPY_VERSION); }
	cargo build --quiet -p gradlab-cli
	$(TORCH_VENV)/bin/python tests/pytorch/check_pytorch.py target/debug/gradlab-cli

clean:
	cargo clean
	rm -rf dist test-artifacts
