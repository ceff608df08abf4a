//! Sharing a cloud run's bill between the jobs that used the capacity and the idle rest.
//!
//! The providers' ledgers say what was paid for what (an instance's usage, a reservation's
//! hours, a capacity block up front, a commitment, egress); this module says who used it.
//! A job pays, for every instance it ran on, its share of that instance's charges in
//! proportion to what it held and for how long:
//!
//! ```text
//! job's part = charges × (share × time the job held it) ÷ (1 × the instance's life)
//! ```
//!
//! where `share` is the job's part of the instance's GPUs on a GPU instance and of its vCPUs
//! otherwise (in millionths). Reservation and up-front charges are shared the same way over
//! the reservation's instance-time (`count` × its active span) among the jobs that ran on
//! instances launched into it. Commitments, egress and anything no job used are idle. Every
//! part is rounded down to the micro-dollar and the idle cost is the remainder, so
//! `Σ jobs + idle` equals the bill exactly (a property the tests check).
//!
//! Should the shares on one instance ever add up to more than all of it (they cannot with
//! the local scheduler's accounting, but the arithmetic does not rely on it), the
//! denominator grows to their sum, so no job is charged more than the instance cost.

use std::collections::BTreeMap;

use engine::ids::{InstanceId, JobId, ReservationId};
use engine::{Money, SimTime};

use crate::cloud::{Charge, ChargeKind};

/// One stretch of time a job held part of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The job.
    pub job: JobId,
    /// The instance.
    pub instance: InstanceId,
    /// The part of the instance held, in millionths (1 000 000 = all of it).
    pub share_ppm: u64,
    /// From.
    pub start: SimTime,
    /// To.
    pub end: SimTime,
}

/// An instance's life as the provider reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceLife {
    /// Launched (billing starts).
    pub launched: SimTime,
    /// Terminated, or the end of the run.
    pub ended: SimTime,
    /// The reservation it was launched into, if any.
    pub reservation: Option<ReservationId>,
}

/// When a reservation held capacity, as the provider reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservationSpan {
    /// Instances held.
    pub count: u32,
    /// Active from.
    pub active_from: SimTime,
    /// Active until (expiry, cancellation, or the end of the run).
    pub until: SimTime,
}

/// Who paid what.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Each job's part (jobs that never ran have none).
    pub per_job: BTreeMap<JobId, Money>,
    /// What no job used: idle instance time, unused reservations, commitments, egress.
    pub idle: Money,
    /// Reserved instance-time jobs used, in share-ppm × µs.
    pub reserved_used: u128,
    /// Reserved instance-time paid for, in ppm × µs.
    pub reserved_paid: u128,
}

impl Attribution {
    /// The share of reserved instance-time that jobs used, if anything was reserved.
    pub fn reserved_utilisation(&self) -> Option<f64> {
        (self.reserved_paid > 0).then(|| self.reserved_used as f64 / self.reserved_paid as f64)
    }
}

const WHOLE: u128 = 1_000_000;

fn overlap(seg: &Segment, from: SimTime, to: SimTime) -> u128 {
    let start = seg.start.max(from);
    let end = seg.end.min(to);
    u128::from(end.saturating_since(start).0)
}

/// Splits `amount` among `(job, weight)` in proportion to `weight / max(total, Σ weights)`,
/// rounding each part down; adds the parts to `per_job` and returns what is left.
fn split(
    amount: u128,
    total: u128,
    weights: &[(JobId, u128)],
    per_job: &mut BTreeMap<JobId, Money>,
) -> u128 {
    let sum: u128 = weights.iter().map(|(_, w)| w).sum();
    let denominator = total.max(sum);
    if denominator == 0 {
        return amount;
    }
    let mut left = amount;
    for (job, w) in weights {
        // amount < 2^63 and w ≤ denominator; the product fits u128 unless both are huge, in
        // which case the division is done first (losing only sub-micro-dollar precision).
        let part = amount
            .checked_mul(*w)
            .map_or_else(|| amount / denominator * w, |p| p / denominator)
            .min(left);
        left -= part;
        let entry = per_job.entry(*job).or_insert(Money::ZERO);
        *entry = Money(entry.0 + part as i64);
    }
    left
}

