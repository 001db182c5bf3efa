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
# The relaxed-SIMD build of the engine (browser tests, reference check; the worker's is made by
# src/build/relaxed_worker.mjs with the same flags).
RELAXED_FLAGS := -C target-feature=+simd128,+relaxed-simd
RELAXED := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(RELAXED_FLAGS)"
RELAXED_WASI := CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="$(RELAXED_FLAGS)"
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help serve dist soak test build tools tools-build tools-test lint unit reference web e2e bench clean

help:
	@echo "make serve   build and serve gradlab on http://127.0.0.1:8080/"
	@echo "make dist    build the page into dist/, ready for any static host (any sub-path)"
	@echo "make test    lint, native tests, reference check and browser tests"
	@echo "make bench   engine speed (native, in the worker, TF.js) and page figures, one table"
	@echo "make soak    a long browser soak: 10^6 steps per model, resets, lessons, downloads"

# ---- tools -------------------------------------------------------------------------------

tools-build:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@trunk --version 2>/dev/null | grep -q '$(TRUNK_VERSION)' \
	  || cargo install --locked trunk@$(TRUNK_VERSION)
	@grep -q 'wasm_bindgen = "$(WASM_BINDGEN_VERSION)"' Trunk.toml \
	  || { echo "Trunk.toml's wasm_bindgen must be $(WASM_BINDGEN_VERSION) (Cargo.lock)"; exit 1; }
	@wasm-bindgen --version 2>/dev/null | grep -q '$(WASM_BINDGEN_VERSION)' \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
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

lint: tools-build
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib --bins --quiet -- -D warnings

unit: tools-build
	cargo test --quiet

# The engine's first step, recomputed by an independent NumPy implementation. The dev build
# (dependencies optimised, shared with the unit tests) is quick to make and fast enough here.
# Then the same cases on the runner built for WebAssembly in each engine build (simd128, and
# relaxed SIMD in its own target dir), run under WASI in Node's V8: their f32 products are the
# browser's kernel (tests/reference/headless-wasm).
WASI_RUNNER := wasm32-wasip1/debug/examples/headless.wasm
reference: tools-test
	cargo build --quiet --example headless
	python3 tests/reference/check_headless.py target/debug/examples/headless
	cargo build --quiet --example headless --target wasm32-wasip1
	GRADLAB_WASM=target/$(WASI_RUNNER) python3 tests/reference/check_headless.py tests/reference/headless-wasm
	$(RELAXED_WASI) cargo build --quiet --example headless --target wasm32-wasip1 --target-dir target/relaxed-simd
	GRADLAB_WASM=target/relaxed-simd/$(WASI_RUNNER) python3 tests/reference/check_headless.py tests/reference/headless-wasm

# Inside headless Chromium (wasm-bindgen-test), once per engine build: the components and
# protocol, the matrix-product kernel, the trainer, and the gradient checks (f64 exact, f32
# against f64). The relaxed-SIMD build has its own target dir, as its worker does.
WEB_TESTS := --test web --test gemm --test trainer --test gradient_check --test rnn_gradient_check

web: tools-test
	cargo test --target wasm32-unknown-unknown $(WEB_TESTS)
	$(RELAXED) cargo test --target wasm32-unknown-unknown --target-dir target/relaxed-simd $(WEB_TESTS)

e2e: dist tools-test
	node --test tests/e2e/

test: lint unit reference web e2e

# Native and in-browser figures, one table (see BENCHMARKS.md). Not part of `make test`:
# its memory run takes ten minutes (BENCH_LONG_SECONDS shortens it).
bench: build tools-test
	node tests/bench/bench.mjs

# Ten minutes of classroom abuse in one page (see BENCHMARKS.md); not part of `make test`.
# SOAK_STEPS shortens it.
soak: dist tools-test
	node tests/bench/soak.mjs

clean:
	cargo clean
	rm -rf dist test-artifacts
