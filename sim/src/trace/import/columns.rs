//! The column mapping of the generic CSV and JSON importers: `field=column:unit,...`.
//!
//! A field is a property of the canonical job (`submit`, `runtime`, `vcpus`, …); the column is
//! the CSV header name or JSON key holding it; the unit says how to read the cell (seconds or
//! a date-time for times, MiB or GiB for memory, the separator of a dependency list).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::trace::TraceError;

/// A canonical job property a column can be mapped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The job's name (dependencies refer to it); unmapped: the 1-based row number.
    Id,
    /// Submit time (required).
    Submit,
    /// Run time (this or [`Field::End`] is required).
    Runtime,
    /// End time, an alternative to [`Field::Runtime`]: run time = end - submit.
    End,
    /// Requested run time (walltime estimate).
    RequestedRuntime,
    /// Queue name.
    Queue,
    /// User name.
    User,
    /// vCPUs asked for; unmapped: 1.
    Vcpus,
    /// Memory asked for.
    Memory,
    /// GPUs asked for (fractions allowed).
    Gpus,
    /// GPU model name.
    GpuKind,
    /// Names of the jobs this one depends on, joined by a separator.
    Dependencies,
    /// Bytes of output.
    OutputBytes,
    /// Recorded outcome (`completed`, `failed`, `cancelled`, and common synonyms).
    Status,
}

impl Field {
    /// Every field, in the order help texts list them.
    pub const ALL: [Field; 14] = [
        Field::Id,
        Field::Submit,
        Field::Runtime,
        Field::End,
        Field::RequestedRuntime,
        Field::Queue,
        Field::User,
        Field::Vcpus,
        Field::Memory,
        Field::Gpus,
        Field::GpuKind,
        Field::Dependencies,
        Field::OutputBytes,
        Field::Status,
    ];

    /// The name used in `--map`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Submit => "submit",
            Field::Runtime => "runtime",
            Field::End => "end",
            Field::RequestedRuntime => "requested_runtime",
            Field::Queue => "queue",
            Field::User => "user",
            Field::Vcpus => "vcpus",
            Field::Memory => "memory",
            Field::Gpus => "gpus",
            Field::GpuKind => "gpu_kind",
            Field::Dependencies => "dependencies",
            Field::OutputBytes => "output_bytes",
            Field::Status => "status",
        }
    }

    /// The column read when the field is not mapped and the header has it (canonical names,
    /// as the Parquet schema spells them); `None` for `end`, which is never implied.
    pub fn default_column(self) -> Option<&'static str> {
        match self {
            Field::End => None,
            Field::Memory => Some("memory_mib"),
            other => Some(other.as_str()),
        }
    }

    /// The units the field accepts; the first is the default. Empty for text fields.
    pub fn units(self) -> &'static [Unit] {
        use Unit::*;
        match self {
            Field::Submit | Field::End => {
                &[Seconds, Minutes, Hours, Milliseconds, Microseconds, Datetime]
            }
            Field::Runtime | Field::RequestedRuntime => {
                &[Seconds, Minutes, Hours, Milliseconds, Microseconds]
            }
            Field::Vcpus | Field::Gpus => &[Count, Milli],
            Field::Memory => &[Mib, Gib, Kib, Mb, Gb],
            Field::OutputBytes => &[Bytes, Kib, Mib, Gib, Kb, Mb, Gb],
            Field::Dependencies => &[Semicolon, Space, Comma, Pipe],
            Field::Id | Field::Queue | Field::User | Field::GpuKind | Field::Status => &[],
        }
    }

    /// The unit used when the mapping names none.
    pub fn default_unit(self) -> Unit {
        self.units().first().copied().unwrap_or(Unit::Text)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<Field, TraceError> {
        Field::ALL.into_iter().find(|field| field.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Field::ALL.iter().map(|field| field.as_str()).collect();
            TraceError::Usage(format!(
                "--map: unknown field {s:?}; valid fields: {}",
                names.join(", ")
            ))
        })
    }
}

