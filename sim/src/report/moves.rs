//! `moves.jsonl`: the rebalancer's log, one JSON object per move, in order.
//!
//! Each line is the engine's [`MoveRecord`] with its shards named `provider/region/type` and
//! its time as microseconds since the Unix epoch (`at_us`), e.g.
//! `{"at_us":…,"kind":"waiting","job":12,"from":"aws/us-east-1/m5.xlarge","to":…,"reason":"backlog","detail":"…"}`;
//! `pandas.read_json(path, lines=True)` reads it.

use std::path::Path;

use engine::cloud::{Catalog, OfferIx};
use engine::rebalancer::MoveRecord;
use serde_json::{Map, Value};

/// The line of `record`.
pub fn line(catalog: &Catalog, record: &MoveRecord) -> Value {
    let mut out = Map::new();
    out.insert("at_us".into(), Value::from(record.at.0));
    if let Ok(Value::Object(fields)) = serde_json::to_value(&record.action) {
        for (k, v) in fields {
            let named = match (k.as_str(), v.as_u64()) {
                ("from" | "to" | "shard", Some(ix)) => {
                    Value::from(super::shard_name(catalog.offer(OfferIx(ix as u32))))
                }
                _ => v,
            };
            out.insert(k, named);
        }
    }
    out.insert("reason".into(), Value::from(record.reason.as_str()));
    out.insert("detail".into(), Value::from(record.detail.clone()));
    Value::Object(out)
}

/// Writes `records` to `path`.
pub fn write(catalog: &Catalog, records: &[MoveRecord], path: &Path) -> std::io::Result<()> {
    let mut text = String::new();
    for r in records {
        text.push_str(&line(catalog, r).to_string());
        text.push('\n');
    }
    std::fs::write(path, text)
}
