//! `shardcast slurm`: a sweep as a Slurm job array, with its merge, in one sbatch script.
//!
//! The generated file is a bash script whose `#SBATCH` header describes a job array of N tasks
//! (`--array=1-N`); `sbatch FILE` submits it. Array task I runs
//! `shardcast sweep SCENARIO --part I/N --out DIR`, writing `DIR/results-part-I-of-N.parquet`.
//! The array's first task also queues the merge: a one-task job that depends on the whole array
//! (`--dependency=afterok:ARRAY_JOB_ID`, cancelled by Slurm if a part fails) and runs
//! `shardcast merge` on parts 1..N into `DIR/results.parquet`, byte-identical to the
//! single-machine sweep's. The merge job's id is written to `DIR/slurm/merge-job-ARRAY_JOB_ID`,
//! once per array job even if a task is requeued. `bash FILE --merge` runs the same merge by
//! hand, for clusters whose compute nodes may not submit jobs.
//!
//! Everything is resolved when the script is written: the sweep is loaded and checked (the
//! scenario, its `[sweep]` table, `--set`s, and that there are at least as many points as
//! parts), and the binary, scenario and output folder become absolute paths, single-quoted in
//! the script. The log folder `DIR/slurm/` is created then, because Slurm does not create the
//! folders of `--output` files. [`prepare`] does that I/O; [`render`] is a pure function of a
//! [`JobSpec`] and is what the unit tests read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::sweep::{Sweep, SweepError};

/// Why a job script could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// The sweep could not be loaded: missing scenario, no `[sweep]` table, a bad value.
    #[error(transparent)]
    Sweep(Box<SweepError>),
    /// `--parts 0`.
    #[error("--parts 0: a sweep needs at least one part")]
    ZeroParts,
    /// More parts than points: some array tasks would have nothing to run.
    #[error(
        "--parts {parts}: the sweep of {path} has only {points} point(s); use at most {points} parts"
    )]
    TooManyParts {
        /// Parts asked for.
        parts: usize,
        /// Points in the sweep.
        points: usize,
        /// The scenario file.
        path: PathBuf,
    },
    /// An option's value is not one Slurm or the script can take.
    #[error("--{option} {value:?}: {message}")]
    Option {
        /// The option, without dashes.
        option: &'static str,
        /// The value given.
        value: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A path cannot be written into the script.
    #[error("{path}: {message}")]
    Path {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file or folder could not be read, created or written.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error (in the message, so not repeated as a source).
        error: std::io::Error,
    },
}

impl From<SweepError> for SlurmError {
    fn from(e: SweepError) -> SlurmError {
        SlurmError::Sweep(Box::new(e))
    }
}

/// What `shardcast slurm` is asked for (the command's options but `-o`).
#[derive(Clone, Debug, Args)]
pub struct SlurmOptions {
    /// The scenario file (TOML), with a `[sweep]` table.
    #[arg(help = "The scenario file (TOML), with a [sweep] table")]
    pub scenario: PathBuf,
    /// Override a scenario value in every part: key.path=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Parts: array tasks, each running the points whose index modulo N is I-1.
    #[arg(long, value_name = "N")]
    pub parts: usize,
    /// The sweep's output folder (default: reports/SCENARIO/sweep/ under the current folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The shardcast binary the jobs run (default: this one).
    #[arg(long, value_name = "PATH")]
    pub binary: Option<PathBuf>,
    /// Slurm partition (default: the cluster's default).
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// Time limit of each task, e.g. 01:00:00 (default: the partition's).
    #[arg(long, value_name = "HH:MM:SS")]
    pub time: Option<String>,
    /// CPUs of each array task.
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Threads of each part's sweep (default: $SLURM_CPUS_PER_TASK, so an
    /// `sbatch --cpus-per-task` override is followed).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
}

