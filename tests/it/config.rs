//! The governance config end to end: discovery, located config errors, presets, rule options,
//! overrides, inline suppressions, baselines and the config commands, run as a user runs them.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{at, located, Located};
use serde_json::Value;
use tempfile::TempDir;

/// The spec most tests lint. Under the `recommended` defaults it has these findings:
/// 16:5 operation-summary (POST /pets), 25:5 operation-description and operation-summary
/// (GET /health), 27:7 error-responses (GET /health), 31:5 operation-summary (GET /internal/jobs).
const SPEC: &str = include_str!("../../fixtures/config/openapi.yaml");

/// The fixture spec with its operationIds prefixed, so that several copies can be linted
/// together without duplicate operationIds.
fn spec_copy(prefix: &str) -> String {
    SPEC.replace("operationId: ", &format!("operationId: {prefix}"))
}

/// A temporary git repository (so that it is the project root) holding `files`.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn routeguard(cwd: &Path, args: &[&str]) -> Output {
    common::routeguard(cwd).args(args).output().unwrap()
}

/// Runs `lint --format json` and returns the exit code and the report.
fn lint_json(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let (code, report) = common::lint_json(cwd, args);
    assert!(code == 0 || code == 1, "lint failed with {code}: {report}");
    (code, report)
}

/// Every finding of a report, suppressed ones included when they are shown.
fn diagnostics(report: &Value) -> &[Value] {
    report["diagnostics"].as_array().unwrap()
}

/// The findings of the fixture spec under the defaults, as linted from its folder.
fn default_findings(file: &str) -> Vec<Located> {
    vec![
        at("operation-summary", file, 16, 5),
        at("operation-description", file, 25, 5),
        at("operation-summary", file, 25, 5),
        at("error-responses", file, 27, 7),
        at("operation-summary", file, 31, 5),
    ]
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[test]
fn without_a_config_the_recommended_preset_applies() {
    let dir = project(&[("openapi.yaml", SPEC)]);
    let (code, report) = lint_json(dir.path(), &[]);
    assert_eq!(code, 0, "warnings do not fail by default");
    assert_eq!(located(&report), default_findings("openapi.yaml"));
}

#[test]
fn the_nearest_config_wins_and_search_stops_at_the_repository_root() {
    // Above the repository: never read.
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), "routeguard.yaml", "extends: off\n");
    let root = outer.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    write(&root, "api/openapi.yaml", SPEC);

    // No config in the repository: the defaults, not the file above the root.
    let (_, report) = lint_json(&root.join("api"), &[]);
    assert_eq!(located(&report).len(), 5);

    // A config at the root is found from a subfolder.
    write(
        &root,
        "routeguard.yaml",
        "rules:\n  operation-summary: off\n",
    );
    let (_, report) = lint_json(&root.join("api"), &[]);
    assert!(located(&report)
        .iter()
        .all(|(rule, ..)| rule != "operation-summary"));

    // A config in the working directory wins over the one in a parent.
    write(
        &root,
        "api/.routeguard.yaml",
        "rules:\n  error-responses: off\n",
    );
    let (_, report) = lint_json(&root.join("api"), &[]);
    let rules: Vec<String> = located(&report).into_iter().map(|f| f.0).collect();
    assert!(rules.contains(&"operation-summary".to_string()));
    assert!(!rules.contains(&"error-responses".to_string()));

    // --config names another file; --no-config uses none.
    write(&root, "strict.yaml", "extends: strict\n");
    let (code, _) = lint_json(&root.join("api"), &["--config", "../strict.yaml"]);
    assert_eq!(code, 1, "strict makes documentation gaps errors");
    let (_, report) = lint_json(&root.join("api"), &["--no-config"]);
    assert_eq!(located(&report), default_findings("openapi.yaml"));
}

