//! Price catalogs as files: load and save a [`Catalog`] (TOML or JSON, chosen by the file's
//! extension), merge catalogs, print a readable summary, and import the real price files
//! (`import`).
//!
//! The model itself, with its validation, is `engine::cloud::catalog`; this module adds the
//! I/O around it. Errors ([`CatalogFileError`]) name the file and wrap the engine's
//! [`CatalogError`] (which names the field) when a file parses but is not a valid catalog.
//! TOML suits small hand-edited catalogs such as `scenarios/catalogs/bundled.toml`; imported
//! catalogs of a whole provider are large, and JSON is the better form for them.
//!
//! - [`load`], [`save`]: one catalog file;
//! - [`merge`]: several catalogs into one (one provider each; a repeated key is an error);
//! - [`show`]: the table `shardcast catalog show` prints;
//! - [`cli`]: the `shardcast catalog` subcommands (clap arguments and actions);
//! - `import`: importers for the SkyPilot GCP and Azure CSVs and the ec2instances AWS JSON,
//!   with the provider terms and region locations they attach (`scenarios/catalogs/`).

pub mod cli;
pub mod import;
mod show;

use std::path::{Path, PathBuf};

use engine::cloud::{Catalog, CatalogError, CatalogFile, CatalogMeta};

pub use show::{ShowFilter, show};

/// Why a catalog file could not be read, written or merged.
#[derive(Debug, thiserror::Error)]
pub enum CatalogFileError {
    /// The file could not be read.
    #[error("{}: cannot read the catalog: {cause}; check the path", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error (in the message, not a `source`, so that it is printed once).
        cause: std::io::Error,
    },
    /// The file could not be written.
    #[error(
        "{}: cannot write the catalog: {cause}; check that the folder exists",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error (in the message, not a `source`, so that it is printed once).
        cause: std::io::Error,
    },
    /// The extension is neither `.toml` nor `.json`.
    #[error(
        "{}: unknown catalog extension {found:?}; expected .toml or .json (rename the file)",
        path.display()
    )]
    Extension {
        /// The file.
        path: PathBuf,
        /// The extension found (empty when none).
        found: String,
    },
    /// The text is not a catalog (syntax, unknown or missing keys); the message gives the
    /// line and column.
    #[error("{}: not a catalog file: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The file parses but breaks a catalog rule (the wrapped error names the field).
    #[error("{}: invalid catalog: {cause}", path.display())]
    Invalid {
        /// The file (or, for a merge, the inputs).
        path: PathBuf,
        /// What rule, on which field (in the message, not a `source`).
        cause: CatalogError,
    },
    /// The catalog could not be serialised (a bug, reported rather than panicking).
    #[error("{}: cannot serialise the catalog: {message}", path.display())]
    Serialise {
        /// The file being written.
        path: PathBuf,
        /// The serialiser's message.
        message: String,
    },
    /// `merge` was given nothing.
    #[error("catalog merge: no input catalogs; name at least one")]
    NothingToMerge,
}

#[derive(Clone, Copy)]
enum Kind {
    Toml,
    Json,
}

fn kind(path: &Path) -> Result<Kind, CatalogFileError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "toml" => Ok(Kind::Toml),
        "json" => Ok(Kind::Json),
        _ => Err(CatalogFileError::Extension { path: path.to_owned(), found: ext }),
    }
}

/// Checks that `path` names a catalog file by its extension (`.toml` or `.json`), before any
/// work is done to write it.
pub fn check_extension(path: &Path) -> Result<(), CatalogFileError> {
    kind(path).map(|_| ())
}

/// Whether `path` is a TOML catalog by its extension.
pub fn is_toml(path: &Path) -> bool {
    matches!(kind(path), Ok(Kind::Toml))
}

/// Parses catalog text as TOML or JSON and validates it; `path` only names it in errors.
pub fn parse(text: &str, json: bool, path: &Path) -> Result<Catalog, CatalogFileError> {
    let parse_error = |message: String| CatalogFileError::Parse { path: path.to_owned(), message };
    let file: CatalogFile = if json {
        serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?
    } else {
        toml::from_str(text).map_err(|e| parse_error(e.to_string()))?
    };
    Catalog::new(file).map_err(|cause| CatalogFileError::Invalid { path: path.to_owned(), cause })
}

/// Reads and validates the catalog at `path` (`.toml` or `.json`).
pub fn load(path: &Path) -> Result<Catalog, CatalogFileError> {
    let kind = kind(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|cause| CatalogFileError::Read { path: path.to_owned(), cause })?;
    parse(&text, matches!(kind, Kind::Json), path)
}

