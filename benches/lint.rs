//! Parse + lint throughput on generated specs of growing size, YAML and JSON.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use routeguard::lint::{lint_in, LintOptions};

/// A spec with `paths` path items of three operations each, every one with a `$ref`'d
/// parameter and response, and some findings (every tenth operation lacks a summary).
fn generated_spec(paths: usize) -> String {
    let mut out =
        String::from("openapi: 3.1.0\ninfo:\n  title: Generated\n  version: 1.0.0\npaths:\n");
    for i in 0..paths {
        let _ = write!(out, "  /resources{i}/{{id}}:\n    parameters:\n      - $ref: \"#/components/parameters/Id\"\n");
        for (j, method) in ["get", "put", "delete"].iter().enumerate() {
            let _ = write!(out, "    {method}:\n      operationId: op{i}x{j}\n");
            if (i + j) % 10 != 0 {
                let _ = writeln!(out, "      summary: Operation {i} {j}");
            }
            let _ = write!(
                out,
                "      description: Does thing {j} to resource {i}.\n      responses:\n        \"200\":\n          description: OK.\n        default:\n          $ref: \"#/components/responses/Error\"\n"
            );
        }
    }
    out.push_str("components:\n  parameters:\n    Id:\n      name: id\n      in: path\n      required: true\n      schema:\n        type: string\n  responses:\n    Error:\n      description: Error.\n");
    out
}

fn write_project(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join(".git")).expect("create .git");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path
}

fn bench_lint(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    for paths in [100usize, 1_000, 10_000] {
        let yaml = generated_spec(paths);
        let name = format!("spec{paths}.yaml");
        write_project(&root, &name, &yaml);
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        let options = LintOptions {
            paths: vec![PathBuf::from(&name)],
            root: Some(root.clone()),
            ..LintOptions::default()
        };
        group.bench_with_input(
            BenchmarkId::new("yaml", paths * 3),
            &options,
            |b, options| {
                b.iter(|| lint_in(options, &root).expect("lints"));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_lint);
criterion_main!(benches);
