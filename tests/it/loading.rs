//! Loading never panics and never loses a finding: duplicate keys, broken and hostile input,
//! references that leave the project, formats it does not know, and walking rules.

use crate::common;

use std::path::Path;

use common::{at, lint_json, located, Located};

const CLEAN: &str = "openapi: 3.0.3
info:
  title: Clean
  version: 1.0.0
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      description: Lists pets.
      responses:
        \"200\":
          description: Pets.
        default:
          description: Error.
";

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    common::project(files)
}

fn lint(dir: &Path, args: &[&str]) -> (i32, Vec<Located>, serde_json::Value) {
    let (code, report) = lint_json(dir, args);
    (code, located(&report), report)
}

#[test]
fn duplicate_keys_are_reported_with_both_locations_in_yaml_and_json() {
    let yaml = CLEAN.replace(
        "      summary: List pets\n",
        "      summary: List pets\n      summary: Again\n",
    );
    let json = r#"{"openapi": "3.0.3", "openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}}"#;
    let dir = project(&[("a.yaml", yaml.as_bytes()), ("b.json", json.as_bytes())]);
    let (code, found, report) = lint(dir.path(), &["a.yaml", "b.json"]);
    assert_eq!(
        found,
        vec![
            at("duplicate-key", "a.yaml", 10, 7),
            at("duplicate-key", "b.json", 1, 22)
        ]
    );
    assert_eq!(report["diagnostics"][0]["related"][0]["line"], 9);
    assert_eq!(report["diagnostics"][0]["related"][0]["column"], 7);
    assert_eq!(report["diagnostics"][1]["related"][0]["column"], 2);
    assert_eq!(code, 1);
}

