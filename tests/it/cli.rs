//! The command line as a user meets it: exit codes, output files, `rules`, `explain`, and the
//! reports on the demo project.

use crate::common;

use common::{repo, routeguard, run};

#[test]
fn exit_code_0_when_nothing_reaches_fail_on() {
    let result = run(&repo(), &["lint", "fixtures/refs/recursive/openapi.yaml"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(
        result.stdout,
        "0 errors, 0 warnings, 0 infos in 1 file (1 operation)\n"
    );
    // Warnings only: clean by default, failing with `--fail-on warning`.
    let warnings_only = "fixtures/locations/openapi30.yaml";
    assert_eq!(run(&repo(), &["lint", warnings_only]).code, 0);
    assert_eq!(
        run(&repo(), &["lint", "--fail-on", "warning", warnings_only]).code,
        1
    );
    assert_eq!(
        run(&repo(), &["lint", "--fail-on", "info", warnings_only]).code,
        1
    );
}

#[test]
fn exit_code_1_on_errors_unless_fail_on_never() {
    assert_eq!(run(&repo(), &["lint", "fixtures/demo"]).code, 1);
    assert_eq!(
        run(&repo(), &["lint", "--fail-on", "never", "fixtures/demo"]).code,
        0
    );
}

#[test]
fn exit_code_2_when_the_run_cannot_be_done() {
    let missing = run(&repo(), &["lint", "fixtures/does-not-exist"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "routeguard: error: path `fixtures/does-not-exist` does not exist\n"
    );
    assert_eq!(missing.stdout, "");

    let bad_flag = run(
        &repo(),
        &["lint", "--fail-on", "sometimes", "fixtures/demo"],
    );
    assert_eq!(bad_flag.code, 2);
    assert!(
        bad_flag.stderr.contains("invalid value 'sometimes'"),
        "{}",
        bad_flag.stderr
    );

    let unwritable = run(
        &repo(),
        &[
            "lint",
            "--format",
            "json",
            "-o",
            "no/such/folder/report.json",
            "fixtures/demo",
        ],
    );
    assert_eq!(unwritable.code, 2);
    assert!(
        unwritable.stderr.starts_with(
            "routeguard: error: cannot write the report to `no/such/folder/report.json`"
        ),
        "{}",
        unwritable.stderr
    );

    let bad_root = run(
        &repo(),
        &["lint", "--root", "no/such/root", "fixtures/demo"],
    );
    assert_eq!(bad_root.code, 2);
    assert!(
        bad_root
            .stderr
            .contains("root `no/such/root` is not usable"),
        "{}",
        bad_root.stderr
    );

    let unknown_rule = run(&repo(), &["explain", "operation-sumary"]);
    assert_eq!(unknown_rule.code, 2);
    assert_eq!(
        unknown_rule.stderr,
        "routeguard: error: unknown rule `operation-sumary`; did you mean `operation-summary`? \
         (`routeguard rules` lists them all)\n"
    );
}

#[test]
fn report_file_is_written_whole_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("report.json");
    let output_arg = output.to_string_lossy().into_owned();
    let result = run(
        &repo(),
        &[
            "lint",
            "--format",
            "json",
            "-o",
            &output_arg,
            "fixtures/demo",
        ],
    );
    assert_eq!(result.code, 1);
    assert_eq!(result.stdout, "");
    let written = std::fs::read_to_string(&output).expect("report written");
    let report: serde_json::Value = serde_json::from_str(&written).expect("valid JSON");
    assert_eq!(report["version"], 1);
    assert!(report["summary"]["errors"]
        .as_u64()
        .is_some_and(|errors| errors > 0));
    let leftovers = std::fs::read_dir(dir.path()).expect("read dir").count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}

#[test]
fn default_path_is_the_working_directory() {
    let result = run(&repo().join("fixtures/refs/recursive"), &["lint"]);
    assert_eq!(result.code, 0);
    assert!(
        result.stdout.ends_with("in 1 file (1 operation)\n"),
        "{}",
        result.stdout
    );
}

fn filtered_snapshot(name: &str, text: &str) {
    let version = env!("CARGO_PKG_VERSION");
    insta::with_settings!({filters => vec![(version, "[VERSION]")]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn text_report_on_the_demo() {
    let result = run(&repo(), &["lint", "fixtures/demo"]);
    filtered_snapshot("demo_text", &result.stdout);
}

#[test]
fn json_report_on_the_demo() {
    let result = run(&repo(), &["lint", "--format", "json", "fixtures/demo"]);
    filtered_snapshot("demo_json", &result.stdout);
}

#[test]
fn rules_lists_every_rule() {
    let result = run(&repo(), &["rules"]);
    assert_eq!(result.code, 0);
    filtered_snapshot("rules", &result.stdout);
}

#[test]
fn explain_shows_what_why_how_and_examples() {
    let result = run(&repo(), &["explain", "operation-summary"]);
    assert_eq!(result.code, 0);
    filtered_snapshot("explain_operation_summary", &result.stdout);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = routeguard(&repo())
        .args(["lint", "fixtures/demo"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let forced = routeguard(&repo())
        .args(["lint", "--color", "always", "fixtures/demo"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
}

#[test]
fn frames_on_a_huge_single_line_are_windowed() {
    // Minified JSON: one line of more than 100,000 characters, with a duplicate key at each end.
    let paths: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                r#""/r{i}":{{"get":{{"operationId":"op{i}","summary":"é {i}","description":"d","responses":{{"default":{{"description":"e"}}}}}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"t","version":"1"}},"paths":{{{}}},"openapi":"3.0.3"}}"#,
        paths.join(",")
    );
    assert!(text.len() > 100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    std::fs::write(dir.path().join("min.json"), &text).expect("write");
    let result = run(dir.path(), &["lint", "min.json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(
        result.stdout.contains("error[duplicate-key]"),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains("min.json:1:"), "{}", result.stdout);
    let longest = result
        .stdout
        .lines()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0);
    assert!(longest < 400, "a frame line of {longest} characters");
}