#[test]
fn two_config_files_in_one_folder_are_refused() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        ("routeguard.yaml", "extends: recommended\n"),
        (".routeguard.yaml", "extends: strict\n"),
    ]);
    let output = routeguard(dir.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("routeguard.yaml` and `")
            && stderr(&output).contains("keep one of them"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn routeguard_yml_is_the_config_and_never_input() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        ("routeguard.yml", "rules:\n  operation-summary: off\n"),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    let found = located(&report);
    assert!(!found.iter().any(|(rule, ..)| rule == "operation-summary"));
    assert!(!found
        .iter()
        .any(|(_, file, ..)| file.contains("routeguard")));
    assert_eq!(report["summary"]["files"], 1);

    write(dir.path(), ".routeguard.yml", "extends: strict\n");
    let output = routeguard(dir.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("`routeguard.yml`") && message.contains("`.routeguard.yml`"),
        "{message}"
    );
}

#[test]
fn hidden_folders_are_walked_only_when_include_names_them() {
    let dir = project(&[
        ("specs/openapi.yaml", &spec_copy("a")),
        (".kong/openapi.yaml", &spec_copy("b")),
    ]);
    let files = |report: &Value| report["summary"]["files"].as_u64();
    let (_, report) = lint_json(dir.path(), &["--no-config"]);
    assert_eq!(files(&report), Some(1));
    write(
        dir.path(),
        "routeguard.yaml",
        "include: [\"specs/**\", \".kong/**\"]\n",
    );
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(files(&report), Some(2));
    assert!(located(&report)
        .iter()
        .any(|(_, file, ..)| file == ".kong/openapi.yaml"));
}

#[test]
fn a_missing_config_file_is_exit_2() {
    let dir = project(&[("openapi.yaml", SPEC)]);
    let output = routeguard(dir.path(), &["lint", "--config", "nope.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("routeguard: error: cannot read config `"));
    let output = routeguard(dir.path(), &["lint", "--config", "a.yaml", "--no-config"]);
    assert_eq!(output.status.code(), Some(2), "the two flags conflict");
}

// ---------------------------------------------------------------------------------------------
// Config errors: each at its line and column, exit code 2

/// The stderr lines for a config, which must be refused.
fn config_errors(config: &str) -> Vec<String> {
    let dir = project(&[("openapi.yaml", SPEC), ("routeguard.yaml", config)]);
    let output = routeguard(dir.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(2), "{config}");
    assert!(output.stdout.is_empty());
    stderr(&output).lines().map(str::to_string).collect()
}

#[test]
fn each_config_error_is_located() {
    let cases: &[(&str, &str)] = &[
        (
            "rules:\n  operation-id: [\n",
            "routeguard.yaml:3:1: ",
        ),
        (
            "extends: recommended\nrulez: {}\n",
            "routeguard.yaml:2:1: unknown key `rulez` in the config; did you mean `rules`?",
        ),
        (
            "extends: stric\n",
            "routeguard.yaml:1:10: `extends` is `stric`, which is not one of off, recommended, strict, all; did you mean `strict`?",
        ),
        (
            "rules:\n  operation-sumary: error\n",
            "routeguard.yaml:2:3: unknown rule `operation-sumary`; did you mean `operation-summary`?",
        ),
        (
            "rules:\n  operation-summary: warn\n",
            "routeguard.yaml:2:22: `operation-summary` must be a severity (error, warning, info, on, off) or a mapping of `severity` and options, found `warn`; did you mean `warning`?",
        ),
        (
            "rules:\n  operation-summary: { max-lenght: 80 }\n",
            "routeguard.yaml:2:24: unknown option `max-lenght` for `operation-summary`; did you mean `max-length`?",
        ),
        (
            "rules:\n  operation-summary: { max-length: eighty }\n",
            "routeguard.yaml:2:36: `operation-summary` option `max-length`: expected a whole number, found a string",
        ),
        (
            "rules:\n  operation-id:\n    style: camelcase\n",
            "routeguard.yaml:3:12: `operation-id` option `style`: `camelcase` is not one of `any`, `camelCase`, `snake_case`, `kebab-case`; did you mean `camelCase`?",
        ),
        (
            "rules:\n  error-responses: { colour: red }\n",
            "routeguard.yaml:2:22: unknown option `colour` for `error-responses`; `error-responses` has no options, only `severity`",
        ),
        (
            "include: specs/**\n",
            "routeguard.yaml:1:10: `include` must be a list, found a string; write `include: [\"…\"]`",
        ),
        (
            "exclude: [\"a/[b\"]\n",
            "routeguard.yaml:1:11: invalid glob in `exclude`: unclosed character class; missing ']'",
        ),
        (
            "overrides:\n  - routes: [\"GETT /health\"]\n    rules: { operation-summary: off }\n",
            "routeguard.yaml:2:14: `GETT` is not an HTTP method; did you mean `GET`? Write `GET /path`, `* /path` or `/path`",
        ),
        (
            "overrides:\n  - rules: { operation-summary: off }\n",
            "routeguard.yaml:2:5: an override needs `files` (globs) or `routes` (e.g. `GET /health`) to say where it applies",
        ),
        (
            "overrides:\n  - files: [\"legacy/**\"]\n    rule: { operation-summary: off }\n",
            "routeguard.yaml:2:5: an override needs `rules` to say what it changes",
        ),
        (
            "suppressions:\n  require-reason: yes\n",
            "routeguard.yaml:2:19: `require-reason` must be `true` or `false`, found a string",
        ),
        (
            "fail-on: warnings\n",
            "routeguard.yaml:1:10: `fail-on` is `warnings`, which is not one of error, warning, info, never; did you mean `warning`?",
        ),
        (
            "rules:\n  operation-summary: off\n  operation-summary: error\n",
            "routeguard.yaml:3:3: duplicate key `operation-summary` (first set at line 2): keep one",
        ),
        (
            "extends: strict\n---\nextends: off\n",
            "routeguard.yaml:3:1: a config file holds a single YAML document",
        ),
        (
            "- extends: strict\n",
            "routeguard.yaml:1:1: expected the config (a mapping), found a sequence",
        ),
        (
            "extends: off\nrules:\n  operation-summary: { max-length: 80 }\n",
            "routeguard.yaml:3:3: `operation-summary` is off in preset `off`, so its options would have no effect",
        ),
        (
            "layers:\n  front: [\"front/**\"]\n",
            "routeguard.yaml:2:3: `layers` must be a list of `{name, files}` entries, front first, found a mapping",
        ),
        (
            "layers:\n  - name: front\n    file: [\"front/**\"]\n",
            "routeguard.yaml:3:5: unknown key `file` in a layer; did you mean `files`?",
        ),
        (
            "layers:\n  - name: front\n    file: [\"front/**\"]\n",
            "routeguard.yaml:2:5: a layer needs `files` (globs) to say which configuration files it holds",
        ),
        (
            "layers:\n  - files: [\"front/**\"]\n",
            "routeguard.yaml:2:5: a layer needs a `name`, which messages and `routeguard routes` show",
        ),
        (
            "layers:\n  - name: front\n    files: []\n",
            "routeguard.yaml:3:12: `files` of layer `front` is empty: list the globs of the configuration files the layer holds",
        ),
        (
            "layers:\n  - name: front\n    files: [\"front/**\", 8080]\n",
            "routeguard.yaml:3:25: every item of `files` must be a string, found a number",
        ),
        (
            "layers:\n  - name: front\n    files: \"front/**\"\n",
            "routeguard.yaml:3:12: `files` must be a list, found a string; write `files: [\"…\"]`",
        ),
        (
            "layers:\n  - name: front\n    files: [\"front/[a\"]\n",
            "routeguard.yaml:3:13: invalid glob in `files`: unclosed character class; missing ']'",
        ),
        (
            "layers:\n  - name: front\n    files: [\"a/**\"]\n  - name: front\n    files: [\"b/**\"]\n",
            "routeguard.yaml:4:11: duplicate layer name `front` (first declared at line 2): give each layer its own name",
        ),
        (
            "layers:\n  - name: [front]\n    files: [\"a/**\"]\n",
            "routeguard.yaml:2:11: `name` must be a string, found a sequence",
        ),
        (
            "layers:\n  - name: mesh\n    files: [\"istio/**\"]\n",
            "routeguard.yaml:2:11: `mesh` names the built-in layer that routes outside every declared layer keep; give this layer another name",
        ),
    ];
    for (config, expected) in cases {
        let errors = config_errors(config);
        let expected = format!("routeguard: error: {expected}");
        assert!(
            errors.iter().any(|line| line.starts_with(&expected)),
            "for config:\n{config}\nexpected a line starting with\n  {expected}\ngot\n  {}",
            errors.join("\n  ")
        );
    }
}

#[test]
fn every_problem_of_a_config_is_reported_in_file_order() {
    let errors = config_errors(
        "colour: red\nextends: strictt\nrules:\n  operation-id: { style: camel, severity: high }\n",
    );
    let positions: Vec<&str> = errors
        .iter()
        .map(|line| line.split(' ').nth(2).unwrap_or_default())
        .collect();
    assert_eq!(
        positions,
        [
            "routeguard.yaml:1:1:",
            "routeguard.yaml:2:10:",
            "routeguard.yaml:4:26:",
            "routeguard.yaml:4:43:"
        ],
        "{errors:#?}"
    );
}

#[test]
fn an_empty_config_is_the_defaults() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        ("routeguard.yaml", "# nothing yet\n"),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(located(&report), default_findings("openapi.yaml"));
}

// ---------------------------------------------------------------------------------------------
// Presets, severities, options, fail-on

#[test]
fn presets_and_severity_shorthand() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        (
            "routeguard.yaml",
            "extends: off\nrules:\n  error-responses: error\n  operation-description: warning\n",
        ),
    ]);
    let (code, report) = lint_json(dir.path(), &[]);
    assert_eq!(code, 1, "error-responses is an error now");
    assert_eq!(
        located(&report),
        [
            at("operation-description", "openapi.yaml", 25, 5),
            at("error-responses", "openapi.yaml", 27, 7),
        ]
    );
    let severities: Vec<&str> = diagnostics(&report)
        .iter()
        .map(|d| d["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["warning", "error"]);
}

#[test]
fn rule_options_change_what_rules_report() {
    let spec = SPEC
        .replace("operationId: listPets", "operationId: list_pets")
        .replace(
            "summary: List pets",
            "summary: List every pet in the store, newest first, in pages",
        );
    let dir = project(&[
        ("openapi.yaml", &spec),
        (
            "routeguard.yaml",
            "rules:\n  operation-summary: { max-length: 20 }\n  operation-id: { severity: error, style: camelCase }\n",
        ),
    ]);
    let (code, report) = lint_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let found = located(&report);
    assert!(found.contains(&at("operation-id", "openapi.yaml", 8, 20)));
    assert!(found.contains(&at("operation-summary", "openapi.yaml", 9, 16)));
    let messages: Vec<&str> = diagnostics(&report)
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(messages.contains(&"operationId `list_pets` of `GET /pets` is not camelCase"));
    assert!(messages.contains(&"summary of `GET /pets` is 51 characters long; the limit is 20"));
    let help = diagnostics(&report)
        .iter()
        .find(|d| d["rule"] == "operation-id")
        .unwrap()["help"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(help.contains("`listPets`"), "{help}");
}

#[test]
fn fail_on_comes_from_the_config_unless_the_command_line_says_otherwise() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        ("routeguard.yaml", "fail-on: warning\n"),
    ]);
    assert_eq!(lint_json(dir.path(), &[]).0, 1);
    assert_eq!(lint_json(dir.path(), &["--fail-on", "error"]).0, 0);
}

