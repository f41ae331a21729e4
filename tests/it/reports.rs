//! The CI reports end to end, through the binary: SARIF, GitHub annotations, JUnit and GitLab
//! Code Quality. Golden files pin the demo project's reports; the facts that matter (columns,
//! fingerprints, escaping, exit codes) are also asserted outright.
//!
//! Every SARIF log these tests produce goes through [`sarif`], which validates it against the
//! official SARIF 2.1.0 schema and GitHub's ingestion requirements.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

/// Runs routeguard in `cwd` without colour, as a CI job would.
fn run(cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(insta_cmd::get_cargo_bin("routeguard"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("routeguard runs");
    Run {
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code(),
    }
}

/// Lints the demo project (the project root is this crate) with the given extra arguments.
fn demo(args: &[&str]) -> Run {
    let mut all = vec!["lint", "fixtures/demo", "--root", "."];
    all.extend_from_slice(args);
    run(&project_dir(), &all)
}

/// A scratch project with the given files.
fn project(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(path, content).expect("write fixture");
    }
    dir
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The official schema, with one repair: the stray `]` in its `language` pattern made the
        // jsonschema crate refuse the whole schema (see tests/it/schemas/README.md).
        let schema: Value =
            serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).expect("JSON");
        jsonschema::draft7::new(&schema).expect("the SARIF schema compiles")
    })
}

/// Parses a SARIF log, validates it against the SARIF 2.1.0 schema, and checks what GitHub code
/// scanning needs beyond the schema.
fn sarif(text: &str) -> Value {
    let log: Value =
        serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}):\n{text}"));
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|error| format!("{error} (at {})", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the SARIF log does not match the 2.1.0 schema:\n{}",
        errors.join("\n")
    );

    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules[]");
    for rule in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            let text = rule[field]["text"].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "rule {} has no {field}.text", rule["id"]);
            assert!(
                text.chars().count() <= 1024 || field == "help",
                "{field} too long"
            );
        }
    }
    for result in run["results"].as_array().expect("results[]") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points elsewhere"
        );
        let locations = result["locations"].as_array().expect("locations[]");
        assert!(
            (1..=10).contains(&locations.len()),
            "GitHub reads 1 to 10 locations"
        );
    }
    log
}

