//! Resilience rules across layers and on real configurations: the arithmetic in the messages,
//! the locations, and silence on a well-configured project.

use crate::common;

use common::{at, lint_json, located, repo};

fn messages_of(report: &serde_json::Value, rule: &str) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The first finding of `rule` in a JSON report.
fn first_finding<'r>(report: &'r serde_json::Value, rule: &str) -> &'r serde_json::Value {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding"))
}

/// The message of the first finding of `rule` in a JSON report.
fn first_message<'r>(report: &'r serde_json::Value, rule: &str) -> &'r str {
    first_finding(report, rule)["message"]
        .as_str()
        .unwrap_or_default()
}

fn located_rules(report: &serde_json::Value, rules: &[&str]) -> Vec<common::Located> {
    located(report)
        .into_iter()
        .filter(|(rule, ..)| rules.contains(&rule.as_str()))
        .collect()
}

#[test]
fn edge_and_mesh_layers_multiply_retries_invert_timeouts_and_break_the_sla() {
    let (code, report) = lint_json(&repo(), &["fixtures/multi-layer"]);
    assert_eq!(code, 1);
    assert_eq!(
        located_rules(
            &report,
            &[
                "retry-amplification",
                "timeout-layer-inversion",
                "timeout-exceeds-sla"
            ]
        ),
        vec![
            at(
                "timeout-layer-inversion",
                "fixtures/multi-layer/istio.yaml",
                15,
                16
            ),
            at(
                "timeout-exceeds-sla",
                "fixtures/multi-layer/kong.yaml",
                5,
                19
            ),
            at(
                "retry-amplification",
                "fixtures/multi-layer/kong.yaml",
                6,
                14
            ),
        ]
    );
    assert_eq!(
        messages_of(&report, "retry-amplification"),
        vec![
            "3 × 4 = 12 upstream calls per request: Kong route `reports` (GET ~/reports/[^/]+$) in \
             fixtures/multi-layer/kong.yaml (1 + 2 retries) × Istio route `reports` (1 + 3 retries), \
             above the 10 allowed (`max-product`)"
        ]
    );
    assert_eq!(
        messages_of(&report, "timeout-exceeds-sla"),
        vec![
            "`GET /reports/{id}` promises clients at most 10s, but through its gateways a request \
             can take up to 24s: Kong route `reports`: 3 attempts × 8s = 24s; Istio route `reports`: \
             the 12s timeout"
        ]
    );
    assert_eq!(
        messages_of(&report, "timeout-layer-inversion"),
        vec![
            "Istio route `reports` waits up to 12s, but Kong route `reports` in front of it gives up \
             after 8s: the outer layer answers the client while this one keeps working"
        ]
    );
    let severities: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "retry-amplification" || d["rule"] == "timeout-exceeds-sla")
        .map(|d| d["severity"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(severities, vec!["error", "error"]);
    // The SLA finding points back at the promise it breaks.
    let sla = first_finding(&report, "timeout-exceeds-sla");
    assert_eq!(
        sla["related"][0]["file"],
        "fixtures/multi-layer/openapi.yaml"
    );
    assert_eq!(sla["related"][0]["line"], 14);
    // The retry budget arithmetic includes Envoy's default backoff that Istio uses, at the top of
    // each jittered range: 24ms + 74ms + 174ms.
    assert_eq!(
        messages_of(&report, "retry-budget-exceeds-timeout"),
        vec![
            "Istio route `reports` (* /reports/*) in fixtures/multi-layer/istio.yaml: 4 attempts × \
             3s + 272ms backoff = 12.272s exceeds the 12s timeout, so only 2 of its 3 retries can run \
             to their full per-try timeout"
        ]
    );
}

#[test]
fn recommended_preset_is_silent_on_a_well_configured_project() {
    let (code, report) = lint_json(&repo(), &["fixtures/well-configured"]);
    assert_eq!(located(&report), vec![]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["operations"], 2);
    // Every route reaches its operations through both layers, so the rules had work to do.
    let routes = common::run(
        &repo(),
        &["routes", "--format", "json", "fixtures/well-configured"],
    );
    let routes: serde_json::Value = serde_json::from_str(&routes.stdout).expect("json");
    let reached: Vec<usize> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| route["operations"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(reached, vec![2, 2]);
}

#[test]
fn real_public_configurations_give_real_findings() {
    // istio/istio bookinfo: a VirtualService without a timeout (Istio's default is none).
    let (_, report) = lint_json(
        &repo(),
        &["fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml"],
    );
    assert_eq!(
        located_rules(&report, &["timeout-missing"]),
        vec![at(
            "timeout-missing",
            "fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml",
            9,
            5
        )]
    );
    let missing = first_finding(&report, "timeout-missing");
    assert_eq!(missing["severity"], "error");
    // envoyproxy/examples locality-load-balancing: health check timeout 3s, interval 2s, which
    // Envoy runs one probe after another (no health-check-timing finding).
    let (_, report) = lint_json(
        &repo(),
        &["fixtures/envoy/examples/locality-load-balancing.yaml"],
    );
    assert_eq!(
        located_rules(&report, &["health-check-timing", "timeout-missing"]),
        vec![at(
            "timeout-missing",
            "fixtures/envoy/examples/locality-load-balancing.yaml",
            27,
            17
        )]
    );
    assert_eq!(
        messages_of(&report, "timeout-missing"),
        vec![
            "Envoy route (* /*) in fixtures/envoy/examples/locality-load-balancing.yaml is only \
             bounded by Envoy's default route timeout of 15s in Envoy 1.36: no timeout is set for it"
        ]
    );
}

#[test]
fn demo_shows_resilience_findings_across_layers() {
    let (_, report) = lint_json(&repo(), &["fixtures/demo"]);
    assert_eq!(
        located_rules(
            &report,
            &[
                "retry-non-idempotent",
                "retry-amplification",
                "timeout-layer-inversion"
            ]
        ),
        vec![
            at(
                "retry-non-idempotent",
                "fixtures/demo/gateway/istio.yaml",
                18,
                19
            ),
            at(
                "timeout-layer-inversion",
                "fixtures/demo/gateway/istio.yaml",
                36,
                16
            ),
            at(
                "retry-non-idempotent",
                "fixtures/demo/gateway/istio.yaml",
                38,
                19
            ),
            at(
                "retry-amplification",
                "fixtures/demo/gateway/kong.yaml",
                8,
                14
            ),
            at(
                "retry-amplification",
                "fixtures/demo/gateway/kong.yaml",
                25,
                14
            ),
            at(
                "retry-amplification",
                "fixtures/demo/gateway/litellm.yaml",
                22,
                7
            ),
        ]
    );
}

#[test]
fn extreme_values_never_overflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    std::fs::write(
        dir.path().join("istio.yaml"),
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: huge
spec:
  hosts: [huge]
  http:
    - name: huge
      route:
        - destination:
            host: huge
      timeout: 2562047h
      retries:
        attempts: 4294967295
        perTryTimeout: 2562047h
        retryOn: 5xx
",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("kong.yaml"),
        "_format_version: \"3.0\"
services:
  - name: huge
    url: http://huge.internal
    read_timeout: 18446744073709551615
    retries: 4294967295
    routes:
      - name: huge
        paths: [/]
",
    )
    .expect("write");
    for args in [
        vec!["lint", "--format", "json", "."],
        vec!["routes", "--format", "json", "."],
        vec!["lint", "--format", "sarif", "."],
    ] {
        let result = common::run(dir.path(), &args);
        assert!(
            result.code == 0 || result.code == 1,
            "{args:?} exited {}: {}",
            result.code,
            result.stderr
        );
    }
}

#[test]
fn traefik_failover_to_nothing_or_to_itself_is_an_invalid_fallback() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let config = |fallback: &str| {
        format!(
            "http:
  routers:
    api:
      rule: PathPrefix(`/api`)
      service: api-failover
  services:
    api-failover:
      failover:
        service: main
        fallback: {fallback}
    main:
      loadBalancer:
        healthCheck:
          path: /health
        servers:
          - url: http://10.0.0.1
    backup:
      loadBalancer:
        servers:
          - url: http://10.0.0.2
"
        )
    };
    for (fallback, expected) in [
        ("nowhere", Some("`nowhere`, which is not defined")),
        ("main", Some("`main`, its own main service")),
        ("backup", None),
    ] {
        std::fs::write(dir.path().join("traefik.yaml"), config(fallback)).expect("write");
        let (_, report) = lint_json(dir.path(), &["traefik.yaml"]);
        let found: Vec<_> = report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "fallback-invalid")
            .map(|d| {
                (
                    d["line"].as_u64(),
                    d["column"].as_u64(),
                    d["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        match expected {
            Some(fragment) => {
                assert_eq!(found.len(), 1, "{fallback}: {found:?}");
                assert_eq!((found[0].0, found[0].1), (Some(10), Some(19)));
                assert!(found[0].2.contains(fragment), "{}", found[0].2);
            }
            None => assert!(found.is_empty(), "{fallback}: {found:?}"),
        }
    }
}

#[test]
fn routes_that_answer_by_themselves_need_no_timeout() {
    // Envoy `direct_response` (line 100) and `redirect` (line 105), a Gateway API
    // `RequestRedirect` (line 91): the gateway answers, nothing is waited on.
    for (file, answering) in [
        ("fixtures/envoy/bootstrap.yaml", vec![100, 105]),
        ("fixtures/gateway-api/routes.yaml", vec![91]),
    ] {
        let (_, report) = lint_json(&repo(), &[file]);
        let flagged: Vec<u64> = report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "timeout-missing")
            .filter_map(|d| d["line"].as_u64())
            .collect();
        assert!(
            !flagged.is_empty(),
            "{file}: the proxied routes still need timeouts"
        );
        for line in answering {
            assert!(!flagged.contains(&line), "{file}:{line} answers by itself");
        }
    }
}

#[test]
fn envoy_thresholds_of_a_billion_are_a_disabled_breaker() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    // As in Envoy's FAQ "How do I disable circuit breaking?".
    std::fs::write(
        dir.path().join("envoy.yaml"),
        "static_resources:
  listeners:
    - name: ingress
      address:
        socket_address: { address: 0.0.0.0, port_value: 8080 }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress
                route_config:
                  virtual_hosts:
                    - name: backend
                      domains: [\"*\"]
                      routes:
                        - match: { prefix: /api }
                          route: { cluster: backend, timeout: 5s }
  clusters:
    - name: backend
      connect_timeout: 1s
      circuit_breakers:
        thresholds:
          - priority: DEFAULT
            max_connections: 1000000000
            max_pending_requests: 1000000000
            max_requests: 1000000000
            max_retries: 1000000000
",
    )
    .expect("write");
    let (_, report) = lint_json(dir.path(), &["envoy.yaml"]);
    let ineffective: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "circuit-breaker-ineffective")
        .collect();
    assert_eq!(
        ineffective,
        vec![at("circuit-breaker-ineffective", "envoy.yaml", 22, 7)]
    );
}

