//! The `shardcast` command line: a thin clap layer over the `sim` library.
//!
//! Every command prints its results on stdout and errors on stderr, exits non-zero on failure,
//! and shows a progress bar only when stderr is a terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sim::run::{self, Progress};
use sim::scenario::Scenario;
use sim::trace::import::{ColumnMap, Format, ImportOptions};
use sim::trace::stats::TraceStats;
use sim::trace::{self, parquet, synth};

/// shardcast: a deterministic simulator and cost lab for multi-cloud batch compute.
#[derive(Debug, Parser)]
#[command(name = "shardcast", version, propagate_version = true)]
#[command(after_help = "Examples:
  shardcast run scenarios/quickstart.toml
  shardcast trace import --format swf HPC2N-2002-2.2-cln.swf.gz -o hpc2n.parquet
  shardcast trace stats hpc2n.parquet
  shardcast trace gen --preset hpc-seasonal --seed 7 --jobs 50000 -o synthetic.parquet
  shardcast forecast hpc2n.parquet --backtest 8
  shardcast catalog show scenarios/catalogs/bundled.toml")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import, inspect and generate job traces.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Import real price files into catalogs, merge catalogs, show a catalog.
    #[command(subcommand)]
    Catalog(sim::catalog::cli::CatalogCommand),
    /// Run a scenario and write its report.
    #[command(
        after_help = "Writes DIR/summary.json (default reports/<scenario>/<seed>/) and prints \
a short table. Relative paths in the scenario resolve against the scenario file's folder.

Examples:
  shardcast run scenarios/quickstart.toml
  shardcast run scenarios/quickstart.toml --set run.seed=7 --set platform.machines=64
  shardcast run my.toml --out /tmp/my-run"
    )]
    Run(RunArgs),
    /// Backtest demand forecasters on a trace's hourly series and write their scores.
    #[command(after_help = "Builds the hourly series of one resource (vcpu or gpu) and measure \
(submitted: resource-hours submitted per hour; busy: mean units in use), summed over all queues \
unless --queue names one, and backtests each model at the last N origins (one horizon apart, \
or --origin-step apart). Quantiles come from each model's residuals at daily origins over the \
--calibration windows before each origin, per horizon step (split conformal).

Writes DIR/metrics.{csv,parquet} (model, origin, mase, smape, pinball_50, pinball_70, \
coverage_90) and DIR/forecasts.{csv,parquet}; default DIR: reports/forecast/TRACE-NAME/.

Models: seasonal_naive_24, seasonal_naive_168, mean_profile_4w, historic_mean, zero,\nholt_winters_168, holt_winters_damped_168, decaying_p50, decaying_p50_24, regression, ensemble\n(default: all). zero is a reference: on sparse series it scores a MASE as low as any median.\nA model the series is too short for is listed as skipped, with the reason.

Examples:
  shardcast forecast hpc2n.parquet --backtest 8
  shardcast forecast CTC-SP2-1996-3.1-cln.swf.gz --queue 1 --measure busy
  shardcast forecast gpu.parquet --resource gpu --model mean_profile_4w --horizon 7d
  shardcast forecast pods.csv --format alibaba-gpu-2023 --resource gpu --since 115d --origin-step 24h")]
    Forecast(ForecastArgs),
    /// Plan one reservation window from a trace's history and a catalog, offline.
    #[command(after_help = "Forecasts each job class's demand (vCPUs, GPUs) from the jobs \
submitted before the plan time (START less --lead), solves the planner's MILP over the enabled \
offers of the catalog and prints the shards, the expected cost with its spread over the demand \
scenarios, and the considered offers. Writes the plan as JSON (-o; default plan.json). Needs the \
`planner` feature (HiGHS).

Examples:
  shardcast plan --history HPC2N-2002-2.2-cln.swf.gz --catalog scenarios/catalogs/bundled.toml \\
      --window 2003-03-03T00:00:00Z/7d -o plan.json
  shardcast plan --history pods.csv --format alibaba-gpu-2023 --catalog CATALOG \\
      --window 2023-05-01T00:00:00Z/7d --quantile 0.7 --lead 24h")]
    Plan(PlanArgs),
    /// Compare runs side by side: means and 95% confidence intervals over seeds.
    #[command(after_help = "Reads RUN/summary.json of each run folder (reports/SCENARIO/SEED/; a \
