//! The architecture invariants of ARCHITECTURE.md, enforced.
//!
//! - `engine` depends on none of sim, arrow, parquet, plotters, rayon, clap (not even
//!   transitively), so the decision code stays sans-IO and cheap to build.
//! - Dependencies point one way: `sim → engine`.
//! - Every Rust file starts with a `//!` doc comment saying what it is for.
//! - No wall clock, unseeded RNG or hash-ordered collection outside `engine/src/live/`
//!   (backing up the `clippy.toml` bans, which a local `allow` could silence).

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::workspace_root;

const FORBIDDEN_IN_ENGINE: &[&str] = &["sim", "arrow", "parquet", "plotters", "rayon", "clap"];

/// Normal (non-dev) dependencies of `package`, transitively, as crate names.
fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let deps: Vec<String> =
        text.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect();
    assert!(deps.first().is_some_and(|d| d == package), "unexpected cargo tree output: {text}");
    deps
}

#[test]
fn engine_depends_on_no_lab_io_or_cli_crate() {
    let deps = normal_dependencies("engine");
    for forbidden in FORBIDDEN_IN_ENGINE {
        assert!(
            !deps.iter().any(|d| d == forbidden || d.starts_with(&format!("{forbidden}-"))),
            "engine depends on {forbidden}; the engine must stay sans-IO (ARCHITECTURE.md)"
        );
    }
}

#[test]
fn dependencies_point_from_sim_to_engine_only() {
    assert!(normal_dependencies("sim").iter().any(|d| d == "engine"));
    assert!(!normal_dependencies("engine").iter().any(|d| d == "sim"));
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_sources() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["engine", "sim", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "target"));
    files.sort();
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<_> = workspace_sources()
        .into_iter()
        .filter(|f| !std::fs::read_to_string(f).expect("readable").trim_start().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a leading //! doc: {missing:?}");
}

#[test]
fn no_wall_clock_or_unseeded_randomness_outside_live() {
    // Built from pieces so that this file does not trip its own check.
    let banned = [
        ["Instant", "::now"].concat(),
        ["SystemTime", "::now"].concat(),
        ["thread", "_rng"].concat(),
        ["Hash", "Map<"].concat(),
        ["Hash", "Set<"].concat(),
    ];
    let root = workspace_root();
    let mut hits = Vec::new();
    for file in workspace_sources() {
        let relative = file.strip_prefix(&root).expect("inside the workspace");
        if relative.starts_with("engine/src/live") || relative.starts_with("benches") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            for word in &banned {
                if line.contains(word.as_str()) {
                    hits.push(format!("{}:{}: {word}", relative.display(), number + 1));
                }
            }
        }
    }
    assert!(hits.is_empty(), "banned on result paths (see clippy.toml): {hits:#?}");
}

/// The engine's layers, lowest first: a module may use modules of its own or a lower layer,
/// never a higher one (ARCHITECTURE.md, "Layers inside engine"). Doc comments may link
/// anywhere.
const ENGINE_LAYERS: &[&[&str]] = &[
    &["time", "money", "ids"],
    &["job"],
    &["cloud", "fabric", "forecast", "shard"],
    &["broker", "router"],
    &["planner"],
    &["policy"],
    &["rebalancer"],
    &["controller", "live"],
];

fn engine_layer(module: &str) -> usize {
    ENGINE_LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("engine module {module} is in no layer of ENGINE_LAYERS"))
}

#[test]
fn engine_modules_use_only_their_own_or_lower_layers() {
    let src = workspace_root().join("engine/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under engine/src");
        let first = relative.components().next().expect("a component");
        let module = first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let own = engine_layer(&module);
        let text = std::fs::read_to_string(&file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let used: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !used.is_empty() && engine_layer(&used) > own {
                    violations.push(format!(
                        "{}:{}: `{module}` uses the higher `{used}`",
                        relative.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "engine layering broken:\n{}", violations.join("\n"));
}
