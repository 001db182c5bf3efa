//! The page: Leptos components, mounted by `main.rs`.
//!
//! Owns what the user sees and touches. It never trains: training belongs to the worker (the
//! live lab arrives with the next issue; until then the page introduces the project).

use leptos::prelude::*;

/// Mounts [`App`] on the page body, with panics reported to the browser console.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="masthead">
            <h1>"gradlab"</h1>
            <p class="tagline">"Watch gradients explode in a real network — then tame them."</p>
        </header>
        <main class="intro">
            <p>
                "During backpropagation the error signal is multiplied by every layer's weights "
                "and activation slopes. With weights a little too large, or a network a little too "
                "deep, that product grows geometrically: the early layers' gradients explode, "
                "the updates become huge and the loss turns to NaN."
            </p>
            <p>
                "gradlab trains a real network in your browser and shows every layer's gradient "
                "as it happens, with the cures to try: gradient clipping by norm or by value, "
                "careful initialisation, and L1/L2 regularisation."
            </p>
            <p id="status" class="status" role="status" aria-live="polite">
                "The training engine is ready; the live lab is being built."
            </p>
        </main>
    }
}
