//! shardcast's one integration-test binary.
