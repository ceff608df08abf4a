//! Importers for the real price files in `shared/data/prices/`: each turns a provider's file
//! into a one-provider [`Catalog`] and an [`ImportReport`] (rows read, rows used, offers kept,
//! rows skipped by reason with the first line numbers, and counted facts such as zone rows
//! folded into a region).
//!
//! Submodules, one per format:
//! - `gcp`: SkyPilot's GCP `vms.csv` (per-zone rows; separate accelerator rows);
//! - `azure`: SkyPilot's Azure `vms.csv` (per-region rows; the unquoted `V1,V2` quirk);
//! - `aws`: the ec2instances.info JSON (on-demand and average spot), with the AWS Spot
//!   Advisor's interruption bands and the 2017 reserved prices as optional extras.
//!
//! The price files hold prices only. What each provider's terms are (billing granularity,
//! boot delay, egress, spot notice, reservation products, discounts) is data in
//! `scenarios/catalogs/terms/{aws,azure,gcp}.toml`, with a source for every number, and the
//! region locations are in `scenarios/catalogs/regions.toml`; both are built into the binary
//! and can be replaced with [`ImportOptions::terms`] and [`ImportOptions::locations`]. A region
//! missing from the locations gets `location = None` and is counted in the report.
//!
//! Bad input never panics. A file that cannot be read or lacks a needed column is an
//! [`ImportError`] naming the file; a row with a bad value is skipped and counted as
//! `malformed: <field>` (with its line), or, with [`ImportOptions::strict`], is an error
//! naming the file, line, field, what was expected and what was found.

mod aws;
mod azure;
mod gcp;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use engine::cloud::{
    Catalog, CatalogError, CatalogFile, CatalogMeta, Cloud, GeoPoint, InstanceType, Offer,
    ProviderTerms, Region,
};
use serde::{Deserialize, Serialize};

/// The price-file formats the importers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `vantage-sh/ec2instances.info` JSON: on-demand and average spot per type and region.
    AwsEc2instances,
    /// SkyPilot catalog v7 `gcp/vms.csv`: per-zone rows and separate accelerator rows.
    GcpSkypilot,
    /// SkyPilot catalog v7 `azure/vms.csv`: per-region rows.
    AzureSkypilot,
}

impl Format {
    /// Every format, in help-text order.
    pub const ALL: [Format; 3] =
        [Format::AwsEc2instances, Format::GcpSkypilot, Format::AzureSkypilot];

    /// The name used on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::AwsEc2instances => "aws-ec2instances",
            Format::GcpSkypilot => "gcp-skypilot",
            Format::AzureSkypilot => "azure-skypilot",
        }
    }

    /// The provider the format describes.
    pub const fn cloud(self) -> Cloud {
        match self {
            Format::AwsEc2instances => Cloud::Aws,
            Format::GcpSkypilot => Cloud::Gcp,
            Format::AzureSkypilot => Cloud::Azure,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Format, ImportError> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| ImportError::Format {
            found: s.to_owned(),
            expected: Format::ALL.map(Format::as_str).join(", "),
        })
    }
}

/// Which instance types to keep by GPU count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GpuFilter {
    /// All types.
    #[default]
    Any,
    /// Only types with GPUs.
    GpuOnly,
    /// Only types without GPUs.
    CpuOnly,
}

/// What to import and how.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The input's format.
    pub format: Format,
    /// AWS only: the Spot Advisor JSON (interruption bands, savings %).
    pub spot_advisor: Option<PathBuf>,
    /// AWS only: the ec2instances reserved-price JSON (2017).
    pub reserved: Option<PathBuf>,
    /// Keep only these regions (exact names); empty keeps all.
    pub regions: Vec<String>,
    /// Keep only these instance types (exact names); empty keeps all.
    pub types: Vec<String>,
    /// Keep GPU types, CPU types or both.
    pub gpu: GpuFilter,
    /// Provider terms TOML replacing the built-in `scenarios/catalogs/terms/<cloud>.toml`.
    pub terms: Option<PathBuf>,
    /// Region locations TOML replacing the built-in `scenarios/catalogs/regions.toml`.
    pub locations: Option<PathBuf>,
    /// A malformed row is an error instead of a counted skip.
    pub strict: bool,
}