/// The catalog as text in the format `path`'s extension names.
pub fn to_text(catalog: &Catalog, path: &Path) -> Result<String, CatalogFileError> {
    let serialise =
        |message: String| CatalogFileError::Serialise { path: path.to_owned(), message };
    let mut text = match kind(path)? {
        Kind::Toml => {
            toml::to_string_pretty(catalog.file()).map_err(|e| serialise(e.to_string()))?
        }
        Kind::Json => {
            serde_json::to_string_pretty(catalog.file()).map_err(|e| serialise(e.to_string()))?
        }
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Writes `catalog` to `path` as TOML or JSON, by extension.
pub fn save(catalog: &Catalog, path: &Path) -> Result<(), CatalogFileError> {
    let text = to_text(catalog, path)?;
    std::fs::write(path, text)
        .map_err(|cause| CatalogFileError::Write { path: path.to_owned(), cause })
}

/// Merges catalogs into one: providers, regions, types and offers are concatenated in input
/// order; `meta` joins the names with `+`, keeps the earliest prices date (and records each
/// input's date and file name, without its folder, so that the result does not depend on
/// where the inputs were written), and concatenates sources and notes. A provider, region,
/// type or offer present in two inputs is an error (the validation's `Duplicate`).
pub fn merge(inputs: &[(PathBuf, Catalog)]) -> Result<Catalog, CatalogFileError> {
    if inputs.is_empty() {
        return Err(CatalogFileError::NothingToMerge);
    }
    let mut out = CatalogFile {
        meta: CatalogMeta {
            name: inputs.iter().map(|(_, c)| c.meta().name.as_str()).collect::<Vec<_>>().join("+"),
            prices_date: inputs
                .iter()
                .map(|(_, c)| c.meta().prices_date.clone())
                .min()
                .unwrap_or_default(),
            sources: vec![],
            notes: vec![],
        },
        ..CatalogFile::default()
    };
    for (path, catalog) in inputs {
        let file = catalog.file();
        let clouds: Vec<String> = file.providers.iter().map(|p| p.cloud.to_string()).collect();
        out.meta.notes.push(format!(
            "{} ({}; {}): prices dated {}",
            file.meta.name,
            clouds.join(", "),
            path.file_name()
                .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
            file.meta.prices_date
        ));
        out.meta.sources.extend(file.meta.sources.iter().cloned());
        out.meta.notes.extend(file.meta.notes.iter().cloned());
        out.providers.extend(file.providers.iter().cloned());
        out.regions.extend(file.regions.iter().cloned());
        out.instance_types.extend(file.instance_types.iter().cloned());
        out.offers.extend(file.offers.iter().cloned());
    }
    let names: Vec<String> = inputs.iter().map(|(p, _)| p.display().to_string()).collect();
    Catalog::new(out).map_err(|cause| CatalogFileError::Invalid {
        path: PathBuf::from(names.join(" + ")),
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"
[meta]
name = "tiny"
prices_date = "2026-05-20"

[[providers]]
cloud = "aws"
billing = { granularity_s = 1, minimum_s = 60 }
boot_delay_s = 60
egress = { same_region_usd_per_gb = 0.01, inter_region_usd_per_gb = 0.02, internet_usd_per_gb = 0.09 }
spot = { notice_s = 120, default_band = "5-10%", price_volatility = 0.05, reprice_interval_s = 3600 }

[[regions]]
cloud = "aws"
name = "us-east-1"

[[instance_types]]
cloud = "aws"
name = "c5.xlarge"
vcpus = 4
memory_mib = 8192

[[offers]]
cloud = "aws"
region = "us-east-1"
instance_type = "c5.xlarge"
on_demand_usd_per_hour = 0.17
"#;

    #[test]
    fn toml_and_json_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = parse(TINY, false, Path::new("tiny.toml")).expect("valid");
        for name in ["c.toml", "c.json"] {
            let path = dir.path().join(name);
            save(&catalog, &path).expect("writes");
            assert_eq!(load(&path).expect("reads back"), catalog, "{name}");
        }
    }

    #[test]
    fn errors_name_the_file_and_field() {
        let err = load(Path::new("prices.csv")).unwrap_err().to_string();
        assert!(err.contains("prices.csv") && err.contains(".toml or .json"), "{err}");

        let bad = TINY.replace("on_demand_usd_per_hour = 0.17", "on_demand_usd_per_hour = -1.0");
        let err = parse(&bad, false, Path::new("bad.toml")).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("offers[0].on_demand_usd_per_hour"));

        let bad = TINY.replace("vcpus = 4", "vcpus = \"four\"");
        let err = parse(&bad, false, Path::new("bad.toml")).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("line"), "{err}");
    }

    #[test]
    fn merging_a_provider_twice_is_an_error() {
        let c = parse(TINY, false, Path::new("a.toml")).expect("valid");
        let err = merge(&[("a.toml".into(), c.clone()), ("b.toml".into(), c)]).unwrap_err();
        assert!(err.to_string().contains("duplicate provider aws"), "{err}");
        assert!(matches!(merge(&[]), Err(CatalogFileError::NothingToMerge)));
    }
}
