//! The "Reproduce in PyTorch" folder through its public API: its files and shapes, batches that
//! are the run's own, the notices and the errors (the worker's zip of it: `crates/worker/tests/pytorch_zip.rs`). (The folder is replayed in NumPy by
//! `tests/pytorch/check_export.py` and trained in PyTorch by `make check-pytorch`.)

use gradlab_engine::model::OwnData;
use gradlab_engine::{TrainConfig, TrainParams, Trainer};
use gradlab_protocol::link::from_query;
use gradlab_protocol::pytorch::{folder_name, pytorch_folder, ExportFile, PytorchError, MAX_STEPS};
use serde_json::Value;

fn config(query: &str) -> TrainConfig {
    let opened = from_query(query, &TrainParams::default());
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    opened.config
}

fn file<'a>(files: &'a [ExportFile], path: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} missing"))
        .bytes
}

fn json(files: &[ExportFile], path: &str) -> Value {
    serde_json::from_slice(file(files, path)).expect("valid JSON")
}

/// `(shape, values)` of an `.npy` file, which must hold float32.
fn npy(files: &[ExportFile], path: &str) -> (Vec<u64>, Vec<f32>) {
    let array = npyz::NpyFile::new(file(files, path)).expect("an .npy file");
    let shape = array.shape().to_vec();
    (shape, array.into_vec::<f32>().expect("float32"))
}

/// An MLP with LayerNorm: one `.npy` per tensor named as config.json says, in gradlab's
/// row-vector shapes, and batches stacked step first.
#[test]
fn mlp_folder_names_and_shapes() {
    let config = config("depth=3&width=8&layer-norm=on&batch=5&dataset=spiral");
    let files = pytorch_folder(&config, &OwnData::default(), 4).unwrap();
    let manifest = json(&files, "config.json");
    assert_eq!(manifest["format"], "gradlab-pytorch/1");
    assert_eq!(manifest["model"], "mlp");
    assert_eq!(manifest["steps"], 4);
    let names: Vec<&str> = manifest["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "layer1.W",
            "layer1.b",
            "layer2.W",
            "layer2.b",
            "layer3.W",
            "layer3.b",
            "layer4.W",
            "layer4.b",
            "ln1.gamma",
            "ln1.beta",
            "ln2.gamma",
            "ln2.beta",
            "ln3.gamma",
            "ln3.beta"
        ]
    );
    // W: [fan_in, fan_out] (y = x·W + b); the spiral's points have 2 features.
    assert_eq!(npy(&files, "init/layer1.W.npy").0, [2, 8]);
    assert_eq!(npy(&files, "init/layer4.W.npy").0, [8, 1]);
    let (gain_shape, gain) = npy(&files, "init/ln2.gamma.npy");
    assert_eq!((gain_shape, gain), (vec![8], vec![1.0; 8]));
    assert_eq!(npy(&files, "data/x.npy").0, [4, 5, 2]);
    assert_eq!(npy(&files, "data/y.npy").0, [4, 5, 1]);
    assert_eq!(manifest["x_shape"], serde_json::json!([4, 5, 2]));
    let logged = json(&files, "gradlab.json");
    assert_eq!(logged["steps"].as_array().unwrap().len(), 4);
    assert!(file(&files, "run.py").starts_with(b"#!/usr/bin/env python3"));
}

/// The weights and batches are the run's own: a fresh trainer with the same settings draws the
/// same initial weights and the same first two batches, and logs the same first loss.
#[test]
fn folder_holds_the_runs_own_weights_and_batches() {
    let config = config("model=rnn&cell=lstm&task=language&seq-len=7&hidden=6&readout=all&batch=3");
    let files = pytorch_folder(&config, &OwnData::default(), 2).unwrap();
    let mut trainer = Trainer::new(config);
    let w_x = trainer.network().groups()[0].w.clone();
    let (shape, values) = npy(&files, "init/W_x.npy");
    assert_eq!(shape, [29, 24]);
    assert_eq!(values, w_x.iter().copied().collect::<Vec<_>>());
    let (x_shape, xs) = npy(&files, "data/x.npy");
    let (y_shape, ys) = npy(&files, "data/y.npy");
    // Time-major [N, T, n, d]; the language model's targets are class indices, [N, T, n, 1].
    assert_eq!(x_shape, [2, 7, 3, 29]);
    assert_eq!(y_shape, [2, 7, 3, 1]);
    let step_x = 7 * 3 * 29;
    let step_y = 7 * 3;
    for step in 0..2 {
        let (stats, trace) = trainer.step_traced().unwrap();
        assert_eq!(
            &xs[step * step_x..(step + 1) * step_x],
            trace.x.iter().copied().collect::<Vec<_>>()
        );
        assert_eq!(
            &ys[step * step_y..(step + 1) * step_y],
            trace.y.iter().copied().collect::<Vec<_>>()
        );
        let logged = &json(&files, "gradlab.json")["steps"][step];
        assert_eq!(logged["loss"].as_f64().unwrap(), stats.loss);
        assert_eq!(logged["global_norm"].as_f64().unwrap(), stats.global_norm);
    }
    assert_eq!(json(&files, "config.json")["loss"], "cross-entropy");
}

