//! Price catalogs: the importers on the real price files in `shared/data/prices/` (rows read,
//! used and skipped by reason, checked against naive readings of the files, and prices
//! spot-checked against source rows quoted in comments), the bundled catalog
//! (`scenarios/catalogs/bundled.toml`: it loads, covers 3 providers × 3 regions with CPU and
//! GPU types, and `bundled.sh` regenerates it byte for byte), and `shardcast catalog` end to
//! end (import, merge, show; bad input is a clear error, never a panic).
//!
//! The binary is built with `cargo build -p sim --bin shardcast` on first use, because Cargo
//! gives a binary's path only to its own package's tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use engine::cloud::{Catalog, Cloud, InterruptionBand, Offer};
use sim::catalog::import::{Format, GpuFilter, ImportOptions, ImportReport, import};
use tests::{shared_data, workspace_root};

const GCP: &str = "prices/skypilot_gcp_vms_2026-05-20.csv";
const AZURE: &str = "prices/skypilot_azure_vms_2026-05-20.csv";
const AWS: &str = "prices/ec2instances_aws_ondemand_spot_2024-04-04.json";
const AWS_ADVISOR: &str = "prices/aws_spot_advisor_2025-06-28.json";
const AWS_RESERVED: &str = "prices/ec2instances_aws_reserved_2017-11-12.json";

fn offer<'c>(catalog: &'c Catalog, cloud: Cloud, region: &str, ty: &str) -> &'c Offer {
    let r = catalog.find_region(cloud, region).unwrap_or_else(|| panic!("region {region}"));
    let t = catalog.find_type(cloud, ty).unwrap_or_else(|| panic!("type {ty}"));
    catalog.offer(catalog.find_offer(r, t).unwrap_or_else(|| panic!("offer {region} {ty}")))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn skipped(report: &ImportReport, reason: &str) -> u64 {
    report.skipped.get(reason).map_or(0, |s| s.rows)
}

fn accounted(report: &ImportReport) {
    assert_eq!(
        report.rows_read,
        report.rows_used + report.rows_skipped(),
        "every row is used or skipped with a reason: {report}"
    );
}

// ---------------------------------------------------------------------------------------------
// Importers on the real files

#[test]
fn gcp_importer_on_the_real_file() {
    let Some(path) = shared_data(GCP) else { return };
    let (catalog, report) =
        import(&path, &ImportOptions::new(Format::GcpSkypilot)).expect("the GCP file imports");
    accounted(&report);

    // Naive reading: split lines on commas (no field of this file holds a quoted comma that
    // matters for columns 0, 3, 6 and 7).
    let text = std::fs::read_to_string(&path).expect("readable");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let accel: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0].is_empty()).collect();
    let tpu = accel.iter().filter(|r| r[3].starts_with("tpu-")).count() as u64;
    let mut seen = BTreeSet::new();
    // The accelerator key is (zone, name, count). Region and zone are counted from the end,
    // since GpuInfo (before them) may hold quoted commas.
    let dup = accel.iter().filter(|r| !seen.insert((r[r.len() - 3], r[3], r[4]))).count() as u64;
    let regions: BTreeSet<&str> = rows.iter().map(|r| r[r.len() - 4]).collect();

    assert_eq!(report.rows_read, 31_285);
    assert_eq!(report.rows_read, rows.len() as u64);
    assert_eq!(report.rows_used, 29_265);
    assert_eq!(report.rows_skipped(), 2_020);
    // All 154 repeated accelerator rows are TPU rows: together they are every TPU row.
    assert_eq!(skipped(&report, "duplicate accelerator row (zone, name, count)"), 154);
    assert_eq!(dup, 154);
    assert_eq!(skipped(&report, "TPU row (TPUs are not VM types)"), 1_494);
    assert_eq!(1_494 + 154, tpu);
    assert_eq!(skipped(&report, "attachable GPU for N1 hosts (not combined)"), 288);
    assert_eq!(skipped(&report, "accelerator row used by no kept GPU type"), 36);
    assert_eq!(skipped(&report, "GPU host type without a known accelerator mapping"), 46);
    assert_eq!(skipped(&report, "GPU host zone without a matching accelerator row"), 2);
    assert_eq!(report.notes["zone rows folded into a region offer (cheapest zone kept)"], 18_249);
    assert_eq!(report.regions, 44);
    assert_eq!(report.regions, regions.len() as u64);
    assert_eq!(report.regions_without_location, ["us-central2"]);
    assert_eq!((report.instance_types, report.offers_kept), (383, 10_593));
    assert_eq!(report.offers_with_spot, 10_589);
    assert_eq!(catalog.offers().len(), 10_593);
    assert_eq!(catalog.meta().prices_date, "2026-05-20");

    // line 19997: n2-standard-4,4.0,16.0,,,,us-central1,us-central1-a,0.19424,0.06284
    // (zones b, c, f give the same prices)
    let n2 = offer(&catalog, Cloud::Gcp, "us-central1", "n2-standard-4");
    assert!(close(n2.on_demand_usd_per_hour, 0.19424));
    assert!(close(n2.spot.expect("spot").usd_per_hour, 0.06284));
    assert_eq!(n2.spot.expect("spot").band, None, "GCP publishes no bands");
    // line 9:     a2-highgpu-1g,12.0,85.0,,,,europe-west4,europe-west4-a,0.81406,0.33413
    // line 28898: ,,,A100,1,{...40960...},europe-west4,europe-west4-a,1.61365,1.2276
    // host + accelerator: 0.81406 + 1.61365 = 2.42771; spot 0.33413 + 1.2276 = 1.56173.
    let a2 = offer(&catalog, Cloud::Gcp, "europe-west4", "a2-highgpu-1g");
    assert!(close(a2.on_demand_usd_per_hour, 2.42771), "{}", a2.on_demand_usd_per_hour);
    assert!(close(a2.spot.expect("spot").usd_per_hour, 1.56173));
    let t = catalog.instance_type(catalog.find_type(Cloud::Gcp, "a2-highgpu-1g").expect("type"));
    assert_eq!(
        (t.vcpus, t.memory_mib, t.gpus, t.gpu_kind.as_deref()),
        (12, 85 * 1024, 1, Some("A100"))
    );
}

