//! Every rule's catalog examples do what they say: the bad one triggers the rule, the good one
//! does not. Each is linted alone, with every rule on (`extends: all`, so rules that no other
//! preset turns on are checked too) and the example's own config, if it has one.

use assert_cmd::Command;
use routeguard::rules::catalog;
use serde_json::Value;

fn rules_reported(example: &catalog::Example) -> Vec<String> {
    let (file, text) = (&example.file, &example.text);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let config = example.config.as_deref().unwrap_or_default();
    assert!(
        !config.contains("extends:"),
        "example configs are linted on top of `extends: all`"
    );
    std::fs::write(
        dir.path().join("routeguard.yaml"),
        format!("extends: all\n{config}"),
    )
    .unwrap();
    let path = dir.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let output = Command::cargo_bin("routeguard")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", file.as_str()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bad_examples_trigger_their_rule_and_good_ones_do_not() {
    for meta in catalog::all() {
        let bad = rules_reported(&meta.bad);
        assert!(
            bad.contains(&meta.id),
            "the bad example of {} does not trigger it: {bad:?}",
            meta.id
        );
        let good = rules_reported(&meta.good);
        assert!(
            !good.contains(&meta.id),
            "the good example of {} triggers it: {good:?}",
            meta.id
        );
    }
}
