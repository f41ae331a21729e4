//! The rule catalog is the single source of truth: every entry is valid, every rule has one,
//! every bad example triggers exactly its rule, every good example is clean, and the docs pages
//! are generated from it.

use crate::common;

use std::path::PathBuf;

use routeguard::catalog;
use routeguard::rule_id::BuiltinRule;
use routeguard::rules::RULES;

/// Lints an example's files together in a fresh project, with every rule on (`extends: all`,
/// so rules that no preset turns on are checked too) and the example's own config on top, and
/// returns the rule ids raised.
fn rules_raised_by(example: &catalog::Example) -> Vec<(String, String)> {
    let project = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(project.path()).expect("canonical temp dir");
    std::fs::create_dir(root.join(".git")).expect("create .git");
    let config = example.config.as_deref().unwrap_or_default();
    assert!(
        !config.contains("extends:"),
        "example configs are linted on top of `extends: all`"
    );
    std::fs::write(
        root.join("routeguard.yaml"),
        format!("extends: all\n{config}"),
    )
    .expect("write config");
    for file in &example.files {
        std::fs::write(root.join(&file.file), &file.text).expect("write example");
    }
    // A ruleset beside the config is read with it, not linted as input.
    let args: Vec<&str> = example
        .files
        .iter()
        .map(|file| file.file.as_str())
        .filter(|file| !file.starts_with(".spectral."))
        .collect();
    let (_, report) = common::lint_json(&root, &args);
    common::findings(&report)
        .into_iter()
        .map(|finding| {
            let place = format!("{}:{}:{}", finding.file, finding.line, finding.column);
            (finding.rule, place)
        })
        .collect()
}

#[test]
fn every_bad_example_triggers_exactly_its_rule_where_its_entry_says() {
    for meta in catalog::all() {
        let raised = rules_raised_by(&meta.bad);
        assert!(
            !raised.is_empty(),
            "bad example of {} raises nothing",
            meta.id
        );
        assert!(
            raised.iter().all(|(rule, _)| *rule == meta.id),
            "bad example of {} raises {raised:?}",
            meta.id
        );
        let places: Vec<&str> = raised.iter().map(|(_, place)| place.as_str()).collect();
        assert!(
            !meta.bad.findings.is_empty(),
            "rules/{}.yaml: the bad example lists no `findings`",
            meta.id
        );
        assert_eq!(
            places, meta.bad.findings,
            "rules/{}.yaml: the bad example is reported elsewhere",
            meta.id
        );
    }
}

#[test]
fn every_good_example_is_clean() {
    for meta in catalog::all() {
        let raised = rules_raised_by(&meta.good);
        assert!(
            raised.is_empty(),
            "good example of {} raises {raised:?}",
            meta.id
        );
    }
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

/// A catalog entry of a model family is a check in `RULES` (build.rs registers the file its id
/// names); one of the families the loader, the adapters and the config raise is raised there
/// by its `BuiltinRule` variant. A check without an entry does not compile (`Registered`).
#[test]
fn every_catalog_entry_has_an_implementation() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let raising: Vec<String> = rust_files(&src)
        .into_iter()
        .filter(|path| !path.starts_with(src.join("rules")) && !path.ends_with("rule_id.rs"))
        .map(|path| std::fs::read_to_string(path).expect("source is UTF-8"))
        .collect();
    let mut missing = Vec::new();
    for meta in catalog::all() {
        let rule = BuiltinRule::from_id(&meta.id).expect("every catalog entry is a BuiltinRule");
        let implemented = match meta.family.as_str() {
            "input" | "suppression" => {
                let variant = format!("BuiltinRule::{rule:?}");
                raising.iter().any(|text| {
                    text.match_indices(&variant).any(|(at, _)| {
                        !text[at + variant.len()..].starts_with(|c: char| c.is_alphanumeric())
                    })
                })
            }
            _ => RULES.iter().any(|check| check.id() == rule),
        };
        if !implemented {
            missing.push(match meta.family.as_str() {
                "input" | "suppression" => format!(
                    "rules/{}.yaml: nothing in src/ raises BuiltinRule::{rule:?}",
                    meta.id
                ),
                family => format!(
                    "rules/{}.yaml: no rule `{rule:?}` in src/rules/{family}/{}.rs",
                    meta.id,
                    meta.id.replace('-', "_")
                ),
            });
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert_eq!(
        RULES.iter().map(|check| check.id()).collect::<Vec<_>>(),
        BuiltinRule::ALL
            .iter()
            .copied()
            .filter(|rule| RULES.iter().any(|check| check.id() == *rule))
            .collect::<Vec<_>>(),
        "RULES is in id order"
    );
}

/// Each rule's options struct reads exactly the options its entry declares, with their kinds,
/// and every default reads into it.
#[test]
fn every_options_struct_matches_its_catalog_entry() {
    let mismatches: Vec<String> = RULES
        .iter()
        .flat_map(|rule| rule.option_mismatches())
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// build.rs reads only an entry's `family:` line; the catalog's parser reads the whole entry.
#[test]
fn the_registry_and_the_catalog_agree_on_each_family() {
    for meta in catalog::all() {
        let rule = BuiltinRule::from_id(&meta.id).expect("every catalog entry is a BuiltinRule");
        assert_eq!(rule.family().as_str(), meta.family, "{}", meta.id);
    }
    assert_eq!(BuiltinRule::ALL.len(), catalog::all().len());
}

#[test]
fn every_catalog_file_is_registered() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "yaml" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    on_disk.sort();
    let registered: Vec<String> = catalog::SOURCES
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(on_disk, registered);
}

#[test]
fn catalog_entries_are_complete() {
    for meta in catalog::all() {
        for (field, value) in [
            ("summary", &meta.summary),
            ("why", &meta.why),
            ("rationale", &meta.rationale),
            ("help", &meta.help),
        ] {
            assert!(!value.trim().is_empty(), "{}: empty {field}", meta.id);
        }
        assert!(
            [
                "docs",
                "timeout",
                "retry",
                "fallback",
                "consistency",
                "input",
                "suppression"
            ]
            .contains(&meta.family.as_str()),
            "{}: unknown family {}",
            meta.id,
            meta.family
        );
    }
}

#[test]
fn docs_pages_are_generated_from_the_catalog() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let update = std::env::var_os("ROUTEGUARD_UPDATE_DOCS").is_some();
    let mut pages = vec![("README.md".to_string(), catalog::index_markdown())];
    pages.extend(
        catalog::all()
            .iter()
            .map(|meta| (format!("{}.md", meta.id), catalog::markdown(meta))),
    );
    for (name, expected) in pages {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).expect("create docs/rules");
            std::fs::write(&path, &expected).expect("write docs page");
            continue;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/rules/{name} is out of date: run `ROUTEGUARD_UPDATE_DOCS=1 cargo test --test it catalog`"
        );
    }
}
