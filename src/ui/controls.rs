//! The settings panel: every setting of the network and of its training, grouped by what a
//! change costs, built from the generic [`Slider`] and [`Choice`] widgets, the shared slider
//! scales and the option tables; with the run's controls ([`RunControls`]) at the top and
//! compare mode ([`CompareControls`]) and the [`Downloads`] below.

use super::compare_controls::CompareControls;
use super::format::compact;
use super::options::{
    ACTIVATIONS, CELLS, CLIP_MODES, DATASETS, LOSS_SCALES, MODELS, NORMS, OPTIMIZERS, PRECISIONS,
    READOUTS, RECURRENT_INITS, SCHEDULES, SERIES, SWITCHES, TASKS, TEXTS, WEIGHT_DRAWS,
};
use super::own_data::{OwnDataPanel, OwnKind};
use super::run_controls::{Downloads, RunControls};
use super::state::Lab;
use super::widgets::{Choice, Slider};
use gradlab_engine::cell::Cell;
use gradlab_engine::Activation;
use leptos::prelude::*;

/// The critical weight scale of the current activation, as a slider mark.
fn critical_mark(lab: Lab) -> Signal<Option<(f64, String)>> {
    Signal::derive(move || {
        // The mean-field mark is the MLP's (the Transformer's σ has no such line).
        let activation = lab
            .params
            .with(|p| Activation::from_name(&p.activation).filter(|_| p.model != "transformer"));
        activation
            .and_then(Activation::critical_weight_scale)
            .map(|sigma| {
                let text = if (sigma - 1.0).abs() < 1e-9 {
                    "critical 1".to_string()
                } else {
                    "critical √2".to_string()
                };
                (sigma, text)
            })
    })
}

/// The recurrent scale's critical value for the current activation, 1/γ (where λ₁ = g for an
/// orthogonal or identity W_h; Pascanu et al.'s line), as a slider mark.
fn critical_recurrent_mark(lab: Lab) -> Signal<Option<(f64, String)>> {
    Signal::derive(move || {
        lab.params
            // 1/γ is the vanilla cell's line: a gated cell has none.
            .with(|p| Activation::from_name(&p.activation).filter(|_| p.cell() == Cell::Vanilla))
            .map(|a| {
                let bound = a.recurrent_bound();
                (bound, format!("critical {}", compact(bound)))
            })
    })
}

