//! The pipeline runs one way in the imports too: every `crate::` path in `src/` is an edge from
//! the top-level module it is written in to the one it names, and each module may name only the
//! modules below it (docs/architecture.md draws the graph).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What each top-level module may use. Anything not listed is an edge against the layering.
const ALLOWED: &[(&str, &[&str])] = &[
    ("span", &[]),
    ("collections", &[]),
    ("units", &[]),
    ("suggest", &[]),
    ("rule_id", &[]),
    ("diagnostic", &["span", "rule_id"]),
    (
        "source",
        &["span", "collections", "units", "rule_id", "diagnostic"],
    ),
    ("discover", &["span", "source"]),
    ("model", &["span", "collections", "units"]),
    (
        "formats",
        &[
            "span",
            "collections",
            "units",
            "rule_id",
            "diagnostic",
            "source",
            "model",
        ],
    ),
    (
        "catalog",
        &[
            "span",
            "collections",
            "units",
            "suggest",
            "rule_id",
            "diagnostic",
            "source",
        ],
    ),
    (
        "rules",
        &[
            "span",
            "collections",
            "units",
            "suggest",
            "rule_id",
            "diagnostic",
            "model",
            "catalog",
        ],
    ),
    (
        "custom",
        &[
            "span",
            "collections",
            "suggest",
            "rule_id",
            "diagnostic",
            "source",
            "discover",
            "model",
            "catalog",
            "rules",
        ],
    ),
    (
        "config",
        &[
            "span",
            "collections",
            "units",
            "suggest",
            "rule_id",
            "diagnostic",
            "source",
            "discover",
            "model",
            "catalog",
            "rules",
            "custom",
        ],
    ),
    (
        "outcome",
        &["span", "collections", "diagnostic", "source", "model"],
    ),
    (
        "report",
        &[
            "span",
            "collections",
            "units",
            "rule_id",
            "diagnostic",
            "source",
            "model",
            "catalog",
            "rules",
            "custom",
            "config",
            "outcome",
        ],
    ),
];

/// The driver and the command line sit on top and may use everything, as do the tests of the
/// scaffolds' templates.
const TOP: &[&str] = &["lint", "cli", "main", "lib", "scaffolds"];

/// Every Rust file under `src/`: its path relative to `src/` (with `/`) and its text.
fn source_files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src/");
            let name = relative.to_string_lossy().replace('\\', "/");
            files.push((
                name,
                std::fs::read_to_string(&path).expect("source is UTF-8"),
            ));
        }
    }
    files
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in source_files() {
        let first = name.split('/').next().expect("a file");
        let module = first.trim_end_matches(".rs").to_string();
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for used in crate_paths(code) {
                if used != module {
                    edges.entry(module.clone()).or_default().insert(used);
                }
            }
        }
    }
    edges
}

/// The top-level modules a line names through `crate::`, including `crate::{a, b::c}`.
fn crate_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &line[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(head(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.push(head(&item));
        } else {
            found.push(head(rest));
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

fn head(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn every_import_follows_the_pipeline() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut against = Vec::new();
    for (module, used) in edges() {
        if TOP.contains(&module.as_str()) {
            continue;
        }
        let Some(may_use) = allowed.get(module.as_str()) else {
            against.push(format!(
                "`{module}` is not in the layering: add it to ALLOWED"
            ));
            continue;
        };
        for target in used {
            if !may_use.contains(&target.as_str()) {
                against.push(format!("`{module}` uses `{target}`"));
            }
        }
    }
    assert!(
        against.is_empty(),
        "edges against the layering:\n{}",
        against.join("\n")
    );
}

#[test]
fn the_layering_has_no_cycle() {
    // Each module may only use modules listed before it, so the allow-list itself is acyclic.
    for (position, (module, may_use)) in ALLOWED.iter().enumerate() {
        for target in *may_use {
            let below = ALLOWED[..position].iter().any(|(name, _)| name == target);
            assert!(
                below,
                "`{module}` may use `{target}`, which is not below it"
            );
        }
    }
}

#[test]
fn grouped_imports_are_read() {
    assert_eq!(
        crate_paths("use crate::{span::Span, model::{Route, Policy}};"),
        ["span", "model"]
    );
    assert_eq!(
        crate_paths("x = crate::units::format_duration(d);"),
        ["units"]
    );
    assert!(crate_paths("use routeguard::crate_like::x;").is_empty());
}

/// Every hash map and set is keyed through `src/collections.rs`, so that fuzzing builds can fix
/// the keys: a map built with its own hasher would make runs differ by more than their input.
/// `custom/policy.rs` hands std maps to the `cel` crate, whose API takes them.
#[test]
fn hash_maps_come_from_collections() {
    const OWN_HASHER: &[&str] = &["collections.rs", "custom/policy.rs"];
    let mut against = Vec::new();
    for (name, text) in source_files() {
        if OWN_HASHER.contains(&name.as_str()) {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let own_hasher = ["foldhash::", "RandomState", "ahash::", "rustc_hash::"]
                .iter()
                .any(|name| line.contains(name));
            let std_map = line.contains("std::collections::")
                && (line.contains("HashMap") || line.contains("HashSet"));
            if own_hasher || std_map {
                against.push(format!("src/{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        against.is_empty(),
        "hash maps keyed outside src/collections.rs:\n{}",
        against.join("\n")
    );
}
