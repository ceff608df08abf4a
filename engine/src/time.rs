//! Simulated time: integer microseconds, so that event order never depends on float rounding.
//!
//! [`SimTime`] counts microseconds since the Unix epoch (1970-01-01T00:00:00Z), so calendar
//! features (hour of day, day of week) can be derived from it. Microseconds, not milliseconds:
//! the golden FIFO result (`shared/data/golden/`) matches to 6 decimals only at this resolution.
//! Traces whose times are relative (Alibaba) are placed at an origin chosen at import.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// A point in simulated time: microseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of simulated time in microseconds. Never negative.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The Unix epoch.
    pub const EPOCH: SimTime = SimTime(0);
    /// The latest representable time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.0 / MICROS_PER_SEC
    }

    /// Seconds since the epoch as a float, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// The time `from_secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime(secs * MICROS_PER_SEC)
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, or `None` on overflow.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(t) => Some(SimTime(t)),
            None => None,
        }
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs * MICROS_PER_SEC)
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> SimDuration {
        SimDuration(millis * 1_000)
    }

    /// A duration of `hours` hours.
    pub const fn from_hours(hours: u64) -> SimDuration {
        SimDuration(hours * 3_600 * MICROS_PER_SEC)
    }

    /// Microseconds in this span.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for reports and models only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// Whole seconds in this span, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.0 / MICROS_PER_SEC
    }

    /// The duration nearest to `secs` seconds, or `None` for a negative, NaN or overflowing value.
    ///
    /// Rounds to the nearest microsecond, so a float written in seconds by another tool comes
    /// back as the same integer every time.
    pub fn from_secs_f64(secs: f64) -> Option<SimDuration> {
        let micros = (secs * MICROS_PER_SEC as f64).round();
        (micros.is_finite() && micros >= 0.0 && micros < u64::MAX as f64)
            .then_some(SimDuration(micros as u64))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Panics on overflow, which would be an invariant break (times near `u64::MAX` are 584,000
    /// years away).
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.checked_add(d.0).expect("SimTime overflow"))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Panics if `earlier` is later than `self`; use [`SimTime::saturating_since`] when that
    /// can legitimately happen.
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.checked_sub(earlier.0).expect("SimTime subtraction went negative"))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(other.0).expect("SimDuration overflow"))
    }
}

impl fmt::Display for SimTime {
    /// Seconds since the epoch with microsecond precision, e.g. `12.000500s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / MICROS_PER_SEC, self.0 % MICROS_PER_SEC)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / MICROS_PER_SEC, self.0 % MICROS_PER_SEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_seconds_round_to_the_nearest_microsecond() {
        // 1.0200602872748 s is 1_020_060.287... µs, which rounds down to 1_020_060.
        assert_eq!(SimDuration::from_secs_f64(1.020060287274801), Some(SimDuration(1_020_060)));
        // 0.0000005 s is exactly half a microsecond; f64 rounding goes away from zero.
        assert_eq!(SimDuration::from_secs_f64(0.0000015), Some(SimDuration(2)));
        assert_eq!(SimDuration::from_secs_f64(-1.0), None);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), None);
        assert_eq!(SimDuration::from_secs_f64(f64::INFINITY), None);
    }

    #[test]
    fn arithmetic_and_display() {
        let t = SimTime::from_secs(12) + SimDuration(500);
        assert_eq!(t.to_string(), "12.000500s");
        assert_eq!(t - SimTime::from_secs(2), SimDuration(10_000_500));
        assert_eq!(SimTime::from_secs(1).saturating_since(t), SimDuration::ZERO);
        assert_eq!(SimDuration::from_hours(1), SimDuration::from_secs(3600));
    }
}