impl ImportOptions {
    /// Defaults for `format`: everything kept, built-in terms and locations, lenient.
    pub fn new(format: Format) -> ImportOptions {
        ImportOptions {
            format,
            spot_advisor: None,
            reserved: None,
            regions: vec![],
            types: vec![],
            gpu: GpuFilter::Any,
            terms: None,
            locations: None,
            strict: false,
        }
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An unknown `--format`.
    #[error("unknown catalog format {found:?}; expected one of {expected}")]
    Format {
        /// What was given.
        found: String,
        /// The formats known.
        expected: String,
    },
    /// A file could not be read.
    #[error("{}: cannot read: {cause}; {}", path.display(), read_hint(cause))]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error (in the message, not a `source`, so that it is printed once).
        cause: std::io::Error,
    },
    /// The file's structure is wrong (not JSON, a missing column or key).
    #[error("{}: {what}: expected {expected}; {hint}", path.display())]
    Structure {
        /// The file.
        path: PathBuf,
        /// Where: a header, `data`, a JSON path.
        what: String,
        /// What was expected.
        expected: String,
        /// What to do.
        hint: &'static str,
    },
    /// A malformed row, in strict mode.
    #[error(
        "{}: line {line}, field {field}: expected {expected}, found {found:?}; fix the row, or \
         import without --strict to skip and count it",
        path.display()
    )]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line (CSV) or 1-based record number (JSON `data[]`).
        line: u64,
        /// The column or key.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: String,
    },
    /// A terms or locations file is not valid.
    #[error("{}: {message}; fix the file (see scenarios/catalogs/README.md)", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// The terms file describes another provider than the format.
    #[error(
        "{}: terms for {found}, but the format {format} is {expected}; pass the right --terms",
        path.display()
    )]
    TermsCloud {
        /// The terms file.
        path: PathBuf,
        /// Its `cloud`.
        found: Cloud,
        /// The format's cloud.
        expected: Cloud,
        /// The format.
        format: Format,
    },
    /// A `--regions` or `--types` name matched no kept offer (a typo, or every row of it was
    /// skipped).
    #[error(
        "{}: no offer kept for {flag} {name:?}: not in the file, or every row of it was \
         skipped; check the spelling, or import without {flag} {name} to see the skip reasons",
        path.display()
    )]
    Unmatched {
        /// The input.
        path: PathBuf,
        /// `--regions` or `--types`.
        flag: &'static str,
        /// The name given.
        name: String,
    },
    /// Nothing was kept.
    #[error(
        "{}: no offers kept ({rows_read} rows read); check --regions/--types/--gpu-only/--cpu-only \
         and the format",
        path.display()
    )]
    Empty {
        /// The input.
        path: PathBuf,
        /// Rows read.
        rows_read: u64,
    },
    /// The built catalog breaks a catalog rule (a bug in an importer, reported).
    #[error("{}: the imported catalog is invalid: {cause}", path.display())]
    Invalid {
        /// The input.
        path: PathBuf,
        /// The rule broken (in the message, not a `source`).
        cause: CatalogError,
    },
}

/// Rows skipped for one reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// How many.
    pub rows: u64,
    /// The first few line numbers (CSV lines, or JSON record numbers), at most
    /// [`FIRST_LINES`].
    pub first_lines: Vec<u64>,
}

/// How many line numbers a [`Skipped`] keeps.
pub const FIRST_LINES: usize = 5;

/// What an import did: every row read is either used or skipped with a reason
/// (`rows_read == rows_used + Σ skipped.rows`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The input file.
    pub source: String,
    /// Its format.
    pub format: String,
    /// Data rows (CSV lines after the header, or JSON records) read.
    pub rows_read: u64,
    /// Rows that went into an offer (several rows can make one offer: zones, GPU parts).
    pub rows_used: u64,
    /// Rows skipped, by reason.
    pub skipped: BTreeMap<String, Skipped>,
    /// Counted facts that are not skips (zone rows folded, rows repaired, extras applied).
    pub notes: BTreeMap<String, u64>,
    /// Regions kept.
    pub regions: u64,
    /// Regions kept without a location (not in the locations file).
    pub regions_without_location: Vec<String>,
    /// Instance types kept.
    pub instance_types: u64,
    /// Offers kept.
    pub offers_kept: u64,
    /// Offers with a spot price.
    pub offers_with_spot: u64,
}

