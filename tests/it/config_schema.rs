//! The JSON Schema in the repository against the real config parser: every config under
//! `fixtures/config/valid/` passes both, every one under `fixtures/config/invalid/` fails both,
//! and so does the starter config `routeguard init` writes.

use std::path::{Path, PathBuf};

use routeguard::config::parse_config;
use routeguard::source::{parse_text, Node, NodeKind, ScalarKind, Syntax};
use serde_json::{Map, Number, Value};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo("docs/routeguard.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// The YAML as the JSON an editor's schema validator sees.
fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|entry| {
                    (
                        entry.key.scalar_text().unwrap_or_default().to_string(),
                        to_json(&entry.value),
                    )
                })
                .collect::<Map<_, _>>(),
        ),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Scalar(scalar) => match scalar.kind {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(value) => Value::Bool(value),
            ScalarKind::Int => scalar
                .text
                .parse::<i64>()
                .map(|value| Value::Number(value.into()))
                .unwrap_or_else(|_| Value::String(scalar.text.to_string())),
            ScalarKind::Float => scalar
                .text
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or_else(|| Value::String(scalar.text.to_string()), Value::Number),
            ScalarKind::Str => Value::String(scalar.text.to_string()),
        },
    }
}

/// Whether the parser accepts `text`, and whether the schema does, with their complaints.
fn judge(
    validator: &jsonschema::Validator,
    text: &str,
) -> (Result<(), String>, Result<(), String>) {
    let parsed = parse_config(
        text,
        Path::new("/project/routeguard.yaml"),
        "routeguard.yaml",
    )
    .map(|_| ())
    .map_err(|error| error.to_string());
    let document = parse_text(text, Syntax::Yaml)
        .unwrap()
        .documents
        .into_iter()
        .next()
        .map_or(Value::Null, |node| to_json(&node));
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    let schema = if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    };
    (parsed, schema)
}

fn configs(folder: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(repo(folder))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    found.sort();
    assert!(found.len() >= 5, "too few configs in {folder}");
    found
}

#[test]
fn valid_configs_pass_both_the_parser_and_the_schema() {
    let validator = validator();
    for (name, text) in configs("fixtures/config/valid") {
        let (parsed, schema) = judge(&validator, &text);
        assert_eq!(parsed, Ok(()), "the parser refuses valid/{name}");
        assert_eq!(schema, Ok(()), "the schema refuses valid/{name}");
    }
}

#[test]
fn invalid_configs_fail_both_the_parser_and_the_schema() {
    let validator = validator();
    for (name, text) in configs("fixtures/config/invalid") {
        let (parsed, schema) = judge(&validator, &text);
        assert!(parsed.is_err(), "the parser accepts invalid/{name}");
        assert!(schema.is_err(), "the schema accepts invalid/{name}");
    }
}

#[test]
fn the_starter_config_passes_both() {
    let dir = tempfile::tempdir().unwrap();
    for preset in ["off", "recommended", "strict", "all"] {
        let output = assert_cmd::Command::cargo_bin("routeguard")
            .unwrap()
            .current_dir(dir.path())
            .args(["init", "--preset", preset])
            .output()
            .unwrap();
        assert!(output.status.success());
        let path = dir.path().join("routeguard.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let (parsed, schema) = judge(&validator(), &text);
        assert_eq!(parsed, Ok(()), "--preset {preset}");
        assert_eq!(schema, Ok(()), "--preset {preset}");
    }
}

#[test]
fn the_configuration_guide_documents_every_key_preset_and_option() {
    let guide = std::fs::read_to_string(repo("docs/configuration.md")).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("docs/routeguard.schema.json")).unwrap(),
    )
    .unwrap();
    let keys = |value: &Value| -> Vec<String> {
        value["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let mut documented = keys(&schema);
    documented.extend(keys(&schema["$defs"]["override"]));
    documented.extend(keys(&schema["$defs"]["layer"]));
    documented.extend(keys(&schema["properties"]["suppressions"]));
    documented.extend(routeguard::config::Preset::names().map(str::to_string));
    for meta in routeguard::catalog::all() {
        documented.extend(meta.options.iter().map(|option| option.name.clone()));
        if meta.family == "suppression" {
            documented.push(meta.id.clone());
        }
    }
    for key in documented {
        assert!(
            guide.contains(&format!("`{key}`")),
            "docs/configuration.md does not mention `{key}`"
        );
    }
}