#[test]
fn istio_retries_posts_only_on_the_statuses_its_retry_on_lists() {
    // Istio's default policy (no `retries`, or `retries` without `retryOn`) retries on
    // connect-failure, refused-stream and gRPC statuses only; a status in `retryOn` is retried
    // after the request reached the service; an operation with an `Idempotency-Key` is safe.
    let (_, report) = lint_json(&repo(), &["fixtures/istio/retry-conditions"]);
    let file = "fixtures/istio/retry-conditions/virtual-service.yaml";
    assert_eq!(
        located_rules(&report, &["retry-non-idempotent"]),
        vec![at("retry-non-idempotent", file, 36, 19)]
    );
    let message = first_message(&report, "retry-non-idempotent");
    assert!(
        message.contains("retries `POST /refunds` on 503, which fires after the request"),
        "{message}"
    );
}

#[test]
fn one_unbounded_route_in_front_of_several_promises_is_one_sla_finding() {
    // istio/istio bookinfo: the ingress route `prefix: /api/v1/products` has no timeout, and the
    // spec (with a 3s `x-resilience` contract appended) has four operations behind it.
    let (_, report) = lint_json(&repo(), &["fixtures/istio/bookinfo-sla"]);
    let sla: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "timeout-exceeds-sla")
        .collect();
    assert_eq!(sla.len(), 1, "{sla:?}");
    assert_eq!(
        sla[0]["message"],
        "`GET /products`, `GET /products/{id}`, `GET /products/{id}/reviews` and \
         `GET /products/{id}/ratings` promise clients at most 3s, but through their gateways a \
         request can take forever: Istio route `* /api/v1/products*`: no bound"
    );
    assert_eq!(
        (&sla[0]["line"], &sla[0]["column"]),
        (&28.into(), &5.into())
    );
}

