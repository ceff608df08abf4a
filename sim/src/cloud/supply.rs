//! Supply accounting for one pool (one offer: a region and an instance type).
//!
//! A pool has `capacity` slots. What draws on them:
//!
//! - **committed** slots: running on-demand instances (and instances left running after their
//!   reservation ended), counted as held from now on, open-ended; plus every accepted
//!   reservation (`scheduled`, `delayed` or `active`), held over `[start, end)`. Instances
//!   launched into a reservation use its slots, not new ones.
//! - **spot** slots: running spot instances not yet under a reclaim notice. They use what is
//!   free *now* and are reclaimed (notice, then termination) when committed demand needs the
//!   slots.
//!
//! The rules: a reservation is accepted when the peak of committed slots over its interval
//! plus its count fits; an on-demand launch when the peak over `[now, ∞)` plus its count fits
//! (so an on-demand launch never breaks a promise made to a scheduled reservation); a spot
//! launch when committed slots now, running spot and its count fit. So committed demand never
//! exceeds capacity, except transiently when instances outlive a reservation that ended and
//! keep running on demand.

use std::collections::BTreeMap;

use engine::SimTime;
use engine::ids::ReservationId;

/// One reservation's hold on a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hold {
    start: SimTime,
    end: SimTime,
    count: u32,
}

/// The slots of one pool.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pool {
    pub(crate) capacity: u32,
    /// Running instances that hold slots of their own, open-ended (on-demand, and instances
    /// outliving their reservation).
    pub(crate) open_ended: u32,
    /// Running spot instances not under a reclaim notice.
    pub(crate) spot: u32,
    holds: BTreeMap<ReservationId, Hold>,
}

impl Pool {
    pub(crate) fn new(capacity: u32) -> Pool {
        Pool { capacity, ..Pool::default() }
    }

    /// Committed slots at `t`.
    pub(crate) fn committed_at(&self, t: SimTime) -> u64 {
        let held: u64 = self
            .holds
            .values()
            .filter(|h| h.start <= t && t < h.end)
            .map(|h| u64::from(h.count))
            .sum();
        u64::from(self.open_ended) + held
    }

    /// The peak of committed slots over `[from, to)` (`to = SimTime::MAX` for open-ended).
    /// Holds only change at their starts and ends, so the peak is at `from` or at a start.
    pub(crate) fn peak(&self, from: SimTime, to: SimTime) -> u64 {
        std::iter::once(from)
            .chain(self.holds.values().map(|h| h.start).filter(|s| from < *s && *s < to))
            .map(|t| self.committed_at(t))
            .max()
            .unwrap_or(0)
    }

    /// Whether `count` more slots can be promised over `[from, to)`.
    pub(crate) fn can_commit(&self, from: SimTime, to: SimTime, count: u32) -> bool {
        self.peak(from, to) + u64::from(count) <= u64::from(self.capacity)
    }

    /// Whether `count` more spot instances fit now.
    pub(crate) fn can_spot(&self, now: SimTime, count: u32) -> bool {
        self.committed_at(now) + u64::from(self.spot) + u64::from(count) <= u64::from(self.capacity)
    }

    /// How many spot instances must go so that committed demand and spot fit now.
    pub(crate) fn spot_excess(&self, now: SimTime) -> u32 {
        let used = self.committed_at(now) + u64::from(self.spot);
        let over = used.saturating_sub(u64::from(self.capacity));
        u32::try_from(over.min(u64::from(self.spot))).unwrap_or(self.spot)
    }

    pub(crate) fn hold(&mut self, id: ReservationId, start: SimTime, end: SimTime, count: u32) {
        self.holds.insert(id, Hold { start, end, count });
    }

    pub(crate) fn release(&mut self, id: ReservationId) {
        self.holds.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u64) -> SimTime {
        SimTime::from_secs(h * 3600)
    }

    #[test]
    fn peaks_count_overlapping_holds_and_open_ended_instances() {
        // Capacity 10; 2 on-demand; holds of 3 over [1, 5) h and 4 over [3, 8) h.
        let mut pool = Pool::new(10);
        pool.open_ended = 2;
        pool.hold(ReservationId(1), t(1), t(5), 3);
        pool.hold(ReservationId(2), t(3), t(8), 4);
        // At 0 h: 2. Over [0, 2) h: peak 2 + 3 = 5. Over [0, ∞): 2 + 3 + 4 = 9 at 3 h.
        assert_eq!(pool.committed_at(t(0)), 2);
        assert_eq!(pool.peak(t(0), t(2)), 5);
        assert_eq!(pool.peak(t(0), SimTime::MAX), 9);
        // At 5 h the first hold is over: 2 + 4 = 6.
        assert_eq!(pool.peak(t(5), SimTime::MAX), 6);
        // One more fits forever (9 + 1 = 10); two do not.
        assert!(pool.can_commit(t(0), SimTime::MAX, 1));
        assert!(!pool.can_commit(t(0), SimTime::MAX, 2));
        // But two fit over [5, 8) h: 6 + 2 = 8 ≤ 10.
        assert!(pool.can_commit(t(5), t(8), 2));
    }

    #[test]
    fn spot_uses_what_is_free_now_and_is_reclaimed_first() {
        // Capacity 4, a hold of 3 from 1 h: at 0 h all 4 slots are free for spot.
        let mut pool = Pool::new(4);
        pool.hold(ReservationId(1), t(1), t(2), 3);
        assert!(pool.can_spot(t(0), 4));
        pool.spot = 4;
        assert_eq!(pool.spot_excess(t(0)), 0);
        // At 1 h the hold needs 3: 3 + 4 − 4 = 3 spot instances must go.
        assert_eq!(pool.spot_excess(t(1)), 3);
        pool.release(ReservationId(1));
        assert_eq!(pool.spot_excess(t(1)), 0);
    }
}