#[test]
fn azure_importer_on_the_real_file() {
    let Some(path) = shared_data(AZURE) else { return };
    let (catalog, report) =
        import(&path, &ImportOptions::new(Format::AzureSkypilot)).expect("the Azure file imports");
    accounted(&report);

    let text = std::fs::read_to_string(&path).expect("readable");
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let unquoted =
        lines.iter().filter(|l| l.split(',').count() == 11 && l.ends_with(",V1,V2")).count() as u64;

    assert_eq!(report.rows_read, 56_671);
    assert_eq!(report.rows_read, lines.len() as u64);
    assert_eq!(report.rows_used, 56_542);
    assert_eq!(report.rows_skipped(), 129);
    assert_eq!(skipped(&report, "fractional GPU count (partial-GPU size)"), 108);
    // e.g. line 56246: Standard_NP10s,,1,10,168,,1.98,0.365904,canadacentral,V1 (an FPGA size:
    // a count with no accelerator name).
    let malformed =
        "malformed: AcceleratorName (expected a GPU model when AcceleratorCount is set)";
    assert_eq!(skipped(&report, malformed), 21);
    assert_eq!(report.skipped[malformed].first_lines[0], 56_246);
    assert_eq!(report.notes["repaired: unquoted Generation \"V1,V2\" (fields 10+ joined)"], 27_141);
    assert_eq!(unquoted, 27_141);
    assert_eq!(report.notes["offers without a spot price"], 2_840);
    assert_eq!((report.regions, report.instance_types, report.offers_kept), (58, 1_426, 56_542));
    assert_eq!(report.offers_with_spot, 53_702);
    assert!(report.regions_without_location.is_empty());

    // line 12842: Standard_D4s_v5,,,4,16,,0.192,0.040723,eastus,V1,V2 (the unquoted quirk)
    let d4 = offer(&catalog, Cloud::Azure, "eastus", "Standard_D4s_v5");
    assert!(close(d4.on_demand_usd_per_hour, 0.192));
    assert!(close(d4.spot.expect("spot").usd_per_hour, 0.040723));
    // line 55785: Standard_NC24ads_A100_v4,A100-80GB,1,24,220,A100-80GB,3.673,0.746721,eastus,V2
    let a100 = offer(&catalog, Cloud::Azure, "eastus", "Standard_NC24ads_A100_v4");
    assert!(close(a100.on_demand_usd_per_hour, 3.673));
    assert!(close(a100.spot.expect("spot").usd_per_hour, 0.746721));
    let t = catalog
        .instance_type(catalog.find_type(Cloud::Azure, "Standard_NC24ads_A100_v4").expect("type"));
    assert_eq!((t.vcpus, t.memory_mib, t.gpus), (24, 220 * 1024, 1));
    assert_eq!(t.gpu_kind.as_deref(), Some("A100-80GB"));
}