/// How to read a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (floats allowed, rounded to the nearest microsecond).
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Milliseconds.
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// An absolute date-time: RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]` taken as UTC. The origin
    /// is not added.
    Datetime,
    /// A count (vCPUs, GPUs; fractions allowed).
    Count,
    /// Thousandths of a count (milli-vCPUs, milli-GPUs).
    Milli,
    /// Mebibytes (2^20 bytes).
    Mib,
    /// Gibibytes (2^30 bytes).
    Gib,
    /// Kibibytes (2^10 bytes).
    Kib,
    /// Kilobytes (10^3 bytes).
    Kb,
    /// Megabytes (10^6 bytes).
    Mb,
    /// Gigabytes (10^9 bytes).
    Gb,
    /// Bytes.
    Bytes,
    /// A list separated by `;`.
    Semicolon,
    /// A list separated by whitespace.
    Space,
    /// A list separated by `,` (the cell must then be quoted in CSV).
    Comma,
    /// A list separated by `|`.
    Pipe,
    /// Text, taken as is (trimmed).
    Text,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Unit; 20] = [
        Unit::Seconds,
        Unit::Minutes,
        Unit::Hours,
        Unit::Milliseconds,
        Unit::Microseconds,
        Unit::Datetime,
        Unit::Count,
        Unit::Milli,
        Unit::Mib,
        Unit::Gib,
        Unit::Kib,
        Unit::Kb,
        Unit::Mb,
        Unit::Gb,
        Unit::Bytes,
        Unit::Semicolon,
        Unit::Space,
        Unit::Comma,
        Unit::Pipe,
        Unit::Text,
    ];

    /// The name used in `--map`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Milliseconds => "milliseconds",
            Unit::Microseconds => "microseconds",
            Unit::Datetime => "datetime",
            Unit::Count => "count",
            Unit::Milli => "milli",
            Unit::Mib => "mib",
            Unit::Gib => "gib",
            Unit::Kib => "kib",
            Unit::Kb => "kb",
            Unit::Mb => "mb",
            Unit::Gb => "gb",
            Unit::Bytes => "bytes",
            Unit::Semicolon => "semicolon",
            Unit::Space => "space",
            Unit::Comma => "comma",
            Unit::Pipe => "pipe",
            Unit::Text => "text",
        }
    }

    /// Microseconds per unit, for the numeric time units.
    pub fn micros(self) -> Option<i64> {
        Some(match self {
            Unit::Seconds => 1_000_000,
            Unit::Minutes => 60_000_000,
            Unit::Hours => 3_600_000_000,
            Unit::Milliseconds => 1_000,
            Unit::Microseconds => 1,
            _ => return None,
        })
    }

    /// Bytes per unit, for the size units.
    pub fn bytes(self) -> Option<u64> {
        Some(match self {
            Unit::Bytes => 1,
            Unit::Kib => 1 << 10,
            Unit::Mib => 1 << 20,
            Unit::Gib => 1 << 30,
            Unit::Kb => 1_000,
            Unit::Mb => 1_000_000,
            Unit::Gb => 1_000_000_000,
            _ => return None,
        })
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one field is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The CSV header name or JSON key.
    pub column: String,
    /// How to read it.
    pub unit: Unit,
}

/// Which column holds which job field, parsed from `field=column:unit,field=column:unit,...`.
///
/// The unit is optional (each field has a default: seconds for times, MiB for memory, `;` for
/// dependency lists). Fields left unmapped are read from their canonical column name when the
/// input has it (`submit`, `runtime`, `id`, `queue`, `user`, `vcpus`, `memory_mib`, `gpus`,
/// `gpu_kind`, `requested_runtime`, `dependencies`, `output_bytes`, `status`); `submit` and
/// `runtime` (or `end`) must be found one way or the other. Column names cannot contain `,`,
/// and a column name containing `:` must be followed by an explicit unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    fields: BTreeMap<Field, ColumnSpec>,
}

impl ColumnMap {
    /// Where `field` is mapped, if it is.
    pub fn get(&self, field: Field) -> Option<&ColumnSpec> {
        self.fields.get(&field)
    }

    /// Map `field` to `column` in `unit`, replacing an earlier mapping of the field.
    pub fn insert(&mut self, field: Field, column: impl Into<String>, unit: Unit) {
        self.fields.insert(field, ColumnSpec { column: column.into(), unit });
    }

    /// The mapped fields, in [`Field`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &ColumnSpec)> {
        self.fields.iter().map(|(field, spec)| (*field, spec))
    }
}

