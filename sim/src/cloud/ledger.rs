//! The bill: every [`Charge`] a simulated cloud books, in integer micro-dollars, and the
//! billing arithmetic (granularity, minimum, rounding to micro-dollars).
//!
//! A charge is booked when an amount becomes known: an instance's usage when it stops (or its
//! rate changes, or the ledger is closed), a reservation's hours when it ends or is cancelled
//! (or at close), a capacity block's price when it is bought, a commitment's hours at close or
//! at the end of its term, egress when it is charged. Each amount is computed in f64 dollars
//! and rounded once, at booking, to the nearest micro-dollar ([`Money::from_usd`]); totals are
//! integer sums, so they do not depend on the order of addition.

use engine::cloud::{Billing, Cloud, DiscountKind, LaunchOption, OfferIx, ProductKind, RegionIx};
use engine::ids::{InstanceId, ReservationId};
use engine::time::MICROS_PER_SEC;
use engine::{Money, SimTime};
use serde::{Deserialize, Serialize};

/// What a charge is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Running time of an instance, at the price of `option` (an instance left running after
    /// its reservation ended is billed as `OnDemand`, with the reservation named).
    Usage {
        /// How the time was paid for.
        option: LaunchOption,
    },
    /// Hours of a reservation, used or not (including any minimum commitment still owed).
    Reservation {
        /// Which product.
        product: ProductKind,
    },
    /// A reservation paid in full when bought (capacity blocks).
    Upfront {
        /// Which product.
        product: ProductKind,
    },
    /// Hours of a billing-only discount commitment, used or not.
    Commitment {
        /// Which discount family.
        discount: DiscountKind,
    },
    /// Data transfer out of a region.
    Egress,
}

/// One booked amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// When it was booked.
    pub at: SimTime,
    /// Which provider.
    pub cloud: Cloud,
    /// The region it was incurred in (for egress, the region the data left).
    pub region: RegionIx,
    /// The offer, when the charge is for one (not egress).
    pub offer: Option<OfferIx>,
    /// What for.
    pub kind: ChargeKind,
    /// The instance, for usage.
    pub instance: Option<InstanceId>,
    /// The reservation, for reservation charges and for usage after a reservation ended.
    pub reservation: Option<ReservationId>,
    /// How much; never negative.
    pub amount: Money,
}

/// Every charge of one provider, in booking order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    charges: Vec<Charge>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Books `charge`; zero amounts are not recorded.
    pub fn book(&mut self, charge: Charge) {
        if charge.amount != Money::ZERO {
            self.charges.push(charge);
        }
    }

    /// Every charge, in booking order.
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// The sum of every charge.
    pub fn total(&self) -> Money {
        self.charges.iter().map(|c| c.amount).sum()
    }
}

/// Dollars to micro-dollars at booking: rounded to the nearest micro-dollar; negative,
/// non-finite or absurd amounts (over a trillion dollars) cannot arise from a validated catalog
/// and are clamped into `[0, 10¹²]` so that a booking never panics.
pub fn book_usd(usd: f64) -> Money {
    let usd = if usd.is_finite() { usd.clamp(0.0, 1e12) } else { 0.0 };
    Money::from_usd(usd).unwrap_or(Money::ZERO)
}

/// The running time billed for an instance that ran `life_us` microseconds: rounded up to a
/// multiple of the granularity, and at least the minimum.
pub fn billed_micros(life_us: u64, billing: Billing) -> u64 {
    let g = billing.granularity_s.max(1).saturating_mul(MICROS_PER_SEC);
    let rounded = life_us.div_ceil(g).saturating_mul(g);
    rounded.max(billing.minimum_s.saturating_mul(MICROS_PER_SEC))
}

/// `usd_per_hour` for `micros` microseconds, in dollars.
pub fn usd_for(usd_per_hour: f64, micros: u64) -> f64 {
    usd_per_hour * micros as f64 / (3600.0 * MICROS_PER_SEC as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS: Billing = Billing { granularity_s: 1, minimum_s: 60 };

    #[test]
    fn granularity_and_minimum() {
        // Per-second with a 60 s minimum: 61 s → 61 s; 30 s → 60 s; 60.2 s → 61 s.
        assert_eq!(billed_micros(61_000_000, AWS), 61_000_000);
        assert_eq!(billed_micros(30_000_000, AWS), 60_000_000);
        assert_eq!(billed_micros(60_200_000, AWS), 61_000_000);
        // Per-minute with no minimum: 61 s → 120 s; 0 s → 0 s.
        let per_minute = Billing { granularity_s: 60, minimum_s: 0 };
        assert_eq!(billed_micros(61_000_000, per_minute), 120_000_000);
        assert_eq!(billed_micros(0, per_minute), 0);
    }

    #[test]
    fn booking_rounds_to_micro_dollars_and_never_goes_negative() {
        // $0.17/h for 61 s = 0.17 × 61 / 3600 = $0.00288055… → 2,881 µ$.
        assert_eq!(book_usd(usd_for(0.17, 61_000_000)), Money(2_881));
        assert_eq!(book_usd(-1.0), Money::ZERO);
        assert_eq!(book_usd(f64::NAN), Money::ZERO);
        let mut ledger = Ledger::new();
        ledger.book(Charge {
            at: SimTime(0),
            cloud: Cloud::Aws,
            region: RegionIx(0),
            offer: None,
            kind: ChargeKind::Egress,
            instance: None,
            reservation: None,
            amount: Money::ZERO,
        });
        assert!(ledger.charges().is_empty(), "zero charges are not recorded");
    }
}