#[test]
fn aws_importer_on_the_real_files() {
    let Some(path) = shared_data(AWS) else { return };
    let (Some(advisor), Some(reserved)) = (shared_data(AWS_ADVISOR), shared_data(AWS_RESERVED))
    else {
        return;
    };
    let (plain, report) =
        import(&path, &ImportOptions::new(Format::AwsEc2instances)).expect("the AWS file imports");
    accounted(&report);

    // Naive reading of the JSON: records, zero on-demand prices, repeated (type, region).
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
    let data = doc["data"].as_array().expect("a data array");
    let zero = data.iter().filter(|r| r["ondemand"].as_str() == Some("0")).count() as u64;
    let mut seen = BTreeSet::new();
    let dup = data
        .iter()
        .filter(|r| !seen.insert((r["instance-type"].to_string(), r["region"].to_string())))
        .count() as u64;

    assert_eq!(report.rows_read, 13_767);
    assert_eq!(report.rows_read, data.len() as u64);
    assert_eq!(report.rows_used, 13_647);
    assert_eq!(skipped(&report, "duplicate (type, region) record (first kept)"), 115);
    assert_eq!(dup, 115);
    assert_eq!(skipped(&report, "zero on-demand price (not listed)"), 5);
    assert_eq!(zero, 5);
    assert_eq!(report.notes["offers without a spot price in the main file"], 1_650);
    assert_eq!((report.regions, report.instance_types, report.offers_kept), (94, 767, 13_647));
    assert_eq!(report.offers_with_spot, 11_997);
    assert_eq!(report.regions_without_location.len(), 65, "Local and Wavelength Zones, GovCloud");
    assert_eq!(plain.meta().prices_date, "2024-04-04");

    let mut options = ImportOptions::new(Format::AwsEc2instances);
    options.spot_advisor = Some(advisor);
    options.reserved = Some(reserved);
    let (catalog, report) = import(&path, &options).expect("imports with the extras");
    accounted(&report);
    assert_eq!(report.rows_used, 13_647);
    assert_eq!(report.notes["spot advisor: band set"], 11_995);
    assert_eq!(report.notes["spot advisor: offer not listed (default band)"], 1_652);
    assert_eq!(report.notes["spot advisor: spot price from savings % (none in main file)"], 48);
    assert_eq!(report.notes["reserved: offers given 2017 RI ratios"], 952);
    assert_eq!(report.offers_with_spot, 11_997 + 48);

    // record 6771: {"instance-type": "m6i.xlarge", ..., "region": "us-east-1",
    //   "ondemand": "0.192", "spot_avg": "0.076800"}; advisor us-east-1 m6i.xlarge {s: 55, r: 1}
    let m6i = offer(&catalog, Cloud::Aws, "us-east-1", "m6i.xlarge");
    assert!(close(m6i.on_demand_usd_per_hour, 0.192));
    let spot = m6i.spot.expect("spot");
    assert!(close(spot.usd_per_hour, 0.0768));
    assert_eq!(spot.band, Some(InterruptionBand::From5To10));
    assert!(m6i.discounted_usd_per_hour.is_empty(), "m6i is not in the 2017 file");
    // record 6640: g4dn.xlarge us-east-1 "ondemand": "0.526", "spot_avg": "0.215660";
    // advisor {s: 64, r: 3}
    let g4 = offer(&catalog, Cloud::Aws, "us-east-1", "g4dn.xlarge");
    assert!(close(g4.on_demand_usd_per_hour, 0.526));
    assert_eq!(g4.spot.expect("spot").band, Some(InterruptionBand::From15To20));
    // record 2558: p3.2xlarge eu-west-1 "ondemand": "3.305", "spot_avg": "1.123700"; advisor
    // {s: 56, r: 4}; 2017 file: p3.2xlarge eu-west-1 linux "ondemand": "3.305",
    // "yrTerm1Standard.noUpfront": "2.263", "yrTerm3Standard.allUpfront": "1.255", so the
    // ratio applied to today's 3.305 gives the 2017 prices back.
    let p3 = offer(&catalog, Cloud::Aws, "eu-west-1", "p3.2xlarge");
    assert!(close(p3.on_demand_usd_per_hour, 3.305));
    assert_eq!(p3.spot.expect("spot").band, Some(InterruptionBand::Over20));
    assert!(close(p3.discounted_usd_per_hour["ri-1y-standard-no-upfront"], 2.263));
    assert!(close(p3.discounted_usd_per_hour["ri-3y-standard-all-upfront"], 1.255));
    assert_eq!(p3.discounted_usd_per_hour.len(), 12);
    let t = catalog.instance_type(catalog.find_type(Cloud::Aws, "p3.2xlarge").expect("type"));
    assert_eq!((t.vcpus, t.gpus, t.gpu_kind.as_deref()), (8, 1, Some("V100")));
}