summary.json path works too) and groups runs that differ only by seed: by scenario name, or by \
cloud.policy with --by policy. Prints, per group, the runs and the mean of cost, cost per \
completed job, idle share, wait mean and p95, SLA attained, reserved utilisation and job counts, \
with the half-width of the 95% confidence interval (Student t) when a group has two seeds or \
more; a missing field (fixed platforms have no cost) shows as –.

Writes DIR/compare.csv and DIR/compare.parquet (one row per group and metric), DIR/runs.csv (one \
row per run) and bar charts with CI whiskers, DIR/compare-cost.{svg,png} and \
DIR/compare-wait.{svg,png}; \
default DIR: reports/compare/.

Examples:
  shardcast compare reports/cloud-mixed-spot/1 reports/cloud-mixed-spot/2
  shardcast compare reports/*/* --out /tmp/cmp
  shardcast compare runs/od-1 runs/od-2 runs/spot-1 runs/spot-2 --by policy")]
    Compare(CompareArgs),
    /// Run every point of a scenario's [sweep] table in parallel and write results.parquet.
    #[command(after_help = "The scenario's [sweep] table maps dotted field paths (the keys of \
--set, quoted) to a value, a list of values, or a range { from, to, step }. The points are the \
cartesian product: keys sorted by name, values in the order given, the last key varying fastest. \
Each point is the scenario with --set KEY=VALUE for each key (after the command's own --set), \
checked like `shardcast run`.

Writes DIR/results.parquet (default reports/SCENARIO/sweep/), one row per point in point order: \
point, one column per swept key, seed, job counts, waits, SLA, cost and makespan (schema in \
reports/README.md). The file is byte-identical at any --threads. With --part I/N only the \
points whose index modulo N is I-1 run, into DIR/results-part-I-of-N.parquet; `shardcast merge` \
joins the parts into exactly the single-machine file.

Examples:
  shardcast sweep my-sweep.toml
  shardcast sweep my-sweep.toml --threads 2 --out /tmp/sweep
  shardcast sweep my-sweep.toml --set workload.synthetic.jobs=500
  shardcast sweep my-sweep.toml --part 3/8 --out parts
  shardcast merge parts -o results.parquet")]
    Sweep(SweepArgs),
    /// Merge the part files of a split sweep into its results.parquet.
    #[command(after_help = "Each input is a results-part-I-of-N.parquet file, or a folder whose \
results-part-*.parquet files are all taken. The parts must come from the same sweep (same \
scenario text, --set values and [sweep] table: the files carry its fingerprint) and together \
hold every point exactly once; the output is byte-identical to the single-machine sweep's \
results.parquet.

Examples:
  shardcast merge parts -o results.parquet
  shardcast merge results-part-1-of-2.parquet results-part-2-of-2.parquet -o results.parquet")]
    Merge(MergeArgs),
    /// Write an sbatch script that runs a sweep as a Slurm job array, then merges its parts.
    Slurm(sim::slurm::SlurmArgs),
}

#[derive(Debug, Args)]
struct SweepArgs {
    /// The scenario file (TOML), with a [sweep] table.
    scenario: PathBuf,
    /// Override a scenario value before the sweep: key.path=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Threads to run points on (default: the available cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: reports/SCENARIO/sweep/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only part I of N (points whose index modulo N is I-1), e.g. 2/8.
    #[arg(long, value_name = "I/N")]
    part: Option<sim::sweep::Part>,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Part files, or folders holding results-part-*.parquet files.
    #[arg(required = true, value_name = "DIR_OR_FILE")]
    inputs: Vec<PathBuf>,
    /// Where to write the merged results.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Run folders (holding summary.json) or summary.json files.
    #[arg(required = true, value_name = "RUN_DIR")]
    runs: Vec<PathBuf>,
    /// Group runs by scenario name or by cloud policy.
    #[arg(long, value_enum, default_value = "scenario")]
    by: sim::compare::GroupBy,
    /// Output folder (default: reports/compare/).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ForecastArgs {
    #[command(flatten)]
    source: TraceSource,
    /// Forecast one queue only (default: all queues summed).
    #[arg(long)]
    queue: Option<String>,
    /// Resource class: vcpu or gpu.
    #[arg(long, default_value = "vcpu")]
    resource: String,
    /// Measure: submitted or busy.
    #[arg(long, default_value = "submitted")]
    measure: String,
    /// A model to backtest (repeatable; default: all).
    #[arg(long = "model")]
    models: Vec<String>,
    /// Forecast horizon per origin: hours, or with a unit (168h, 7d, 1w).
    #[arg(long, default_value = "168h")]
    horizon: String,
    /// Number of backtest origins (windows of one horizon, ending at the trace's end).
    #[arg(long, default_value_t = 8)]
    backtest: usize,
    /// Spacing of the backtest origins: hours or with a unit (24h, 1d; default: the horizon).
    #[arg(long)]
    origin_step: Option<String>,
    /// Drop the series' first hours (e.g. 115d for the Alibaba GPU trace) before backtesting.
    #[arg(long)]
    since: Option<String>,
    /// Earlier windows whose residuals calibrate each origin's quantiles.
    #[arg(long, default_value_t = 4)]
    calibration: usize,
    /// Output folder (default: reports/forecast/TRACE-NAME/).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum TraceCommand {
    /// Convert a trace to the canonical Parquet format, reporting what was dropped and why.
    #[command(after_help = "Formats:
  swf               Standard Workload Format (Parallel Workloads Archive), plain or .gz
  alibaba-gpu-2023  Alibaba GPU cluster trace 2023, openb_pod_list_*.csv
  alibaba-2017      Alibaba cluster trace v2017, batch_task.csv
  csv, json         any table, with --map naming the columns (JSON: array or JSON Lines)

--map is field=column:unit,... (unit optional). Fields and their units:
  submit, end, runtime, requested_runtime   seconds (default), minutes, hours, milliseconds,
                                            microseconds, datetime (RFC 3339 or YYYY-MM-DD HH:MM:SS)
  vcpus, gpus                               count (default) or milli
  memory                                    mib (default), gib, kib, mb, gb, kb
  output_bytes                              bytes (default), kib, mib, gib, kb, mb, gb
  dependencies                              semicolon (default), space, comma, pipe (separator)
  id, queue, user, gpu_kind, status         text
Without --map, columns named like the fields are read (submit and runtime in seconds).

Examples:
  shardcast trace import --format swf HPC2N-2002-2.2-cln.swf.gz -o hpc2n.parquet
  shardcast trace import --format alibaba-gpu-2023 --origin 2023-01-01T00:00:00Z \\
      openb_pod_list_default.csv -o gpu.parquet
  shardcast trace import --format csv --map submit=submit_s:seconds,runtime=runtime_s:seconds \\
      fifo-100k.csv.gz -o fifo.parquet")]
    Import(ImportArgs),
    /// Print a trace's size, time span, per-queue counts and resource totals.
    #[command(after_help = "TRACE may be canonical Parquet or any importable file.

Examples:
  shardcast trace stats hpc2n.parquet
  shardcast trace stats --json HPC2N-2002-2.2-cln.swf.gz")]
    Stats(StatsArgs),
    /// Generate a synthetic trace from a named preset.
    #[command(after_help = "Examples:
  shardcast trace gen --preset hpc-seasonal --seed 7 --jobs 50000 -o hpc.parquet
  shardcast trace gen --preset gpu-ml --seed 1 -o gpu.parquet")]
    Gen(GenArgs),
}

/// Options shared by commands that read a trace.
#[derive(Debug, Args)]
struct ReadOptions {
    /// Column mapping for csv and json: field=column:unit,...
    #[arg(long)]
    map: Option<String>,
    /// RFC 3339 time that relative trace times count from (Alibaba traces, relative CSV).
    #[arg(long)]
    origin: Option<String>,
    /// Skip malformed records (and count them) instead of stopping at the first.
    #[arg(long)]
    skip_malformed: bool,
}

impl ReadOptions {
    fn to_import_options(&self, format: Format) -> Result<ImportOptions> {
        let mut options = ImportOptions {
            format,
            skip_malformed: self.skip_malformed,
            ..ImportOptions::default()
        };
        if let Some(map) = &self.map {
            options.map = Some(map.parse::<ColumnMap>()?);
        }
        if let Some(origin) = &self.origin {
            options.origin = trace::parse_rfc3339(origin)?;
        }
        Ok(options)
    }
}

/// A trace to read, in any format `trace::load` knows.
#[derive(Debug, Args)]
struct TraceSource {
    /// The trace: Parquet, or any importable file.
    trace: PathBuf,
    /// Its format, if the file name does not tell (parquet, swf, csv, json, alibaba-gpu-2023,
    /// alibaba-2017).
    #[arg(long)]
    format: Option<String>,
    #[command(flatten)]
    read: ReadOptions,
}

impl TraceSource {
    fn load(&self) -> Result<trace::Trace> {
        // The format may be `parquet`, which is not an importer; `trace::load` knows.
        let import_format =
            self.format.as_deref().and_then(|f| f.parse::<Format>().ok()).unwrap_or(Format::Csv);
        let options = self.read.to_import_options(import_format)?;
        Ok(trace::load(&self.trace, self.format.as_deref(), &options)?)
    }
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// Input format: swf, alibaba-gpu-2023, alibaba-2017, csv or json.
    #[arg(long)]
    format: Format,
    #[command(flatten)]
    read: ReadOptions,
    /// The trace to import.
    input: PathBuf,
    /// Where to write the canonical Parquet trace.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct StatsArgs {
    #[command(flatten)]
    source: TraceSource,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct GenArgs {
    /// The preset: run with an unknown name to list them.
    #[arg(long)]
    preset: String,
    /// The seed; same seed, same trace.
    #[arg(long)]
    seed: u64,
    /// Jobs to generate.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Where to write the Parquet trace.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Override a scenario value: key.path=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Output folder (default: reports/SCENARIO/SEED/).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Trace(TraceCommand::Import(args)) => import(args),
        Command::Trace(TraceCommand::Stats(args)) => stats(args),
        Command::Trace(TraceCommand::Gen(args)) => gen_trace(args),
        Command::Catalog(command) => sim::catalog::cli::run(command),
        Command::Run(args) => run_scenario(args),
        Command::Forecast(args) => forecast(args),
        Command::Compare(args) => compare(args),
        Command::Sweep(args) => sweep(args),
        Command::Merge(args) => merge(args),
        Command::Slurm(args) => Ok(sim::slurm::run(args)?),
        Command::Plan(args) => plan(args),
    }
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// The trace whose jobs before the plan time are the history.
    #[arg(long = "history")]
    history: PathBuf,
    /// Its format, if the file name does not tell.
    #[arg(long)]
    format: Option<String>,
    /// The price catalog (TOML).
    #[arg(long)]
    catalog: PathBuf,
    /// The window: START/LENGTH, START in RFC 3339, LENGTH in hours, days or weeks (7d).
    #[arg(long)]
    window: String,
    /// Plan on this quantile of demand instead of the scenarios' average.
    #[arg(long)]
    quantile: Option<f64>,
    /// How long before START the plan is made (hours, days: 24h, 1d; default 0).
    #[arg(long)]
    lead: Option<String>,
    /// Demand scenarios (conformal quantile paths).
    #[arg(long, default_value_t = 5)]
    scenarios: u32,
    /// Duration blocks of the planner's time model (0: every hour, chronologically).
    #[arg(long, default_value_t = 12)]
    blocks: u32,
    /// The planner's fast path: keep the LP-guided restricted plan without proving it within
    /// the gap of the full model (large problems; see the planner benchmark).
    #[arg(long)]
    fast: bool,
    /// Only these providers (repeatable; default all).
    #[arg(long = "provider")]
    providers: Vec<String>,
    /// Only these regions (repeatable; default all).
    #[arg(long = "region")]
    regions: Vec<String>,
    /// Where to write the plan.
    #[arg(short = 'o', long = "out", default_value = "plan.json")]
    out: PathBuf,
}

#[cfg(not(feature = "planner"))]
fn plan(_args: PlanArgs) -> Result<()> {
    anyhow::bail!("shardcast plan {}", sim::scenario::NEEDS_PLANNER)
}

#[cfg(feature = "planner")]
fn plan(args: PlanArgs) -> Result<()> {
    let (start, length) = args.window.split_once('/').with_context(|| {
        format!("--window {:?}: expected START/LENGTH, like 2003-03-03T00:00:00Z/7d", args.window)
    })?;
    let start = trace::parse_rfc3339(start).context("--window START")?;
    let hours = sim::forecast::parse_hours(length).context("--window LENGTH")?;
    let lead_hours = match &args.lead {
        Some(l) if l.trim() != "0" => sim::forecast::parse_hours(l).context("--lead")?,
        _ => 0,
    };
    if let Some(q) = args.quantile
        && !(q > 0.0 && q < 1.0)
    {
        anyhow::bail!("--quantile {q}: expected a level strictly between 0 and 1, like 0.7");
    }
    if args.scenarios == 0 {
        anyhow::bail!("--scenarios 0: give at least 1");
    }
    let options = ImportOptions::default();
    let source = trace::load(&args.history, args.format.as_deref(), &options)
        .with_context(|| format!("--history {}", args.history.display()))?;
    let catalog = sim::catalog::load(&args.catalog)?;
    let offers: Vec<_> = catalog
        .offer_ids()
        .filter(|ix| {
            let o = catalog.offer(*ix);
            (args.providers.is_empty() || args.providers.iter().any(|p| p == o.cloud.as_str()))
                && (args.regions.is_empty() || args.regions.contains(&o.region))
        })
        .collect();
    if offers.is_empty() {
        anyhow::bail!("no offer of {} matches --provider and --region", args.catalog.display());
    }
    let config = engine::policy::PredictiveConfig {
        quantile: args.quantile,
        scenarios: args.scenarios,
        blocks: args.blocks,
        fast: args.fast,
        ..engine::policy::PredictiveConfig::default()
    };
    let out = sim::plan::plan(
        &source,
        &catalog,
        &offers,
        &sim::plan::PlanOptions {
            start,
            hours: hours as u64,
            lead_hours: lead_hours as u64,
            config,
        },
    )?;
    std::fs::write(&args.out, format!("{}\n", out.json))
        .with_context(|| format!("writing {}", args.out.display()))?;
    print!("{}", out.text);
    println!("\nplan        {}", args.out.display());
    Ok(())
}

fn forecast(args: ForecastArgs) -> Result<()> {
    use engine::forecast::{BacktestConfig, Measure, ResourceClass};
    use sim::forecast::{ForecastOptions, MODEL_NAMES, parse_hours};
    let resource = match args.resource.as_str() {
        "vcpu" => ResourceClass::Vcpu,
        "gpu" => ResourceClass::Gpu,
        other => anyhow::bail!("--resource {other:?}: expected vcpu or gpu"),
    };
    let measure = match args.measure.as_str() {
        "submitted" => Measure::Submitted,
        "busy" => Measure::Busy,
        other => anyhow::bail!("--measure {other:?}: expected submitted or busy"),
    };
    let horizon = parse_hours(&args.horizon)?;
    let spinner = spinner(format!("reading {}", args.source.trace.display()));
    let trace = args.source.load()?;
    spinner.set_message("backtesting");
    let models = if args.models.is_empty() {
        MODEL_NAMES.iter().map(|m| (*m).to_owned()).collect()
    } else {
        args.models
    };
    let options = ForecastOptions {
        queue: args.queue,
        resource,
        measure,
        models,
        backtest: BacktestConfig {
            horizon,
            origins: args.backtest,
            step: args.origin_step.as_deref().map(parse_hours).transpose()?.unwrap_or(horizon),
            calibration: args.calibration,
            calibration_step: engine::forecast::DAY_HOURS,
            season: engine::forecast::WEEK_HOURS,
        },
        since: args.since.as_deref().map(parse_hours).transpose()?.unwrap_or(0),
    };
    let report = sim::forecast::run(&trace, &options)?;
    spinner.finish_and_clear();
    let out = args.out.unwrap_or_else(|| {
        let name = args.source.trace.file_name().map_or_else(
            || "trace".to_owned(),
            |n| n.to_string_lossy().split('.').next().unwrap_or("trace").to_owned(),
        );
        PathBuf::from("reports/forecast").join(name)
    });
    report.write(&out)?;
    print!("{report}");
    println!("wrote {}/metrics.csv, forecasts.csv (and .parquet)", out.display());
    Ok(())
}

fn sweep(args: SweepArgs) -> Result<()> {
    use sim::sweep::{self, Results, Sweep};
    let threads = args.threads.unwrap_or_else(sweep::default_threads);
    let spinner = spinner(format!("loading the sweep of {}", args.scenario.display()));
    let plan = Sweep::load(&args.scenario, &args.sets)?;
    spinner.finish_and_clear();
    let selected = plan.select(args.part).len() as u64;
    let bar = ProgressBar::new(selected);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("sweeping {} on {threads} threads", plan.name));
    let results = sweep::run(&plan, args.part, threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let out_dir = args.out.unwrap_or_else(|| plan.default_out_dir());
    let path = out_dir.join(Results::file_name(args.part));
    results.write(&path)?;
    print!("{results}");
    let part = args.part.map_or_else(String::new, |p| format!(" (part {p})"));
    println!(
        "wrote {} of {} points{part} to {}",
        results.rows.len(),
        results.points,
        path.display()
    );
    Ok(())
}

fn merge(args: MergeArgs) -> Result<()> {
    use sim::sweep::{Results, results};
    let files = results::part_files(&args.inputs)?;
    let parts = files
        .iter()
        .map(|f| Results::read(f).map(|r| (f.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = results::merge(parts)?;
    merged.write(&args.output)?;
    println!(
        "merged {} files: {} points of {} to {}",
        files.len(),
        merged.rows.len(),
        merged.scenario,
        args.output.display()
    );
    Ok(())
}

fn compare(args: CompareArgs) -> Result<()> {
    let comparison = sim::compare::compare(&args.runs, args.by)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("reports/compare"));
    let written = comparison.write(&out)?;
    print!("{comparison}");
    for file in &written.files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

fn import(args: ImportArgs) -> Result<()> {
    let spinner = spinner(format!("importing {}", args.input.display()));
    let options = args.read.to_import_options(args.format)?;
    let trace = trace::import::import(&args.input, &options)?;
    spinner.set_message(format!("writing {}", args.output.display()));
    parquet::write(&trace, &args.output)?;
    spinner.finish_and_clear();
    if let Some(report) = &trace.meta.import_report {
        print!("{report}");
    }
    println!("wrote {} jobs to {}", trace.jobs.len(), args.output.display());
    Ok(())
}

fn stats(args: StatsArgs) -> Result<()> {
    let trace = args.source.load()?;
    let stats = TraceStats::of(&trace);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        print!("{stats}");
    }
    Ok(())
}

fn gen_trace(args: GenArgs) -> Result<()> {
    let spec = synth::preset(&args.preset)?;
    let trace = synth::generate(&spec, args.seed, args.jobs)?;
    parquet::write(&trace, &args.output)?;
    println!(
        "wrote {} jobs (preset {}, seed {}) to {}",
        trace.jobs.len(),
        args.preset,
        args.seed,
        args.output.display()
    );
    Ok(())
}

fn run_scenario(args: RunArgs) -> Result<()> {
    let loaded = Scenario::load(&args.scenario, &args.sets)?;
    let out_dir = args.out.unwrap_or_else(|| run::default_out_dir(&loaded));
    let bar = spinner(format!("loading the workload of {}", loaded.name));
    let result = run::run(&loaded, &mut |progress| match progress {
        Progress::Loaded { jobs } => {
            bar.set_length(jobs);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} jobs ({eta})")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(format!("running {}", loaded.name));
        }
        Progress::Jobs(done) => bar.set_position(done),
    })?;
    bar.finish_and_clear();
    let path = result
        .write(&out_dir)
        .with_context(|| format!("writing the report to {}", out_dir.display()))?;
    print!("{}", result.summary);
    println!("report      {}", path.display());
    Ok(())
}

/// A spinner on stderr; indicatif draws nothing when stderr is not a terminal.
fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