#[test]
fn a_retry_deadline_cuts_the_worst_case_short() {
    // APISIX `retry_timeout: 10`: 3 attempts of up to 60s would take 3m, but no retry starts
    // after 10s, so the worst case is 10s and one last 60s attempt.
    let file = "fixtures/apisix/retry-timeout.yaml";
    let (_, report) = lint_json(&repo(), &[file]);
    assert_eq!(
        located_rules(&report, &["timeout-out-of-bounds"]),
        vec![at("timeout-out-of-bounds", file, 15, 22)]
    );
    let message = first_message(&report, "timeout-out-of-bounds");
    assert!(
        message.contains(
            "can take up to 70s (3 attempts × 1m, but no retry starts after the 10s retry \
             deadline: 10s + 1m = 70s), above the 30s maximum"
        ),
        "{message}"
    );
    let routes = common::run(&repo(), &["routes", "--format", "json", file]);
    let routes: serde_json::Value = serde_json::from_str(&routes.stdout).expect("routes JSON");
    assert_eq!(routes["routes"][0]["worst_case_ms"], 70_000);
}

#[test]
fn configurations_of_one_layer_for_several_environments_are_alternatives_not_layers() {
    // `dev/kong.yaml` and `prod/kong.yaml` route the same operation with 2 retries each: a
    // request goes through one of them, so there is no 3 × 3 amplification and no inversion
    // between the 9s and 3s read timeouts.
    let (_, report) = lint_json(
        &repo(),
        &[
            "--config",
            "fixtures/config/valid/all.yaml",
            "fixtures/kong/environments",
        ],
    );
    assert_eq!(
        located_rules(
            &report,
            &[
                "retry-amplification",
                "timeout-layer-inversion",
                "retry-without-backoff"
            ]
        ),
        vec![
            at(
                "retry-without-backoff",
                "fixtures/kong/environments/dev/kong.yaml",
                6,
                14
            ),
            at(
                "retry-without-backoff",
                "fixtures/kong/environments/prod/kong.yaml",
                6,
                14
            ),
        ]
    );
}

