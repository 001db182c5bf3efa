//! Which release of gradlab this page is, and whether the server now has another.
//!
//! The build stamps the page with its release id (`<meta name="gradlab-version">`) and the
//! content-hashed name of its worker loader (`<meta name="gradlab-worker">`), and writes the id
//! to `version.json` (src/build/finish_html.mjs). A page opened before a new deployment keeps
//! naming its own loader: once that is gone from the server, or a worker says another id in
//! its `Ready`, the page asks to be reloaded rather than speak a protocol it does not know.

use super::fetch::fetch_text;
use super::now;
use std::sync::OnceLock;

/// The loader's name where no build stamped the page (the browser tests' pages).
const UNSTAMPED_LOADER: &str = "./worker_loader.js";

/// What the page tells a student when a new release is on the server.
pub const NEW_RELEASE: &str = "A new version of gradlab is available — reload to use it.";

fn meta(name: &str) -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??
        .get_attribute("content")
        .filter(|c| !c.is_empty())
}

/// This page's release id; empty where the page was not stamped (it is then never outdated).
pub fn page_release() -> &'static str {
    static RELEASE: OnceLock<String> = OnceLock::new();
    RELEASE.get_or_init(|| meta("gradlab-version").unwrap_or_default())
}

/// The worker loader of this page's release.
pub fn loader_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| meta("gradlab-worker").unwrap_or_else(|| UNSTAMPED_LOADER.into()))
}

/// Whether the server's `version.json` names another release than this page's (false when it
/// cannot be read: offline, the service worker answers with this release's copy).
pub async fn server_has_another_release() -> bool {
    // A query makes every check reach the server past any HTTP cache (the service worker
    // keeps its copy by path).
    let Ok(text) = fetch_text(&format!("./version.json?at={}", now() as u64)).await else {
        return false;
    };
    let server = js_sys::JSON::parse(&text)
        .and_then(|json| js_sys::Reflect::get(&json, &"version".into()))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    gradlab_protocol::other_release(page_release(), &server)
}