/// `shardcast slurm`: the options and where to write the script.
#[derive(Debug, Args)]
#[command(after_help = "Writes FILE, a bash script for `sbatch`: a job array of N tasks \
(#SBATCH --array=1-N), task I running `shardcast sweep SCENARIO --part I/N --out DIR`. The \
first task also queues the merge, a job that depends on the whole array \
(--dependency=afterok) and runs `shardcast merge` on the N parts into DIR/results.parquet, \
byte-identical to a single-machine `shardcast sweep`. `bash FILE --merge` merges by hand.

The sweep is loaded and checked now; the binary, scenario and DIR become absolute paths, so \
submit from anywhere on a file system the nodes share. Logs go to DIR/slurm/ (created now), \
one .out and .err per task and for the merge, with merge-job-ARRAY_JOB_ID holding the merge \
job's id. Slurm's default MaxArraySize allows at most 1000 parts.

Examples:
  shardcast slurm my-sweep.toml --parts 8 -o my-sweep.sbatch && sbatch my-sweep.sbatch
  shardcast slurm my-sweep.toml --parts 32 --cpus-per-task 4 --partition batch \\
      --time 02:00:00 --out /scratch/me/sweep -o sweep.sbatch")]
pub struct SlurmArgs {
    #[command(flatten)]
    options: SlurmOptions,
    /// Where to write the sbatch script.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// `shardcast slurm`: write the script and say how to submit it.
pub fn run(args: SlurmArgs) -> Result<(), SlurmError> {
    let spec = generate(&args.options, &args.output)?;
    println!(
        "wrote {}: {} points of {} in {} array tasks",
        args.output.display(),
        spec.points,
        spec.scenario_name,
        spec.parts
    );
    println!("submit: sbatch {}", quote(&spec.script.to_string_lossy()));
    println!("result: {}", spec.out_dir.join("results.parquet").display());
    println!("logs:   {}", spec.log_dir.display());
    Ok(())
}

/// A job script, fully resolved: every path absolute, every value checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// The job name (the scenario's name, reduced to `[A-Za-z0-9._-]`); the merge job is
    /// `NAME-merge`.
    pub job_name: String,
    /// The scenario's name, as written in its file.
    pub scenario_name: String,
    /// The `shardcast` binary.
    pub binary: PathBuf,
    /// The scenario file.
    pub scenario: PathBuf,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// The sweep's output folder.
    pub out_dir: PathBuf,
    /// Where Slurm writes the jobs' logs (`OUT/slurm`).
    pub log_dir: PathBuf,
    /// The script's own path, for its comments and messages.
    pub script: PathBuf,
    /// Array tasks.
    pub parts: usize,
    /// Points in the sweep.
    pub points: usize,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`.
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: usize,
    /// `--threads`, or `None` for `$SLURM_CPUS_PER_TASK`.
    pub threads: Option<usize>,
}

/// Load and check the sweep, resolve every path, create the log folder: everything [`render`]
/// needs for a script that will be written to `script`.
pub fn prepare(options: &SlurmOptions, script: &Path) -> Result<JobSpec, SlurmError> {
    if options.parts == 0 {
        return Err(SlurmError::ZeroParts);
    }
    if options.cpus_per_task == 0 {
        return Err(option("cpus-per-task", "0", "must be at least 1"));
    }
    if options.threads == Some(0) {
        return Err(option("threads", "0", "must be at least 1"));
    }
    if let Some(partition) = &options.partition {
        check_partition(partition)?;
    }
    if let Some(time) = &options.time {
        check_time(time)?;
    }
    let sweep = Sweep::load(&options.scenario, &options.sets)?;
    let points = sweep.points.len();
    if options.parts > points {
        return Err(SlurmError::TooManyParts {
            parts: options.parts,
            points,
            path: options.scenario.clone(),
        });
    }
    let binary = match &options.binary {
        Some(binary) => binary.clone(),
        None => std::env::current_exe()
            .map_err(|error| SlurmError::Io { path: "shardcast (this binary)".into(), error })?,
    };
    let binary = canonical(&binary)?;
    if !binary.is_file() {
        return Err(SlurmError::Path { path: binary, message: "--binary: not a file".into() });
    }
    let scenario = canonical(&options.scenario)?;
    let out_dir = options.out.clone().unwrap_or_else(|| sweep.default_out_dir());
    let log_dir = out_dir.join("slurm");
    // Refuse a log folder no #SBATCH line can carry before creating it.
    let absolute = std::path::absolute(&log_dir)
        .map_err(|error| SlurmError::Io { path: log_dir.clone(), error })?;
    sbatch_path(&absolute)?;
    std::fs::create_dir_all(&log_dir)
        .map_err(|error| SlurmError::Io { path: log_dir.clone(), error })?;
    let out_dir = canonical(&out_dir)?;
    let script = std::path::absolute(script)
        .map_err(|error| SlurmError::Io { path: script.to_owned(), error })?;
    Ok(JobSpec {
        job_name: job_name(&sweep.name),
        scenario_name: sweep.name,
        binary,
        scenario,
        sets: options.sets.clone(),
        log_dir: out_dir.join("slurm"),
        out_dir,
        script,
        parts: options.parts,
        points,
        partition: options.partition.clone(),
        time: options.time.clone(),
        cpus_per_task: options.cpus_per_task,
        threads: options.threads,
    })
}

/// [`prepare`], [`render`], and write the script to `script`.
pub fn generate(options: &SlurmOptions, script: &Path) -> Result<JobSpec, SlurmError> {
    let spec = prepare(options, script)?;
    let text = render(&spec)?;
    std::fs::write(script, text)
        .map_err(|error| SlurmError::Io { path: script.to_owned(), error })?;
    Ok(spec)
}

fn option(option: &'static str, value: &str, message: &str) -> SlurmError {
    SlurmError::Option { option, value: value.to_owned(), message: message.to_owned() }
}

fn canonical(path: &Path) -> Result<PathBuf, SlurmError> {
    path.canonicalize().map_err(|error| SlurmError::Io { path: path.to_owned(), error })
}

/// The scenario's name as a job name: characters outside `[A-Za-z0-9._-]` become `-`.
pub fn job_name(scenario: &str) -> String {
    let name: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    if name.is_empty() { "shardcast-sweep".to_owned() } else { name }
}

fn check_partition(partition: &str) -> Result<(), SlurmError> {
    let ok = !partition.is_empty()
        && partition
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ','));
    if ok {
        Ok(())
    } else {
        Err(option(
            "partition",
            partition,
            "expected a partition name (letters, digits, `_`, `-`, `.`; several separated by `,`)",
        ))
    }
}

/// Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`.
fn check_time(time: &str) -> Result<(), SlurmError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match time.split_once('-') {
        Some((days, rest)) => {
            let fields: Vec<&str> = rest.split(':').collect();
            digits(days) && fields.len() <= 3 && fields.iter().all(|f| digits(f))
        }
        None => {
            let fields: Vec<&str> = time.split(':').collect();
            fields.len() <= 3 && fields.iter().all(|f| digits(f))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(option(
            "time",
            time,
            "expected a Slurm time limit: MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
        ))
    }
}

/// A path as UTF-8 without control characters (which no script line can carry).
fn text(path: &Path) -> Result<&str, SlurmError> {
    let err = |message: &str| SlurmError::Path { path: path.to_owned(), message: message.into() };
    let s = path.to_str().ok_or_else(|| err("not valid UTF-8"))?;
    if s.chars().any(char::is_control) {
        return Err(err("contains a control character (a newline?)"));
    }
    Ok(s)
}

/// A path for an `#SBATCH` line, where Slurm does no shell quoting: no whitespace or quotes,
/// and `%` (Slurm's filename patterns) doubled.
fn sbatch_path(path: &Path) -> Result<String, SlurmError> {
    let s = text(path)?;
    if s.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\')) {
        return Err(SlurmError::Path {
            path: path.to_owned(),
            message: "the log folder goes on #SBATCH lines, which cannot carry whitespace, \
                      quotes or backslashes; choose an --out folder without them"
                .into(),
        });
    }
    Ok(s.replace('%', "%%"))
}

/// `s` single-quoted for bash (and any POSIX shell).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The script's text. Errors only for paths that a script cannot carry (control characters,
/// or whitespace and quotes in the log folder, which goes on `#SBATCH` lines).
pub fn render(spec: &JobSpec) -> Result<String, SlurmError> {
    let binary = quote(text(&spec.binary)?);
    let scenario = quote(text(&spec.scenario)?);
    let out = quote(text(&spec.out_dir)?);
    let logs = quote(text(&spec.log_dir)?);
    let script = quote(text(&spec.script)?);
    let sbatch_logs = sbatch_path(&spec.log_dir)?;
    if let Some(set) = spec.sets.iter().find(|s| s.chars().any(char::is_control)) {
        return Err(option("set", set, "contains a control character"));
    }
    let (name, parts) = (&spec.job_name, spec.parts);
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line("#!/bin/bash".into());
    line(format!(
        "# The sweep of {} ({} points) as a Slurm job array of {parts} parts.",
        spec.scenario_name, spec.points
    ));
    line(format!(
        "# Written by `shardcast slurm` {}; every path was resolved then.",
        env!("CARGO_PKG_VERSION")
    ));
    line("#".into());
    line(format!("#   sbatch {script}"));
    line(
        "#       Array task I runs `shardcast sweep --part I/N`. The first task also queues".into(),
    );
    line("#       the merge, a job that runs once every part has succeeded (afterok) and".into());
    line(format!(
        "#       writes {}.",
        quote(&format!("{}/results.parquet", text(&spec.out_dir)?))
    ));
    line(format!("#   bash {script} --merge"));
    line(
        "#       Merges the finished parts by hand (where compute nodes cannot submit jobs)."
            .into(),
    );
    line("#".into());
    line(format!(
        "# Logs: {logs}, one .out and .err per task; merge-job-ARRAY_JOB_ID holds the merge's id."
    ));
    line(format!("#SBATCH --job-name={name}"));
    line(format!("#SBATCH --array=1-{parts}"));
    line("#SBATCH --ntasks=1".into());
    line(format!("#SBATCH --cpus-per-task={}", spec.cpus_per_task));
    if let Some(partition) = &spec.partition {
        line(format!("#SBATCH --partition={partition}"));
    }
    if let Some(time) = &spec.time {
        line(format!("#SBATCH --time={time}"));
    }
    line(format!("#SBATCH --output={sbatch_logs}/%x-%A_%a.out"));
    line(format!("#SBATCH --error={sbatch_logs}/%x-%A_%a.err"));
    line("set -euo pipefail".into());
    line(String::new());
    line(format!("SHARDCAST={binary}"));
    line(format!("SCENARIO={scenario}"));
    line(format!("OUT={out}"));
    line(format!("LOGS={logs}"));
    line(format!("SCRIPT={script}"));
    line(format!("JOB_NAME={}", quote(name)));
    line(format!("PARTS={parts}"));
    // `write!` into a String cannot fail.
    let mut sets = String::new();
    for set in &spec.sets {
        let _ = write!(sets, " --set {}", quote(set));
    }
    line(format!("SETS=({})", sets.trim_start()));
    match spec.threads {
        Some(threads) => line(format!("THREADS={threads}")),
        None => line(format!("THREADS=\"${{SLURM_CPUS_PER_TASK:-{}}}\"", spec.cpus_per_task)),
    }
    // The merge job's own #SBATCH-free options: partition and time as the array's.
    let mut merge_options = String::new();
    if let Some(partition) = &spec.partition {
        let _ = write!(merge_options, " --partition={partition}");
    }
    if let Some(time) = &spec.time {
        let _ = write!(merge_options, " --time={time}");
    }
    s.push_str(&BODY.replace("@MERGE_OPTIONS@", &merge_options));
    Ok(s)
}

/// The script after its variables: the same for every sweep.
const BODY: &str = r#"
# Merge parts 1..PARTS of the sweep into $OUT/results.parquet.
merge_parts() {
  local parts=() i
  for ((i = 1; i <= PARTS; i++)); do
    parts+=("$OUT/results-part-$i-of-$PARTS.parquet")
  done
  "$SHARDCAST" merge "${parts[@]}" -o "$OUT/results.parquet"
}

# Queue the merge as a job that starts when every task of array job $1 has succeeded; Slurm
# cancels it if one fails. Once per array job, even if this task is requeued.
queue_merge() {
  local marker="$LOGS/merge-job-$1" id
  if ! (set -o noclobber && : >"$marker") 2>/dev/null; then
    echo "the merge of array job $1 was already queued: $(cat "$marker")"
    return 0
  fi
  if ! command -v sbatch >/dev/null 2>&1; then
    echo "sbatch is not available on $HOSTNAME; after the array, run: bash $SCRIPT --merge" >&2
    return 0
  fi
  # The merge job's script: this file's variables and merge_parts.
  if id=$(sbatch --parsable --dependency="afterok:$1" --kill-on-invalid-dep=yes \
      --job-name="$JOB_NAME-merge" --ntasks=1 --cpus-per-task=1@MERGE_OPTIONS@ \
      --output="$LOGS/%x-%j.out" --error="$LOGS/%x-%j.err" <<EOF
#!/bin/bash
set -euo pipefail
$(declare -p SHARDCAST OUT PARTS)
$(declare -f merge_parts)
merge_parts
EOF
  ); then
    echo "${id%%;*}" >"$marker"
    echo "queued the merge as job ${id%%;*}, after array job $1"
  else
    echo "could not queue the merge; after the array, run: bash $SCRIPT --merge" >&2
  fi
}

case "${1:-}" in
  --merge)
    merge_parts
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: sbatch $SCRIPT (the array and its merge), or bash $SCRIPT --merge" >&2
    exit 2
    ;;