/// Replaces the parts of a report that depend on the machine or the release.
fn redacted(settings: &mut insta::Settings) {
    let version = env!("CARGO_PKG_VERSION").replace('.', r"\.");
    settings.add_filter(&format!("\"{version}\""), "\"[VERSION]\"");
    // Rule pages link to the docs of the version's tag.
    settings.add_filter(&format!("/v{version}/"), "/v[VERSION]/");
    settings.add_filter(r#""file:///[^"]*""#, "\"[ROOT]\"");
}

/// Pins the demo project's report made with `args`.
fn demo_snapshot(name: &str, args: &[&str], text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_description(format!(
        "NO_COLOR=1 routeguard lint fixtures/demo --root . {}",
        args.join(" ")
    ));
    settings.set_omit_expression(true);
    redacted(&mut settings);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results[]")
}

fn region(result: &Value) -> (u64, u64, u64, u64) {
    let region = &result["locations"][0]["physicalLocation"]["region"];
    let number = |key: &str| region[key].as_u64().expect("region numbers");
    (
        number("startLine"),
        number("startColumn"),
        number("endLine"),
        number("endColumn"),
    )
}

const CLEAN_SPEC: &str = r#"openapi: 3.0.3
info:
  title: Pets
  version: 1.0.0
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      description: Returns every pet.
      responses:
        "200":
          description: The pets.
        default:
          description: Unexpected error.
"#;

#[test]
fn demo_sarif() {
    let args = ["--format", "sarif", "--sarif-category", "openapi"];
    let run = demo(&args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let log = sarif(&run.stdout);
    assert_eq!(log["runs"][0]["automationDetails"]["id"], "openapi/");
    demo_snapshot("demo_sarif", &args, &run.stdout);
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let mut log = sarif(&demo(&["--format", "sarif"]).stdout);
    log["runs"][0]["results"][0]["level"] = "critical".into();
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|error| error.to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn demo_github() {
    let args = ["--format", "github"];
    let run = demo(&args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    demo_snapshot("demo_github", &args, &run.stdout);
}

#[test]
fn demo_junit() {
    let args = ["--format", "junit"];
    let run = demo(&args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    demo_snapshot("demo_junit", &args, &run.stdout);
}

#[test]
fn demo_codeclimate() {
    let args = ["--format", "codeclimate"];
    let run = demo(&args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    demo_snapshot("demo_codeclimate", &args, &run.stdout);
}

#[test]
fn one_run_writes_every_report() {
    let out = tempfile::tempdir().expect("temporary directory");
    let files: Vec<(&str, String)> = [
        ("sarif", "r.sarif"),
        ("junit", "junit.xml"),
        ("codeclimate", "quality.json"),
        ("github", "annotations.txt"),
        ("json", "report.json"),
    ]
    .into_iter()
    .map(|(format, name)| (format, out.path().join(name).to_string_lossy().into_owned()))
    .collect();
    // The text report, without `-o`, sits between two reports that have one.
    let mut args = Vec::new();
    for (index, (format, path)) in files.iter().enumerate() {
        args.extend(["--format", format, "-o", path]);
        if index == 0 {
            args.extend(["--format", "text"]);
        }
    }
    let combined = demo(&args);
    assert_eq!(combined.code, Some(1), "{}", combined.stderr);
    assert_eq!(combined.stdout, demo(&["--format", "text"]).stdout);
    for (format, path) in &files {
        let written = std::fs::read_to_string(path).expect("report written");
        assert_eq!(written, demo(&["--format", format]).stdout, "{format}");
    }
    let sarif_file = &files[0].1;
    sarif(&std::fs::read_to_string(sarif_file).expect("SARIF written"));
    let mut left: Vec<_> = std::fs::read_dir(out.path())
        .expect("list outputs")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    left.sort();
    assert_eq!(left.len(), 5, "temporary files left behind: {left:?}");
}

#[test]
fn a_clean_project_still_gets_a_complete_sarif_run() {
    let dir = project(&[("openapi.yaml", CLEAN_SPEC.as_bytes())]);
    let run_sarif = run(dir.path(), &["lint", "--format", "sarif"]);
    assert_eq!(run_sarif.code, Some(0), "{}", run_sarif.stderr);
    let log = sarif(&run_sarif.stdout);
    assert!(results(&log).is_empty());
    let listed = run(dir.path(), &["rules", "--format", "json"]);
    let catalog: Value = serde_json::from_str(&listed.stdout).expect("rules JSON");
    let catalog_ids: Vec<&Value> = catalog["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| &rule["id"])
        .collect();
    let sarif_ids: Vec<&Value> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules[]")
        .iter()
        .map(|rule| &rule["id"])
        .collect();
    assert_eq!(
        sarif_ids, catalog_ids,
        "every rule that can fire is described"
    );

    let quality = run(dir.path(), &["lint", "--format", "codeclimate"]);
    assert_eq!(quality.stdout, "[]\n");
    let github = run(dir.path(), &["lint", "--format", "github"]);
    assert!(!github.stdout.contains("::"), "{}", github.stdout);
    let junit = run(dir.path(), &["lint", "--format", "junit"]);
    assert!(junit
        .stdout
        .contains(r#"<testsuites name="routeguard" tests="2" failures="0""#));
    assert!(junit.stdout.contains(r#"<testcase name="GET /pets""#));
}

#[test]
fn sarif_columns_count_utf16_code_units() {
    // 🐈 is outside the Basic Multilingual Plane: one character, two UTF-16 code units.
    let line = r#"    get: {summary: "Chats 🐈 et chiens", summary: dup, operationId: listPets, description: d, responses: {"200": {description: ok}, default: {description: e}}}"#;
    let spec = format!(
        "openapi: 3.0.3\ninfo: {{title: \"Café €\", version: 1.0.0}}\npaths:\n  /pets:\n{line}\n"
    );
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let run_sarif = run(dir.path(), &["lint", "--format", "sarif"]);
    let log = sarif(&run_sarif.stdout);
    let duplicate = results(&log)
        .iter()
        .find(|result| result["ruleId"] == "duplicate-key")
        .expect("a duplicate-key finding");

    let key = line.rfind("summary: dup").expect("second summary");
    let utf16_column = |byte: usize| line[..byte].encode_utf16().count() as u64 + 1;
    let expected = (5, utf16_column(key), 5, utf16_column(key + "summary".len()));
    assert_eq!(region(duplicate), expected);
    assert_eq!(expected.1, 42);
    assert_eq!(log["runs"][0]["columnKind"], "utf16CodeUnits");

    // The JSON report counts characters, one fewer before the key.
    let json = run(dir.path(), &["lint", "--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON report");
    let finding = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "duplicate-key")
        .expect("the same finding");
    assert_eq!(finding["column"], 41);
}

/// The reference values below were computed by running `hash` from github/codeql-action's
/// `src/fingerprints.ts` under Node on the same files.
#[test]
fn fingerprints_match_githubs_upload_action() {
    let log = sarif(&demo(&["--format", "sarif"]).stdout);
    let hashes: Vec<(&str, u64, &str)> = results(&log)
        .iter()
        .map(|result| {
            (
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default(),
                region(result).0,
                result["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    for reference in [
        ("fixtures/demo/openapi.yaml", 32, "82e379c2beed493f:1"),
        ("fixtures/demo/openapi.yaml", 42, "3c7dd4c7a6b499fa:1"),
        ("fixtures/demo/paths/pet.yaml", 17, "4d118709075d4305:1"),
        ("fixtures/demo/paths/pet.yaml", 18, "5386bbc72aebc54b:1"),
    ] {
        assert!(
            hashes.contains(&reference),
            "{reference:?} not in {hashes:?}"
        );
    }
    // Every other result carries a hash of the same shape: 16 hex digits and an occurrence.
    for (file, line, hash) in &hashes {
        let (digits, occurrence) = hash.split_once(':').unwrap_or_default();
        assert!(
            !digits.is_empty()
                && digits.len() <= 16
                && digits.chars().all(|c| c.is_ascii_hexdigit()),
            "{file}:{line}: {hash}"
        );
        assert!(
            occurrence.parse::<u32>().is_ok_and(|n| n >= 1),
            "{file}:{line}: {hash}"
        );
    }

    let crlf = "openapi: 3.0.3\r\ninfo:\r\n  title: \"Café 😀 €\"\r\n  version: \"1\"\r\npaths:\r\n  /café/😀:\r\n    get:\r\n      summary: \"😀😀 emoji\"\r\n      operationId: x\r\n      responses:\r\n        \"200\":\r\n          description: ok\r\n";
    let dir = project(&[
        ("crlf.yaml", crlf.as_bytes()),
        // A byte-order mark is part of the first line for the upload action.
        ("bom-unknown.yaml", b"\xef\xbb\xbfkind: Something\nx: 1\n"),
        // Not UTF-8: the bytes GitHub would hash are not known, so there is no fingerprint.
        ("latin1.yaml", b"openapi: 3.0.3\ninfo:\n  title: Caf\xe9\n"),
    ]);
    let log = sarif(
        &run(
            dir.path(),
            &[
                "lint",
                "crlf.yaml",
                "bom-unknown.yaml",
                "latin1.yaml",
                "--format",
                "sarif",
            ],
        )
        .stdout,
    );
    let by_rule = |rule: &str| {
        results(&log)
            .iter()
            .find(|result| result["ruleId"] == rule)
            .unwrap_or_else(|| panic!("a {rule} finding"))
    };
    let summary_line = by_rule("operation-description");
    assert_eq!(region(summary_line).0, 7);
    assert_eq!(
        summary_line["partialFingerprints"]["primaryLocationLineHash"],
        "c0d5a349ecd77483:1"
    );
    let unknown = by_rule("unknown-format");
    assert_eq!(region(unknown).0, 1);
    assert_eq!(
        unknown["partialFingerprints"]["primaryLocationLineHash"],
        "d2b61160e1c31ec3:1"
    );
    let not_utf8 = by_rule("parse-error");
    assert!(not_utf8.get("partialFingerprints").is_none(), "{not_utf8}");
}

#[test]
fn codeclimate_fingerprints_survive_moved_lines() {
    let fingerprints = |cwd: &Path| -> Vec<String> {
        let run = run(cwd, &["lint", "fixtures/demo", "--format", "codeclimate"]);
        let issues: Value = serde_json::from_str(&run.stdout).expect("Code Quality JSON");
        issues
            .as_array()
            .expect("an array")
            .iter()
            .map(|issue| {
                issue["fingerprint"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    let copy = tempfile::tempdir().expect("temporary directory");
    for name in [
        "openapi.yaml",
        "paths/pet.yaml",
        "components/responses.yaml",
        "gateway/kong.yaml",
        "gateway/istio.yaml",
        "gateway/litellm.yaml",
    ] {
        let source = project_dir().join("fixtures/demo").join(name);
        let target = copy.path().join("fixtures/demo").join(name);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("create folder");
        std::fs::copy(source, target).expect("copy fixture");
    }
    let before = fingerprints(copy.path());
    assert!(before.len() > 20, "{}", before.len());
    assert_eq!(
        before.iter().collect::<HashSet<_>>().len(),
        before.len(),
        "fingerprints are unique"
    );
    assert_eq!(
        before,
        fingerprints(&project_dir()),
        "independent of the checkout"
    );

    for name in ["openapi.yaml", "paths/pet.yaml"] {
        let path = copy.path().join("fixtures/demo").join(name);
        let text = std::fs::read_to_string(&path).expect("read fixture");
        std::fs::write(&path, format!("# moved down\n\n{text}")).expect("edit fixture");
    }
    assert_eq!(fingerprints(copy.path()), before);
}

#[test]
fn github_annotations_are_escaped() {
    let spec = "openapi: 3.0.3\ninfo:\n  title: T\n  version: 1.0.0\n  x%y: 1\n  x%y: 2\n  ? |\n    long\n    key\n  : 1\n  ? |\n    long\n    key\n  : 2\npaths: {}\n";
    let dir = project(&[("we,ird:name.yaml", spec.as_bytes())]);
    let run = run(dir.path(), &["lint", "--format", "github"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=we%2Cird%3Aname.yaml,line=6,col=3,endLine=6,endColumn=6,\
             title=duplicate-key::duplicate key `x%25y`: the mapping already has this key%0A\
             first defined here: we,ird:name.yaml:5:3%0Ahelp: "
        ),
        "{}",
        lines[0]
    );
    // A finding over several lines has no columns: the runner would drop them.
    assert!(
        lines[1].starts_with(
            "::error file=we%2Cird%3Aname.yaml,line=12,endLine=14,title=duplicate-key::\
             duplicate key `long%0Akey%0A`"
        ),
        "{}",
        lines[1]
    );
    assert!(lines.iter().all(|line| !line.contains('\r')));
    assert_eq!(lines.len(), 3, "two commands and the summary");

    // The same file in SARIF: a percent-encoded URI and a valid log.
    let run_sarif = self::run(dir.path(), &["lint", "--format", "sarif"]);
    let log = sarif(&run_sarif.stdout);
    assert_eq!(
        results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "we%2Cird%3Aname.yaml"
    );
}

#[test]
fn related_locations_are_linked_from_the_message() {
    let dir = project(&[(
        "openapi.yaml",
        b"openapi: 3.0.3\ninfo:\n  title: T\n  title: U\n  version: 1.0.0\npaths: {}\n",
    )]);
    let log = sarif(&run(dir.path(), &["lint", "--format", "sarif"]).stdout);
    let duplicate = &results(&log)[0];
    assert_eq!(duplicate["ruleId"], "duplicate-key");
    assert_eq!(
        duplicate["message"]["text"],
        "duplicate key `title`: the mapping already has this key (see [first defined here](1))"
    );
    let related = &duplicate["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(related["message"]["text"], "first defined here");
}

#[test]
fn files_outside_the_root_get_absolute_uris() {
    let root = tempfile::tempdir().expect("temporary directory");
    let elsewhere = project(&[("spec with space.yaml", b"kind: Something\n")]);
    let spec = elsewhere.path().join("spec with space.yaml");
    let run = run(
        root.path(),
        &["lint", &spec.to_string_lossy(), "--format", "sarif"],
    );
    let log = sarif(&run.stdout);
    let location = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = location["uri"].as_str().expect("uri");
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/spec%20with%20space.yaml"),
        "{uri}"
    );
    assert!(location.get("uriBaseId").is_none());
}

#[test]
fn junit_fails_cases_at_or_above_fail_on() {
    let warnings = demo(&["--format", "junit", "--fail-on", "warning"]).stdout;
    assert!(warnings.contains(r#"<testsuites name="routeguard" tests="19" failures="11""#));
    assert!(
        warnings.contains("<failure message=\"4 findings: error-responses, gateway-errors-undocumented, operation-summary, retry-non-idempotent\"")
    );
    let never = demo(&["--format", "junit", "--fail-on", "never"]).stdout;
    assert!(never.contains(r#"tests="19" failures="0""#));
    assert!(!never.contains("<failure"));
    assert!(never.contains("<system-out>info[operation-description]"));
    assert!(never.contains("\n\nerror[operation-id] fixtures/demo/paths/pet.yaml:18:16\n"));
}

#[test]
fn a_report_that_cannot_be_written_exits_2() {
    let out = tempfile::tempdir().expect("temporary directory");
    let missing = out.path().join("missing/r.sarif");
    let junit = out.path().join("junit.xml");
    let run = demo(&[
        "--format",
        "sarif",
        "-o",
        &missing.to_string_lossy(),
        "--format",
        "junit",
        "-o",
        &junit.to_string_lossy(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .starts_with("routeguard: error: cannot write the report to `")
            && run.stderr.contains("missing/r.sarif"),
        "{}",
        run.stderr
    );
    assert!(junit.exists(), "the other reports are still written");

    // A folder where the file should go.
    let run = demo(&["--format", "sarif", "-o", &out.path().to_string_lossy()]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("cannot write the report"),
        "{}",
        run.stderr
    );
    let left: Vec<_> = std::fs::read_dir(out.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["junit.xml"], "no temporary file is left behind");
}

#[test]
fn ambiguous_report_arguments_exit_2() {
    for (args, message) in [
        (
            &["--format", "sarif", "--format", "text"][..],
            "only one report can go to standard output",
        ),
        (
            &[
                "--format", "json", "-o", "a.json", "--format", "junit", "-o", "a.json",
            ][..],
            "is the output of both",
        ),
        (
            &["--format", "json", "--sarif-category", "openapi"][..],
            "`--sarif-category` applies to SARIF reports",
        ),
    ] {
        let run = demo(args);
        assert_eq!(run.code, Some(2), "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    assert!(!project_dir().join("a.json").exists());
}

#[test]
fn suppressed_findings_stay_out_of_sarif_unless_shown_with_their_justification() {
    let spec = b"openapi: 3.0.3
info:
  title: Suppressed
  version: 1.0.0
paths:
  /health:
    get:
      x-routeguard-ignore:
        - rule: operation-summary
          reason: Probe endpoint, hidden from the portal.
      operationId: health
      description: Liveness probe.
      responses:
        \"200\":
          description: Up.
        default:
          description: Down.
";
    let dir = project(&[("openapi.yaml", spec)]);
    std::fs::create_dir(dir.path().join(".git")).expect("create .git");
    let hidden = sarif(&run(dir.path(), &["lint", "--format", "sarif", "openapi.yaml"]).stdout);
    assert!(results(&hidden).is_empty(), "{hidden}");
    let shown = sarif(
        &run(
            dir.path(),
            &[
                "lint",
                "--format",
                "sarif",
                "--show-suppressed",
                "openapi.yaml",
            ],
        )
        .stdout,
    );
    let result = &results(&shown)[0];
    assert_eq!(result["ruleId"], "operation-summary");
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "Probe endpoint, hidden from the portal."
    );
}

/// A JSON value that keeps its members in the order they were written, so that serde_json can
/// lay a report out again exactly as it would have written the same fields.
enum Ordered {
    Scalar(Value),
    List(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, value: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(value.into()))
            }
            fn visit_u64<E>(self, value: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(value.into()))
            }
            fn visit_i64<E>(self, value: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(value.into()))
            }
            fn visit_str<E>(self, value: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(value.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::List(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Ordered::Object(members))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl serde::Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Scalar(value) => value.serialize(serializer),
            Ordered::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

#[test]
fn the_json_report_is_laid_out_as_serde_json_lays_it_out() {
    // Suppressed findings (with a reason to escape), related places (a duplicated
    // operationId), strings with quotes, backslashes, tabs and non-ASCII, and a skipped file:
    // every shape the report writes.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let spec = "openapi: 3.0.3\ninfo:\n  title: \"Pets \\\"é\\\" \\\\ \\t API\"\n  version: 1.0.0\npaths:\n  /pets:\n    get:\n      operationId: same\n      x-routeguard-ignore: [{rule: operation-summary, reason: \"say \\\"why\\\" \\\\ here\"}]\n      responses:\n        default:\n          description: Error.\n  /dogs:\n    get:\n      operationId: same\n      responses:\n        default:\n          description: Error.\n";
    std::fs::write(dir.path().join("openapi.yaml"), spec).expect("spec");
    std::fs::create_dir_all(dir.path().join("chart/templates")).expect("chart");
    std::fs::write(
        dir.path().join("chart/Chart.yaml"),
        "apiVersion: v2\nname: pets\nversion: 1.0.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        dir.path().join("chart/templates/route.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .expect("template");
    let result = run(
        dir.path(),
        &["lint", "--format", "json", "--show-suppressed"],
    );
    let report: Value = serde_json::from_str(&result.stdout).expect("the report is JSON");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diagnostics.iter().any(|d| d["suppressed"].is_object()),
        "{report:#}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| !d["related"].as_array().expect("related").is_empty()),
        "{report:#}"
    );
    assert!(
        result.stdout.contains(r#"\"why\" \\ here"#),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains(r"\t"), "{}", result.stdout);
    assert!(
        !report["skipped"].as_array().expect("skipped").is_empty(),
        "{report:#}"
    );
    let ordered: Ordered = serde_json::from_str(&result.stdout).expect("the report is JSON");
    let laid_out = serde_json::to_string_pretty(&ordered).expect("serializes") + "\n";
    assert_eq!(result.stdout, laid_out);
}
