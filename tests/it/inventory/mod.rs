//! Helpers for the adapter tests: lint fixtures through the library and look into the joined
//! inventory (routes, their policies and the operations they reach).
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use routeguard::config::{presets::Preset, Config};
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::model::{Origin, Route, Sourced, Timeout};
use routeguard::span::Location;

use crate::common;

pub use common::{lint_isolated as lint, lint_recommended, repo};

/// The route shown as `label` (`GET /users/{id}`, `* /files/*`) defined in `file`.
pub fn route<'a>(outcome: &'a LintOutcome, file: &str, label: &str) -> &'a Route {
    routes_in(outcome, file)
        .into_iter()
        .find(|route| route.label() == label)
        .unwrap_or_else(|| {
            let labels = route_labels(outcome, file);
            panic!("no route `{label}` in {file}; routes: {labels:?}")
        })
}

/// The labels (`GET /users/{id}`) of every route defined in `file`, in order.
pub fn route_labels(outcome: &LintOutcome, file: &str) -> Vec<String> {
    routes_in(outcome, file)
        .iter()
        .map(|route| route.label())
        .collect()
}

/// Every route defined in `file`, in order.
pub fn routes_in<'a>(outcome: &'a LintOutcome, file: &str) -> Vec<&'a Route> {
    outcome
        .inventory
        .routes
        .iter()
        .filter(|route| outcome.workspace.file(route.location.file).display == file)
        .collect()
}

/// The operations (`GET /users/{id}`) a route reaches, with how it was matched.
pub fn operations_of(outcome: &LintOutcome, route: &Route) -> Vec<(String, &'static str)> {
    let index = outcome
        .inventory
        .routes
        .iter()
        .position(|candidate| std::ptr::eq(candidate, route))
        .expect("the route belongs to the inventory");
    outcome
        .join
        .operations_of(index)
        .map(|link| {
            (
                outcome.inventory.operations[link.operation].route(),
                link.kind.name(),
            )
        })
        .collect()
}

/// `file:line:column` of a location.
pub fn at(outcome: &LintOutcome, location: Location) -> String {
    let position = outcome.workspace.position(location);
    format!(
        "{}:{}:{}",
        outcome.workspace.file(location.file).display,
        position.line,
        position.column
    )
}

/// Where the value came from: `file:line:column` when written, `default: note` when not.
pub fn origin<T>(outcome: &LintOutcome, sourced: &Sourced<T>) -> String {
    match &sourced.origin {
        Origin::Explicit(location) => at(outcome, *location),
        Origin::Default(note) => format!("default: {note}"),
    }
}

pub fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).expect("fits")
}

/// The route's total timeout in milliseconds (`None`: no total, or unbounded).
pub fn timeout_ms(route: &Route) -> Option<u64> {
    route
        .policy
        .timeout
        .as_ref()
        .and_then(|timeout| match timeout.value {
            Timeout::Bounded(duration) => Some(ms(duration)),
            Timeout::Unbounded => None,
        })
}

/// `(rule, file:line:column)` of every finding of `rule` in `file`.
pub fn findings(outcome: &LintOutcome, rule: &str, file: &str) -> Vec<String> {
    outcome
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule == rule)
        .map(|diagnostic| at(outcome, diagnostic.location))
        .filter(|place| place.starts_with(&format!("{file}:")))
        .collect()
}

/// The message of the finding of `rule` at `place` (`file:line:column`).
pub fn message_at(outcome: &LintOutcome, rule: &str, place: &str) -> String {
    outcome
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.rule == rule && at(outcome, diagnostic.location) == place)
        .map(|diagnostic| diagnostic.message.clone())
        .unwrap_or_else(|| panic!("no {rule} at {place}"))
}

/// Every fixture file (relative, `/`-separated) in which the adapter named `adapter` recognises
/// a document.
pub fn fixtures_detected_by(adapter: &str) -> Vec<String> {
    let adapter = routeguard::formats::ADAPTERS
        .iter()
        .find(|candidate| candidate.name == adapter)
        .unwrap_or_else(|| panic!("no adapter named {adapter}"));
    let mut found = Vec::new();
    let mut pending = vec![repo().join("fixtures")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture folders are readable") {
            let path = entry.expect("fixture entries are readable").path();
            if crate::common::is_corpus(&path) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let syntax = match path.extension().and_then(|ext| ext.to_str()) {
                Some("json") => routeguard::source::Syntax::Json,
                Some("yaml" | "yml") => routeguard::source::Syntax::Yaml,
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
            let Ok(loaded) = routeguard::source::parse_text(&text, syntax) else {
                continue;
            };
            if loaded
                .documents
                .iter()
                .any(|document| (adapter.detect)(document))
            {
                let relative = path.strip_prefix(repo()).expect("under the repository");
                found.push(routeguard::source::slash_path(relative));
            }
        }
    }
    found.sort();
    found
}

/// Lints `fixture` once for every scalar value it holds, with that value replaced by each of a
/// list, a map, null, a negative number, a fraction and a word: the adapters must report what
/// they cannot read and never panic. Returns how many variants were linted.
pub fn lint_value_mutations(fixture: &str) -> usize {
    let pattern =
        regex::Regex::new(r##"^(\s*(?:-\s+)?"?[^\s"#:]+"?\s*:\s*)([^\s\[{#][^#]*?)(,?)\s*$"##)
            .expect("a valid pattern");
    let json = fixture.ends_with(".json");
    let replacements: &[&str] = if json {
        &["[]", "{}", "null", "-1", "1.5", "\"word\""]
    } else {
        &["[]", "{}", "~", "-1", "1.5", "word"]
    };
    let text = std::fs::read_to_string(repo().join(fixture)).expect("the fixture exists");
    let name = std::path::Path::new(fixture)
        .file_name()
        .expect("a file name")
        .to_owned();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let lines: Vec<&str> = text.lines().collect();
    let mut variants = 0;
    for (index, line) in lines.iter().enumerate() {
        let Some(captures) = pattern.captures(line) else {
            continue;
        };
        for replacement in replacements {
            let mut mutated = lines.clone();
            let changed = format!("{}{}{}", &captures[1], replacement, &captures[3]);
            mutated[index] = &changed;
            std::fs::write(dir.path().join(&name), mutated.join("\n")).expect("writable");
            let options = LintOptions {
                paths: vec![PathBuf::from(&name)],
                root: Some(dir.path().to_path_buf()),
                config: Config::with_preset(Preset::Off),
                ..LintOptions::default()
            };
            lint_in(&options, dir.path()).expect("the variant can be linted");
            variants += 1;
        }
    }
    variants
}