// ---------------------------------------------------------------------------------------------
// Overrides and include/exclude

#[test]
fn overrides_by_file_glob() {
    let dir = project(&[
        ("legacy/openapi.yaml", &spec_copy("legacy")),
        ("current/openapi.yaml", SPEC),
        (
            "routeguard.yaml",
            "overrides:\n  - files: [\"legacy/**\"]\n    rules: { operation-summary: off, error-responses: error }\n",
        ),
    ]);
    let (code, report) = lint_json(dir.path(), &[]);
    assert_eq!(code, 1, "error-responses is an error in legacy/");
    let mut expected = default_findings("current/openapi.yaml");
    expected.extend([
        at("operation-description", "legacy/openapi.yaml", 25, 5),
        at("error-responses", "legacy/openapi.yaml", 27, 7),
    ]);
    assert_eq!(located(&report), expected);
}

#[test]
fn overrides_by_route_pattern() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        (
            "routeguard.yaml",
            "overrides:\n\
             \x20 - routes: [\"GET /health\", \"* /internal/**\"]\n\
             \x20   rules: { operation-summary: off }\n\
             \x20 - routes: [\"/health\"]\n\
             \x20   rules: { error-responses: off }\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(
        located(&report),
        [
            at("operation-summary", "openapi.yaml", 16, 5),
            at("operation-description", "openapi.yaml", 25, 5),
        ]
    );
}

