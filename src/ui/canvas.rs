//! Canvas glue: a chart's two stacked canvases at device resolution.
//!
//! The lower canvas holds the axes, redrawn only when the chart's frame or size changes; the
//! upper, transparent one holds the data, cleared and redrawn at most once per animation frame.

use gradlab_charts::{DrawResult, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// One chart's canvases.
pub struct LayeredCanvas {
    axes: HtmlCanvasElement,
    data: HtmlCanvasElement,
    /// Off-screen canvas for blitting images (created on first use).
    scratch: Option<HtmlCanvasElement>,
    style: Style,
}

impl LayeredCanvas {
    /// Wraps two canvases stacked in the same box.
    pub fn new(axes: HtmlCanvasElement, data: HtmlCanvasElement) -> Self {
        Self {
            axes,
            data,
            scratch: None,
            style: Style { dpr: 1.0 },
        }
    }

    /// The current device-pixel style.
    pub fn style(&self) -> Style {
        self.style
    }

    /// Sizes both backing stores to the box's CSS size × devicePixelRatio, so lines are sharp on
    /// HiDPI screens. Returns whether anything changed (then the axes must be redrawn).
    pub fn fit(&mut self) -> bool {
        let dpr = web_sys::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .max(1.0);
        let width = (f64::from(self.data.client_width()) * dpr).round() as u32;
        let height = (f64::from(self.data.client_height()) * dpr).round() as u32;
        if width == 0 || height == 0 {
            return false;
        }
        let changed =
            self.data.width() != width || self.data.height() != height || self.style.dpr != dpr;
        if changed {
            for canvas in [&self.axes, &self.data] {
                canvas.set_width(width);
                canvas.set_height(height);
            }
            self.style = Style { dpr };
        }
        changed
    }

    /// Clears the axes layer and draws on it.
    pub fn draw_axes(
        &self,
        draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> DrawResult<CanvasBackend>,
    ) {
        Self::draw_on(&self.axes, draw);
    }

    /// Clears the data layer and draws on it.
    pub fn draw_data(
        &self,
        draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> DrawResult<CanvasBackend>,
    ) {
        Self::draw_on(&self.data, draw);
    }

    /// Draws on the data layer over what is already there.
    pub fn draw_over_data(
        &self,
        draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> DrawResult<CanvasBackend>,
    ) {
        let Some(backend) = CanvasBackend::with_canvas_object(self.data.clone()) else {
            return;
        };
        if let Err(e) = draw(&backend.into_drawing_area()) {
            web_sys::console::warn_1(&format!("gradlab: chart drawing failed: {e:?}").into());
        }
    }

    /// Measures something on the data layer without drawing (e.g. the plot rectangle).
    pub fn measure<T>(
        &self,
        measure: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> T,
    ) -> Option<T> {
        let backend = CanvasBackend::with_canvas_object(self.data.clone())?;
        Some(measure(&backend.into_drawing_area()))
    }

    /// Draws an RGBA image of `width × height` pixels scaled into `rect` (device pixels) on the
    /// data layer, without smoothing: one call however many tiles.
    pub fn blit(&mut self, rgba: &[u8], width: u32, height: u32, rect: (i32, i32, i32, i32)) {
        if width == 0 || height == 0 || rgba.len() != (width * height * 4) as usize {
            return;
        }
        if self.scratch.is_none() {
            self.scratch = new_canvas();
        }
        let Some(scratch) = self.scratch.as_ref() else {
            return;
        };
        if scratch.width() != width || scratch.height() != height {
            scratch.set_width(width);
            scratch.set_height(height);
        }
        let (Some(scratch_ctx), Some(ctx)) = (context(scratch), context(&self.data)) else {
            return;
        };
        let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
        else {
            return;
        };
        let _ = scratch_ctx.put_image_data(&image, 0.0, 0.0);
        ctx.set_image_smoothing_enabled(false);
        let (x0, y0, x1, y1) = rect;
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            scratch,
            f64::from(x0),
            f64::from(y0),
            f64::from(x1 - x0),
            f64::from(y1 - y0),
        );
    }

    /// The chart as one PNG image (a `data:` URL): axes and data composited on white, at
    /// device resolution.
    pub fn png_data_url(&self) -> Option<String> {
        let (width, height) = (self.data.width(), self.data.height());
        let out = new_canvas()?;
        out.set_width(width);
        out.set_height(height);
        let ctx = context(&out)?;
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
        for layer in [&self.axes, &self.data] {
            ctx.draw_image_with_html_canvas_element(layer, 0.0, 0.0)
                .ok()?;
        }
        out.to_data_url_with_type("image/png").ok()
    }

    fn draw_on(
        canvas: &HtmlCanvasElement,
        draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> DrawResult<CanvasBackend>,
    ) {
        if let Some(ctx) = context(canvas) {
            ctx.clear_rect(
                0.0,
                0.0,
                f64::from(canvas.width()),
                f64::from(canvas.height()),
            );
        }
        let Some(backend) = CanvasBackend::with_canvas_object(canvas.clone()) else {
            return;
        };
        let area = backend.into_drawing_area();
        if let Err(e) = draw(&area) {
            web_sys::console::warn_1(&format!("gradlab: chart drawing failed: {e:?}").into());
        }
    }
}

/// A detached canvas (for blitting and compositing).
fn new_canvas() -> Option<HtmlCanvasElement> {
    web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}
