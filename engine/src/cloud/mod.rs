//! The cloud model the engine plans against: what can be bought, and the port it is bought
//! through.
//!
//! - [`catalog`]: providers, regions, instance types, prices per purchase option, and the terms
//!   of each reservation product and billing discount (DESIGN §5,
//!   `shared/reference/cloud-products.md` §1). Catalogs are data: every number comes from a
//!   catalog file, none is written into code.
//! - [`reservation`]: the one reservation state machine every provider follows.
//! - [`ports`]: the [`Provider`] port, the [`CloudAction`]s sent through it and the
//!   [`Observation`]s that come back; the simulator and live mode both implement it.

pub mod catalog;
pub mod ports;
pub mod reservation;
#[cfg(test)]
pub(crate) mod test_catalog;

pub use catalog::{
    Billing, Cancellation, Catalog, CatalogError, CatalogFile, CatalogMeta, Cloud, Discount,
    DiscountKind, Egress, EndBehaviour, GeoPoint, InstanceType, InterruptionBand, Offer, OfferIx,
    ProductKind, ProductTerms, ProviderTerms, Region, RegionIx, ReservationPrice, SpotOffer,
    SpotTerms, TypeIx,
};
pub use ports::{
    CloudAction, CommitRequest, LaunchOption, LaunchRequest, Observation, Observed, Provider,
    ProviderError, Refusal, ReserveRequest, TerminationReason,
};
pub use reservation::{InvalidTransition, ReservationEvent, ReservationState};