impl FromStr for ColumnMap {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<ColumnMap, TraceError> {
        let mut map = ColumnMap::default();
        for entry in s.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            let Some((field, target)) = entry.split_once('=') else {
                return Err(TraceError::Usage(format!(
                    "--map: expected field=column[:unit], found {entry:?}"
                )));
            };
            let field: Field = field.trim().parse()?;
            let (column, unit) = match target.rsplit_once(':') {
                Some((column, unit)) => (column.trim(), parse_unit(field, unit.trim())?),
                None => (target.trim(), field.default_unit()),
            };
            if column.is_empty() {
                return Err(TraceError::Usage(format!("--map: {entry:?} names no column")));
            }
            if map.fields.contains_key(&field) {
                return Err(TraceError::Usage(format!("--map: field {field} is mapped twice")));
            }
            map.insert(field, column, unit);
        }
        if map.get(Field::Runtime).is_some() && map.get(Field::End).is_some() {
            return Err(TraceError::Usage(
                "--map: map either runtime or end (run time = end - submit), not both".into(),
            ));
        }
        Ok(map)
    }
}

/// The unit named `name`, if `field` accepts it.
fn parse_unit(field: Field, name: &str) -> Result<Unit, TraceError> {
    let units = field.units();
    if units.is_empty() {
        return Err(TraceError::Usage(format!(
            "--map: field {field} is text and takes no unit, found {name:?}"
        )));
    }
    units.iter().copied().find(|unit| unit.as_str() == name).ok_or_else(|| {
        let names: Vec<&str> = units.iter().map(|unit| unit.as_str()).collect();
        TraceError::Usage(format!(
            "--map: unknown unit {name:?} for field {field}; valid units: {}",
            names.join(", ")
        ))
    })
}

impl fmt::Display for ColumnMap {
    /// The `--map` text that parses back to this map.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, spec)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{field}={}", spec.column)?;
            if spec.unit != Unit::Text {
                write!(f, ":{}", spec.unit)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_columns_and_units() {
        let map: ColumnMap =
            "submit=submit_s:seconds, runtime=run:minutes,memory=mem:gib,dependencies=deps:space,id=name"
                .parse()
                .unwrap();
        assert_eq!(
            map.get(Field::Submit),
            Some(&ColumnSpec { column: "submit_s".into(), unit: Unit::Seconds })
        );
        assert_eq!(map.get(Field::Runtime).unwrap().unit, Unit::Minutes);
        assert_eq!(map.get(Field::Memory).unwrap().unit, Unit::Gib);
        assert_eq!(map.get(Field::Dependencies).unwrap().unit, Unit::Space);
        assert_eq!(map.get(Field::Id).unwrap().unit, Unit::Text);
        assert_eq!(map.get(Field::Queue), None);
        let again: ColumnMap = map.to_string().parse().unwrap();
        assert_eq!(again, map);

        let defaults: ColumnMap = "submit=t,memory=m,dependencies=d".parse().unwrap();
        assert_eq!(defaults.get(Field::Submit).unwrap().unit, Unit::Seconds);
        assert_eq!(defaults.get(Field::Memory).unwrap().unit, Unit::Mib);
        assert_eq!(defaults.get(Field::Dependencies).unwrap().unit, Unit::Semicolon);
        // A colon inside a column name works when a unit follows.
        let colon: ColumnMap = "submit=a:b:datetime".parse().unwrap();
        assert_eq!(colon.get(Field::Submit).unwrap().column, "a:b");
    }

    #[test]
    fn usage_errors_list_the_valid_choices() {
        let cases = [
            ("walltime=w", "valid fields: id, submit, runtime, end"),
            ("submit=s:fortnights", "valid units: seconds, minutes, hours"),
            ("runtime=r:datetime", "valid units: seconds, minutes, hours, milliseconds"),
            ("memory=m:tb", "valid units: mib, gib, kib, mb, gb"),
            ("queue=q:seconds", "takes no unit"),
            ("submit", "expected field=column[:unit]"),
            ("submit=", "names no column"),
            ("submit=a,submit=b", "mapped twice"),
            ("runtime=r,end=e", "either runtime or end"),
        ];
        for (text, message) in cases {
            let error = text.parse::<ColumnMap>().unwrap_err();
            assert!(matches!(error, TraceError::Usage(_)), "{text}");
            let error = error.to_string();
            assert!(error.contains(message), "{text}: {error}");
        }
    }
}
