//! Locations are the product: exact line and column of findings in every spec version and
//! syntax, through `$ref`s, and for loader problems.

use crate::common;

use common::{at, lint_json, located, repo};

#[test]
fn missing_summary_points_at_the_method_key_in_every_version_and_syntax() {
    let cases = [
        ("fixtures/locations/openapi30.yaml", 7, 5),
        ("fixtures/locations/openapi31.yaml", 7, 5),
        ("fixtures/locations/swagger2.yaml", 12, 5),
        ("fixtures/locations/openapi30.json", 9, 7),
        ("fixtures/locations/openapi31.json", 9, 7),
        ("fixtures/locations/swagger2.json", 9, 7),
    ];
    for (file, line, column) in cases {
        let (code, report) = lint_json(&repo(), &[file]);
        assert_eq!(
            located(&report),
            vec![at("operation-summary", file, line, column)],
            "{file}"
        );
        // A warning alone does not fail the run under the default `--fail-on error`.
        assert_eq!(code, 0, "{file}");
        let diagnostic = &report["diagnostics"][0];
        assert_eq!(diagnostic["route"], "GET /pets");
        assert_eq!(diagnostic["end_line"], line);
        assert_eq!(
            diagnostic["end_column"].as_u64(),
            Some(column + if file.ends_with("json") { 5 } else { 3 })
        );
    }
}

#[test]
fn finding_inside_a_referenced_file_is_reported_in_that_file_at_its_own_line() {
    let (_, report) = lint_json(&repo(), &["fixtures/refs/split/openapi.yaml"]);
    assert_eq!(
        located(&report),
        vec![
            at(
                "operation-summary",
                "fixtures/refs/split/paths/pets.yaml",
                2,
                1
            ),
            at(
                "ref-unresolved",
                "fixtures/refs/split/paths/pets.yaml",
                22,
                15
            ),
        ]
    );
    assert_eq!(report["summary"]["operations"], 2);
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn recursive_schema_is_not_a_finding() {
    let (code, report) = lint_json(&repo(), &["fixtures/refs/recursive/openapi.yaml"]);
    assert_eq!(located(&report), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn reference_cycle_is_reported_at_each_reference_of_the_cycle() {
    let (code, report) = lint_json(&repo(), &["fixtures/refs/cycle/openapi.yaml"]);
    let file = "fixtures/refs/cycle/openapi.yaml";
    assert_eq!(
        located(&report),
        vec![
            at("ref-unresolved", file, 19, 13),
            at("ref-unresolved", file, 21, 13)
        ]
    );
    let message = report["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("circular reference"), "{message}");
    assert_eq!(report["diagnostics"][0]["related"][0]["line"], 21);
    assert_eq!(code, 1);
}

#[test]
fn malformed_yaml_is_a_located_parse_error_and_other_files_are_still_linted() {
    let (code, report) = lint_json(&repo(), &["fixtures/broken"]);
    assert_eq!(
        located(&report),
        vec![
            at("parse-error", "fixtures/broken/malformed.yaml", 8, 16),
            at("operation-summary", "fixtures/broken/valid.yaml", 7, 5),
        ]
    );
    assert_eq!(code, 1);
}
