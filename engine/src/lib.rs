//! shardcast's decision code, shared verbatim by the simulator and live mode.
//!
//! The engine is *sans-IO*: it never reads a clock, never does I/O and never owns a global
//! random number generator. Every call that depends on time takes `now: SimTime` as an
//! argument, and decisions are returned as data. The simulator (`sim`) and the live driver
//! differ only in where `now` comes from and who carries the decisions out.
//!
//! This crate holds, so far, the vocabulary every other part speaks:
//! - [`time`]: [`SimTime`] (integer microseconds since the Unix epoch) and [`SimDuration`];
//! - [`money`]: [`Money`], integer micro-dollars;
//! - [`ids`]: newtype ids ([`JobId`], [`QueueId`], [`UserId`]);
//! - [`job`]: the [`Job`] a trace replays and the [`Resources`] it asks for;
//! - [`broker`]: carries reservation and launch intents out through the provider port;
//! - [`cloud`]: the price catalog (providers, regions, instance types, offers, products);
//! - [`controller`]: the sans-IO controller: windows, shards, routing, scaling, requeues;
//! - `planner` (feature `planner`): the Sharding Manager's MILP (good_lp + HiGHS):
//!   reservations, queue map, oracle;
//! - [`policy`]: what to reserve and scale (the baselines: on-demand, static reservation);
//! - [`forecast`]: demand series from jobs, baseline forecasters and accuracy metrics;
//! - [`shard`]: a shard's local scheduler (FIFO, EASY backfill, multi-node jobs) over [`Capacity`].

pub mod broker;
pub mod cloud;
pub mod controller;
pub mod fabric;
pub mod forecast;
pub mod ids;
pub mod job;
pub mod money;
#[cfg(feature = "planner")]
pub mod planner;
pub mod policy;
pub mod rebalancer;
pub mod router;
pub mod shard;
pub mod time;

pub use ids::{InstanceId, JobId, QueueId, RequestId, ReservationId, ShardId, UserId};
pub use job::{GpuKind, Job, JobStatus, Resources};
pub use money::Money;
pub use shard::Capacity;
pub use time::{SimDuration, SimTime};