impl ImportReport {
    fn skip(&mut self, reason: impl Into<String>, line: u64) {
        let entry = self.skipped.entry(reason.into()).or_default();
        entry.rows += 1;
        if entry.first_lines.len() < FIRST_LINES {
            entry.first_lines.push(line);
        }
    }

    fn note(&mut self, what: &str, n: u64) {
        if n > 0 {
            *self.notes.entry(what.to_owned()).or_default() += n;
        }
    }

    /// Rows skipped in all.
    pub fn rows_skipped(&self) -> u64 {
        self.skipped.values().map(|s| s.rows).sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "imported {} ({})", self.source, self.format)?;
        writeln!(
            f,
            "  rows read {}, used {}, skipped {}",
            self.rows_read,
            self.rows_used,
            self.rows_skipped()
        )?;
        writeln!(
            f,
            "  kept: {} regions ({} without location), {} instance types, {} offers ({} with spot)",
            self.regions,
            self.regions_without_location.len(),
            self.instance_types,
            self.offers_kept,
            self.offers_with_spot
        )?;
        for (reason, s) in &self.skipped {
            let lines: Vec<String> = s.first_lines.iter().map(u64::to_string).collect();
            writeln!(f, "  skipped {:>7}  {reason} (first at {})", s.rows, lines.join(", "))?;
        }
        for (what, n) in &self.notes {
            writeln!(f, "  note    {n:>7}  {what}")?;
        }
        if !self.regions_without_location.is_empty() {
            writeln!(
                f,
                "  regions without location: {}",
                self.regions_without_location.join(", ")
            )?;
        }
        Ok(())
    }
}

/// The built-in provider terms (`scenarios/catalogs/terms/`).
const TERMS_AWS: &str = include_str!("../../../../scenarios/catalogs/terms/aws.toml");
const TERMS_GCP: &str = include_str!("../../../../scenarios/catalogs/terms/gcp.toml");
const TERMS_AZURE: &str = include_str!("../../../../scenarios/catalogs/terms/azure.toml");
/// The built-in region locations (`scenarios/catalogs/regions.toml`).
const LOCATIONS: &str = include_str!("../../../../scenarios/catalogs/regions.toml");

