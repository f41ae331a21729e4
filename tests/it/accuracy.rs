//! Accuracy on real configurations (`docs/accuracy.md`): routeguard's findings on the corpus of
//! `fixtures/real/` must be exactly the reviewed ones of `fixtures/real/findings.yaml`, and the
//! per-format precision that review gives is what the docs print.
//!
//! Each entry directly under `fixtures/real/<format>/` is one unit, linted alone with the
//! recommended preset: a file, or a folder holding one project's files that are applied together.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use routeguard::config::{presets::Preset, Config};
use routeguard::formats;
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::source::{parse_text, Node, Syntax};

use crate::common::repo;

pub const CORPUS: &str = "fixtures/real";
const FINDINGS: &str = "fixtures/real/findings.yaml";
pub const ACCURACY_DOC: &str = "docs/accuracy.md";

/// Every format of the corpus, in the order the docs list them.
pub const FORMATS: &[&str] = &[
    "openapi",
    "kong",
    "envoy",
    "istio",
    "gateway-api",
    "aws",
    "krakend",
    "apisix",
    "traefik",
    "litellm",
    "portkey",
    "google",
    "spring-cloud-gateway",
    "tyk",
    "envoy-gateway",
    "linkerd",
    "kuma",
    "ingress-nginx",
];

/// A finding reduced to where it is: rule, file, line, column.
pub type Place = (String, String, u32, u32);

pub struct Reviewed {
    pub verdict: String,
}

pub struct Review {
    /// Every corpus file and its format.
    pub files: BTreeMap<String, String>,
    pub findings: BTreeMap<Place, Reviewed>,
}

/// The units of the corpus: `fixtures/real/<format>/<entry>`, files with a configuration
/// extension and folders, in sorted order.
pub fn units() -> Vec<String> {
    let mut units = Vec::new();
    for format in sorted_entries(&repo().join(CORPUS)) {
        if !format.is_dir() {
            continue;
        }
        for entry in sorted_entries(&format) {
            if entry.is_dir() || is_config(&entry) {
                units.push(relative(&entry));
            }
        }
    }
    units
}

pub fn is_config(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|ext| ext.to_str()),
        Some("yaml" | "yml" | "json" | "toml")
    )
}

pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{} is readable: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo())
        .expect("inside the repository")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Lints `paths` under `cwd` (also the project root) with the recommended preset.
pub fn lint_unit(cwd: &Path, paths: &[String]) -> LintOutcome {
    let options = LintOptions {
        paths: paths.iter().map(PathBuf::from).collect(),
        root: Some(cwd.to_path_buf()),
        config: Config::with_preset(Preset::Recommended),
        ..LintOptions::default()
    };
    lint_in(&options, cwd).expect("the corpus can be linted")
}

/// Every finding of a run, located.
pub fn places(outcome: &LintOutcome) -> Vec<(Place, String)> {
    outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let file = &outcome.workspace.file(diagnostic.location.file).display;
            let position = outcome.workspace.position(diagnostic.location);
            (
                (
                    diagnostic.rule.to_string(),
                    file.clone(),
                    position.line,
                    position.column,
                ),
                diagnostic.message.clone(),
            )
        })
        .collect()
}

fn scalar<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key)
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| panic!("{FINDINGS}: an entry lacks `{key}`"))
}

fn number(node: &Node, key: &str) -> u32 {
    scalar(node, key)
        .parse()
        .unwrap_or_else(|_| panic!("{FINDINGS}: `{key}` is a number"))
}

