//! Newtype ids, so that a job id can never be passed where a queue id is expected.
//!
//! Ids are dense indices assigned at import or generation time; names (a queue's `batch`, a
//! user's login) live in tables beside the data (`sim::trace::Trace::queues`), indexed by id.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! newtype_id {
    ($(#[$doc:meta])* $name:ident($inner:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $inner);

        impl $name {
            /// The id as an index into a table of this kind.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

newtype_id!(
    /// A job of a trace: its row index in the canonical, submit-ordered trace.
    JobId(u64), "job"
);
newtype_id!(
    /// A queue (SWF queue or partition, Alibaba QoS class, a generator's queue).
    QueueId(u32), "queue"
);
newtype_id!(
    /// A user who submitted jobs.
    UserId(u32), "user"
);
newtype_id!(
    /// A cloud instance (VM), numbered by the provider that launched it.
    InstanceId(u64), "i-"
);
newtype_id!(
    /// A reservation, numbered by the provider that accepted its request.
    ReservationId(u64), "r-"
);
newtype_id!(
    /// A request the broker sent: the idempotency key a provider deduplicates retries by.
    RequestId(u64), "req-"
);
newtype_id!(
    /// A shard: a slice of the environment (provider, region, instance type, option) that
    /// queues are mapped to.
    ShardId(u32), "shard-"
);
