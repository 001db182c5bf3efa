//! One run seed, split into independent random streams.
//!
//! The data set, the initial weights and the mini-batch order each draw from their own stream, so
//! changing the depth does not change the data, and changing the batch size does not change the
//! initial weights. Every stream is a seeded [`StdRng`]; the engine never touches an OS source.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// Which part of a run a random stream feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Generating the toy data set.
    Data,
    /// Drawing the initial weights and biases.
    Init,
    /// Choosing each step's mini-batch.
    Batches,
    /// Drawing a language model's live samples (never the training streams: when a sample is
    /// drawn must not change the run).
    Samples,
}

/// The generator for `stream` of the run seeded with `seed`.
pub fn stream_rng(seed: u64, stream: Stream) -> StdRng {
    // Distinct, well-mixed inputs per stream; seed_from_u64 expands them with PCG32.
    let salt: u64 = match stream {
        Stream::Data => 0x9E37_79B9_7F4A_7C15,
        Stream::Init => 0xC2B2_AE3D_27D4_EB4F,
        Stream::Batches => 0x1656_67B1_9E37_79F9,
        Stream::Samples => 0x27D4_EB2F_1656_67C5,
    };
    StdRng::seed_from_u64(seed.rotate_left(17) ^ salt)
}
