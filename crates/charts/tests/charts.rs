//! Every chart drawn natively on plotters' SVG backend, from real training data: the drawing
//! code runs end to end, and what it draws is checked in the SVG (colours are the palette's, so
//! each mark can be found by its colour).

use gradlab_charts::cliff::{draw_cliff_axes, draw_cliff_paths, CliffPath, CliffSurface};
use gradlab_charts::heatmap::{
    draw_history_axes, draw_history_clip_ticks, draw_history_tiles, HistoryFrame,
};
use gradlab_charts::history::RunHistory;
use gradlab_charts::layer_bars::{draw_layer_bars, draw_layer_bars_axes, BarsFrame, LayerBars};
use gradlab_charts::loss::{draw_loss, draw_loss_axes, LossFrame};
use gradlab_charts::Style;
use gradlab_engine::cliff::{Descent, Point};
use gradlab_engine::TrainParams;
use gradlab_protocol::{CliffRequest, Command, Event, Progress};
use gradlab_worker::WorkerCore;
use plotters::prelude::*;

const STYLE: Style = Style { dpr: 1.0 };

/// Trains through the worker's own code path and returns the history and the last chunk.
fn train(params: TrainParams, chunks: usize) -> (RunHistory, Progress) {
    let mut core = WorkerCore::new();
    let Event::Configured(c) = core.handle(
        Command::Configure(vec![params.check().unwrap()]),
        &mut || 0.0,
        &mut std::io::sink(),
    ) else {
        panic!("not configured")
    };
    let mut history = RunHistory::new(c.group_count as usize);
    let mut last = None;
    for _ in 0..chunks {
        let command = Command::Train {
            max_steps: 25,
            budget_ms: f64::INFINITY,
            peak_stride: history.stride(),
        };
        let Event::Progress(chunk) = core.handle(command, &mut || 0.0, &mut std::io::sink()) else {
            panic!()
        };
        let p = chunk.runs.into_iter().next().unwrap();
        history.record(&p);
        last = Some(p);
    }
    (history, last.unwrap())
}

fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>)) -> String {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (800, 300)).into_drawing_area();
        draw(&area);
        area.present().unwrap();
    }
    out
}

/// plotters writes colours as `#RRGGBB`.
fn count(svg: &str, colour: &str) -> usize {
    svg.matches(colour).count()
}

#[test]
fn layer_bars_show_before_after_threshold_and_overflow() {
    let params = TrainParams {
        depth: 12.0,
        weight_scale: 2.5,
        clip_mode: "global-norm".into(),
        clip_threshold: 0.5,
        ..TrainParams::default()
    };
    let (_, last) = train(params, 2);
    let stats = last.last.unwrap();
    let mut before = stats.grad_norms.clone();
    before[3] = f64::INFINITY; // one overflowed layer, to check its marking
    let bars = LayerBars {
        before: &before,
        after: &stats.grad_norms_clipped,
        clipping: true,
        threshold: Some(0.5),
        theory: Some(&[1.0; 13]),
        companion: None,
    };
    let frame = BarsFrame::fit(std::slice::from_ref(&bars), None);
    let out = svg(|area| {
        draw_layer_bars_axes(area, STYLE, frame).unwrap();
        draw_layer_bars(area, STYLE, frame, &bars).unwrap();
    });
    assert_eq!(
        count(&out, "#56B4E9"),
        12,
        "pale before-clip bars, all but the overflowed"
    );
    assert_eq!(count(&out, "#0072B2"), 12, "dark after-clip bars");
    assert_eq!(count(&out, "#D55E00"), 2, "overflow bar and its ∞ label");
    assert_eq!(count(&out, "#E69F00"), 1, "threshold line");
    assert_eq!(count(&out, "#009E73"), 1 + 13, "theory line and its dots");
    assert!(out.contains("\n13\n"), "layers are numbered 1 to 13");
    assert!(out.contains("layer (input → output)"));
}

/// An LSTM's chart: bars of ‖∂L/∂h_t‖ and a dark line with one square per time step of
/// ‖∂L/∂c_t‖, from a real run.
#[test]
fn lstm_bars_carry_the_cell_state_line() {
    let params = TrainParams {
        model: "rnn".into(),
        cell: "lstm".into(),
        seq_len: 6.0,
        hidden: 8.0,
        ..TrainParams::default()
    };
    let (_, last) = train(params, 2);
    let stats = last.last.unwrap();
    assert_eq!(stats.cell_norms.len(), 6);
    let draw = |companion: Option<&[f64]>| {
        let bars = LayerBars {
            before: &stats.time_norms,
            after: &stats.time_norms,
            clipping: false,
            threshold: None,
            theory: None,
            companion,
        };
        let frame = BarsFrame::fit(std::slice::from_ref(&bars), None);
        svg(|area| {
            draw_layer_bars_axes(area, STYLE, frame).unwrap();
            draw_layer_bars(area, STYLE, frame, &bars).unwrap();
        })
    };
    let (with, without) = (draw(Some(&stats.cell_norms)), draw(None));
    assert_eq!(count(&with, "#0072B2"), 6, "one bar per time step");
    assert_eq!(
        count(&with, "#1D2330") - count(&without, "#1D2330"),
        1 + 6,
        "the line and its squares"
    );
}

