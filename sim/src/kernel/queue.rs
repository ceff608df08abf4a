//! The event queue: a priority queue of events keyed by `(time, insertion sequence)`.
//!
//! # Ordering rule
//!
//! Events pop in increasing time. Events scheduled for the same time pop in the order they
//! were scheduled (first in, first out), because every push takes the next value of a
//! per-queue sequence counter and the key is `(time, seq)`. Nothing else (not the event's
//! kind, not its payload, not memory addresses) affects the order, so a run is a pure
//! function of its inputs and seed.
//!
//! A model that wants a different same-time priority (say, completions before arrivals)
//! must say so in *when* it schedules, not rely on this queue.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use engine::SimTime;

/// A scheduled event and its ordering key `time << 64 | seq`: one integer comparison orders
/// by time, then by insertion sequence (the profile showed tuple comparison dominating `pop`).
#[derive(Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Future events of one simulation, and the current time.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> EventQueue<E> {
    /// An empty queue whose clock reads `start`.
    pub fn new(start: SimTime) -> EventQueue<E> {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, now: start }
    }

    /// The time of the event popped last (or the start time).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedule `event` at `time`.
    ///
    /// # Panics
    ///
    /// If `time` is before [`EventQueue::now`]: scheduling into the past is a model bug, and
    /// letting it through would make time run backwards.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        assert!(time >= self.now, "event scheduled at {time}, before now = {}", self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { key: (u128::from(time.0) << 64) | u128::from(seq), event });
    }

    /// Remove the next event and advance the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        self.now = entry.time();
        Some((self.now, entry.event))
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(Entry::time)
    }

    /// Events still scheduled.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Events scheduled so far, popped or not.
    pub fn scheduled_total(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn same_time_events_pop_in_insertion_order() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(5), "b1");
        queue.schedule(SimTime(3), "a");
        queue.schedule(SimTime(5), "b2");
        queue.schedule(SimTime(5), "b3");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b1", "b2", "b3"]);
        assert_eq!(queue.now(), SimTime(5));
    }

    #[test]
    #[allow(clippy::panic, reason = "the test checks the documented panic")]
    fn scheduling_into_the_past_is_refused() {
        let result = std::panic::catch_unwind(|| {
            let mut queue = EventQueue::new(SimTime(10));
            queue.schedule(SimTime(9), ());
        });
        assert!(result.is_err());
    }

    proptest! {
        /// Popping yields events sorted by (time, insertion index): a stable sort of the input.
        #[test]
        fn pops_are_a_stable_sort_by_time(times in proptest::collection::vec(0u64..20, 0..200)) {
            let mut queue = EventQueue::new(SimTime(0));
            for (i, t) in times.iter().enumerate() {
                queue.schedule(SimTime(*t), i);
            }
            let mut expected: Vec<(u64, usize)> =
                times.iter().enumerate().map(|(i, t)| (*t, i)).collect();
            expected.sort_by_key(|(t, _)| *t);
            let popped: Vec<(u64, usize)> =
                std::iter::from_fn(|| queue.pop()).map(|(t, i)| (t.0, i)).collect();
            prop_assert_eq!(popped, expected);
        }
    }
}
