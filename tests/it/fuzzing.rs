//! The fuzzing setup agrees with itself: every target the fuzz crate builds is run by
//! `fuzz/run.sh` (and so by the fuzz workflow), is seeded, and has a kept corpus.

use std::collections::BTreeSet;

use routeguard::source::Node;

use crate::common::repo;
use crate::release::{document, step_using, text_at};

/// The targets the fuzz crate builds: its `[[bin]]` names.
fn built_targets() -> BTreeSet<String> {
    document("fuzz/Cargo.toml")
        .get("bin")
        .expect("[[bin]] tables")
        .items()
        .iter()
        .map(|bin| bin.get("name").and_then(Node::as_str).unwrap().to_string())
        .collect()
}

/// The words of the first line of `script` that starts with `prefix`, after it, up to `end`.
fn listed_after(script: &str, prefix: &str, end: char) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join(script)).unwrap();
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("{script} has no line starting with {prefix}"));
    let list = line.split(end).next().unwrap();
    list.split_whitespace().map(str::to_string).collect()
}

#[test]
fn run_sh_runs_every_target_the_fuzz_crate_builds() {
    let run_by_default = listed_after("fuzz/run.sh", "targets=${*:-\"", '"');
    assert_eq!(run_by_default, built_targets());
}

#[test]
fn every_adapter_family_target_is_seeded_and_has_a_kept_corpus() {
    let families = listed_after("fuzz/seed.sh", "families=\"", '"');
    let whole_documents = ["yaml", "json", "toml", "config", "pipeline", "structured"];
    let expected: BTreeSet<String> = built_targets()
        .into_iter()
        .filter(|target| !whole_documents.contains(&target.as_str()))
        .collect();
    assert_eq!(families, expected);
    for target in built_targets() {
        let kept = repo().join(format!("fuzz/corpora/{target}.tar.xz"));
        assert!(kept.is_file(), "no kept corpus for {target}: {kept:?}");
    }
}

#[test]
fn the_fuzz_workflow_runs_every_target_and_keeps_what_failed() {
    let workflow = document(".github/workflows/fuzz.yml");
    let job = workflow.pointer(&["jobs", "fuzz"]).expect("a fuzz job");
    let runs: Vec<&str> = job
        .get("steps")
        .expect("steps")
        .items()
        .iter()
        .filter_map(|step| step.get("run").and_then(Node::as_str))
        .collect();
    // No target list after the seconds: run.sh's default, every target (checked above).
    assert!(
        runs.contains(&"fuzz/run.sh \"$SECONDS_PER_TARGET\""),
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .any(|run| run.contains("rustup toolchain install nightly")),
        "{runs:?}"
    );
    let upload = step_using(job, "actions/upload-artifact");
    assert_eq!(text_at(upload, &["if"]), "failure()");
    assert_eq!(text_at(upload, &["with", "path"]), "fuzz/artifacts/");
}
