//! `shardcast catalog`: the clap arguments and actions of `catalog import`, `catalog merge` and
//! `catalog show`, kept here so that `main.rs` only names the subcommand.
//!
//! Every action prints its result on stdout and returns errors that name the file (and, for
//! a malformed row under `--strict`, the line and field) and say what to do.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use engine::cloud::Cloud;

use super::import::{Format, GpuFilter, ImportOptions, import};
use super::{ShowFilter, load, merge, save, show, to_text};

/// `shardcast catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Build a one-provider catalog from a real price file, reporting what was skipped and why.
    #[command(after_help = "Formats:
  gcp-skypilot      SkyPilot catalog v7 gcp/vms.csv (per-zone rows, accelerator rows)
  azure-skypilot    SkyPilot catalog v7 azure/vms.csv (per-region rows)
  aws-ec2instances  ec2instances.info instances.json (on-demand and average spot);
                    --spot-advisor adds AWS Spot Advisor interruption bands and
                    --reserved the 2017 reserved-instance price ratios

Provider terms (billing, spot notice, reservation products, discounts) come from the built-in
scenarios/catalogs/terms/PROVIDER.toml unless --terms names another file; region locations
from scenarios/catalogs/regions.toml unless --locations does. The output is TOML or JSON by
its extension. Prints rows read, used and skipped by reason (with the first line numbers).

Examples:
  shardcast catalog import --format gcp-skypilot skypilot_gcp_vms_2026-05-20.csv -o gcp.json
  shardcast catalog import --format azure-skypilot skypilot_azure_vms_2026-05-20.csv \\
      --regions eastus,westeurope --cpu-only -o azure.toml
  shardcast catalog import --format aws-ec2instances ec2instances_aws_ondemand_spot_2024-04-04.json \\
      --spot-advisor aws_spot_advisor_2025-06-28.json \\
      --reserved ec2instances_aws_reserved_2017-11-12.json \\
      --regions us-east-1 --types m6i.xlarge,p3.2xlarge -o aws.toml")]
    Import(ImportArgs),
    /// Merge one-provider catalogs into one catalog file.
    #[command(after_help = "Providers, regions, types and offers are concatenated in input \
order; a provider (or region, type, offer) present in two inputs is an error. The prices date \
is the earliest of the inputs'; each input's date is kept in the notes.

--header FILE writes FILE's lines (each blank or starting with #) above a TOML output, e.g. \
how to regenerate it.

Examples:
  shardcast catalog merge aws.toml azure.toml gcp.toml -o all.toml
  shardcast catalog merge aws.json gcp.json --name bundled --note \"small test catalog\" \\
      --header header.txt -o bundled.toml")]
    Merge(MergeArgs),
    /// Print a catalog's providers, terms, counts and cheapest offers.
    #[command(after_help = "Examples:
  shardcast catalog show scenarios/catalogs/bundled.toml
  shardcast catalog show gcp.json --region us-central1 --top 20
  shardcast catalog show scenarios/catalogs/bundled.toml --cloud aws")]
    Show(ShowArgs),
}

/// `catalog import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Input format: gcp-skypilot, azure-skypilot or aws-ec2instances.
    #[arg(long, value_parser = parse_format)]
    format: Format,
    /// The price file.
    input: PathBuf,
    /// AWS only: the Spot Advisor JSON (interruption bands, savings %).
    #[arg(long, value_name = "FILE")]
    spot_advisor: Option<PathBuf>,
    /// AWS only: the ec2instances reserved-price JSON of 2017 (reserved/on-demand ratios).
    #[arg(long, value_name = "FILE")]
    reserved: Option<PathBuf>,
    /// Provider terms TOML (default: the built-in scenarios/catalogs/terms/PROVIDER.toml).
    #[arg(long, value_name = "FILE")]
    terms: Option<PathBuf>,
    /// Region locations TOML (default: the built-in scenarios/catalogs/regions.toml).
    #[arg(long, value_name = "FILE")]
    locations: Option<PathBuf>,
    /// Keep only these regions (comma-separated or repeated; exact names).
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    regions: Vec<String>,
    /// Keep only these instance types (comma-separated or repeated; exact names).
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    types: Vec<String>,
    /// Keep only types with GPUs.
    #[arg(long, conflicts_with = "cpu_only")]
    gpu_only: bool,
    /// Keep only types without GPUs.
    #[arg(long)]
    cpu_only: bool,
    /// Stop at the first malformed row (naming file, line and field) instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Where to write the catalog (.toml or .json).
    #[arg(short, long, value_name = "CATALOG")]
    output: PathBuf,
}

/// `catalog merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The catalogs to merge (.toml or .json), one provider each.
    #[arg(required = true, value_name = "CATALOG")]
    inputs: Vec<PathBuf>,
    /// The merged catalog's name (default: the inputs' names joined with +).
    #[arg(long)]
    name: Option<String>,
    /// A note to add to the merged catalog's meta.notes (repeatable).
    #[arg(long = "note", value_name = "TEXT")]
    notes: Vec<String>,
    /// A file of comment lines to write above a TOML output.
    #[arg(long, value_name = "FILE")]
    header: Option<PathBuf>,
    /// Where to write the merged catalog (.toml or .json).
    #[arg(short, long, value_name = "CATALOG")]
    output: PathBuf,
}

