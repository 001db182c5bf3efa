//! The training worker's entry point (loaded by the page as a Web Worker).

#[cfg(target_arch = "wasm32")]
fn main() {
    gradlab_worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the gradlab worker runs inside a browser; see README for the headless runner");
}
