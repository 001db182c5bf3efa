//! Compare mode's panel: the switch that trains a second run B beside A, and the settings where
//! B differs (each a [`Slider`] or [`Choice`] with `of_b`, one per key of
//! [`VARIANT_KEYS`](gradlab_protocol::compare::VARIANT_KEYS)).

use super::options::{
    CELLS, CLIP_MODES, LOSS_SCALES, NORMS, OPTIMIZERS, PRECISIONS, RECURRENT_INITS, SCHEDULES,
    SWITCHES, WEIGHT_DRAWS,
};
use super::state::Lab;
use super::widgets::{Choice, Slider};
use gradlab_protocol::compare::Variant;
use leptos::prelude::*;

/// Compare mode: a second run B beside A, and the settings where B differs.
#[component]
pub fn CompareControls() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let on = move || lab.compare.with(Option::is_some);
    view! {
        <section class="group" aria-labelledby="compare-heading" hidden=move || lab.is_hidden("compare")>
            <h2 id="compare-heading">"Compare " <small>"— two runs side by side"</small></h2>
            <label class="toggle">
                <input
                    type="checkbox"
                    id="compare"
                    prop:checked=on
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        lab.compare.set(checked.then(Variant::default));
                    }
                />
                "Train a second run B in lockstep"
            </label>
            <p class="hint">"Same network, data and seed as A; set below where B differs. A change here starts both runs over."</p>
            <div class="run-b-controls" hidden=move || !on()>
                <Choice
                    id="b-clip-mode"
                    label="B: gradient clipping"
                    hint="Try norm against value clipping, or clipping against none."
                    options=CLIP_MODES
                    get=|p| p.clip_mode.clone()
                    set=|p, v| p.clip_mode = v
                    of_b=true
                />
                <Slider
                    id="b-clip-threshold"
                    label="B: clip threshold"
                    hint="B's threshold."
                    get=|p| p.clip_threshold
                    set=|p, v| p.clip_threshold = v
                    of_b=true
                />
                <Slider
                    id="b-weight-scale"
                    label="B: weight scale σ"
                    hint="B's initial weights ~ N(0, σ²/fan-in), from the same random draw as A's."
                    get=|p| p.weight_scale
                    set=|p, v| p.weight_scale = v
                    of_b=true
                />
                <Choice
                    id="b-recurrent-init"
                    label="B: recurrent init"
                    hint="B's W_h scheme (same random draw as A's where the scheme draws)."
                    options=RECURRENT_INITS
                    get=|p| p.recurrent_init.clone()
                    set=|p, v| p.recurrent_init = v
                    of_b=true
                />
                <Slider
                    id="b-recurrent-scale"
                    label="B: recurrent scale g"
                    hint="B's scale of W_h."
                    get=|p| p.recurrent_scale
                    set=|p, v| p.recurrent_scale = v
                    of_b=true
                />
                <Choice
                    id="b-cell"
                    label="B: recurrent cell"
                    hint="B's cell: vanilla against a gated one on the same task and data."
                    options=CELLS
                    get=|p| p.cell.clone()
                    set=|p, v| p.cell = v
                    of_b=true
                />
                <Slider
                    id="b-learning-rate"
                    label="B: learning rate"
                    hint="B's step size."
                    get=|p| p.learning_rate
                    set=|p, v| p.learning_rate = v
                    of_b=true
                />
                <Slider
                    id="b-l2"
                    label="B: L2 strength λ"
                    hint="B's weight penalty."
                    get=|p| p.l2
                    set=|p, v| p.l2 = v
                    of_b=true
                />
                <Choice
                    id="b-init"
                    label="B: weight init"
                    hint="B's draw: Gaussian or orthogonal at the same σ."
                    options=WEIGHT_DRAWS
                    get=|p| p.init.clone()
                    set=|p, v| p.init = v
                    of_b=true
                />
                <Choice
                    id="b-residual"
                    label="B: residual connections"
                    hint="B's wiring (same weights as A's where both have them)."
                    options=SWITCHES
                    get=|p| p.residual.clone()
                    set=|p, v| p.residual = v
                    of_b=true
                />
                <Choice
                    id="b-layer-norm"
                    label="B: LayerNorm"
                    hint="B normalizes its hidden layers."
                    options=SWITCHES
                    get=|p| p.layer_norm.clone()
                    set=|p, v| p.layer_norm = v
                    of_b=true
                />
                <Choice
                    id="b-norm"
                    label="B: LayerNorm placement"
                    hint="Pre-LN against Post-LN, from the same weights (a Transformer with LayerNorm)."
                    options=NORMS
                    get=|p| p.norm.clone()
                    set=|p, v| p.norm = v
                    of_b=true
                />
                <Choice
                    id="b-optimizer"
                    label="B: optimizer"
                    hint="B's update rule (its other hyperparameters follow A's)."
                    options=OPTIMIZERS
                    get=|p| p.optimizer.clone()
                    set=|p, v| p.optimizer = v
                    of_b=true
                />
                <Slider
                    id="b-weight-decay"
                    label="B: weight decay λ_wd"
                    hint="B's AdamW decay."
                    get=|p| p.weight_decay
                    set=|p, v| p.weight_decay = v
                    of_b=true
                />
                <Choice
                    id="b-schedule"
                    label="B: learning-rate schedule"
                    hint="B's schedule: warmup against none at the same peak rate."
                    options=SCHEDULES
                    get=|p| p.schedule.clone()
                    set=|p, v| p.schedule = v
                    of_b=true
                />
                <Slider
                    id="b-warmup-steps"
                    label="B: warmup steps T_w"
                    hint="B's ramp length."
                    get=|p| p.warmup_steps
                    set=|p, v| p.warmup_steps = v
                    of_b=true
                />
                <Choice
                    id="b-precision"
                    label="B: compute precision"
                    hint="f16 against bf16, or either against f32."
                    options=PRECISIONS
                    get=|p| p.precision.clone()
                    set=|p, v| p.precision = v
                    of_b=true
                />
                <Choice
                    id="b-loss-scale"
                    label="B: loss scaling"
                    hint="A loss scaler against none, in the same format."
                    options=LOSS_SCALES
                    get=|p| p.loss_scale.clone()
                    set=|p, v| p.loss_scale = v
                    of_b=true
                />
                <Slider
                    id="b-static-scale"
                    label="B: static loss scale S"
                    hint="B's fixed S."
                    get=|p| p.static_scale
                    set=|p, v| p.static_scale = v
                    of_b=true
                />
            </div>
        </section>
    }
}
