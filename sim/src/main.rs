//! The `shardcast` command line.
fn main() {}
