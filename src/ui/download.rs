//! Saving files from the page: a run as CSV or JSON, a chart as PNG.
//!
//! A temporary `<a download>` is clicked on a `blob:` (text) or `data:` (PNG) URL — no server,
//! no outside request.

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers the concatenated `parts` (byte arrays or strings) as a file called `name`.
pub fn save_parts(name: &str, mime: &str, parts: &js_sys::Array) -> Result<(), String> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(parts, &options).map_err(describe)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(describe)?;
    let saved = save_url(name, &url);
    // The download reads the blob after the click returns: let it go a minute later.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
    saved
}

/// Offers what `url` points at as a file called `name`.
pub fn save_url(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

fn describe(e: wasm_bindgen::JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}
