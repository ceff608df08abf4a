//! Money in accounts: integer micro-dollars, so that sums never depend on the order of addition.
//!
//! Prices are quoted as floats per hour in catalogs; they become [`Money`] at the moment a charge
//! is booked, rounded to the nearest micro-dollar ([`Money::from_usd`]). Floats are used only
//! inside models and the solver (DESIGN §3).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// Micro-dollars in one US dollar.
pub const MICROS_PER_USD: i64 = 1_000_000;

/// An amount of US dollars, in integer micro-dollars. May be negative (credits, refunds).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Money(pub i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// The amount nearest to `usd` dollars (half a micro-dollar rounds away from zero), or
    /// `None` for NaN, infinities and amounts beyond ±9.2 trillion dollars.
    pub fn from_usd(usd: f64) -> Option<Money> {
        let micros = (usd * MICROS_PER_USD as f64).round();
        (micros.is_finite() && micros.abs() < i64::MAX as f64).then_some(Money(micros as i64))
    }

    /// Dollars as a float, for reports.
    pub fn as_usd(self) -> f64 {
        self.0 as f64 / MICROS_PER_USD as f64
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0.checked_add(other.0).expect("Money overflow"))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0.checked_sub(other.0).expect("Money overflow"))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    /// Dollars with six decimals, e.g. `$1.250000` or `-$0.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = MICROS_PER_USD as u64;
        write!(f, "{sign}${}.{:06}", abs / per, abs % per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_round_to_micro_dollars() {
        // 0.0960 $/h for 90 s is 0.0024 $ = 2400 micro-dollars.
        assert_eq!(Money::from_usd(0.0960 * 90.0 / 3600.0), Some(Money(2_400)));
        assert_eq!(Money::from_usd(f64::NAN), None);
        assert_eq!(Money(1_250_000).to_string(), "$1.250000");
        assert_eq!(Money(-1).to_string(), "-$0.000001");
        assert_eq!([Money(1), Money(2)].into_iter().sum::<Money>(), Money(3));
    }
}