/// Shares `charges` out (see the module docs).
pub fn attribute<'a>(
    charges: impl IntoIterator<Item = &'a Charge>,
    lives: &BTreeMap<InstanceId, InstanceLife>,
    reservations: &BTreeMap<ReservationId, ReservationSpan>,
    segments: &[Segment],
) -> Attribution {
    let mut by_instance: BTreeMap<InstanceId, u128> = BTreeMap::new();
    let mut by_reservation: BTreeMap<ReservationId, u128> = BTreeMap::new();
    let mut idle: u128 = 0;
    for charge in charges {
        let amount = u128::try_from(charge.amount.0).unwrap_or(0);
        match (charge.kind, charge.instance, charge.reservation) {
            (ChargeKind::Usage { .. }, Some(instance), _) => {
                *by_instance.entry(instance).or_default() += amount;
            }
            (ChargeKind::Reservation { .. } | ChargeKind::Upfront { .. }, _, Some(r)) => {
                *by_reservation.entry(r).or_default() += amount;
            }
            _ => idle += amount,
        }
    }
    let mut on_instance: BTreeMap<InstanceId, Vec<&Segment>> = BTreeMap::new();
    for seg in segments {
        on_instance.entry(seg.instance).or_default().push(seg);
    }
    let mut out = Attribution::default();
    for (instance, amount) in by_instance {
        let Some(life) = lives.get(&instance) else {
            idle += amount;
            continue;
        };
        let total = WHOLE * u128::from(life.ended.saturating_since(life.launched).0);
        let weights: Vec<(JobId, u128)> = on_instance
            .get(&instance)
            .map(|segs| {
                segs.iter()
                    .map(|s| {
                        (s.job, u128::from(s.share_ppm) * overlap(s, life.launched, life.ended))
                    })
                    .collect()
            })
            .unwrap_or_default();
        idle += split(amount, total, &weights, &mut out.per_job);
    }
    // Segments on reserved instances, by reservation.
    let mut in_reservation: BTreeMap<ReservationId, Vec<&Segment>> = BTreeMap::new();
    for seg in segments {
        if let Some(r) = lives.get(&seg.instance).and_then(|l| l.reservation) {
            in_reservation.entry(r).or_default().push(seg);
        }
    }
    for (id, span) in reservations {
        let paid = WHOLE
            * u128::from(span.count)
            * u128::from(span.until.saturating_since(span.active_from).0);
        let weights: Vec<(JobId, u128)> = in_reservation
            .get(id)
            .map(|segs| {
                segs.iter()
                    .map(|s| {
                        (s.job, u128::from(s.share_ppm) * overlap(s, span.active_from, span.until))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.reserved_paid += paid;
        out.reserved_used += weights.iter().map(|(_, w)| w).sum::<u128>().min(paid);
        if let Some(amount) = by_reservation.remove(id) {
            idle += split(amount, paid, &weights, &mut out.per_job);
        }
    }
    // Reservations charged but never active (a minimum commitment after an early cancel).
    idle += by_reservation.values().sum::<u128>();
    out.idle = Money(i64::try_from(idle).unwrap_or(i64::MAX));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::cloud::{Cloud, LaunchOption, OfferIx, ProductKind, RegionIx};

    fn usage(instance: u64, micro: i64) -> Charge {
        Charge {
            at: SimTime(0),
            cloud: Cloud::Aws,
            region: RegionIx(0),
            offer: Some(OfferIx(0)),
            kind: ChargeKind::Usage { option: LaunchOption::OnDemand },
            instance: Some(InstanceId(instance)),
            reservation: None,
            amount: Money(micro),
        }
    }

    fn seg(job: u64, instance: u64, share_ppm: u64, start: u64, end: u64) -> Segment {
        Segment {
            job: JobId(job),
            instance: InstanceId(instance),
            share_ppm,
            start: SimTime::from_secs(start),
            end: SimTime::from_secs(end),
        }
    }

    fn life(launched: u64, ended: u64, reservation: Option<u64>) -> InstanceLife {
        InstanceLife {
            launched: SimTime::from_secs(launched),
            ended: SimTime::from_secs(ended),
            reservation: reservation.map(ReservationId),
        }
    }

    #[test]
    fn instance_charges_by_hand() {
        // One instance alive 0..100 s, billed $1 (1 000 000 µ$). Job 0 holds half of it for
        // 0..40 s: 0.5 × 40 / 100 = 20% → 200 000 µ$. Job 1 holds all of it for 40..70 s:
        // 30% → 300 000 µ$. Idle: the rest, 500 000 µ$.
        let charges = [usage(1, 1_000_000)];
        let lives = BTreeMap::from([(InstanceId(1), life(0, 100, None))]);
        let segs = [seg(0, 1, 500_000, 0, 40), seg(1, 1, 1_000_000, 40, 70)];
        let a = attribute(&charges, &lives, &BTreeMap::new(), &segs);
        assert_eq!(a.per_job[&JobId(0)], Money(200_000));
        assert_eq!(a.per_job[&JobId(1)], Money(300_000));
        assert_eq!(a.idle, Money(500_000));
        assert_eq!(a.reserved_utilisation(), None);
    }

    #[test]
    fn reservation_charges_by_hand() {
        // A reservation of 2 instances active 0..100 s, billed $2. Instance 7 launched into it
        // runs job 3 on all of it for 0..50 s: used 1 × 50 of 2 × 100 instance-seconds = 25%
        // → 500 000 µ$ to job 3, 1 500 000 µ$ idle; utilisation 0.25. An egress charge of
        // 10 µ$ is idle.
        let mut res = usage(7, 2_000_000);
        res.kind = ChargeKind::Reservation { product: ProductKind::CapacityReservation };
        res.instance = None;
        res.reservation = Some(ReservationId(9));
        let mut egress = usage(7, 10);
        egress.kind = ChargeKind::Egress;
        egress.instance = None;
        let lives = BTreeMap::from([(InstanceId(7), life(0, 100, Some(9)))]);
        let spans = BTreeMap::from([(
            ReservationId(9),
            ReservationSpan { count: 2, active_from: SimTime(0), until: SimTime::from_secs(100) },
        )]);
        let a = attribute(&[res, egress], &lives, &spans, &[seg(3, 7, 1_000_000, 0, 50)]);
        assert_eq!(a.per_job[&JobId(3)], Money(500_000));
        assert_eq!(a.idle, Money(1_500_010));
        assert_eq!(a.reserved_utilisation(), Some(0.25));
    }

    #[test]
    fn parts_never_exceed_the_bill() {
        // Shares over 100% (not produced by the scheduler) scale down: two jobs each claiming
        // all of an instance for its whole life split it evenly, nothing idle.
        let lives = BTreeMap::from([(InstanceId(1), life(0, 10, None))]);
        let segs = [seg(0, 1, 1_000_000, 0, 10), seg(1, 1, 1_000_000, 0, 10)];
        let a = attribute(&[usage(1, 1_001)], &lives, &BTreeMap::new(), &segs);
        let jobs: i64 = a.per_job.values().map(|m| m.0).sum();
        assert_eq!(jobs + a.idle.0, 1_001);
        assert_eq!(a.per_job[&JobId(0)], Money(500));
    }
}