#[test]
fn overrides_can_set_options_for_some_routes_and_later_entries_win() {
    let spec = SPEC.replace("summary: List pets", "summary: List all of the pets");
    let dir = project(&[
        ("openapi.yaml", &spec),
        (
            "routeguard.yaml",
            "rules:\n  operation-summary: { max-length: 10 }\n\
             overrides:\n  - routes: [\"GET /pets\"]\n    rules: { operation-summary: { max-length: 40 } }\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert!(!located(&report).contains(&at("operation-summary", "openapi.yaml", 9, 16)));
    let dir = project(&[
        ("openapi.yaml", &spec),
        (
            "routeguard.yaml",
            "rules:\n  operation-summary: { max-length: 40 }\n\
             overrides:\n  - routes: [\"GET /pets/**\", \"GET /pets\"]\n    rules: { operation-summary: { max-length: 10 } }\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert!(located(&report).contains(&at("operation-summary", "openapi.yaml", 9, 16)));
}

#[test]
fn include_and_exclude_select_walked_files() {
    let dir = project(&[
        ("specs/openapi.yaml", SPEC),
        ("specs/generated/openapi.yaml", &spec_copy("generated")),
        ("other/openapi.yaml", &spec_copy("other")),
        (
            "routeguard.yaml",
            "include: [\"specs/**\"]\nexclude: [\"**/generated/**\"]\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(located(&report), default_findings("specs/openapi.yaml"));
    assert_eq!(report["summary"]["files"], 1);
    // A file named on the command line is linted whatever the globs say.
    let (_, report) = lint_json(dir.path(), &["other/openapi.yaml"]);
    assert_eq!(located(&report), default_findings("other/openapi.yaml"));
}

// ---------------------------------------------------------------------------------------------
// Inline suppressions

/// The fixture spec with `edit` applied, linted with `config`; the report with suppressed
/// findings shown.
fn lint_edited(edit: impl Fn(&str) -> String, config: &str) -> (i32, Value) {
    let dir = project(&[("openapi.yaml", &edit(SPEC)), ("routeguard.yaml", config)]);
    lint_json(dir.path(), &["--show-suppressed"])
}

/// `(rule, line, kind, reason)` of every suppressed finding.
fn suppressed(report: &Value) -> Vec<(String, u64, String, Option<String>)> {
    diagnostics(report)
        .iter()
        .filter(|d| !d["suppressed"].is_null())
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["suppressed"]["kind"].as_str().unwrap().to_string(),
                d["suppressed"]["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn active(report: &Value) -> Vec<Located> {
    let mut report = report.clone();
    if let Some(diagnostics) = report["diagnostics"].as_array_mut() {
        diagnostics.retain(|d| d["suppressed"].is_null());
    }
    located(&report)
}

#[test]
fn comment_suppressions_above_and_at_the_end_of_the_line() {
    let (_, report) = lint_edited(
        |spec| {
            spec.replace(
                "    post:\n",
                "    # routeguard-ignore: operation-summary — created through the admin UI only\n    post:\n",
            )
            .replace(
                "  /health:\n    get:\n",
                "  /health:\n    get: # routeguard-ignore: operation-summary, operation-description -- probe\n",
            )
            .replace(
                "  /internal/jobs:\n    get:\n",
                "  /internal/jobs:\n    # routeguard-ignore: error-responses - not an error here\n    # routeguard-ignore: operation-summary\n    get:\n",
            )
        },
        "",
    );
    assert_eq!(
        suppressed(&report),
        [
            (
                "operation-summary".into(),
                17,
                "comment".into(),
                Some("created through the admin UI only".into())
            ),
            (
                "operation-description".into(),
                26,
                "comment".into(),
                Some("probe".into())
            ),
            (
                "operation-summary".into(),
                26,
                "comment".into(),
                Some("probe".into())
            ),
            ("operation-summary".into(), 34, "comment".into(), None),
        ]
    );
    assert_eq!(
        active(&report),
        [
            at("error-responses", "openapi.yaml", 28, 7),
            // GET /internal/jobs has error responses: that comment suppresses nothing.
            at("unused-suppression", "openapi.yaml", 32, 26),
        ]
    );
    assert_eq!(report["summary"]["suppressed"], 4);
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["infos"], 1);
}

#[test]
fn extension_suppressions_on_operation_path_item_and_document() {
    let (code, report) = lint_edited(
        |spec| {
            spec.replace(
                "info:\n",
                "x-routeguard-ignore: [{rule: operation-description, reason: \"described in the portal\"}]\ninfo:\n",
            )
            .replace(
                "  /health:\n",
                "  /health:\n    x-routeguard-ignore:\n      - rule: error-responses\n        reason: the probe only answers 200\n",
            )
            .replace(
                "    post:\n      operationId: createPet\n",
                "    post:\n      x-routeguard-ignore: [operation-summary]\n      operationId: createPet\n",
            )
        },
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(
        suppressed(&report),
        [
            ("operation-summary".into(), 17, "extension".into(), None),
            (
                "operation-description".into(),
                30,
                "extension".into(),
                Some("described in the portal".into())
            ),
            (
                "error-responses".into(),
                32,
                "extension".into(),
                Some("the probe only answers 200".into())
            ),
        ]
    );
    assert_eq!(
        active(&report),
        [
            at("operation-summary", "openapi.yaml", 30, 5),
            at("operation-summary", "openapi.yaml", 36, 5),
        ]
    );
}

#[test]
fn suppressions_without_reasons_are_findings_when_reasons_are_required() {
    let edit = |spec: &str| {
        spec.replace(
            "    post:\n",
            "    # routeguard-ignore: operation-summary\n    post:\n",
        )
        .replace(
            "  /health:\n",
            "  /health:\n    x-routeguard-ignore: [error-responses]\n",
        )
    };
    let (code, report) = lint_edited(edit, "");
    assert_eq!(code, 0, "reasons are not required by default");
    assert!(active(&report)
        .iter()
        .all(|(rule, ..)| rule != "suppression-reason"));

    let (code, report) = lint_edited(edit, "suppressions:\n  require-reason: true\n");
    assert_eq!(code, 1, "a missing reason is an error");
    let found = active(&report);
    assert!(found.contains(&at("suppression-reason", "openapi.yaml", 16, 26)));
    assert!(found.contains(&at("suppression-reason", "openapi.yaml", 26, 27)));
    // The suppressions still apply.
    assert_eq!(suppressed(&report).len(), 2);
}

#[test]
fn unused_and_invalid_suppressions_are_reported() {
    let (code, report) = lint_edited(
        |spec| {
            spec.replace(
                "    get:\n      operationId: listPets\n",
                "    get:\n      x-routeguard-ignore:\n        - rule: operation-summary\n          reason: stale\n        - rule: operation-sumary\n        - 42\n      operationId: listPets\n",
            )
            .replace(
                "      summary: List pets\n",
                "      summary: List pets # routeguard-ignore: unused-suppression -- not allowed\n",
            )
        },
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(
        active(&report)
            .into_iter()
            .filter(|(rule, ..)| rule.contains("suppression"))
            .collect::<Vec<_>>(),
        [
            at("unused-suppression", "openapi.yaml", 9, 17),
            at("suppression-invalid", "openapi.yaml", 11, 17),
            at("suppression-invalid", "openapi.yaml", 12, 11),
            at("suppression-invalid", "openapi.yaml", 14, 47),
        ]
    );
    let messages: Vec<String> = diagnostics(&report)
        .iter()
        .filter(|d| d["rule"] == "suppression-invalid")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "suppression names unknown rule `operation-sumary`; did you mean `operation-summary`?",
            "a suppression is a rule id or a `{rule, reason}` mapping, found a number",
            "`unused-suppression` cannot be suppressed inline; set its level in the config instead",
        ]
    );
}

#[test]
fn suppressed_findings_never_fail_the_run() {
    let edit = |spec: &str| {
        spec.replace(
            "  /health:\n",
            "  /health:\n    x-routeguard-ignore: [{rule: error-responses, reason: probe}]\n",
        )
    };
    let config = "rules:\n  error-responses: error\n";
    let (code, report) = lint_edited(edit, config);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);

    // Without --show-suppressed the finding is not listed at all; the text summary counts it.
    let dir = project(&[("openapi.yaml", &edit(SPEC)), ("routeguard.yaml", config)]);
    let (_, report) = lint_json(dir.path(), &[]);
    assert!(diagnostics(&report)
        .iter()
        .all(|d| d["rule"] != "error-responses" && d.get("suppressed").is_none()));
    let output = routeguard(dir.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output)
        .ends_with("0 errors, 3 warnings, 1 info in 1 file (4 operations); 1 suppressed\n"));
    let output = routeguard(dir.path(), &["lint", "--show-suppressed"]);
    let text = stdout(&output);
    assert!(
        text.contains("error[error-responses] (suppressed)"),
        "{text}"
    );
    assert!(
        text.contains("suppressed by `x-routeguard-ignore` at openapi.yaml:25:34: probe"),
        "{text}"
    );
}

#[test]
fn operation_suppressions_cover_findings_about_their_route_from_other_files() {
    // The operation lives in another file through `$ref`; its suppression still applies.
    let dir = project(&[
        (
            "openapi.yaml",
            "openapi: 3.0.3\ninfo:\n  title: T\n  version: 1.0.0\npaths:\n  /pets/{id}:\n    $ref: \"./pet.yaml\"\n",
        ),
        (
            "pet.yaml",
            "get:\n  x-routeguard-ignore: [{rule: operation-summary, reason: generated}]\n  operationId: getPet\n  description: One pet.\n  responses:\n    default:\n      description: Error.\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &["--show-suppressed", "openapi.yaml"]);
    assert_eq!(
        suppressed(&report),
        [(
            "operation-summary".into(),
            1,
            "extension".into(),
            Some("generated".into())
        )]
    );
    assert!(active(&report).is_empty(), "{report:#}");
}

// ---------------------------------------------------------------------------------------------
// Baselines

#[test]
fn baseline_reports_only_new_findings_and_survives_moved_lines() {
    let dir = project(&[("api/openapi.yaml", SPEC), ("other/openapi.yaml", SPEC)]);
    let root = dir.path();

    let output = routeguard(
        root,
        &["baseline", "write", "api", "-o", "routeguard-baseline.json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "recorded 5 findings in routeguard-baseline.json\n"
    );

    // With the baseline nothing is new.
    let lint_with_baseline = || {
        lint_json(
            root,
            &[
                "--baseline",
                "routeguard-baseline.json",
                "--fail-on",
                "info",
                "api",
            ],
        )
    };
    let (code, report) = lint_with_baseline();
    assert_eq!(code, 0);
    assert!(located(&report).is_empty());
    assert_eq!(report["summary"]["suppressed"], 5);

    // A new finding fails the run, and is the only one reported.
    let with_new = SPEC.replace("      summary: List pets\n", "");
    write(root, "api/openapi.yaml", &with_new);
    let (code, report) = lint_with_baseline();
    assert_eq!(code, 1);
    assert_eq!(
        located(&report),
        [at("operation-summary", "api/openapi.yaml", 7, 5)]
    );

    // Moving things around changes no fingerprint: paths reordered, lines inserted.
    let (head, rest) = SPEC.split_at(SPEC.find("  /pets:\n").unwrap());
    let (pets, others) = rest.split_at(rest.find("  /health:\n").unwrap());
    let moved = format!("# Reordered.\n\n{head}{others}\n{pets}");
    write(root, "api/openapi.yaml", &moved);
    let (code, report) = lint_with_baseline();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["suppressed"], 5);
    let output = routeguard(
        root,
        &[
            "lint",
            "--baseline",
            "routeguard-baseline.json",
            "--show-suppressed",
            "api",
        ],
    );
    assert!(stdout(&output).contains("suppressed by the baseline"));
}

#[test]
fn baseline_write_keeps_findings_of_files_outside_the_run_and_drops_fixed_ones() {
    let dir = project(&[
        ("api/openapi.yaml", SPEC),
        ("other/openapi.yaml", &spec_copy("other")),
    ]);
    let root = dir.path();
    let read = || -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(root.join("routeguard-baseline.json")).unwrap(),
        )
        .unwrap()
    };
    let files = |baseline: &Value| -> Vec<String> {
        baseline["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        routeguard(root, &["baseline", "write", "api", "other"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(files(&read()).len(), 10);

    // Fix one finding in api/ and record api/ alone: other/ keeps its five.
    write(
        root,
        "api/openapi.yaml",
        &SPEC.replace(
            "      operationId: createPet\n",
            "      operationId: createPet\n      summary: Add a pet\n",
        ),
    );
    let output = routeguard(root, &["baseline", "write", "api"]);
    assert_eq!(
        stdout(&output),
        "recorded 9 findings in routeguard-baseline.json, 5 kept from files outside this run\n"
    );
    let baseline = read();
    let files = files(&baseline);
    assert_eq!(
        files.iter().filter(|f| *f == "other/openapi.yaml").count(),
        5
    );
    assert_eq!(files.iter().filter(|f| *f == "api/openapi.yaml").count(), 4);
    assert_eq!(baseline["version"], 1);
    let entry = &baseline["findings"][0];
    for key in ["file", "rule", "anchor", "hash", "message"] {
        assert!(entry.get(key).is_some(), "{key} missing in {entry}");
    }
    assert!(
        entry.get("line").is_none(),
        "fingerprints hold no line numbers"
    );

    // Writing the same again changes nothing.
    let before = std::fs::read(root.join("routeguard-baseline.json")).unwrap();
    routeguard(root, &["baseline", "write", "api"]);
    assert_eq!(
        std::fs::read(root.join("routeguard-baseline.json")).unwrap(),
        before
    );
}

#[test]
fn a_broken_baseline_is_exit_2() {
    let dir = project(&[
        ("openapi.yaml", SPEC),
        ("b.json", "{\"version\": 1, \"findings\": [}"),
    ]);
    let output = routeguard(dir.path(), &["lint", "--baseline", "b.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .starts_with("routeguard: error: baseline `b.json` is not valid: line 1, column 29"),
        "{}",
        stderr(&output)
    );
    let output = routeguard(dir.path(), &["lint", "--baseline", "missing.json"]);
    assert_eq!(output.status.code(), Some(2));
    let output = routeguard(dir.path(), &["baseline", "write", "-o", "b.json"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a broken baseline is never overwritten"
    );
}

// ---------------------------------------------------------------------------------------------
// Commands

#[test]
fn init_writes_a_working_starter_config_and_never_overwrites() {
    let dir = project(&[("openapi.yaml", SPEC)]);
    let output = routeguard(dir.path(), &["init"]);
    assert_eq!(output.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("routeguard.yaml")).unwrap();
    assert!(written.contains("extends: recommended"));
    assert!(written.starts_with("# yaml-language-server: $schema="));
    // The starter config is valid and keeps the defaults' findings.
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(located(&report), default_findings("openapi.yaml"));

    std::fs::write(dir.path().join("routeguard.yaml"), "extends: off\n").unwrap();
    let output = routeguard(dir.path(), &["init"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "routeguard: error: `routeguard.yaml` already exists; edit it, or remove it to start over\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("routeguard.yaml")).unwrap(),
        "extends: off\n"
    );
    let other = project(&[(".routeguard.yaml", "")]);
    assert_eq!(routeguard(other.path(), &["init"]).status.code(), Some(2));
    let strict = project(&[]);
    routeguard(strict.path(), &["init", "--preset", "strict"]);
    assert!(
        std::fs::read_to_string(strict.path().join("routeguard.yaml"))
            .unwrap()
            .contains("extends: strict")
    );
}

#[test]
fn explain_shows_options_and_current_settings() {
    let dir = project(&[(
        "routeguard.yaml",
        "extends: strict\nrules:\n  operation-summary: { max-length: 72 }\noverrides:\n  - files: [\"legacy/**\"]\n    rules: { operation-summary: off }\n",
    )]);
    let output = routeguard(dir.path(), &["explain", "operation-summary"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("Options:\n    max-length (whole number ≥ 0; default 0): "),
        "{text}"
    );
    assert!(
        text.contains(
            "Current settings (routeguard.yaml, preset `strict`):\n    level: error (from preset `strict`)\n    max-length: 72 (from routeguard.yaml)\n    overrides at routeguard.yaml:5 change it for some files or routes\n"
        ),
        "{text}"
    );
    let output = routeguard(dir.path(), &["explain", "operation-id", "--no-config"]);
    assert!(stdout(&output).contains(
        "Current settings (no config file, preset `recommended`):\n    level: on, at its default severity (warning) (from preset `recommended`)\n    style: any (default)\n"
    ));
}

#[test]
fn rules_lists_what_a_preset_turns_on() {
    let dir = project(&[]);
    let listed = |preset: &str| -> Vec<(String, String)> {
        let output = routeguard(
            dir.path(),
            &["rules", "--preset", preset, "--format", "json"],
        );
        let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
        listing["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let off = listed("off");
    assert!(off.contains(&("parse-error".into(), "error".into())));
    assert!(!off.iter().any(|(id, _)| id == "operation-summary"));
    let recommended = listed("recommended");
    assert!(recommended.contains(&("operation-summary".into(), "warning".into())));
    assert!(!recommended.iter().any(|(id, _)| id == "suppression-reason"));
    let strict = listed("strict");
    assert!(strict.contains(&("operation-summary".into(), "error".into())));
    assert!(strict.contains(&("suppression-reason".into(), "error".into())));
    let output = routeguard(dir.path(), &["rules", "--preset", "strict"]);
    assert!(stdout(&output).contains("options: style: camelCase"));
    let output = routeguard(dir.path(), &["rules", "--preset", "strictest"]);
    assert_eq!(output.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// The JSON Schema

#[test]
fn the_committed_schema_is_the_one_routeguard_prints() {
    let dir = project(&[]);
    let output = routeguard(dir.path(), &["schema"]);
    assert_eq!(output.status.code(), Some(0));
    let committed =
        std::fs::read_to_string(common::repo().join("docs/routeguard.schema.json")).unwrap();
    assert!(
        stdout(&output) == committed,
        "docs/routeguard.schema.json is out of date: run `cargo run -- schema > docs/routeguard.schema.json`"
    );
}

#[test]
fn operation_suppressions_cover_findings_about_their_route_in_any_file() {
    // Gateway findings will carry the route of the operation they concern; a finding about the
    // same method and path from another file stands in for one here.
    let spec = |summary: &str, ignore: &str| {
        format!(
            "openapi: 3.0.3\ninfo:\n  title: T\n  version: 1.0.0\npaths:\n  /pets/{{petId}}:\n    get:\n{ignore}      operationId: getPet\n{summary}      description: One pet.\n      responses:\n        default:\n          description: Error.\n"
        )
    };
    let dir = project(&[
        (
            "a.yaml",
            &spec(
                "      summary: Get a pet\n",
                "      x-routeguard-ignore: [{rule: operation-id, reason: shared by design}]\n",
            ),
        ),
        ("b.yaml", &spec("", "").replace("{petId}", "{id}")),
        // Two APIs each have their own operationIds, unless compared across the project.
        (
            "routeguard.yaml",
            "rules:\n  operation-id: { scope: project }\n",
        ),
    ]);
    let (_, report) = lint_json(dir.path(), &["--show-suppressed"]);
    assert_eq!(
        suppressed(&report),
        [(
            "operation-id".into(),
            8,
            "extension".into(),
            Some("shared by design".into())
        )]
    );
    assert_eq!(active(&report), [at("operation-summary", "b.yaml", 7, 5)]);
}
