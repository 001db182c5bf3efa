//! The choices each select offers: the value a link holds, and its label.

pub const ACTIVATIONS: &[(&str, &str)] = &[
    ("tanh", "tanh"),
    ("relu", "ReLU"),
    ("linear", "linear (none)"),
    ("sigmoid", "sigmoid"),
];
pub const DATASETS: &[(&str, &str)] = &[
    ("circle", "circle"),
    ("xor", "XOR"),
    ("spiral", "two spirals"),
    ("clusters", "two clusters"),
    ("sine", "sine (regression)"),
    ("own", "your own points (CSV)"),
];
pub const MODELS: &[(&str, &str)] = &[
    ("mlp", "feed-forward (MLP)"),
    ("rnn", "recurrent (RNN)"),
    ("transformer", "Transformer (decoder)"),
];
pub const NORMS: &[(&str, &str)] = &[
    ("pre", "Pre-LN: x + f(LN(x))"),
    ("post", "Post-LN: LN(x + f(x))"),
    ("none", "none"),
];
pub const TASKS: &[(&str, &str)] = &[
    ("adding", "adding problem"),
    ("copy", "copy (delayed recall)"),
    ("series", "time-series prediction"),
    ("language", "character language model"),
];
pub const TEXTS: &[(&str, &str)] = &[
    ("shipped", "Washington's addresses (shipped)"),
    ("own", "your own text"),
];
pub const SERIES: &[(&str, &str)] = &[
    ("sines", "a noisy sum of sines"),
    ("own", "your own series (CSV)"),
];
pub const CELLS: &[(&str, &str)] = &[
    ("vanilla", "vanilla (Elman)"),
    ("lstm", "LSTM"),
    ("gru", "GRU"),
];
pub const RECURRENT_INITS: &[(&str, &str)] = &[
    ("gaussian", "Gaussian N(0, g²/H)"),
    ("orthogonal", "orthogonal × g"),
    ("identity", "identity × g (IRNN)"),
];
pub const READOUTS: &[(&str, &str)] = &[
    ("last", "last state (many-to-one)"),
    ("all", "every state (many-to-many)"),
];
pub const CLIP_MODES: &[(&str, &str)] = &[
    ("none", "off"),
    ("global-norm", "global norm (PyTorch clip_grad_norm_)"),
    ("layer-norm", "per-group norm (Keras' clipnorm rule)"),
    ("value", "value (clamp each element)"),
    ("backward", "backward (clamp the error during backprop)"),
];
pub const OPTIMIZERS: &[(&str, &str)] = &[
    ("sgd", "SGD"),
    ("momentum", "SGD + momentum (heavy ball)"),
    ("nesterov", "SGD + Nesterov momentum"),
    ("rmsprop", "RMSProp"),
    ("adam", "Adam"),
    ("adamw", "AdamW (decoupled weight decay)"),
];
pub const SCHEDULES: &[(&str, &str)] = &[
    ("constant", "constant"),
    ("warmup", "linear warmup"),
    ("warmup-cosine", "warmup, then cosine to 10%"),
];
pub const PRECISIONS: &[(&str, &str)] = &[
    ("f32", "f32 (single)"),
    ("f16", "f16 (half: 5-bit exponent)"),
    ("bf16", "bf16 (bfloat16: f32's exponent)"),
];
pub const LOSS_SCALES: &[(&str, &str)] = &[
    ("none", "none"),
    ("static", "static S"),
    ("dynamic", "dynamic (GradScaler)"),
];
pub const SWITCHES: &[(&str, &str)] = &[("off", "off"), ("on", "on")];
pub const WEIGHT_DRAWS: &[(&str, &str)] = &[
    ("gaussian", "Gaussian N(0, σ²/fan-in)"),
    ("orthogonal", "orthogonal × σ"),
];