/// The provider terms for `cloud`: `path` if given, else the built-in file.
pub fn load_terms(cloud: Cloud, path: Option<&Path>) -> Result<ProviderTerms, ImportError> {
    let (text, name) = match path {
        Some(p) => (read(p)?, p.to_owned()),
        None => {
            let text = match cloud {
                Cloud::Aws => TERMS_AWS,
                Cloud::Gcp => TERMS_GCP,
                Cloud::Azure => TERMS_AZURE,
            };
            (text.to_owned(), PathBuf::from(format!("scenarios/catalogs/terms/{cloud}.toml")))
        }
    };
    let terms: ProviderTerms = toml::from_str(&text)
        .map_err(|e| ImportError::Config { path: name.clone(), message: e.to_string() })?;
    // Validate through the engine's rules with a catalog of just these terms.
    let probe = CatalogFile { providers: vec![terms.clone()], ..CatalogFile::default() };
    Catalog::new(probe)
        .map_err(|e| ImportError::Config { path: name.clone(), message: e.to_string() })?;
    Ok(terms)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationsFile {
    region: Vec<LocationRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationRow {
    cloud: Cloud,
    name: String,
    #[allow(dead_code)]
    city: String,
    lat: f64,
    lon: f64,
}

/// Region locations by (cloud, name): `path` if given, else the built-in file.
pub fn load_locations(
    path: Option<&Path>,
) -> Result<BTreeMap<(Cloud, String), GeoPoint>, ImportError> {
    let (text, name) = match path {
        Some(p) => (read(p)?, p.to_owned()),
        None => (LOCATIONS.to_owned(), PathBuf::from("scenarios/catalogs/regions.toml")),
    };
    let file: LocationsFile = toml::from_str(&text)
        .map_err(|e| ImportError::Config { path: name.clone(), message: e.to_string() })?;
    let mut out = BTreeMap::new();
    for (i, r) in file.region.into_iter().enumerate() {
        if !((-90.0..=90.0).contains(&r.lat) && (-180.0..=180.0).contains(&r.lon)) {
            return Err(ImportError::Config {
                path: name,
                message: format!(
                    "region[{i}] ({} {}): latitude must be in [-90, 90] and longitude in \
                     [-180, 180], found {}, {}",
                    r.cloud, r.name, r.lat, r.lon
                ),
            });
        }
        if out.insert((r.cloud, r.name.clone()), GeoPoint { lat: r.lat, lon: r.lon }).is_some() {
            return Err(ImportError::Config {
                path: name,
                message: format!("region[{i}]: {} {} is listed twice", r.cloud, r.name),
            });
        }
    }
    Ok(out)
}

/// What to do about a read error.
fn read_hint(cause: &std::io::Error) -> &'static str {
    match cause.kind() {
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text; is it the right file?",
        _ => "check the path",
    }
}

fn read(path: &Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path)
        .map_err(|cause| ImportError::Read { path: path.to_owned(), cause })
}

/// Imports `input` as `options.format`.
pub fn import(
    input: &Path,
    options: &ImportOptions,
) -> Result<(Catalog, ImportReport), ImportError> {
    let text = read(input)?;
    let advisor = options.spot_advisor.as_deref().map(|p| read(p).map(|t| (p, t))).transpose()?;
    let reserved = options.reserved.as_deref().map(|p| read(p).map(|t| (p, t))).transpose()?;
    let extras = aws::Extras {
        advisor: advisor.as_ref().map(|(p, t)| (*p, t.as_str())),
        reserved: reserved.as_ref().map(|(p, t)| (*p, t.as_str())),
    };
    import_text(input, &text, options, &extras)
}

/// Imports `text` (the contents of `input`) as `options.format`; `extras` are AWS's optional
/// files, already read.
fn import_text(
    input: &Path,
    text: &str,
    options: &ImportOptions,
    extras: &aws::Extras<'_>,
) -> Result<(Catalog, ImportReport), ImportError> {
    let cloud = options.format.cloud();
    let terms = load_terms(cloud, options.terms.as_deref())?;
    if terms.cloud != cloud {
        return Err(ImportError::TermsCloud {
            path: options.terms.clone().unwrap_or_default(),
            found: terms.cloud,
            expected: cloud,
            format: options.format,
        });
    }
    let locations = load_locations(options.locations.as_deref())?;
    let mut builder = Builder::new(cloud, input, options);
    match options.format {
        Format::GcpSkypilot => gcp::read(text, &mut builder)?,
        Format::AzureSkypilot => azure::read(text, &mut builder)?,
        Format::AwsEc2instances => aws::read(text, &mut builder, extras)?,
    }
    builder.finish(terms, &locations)
}

/// What a row's parser found wrong.
#[derive(Debug)]
struct Malformed {
    field: String,
    expected: &'static str,
    found: String,
}

