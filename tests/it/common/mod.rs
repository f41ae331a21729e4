//! Helpers shared by the integration tests: run the real binary and read its JSON report.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use routeguard::config::{presets::Preset, Config};
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::model::policy::{CircuitBreakerKind, Retry};
use routeguard::model::Policy;
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `path` is the accuracy corpus, `fixtures/real`: format-by-folder checks skip it, as
/// it holds every format and checks each file's own (tests/it/accuracy.rs).
pub fn is_corpus(path: &Path) -> bool {
    path == repo().join("fixtures/real")
}

/// Lints `paths` (relative to the repository) through the library, as if run from its root,
/// with only the checks on reading input: what an adapter test looks at, without policy rules.
pub fn lint_isolated(paths: &[&str]) -> LintOutcome {
    let options = LintOptions {
        paths: paths.iter().map(PathBuf::from).collect(),
        root: Some(repo()),
        config: Config::with_preset(Preset::Off),
        ..LintOptions::default()
    };
    lint_in(&options, &repo()).expect("the fixtures can be linted")
}

/// Lints `paths` (relative to the repository) through the library with the recommended rules.
pub fn lint_recommended(paths: &[&str]) -> LintOutcome {
    let options = LintOptions {
        paths: paths.iter().map(PathBuf::from).collect(),
        root: Some(repo()),
        config: Config::with_preset(Preset::Recommended),
        ..LintOptions::default()
    };
    lint_in(&options, &repo()).expect("the fixtures can be linted")
}

/// The 1-based line and column of a location in a run's workspace.
pub fn line_column(outcome: &LintOutcome, location: routeguard::span::Location) -> (u32, u32) {
    let position = outcome.workspace.position(location);
    (position.line, position.column)
}

/// A retry's backoff as (base, cap) values; the retry must have a backoff.
pub fn backoff_bounds(retry: &Retry) -> (Option<Duration>, Option<Duration>) {
    let backoff = retry.backoff.as_ref().expect("backoff");
    (
        backoff.base.as_ref().map(|base| base.value),
        backoff.max.as_ref().map(|max| max.value),
    )
}

/// The kinds of a policy's circuit breakers, in the order the adapter found them.
pub fn breaker_kinds(policy: &Policy) -> Vec<CircuitBreakerKind> {
    policy
        .circuit_breakers
        .iter()
        .map(|breaker| breaker.kind)
        .collect()
}

/// Where `rule` reported in a run, as sorted (line, column) pairs.
pub fn rule_positions(outcome: &LintOutcome, rule: &str) -> Vec<(u32, u32)> {
    let mut found: Vec<(u32, u32)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == rule)
        .map(|d| line_column(outcome, d.location))
        .collect();
    found.sort();
    found
}

/// The binary, started in `cwd`, with colour and terminal width pinned.
pub fn routeguard(cwd: &Path) -> Command {
    let mut command = Command::cargo_bin("routeguard").expect("binary is built by cargo test");
    command
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR");
    command
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cwd: &Path, args: &[&str]) -> Run {
    let output = routeguard(cwd).args(args).output().expect("binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `routeguard lint --format json ARGS` in `cwd`: exit code and parsed report.
pub fn lint_json(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let result = run(cwd, &all);
    let report: Value = serde_json::from_str(&result.stdout).unwrap_or_else(|error| {
        panic!(
            "report is JSON ({error}); stdout: {}; stderr: {}",
            result.stdout, result.stderr
        )
    });
    (result.code, report)
}

/// One finding, reduced to the facts tests assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub severity: String,
}

pub fn findings(report: &Value) -> Vec<Finding> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| Finding {
            rule: d["rule"].as_str().unwrap_or_default().to_string(),
            file: d["file"].as_str().unwrap_or_default().to_string(),
            line: d["line"].as_u64().unwrap_or_default(),
            column: d["column"].as_u64().unwrap_or_default(),
            severity: d["severity"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// `(rule, file, line, column)`: the facts most assertions want.
pub type Located = (String, String, u64, u64);

pub fn located(report: &Value) -> Vec<Located> {
    findings(report)
        .into_iter()
        .map(|f| (f.rule, f.file, f.line, f.column))
        .collect()
}

pub fn at(rule: &str, file: &str, line: u64, column: u64) -> Located {
    (rule.to_string(), file.to_string(), line, column)
}

/// A temporary project root (it has a `.git`) holding `files`, folders created as needed.
pub fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("create .git");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, content).expect("write file");
    }
    dir
}