#[test]
fn heatmap_paints_one_tile_per_layer_and_column() {
    let (history, _) = train(TrainParams::default(), 4);
    let frame = HistoryFrame::of(&history);
    let out = svg(|area| {
        draw_history_axes(area, STYLE, frame).unwrap();
        draw_history_tiles(area, STYLE, frame, &history).unwrap();
    });
    // 100 steps at stride 1 → 100 columns × 11 layers, each a <rect>, plus the legend's 48
    // colour steps, its overflow swatch and the plot's frame.
    let rects = out.matches("<rect").count();
    assert_eq!(rects, 100 * 11 + 48 + 1 + 1, "{rects}");
    assert!(out.contains("NaN/∞"));
}

#[test]
fn loss_chart_draws_the_run_and_marks_divergence() {
    let params = TrainParams {
        depth: 30.0,
        weight_scale: 2.5,
        learning_rate: 1.0,
        ..TrainParams::default()
    };
    let (history, _) = train(params, 20);
    let at = history.diverged().expect("this setting diverges");
    let frame = LossFrame::fit(&[&history], None);
    let out = svg(|area| {
        draw_loss_axes(area, STYLE, frame).unwrap();
        draw_loss(area, STYLE, frame, &[&history]).unwrap();
    });
    assert!(out.contains(&format!("diverged at step {}", at.step)));
    assert_eq!(count(&out, r##"stroke="#0072B2""##), 1, "one loss polyline");
    assert!(out.contains("<polyline"));
}

/// Clip events: one orange tick per column where clipping acted, on the loss chart and above
/// the heat map.
#[test]
fn clip_events_are_ticked_on_the_history_and_loss_charts() {
    let params = TrainParams {
        depth: 12.0,
        weight_scale: 2.0,
        clip_mode: "global-norm".into(),
        clip_threshold: 0.5,
        ..TrainParams::default()
    };
    let (history, _) = train(params, 4);
    let spans = history.clipped_spans().len();
    assert!(spans > 10, "this setting clips often: {spans}");
    let frame = LossFrame::fit(&[&history], None);
    let loss = svg(|area| draw_loss(area, STYLE, frame, &[&history]).unwrap());
    assert_eq!(count(&loss, r##"fill="#E69F00""##), spans);
    let frame = HistoryFrame::of(&history);
    let heat = svg(|area| draw_history_clip_ticks(area, STYLE, frame, &history).unwrap());
    assert_eq!(count(&heat, r##"fill="#E69F00""##), spans);
}

/// The cliff map from the worker's own answer: one rectangle per surface tile, white contour
/// lines and wall dashes, and both descents — the unclipped one (vermillion) cut at the map's
/// edge where its first step leaves it, the clipped one (blue) in short steps.
#[test]
fn the_cliff_map_draws_surface_wall_and_both_descents() {
    let start = Point { w: 5.0, b: -2.6123 };
    let descents = [None, Some(1.0)].map(|clip| Descent {
        start,
        learning_rate: 0.1,
        clip,
        steps: 20,
    });
    let request = Command::Cliff(CliffRequest {
        columns: 24,
        rows: 16,
        descents: descents.to_vec(),
    });
    // The cliff needs no run: a fresh worker answers it.
    let Event::Cliff(answer) = WorkerCore::new().handle(request, &mut || 0.0, &mut std::io::sink())
    else {
        panic!("no cliff answer")
    };
    assert_eq!(answer.surface.len(), 24 * 16);
    let surface = CliffSurface {
        columns: 24,
        rows: 16,
        loss: &answer.surface,
    };
    let paths: Vec<CliffPath> = answer
        .trajectories
        .iter()
        .zip([false, true])
        .map(|(trajectory, clipped)| CliffPath {
            trajectory,
            clipped,
        })
        .collect();
    let out = svg(|area| {
        draw_cliff_axes(area, STYLE, &surface).unwrap();
        draw_cliff_paths(area, STYLE, &paths).unwrap();
    });
    assert!(
        out.matches("<rect").count() >= 24 * 16,
        "one rectangle per tile"
    );
    assert!(
        count(&out, "#FFFFFF") > 10,
        "contours and the wall's dashes"
    );
    // Unclipped: its one step in the map is cut at the edge (the rest lies off the map).
    assert!(
        count(&out, "#D55E00") >= 2,
        "the unclipped path and its start"
    );
    assert!(count(&out, "#0072B2") >= 20, "the clipped path's 21 points");
    assert!(out.contains("recurrent weight w") && out.contains("bias b"));

    // A request no control could make is refused, with its reason.
    let too_big = Command::Cliff(CliffRequest {
        columns: 10_000,
        rows: 4,
        descents: Vec::new(),
    });
    let Event::Failed { message } =
        WorkerCore::new().handle(too_big, &mut || 0.0, &mut std::io::sink())
    else {
        panic!("accepted")
    };
    assert!(message.contains("at most 400 tiles"), "{message}");
    let nan_start = Command::Cliff(CliffRequest {
        columns: 0,
        rows: 0,
        descents: vec![Descent {
            start: Point {
                w: f64::NAN,
                b: 0.0,
            },
            learning_rate: 0.1,
            clip: None,
            steps: 5,
        }],
    });
    assert!(matches!(
        WorkerCore::new().handle(nan_start, &mut || 0.0, &mut std::io::sink()),
        Event::Failed { .. }
    ));
}

/// The trainability map draws a tile refused as too big as a crossed-out outline: one more
/// outlined rectangle and one more line than the same map without it, and no filled square.
#[test]
fn too_big_tiles_are_crossed_out() {
    use gradlab_charts::phase::{draw_phase, PhaseGrid};
    use gradlab_engine::sweep::{Outcome, SweepAxis};
    let axis = |s| SweepAxis::parse(s).unwrap();
    let tiles = [Some(Outcome::Trained), None, Some(Outcome::Exploded), None];
    let draw = |too_big: &[usize]| {
        svg(|area| {
            let grid = PhaseGrid {
                x: axis("depth=1:10:2"),
                y: axis("width=8:512:2"),
                tiles: &tiles,
                too_big,
                overlays: &[],
                marker: None,
            };
            draw_phase(area, STYLE, &grid).unwrap();
        })
    };
    let (plain, crossed) = (draw(&[]), draw(&[3]));
    let count = |text: &str, what: &str| text.matches(what).count();
    assert_eq!(count(&crossed, "<rect") - count(&plain, "<rect"), 1);
    assert_eq!(count(&crossed, "<polyline") - count(&plain, "<polyline"), 1);
}

/// The range chart, from a real f16 run under a too-high static scale (every step overflows):
/// the two formats' strips (grey, amber, vermillion), the inf/NaN bar, the scale's line and a
/// skipped tick in vermillion; and from an unscaled f32 run, no lower panel and no inf bar.
#[test]
fn the_range_chart_shades_both_formats_and_draws_the_scale() {
    use gradlab_charts::range::{draw_range, draw_range_axes, RangeFrame};
    let params = TrainParams {
        precision: "f16".into(),
        loss_scale: "static".into(),
        static_scale: 16_777_216.0,
        ..TrainParams::default()
    };
    let (history, last) = train(params, 2);
    let range = last.gradient_range.expect("a chunk with steps has a range");
    assert!(range.non_finite > 0);
    assert_eq!(history.skipped_steps(), 50);
    let frame = RangeFrame::fit(&[&range], &[&history], true);
    assert_eq!(frame.scale.map(|s| s.exp2), Some((20, 28)));
    let axes = svg(|area| draw_range_axes(area, STYLE, frame).unwrap());
    assert!(axes.contains("f16") && axes.contains("bf16") && axes.contains("2⁻²⁴"));
    assert!(count(&axes, "#E69F00") >= 1, "subnormal region");
    let data = svg(|area| draw_range(area, STYLE, frame, &[(&range, &history)]).unwrap());
    // S·∂L/∂ŷ already overflows at the seed, so every value is inf: one vermillion bar and
    // no other, the skipped ticks in vermillion too, and the scale's line in blue.
    assert_eq!(range.non_finite as u64, range.total());
    assert!(count(&data, "#D55E00") >= 2);
    assert_eq!(count(&data, "stroke=\"#0072B2\""), 1);

    // The loss chart ticks the skipped steps too (vermillion; no divergence line: none happened).
    let loss_frame = LossFrame::fit(&[&history], None);
    let loss = svg(|area| draw_loss(area, STYLE, loss_frame, &[&history]).unwrap());
    assert!(
        count(&loss, "#D55E00") >= 1,
        "skipped ticks on the loss chart"
    );
    assert!(history.diverged().is_none());

    let (history, last) = train(TrainParams::default(), 1);
    let range = last.gradient_range.unwrap();
    assert_eq!(range.non_finite, 0);
    let frame = RangeFrame::fit(&[&range], &[&history], false);
    assert!(frame.scale.is_none());
    let data = svg(|area| draw_range(area, STYLE, frame, &[(&range, &history)]).unwrap());
    assert_eq!(count(&data, "#D55E00"), 0);
    assert!(count(&data, "#0072B2") >= 5, "bars");
}