const LAYERS_CONFIG: &str = "fixtures/layers/routeguard.yaml";

#[test]
fn declared_layers_stack_gateways_of_one_kind() {
    // The Envoy front proxy (3 attempts, 1s each) in front of the Envoy sidecar (3 attempts,
    // a 5s timeout), declared as two layers: retries multiply and the sidecar outwaits the proxy.
    let (_, report) = lint_json(&repo(), &["--config", LAYERS_CONFIG, "fixtures/layers"]);
    assert_eq!(
        located_rules(
            &report,
            &[
                "retry-amplification",
                "timeout-layer-inversion",
                "timeout-exceeds-sla"
            ]
        ),
        vec![
            at(
                "timeout-exceeds-sla",
                "fixtures/layers/front/envoy.yaml",
                23,
                38
            ),
            at(
                "retry-amplification",
                "fixtures/layers/front/envoy.yaml",
                26,
                44
            ),
            at(
                "timeout-layer-inversion",
                "fixtures/layers/sidecar/envoy.yaml",
                23,
                38
            ),
        ]
    );
    assert_eq!(
        messages_of(&report, "retry-amplification"),
        vec![
            "3 × 3 = 9 upstream calls per request: Envoy route `orders` (* /orders/*) in \
             fixtures/layers/front/envoy.yaml (1 + 2 retries) × Envoy route `orders-service` in \
             layer `sidecars` (1 + 2 retries)"
        ]
    );
    assert_eq!(
        messages_of(&report, "timeout-layer-inversion"),
        vec![
            "Envoy route `orders-service` in layer `sidecars` waits up to 5s, but Envoy route \
             `orders` in layer `front-proxy` in front of it gives up after 1s: the outer layer \
             answers the client while this one keeps working"
        ]
    );
    assert_eq!(
        messages_of(&report, "timeout-exceeds-sla"),
        vec![
            "`GET /orders/{id}` promises clients at most 2s, but through its gateways a request \
             can take up to 3s: Envoy route `orders` in layer `front-proxy`: the 3s timeout; Envoy \
             route `orders-service` in layer `sidecars`: the 5s timeout"
        ]
    );
    let inversion = first_finding(&report, "timeout-layer-inversion");
    assert_eq!(
        inversion["related"][0]["file"],
        "fixtures/layers/front/envoy.yaml"
    );
    assert_eq!(inversion["related"][0]["line"], 27);
    assert_eq!(
        inversion["related"][0]["message"],
        "Envoy in layer `front-proxy` gives up after 1s"
    );
}