pub fn review() -> Review {
    let text = std::fs::read_to_string(repo().join(FINDINGS)).expect("findings.yaml is readable");
    let loaded = parse_text(&text, Syntax::Yaml).expect("findings.yaml is YAML");
    let document = loaded.documents.first().expect("one document");
    let files = document
        .get("files")
        .expect("findings.yaml lists the corpus files")
        .entries()
        .iter()
        .map(|entry| {
            let path = entry.key.scalar_text().unwrap_or_default().to_string();
            let format = entry.value.scalar_text().unwrap_or_default().to_string();
            (path, format)
        })
        .collect();
    let mut findings = BTreeMap::new();
    for item in document
        .get("findings")
        .map(Node::items)
        .unwrap_or_default()
    {
        let place = (
            scalar(item, "rule").to_string(),
            scalar(item, "file").to_string(),
            number(item, "line"),
            number(item, "column"),
        );
        let verdict = scalar(item, "verdict").to_string();
        assert!(
            matches!(verdict.as_str(), "true" | "false" | "debatable"),
            "{FINDINGS}: {place:?} has verdict `{verdict}`, not true, false or debatable"
        );
        assert!(
            !scalar(item, "evidence").trim().is_empty(),
            "{FINDINGS}: {place:?} has no evidence"
        );
        let previous = findings.insert(place.clone(), Reviewed { verdict });
        assert!(previous.is_none(), "{FINDINGS}: {place:?} is listed twice");
    }
    Review { files, findings }
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` of the accuracy doc
/// with `block` when `ROUTEGUARD_BLESS` is set; otherwise fails when they differ.
pub fn check_doc_block(name: &str, block: &str) {
    let path = repo().join(ACCURACY_DOC);
    let doc = std::fs::read_to_string(&path).expect("docs/accuracy.md is readable");
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = doc.find(&begin).expect("the doc has the begin marker") + begin.len();
    let stop = doc.find(&end).expect("the doc has the end marker");
    if doc[start..stop] == *block {
        return;
    }
    if std::env::var_os("ROUTEGUARD_BLESS").is_some() {
        let updated = format!("{}{block}{}", &doc[..start], &doc[stop..]);
        std::fs::write(&path, updated).expect("docs/accuracy.md is writable");
        return;
    }
    panic!(
        "{ACCURACY_DOC} is out of date in its `{name}` block; it should read:\n\n{block}\n\
         (run with ROUTEGUARD_BLESS=1 to write it)"
    );
}

pub fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".to_string()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

#[test]
fn corpus_files_are_listed_with_their_format_and_source() {
    let review = review();
    let third_party =
        std::fs::read_to_string(repo().join("fixtures/THIRD_PARTY.md")).expect("readable");
    let mut on_disk = BTreeSet::new();
    for unit in units() {
        let path = repo().join(&unit);
        if path.is_dir() {
            for file in sorted_entries(&path) {
                if is_config(&file) {
                    on_disk.insert(relative(&file));
                }
            }
        } else {
            on_disk.insert(unit);
        }
    }
    let listed: BTreeSet<String> = review.files.keys().cloned().collect();
    assert_eq!(
        on_disk, listed,
        "the `files` of {FINDINGS} are the corpus files"
    );
    for (file, format) in &review.files {
        assert!(
            FORMATS.contains(&format.as_str()),
            "{file}: unknown format {format}"
        );
        assert!(
            third_party.contains(&format!("`{file}`")),
            "{file} is not listed in fixtures/THIRD_PARTY.md"
        );
    }
    assert!(review.files.len() >= 80, "the corpus has at least 80 files");
}

#[test]
fn each_corpus_file_is_detected_as_its_format() {
    for (file, format) in review().files {
        let text = std::fs::read_to_string(repo().join(&file)).expect("readable");
        let syntax = if file.ends_with(".json") {
            Syntax::Json
        } else if file.ends_with(".toml") {
            Syntax::Toml
        } else {
            Syntax::Yaml
        };
        // A file that does not parse is reported as such (and reviewed in findings.yaml).
        let Ok(loaded) = parse_text(&text, syntax) else {
            continue;
        };
        let found: BTreeSet<String> = loaded
            .documents
            .iter()
            .flat_map(formats::detect)
            .map(|adapter| adapter.name.replace('_', "-"))
            .collect();
        assert!(
            found.contains(&format),
            "{file}: detected as {found:?}, listed as {format}"
        );
        // An API description with AWS integrations is both a spec and the gateway's config; an
        // Envoy Gateway or Linkerd project holds the Gateway API HTTPRoutes its policies reach.
        let mut allowed: BTreeSet<String> = [format.clone(), "openapi".to_string()].into();
        if matches!(format.as_str(), "envoy-gateway" | "linkerd") {
            allowed.insert("gateway-api".to_string());
        }
        assert!(found.is_subset(&allowed), "{file}: detected as {found:?}");
    }
}

#[test]
fn findings_on_the_corpus_are_the_reviewed_ones() {
    let review = review();
    let mut actual = BTreeMap::new();
    for unit in units() {
        let outcome = lint_unit(&repo(), std::slice::from_ref(&unit));
        actual.extend(places(&outcome));
    }
    let mut report = String::new();
    for (place, message) in &actual {
        if !review.findings.contains_key(place) {
            let (rule, file, line, column) = place;
            let _ = writeln!(
                report,
                "  new, not reviewed: {rule} at {file}:{line}:{column}: {message}"
            );
        }
    }
    for (place, reviewed) in &review.findings {
        if !actual.contains_key(place) {
            let (rule, file, line, column) = place;
            let _ = writeln!(
                report,
                "  no longer reported ({}): {rule} at {file}:{line}:{column}",
                reviewed.verdict
            );
        }
    }
    assert!(
        report.is_empty(),
        "routeguard's findings on {CORPUS} differ from {FINDINGS}; review each and update the file:\n{report}"
    );
    check_doc_block("corpus", &corpus_table(&review));
}

/// Per format: files, findings, verdicts and precision (true / (true + false)).
fn corpus_table(review: &Review) -> String {
    #[derive(Default)]
    struct Row {
        files: usize,
        findings: usize,
        true_: usize,
        false_: usize,
        debatable: usize,
    }
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for format in review.files.values() {
        rows.entry(format.as_str()).or_default().files += 1;
    }
    for ((_, file, _, _), reviewed) in &review.findings {
        let format = review.files.get(file).map_or("?", String::as_str);
        let row = rows.entry(format).or_default();
        row.findings += 1;
        match reviewed.verdict.as_str() {
            "true" => row.true_ += 1,
            "false" => row.false_ += 1,
            _ => row.debatable += 1,
        }
    }
    let mut table = String::from(
        "| format | files | findings | true | false | debatable | precision |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut total = Row::default();
    for format in FORMATS {
        let Some(row) = rows.get(format) else {
            continue;
        };
        let _ = writeln!(
            table,
            "| {format} | {} | {} | {} | {} | {} | {} |",
            row.files,
            row.findings,
            row.true_,
            row.false_,
            row.debatable,
            percent(row.true_, row.true_ + row.false_)
        );
        total.files += row.files;
        total.findings += row.findings;
        total.true_ += row.true_;
        total.false_ += row.false_;
        total.debatable += row.debatable;
    }
    let _ = writeln!(
        table,
        "| **all** | {} | {} | {} | {} | {} | **{}** |",
        total.files,
        total.findings,
        total.true_,
        total.false_,
        total.debatable,
        percent(total.true_, total.true_ + total.false_)
    );
    table
}