esac
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "submit this script with: sbatch $SCRIPT (or merge finished parts: bash $SCRIPT --merge)" >&2
  exit 2
fi
if [ "$SLURM_ARRAY_TASK_ID" = "${SLURM_ARRAY_TASK_MIN:-1}" ]; then
  queue_merge "$SLURM_ARRAY_JOB_ID"
fi
exec "$SHARDCAST" sweep "$SCENARIO" "${SETS[@]}" --part "$SLURM_ARRAY_TASK_ID/$PARTS" \
  --out "$OUT" --threads "$THREADS"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> JobSpec {
        JobSpec {
            job_name: "my-sweep".into(),
            scenario_name: "my sweep".into(),
            binary: "/opt/shard cast/bin/shardcast".into(),
            scenario: "/home/a/it's.toml".into(),
            sets: vec!["workload.synthetic.jobs=50".into()],
            out_dir: "/scratch/a/sweep%1".into(),
            log_dir: "/scratch/a/sweep%1/slurm".into(),
            script: "/home/a/sweep.sbatch".into(),
            parts: 3,
            points: 8,
            partition: Some("batch".into()),
            time: Some("00:10:00".into()),
            cpus_per_task: 2,
            threads: None,
        }
    }

    fn sbatch_lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("#SBATCH")).collect()
    }

    #[test]
    fn the_header_describes_the_array() {
        let text = render(&spec()).unwrap();
        assert!(text.starts_with("#!/bin/bash\n"));
        assert_eq!(
            sbatch_lines(&text),
            [
                "#SBATCH --job-name=my-sweep",
                "#SBATCH --array=1-3",
                "#SBATCH --ntasks=1",
                "#SBATCH --cpus-per-task=2",
                "#SBATCH --partition=batch",
                "#SBATCH --time=00:10:00",
                "#SBATCH --output=/scratch/a/sweep%%1/slurm/%x-%A_%a.out",
                "#SBATCH --error=/scratch/a/sweep%%1/slurm/%x-%A_%a.err",
            ]
        );
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        let first_command =
            text.lines().position(|l| !l.is_empty() && !l.starts_with('#')).unwrap();
        let last_directive =
            text.lines().collect::<Vec<_>>().iter().rposition(|l| l.starts_with("#SBATCH"));
        let last_directive = last_directive.unwrap();
        assert!(last_directive < first_command);
        assert_eq!(text.lines().nth(first_command), Some("set -euo pipefail"));
    }

    #[test]
    fn paths_are_quoted_and_the_part_is_the_task() {
        let text = render(&spec()).unwrap();
        for expected in [
            "SHARDCAST='/opt/shard cast/bin/shardcast'",
            r"SCENARIO='/home/a/it'\''s.toml'",
            "OUT='/scratch/a/sweep%1'",
            "PARTS=3",
            "SETS=(--set 'workload.synthetic.jobs=50')",
            "THREADS=\"${SLURM_CPUS_PER_TASK:-2}\"",
            "--part \"$SLURM_ARRAY_TASK_ID/$PARTS\"",
            "--dependency=\"afterok:$1\" --kill-on-invalid-dep=yes",
            "--cpus-per-task=1 --partition=batch --time=00:10:00",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let fixed = render(&JobSpec { threads: Some(4), sets: vec![], ..spec() }).unwrap();
        assert!(fixed.contains("\nTHREADS=4\n") && fixed.contains("\nSETS=()\n"));
        let plain = render(&JobSpec { partition: None, time: None, ..spec() }).unwrap();
        assert!(!plain.contains("--partition") && !plain.contains("--time"));
    }

    #[test]
    fn log_folders_a_sbatch_line_cannot_carry_are_refused() {
        let spaced = JobSpec { log_dir: "/scratch/my sweep/slurm".into(), ..spec() };
        let err = render(&spaced).unwrap_err().to_string();
        assert!(err.contains("#SBATCH lines") && err.contains("/scratch/my sweep/slurm"), "{err}");
        let newline = JobSpec { binary: "/opt/a\nb".into(), ..spec() };
        assert!(render(&newline).unwrap_err().to_string().contains("control character"));
    }

    #[test]
    fn job_names_and_slurm_values_are_checked() {
        assert_eq!(job_name("cloud mix/1"), "cloud-mix-1");
        assert_eq!(job_name(""), "shardcast-sweep");
        for ok in ["30", "10:00", "01:00:00", "2-0", "2-12:00", "1-00:00:00"] {
            check_time(ok).unwrap();
        }
        for bad in ["", "1h", "1:2:3:4", "-5", "1-", "1-2:3:4:5", "10 00"] {
            let err = check_time(bad).unwrap_err().to_string();
            assert!(err.starts_with("--time"), "{bad:?}: {err}");
        }
        check_partition("gpu,cpu").unwrap();
        assert!(check_partition("a b").is_err() && check_partition("").is_err());
    }

    /// The fixed 200-job scenario of `tests/sweep.rs` with an 8-point sweep.
    fn scenario(dir: &Path, sweep: &str) -> PathBuf {
        let name = if sweep.is_empty() { "no-sweep.toml" } else { "tiny-sweep.toml" };
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!(
                "[run]\nname = \"tiny sweep\"\nseed = 1\n[workload.synthetic]\npreset = \"tiny\"\n\
                 jobs = 200\n[platform]\nkind = \"fixed\"\nmachines = 4\n\
                 cores_per_machine = 64\n{sweep}"
            ),
        )
        .unwrap();
        path
    }

    const SWEEP: &str = "[sweep]\n\"run.seed\" = { from = 1, to = 4 }\n\
                         \"platform.machines\" = [4, 8]\n";

    fn options(dir: &Path, scenario: PathBuf, parts: usize) -> SlurmOptions {
        let binary = dir.join("shardcast");
        std::fs::write(&binary, "").unwrap();
        SlurmOptions {
            scenario,
            sets: vec![],
            parts,
            out: Some(dir.join("out")),
            binary: Some(binary),
            partition: None,
            time: None,
            cpus_per_task: 1,
            threads: None,
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = scenario(dir.path(), SWEEP);
        let script = dir.path().join("s.sbatch");
        let err = |o: &SlurmOptions| prepare(o, &script).unwrap_err().to_string();
        assert_eq!(
            err(&options(dir.path(), good.clone(), 0)),
            "--parts 0: a sweep needs at least one part"
        );
        let too_many = err(&options(dir.path(), good.clone(), 9));
        assert!(too_many.contains("has only 8 point(s); use at most 8 parts"), "{too_many}");
        let missing = err(&options(dir.path(), dir.path().join("nope.toml"), 2));
        assert!(missing.contains("nope.toml"), "{missing}");
        let no_sweep = err(&options(dir.path(), scenario(dir.path(), ""), 2));
        assert!(no_sweep.contains("no [sweep] table"), "{no_sweep}");
        let mut bad_set = options(dir.path(), good.clone(), 2);
        bad_set.sets = vec!["run.sed=1".into()];
        assert!(err(&bad_set).contains("sed"));
        let mut no_binary = options(dir.path(), good.clone(), 2);
        no_binary.binary = Some(dir.path().join("missing-binary"));
        let missing_binary = err(&no_binary);
        assert!(missing_binary.contains("missing-binary"), "{missing_binary}");
        let mut spaced = options(dir.path(), good.clone(), 2);
        spaced.out = Some(dir.path().join("my sweep"));
        assert!(err(&spaced).contains("#SBATCH lines"));
        assert!(!dir.path().join("my sweep").exists(), "nothing is created on error");
        let mut bad_time = options(dir.path(), good, 2);
        bad_time.time = Some("1h".into());
        assert!(err(&bad_time).starts_with("--time \"1h\""));
    }

    #[test]
    fn prepare_resolves_paths_and_creates_the_log_folder() {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(dir.path(), scenario(dir.path(), SWEEP), 3);
        let spec = prepare(&opts, Path::new("relative.sbatch")).unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(spec.job_name, "tiny-sweep");
        assert_eq!((spec.parts, spec.points), (3, 8));
        assert_eq!(spec.out_dir, root.join("out"));
        assert!(spec.log_dir.is_dir());
        assert_eq!(spec.scenario, root.join("tiny-sweep.toml"));
        assert!(spec.script.is_absolute());
    }

    /// Runs the generated script under bash as array task 1 of job 42, with a fake `shardcast`
    /// and a fake `sbatch` that record what they were given, then runs the merge job's script.
    #[cfg(unix)]
    #[test]
    fn the_script_runs_its_part_and_queues_a_merge_that_merges_every_part() {
        use std::os::unix::fs::PermissionsExt;
        use std::process::Command;
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin dir");
        std::fs::create_dir(&bin).unwrap();
        let log = dir.path().join("calls.log");
        let executable = |path: &Path, body: &str| {
            std::fs::write(path, format!("#!/bin/bash\n{body}\n")).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        let log_q = quote(log.to_str().unwrap());
        executable(
            &bin.join("shardcast"),
            &format!("printf '%s|' \"$@\" >>{log_q}; echo >>{log_q}"),
        );
        let merge_script = dir.path().join("merge-job.sh");
        executable(
            &bin.join("sbatch"),
            &format!(
                "printf 'sbatch|%s' \"$*\" >>{log_q}; echo >>{log_q}; cat >{}; echo '43;cluster'",
                quote(merge_script.to_str().unwrap())
            ),
        );
        let mut opts = options(dir.path(), scenario(dir.path(), SWEEP), 3);
        opts.binary = Some(bin.join("shardcast"));
        opts.sets = vec!["workload.synthetic.jobs=50".into()];
        let script = dir.path().join("tiny.sbatch");
        let spec = generate(&opts, &script).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let task = |id: &str| {
            Command::new("bash")
                .arg(&script)
                .env("PATH", &path)
                .env("SLURM_ARRAY_JOB_ID", "42")
                .env("SLURM_ARRAY_TASK_ID", id)
                .env("SLURM_ARRAY_TASK_MIN", "1")
                .env("SLURM_CPUS_PER_TASK", "2")
                .output()
                .unwrap()
        };
        let first = task("1");
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        assert!(String::from_utf8_lossy(&first.stdout).contains("queued the merge as job 43"));
        assert_eq!(std::fs::read_to_string(spec.log_dir.join("merge-job-42")).unwrap(), "43\n");
        // A requeued first task does not queue a second merge; other tasks never do.
        assert!(task("1").status.success() && task("3").status.success());
        let merge = Command::new("bash").arg(&merge_script).env_remove("PATH").output().unwrap();
        assert!(merge.status.success(), "{}", String::from_utf8_lossy(&merge.stderr));
        let calls = std::fs::read_to_string(&log).unwrap();
        let (scen, out) = (spec.scenario.display(), spec.out_dir.display());
        let part = |i: usize| {
            format!(
                "sweep|{scen}|--set|workload.synthetic.jobs=50|--part|{i}/3|--out|{out}|--threads|2|"
            )
        };
        let lines: Vec<&str> = calls.lines().collect();
        assert_eq!(lines.len(), 5, "{calls}");
        assert!(lines[0].starts_with("sbatch|--parsable --dependency=afterok:42 "), "{calls}");
        assert!(lines[0].contains("--job-name=tiny-sweep-merge"), "{calls}");
        assert_eq!(lines[1..4], [part(1), part(1), part(3)]);
        assert_eq!(
            lines[4],
            format!(
                "merge|{out}/results-part-1-of-3.parquet|{out}/results-part-2-of-3.parquet|\
                 {out}/results-part-3-of-3.parquet|-o|{out}/results.parquet|"
            )
        );
        // Outside a job, the script says how to submit it.
        let outside = Command::new("bash").arg(&script).env_remove("SLURM_ARRAY_TASK_ID").output();
        let outside = outside.unwrap();
        assert_eq!(outside.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&outside.stderr).contains("submit this script with: sbatch")
        );
    }
}