/// Where torch differs, the folder says how run.py bridges it; reduced precision is the one
/// setting whose steps are not held to the tolerance.
#[test]
fn notices_name_each_difference() {
    let notices = |query: &str| -> Vec<(bool, String)> {
        json(
            &pytorch_folder(&config(query), &OwnData::default(), 1).unwrap(),
            "config.json",
        )["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["held"].as_bool().unwrap(),
                    n["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(notices("depth=2").is_empty());
    let gru = notices("model=rnn&cell=gru&seq-len=5&clip-mode=backward&optimizer=adamw");
    for key in ["cell=gru", "clip-mode=backward", "optimizer=adamw"] {
        assert!(
            gru.iter().any(|(held, t)| *held && t.starts_with(key)),
            "{key}: {gru:?}"
        );
    }
    let f16 = notices("depth=2&precision=f16&loss-scale=dynamic");
    assert!(f16
        .iter()
        .any(|(held, t)| !held && t.starts_with("precision=f16")));
    assert!(f16
        .iter()
        .any(|(held, t)| *held && t.starts_with("loss-scale=dynamic")));
    let readme = pytorch_folder(
        &config("model=rnn&cell=gru&seq-len=5"),
        &OwnData::default(),
        1,
    )
    .unwrap();
    let readme = String::from_utf8(file(&readme, "README.txt").to_vec()).unwrap();
    assert!(readme.contains("reset_after=False") && readme.contains("?model=rnn"));
    assert_eq!(
        folder_name(&config("model=rnn&cell=gru&seed=7")),
        "gradlab-pytorch-gru-seed7"
    );
}

/// A Transformer's folder: its groups' tensors under their names (a weight and a bias as
/// `.W` and `.b`, embed and pos and each LayerNorm's vector alone), time-major batches of the
/// context's length, and the notice that says how run.py builds it. (check-pytorch trains it
/// again in torch.)
#[test]
fn a_transformer_folder_names_its_groups_and_batches() {
    let config = config(
        "model=transformer&task=language&readout=all&layers=1&d-model=16&heads=2&context=8&batch=3",
    );
    let files = pytorch_folder(&config, &OwnData::default(), 2).unwrap();
    let manifest = json(&files, "config.json");
    assert_eq!(manifest["model"], "transformer");
    let tensors: Vec<(String, String)> = manifest["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["part"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("embed", "W"),
        ("pos", "W"),
        ("L0.attn.qkv.W", "W"),
        ("L0.attn.qkv.b", "b"),
        ("L0.attn.out.W", "W"),
        ("L0.attn.out.b", "b"),
        ("L0.ln1", "b"),
        ("L0.mlp.in.W", "W"),
        ("L0.mlp.in.b", "b"),
        ("L0.mlp.out.W", "W"),
        ("L0.mlp.out.b", "b"),
        ("L0.ln2", "b"),
        ("ln_f", "b"),
        ("readout.W", "W"),
        ("readout.b", "b"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, p)| (n.to_string(), p.to_string()))
        .collect();
    assert_eq!(tensors, expected);
    assert_eq!(npy(&files, "init/L0.ln1.npy").0, vec![32]);
    assert_eq!(npy(&files, "data/x.npy").0, vec![2, 8, 3, 29]);
    assert_eq!(npy(&files, "data/y.npy").0, vec![2, 8, 3, 1]);
    let notices = manifest["notices"].as_array().unwrap();
    assert!(notices.iter().any(|n| n["held"] == true
        && n["text"]
            .as_str()
            .unwrap()
            .starts_with("model=transformer (norm=pre)")));
    assert_eq!(
        folder_name(&config),
        "gradlab-pytorch-transformer-pre-seed1"
    );
}

/// A run that diverges ends its folder at the last finite step, and says so.
#[test]
fn a_diverging_run_stops_the_folder_early() {
    let config = config("depth=20&activation=relu&weight-scale=4&lr=1");
    let files = pytorch_folder(&config, &OwnData::default(), 30).unwrap();
    let manifest = json(&files, "config.json");
    let kept = manifest["steps"].as_u64().unwrap();
    assert!(kept < 30, "{kept}");
    assert!(manifest["stopped"].is_string());
    assert_eq!(npy(&files, "data/x.npy").0[0], kept);
    for row in json(&files, "gradlab.json")["steps"].as_array().unwrap() {
        assert!(row["loss"].is_f64() && row["global_norm"].is_f64(), "{row}");
    }
}

/// Bad requests are errors that say what to change, never a panic or a huge allocation.
#[test]
fn too_many_steps_or_bytes_are_refused() {
    let small = config("depth=2");
    assert_eq!(
        pytorch_folder(&small, &OwnData::default(), 0),
        Err(PytorchError::Steps(0))
    );
    assert_eq!(
        pytorch_folder(&small, &OwnData::default(), MAX_STEPS + 1),
        Err(PytorchError::Steps(MAX_STEPS + 1))
    );
    // 1000 steps of 256 language sequences of 400 characters: gigabytes of one-hot input.
    let huge = config("model=rnn&task=language&seq-len=400&batch=256");
    let error = pytorch_folder(&huge, &OwnData::default(), MAX_STEPS).unwrap_err();
    assert!(matches!(error, PytorchError::TooLarge { .. }));
    assert!(error.to_string().contains("fewer steps"), "{error}");
}
