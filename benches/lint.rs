//! Parse + lint throughput on generated specs of growing size, YAML and JSON.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use routeguard::lint::{lint_in, LintOptions};

mod common;
use common::generated_spec;

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
