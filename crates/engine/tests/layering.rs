//! The layering ARCHITECTURE.md states, as a fact of the build: the engine — and the crates the
//! headless runner is made of — never link a web crate, on any target; the worker and the charts
//! link none natively (the worker's browser glue and plotters' text measuring are wasm32-only).
//!
//! Reads `cargo tree -e normal` (dependencies that ship in the binary; dev-dependencies, such as
//! `wasm-bindgen-test` for the browser runs of the engine's tests, are not part of a crate).
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

/// Crates that only exist to reach the browser.
const WEB_CRATES: [&str; 9] = [
    "wasm-bindgen",
    "wasm-bindgen-futures",
    "js-sys",
    "web-sys",
    "leptos",
    "plotters-canvas",
    "gloo-utils",
    "gloo-net",
    "console_error_panic_hook",
];

/// Package names in the normal-dependency tree of `package` (`target`: `all`, or the host).
fn dependency_names(package: &str, all_targets: bool) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args([
        "tree", "--locked", "-e", "normal", "--prefix", "none", "--format", "{p}",
    ]);
    command.args(["-p", package]);
    if all_targets {
        command.args(["--target", "all"]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    let names: Vec<String> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(
        names.iter().any(|n| n == package),
        "cargo tree did not list {package} itself:\n{text}"
    );
    names
}

fn web_crates_in(package: &str, all_targets: bool) -> Vec<String> {
    let mut found: Vec<String> = dependency_names(package, all_targets)
        .into_iter()
        .filter(|name| WEB_CRATES.contains(&name.as_str()))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn engine_protocol_and_runner_link_no_web_crate_on_any_target() {
    for package in ["gradlab-engine", "gradlab-protocol", "gradlab-cli"] {
        assert_eq!(
            web_crates_in(package, true),
            Vec::<String>::new(),
            "{package} must not depend on a web crate"
        );
    }
}

#[test]
fn worker_and_charts_link_no_web_crate_natively() {
    for package in ["gradlab-worker", "gradlab-charts"] {
        assert_eq!(
            web_crates_in(package, false),
            Vec::<String>::new(),
            "{package} must not depend on a web crate natively"
        );
    }
}

#[test]
fn the_check_sees_web_crates_where_they_are() {
    // The page links Leptos and web-sys: a check that cannot see them could never fail.
    let page = web_crates_in("gradlab", true);
    assert!(page.iter().any(|n| n == "leptos"), "{page:?}");
    assert!(page.iter().any(|n| n == "web-sys"), "{page:?}");
}
