//! What gradlab's page, its worker and its headless runner share, with no web crate in sight.
//!
//! - [`messages`] (re-exported here): the only types that cross the worker boundary —
//!   [`Command`] in, [`Event`] out, postcard bytes.
//! - [`pacing`]: the page's side of the pull-based pacing of those messages ([`pacing::Pacer`]).
//! - [`link`]: a run as an address (`to_query` / `from_query`), the same keys as the runner's flags.
//! - [`lesson`]: the lesson file format and its checks.
//! - [`compare`]: what run B changes relative to run A ([`compare::Variant`]).
//! - [`export`]: every step's numbers ([`export::RunLog`]) and the CSV/JSON downloads.

pub mod compare;
pub mod export;
pub mod lesson;
pub mod link;
pub mod messages;
pub mod pacing;

pub use messages::*;
