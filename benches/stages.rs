//! Each stage of a run on its own, at growing sizes: loading (YAML beside saphyr-parser's event
//! stream alone, and JSON beside jiter validating it: the floors the tree builders are measured
//! against), the model (adapting),
//! the join and rules, and rendering findings as text, JSON and SARIF.
//!
//! In test mode (`cargo test --benches`, unoptimised) only the smallest size runs.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use routeguard::config::Config;
use routeguard::formats::{self, AdaptContext};
use routeguard::lint::{lint_in, LintOptions};
use routeguard::model::{join, Inventory};
use routeguard::report::{self, Kind, Settings};
use routeguard::rules::{self, RuleInputs};
use routeguard::source::{self, refs, FileRequest, Node, NodeKind, ScalarKind, Syntax, Workspace};

mod common;
use common::{generated_spec, sizes};

/// Findings rendered per report.
fn finding_counts() -> &'static [usize] {
    if cfg!(debug_assertions) {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    }
}

/// The same document as JSON text.
fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|entry| {
                    let key = entry.key.scalar_text().unwrap_or_default().to_string();
                    (key, to_json(&entry.value))
                })
                .collect(),
        ),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Scalar(scalar) => match scalar.kind {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(value) => Value::Bool(value),
            ScalarKind::Int | ScalarKind::Float => scalar
                .text
                .parse::<serde_json::Number>()
                .map_or_else(|_| Value::String(scalar.text.to_string()), Value::Number),
            ScalarKind::Str => Value::String(scalar.text.to_string()),
        },
    }
}

/// A YAML file given in `ROUTEGUARD_BENCH_YAML` (GitHub's REST description as YAML, for the
/// floor comparison in docs/performance.md) joins the generated ones.
fn yaml_inputs() -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = sizes()
        .iter()
        .map(|&paths| (format!("{}ops", paths * 3), generated_spec(paths)))
        .collect();
    if let Some(path) = std::env::var_os("ROUTEGUARD_BENCH_YAML") {
        let text = std::fs::read_to_string(&path).expect("ROUTEGUARD_BENCH_YAML is readable");
        inputs.push(("file".to_string(), text));
    }
    inputs
}

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for (name, yaml) in yaml_inputs() {
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        group.bench_with_input(BenchmarkId::new("yaml-events", &name), &yaml, |b, yaml| {
            b.iter(|| {
                let mut events = 0usize;
                for event in saphyr_parser::Parser::new_from_str(yaml) {
                    event.expect("valid YAML");
                    events += 1;
                }
                events
            });
        });
        group.bench_with_input(BenchmarkId::new("yaml-tree", &name), &yaml, |b, yaml| {
            b.iter(|| source::parse_text(yaml, Syntax::Yaml).expect("valid YAML"));
        });
        let document = source::parse_text(&yaml, Syntax::Yaml).expect("valid YAML");
        let json = serde_json::to_string(&to_json(&document.documents[0])).expect("JSON");
        group.throughput(Throughput::Bytes(json.len() as u64));
        // The JSON floor: jiter validating the document without building anything.
        group.bench_with_input(BenchmarkId::new("json-events", &name), &json, |b, json| {
            b.iter(|| {
                let mut jiter = jiter::Jiter::new(json.as_bytes());
                jiter.next_skip().expect("valid JSON");
                jiter.finish().expect("one document")
            });
        });
        group.bench_with_input(BenchmarkId::new("json-tree", &name), &json, |b, json| {
            b.iter(|| source::parse_text(json, Syntax::Json).expect("valid JSON"));
        });
    }
    group.finish();
}

/// A workspace holding one generated spec, read and resolved.
struct Loaded {
    workspace: Workspace,
    refs: refs::RefIndex,
    _dir: tempfile::TempDir,
}

fn loaded(paths: usize) -> Loaded {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let path = root.join("spec.yaml");
    std::fs::write(&path, generated_spec(paths)).expect("write spec");
    let mut workspace = Workspace::new(root.clone(), root);
    let mut diagnostics = Vec::new();
    workspace.load_all_with(
        vec![FileRequest {
            path,
            display: "spec.yaml".to_string(),
            explicit: true,
            refusal: None,
            contents: None,
        }],
        &mut diagnostics,
        &|| {},
    );
    let files: Vec<_> = workspace.files().iter().map(|file| file.id).collect();
    let refs = refs::resolve_all(&mut workspace, &files, &mut diagnostics);
    Loaded {
        workspace,
        refs,
        _dir: dir,
    }
}

fn adapt(loaded: &Loaded) -> Inventory {
    let mut inventory = Inventory::default();
    let mut diagnostics = Vec::new();
    let mut budget = formats::budget::ModelBudget::default();
    let objects = formats::kube::Objects::of(&loaded.workspace);
    let mut cx = AdaptContext {
        workspace: &loaded.workspace,
        refs: &loaded.refs,
        kube: &objects,
        inventory: &mut inventory,
        diagnostics: &mut diagnostics,
        budget: &mut budget,
    };
    for file in loaded.workspace.files() {
        for document in &file.documents {
            for adapter in formats::detect(document) {
                (adapter.adapt)(&mut cx, file.id, document);
            }
        }
    }
    inventory
}

fn bench_model_and_rules(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("model");
    group.sample_size(10);
    for &paths in sizes() {
        let loaded = loaded(paths);
        group.bench_with_input(
            BenchmarkId::new("adapt", paths * 3),
            &loaded,
            |b, loaded| b.iter(|| adapt(loaded)),
        );
        let inventory = adapt(&loaded);
        let layers = config.layer_order(&loaded.workspace);
        group.bench_with_input(
            BenchmarkId::new("join", paths * 3),
            &inventory,
            |b, inventory| b.iter(|| join::join(inventory, layers.clone())),
        );
        let joined = join::join(&inventory, layers.clone());
        group.bench_with_input(
            BenchmarkId::new("rules", paths * 3),
            &inventory,
            |b, inventory| {
                b.iter(|| {
                    rules::run(&RuleInputs {
                        inventory,
                        workspace: &loaded.workspace,
                        join: &joined,
                        config: &config,
                    })
                })
            },
        );
    }
    group.finish();
}

fn bench_render(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    std::fs::create_dir_all(root.join(".git")).expect("create .git");
    std::fs::write(root.join("spec.yaml"), generated_spec(1_000)).expect("write spec");
    let options = LintOptions {
        paths: vec![PathBuf::from("spec.yaml")],
        root: Some(root.clone()),
        ..LintOptions::default()
    };
    let mut outcome = lint_in(&options, &root).expect("lints");
    let findings = std::mem::take(&mut outcome.diagnostics);
    assert!(!findings.is_empty(), "the generated spec has findings");
    let settings = Settings {
        width: 100,
        ..Settings::default()
    };
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for &count in finding_counts() {
        outcome.diagnostics = findings.iter().cycle().take(count).cloned().collect();
        for name in ["text", "json", "sarif"] {
            let format = report::format(Kind::Findings, name).expect("a findings format");
            let report = (format.build)(&settings);
            group.bench_with_input(BenchmarkId::new(name, count), &outcome, |b, outcome| {
                b.iter(|| report.emit(outcome, &mut std::io::sink()).expect("renders"));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_load, bench_model_and_rules, bench_render);
criterion_main!(benches);
