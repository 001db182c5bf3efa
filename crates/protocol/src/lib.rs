//! What gradlab's page, its worker and its headless runner share, with no web crate in sight.
//!
//! - [`messages`] (re-exported here): the only types that cross the worker boundary —
//!   [`Command`] in, [`Event`] out, postcard bytes.
//! - [`pacing`]: the page's side of the pull-based pacing of those messages ([`pacing::Pacer`]).
//! - [`link`]: a run as an address (`to_query` / `from_query`), the same keys as the runner's flags.
//! - [`lesson`]: the lesson file format and its checks.
//! - [`compare`]: what run B changes relative to run A ([`compare::Variant`]).
//! - [`tile_schedule`]: which map worker computes which tile, and what a failed worker costs.
//! - [`run_log`]: every step's numbers, bounded ([`run_log::RunLog`]); [`export`]: the CSV/JSON downloads.

pub mod compare;
pub mod export;
pub mod lesson;
pub mod link;
pub mod messages;
pub mod pacing;
pub mod pytorch;
pub mod run_log;
pub mod tile_schedule;

pub use messages::*;
