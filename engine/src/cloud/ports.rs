//! The seam between decisions and clouds: the [`Provider`] port, the [`CloudAction`]s sent
//! through it and the [`Observation`]s that come back.
//!
//! A provider is one cloud (AWS, Azure or GCP) as the engine sees it. The simulator implements
//! the port with seeded supply, prices and faults (`sim::cloud`); live mode implements it with
//! the real SDKs. Both are driven the same way:
//!
//! 1. [`Provider::execute`] takes an action at `now`. It fails only when the request itself is
//!    malformed (an offer of another cloud, an unknown reservation); refusals a real API gives
//!    (no capacity, `unsupported`, not cancellable) come back as observations, because live
//!    clouds answer many of them asynchronously.
//! 2. [`Provider::next_due`] says when the provider next has something to report, and
//!    [`Provider::poll`] returns everything due at or before `now`, in the order it happened.
//!
//! Every request carries a [`RequestId`]. A provider answers a repeated request id with the
//! first answer and never buys twice: retries are safe.

use serde::{Deserialize, Serialize};

use super::catalog::{Cloud, OfferIx, ProductKind};
use super::reservation::ReservationState;
use crate::ids::{InstanceId, RequestId, ReservationId};
use crate::time::{SimDuration, SimTime};

/// How an instance is paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchOption {
    /// On-demand, at the on-demand price (less any billing discount that covers it).
    OnDemand,
    /// Spot: the spot price; may be interrupted after a notice.
    Spot,
    /// Into a reservation's held capacity: the reservation is already paid for.
    Reserved(ReservationId),
}

impl LaunchOption {
    /// The name used in reports: `on_demand`, `spot` or `reserved`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LaunchOption::OnDemand => "on_demand",
            LaunchOption::Spot => "spot",
            LaunchOption::Reserved(_) => "reserved",
        }
    }
}

/// A request to reserve capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReserveRequest {
    /// Idempotency key.
    pub request: RequestId,
    /// What to reserve.
    pub offer: OfferIx,
    /// Which product.
    pub product: ProductKind,
    /// How many instances.
    pub count: u32,
    /// When the capacity is wanted from.
    pub start: SimTime,
    /// For how long.
    pub duration: SimDuration,
}

/// A request to start instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchRequest {
    /// Idempotency key.
    pub request: RequestId,
    /// What to launch.
    pub offer: OfferIx,
    /// How to pay.
    pub option: LaunchOption,
    /// How many instances.
    pub count: u32,
}

/// A request to buy a billing-only discount commitment: `count` instances of `offer` paid at
/// the discounted rate for the discount's term, used or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitRequest {
    /// Idempotency key.
    pub request: RequestId,
    /// Which offer it covers.
    pub offer: OfferIx,
    /// The discount's name in the catalog.
    pub discount: String,
    /// Instances covered.
    pub count: u32,
}

/// What the engine asks a provider to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CloudAction {
    /// Reserve capacity.
    Reserve(ReserveRequest),
    /// Cancel a reservation (refused as an observation when its terms forbid it).
    Cancel {
        /// Idempotency key.
        request: RequestId,
        /// Which reservation.
        reservation: ReservationId,
    },
    /// Start instances.
    Launch(LaunchRequest),
    /// Stop an instance; billing stops (after the provider's minimum).
    Terminate {
        /// Idempotency key.
        request: RequestId,
        /// Which instance.
        instance: InstanceId,
    },
    /// Buy a billing-only discount.
    Commit(CommitRequest),
}

impl CloudAction {
    /// The idempotency key.
    pub fn request(&self) -> RequestId {
        match self {
            CloudAction::Reserve(r) => r.request,
            CloudAction::Launch(l) => l.request,
            CloudAction::Commit(c) => c.request,
            CloudAction::Cancel { request, .. } | CloudAction::Terminate { request, .. } => {
                *request
            }
        }
    }
}

/// Why a provider said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Not enough capacity of that type in that region (`InsufficientInstanceCapacity`,
    /// `ZONE_RESOURCE_POOL_EXHAUSTED`, `AllocationFailed`).
    InsufficientCapacity,
    /// Over the account's quota.
    QuotaExceeded,
    /// The assessment found it cannot be delivered (AWS `unsupported`).
    Unsupported,
    /// The provider does not sell that product, or not for that instance type.
    NotOffered,
    /// The start is too soon or too far ahead for the product.
    LeadTime,
    /// The duration or count is not one the product sells.
    Terms,
    /// The reservation's terms forbid cancelling it now.
    NotCancellable,
    /// The reservation is not active (launch into it), or already ended (cancel it).
    ReservationNotUsable,
    /// The reservation's held capacity is all in use.
    ReservationFull,
    /// The region's control plane is down: acquisitions fail, running work continues.
    ControlPlaneOutage,
}