/// Every control, grouped by what a change costs.
#[component]
pub fn Controls() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let seed_hint = "Same seed, same settings: the same run, step for step.";
    view! {
        <section class="group" aria-labelledby="run-heading">
            <h2 id="run-heading">"Run"</h2>
            <RunControls/>
        </section>
        <section class="group" aria-labelledby="network-heading">
            <h2 id="network-heading">"Network " <small>"— changing these restarts training"</small></h2>
            <Choice
                id="model"
                label="Model"
                hint="A deep feed-forward net (depth multiplies the factors), a recurrent net (time does), or a Transformer (blocks on a residual stream, where LayerNorm's place decides)."
                options=MODELS
                get=|p| p.model.clone()
                set=|p, v| p.model = v
            />
            <Choice
                id="task"
                label="Task"
                hint="Adding: sum the two marked numbers. Copy: repeat symbols after a gap. Series: predict the next value. Language: predict the next character of Washington's addresses to Congress."
                options=TASKS
                get=|p| p.task.clone()
                set=|p, v| p.task = v
            />
            <Choice
                id="text"
                label="Training text"
                hint="The language model's text: the shipped one, or one of yours, folded to the same 29 symbols. Yours stays in this browser."
                options=TEXTS
                get=|p| p.text.clone()
                set=|p, v| p.text = v
            />
            <OwnDataPanel kind=OwnKind::Text/>
            <Choice
                id="series"
                label="Series"
                hint="The series task's data: a noisy sum of three sines, or a column of a CSV of yours, normalised by its own mean and standard deviation. Yours stays in this browser."
                options=SERIES
                get=|p| p.series.clone()
                set=|p, v| p.series = v
            />
            <OwnDataPanel kind=OwnKind::Series/>
            <Choice
                id="cell"
                label="Recurrent cell"
                hint="Vanilla: h_t = φ(x_t·W_x + h_{t−1}·W_h + b). LSTM and GRU add gates; the LSTM's cell state c_t is updated by addition, which carries the error back through time."
                options=CELLS
                get=|p| p.cell.clone()
                set=|p, v| p.cell = v
            />
            <Slider
                id="seq-len"
                label="Sequence length T"
                hint="Time steps the error must travel back through: the RNN's depth."
                get=|p| p.seq_len
                set=|p, v| p.seq_len = v
            />
            <Slider
                id="hidden"
                label="Hidden units H"
                hint="Size of the state h_t carried from step to step."
                get=|p| p.hidden
                set=|p, v| p.hidden = v
            />
            <Choice
                id="recurrent-init"
                label="Recurrent init"
                hint="Gaussian W_h: λ₁ ≈ 2g. Orthogonal × g: every singular value is g. Identity × g: Le et al.'s IRNN."
                options=RECURRENT_INITS
                get=|p| p.recurrent_init.clone()
                set=|p, v| p.recurrent_init = v
            />
            <Slider
                id="recurrent-scale"
                label="Recurrent scale g"
                hint="Scale of W_h. The error is multiplied by W_hᵀ once per step back in time."
                get=|p| p.recurrent_scale
                set=|p, v| p.recurrent_scale = v
                mark=critical_recurrent_mark(lab)
            />
            <Slider
                id="input-scale"
                label="Input scale σ_x"
                hint="Input weights ~ N(0, σ_x²/d)."
                get=|p| p.input_scale
                set=|p, v| p.input_scale = v
            />
            <Slider
                id="bptt"
                label="Truncated BPTT k"
                hint="Backprop through at most k steps per block (0 = all the way back)."
                get=|p| p.bptt
                set=|p, v| p.bptt = v
            />
            <Choice
                id="readout"
                label="Readout"
                hint="From the last state only (many-to-one) or from every state (many-to-many)."
                options=READOUTS
                get=|p| p.readout.clone()
                set=|p, v| p.readout = v
            />
            <Choice
                id="norm"
                label="LayerNorm placement"
                hint="Pre-LN adds each block's output to an untouched residual stream; Post-LN normalises after the sum, so the error is rescaled at every block on its way back (Xiong et al. 2020)."
                options=NORMS
                get=|p| p.norm.clone()
                set=|p, v| p.norm = v
            />
            <Slider
                id="layers"
                label="Blocks"
                hint="Transformer blocks: attention then a GELU MLP, each added to the residual stream."
                get=|p| p.layers
                set=|p, v| p.layers = v
            />
            <Slider
                id="d-model"
                label="Model width d"
                hint="Width of the residual stream; the MLP is 4·d wide."
                get=|p| p.d_model
                set=|p, v| p.d_model = v
            />
            <Slider
                id="heads"
                label="Attention heads"
                hint="Each head attends with d/heads dimensions; heads must divide d."
                get=|p| p.heads
                set=|p, v| p.heads = v
            />
            <Slider
                id="context"
                label="Context length T"
                hint="Positions per sequence; each attends to itself and every earlier one."
                get=|p| p.context
                set=|p, v| p.context = v
            />
            <Slider
                id="depth"
                label="Depth (hidden layers)"
                hint="More layers multiply more factors together on the way back."
                get=|p| p.depth
                set=|p, v| p.depth = v
            />
            <Slider
                id="width"
                label="Width (units per layer)"
                hint="Wider layers average more terms: the growth per layer gets steadier."
                get=|p| p.width
                set=|p, v| p.width = v
            />
            <Choice
                id="activation"
                label="Activation"
                hint="Its slope φ′ multiplies the error at every layer."
                options=ACTIVATIONS
                get=|p| p.activation.clone()
                set=|p, v| p.activation = v
            />
            <Slider
                id="weight-scale"
                label="Weight scale σ"
                hint="Initial weights ~ N(0, σ²/fan-in). Past the critical mark, gradients explode toward the input."
                get=|p| p.weight_scale
                set=|p, v| p.weight_scale = v
                mark=critical_mark(lab)
            />
            <Choice
                id="dataset"
                label="Data set"
                hint="The toy problem the network fits (targets ±1, or sin πx), or labelled points of yours."
                options=DATASETS
                get=|p| p.dataset.clone()
                set=|p, v| p.dataset = v
            />
            <OwnDataPanel kind=OwnKind::Points/>
            <Choice
                id="init"
                label="Weight init"
                hint="Gaussian entries, or a scaled orthogonal matrix: every singular value σ, so a deep stack neither stretches nor squashes the error in any direction (dynamical isometry)."
                options=WEIGHT_DRAWS
                get=|p| p.init.clone()
                set=|p, v| p.init = v
            />
            <Choice
                id="residual"
                label="Residual connections"
                hint="h ← h + φ(h·W + b) on every hidden-to-hidden layer: the error gets an identity path back, so it cannot vanish — but large branches still compound."
                options=SWITCHES
                get=|p| p.residual.clone()
                set=|p, v| p.residual = v
            />
            <Choice
                id="layer-norm"
                label="LayerNorm"
                hint="Normalize each example's pre-activations to mean 0, variance 1 (then a learned gain and bias): activations stay in range whatever σ is."
                options=SWITCHES
                get=|p| p.layer_norm.clone()
                set=|p, v| p.layer_norm = v
            />
            <div class="control" hidden=move || lab.is_hidden("seed")>
                <label for="seed"><span class="name">"Seed"</span></label>
                <input
                    type="number"
                    id="seed"
                    min=0
                    step=1
                    inputmode="numeric"
                    aria-describedby="seed-hint"
                    prop:value=move || lab.params.with(|p| p.seed.to_string())
                    on:change=move |ev| {
                        match event_target_value(&ev).trim().parse::<u64>() {
                            Ok(seed) => lab.params.update(|p| p.seed = seed),
                            Err(_) => lab.notices.update(|n| n.push("Seed must be a whole number from 0 up — kept the previous seed.".into())),
                        }
                    }
                />
                <p class="hint" id="seed-hint">{seed_hint}</p>
            </div>
        </section>
        <section class="group" aria-labelledby="training-heading">
            <h2 id="training-heading">"Training " <small>"— applies while running"</small></h2>
            <Slider
                id="learning-rate"
                label="Learning rate"
                hint="Step size: exploding gradients times a large rate make huge updates."
                get=|p| p.learning_rate
                set=|p, v| p.learning_rate = v
            />
            <Choice
                id="schedule"
                label="Learning-rate schedule"
                hint="Warmup ramps the rate up from 0 over the first steps, so the first updates, taken where the gradients are largest, stay small (the classic rescue for Post-LN Transformers); cosine then lowers it to a tenth."
                options=SCHEDULES
                get=|p| p.schedule.clone()
                set=|p, v| p.schedule = v
            />
            <Slider
                id="warmup-steps"
                label="Warmup steps T_w"
                hint="η_t = η · t / T_w until step T_w, then η."
                get=|p| p.warmup_steps
                set=|p, v| p.warmup_steps = v
            />
            <Slider
                id="decay-steps"
                label="Decay steps T_d"
                hint="After the warmup, η falls along a half cosine to 0.1·η over T_d steps, and stays there."
                get=|p| p.decay_steps
                set=|p, v| p.decay_steps = v
            />
            <Slider
                id="batch"
                label="Batch size"
                hint="Examples averaged per step."
                get=|p| p.batch
                set=|p, v| p.batch = v
            />
            <Choice
                id="clip-mode"
                label="Gradient clipping"
                hint="Norm clipping rescales and keeps the direction; value clipping clamps and bends it; backward clipping clamps the error during backprop, changing every earlier gradient."
                options=CLIP_MODES
                get=|p| p.clip_mode.clone()
                set=|p, v| p.clip_mode = v
            />
            <Slider
                id="clip-threshold"
                label="Clip threshold"
                hint="Largest gradient norm allowed through — or largest element, in value mode, and largest back-propagated error, in backward mode."
                get=|p| p.clip_threshold
                set=|p, v| p.clip_threshold = v
            />
            <Slider
                id="l2"
                label="L2 strength λ"
                hint="Adds λ·W to each weight's gradient: pulls weights, and so the growth, down."
                get=|p| p.l2
                set=|p, v| p.l2 = v
            />
            <Choice
                id="optimizer"
                label="Optimizer"
                hint="What turns the (clipped) gradient into a step. Adam and RMSProp divide by a running size of the gradient: they rescale the update, not the gradient. Changing it keeps the weights and starts the optimizer's state over."
                options=OPTIMIZERS
                get=|p| p.optimizer.clone()
                set=|p, v| p.optimizer = v
            />
            <Slider
                id="momentum"
                label="Momentum μ"
                hint="Each step adds μ × the previous step: a velocity that smooths, and can carry a spike forward."
                get=|p| p.momentum
                set=|p, v| p.momentum = v
            />
            <Slider
                id="alpha"
                label="RMSProp decay α"
                hint="How slowly the running mean of g² forgets (PyTorch's default 0.99)."
                get=|p| p.alpha
                set=|p, v| p.alpha = v
            />
            <Slider
                id="beta1"
                label="Adam β₁"
                hint="Decay of the running mean of g (PyTorch's default 0.9)."
                get=|p| p.beta1
                set=|p, v| p.beta1 = v
            />
            <Slider
                id="beta2"
                label="Adam β₂"
                hint="Decay of the running mean of g² (default 0.999). After a spike, a large β₂ keeps the steps small for a long time."
                get=|p| p.beta2
                set=|p, v| p.beta2 = v
            />
            <Slider
                id="eps"
                label="ε"
                hint="Added to √v before dividing (default 10⁻⁸): where the gradient is far smaller than ε, the step shrinks to plain SGD's."
                get=|p| p.eps
                set=|p, v| p.eps = v
            />
            <Slider
                id="weight-decay"
                label="Weight decay λ_wd"
                hint="AdamW shrinks every weight by η·λ_wd per step, outside the adaptive rescaling — unlike L2, which Adam rescales with the gradient."
                get=|p| p.weight_decay
                set=|p, v| p.weight_decay = v
            />
        </section>
        <section class="group" aria-labelledby="precision-heading">
            <h2 id="precision-heading">"Number format " <small>"— mixed precision, applies while running"</small></h2>
            <Choice
                id="precision"
                label="Compute precision"
                hint="The weights stay f32; the forward and backward passes round to this format, as autocast does. f16 overflows past 65504 and flushes values below 6·10⁻⁸ to zero; bf16 has f32's range with only 3 significant digits."
                options=PRECISIONS
                get=|p| p.precision.clone()
                set=|p, v| p.precision = v
            />
            <Choice
                id="loss-scale"
                label="Loss scaling"
                hint="Multiplies the loss by S before backprop, so small gradients stay inside f16, and divides them by S before clipping. Dynamic is torch.amp.GradScaler: S starts at 2¹⁶, halves and skips the update on inf or NaN, doubles after 2000 clean steps."
                options=LOSS_SCALES
                get=|p| p.loss_scale.clone()
                set=|p, v| p.loss_scale = v
            />
            <Slider
                id="static-scale"
                label="Static loss scale S"
                hint="A fixed S: too small and tiny gradients still flush to zero; too large and S·g overflows, so every step is skipped."
                get=|p| p.static_scale
                set=|p, v| p.static_scale = v
            />
        </section>
        <CompareControls/>
        <Downloads/>
    }
}
