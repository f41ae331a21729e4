//! The route join at growing sizes: n operations and n routes (exact templates, prefixes and
//! regular expressions), all under one shared base path so the first segment alone cannot split
//! them. Near-linear growth is the point.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use routeguard::model::join::join;
use routeguard::model::{
    GatewayFormat, Inventory, LayerOrder, Method, MethodSet, Operation, PathKind, PathMatch,
    Policy, Route, SpecDocument, SpecVersion,
};
use routeguard::span::Location;
use routeguard::span::{FileId, Span};

fn location(start: u32) -> Location {
    Location {
        file: FileId(0),
        span: Span::new(start, start + 1),
    }
}

fn inventory(n: usize) -> Inventory {
    let mut inventory = Inventory::default();
    inventory.specs.push(SpecDocument {
        file: FileId(0),
        version: SpecVersion::OpenApi31,
        version_location: location(0),
        base_paths: vec!["/api/v1".to_string()],
        api: Default::default(),
    });
    for i in 0..n {
        let start = u32::try_from(i).unwrap_or(u32::MAX);
        inventory.operations.push(Operation {
            spec: SpecVersion::OpenApi31,
            document: 0,
            method: Method::Get,
            any_method: false,
            path: format!("/service{}/items{}/{{id}}", i / 10, i),
            location: location(start),
            path_location: location(start),
            operation_id: None,
            summary: None,
            description: None,
            tags: Vec::new(),
            parameters: Vec::new(),
            responses: None,
            extensions: Vec::new(),
            deprecated: false,
            resilience: Default::default(),
        });
        let (kind, pattern) = match i % 3 {
            0 => (
                PathKind::Template,
                format!("/api/v1/service{}/items{}/:id", i / 10, i),
            ),
            1 => (
                PathKind::Prefix,
                format!("/api/v1/service{}/items{}", i / 10, i),
            ),
            _ => (
                PathKind::Regex { full: true },
                format!("/api/v1/service{}/items{}/[0-9]+", i / 10, i),
            ),
        };
        inventory.routes.push(Route {
            format: GatewayFormat::Kong,
            name: None,
            location: location(start),
            methods: MethodSet::Only(vec![Method::Get]),
            methods_location: None,
            path: PathMatch {
                kind,
                pattern,
                location: location(start),
                rewrite: None,
            },
            hosts: Vec::new(),
            policy: Policy::default(),
            explicit_operation: None,
        });
    }
    inventory
}

fn bench_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("join");
    group.sample_size(10);
    // In test mode (`cargo test --benches`, unoptimised) only the smallest size runs.
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in sizes {
        let inventory = inventory(n);
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &inventory,
            |b, inventory| {
                b.iter(|| {
                    let joined = join(inventory, LayerOrder::default());
                    assert_eq!(joined.links.len(), n);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_join);
criterion_main!(benches);
