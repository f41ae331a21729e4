//! TOML files load into the same spanned tree as YAML and JSON: found when walking folders, every
//! key and value at its line and column, and syntax errors reported where they are.

use crate::common;

use std::path::{Path, PathBuf};

use common::{at, lint_json, located};
use routeguard::lint::{lint_in, LintOptions};
use routeguard::source::Node;
use routeguard::span::Location;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
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

fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).expect("canonical temp dir")
}

const DYNAMIC: &str = r#"# Traefik dynamic configuration
[http.routers.pets]
  rule = "PathPrefix(`/pets`)"
  service = "pets"

[http.services.pets.loadBalancer]
  [[http.services.pets.loadBalancer.servers]]
    url = "http://pets:8080"
  [[http.services.pets.loadBalancer.servers]]
    url = "http://pets-2:8080"
"#;

#[test]
fn nested_keys_values_and_array_items_have_their_line_and_column() {
    let dir = project(&[("conf/dynamic.toml", DYNAMIC)]);
    let cwd = canonical(dir.path());
    let outcome = lint_in(
        &LintOptions {
            paths: vec![PathBuf::from("conf")],
            ..LintOptions::default()
        },
        &cwd,
    )
    .expect("lint runs");
    let file = outcome
        .workspace
        .files()
        .first()
        .expect("the TOML file is found by walking the folder");
    assert_eq!(file.display, "conf/dynamic.toml");
    let document = file.documents.first().expect("one document");
    let position = |node: &Node| {
        let point = outcome.workspace.position(Location {
            file: file.id,
            span: node.span,
        });
        (point.line, point.column)
    };
    let pets = document
        .get("http")
        .and_then(|http| http.get("routers"))
        .and_then(|routers| routers.entry("pets"))
        .expect("router entry");
    assert_eq!(position(&pets.key), (2, 15));
    let rule = pets.value.get("rule").expect("rule");
    assert_eq!(position(rule), (3, 10));
    let servers = document
        .get("http")
        .and_then(|http| http.get("services"))
        .and_then(|services| services.get("pets"))
        .and_then(|pets| pets.get("loadBalancer"))
        .and_then(|balancer| balancer.get("servers"))
        .expect("servers");
    let second_url = servers
        .items()
        .get(1)
        .and_then(|server| server.get("url"))
        .expect("second server url");
    assert_eq!(second_url.as_str(), Some("http://pets-2:8080"));
    assert_eq!(position(second_url), (10, 11));
}

#[test]
fn syntax_errors_are_parse_errors_at_their_line_and_column() {
    let broken = "[http.routers.pets]\n  rule = \"Path(`/pets`)\"\n  service = pets\n";
    let duplicate =
        "[http.routers.a]\nrule = \"Path(`/a`)\"\n\n[http.routers.a]\nrule = \"Path(`/b`)\"\n";
    let dir = project(&[("broken.toml", broken), ("duplicate.toml", duplicate)]);
    let (code, report) = lint_json(dir.path(), &["."]);
    assert_eq!(
        located(&report),
        vec![
            at("parse-error", "broken.toml", 3, 13),
            at("parse-error", "duplicate.toml", 4, 15),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_toml_file_of_no_known_format_is_unknown_when_named() {
    let dir = project(&[(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n",
    )]);
    let (_, named) = lint_json(dir.path(), &["Cargo.toml"]);
    assert_eq!(
        located(&named),
        vec![at("unknown-format", "Cargo.toml", 1, 1)]
    );
    // Walked, it is not linted: with nothing else, there is no file to lint.
    let (code, walked) = lint_json(dir.path(), &["--allow-empty", "."]);
    assert_eq!(located(&walked), vec![]);
    assert_eq!(code, 0);
    let nothing = common::run(dir.path(), &["lint", "."]);
    assert_eq!(nothing.code, 2);
    assert!(
        nothing.stderr.contains("no files found"),
        "{}",
        nothing.stderr
    );
}