#[test]
fn without_declared_layers_two_envoy_configurations_are_alternatives() {
    // The same files, no `layers`: a request takes one of the two Envoy routes, so nothing
    // multiplies or inverts, and the slower alternative (the sidecar's 5s) breaks the promise.
    let (_, report) = lint_json(&repo(), &["--no-config", "fixtures/layers"]);
    assert_eq!(
        located_rules(
            &report,
            &[
                "retry-amplification",
                "timeout-layer-inversion",
                "timeout-exceeds-sla"
            ]
        ),
        vec![at(
            "timeout-exceeds-sla",
            "fixtures/layers/sidecar/envoy.yaml",
            23,
            38
        )]
    );
    assert_eq!(
        messages_of(&report, "timeout-exceeds-sla"),
        vec![
            "`GET /orders/{id}` promises clients at most 2s, but through its gateways a request \
             can take up to 5s: Envoy route `orders-service`: the 5s timeout"
        ]
    );
}

/// A project holding the `fixtures/layers` inputs and `config` as its `routeguard.yaml`.
fn layers_project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    for file in ["openapi.yaml", "front/envoy.yaml", "sidecar/envoy.yaml"] {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().expect("folder")).expect("folder");
        std::fs::copy(repo().join("fixtures/layers").join(file), target).expect("copy");
    }
    std::fs::write(dir.path().join("routeguard.yaml"), config).expect("config");
    dir
}

#[test]
fn files_no_declared_layer_holds_come_behind_the_declared_layers() {
    // Only the sidecar is declared: the front proxy's file keeps its kind's layer (edge), which
    // comes behind every declared layer. So the sidecar is in front, and the proxy's 3s timeout
    // now outwaits the sidecar's 2s per-try timeout.
    let dir = layers_project("layers:\n  - name: sidecars\n    files: [\"sidecar/**\"]\n");
    let (_, report) = lint_json(dir.path(), &[]);
    assert_eq!(
        located_rules(&report, &["retry-amplification", "timeout-layer-inversion"]),
        vec![
            at("timeout-layer-inversion", "front/envoy.yaml", 23, 38),
            at("retry-amplification", "sidecar/envoy.yaml", 26, 44),
        ]
    );
    assert_eq!(
        messages_of(&report, "timeout-layer-inversion"),
        vec![
            "Envoy route `orders` waits up to 3s, but Envoy route `orders-service` in layer \
             `sidecars` in front of it gives up after 2s: the outer layer answers the client while \
             this one keeps working"
        ]
    );
    let routes = common::run(dir.path(), &["routes", "--format", "json"]);
    let routes: serde_json::Value = serde_json::from_str(&routes.stdout).expect("routes JSON");
    let layers: Vec<(&str, &str, &str)> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| {
            (
                route["file"].as_str().unwrap_or_default(),
                route["layer"].as_str().unwrap_or_default(),
                route["layer_kind"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            ("sidecar/envoy.yaml", "sidecars", "edge"),
            ("front/envoy.yaml", "edge", "edge"),
        ]
    );
}

#[test]
fn a_file_belongs_to_the_first_declared_layer_that_holds_it() {
    // `**` holds both files, but the sidecar's is held by the layer declared before it.
    let dir = layers_project(
        "layers:\n  - name: sidecars\n    files: [\"sidecar/**\"]\n  - name: everything\n    files: [\"**\"]\n",
    );
    let routes = common::run(dir.path(), &["routes"]);
    assert_eq!(routes.code, 0, "{}", routes.stderr);
    let layers: Vec<&str> = routes
        .stdout
        .lines()
        .filter(|line| line.contains("/orders/*"))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        layers,
        vec!["sidecars/envoy", "everything/envoy"],
        "{}",
        routes.stdout
    );
}

