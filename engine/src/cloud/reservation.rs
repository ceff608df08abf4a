//! The one reservation state machine every provider follows (`cloud-products.md` §1.3):
//!
//! ```text
//! requested ─► assessing ─┬─► scheduled ─┬─► active ─┬─► expired
//!                         │              │           └─► cancelled
//!                         │              ├─► delayed ─► active
//!                         │              └─► cancelled
//!                         ├─► unsupported
//!                         └─► declined
//! ```
//!
//! An on-demand capacity reservation passes through `assessing` and `scheduled` at the same
//! instant; a future-dated one spends the product's assessment time in `assessing` and its lead
//! time in `scheduled`. `delayed` is AWS's state for a future-dated reservation the provider
//! could not deliver on time (its commitment is waived). Whether a cancellation is allowed is
//! a product term ([`super::catalog::Cancellation`]), checked by the provider, not here: the
//! machine only says which transitions exist.

use serde::{Deserialize, Serialize};

/// Where a reservation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    /// Sent, not yet acknowledged.
    Requested,
    /// The provider is checking whether it can deliver.
    Assessing,
    /// Accepted; capacity is held from the start time.
    Scheduled,
    /// Accepted, but the provider cannot deliver at the start time (AWS `delayed`).
    Delayed,
    /// Capacity is held now.
    Active,
    /// Ended at its end time.
    Expired,
    /// Cancelled by the customer.
    Cancelled,
    /// Refused after assessment: the provider does not support it (AWS `unsupported`).
    Unsupported,
    /// Refused: no capacity, quota, or terms not met.
    Declined,
}

/// What moves a reservation from one state to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationEvent {
    /// The provider acknowledged the request.
    Acknowledge,
    /// Assessment passed.
    Schedule,
    /// Assessment failed: not supported.
    RejectUnsupported,
    /// Refused for capacity, quota or terms.
    Decline,
    /// The start time came and the capacity is not there.
    Delay,
    /// The start time came (or a delay ended) and the capacity is there.
    Activate,
    /// The end time came.
    Expire,
    /// The customer cancelled.
    Cancel,
}

/// A transition the machine does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("reservation in state {from:?} cannot take event {event:?}")]
pub struct InvalidTransition {
    /// The state it was in.
    pub from: ReservationState,
    /// The event refused.
    pub event: ReservationEvent,
}

impl ReservationState {
    /// The state after `event`, or the error if the machine has no such transition.
    pub fn next(self, event: ReservationEvent) -> Result<ReservationState, InvalidTransition> {
        use ReservationEvent as E;
        use ReservationState as S;
        let to = match (self, event) {
            (S::Requested, E::Acknowledge) => S::Assessing,
            (S::Requested | S::Assessing, E::Decline) => S::Declined,
            (S::Assessing, E::Schedule) => S::Scheduled,
            (S::Assessing, E::RejectUnsupported) => S::Unsupported,
            (S::Scheduled, E::Delay) => S::Delayed,
            (S::Scheduled | S::Delayed, E::Activate) => S::Active,
            (S::Scheduled | S::Delayed | S::Active, E::Cancel) => S::Cancelled,
            (S::Active | S::Delayed, E::Expire) => S::Expired,
            (from, event) => return Err(InvalidTransition { from, event }),
        };
        Ok(to)
    }

    /// No event leaves this state.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            ReservationState::Expired
                | ReservationState::Cancelled
                | ReservationState::Unsupported
                | ReservationState::Declined
        )
    }

    /// Instances may be launched into the reservation now.
    pub const fn is_usable(self) -> bool {
        matches!(self, ReservationState::Active)
    }

    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReservationState::Requested => "requested",
            ReservationState::Assessing => "assessing",
            ReservationState::Scheduled => "scheduled",
            ReservationState::Delayed => "delayed",
            ReservationState::Active => "active",
            ReservationState::Expired => "expired",
            ReservationState::Cancelled => "cancelled",
            ReservationState::Unsupported => "unsupported",
            ReservationState::Declined => "declined",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ReservationEvent as E;
    use super::ReservationState as S;

    const ALL_STATES: [S; 9] = [
        S::Requested,
        S::Assessing,
        S::Scheduled,
        S::Delayed,
        S::Active,
        S::Expired,
        S::Cancelled,
        S::Unsupported,
        S::Declined,
    ];
    const ALL_EVENTS: [E; 8] = [
        E::Acknowledge,
        E::Schedule,
        E::RejectUnsupported,
        E::Decline,
        E::Delay,
        E::Activate,
        E::Expire,
        E::Cancel,
    ];

    #[test]
    fn the_happy_path_of_a_future_reservation() {
        let mut s = S::Requested;
        for e in [E::Acknowledge, E::Schedule, E::Activate, E::Expire] {
            s = s.next(e).expect("valid");
        }
        assert_eq!(s, S::Expired);
    }

    #[test]
    fn refusals_and_delays() {
        assert_eq!(S::Assessing.next(E::RejectUnsupported), Ok(S::Unsupported));
        assert_eq!(S::Requested.next(E::Decline), Ok(S::Declined));
        assert_eq!(S::Scheduled.next(E::Delay).and_then(|s| s.next(E::Activate)), Ok(S::Active));
        assert!(S::Active.next(E::Schedule).is_err());
        assert!(S::Unsupported.next(E::Activate).is_err());
    }

    #[test]
    fn terminal_states_take_no_event() {
        // 9 states × 8 events = 72 pairs; exactly the 4 terminal states refuse all 8.
        for s in ALL_STATES {
            let accepted = ALL_EVENTS.iter().filter(|e| s.next(**e).is_ok()).count();
            assert_eq!(accepted == 0, s.is_terminal(), "{s:?}");
        }
    }
}
