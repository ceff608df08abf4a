//! The discrete-event core, domain-agnostic: it knows nothing of jobs, clouds or money.
//!
//! - [`queue`]: the event queue and its ordering rule, `(time, insertion sequence)`;
//! - [`rng`]: named random streams derived from the scenario seed;
//! - [`log`]: the event log's running digest, compared by determinism tests.

pub mod log;
pub mod queue;
pub mod rng;

pub use log::EventLog;
pub use queue::EventQueue;
pub use rng::RngStreams;