#[test]
fn references_outside_the_root_are_refused_and_remote_ones_skipped() {
    let spec = CLEAN.replace(
        "        default:\n          description: Error.\n",
        "        default:\n          $ref: \"../outside.yaml#/Error\"\n        \"502\":\n          $ref: \"https://example.com/errors.yaml#/BadGateway\"\n",
    );
    let dir = project(&[("api/openapi.yaml", spec.as_bytes())]);
    std::fs::write(
        dir.path().join("outside.yaml"),
        "Error:\n  description: x\n",
    )
    .expect("write");
    // With the default root (the enclosing git repository) the sibling file is inside the root.
    let (_, found, _) = lint(dir.path(), &["api/openapi.yaml"]);
    assert_eq!(
        found,
        vec![at("ref-remote-skipped", "api/openapi.yaml", 17, 17)]
    );
    // With the root narrowed to `api/`, it is outside.
    let (code, found, _) = lint(dir.path(), &["--root", "api", "api/openapi.yaml"]);
    assert_eq!(
        found,
        vec![
            at("ref-outside-root", "api/openapi.yaml", 15, 17),
            at("ref-remote-skipped", "api/openapi.yaml", 17, 17),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn unknown_formats_are_noted_when_named_and_skipped_silently_when_walked() {
    let dir = project(&[
        ("specs/openapi.yaml", CLEAN.as_bytes()),
        ("specs/values.yaml", b"replicas: 3\n"),
        ("specs/empty.yaml", b""),
        ("specs/notes.txt", b"not linted"),
    ]);
    let (code, found, report) = lint(dir.path(), &["specs"]);
    assert_eq!(found, vec![]);
    // Only the spec is linted; the other two are read, recognised as nothing of ours, skipped.
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(report["summary"]["skipped"], 2);
    assert_eq!(code, 0);
    let (code, found, _) = lint(dir.path(), &["specs/values.yaml", "specs/empty.yaml"]);
    assert_eq!(
        found,
        vec![
            at("unknown-format", "specs/empty.yaml", 1, 1),
            at("unknown-format", "specs/values.yaml", 1, 1),
        ]
    );
    assert_eq!(code, 0);
}

#[test]
fn unsupported_spec_version_is_noted_at_the_version_field() {
    let spec = CLEAN.replace("openapi: 3.0.3", "openapi: 4.0.0");
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (_, found, _) = lint(dir.path(), &["openapi.yaml"]);
    assert_eq!(found, vec![at("unknown-format", "openapi.yaml", 1, 10)]);
}

#[test]
fn folder_walks_respect_gitignore() {
    let missing_summary = CLEAN.replace("      summary: List pets\n", "");
    let dir = project(&[
        (".gitignore", b"generated/\n"),
        ("openapi.yaml", CLEAN.as_bytes()),
        ("generated/openapi.yaml", missing_summary.as_bytes()),
    ]);
    let (_, found, report) = lint(dir.path(), &["."]);
    assert_eq!(found, vec![]);
    assert_eq!(report["summary"]["files"], 1);
    // Named explicitly, an ignored file is linted.
    let (_, found, _) = lint(dir.path(), &["generated/openapi.yaml"]);
    assert_eq!(
        found,
        vec![at("operation-summary", "generated/openapi.yaml", 7, 5)]
    );
}

#[test]
fn hostile_input_becomes_parse_errors_not_crashes() {
    let deep_yaml = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let deep_json = format!(
        "{}{}",
        "{\"a\":".repeat(3000),
        "1".to_string() + &"}".repeat(3000)
    );
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        bomb.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    let dir = project(&[
        ("deep.yaml", deep_yaml.as_bytes()),
        ("deep.json", deep_json.as_bytes()),
        ("bomb.yaml", bomb.as_bytes()),
        ("latin1.yaml", b"openapi: 3.0.3\ninfo:\n  title: caf\xe9\n"),
        ("truncated.json", br#"{"openapi": "3.0.3", "paths": {"#),
        ("tabs.yaml", b"openapi: 3.0.3\ninfo:\n\ttitle: x\n"),
    ]);
    // Named, every file is held to its syntax; walked, only those that say they are ours, and
    // those that hit a limit (depth, alias expansion): they may be real specs, or attacks.
    let named = [
        "bomb.yaml",
        "deep.json",
        "deep.yaml",
        "latin1.yaml",
        "tabs.yaml",
        "truncated.json",
    ];
    let (code, found, _) = lint(dir.path(), &named);
    let rules: Vec<(&str, &str, u64)> = found
        .iter()
        .map(|(rule, file, line, _)| (rule.as_str(), file.as_str(), *line))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("input-refused", "bomb.yaml", 6),
            ("parse-error", "deep.json", 1),
            ("parse-error", "deep.yaml", 1),
            ("parse-error", "latin1.yaml", 3),
            ("parse-error", "tabs.yaml", 3),
            ("parse-error", "truncated.json", 1),
        ]
    );
    assert_eq!(code, 1);
    let (code, found, report) = lint(dir.path(), &["."]);
    let rules: Vec<(&str, &str)> = found
        .iter()
        .map(|(rule, file, _, _)| (rule.as_str(), file.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("input-refused", "bomb.yaml"),
            ("parse-error", "deep.json"),
            ("parse-error", "deep.yaml"),
            ("parse-error", "latin1.yaml"),
            ("parse-error", "tabs.yaml"),
            ("parse-error", "truncated.json"),
        ]
    );
    assert_eq!(report["summary"]["skipped"], 0);
    assert_eq!(code, 1);
}

#[test]
fn columns_count_characters_and_crlf_bom_and_multi_document_files_keep_positions() {
    let unicode = r#"{"openapi": "3.0.3", "info": {"title": "Ünïcödé", "version": "1"}, "paths": {"/café": {"get": {"operationId": "x", "description": "d", "responses": {"default": {"description": "e"}}}}}}"#;
    let without_summary = |id: &str| {
        CLEAN
            .replace("      summary: List pets\n", "")
            .replace("listPets", id)
    };
    let crlf = without_summary("crlf").replace('\n', "\r\n");
    let bom = format!("\u{feff}{}", without_summary("bom"));
    let multi = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n{}",
        without_summary("multi")
    );
    let dir = project(&[
        ("unicode.json", unicode.as_bytes()),
        ("crlf.yaml", crlf.as_bytes()),
        ("bom.yaml", bom.as_bytes()),
        ("multi.yaml", multi.as_bytes()),
    ]);
    let (_, found, _) = lint(dir.path(), &["."]);
    let get_column = unicode[..unicode.find(r#""get""#).unwrap_or(0)]
        .chars()
        .count() as u64
        + 1;
    assert_eq!(
        found,
        vec![
            at("operation-summary", "bom.yaml", 7, 5),
            at("operation-summary", "crlf.yaml", 7, 5),
            at("operation-summary", "multi.yaml", 12, 5),
            at("operation-summary", "unicode.json", 1, get_column),
        ]
    );
}

#[test]
fn yaml_merge_keys_and_anchors_are_followed() {
    let spec = "openapi: 3.0.3
info: {title: Merge, version: 1.0.0}
x-defaults: &defaults
  description: Shared description.
  responses:
    default:
      description: Error.
paths:
  /pets:
    get:
      <<: *defaults
      operationId: listPets
      summary: List pets
    post:
      <<: *defaults
      operationId: createPet
";
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (_, found, report) = lint(dir.path(), &["openapi.yaml"]);
    assert_eq!(found, vec![at("operation-summary", "openapi.yaml", 14, 5)]);
    assert_eq!(report["summary"]["operations"], 2);
}

/// The text of a spec whose trees were dropped is not held: frames read the file again, and a
/// file that changed since it was linted shows no frame and says why.
#[test]
fn frames_read_the_file_again_and_a_changed_file_shows_none() {
    use routeguard::config::{presets::Preset, Config};
    use routeguard::lint::{lint_in, LintOptions};
    use routeguard::report::{format, Kind, Settings};

    let spec = CLEAN.replace("      summary: List pets\n", "");
    // Lints the spec, calls `between` (the file's text is gone by then), renders it as text.
    let render = |between: &dyn Fn(&Path)| {
        let dir = project(&[("openapi.yaml", spec.as_bytes())]);
        let root = std::fs::canonicalize(dir.path()).expect("canonical root");
        let options = LintOptions {
            paths: vec!["openapi.yaml".into()],
            root: Some(root.clone()),
            config: Config::with_preset(Preset::Recommended),
            ..LintOptions::default()
        };
        let outcome = lint_in(&options, &root).expect("lint");
        let file = &outcome.workspace.files()[0];
        assert!(
            file.trees_dropped() && file.text().is_none(),
            "text released"
        );
        between(&root.join("openapi.yaml"));
        let settings = Settings {
            width: 100,
            ..Settings::default()
        };
        let report = (format(Kind::Findings, "text").expect("text format").build)(&settings);
        let mut out = Vec::new();
        report.emit(&outcome, &mut out).expect("render");
        String::from_utf8(out).expect("utf-8")
    };
    let shown = render(&|_| {});
    assert!(shown.contains("7 │     get:"), "{shown}");
    assert!(!shown.contains("the file changed"), "{shown}");

    // Same length, other bytes: the hash tells them apart.
    let shown = render(&|path| std::fs::write(path, spec.replace("pets", "cats")).expect("edit"));
    assert!(!shown.contains(" │ "), "{shown}");
    assert!(
        shown.contains("openapi.yaml\n  = note: the file changed after it was read"),
        "{shown}"
    );
    assert!(shown.contains("openapi.yaml:7:5:"), "{shown}");
}

/// go-yaml writes a long quoted scalar's continuation lines left of its key (the Gateway API
/// CRDs' CEL rules), which libyaml, go-yaml and PyYAML read and the YAML spec does not allow:
/// such a file is read as they read it, places unchanged; a quote left open is still an error.
#[test]
fn quoted_scalars_continued_left_of_their_key_are_read_as_go_yaml_reads_them() {
    let route = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: pets
  annotations:
    - rule: 'self.all(p1, self.all(p2, p1.group == p2.group
      && p1.name == p2.name))'
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /pets}}]
      timeouts: {request: 5s}
      backendRefs: [{name: pets, port: 8080}]
";
    let broken = "a:\n  - rule: 'never\n  closed\n";
    let dir = project(&[
        ("route.yaml", route.as_bytes()),
        ("broken.yaml", broken.as_bytes()),
    ]);
    let (_, found, report) = lint(dir.path(), &["route.yaml", "broken.yaml"]);
    let parse_errors: Vec<&str> = found
        .iter()
        .filter(|(rule, ..)| rule == "parse-error")
        .map(|(_, file, ..)| file.as_str())
        .collect();
    assert_eq!(parse_errors, ["broken.yaml"]);
    // The route after the scalar is read, at its own line.
    let result = common::run(dir.path(), &["routes", "--format", "json", "route.yaml"]);
    let routes: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    assert_eq!(routes["routes"][0]["path"], "/pets*");
    assert_eq!(routes["routes"][0]["line"], 11);
    assert_eq!(routes["routes"][0]["timeout_ms"], 5000);
    assert!(report["diagnostics"].is_array());
}
