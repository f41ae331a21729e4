//! What a release ships: `--version` names the build, every link routeguard prints points at the
//! docs of its own version, and the packaging files (the release workflow, the Action, the
//! pre-commit hooks, the npm and Python packages) agree on targets, versions and file patterns.

use crate::common::{repo, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

#[test]
fn version_names_the_release_and_the_commit_when_built_from_git() {
    let result = run(&repo(), &["--version"]);
    assert_eq!(result.code, 0);
    let line = result.stdout.trim_end();
    let rest = line
        .strip_prefix(&format!("routeguard {VERSION}"))
        .unwrap_or_else(|| panic!("{line}"));
    if repo().join(".git").exists() {
        // ` (3f2c1ab0e 2026-12-06)`: nine hex digits and the commit's date.
        let inner = rest
            .strip_prefix(" (")
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{line}"));
        let (commit, date) = inner.split_once(' ').unwrap_or_else(|| panic!("{line}"));
        assert!(
            commit.len() == 9 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
        assert_eq!(date.len(), 10, "{line}");
    }
}

#[test]
fn printed_links_point_at_the_docs_of_this_version() {
    let tag = format!("{REPOSITORY}/blob/v{VERSION}/docs/rules/");
    let explain = run(&repo(), &["explain", "timeout-missing"]);
    assert!(
        explain.stdout.contains(&format!("{tag}timeout-missing.md")),
        "{}",
        explain.stdout
    );

    let sarif = run(
        &repo(),
        &[
            "lint",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "fixtures/demo",
        ],
    );
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules[]");
    assert!(!rules.is_empty());
    for rule in rules {
        let uri = rule["helpUri"].as_str().expect("helpUri");
        assert_eq!(uri, format!("{tag}{}.md", rule["id"].as_str().unwrap()));
    }

    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &["init"]).code, 0);
    let starter = std::fs::read_to_string(dir.path().join("routeguard.yaml")).unwrap();
    let first_line = starter.lines().next().unwrap();
    assert_eq!(
        first_line,
        format!(
            "# yaml-language-server: $schema={REPOSITORY}/raw/v{VERSION}/docs/routeguard.schema.json"
        )
    );
}