#[test]
fn the_routes_report_names_declared_layers() {
    let table = common::run(
        &repo(),
        &["routes", "--config", LAYERS_CONFIG, "fixtures/layers"],
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    // The layer column, and the timeout column that tells the two routes apart.
    let rows: Vec<(&str, &str)> = table
        .stdout
        .lines()
        .skip(1)
        .filter(|line| line.contains("/orders/*"))
        .map(|line| {
            let mut cells = line.split_whitespace();
            (
                cells.next().unwrap_or_default(),
                cells.nth(4).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![("front-proxy/envoy", "3s"), ("sidecars/envoy", "5s")],
        "{}",
        table.stdout
    );
    let json = common::run(
        &repo(),
        &[
            "routes",
            "--format",
            "json",
            "--config",
            LAYERS_CONFIG,
            "fixtures/layers",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("routes JSON");
    let layers: Vec<(&str, &str, u64, &str, &str)> = json["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| {
            (
                route["name"].as_str().unwrap_or_default(),
                route["file"].as_str().unwrap_or_default(),
                route["line"].as_u64().unwrap_or_default(),
                route["layer"].as_str().unwrap_or_default(),
                route["layer_kind"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            (
                "orders",
                "fixtures/layers/front/envoy.yaml",
                19,
                "front-proxy",
                "edge"
            ),
            (
                "orders-service",
                "fixtures/layers/sidecar/envoy.yaml",
                19,
                "sidecars",
                "edge"
            ),
        ]
    );
}

/// An Envoy listener whose virtual host retries with a 30s per-try timeout, longer than Envoy's
/// default 15s route timeout, for `routes` (YAML list items at the routes' indentation).
fn envoy_with_shared_retry(routes: &str) -> String {
    format!(
        "static_resources:
  listeners:
    - name: ingress
      address:
        socket_address: {{ address: 0.0.0.0, port_value: 8080 }}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress
                route_config:
                  virtual_hosts:
                    - name: backend
                      domains: [\"*\"]
                      retry_policy:
                        retry_on: connect-failure
                        num_retries: 1
                        per_try_timeout: 30s
                      routes:
{routes}  clusters:
    - name: backend
      connect_timeout: 1s
"
    )
}

#[test]
fn routes_that_read_alike_are_counted_not_merged() {
    // Envoy routes told apart only by a header match read alike (`* /*`); sharing a finding,
    // they are counted rather than passed off as one route.
    let alike = "                        - match: { prefix: /, headers: [{ name: x-backend, string_match: { exact: a } }] }
                          route: { cluster: backend }
                        - match: { prefix: /, headers: [{ name: x-backend, string_match: { exact: b } }] }
                          route: { cluster: backend }
";
    let named = "                        - name: health
                          match: { path: /health }
                          route: { cluster: backend }
";
    for (routes, subject) in [
        (alike.to_string(), "Each of the 2 Envoy routes `* /*`"),
        (
            format!("{alike}{named}"),
            "Each of the Envoy routes `* /*` (2 routes) and `health`",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join(".git")).expect(".git");
        std::fs::write(
            dir.path().join("envoy.yaml"),
            envoy_with_shared_retry(&routes),
        )
        .expect("write");
        let (_, report) = lint_json(dir.path(), &["envoy.yaml"]);
        assert_eq!(
            located_rules(&report, &["per-try-timeout-exceeds-total"]),
            vec![at("per-try-timeout-exceeds-total", "envoy.yaml", 19, 42)]
        );
        assert_eq!(
            messages_of(&report, "per-try-timeout-exceeds-total"),
            vec![format!(
                "{subject} in envoy.yaml gives one attempt 30s but the whole request only 15s: \
                 the per-try timeout never fires and no retry can follow a slow attempt"
            )]
        );
    }
}

#[test]
fn istio_retry_backoff_sets_the_base_wait() {
    // `backoff: 500ms` is Envoy's jittered base: the first wait is up to 499ms, the second up
    // to 1.499s ((2^n − 1) × base, capped at ten times the base).
    let file = "fixtures/istio/retry-backoff.yaml";
    let (_, report) = lint_json(&repo(), &[file]);
    assert_eq!(
        located_rules(&report, &["retry-budget-exceeds-timeout"]),
        vec![at("retry-budget-exceeds-timeout", file, 14, 19)]
    );
    let message = first_message(&report, "retry-budget-exceeds-timeout");
    assert!(
        message.contains("3 attempts × 1s + 1.998s backoff = 4.998s exceeds the 3s timeout"),
        "{message}"
    );
}