/// Collects one provider's regions, types and offers, and the report, as importers read.
struct Builder<'a> {
    cloud: Cloud,
    input: &'a Path,
    options: &'a ImportOptions,
    report: ImportReport,
    types: BTreeMap<String, InstanceType>,
    offers: BTreeMap<(String, String), Offer>,
    sources: Vec<String>,
    notes: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(cloud: Cloud, input: &'a Path, options: &'a ImportOptions) -> Builder<'a> {
        let report = ImportReport {
            source: input.display().to_string(),
            format: options.format.to_string(),
            ..ImportReport::default()
        };
        Builder {
            cloud,
            input,
            options,
            report,
            types: BTreeMap::new(),
            offers: BTreeMap::new(),
            sources: vec![],
            notes: vec![],
        }
    }

    /// Counts a malformed row, or fails in strict mode.
    fn malformed(&mut self, line: u64, m: Malformed) -> Result<(), ImportError> {
        if self.options.strict {
            return Err(ImportError::Row {
                path: self.input.to_owned(),
                line,
                field: m.field,
                expected: m.expected,
                found: m.found,
            });
        }
        self.report.skip(format!("malformed: {} (expected {})", m.field, m.expected), line);
        Ok(())
    }

    /// Counts one CSV record read and returns it with its line, or counts it as malformed
    /// (`None`; an error in strict mode) when the CSV reader could not parse it.
    fn csv_record(
        &mut self,
        record: Result<csv::StringRecord, csv::Error>,
    ) -> Result<Option<(csv::StringRecord, u64)>, ImportError> {
        self.report.rows_read += 1;
        let line_guess = self.report.rows_read + 1;
        match record {
            Ok(r) => {
                let line = r.position().map_or(line_guess, |p| p.line());
                Ok(Some((r, line)))
            }
            Err(e) => {
                let line = e.position().map_or(line_guess, |p| p.line());
                let found = e.to_string();
                self.malformed(
                    line,
                    Malformed { field: "row".into(), expected: "a CSV record", found },
                )?;
                Ok(None)
            }
        }
    }

    /// The reason a row of `region` and type `name` with `gpus` is filtered out, if it is.
    fn filtered(&self, region: &str, name: &str, gpus: u32) -> Option<&'static str> {
        let o = self.options;
        if !o.regions.is_empty() && !o.regions.iter().any(|r| r == region) {
            return Some("filtered: region not in --regions");
        }
        if !o.types.is_empty() && !o.types.iter().any(|t| t == name) {
            return Some("filtered: type not in --types");
        }
        match o.gpu {
            GpuFilter::GpuOnly if gpus == 0 => Some("filtered: CPU type (--gpu-only)"),
            GpuFilter::CpuOnly if gpus > 0 => Some("filtered: GPU type (--cpu-only)"),
            _ => None,
        }
    }

    /// Records an instance type; a second sighting with other specs is counted, first wins.
    fn add_type(&mut self, t: InstanceType) {
        match self.types.get(&t.name) {
            Some(known) if *known != t => {
                self.report.note("type specs differ between rows (first row's specs kept)", 1);
            }
            Some(_) => {}
            None => {
                self.types.insert(t.name.clone(), t);
            }
        }
    }

    fn finish(
        mut self,
        terms: ProviderTerms,
        locations: &BTreeMap<(Cloud, String), GeoPoint>,
    ) -> Result<(Catalog, ImportReport), ImportError> {
        if self.offers.is_empty() {
            return Err(ImportError::Empty {
                path: self.input.to_owned(),
                rows_read: self.report.rows_read,
            });
        }
        for (flag, names, column) in
            [("--regions", &self.options.regions, 0), ("--types", &self.options.types, 1)]
        {
            for name in names {
                let kept = self.offers.keys().any(|(r, t)| [r, t][column] == name);
                if !kept {
                    return Err(ImportError::Unmatched {
                        path: self.input.to_owned(),
                        flag,
                        name: name.clone(),
                    });
                }
            }
        }
        let mut region_names: Vec<&str> = self.offers.keys().map(|(r, _)| r.as_str()).collect();
        region_names.dedup();
        let mut regions = Vec::new();
        for name in region_names {
            let location = locations.get(&(self.cloud, name.to_owned())).copied();
            if location.is_none() {
                self.report.regions_without_location.push(name.to_owned());
            }
            regions.push(Region { cloud: self.cloud, name: name.to_owned(), location });
        }
        let used: std::collections::BTreeSet<&str> =
            self.offers.keys().map(|(_, t)| t.as_str()).collect();
        let types: Vec<InstanceType> =
            self.types.values().filter(|t| used.contains(t.name.as_str())).cloned().collect();
        let offers: Vec<Offer> = self.offers.into_values().collect();
        self.report.regions = regions.len() as u64;
        self.report.instance_types = types.len() as u64;
        self.report.offers_kept = offers.len() as u64;
        self.report.offers_with_spot = offers.iter().filter(|o| o.spot.is_some()).count() as u64;
        let file_name =
            self.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prices_date = date_in(&file_name).unwrap_or_else(|| "unknown".to_owned());
        let mut sources = vec![format!("{file_name} (shared/data/prices/)")];
        sources.extend(self.sources);
        sources.push(format!(
            "provider terms: scenarios/catalogs/terms/{}.toml; region locations: \
             scenarios/catalogs/regions.toml",
            self.cloud
        ));
        let mut notes = self.notes;
        let mut filters = Vec::new();
        if !self.options.regions.is_empty() {
            filters.push(format!("--regions {}", self.options.regions.join(",")));
        }
        if !self.options.types.is_empty() {
            filters.push(format!("--types {}", self.options.types.join(",")));
        }
        match self.options.gpu {
            GpuFilter::GpuOnly => filters.push("--gpu-only".into()),
            GpuFilter::CpuOnly => filters.push("--cpu-only".into()),
            GpuFilter::Any => {}
        }
        if !filters.is_empty() {
            notes.push(format!("imported with {}", filters.join(" ")));
        }
        let meta = CatalogMeta {
            name: format!("{}-{}", self.cloud, prices_date),
            prices_date,
            sources,
            notes,
        };
        let file =
            CatalogFile { meta, providers: vec![terms], regions, instance_types: types, offers };
        let catalog = Catalog::new(file)
            .map_err(|cause| ImportError::Invalid { path: self.input.to_owned(), cause })?;
        Ok((catalog, self.report))
    }
}