/// `catalog show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The catalog file (.toml or .json).
    catalog: PathBuf,
    /// Only this provider: aws, azure or gcp.
    #[arg(long, value_parser = parse_cloud)]
    cloud: Option<Cloud>,
    /// Only this region (by name).
    #[arg(long)]
    region: Option<String>,
    /// Rows in the cheapest-CPU-offers table.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

fn parse_cloud(s: &str) -> Result<Cloud, String> {
    Cloud::parse(s).ok_or_else(|| format!("unknown provider {s:?}; expected aws, azure or gcp"))
}

/// Runs one `catalog` subcommand.
pub fn run(command: CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::Import(args) => run_import(args),
        CatalogCommand::Merge(args) => run_merge(args),
        CatalogCommand::Show(args) => run_show(args),
    }
}

fn run_import(args: ImportArgs) -> Result<()> {
    super::check_extension(&args.output)?;
    let cloud_only = |flag: &str, given: bool| {
        if given && args.format != Format::AwsEc2instances {
            anyhow::bail!("{flag} applies to --format aws-ec2instances only, not {}", args.format);
        }
        Ok(())
    };
    cloud_only("--spot-advisor", args.spot_advisor.is_some())?;
    cloud_only("--reserved", args.reserved.is_some())?;
    let options = ImportOptions {
        format: args.format,
        spot_advisor: args.spot_advisor,
        reserved: args.reserved,
        regions: args.regions,
        types: args.types,
        gpu: match (args.gpu_only, args.cpu_only) {
            (true, _) => GpuFilter::GpuOnly,
            (_, true) => GpuFilter::CpuOnly,
            _ => GpuFilter::Any,
        },
        terms: args.terms,
        locations: args.locations,
        strict: args.strict,
    };
    let (catalog, report) = import(&args.input, &options)?;
    save(&catalog, &args.output)?;
    print!("{report}");
    println!(
        "wrote {} ({} regions, {} instance types, {} offers) to {}",
        catalog.meta().name,
        catalog.regions().len(),
        catalog.instance_types().len(),
        catalog.offers().len(),
        args.output.display()
    );
    Ok(())
}

/// Reads a header file: every line blank or a `#` comment, so the output stays valid TOML.
fn read_header(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the header; check the path", path.display()))?;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            anyhow::bail!(
                "{}:{}: a header line must be blank or start with #, found {line:?}; \
                 comment it out",
                path.display(),
                i + 1
            );
        }
    }
    let mut text = text;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn run_merge(args: MergeArgs) -> Result<()> {
    super::check_extension(&args.output)?;
    let header = args.header.as_deref().map(read_header).transpose()?;
    if header.is_some() && !super::is_toml(&args.output) {
        anyhow::bail!(
            "--header: {} is not .toml; a header is written only above TOML (JSON has no \
             comments)",
            args.output.display()
        );
    }
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        inputs.push((path.clone(), load(path)?));
    }
    let mut catalog = merge(&inputs)?;
    if args.name.is_some() || !args.notes.is_empty() {
        let mut file = catalog.file().clone();
        if let Some(name) = args.name {
            file.meta.name = name;
        }
        file.meta.notes.extend(args.notes);
        catalog = engine::cloud::Catalog::new(file).map_err(|cause| {
            super::CatalogFileError::Invalid { path: args.output.clone(), cause }
        })?;
    }
    let mut text = to_text(&catalog, &args.output)?;
    if let Some(header) = header {
        text = format!("{header}\n{text}");
    }
    std::fs::write(&args.output, text)
        .map_err(|cause| super::CatalogFileError::Write { path: args.output.clone(), cause })?;
    println!(
        "merged {} catalogs into {} ({} providers, {} regions, {} instance types, {} offers; \
         prices dated {}) at {}",
        inputs.len(),
        catalog.meta().name,
        catalog.providers().len(),
        catalog.regions().len(),
        catalog.instance_types().len(),
        catalog.offers().len(),
        catalog.meta().prices_date,
        args.output.display()
    );
    Ok(())
}

fn run_show(args: ShowArgs) -> Result<()> {
    let catalog = load(&args.catalog)?;
    if let Some(cloud) = args.cloud
        && catalog.provider(cloud).is_none()
    {
        let clouds: Vec<&str> = catalog.providers().iter().map(|p| p.cloud.as_str()).collect();
        anyhow::bail!(
            "{}: no provider {cloud}; the catalog has {}",
            args.catalog.display(),
            clouds.join(", ")
        );
    }
    if let Some(region) = &args.region {
        let known = catalog
            .regions()
            .iter()
            .any(|r| &r.name == region && args.cloud.is_none_or(|c| c == r.cloud));
        if !known {
            let names: Vec<&str> = catalog.regions().iter().map(|r| r.name.as_str()).collect();
            anyhow::bail!(
                "{}: no region {region:?}; the catalog has {}",
                args.catalog.display(),
                names.join(", ")
            );
        }
    }
    let filter = ShowFilter { cloud: args.cloud, region: args.region, top: args.top };
    print!("{}", show(&catalog, &filter));
    Ok(())
}