#[test]
fn filters_keep_only_what_is_named_and_count_the_rest() {
    let Some(path) = shared_data(GCP) else { return };
    let mut options = ImportOptions::new(Format::GcpSkypilot);
    options.regions = vec!["us-central1".into(), "europe-west4".into()];
    options.gpu = GpuFilter::GpuOnly;
    let (catalog, report) = import(&path, &options).expect("imports");
    accounted(&report);
    assert_eq!(catalog.regions().len(), 2);
    assert!(catalog.instance_types().iter().all(|t| t.gpus > 0 && t.gpu_kind.is_some()));
    assert!(skipped(&report, "filtered: region not in --regions") > 0);
    assert!(skipped(&report, "filtered: CPU type (--gpu-only)") > 0);

    options.regions = vec!["us-central1".into(), "us-centrall".into()];
    let err = import(&path, &options).unwrap_err().to_string();
    assert!(err.contains("--regions \"us-centrall\"") && err.contains(GCP), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The bundled catalog

fn bundled_path() -> PathBuf {
    workspace_root().join("scenarios/catalogs/bundled.toml")
}

#[test]
fn bundled_catalog_loads_and_covers_three_providers() {
    let catalog = sim::catalog::load(&bundled_path()).expect("bundled.toml loads and validates");
    assert_eq!(catalog.meta().name, "bundled");
    assert_eq!(catalog.meta().prices_date, "2024-04-04", "the earliest input's date");
    assert!(catalog.offers().len() <= 100, "small: scenarios load it");
    for cloud in Cloud::ALL {
        let terms = catalog.provider(cloud).unwrap_or_else(|| panic!("{cloud} terms"));
        assert!(!terms.products.is_empty(), "{cloud} sells reservation products");
        assert!(!terms.discounts.is_empty(), "{cloud} has discounts");
        let regions: Vec<_> = catalog.regions().iter().filter(|r| r.cloud == cloud).collect();
        assert!(regions.len() >= 3, "{cloud}: {} regions", regions.len());
        assert!(regions.iter().all(|r| r.location.is_some()), "{cloud}: every region located");
        let types: Vec<_> = catalog.instance_types().iter().filter(|t| t.cloud == cloud).collect();
        let cpu: BTreeSet<u32> = types.iter().filter(|t| t.gpus == 0).map(|t| t.vcpus).collect();
        assert_eq!(cpu, BTreeSet::from([4, 16, 64]), "{cloud}: 4, 16 and 64 vCPU types");
        let gpu: Vec<_> = types.iter().filter(|t| t.gpus > 0).collect();
        assert!(!gpu.is_empty(), "{cloud} has a GPU type");
        assert!(gpu.iter().all(|t| t.gpu_kind.is_some()), "{cloud}: every GPU type has a kind");
        // Every offer is sold on demand and spot, and every type in at least one region (not
        // every region sells every GPU type: p4d.24xlarge is not in all three AWS regions).
        for t in &types {
            assert!(
                catalog.offers().iter().any(|o| o.cloud == cloud && o.instance_type == t.name),
                "{cloud} {} is sold somewhere",
                t.name
            );
        }
        for o in catalog.offers().iter().filter(|o| o.cloud == cloud) {
            assert!(o.on_demand_usd_per_hour > 0.0);
            let spot =
                o.spot.unwrap_or_else(|| panic!("{cloud} {} {} spot", o.region, o.instance_type));
            assert!(spot.usd_per_hour < o.on_demand_usd_per_hour);
            if cloud == Cloud::Aws {
                assert!(spot.band.is_some(), "AWS offers carry a Spot Advisor band");
            }
        }
        // Multi-GPU types (4 or 8 GPUs) for jobs that need several GPUs on one instance.
        assert!(gpu.iter().any(|t| t.gpus >= 4), "{cloud} has a multi-GPU type");
    }
    let kinds: BTreeSet<&str> =
        catalog.instance_types().iter().filter_map(|t| t.gpu_kind.as_deref()).collect();
    assert!(kinds.contains("A100") && kinds.contains("V100") && kinds.contains("T4"), "{kinds:?}");
    // p3.2xlarge is in the 2017 reserved file, so its offers carry specific RI prices.
    let p3 = offer(&catalog, Cloud::Aws, "us-east-1", "p3.2xlarge");
    assert_eq!(p3.discounted_usd_per_hour.len(), 12);

    let text = std::fs::read_to_string(bundled_path()).expect("readable");
    let header: String = text.lines().take_while(|l| l.starts_with('#')).collect();
    for needle in [
        "shardcast catalog import --format aws-ec2instances",
        "shardcast catalog import --format azure-skypilot",
        "shardcast catalog import --format gcp-skypilot",
        "shardcast catalog merge",
        "2024-04-04",
        "2026-05-20",
        "bundled.sh",
    ] {
        assert!(header.contains(needle), "the header names {needle:?}");
    }
}

#[test]
fn bundled_regenerates_byte_identical() {
    let Some(prices) = shared_data("prices") else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("bundled.toml");
    let run = Command::new("sh")
        .arg("scenarios/catalogs/bundled.sh")
        .current_dir(workspace_root())
        .env("SHARDCAST", shardcast_bin())
        .env("PRICES", &prices)
        .env("OUT", &out)
        .output()
        .expect("sh runs");
    assert!(run.status.success(), "bundled.sh failed:\n{}", text(&run.stderr));
    let fresh = std::fs::read_to_string(&out).expect("written");
    let committed = std::fs::read_to_string(bundled_path()).expect("readable");
    assert!(
        fresh == committed,
        "scenarios/catalogs/bundled.toml differs from what bundled.sh writes; rerun \
         `sh scenarios/catalogs/bundled.sh` and review the diff"
    );
}

// ---------------------------------------------------------------------------------------------
// The CLI end to end

/// The `shardcast` binary, built once (dev profile) by `cargo build -p sim --bin shardcast`.
fn shardcast_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--offline", "-p", "sim", "--bin", "shardcast"])
            .args(["--message-format", "json-render-diagnostics"])
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "building shardcast failed:\n{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "shardcast")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the shardcast executable")
    })
}