impl Refusal {
    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::InsufficientCapacity => "insufficient_capacity",
            Refusal::QuotaExceeded => "quota_exceeded",
            Refusal::Unsupported => "unsupported",
            Refusal::NotOffered => "not_offered",
            Refusal::LeadTime => "lead_time",
            Refusal::Terms => "terms",
            Refusal::NotCancellable => "not_cancellable",
            Refusal::ReservationNotUsable => "reservation_not_usable",
            Refusal::ReservationFull => "reservation_full",
            Refusal::ControlPlaneOutage => "control_plane_outage",
        }
    }
}

/// Why an instance stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationReason {
    /// The engine asked.
    Requested,
    /// Spot capacity was reclaimed (after the notice).
    SpotInterruption,
    /// Its reservation ended (a capacity block's instances go before the end).
    ReservationEnded,
    /// The instance failed.
    Failure,
}

impl TerminationReason {
    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            TerminationReason::Requested => "requested",
            TerminationReason::SpotInterruption => "spot_interruption",
            TerminationReason::ReservationEnded => "reservation_ended",
            TerminationReason::Failure => "failure",
        }
    }
}

/// Something a provider reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Observation {
    /// A reservation changed state (the first report of a request names its reservation id).
    Reservation {
        /// The request that created it.
        request: RequestId,
        /// Its id.
        reservation: ReservationId,
        /// Its new state.
        state: ReservationState,
        /// Why, for `declined` and `unsupported`.
        refusal: Option<Refusal>,
    },
    /// A request was refused outright.
    Refused {
        /// The request.
        request: RequestId,
        /// Why.
        refusal: Refusal,
    },
    /// An instance was launched; it is usable from `ready_at` (after booting).
    Launched {
        /// The launch request.
        request: RequestId,
        /// Its id.
        instance: InstanceId,
        /// What it is.
        offer: OfferIx,
        /// How it is paid.
        option: LaunchOption,
        /// When it has booted.
        ready_at: SimTime,
    },
    /// An instance finished booting.
    Ready {
        /// Which.
        instance: InstanceId,
    },
    /// An instance will be taken away at `at` (spot notice, capacity block end).
    Notice {
        /// Which.
        instance: InstanceId,
        /// When it goes.
        at: SimTime,
        /// Why.
        reason: TerminationReason,
    },
    /// An instance is gone.
    Terminated {
        /// Which.
        instance: InstanceId,
        /// Why.
        reason: TerminationReason,
    },
    /// A discount commitment was bought.
    Committed {
        /// The request.
        request: RequestId,
    },
}

/// An observation and when it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// When.
    pub at: SimTime,
    /// Which provider.
    pub cloud: Cloud,
    /// What.
    pub observation: Observation,
}

/// A malformed request: a bug in the caller, not a refusal by the cloud.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The offer is not in the provider's catalog, or belongs to another cloud.
    #[error("{cloud}: offer {offer:?} is not one of this provider's offers")]
    UnknownOffer {
        /// The provider.
        cloud: Cloud,
        /// The offer.
        offer: OfferIx,
    },
    /// No such instance.
    #[error("{cloud}: unknown instance {instance}")]
    UnknownInstance {
        /// The provider.
        cloud: Cloud,
        /// The instance.
        instance: InstanceId,
    },
    /// No such reservation.
    #[error("{cloud}: unknown reservation {reservation}")]
    UnknownReservation {
        /// The provider.
        cloud: Cloud,
        /// The reservation.
        reservation: ReservationId,
    },
    /// A field out of range (zero count, zero duration, a discount the provider does not sell).
    #[error("{cloud}: invalid request {request}: {what}")]
    InvalidRequest {
        /// The provider.
        cloud: Cloud,
        /// The request.
        request: RequestId,
        /// What is wrong.
        what: String,
    },
    /// Time went backwards: `now` is before a time already seen.
    #[error("{cloud}: time went backwards to {now} after {seen}")]
    TimeWentBackwards {
        /// The provider.
        cloud: Cloud,
        /// The `now` given.
        now: SimTime,
        /// The latest time already seen.
        seen: SimTime,
    },
}

/// One cloud, as the engine drives it (see the module docs).
pub trait Provider {
    /// Which cloud this is.
    fn cloud(&self) -> Cloud;

    /// Carries out `action` at `now`. Refusals come back from [`Provider::poll`].
    fn execute(&mut self, now: SimTime, action: &CloudAction) -> Result<(), ProviderError>;

    /// Everything that happened at or before `now` and was not yet reported, in order.
    fn poll(&mut self, now: SimTime) -> Vec<Observed>;

    /// When the provider next has something to report, if ever.
    fn next_due(&self) -> Option<SimTime>;

    /// The current spot price of `offer`, USD per instance-hour, if spot is sold there.
    fn spot_price(&self, now: SimTime, offer: OfferIx) -> Option<f64>;
}
