//! The JSON and routes report documentation lists exactly the fields a real report has, so
//! that the two cannot drift apart.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common;

use common::{repo, run};

/// The fields a documentation page's tables name: the backticked names of each row's first
/// cell; a name without `.` after the first takes the first one's prefix
/// (`summary.errors`, `warnings` → `summary.warnings`); `within` is the path of the objects a
/// page's table describes (`routes[].` for the rows of the routes report), except for names
/// that start with one of `top_level` (`apis[]`).
fn documented(page: &str, within: &str, top_level: &[&str]) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join(page)).expect("documentation page");
    let mut fields = BTreeSet::new();
    for line in text.lines().filter(|line| line.starts_with("| `")) {
        let first_cell = line.split(" | ").next().unwrap_or_default();
        let names: Vec<&str> = first_cell.split('`').skip(1).step_by(2).collect();
        let Some(first) = names.first() else {
            continue;
        };
        let prefix = first.rfind('.').map_or("", |dot| &first[..=dot]);
        let within = if top_level.iter().any(|top| first.starts_with(top)) {
            ""
        } else {
            within
        };
        fields.insert(format!("{within}{first}"));
        for name in &names[1..] {
            fields.insert(format!("{within}{prefix}{name}"));
        }
    }
    fields
}

/// Every field path of `value` that holds a value rather than more fields.
fn fields(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let holds_fields = match child {
                    Value::Object(_) => true,
                    Value::Array(items) => items.iter().any(Value::is_object),
                    _ => false,
                };
                if !holds_fields {
                    out.insert(child_path.clone());
                }
                fields(child, &child_path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                fields(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn report_fields(args: &[&str], cwd: &std::path::Path) -> BTreeSet<String> {
    let result = run(cwd, args);
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON report");
    let mut out = BTreeSet::new();
    fields(&report, "", &mut out);
    out
}

/// Drops the paths that hold fields in some report (an empty `related` array in one finding
/// is the same list of objects as a full one in another).
fn leaves(all: BTreeSet<String>) -> BTreeSet<String> {
    all.iter()
        .filter(|path| {
            !all.iter().any(|other| {
                other.starts_with(&format!("{path}.")) || other.starts_with(&format!("{path}[]."))
            })
        })
        .cloned()
        .collect()
}

#[test]
fn json_report_fields_are_all_documented() {
    // The demo has related locations; this project a suppressed finding; the monorepo skipped
    // files.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("openapi.yaml"),
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      \
         x-routeguard-ignore:\n        - rule: operation-description\n          reason: obvious\n      \
         operationId: listPets\n      summary: List pets\n      responses:\n        default: \
         {description: error}\n",
    )
    .unwrap();
    let mut actual = report_fields(
        &[
            "lint",
            "--format",
            "json",
            "--show-suppressed",
            "fixtures/demo",
        ],
        &repo(),
    );
    actual.extend(report_fields(
        &["lint", "--format", "json", "--show-suppressed", "."],
        project.path(),
    ));
    actual.extend(report_fields(
        &[
            "lint",
            "--root",
            ".",
            "--format",
            "json",
            "fixtures/monorepo",
        ],
        &repo(),
    ));
    assert!(actual.contains("skipped[].reason"), "{actual:#?}");
    assert!(
        actual.contains("diagnostics[].suppressed.kind"),
        "{actual:#?}"
    );
    assert!(
        actual.contains("diagnostics[].related[].line"),
        "{actual:#?}"
    );
    assert_eq!(documented("docs/json-report.md", "", &[]), leaves(actual));
}

#[test]
fn routes_report_fields_are_all_documented() {
    let actual = report_fields(
        &["routes", "--root", ".", "--format", "json", "fixtures"],
        &repo(),
    );
    assert!(actual.contains("routes[].fallback_chain"));
    assert_eq!(
        documented("docs/routes-report.md", "routes[].", &["apis[]"]),
        leaves(actual)
    );
}