fn shardcast(args: &[&str], cwd: &Path) -> Output {
    Command::new(shardcast_bin()).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless the command failed cleanly: exit 1 or 2 (clap), an `error:` line, no panic.
fn clean_failure(out: &Output) -> String {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "expected a failure; stdout: {}", text(&out.stdout));
    assert!(matches!(out.status.code(), Some(1 | 2)), "exit code {:?}: {err}", out.status.code());
    assert!(err.contains("error:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn cli_catalog_commands_have_help_with_examples() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sub in ["import", "merge", "show"] {
        let out = shardcast(&["catalog", sub, "--help"], dir.path());
        assert!(out.status.success(), "catalog {sub} --help");
        let help = text(&out.stdout);
        assert!(help.contains("Examples:") && help.contains("shardcast catalog"), "{help}");
    }
}

#[test]
fn cli_import_merge_show_on_the_real_files() {
    let (Some(gcp), Some(azure)) = (shared_data(GCP), shared_data(AZURE)) else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (gcp, azure) = (gcp.to_str().expect("utf-8"), azure.to_str().expect("utf-8"));

    let out = shardcast(
        &["catalog", "import", "--format", "gcp-skypilot", gcp, "--regions", "us-central1"]
            .into_iter()
            .chain(["--cpu-only", "-o", "gcp.toml"])
            .collect::<Vec<_>>(),
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("rows read 31285"), "{stdout}");
    assert!(stdout.contains("filtered: region not in --regions"), "{stdout}");
    assert!(stdout.contains("TPU row (TPUs are not VM types)"), "{stdout}");
    let gcp_catalog = sim::catalog::load(&dir.path().join("gcp.toml")).expect("a valid catalog");
    assert_eq!(gcp_catalog.regions().len(), 1);
    assert!(gcp_catalog.instance_types().iter().all(|t| t.gpus == 0));

    let out = shardcast(
        &["catalog", "import", "--format", "azure-skypilot", azure, "--regions", "eastus,westus2"]
            .into_iter()
            .chain(["--gpu-only", "-o", "azure.json"])
            .collect::<Vec<_>>(),
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("rows read 56671"), "{stdout}");
    assert!(stdout.contains("repaired: unquoted Generation"), "{stdout}");

    let out =
        shardcast(&["catalog", "merge", "gcp.toml", "azure.json", "-o", "m.toml"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 providers"), "{}", text(&out.stdout));
    let merged = sim::catalog::load(&dir.path().join("m.toml")).expect("a valid catalog");
    assert_eq!(
        merged.offers().len(),
        gcp_catalog.offers().len()
            + sim::catalog::load(&dir.path().join("azure.json")).expect("valid").offers().len()
    );
    assert_eq!(merged.meta().prices_date, "2026-05-20");

    let out = shardcast(&["catalog", "show", "m.toml", "--cloud", "azure"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("provider azure") && !shown.contains("provider gcp"), "{shown}");
    assert!(shown.contains("usd/gpu-h"), "{shown}");

    // Merging a provider twice is a clear error.
    let err = clean_failure(&shardcast(
        &["catalog", "merge", "gcp.toml", "gcp.toml", "-o", "twice.toml"],
        dir.path(),
    ));
    assert!(err.contains("duplicate provider gcp"), "{err}");
}

#[test]
fn cli_show_prints_the_bundled_catalog() {
    let bundled = bundled_path();
    let out = shardcast(&["catalog", "show", bundled.to_str().expect("utf-8")], &workspace_root());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for needle in ["provider aws", "provider azure", "provider gcp", "V100", "A100", "T4"] {
        assert!(shown.contains(needle), "{needle}: {shown}");
    }
    let err = clean_failure(&shardcast(
        &["catalog", "show", bundled.to_str().expect("utf-8"), "--region", "mars-1"],
        &workspace_root(),
    ));
    assert!(err.contains("no region \"mars-1\"") && err.contains("us-east-1"), "{err}");
}

const GCP_HEAD: &str = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,\
                        Region,AvailabilityZone,Price,SpotPrice\n";

#[test]
fn cli_bad_input_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let import = |args: &[&str]| {
        let mut all = vec!["catalog", "import"];
        all.extend_from_slice(args);
        shardcast(&all, d)
    };

    // A missing input names the file.
    let err = clean_failure(&import(&["--format", "gcp-skypilot", "nope.csv", "-o", "c.toml"]));
    assert!(err.contains("nope.csv") && err.contains("check the path"), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "the cause is printed once: {err}");
    // An unknown format lists the known ones.
    let err = clean_failure(&import(&["--format", "gcp", "nope.csv", "-o", "c.toml"]));
    assert!(err.contains("gcp-skypilot") && err.contains("aws-ec2instances"), "{err}");
    // A bad output extension is caught before any work.
    let err = clean_failure(&import(&["--format", "gcp-skypilot", "nope.csv", "-o", "c.csv"]));
    assert!(err.contains("c.csv") && err.contains(".toml or .json"), "{err}");
    // --spot-advisor belongs to AWS.
    let err = clean_failure(&import(&[
        "--format",
        "gcp-skypilot",
        "x.csv",
        "--spot-advisor",
        "a.json",
        "-o",
        "c.toml",
    ]));
    assert!(err.contains("--spot-advisor") && err.contains("aws-ec2instances"), "{err}");

    // A malformed row: skipped and counted by default, an error naming line and field with
    // --strict, and nothing written.
    let body = "n2-standard-4,4.0,16.0,,,,us-central1,us-central1-a,0.19424,0.06284\n\
                n2-standard-8,8.0,32.0,,,,us-central1,us-central1-a,cheap,0.1\n";
    std::fs::write(d.join("vms.csv"), format!("{GCP_HEAD}{body}")).expect("writes");
    let out = import(&["--format", "gcp-skypilot", "vms.csv", "-o", "ok.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("rows read 2, used 1, skipped 1"), "{stdout}");
    assert!(stdout.contains("malformed: Price") && stdout.contains("(first at 3)"), "{stdout}");
    let err = clean_failure(&import(&[
        "--format",
        "gcp-skypilot",
        "vms.csv",
        "--strict",
        "-o",
        "s.toml",
    ]));
    assert!(
        err.contains("vms.csv") && err.contains("line 3") && err.contains("field Price"),
        "{err}"
    );
    assert!(err.contains("\"cheap\""), "{err}");
    assert!(!d.join("s.toml").exists(), "no output on failure");

    // The wrong file for the format: a clear structural error.
    let err = clean_failure(&import(&["--format", "azure-skypilot", "vms.csv", "-o", "a.toml"]));
    assert!(err.contains("vms.csv") && err.contains("azure/vms.csv"), "{err}");
    let err = clean_failure(&import(&["--format", "aws-ec2instances", "vms.csv", "-o", "a.toml"]));
    assert!(err.contains("vms.csv") && err.contains("not JSON"), "{err}");
    // A filter naming nothing in the file.
    let err = clean_failure(&import(&[
        "--format",
        "gcp-skypilot",
        "vms.csv",
        "--types",
        "n2-standard-4,n9-huge",
        "-o",
        "f.toml",
    ]));
    assert!(err.contains("--types \"n9-huge\""), "{err}");

    // Catalog files: missing, not TOML, breaking a rule; each names the file.
    let err = clean_failure(&shardcast(&["catalog", "show", "missing.toml"], d));
    assert!(err.contains("missing.toml"), "{err}");
    std::fs::write(d.join("broken.toml"), "[meta]\nname = \n").expect("writes");
    let err = clean_failure(&shardcast(&["catalog", "show", "broken.toml"], d));
    assert!(err.contains("broken.toml") && err.contains("line"), "{err}");
    let ok = std::fs::read_to_string(d.join("ok.toml")).expect("written by the import");
    std::fs::write(d.join("neg.toml"), ok.replace("0.19424", "-0.19424")).expect("writes");
    let err =
        clean_failure(&shardcast(&["catalog", "merge", "ok.toml", "neg.toml", "-o", "m.toml"], d));
    assert!(err.contains("neg.toml") && err.contains("on_demand_usd_per_hour"), "{err}");
    // A header that is not all comments.
    std::fs::write(d.join("h.txt"), "# fine\nname = 1\n").expect("writes");
    let err = clean_failure(&shardcast(
        &["catalog", "merge", "ok.toml", "--header", "h.txt", "-o", "m.toml"],
        d,
    ));
    assert!(err.contains("h.txt:2"), "{err}");
}

#[test]
fn cli_merge_writes_name_notes_and_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let body = "n2-standard-4,4.0,16.0,,,,us-central1,us-central1-a,0.19424,0.06284\n";
    std::fs::write(d.join("vms_2026-05-20.csv"), format!("{GCP_HEAD}{body}")).expect("writes");
    let out = shardcast(
        &["catalog", "import", "--format", "gcp-skypilot", "vms_2026-05-20.csv", "-o", "g.json"],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(d.join("h.txt"), "# made by a test\n\n# second line").expect("writes");
    let out = shardcast(
        &["catalog", "merge", "g.json", "--name", "tiny", "--note", "hello"]
            .into_iter()
            .chain(["--header", "h.txt", "-o", "t.toml"])
            .collect::<Vec<_>>(),
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(d.join("t.toml")).expect("written");
    assert!(written.starts_with("# made by a test\n\n# second line\n"), "{written}");
    let catalog = sim::catalog::load(&d.join("t.toml")).expect("valid");
    assert_eq!(catalog.meta().name, "tiny");
    assert_eq!(catalog.meta().prices_date, "2026-05-20");
    assert!(catalog.meta().notes.iter().any(|n| n == "hello"));
    let err = clean_failure(&shardcast(
        &["catalog", "merge", "g.json", "--header", "h.txt", "-o", "t.json"],
        d,
    ));
    assert!(err.contains("--header") && err.contains("JSON"), "{err}");
}
