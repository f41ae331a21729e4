//! `routeguard lint -`: rendered manifests on standard input, as `helm template … |` and
//! `kustomize build … |` give them, are linted like the same documents in files.

use crate::common;

use std::path::Path;

use serde_json::Value;

/// The Online Boutique chart as `helm template` renders it (see fixtures/THIRD_PARTY.md).
const RENDERED: &str = "fixtures/istio/helm/online-boutique.yaml";

fn lint_stdin(cwd: &Path, args: &[&str], input: &str) -> (i32, Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let output = common::routeguard(cwd)
        .args(&all)
        .write_stdin(input.to_string())
        .output()
        .expect("binary runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "report is JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

/// `(rule, route, message)` of every finding, with file names taken out of the messages.
fn facts(report: &Value, files: &[&str]) -> Vec<(String, String, String)> {
    let mut facts: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|diagnostic| {
            let mut message = diagnostic["message"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for file in files {
                message = message.replace(file, "FILE");
            }
            (
                diagnostic["rule"].as_str().unwrap_or_default().to_string(),
                diagnostic["route"].as_str().unwrap_or_default().to_string(),
                message,
            )
        })
        .collect();
    facts.sort();
    facts
}

#[test]
fn a_rendered_chart_on_stdin_gives_the_findings_of_its_documents_in_files() {
    let rendered = std::fs::read_to_string(common::repo().join(RENDERED)).expect("fixture");
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let (code, piped) = lint_stdin(
        dir.path(),
        &["-", "--stdin-filename", "rendered.yaml"],
        &rendered,
    );

    // The same documents, one file each, named explicitly.
    let mut names = Vec::new();
    // Pieces with only comments (the header, `# Source:` lines of empty templates) are no
    // document.
    let documents = rendered
        .split("\n---\n")
        .filter(|piece| piece.lines().any(|line| line.starts_with("kind:")));
    for (index, document) in documents.enumerate() {
        let name = format!("document-{index:02}.yaml");
        std::fs::write(dir.path().join(&name), document).expect("document");
        names.push(name);
    }
    let mut args: Vec<&str> = vec!["lint", "--format", "json"];
    args.extend(names.iter().map(String::as_str));
    let one_by_one = common::run(dir.path(), &args);
    let one_by_one: Value = serde_json::from_str(&one_by_one.stdout).expect("JSON");

    let mut files: Vec<&str> = names.iter().map(String::as_str).collect();
    files.push("rendered.yaml");
    let piped_facts = facts(&piped, &files);
    assert!(
        piped_facts
            .iter()
            .any(|(rule, ..)| rule == "timeout-missing"),
        "the VirtualService is read: {piped_facts:?}"
    );
    assert_eq!(piped_facts, facts(&one_by_one, &files));
    // Deployments, Services and ServiceAccounts are kinds routeguard does not read: not a
    // finding, in the stream or alone.
    assert!(!piped_facts
        .iter()
        .any(|(rule, ..)| rule == "unknown-format" || rule == "parse-error"));
    assert_eq!(piped["diagnostics"][0]["file"], "rendered.yaml");
    assert_eq!(code, 1, "timeout-missing is an error");
}

#[test]
fn stdin_is_named_stdin_and_a_stdin_filename_needs_it() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
    let (code, report) = lint_stdin(dir.path(), &["-"], deployment);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(code, 0);

    let (_, report) = lint_stdin(dir.path(), &["-"], "openapi: 3.0.3\ninfo: [\n");
    assert_eq!(report["diagnostics"][0]["rule"], "parse-error");
    assert_eq!(report["diagnostics"][0]["file"], "<stdin>");

    let result = common::run(dir.path(), &["lint", "--stdin-filename", "x.yaml", "."]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("`--stdin-filename`"),
        "{}",
        result.stderr
    );
}