/// The last `YYYY-MM-DD` in a file name, e.g. `2026-05-20` in `skypilot_gcp_vms_2026-05-20.csv`.
fn date_in(name: &str) -> Option<String> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).rev().find_map(|i| {
        let s = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| s[r].iter().all(u8::is_ascii_digit);
        (digits(0..4) && s[4] == b'-' && digits(5..7) && s[7] == b'-' && digits(8..10))
            .then(|| name[i..i + 10].to_owned())
    })
}

/// Parses a price: a finite number of at least 0.
fn price(field: &str, raw: &str) -> Result<f64, Malformed> {
    raw.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| Malformed {
        field: field.to_owned(),
        expected: "a price in USD per hour (a number of at least 0)",
        found: raw.to_owned(),
    })
}

/// Parses a non-negative number.
fn number(field: &str, raw: &str) -> Result<f64, Malformed> {
    raw.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| Malformed {
        field: field.to_owned(),
        expected: "a number of at least 0",
        found: raw.to_owned(),
    })
}

/// GiB (possibly fractional) to whole MiB.
fn gib_to_mib(gib: f64) -> u64 {
    (gib * 1024.0).round() as u64
}

/// Rounds a derived price to micro-dollars.
fn round_usd(usd: f64) -> f64 {
    (usd * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_terms_and_locations_load() {
        for cloud in Cloud::ALL {
            let terms = load_terms(cloud, None).expect("built-in terms are valid");
            assert_eq!(terms.cloud, cloud);
        }
        let aws = load_terms(Cloud::Aws, None).expect("valid");
        assert_eq!(aws.spot.notice_s, 120);
        assert_eq!(load_terms(Cloud::Gcp, None).expect("valid").spot.notice_s, 30);
        let locations = load_locations(None).expect("valid");
        assert!(locations.contains_key(&(Cloud::Azure, "westeurope".to_owned())));
    }

    #[test]
    fn dates_come_from_file_names() {
        assert_eq!(date_in("skypilot_gcp_vms_2026-05-20.csv").as_deref(), Some("2026-05-20"));
        assert_eq!(date_in("prices.csv"), None);
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("gcp-skypilot".parse::<Format>().ok(), Some(Format::GcpSkypilot));
        let err = "gcp".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("aws-ec2instances"), "{err}");
    }
}
