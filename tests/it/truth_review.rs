//! What re-reading every `true` finding of the corpus against the gateways' sources changed
//! (docs/accuracy.md, "Every `true` finding re-read"): requests a gateway answers itself, Kuma
//! policies it does not apply, statuses and helps that were wrong for the gateway at hand.
//! Each case has a counterpart the change must leave reported.

use serde_json::Value;

use crate::common::{at, lint_json, located, project, Located};

/// Findings of `rules` in the recommended run over `files`, as `(rule, file, line, column)`.
fn run(files: &[(&str, &str)], rules: &[&str]) -> (Vec<Located>, Value) {
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, text)| (*name, text.as_bytes()))
        .collect();
    let project = project(&files);
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    let (_, report) = lint_json(project.path(), &names);
    let found = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rules.contains(&rule.as_str()))
        .collect();
    (found, report)
}

fn field<'a>(report: &'a Value, rule: &str, key: &str) -> &'a str {
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|finding| finding["rule"] == rule)
        .and_then(|finding| finding[key].as_str())
        .unwrap_or_else(|| panic!("a {rule} finding with a {key}"))
}

const ISTIO_ABORTS: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
    - ratings
  http:
    - match:
        - headers:
            end-user:
              exact: jason
      fault:
        abort:
          percentage:
            value: 100
          httpStatus: 500
      route:
        - destination:
            host: ratings
    - fault:
        abort:
          percentage:
            value: 50
          httpStatus: 503
      route:
        - destination:
            host: ratings
";

#[test]
fn an_istio_rule_that_aborts_every_request_calls_no_upstream() {
    // Envoy's fault filter answers an abort of 100 % before the router runs; at 50 %, half the
    // requests still go to `ratings`, unbounded.
    let (found, _) = run(&[("vs.yaml", ISTIO_ABORTS)], &["timeout-missing"]);
    assert_eq!(found, [at("timeout-missing", "vs.yaml", 21, 7)]);
}

const SPRING: &str = "\
spring:
  cloud:
    gateway:
      routes:
        - id: echo
          uri: ws://localhost:9000
          predicates:
            - Path=/echo
        - id: moved
          uri: https://example.org
          predicates:
            - Path=/old
          filters:
            - RedirectTo=302, https://example.org/new
        - id: orders
          uri: https://orders.internal
          predicates:
            - Path=/orders/**
";

#[test]
fn spring_websocket_and_redirect_routes_are_not_upstream_calls() {
    // `NettyRoutingFilter` routes only http and https, so no response timeout reaches `echo`;
    // `RedirectTo` completes the response itself. Only `orders` waits on an upstream.
    let (found, _) = run(
        &[("application.yml", SPRING)],
        &["timeout-missing", "circuit-breaker-missing"],
    );
    assert_eq!(
        found,
        [
            at("timeout-missing", "application.yml", 15, 15),
            at("circuit-breaker-missing", "application.yml", 16, 16),
        ]
    );
}

const KUMA_TIMEOUT: &str = "\
type: MeshTimeout
name: slow
mesh: default
labels:
  kuma.io/effect: shadow
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: orders
      default:
        http:
          requestTimeout: 42s
";

#[test]
fn kuma_shadow_policies_configure_nothing() {
    // Kuma applies a `kuma.io/effect: shadow` policy to no proxy (dataplane_helpers.go).
    let (found, _) = run(
        &[("timeout.yaml", KUMA_TIMEOUT)],
        &["timeout-out-of-bounds"],
    );
    assert!(found.is_empty(), "{found:?}");
    let applied = KUMA_TIMEOUT.replace("labels:\n  kuma.io/effect: shadow\n", "");
    let (found, _) = run(&[("timeout.yaml", &applied)], &["timeout-out-of-bounds"]);
    assert_eq!(found, [at("timeout-out-of-bounds", "timeout.yaml", 13, 27)]);
}

/// One integrated operation that documents only its 200, under `header` (the version line and
/// what marks the API kind), its integration ending with `extra`.
fn aws_api(header: &str, extra: &str) -> String {
    format!(
        "{header}info:
  title: Pets
  version: \"1\"
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      description: Every pet.
      responses:
        \"200\":
          description: The pets.
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: https://pets.example.com/pets
{extra}"
    )
}

#[test]
fn aws_timeouts_answer_504_on_rest_apis_and_503_on_http_apis() {
    // (file, text, line of `responses`, status on a timeout, what the help says of ranges):
    // OpenAPI 2.0 response keys are codes or `default`, so no range is suggested there.
    let rest = aws_api("swagger: \"2.0\"\n", "");
    let http = aws_api(
        "openapi: 3.0.1\nx-amazon-apigateway-importexport-version: \"1.0\"\n",
        "        payloadFormatVersion: \"1.0\"\n",
    );
    let cases = [
        ("rest.yaml", rest, 11, 504, "OpenAPI 2.0 has no"),
        ("http.yaml", http, 12, 503, "` range, or"),
    ];
    let rules = ["gateway-errors-undocumented", "error-responses"];
    for (file, text, line, status, ranges) in cases {
        let (found, report) = run(&[(file, &text)], &rules);
        assert_eq!(
            found,
            [
                at("error-responses", file, line, 7),
                at("gateway-errors-undocumented", file, line, 7),
            ]
        );
        let message = field(&report, "gateway-errors-undocumented", "message");
        let answers = format!(": {status} (AWS API Gateway answers it");
        assert!(message.contains(&answers), "{message}");
        for rule in rules {
            let help = field(&report, rule, "help");
            assert!(help.contains(ranges), "{file} {rule}: {help}");
        }
    }
}

const KONG: &str = "\
_format_version: \"3.0\"
services:
  - name: orders
    host: orders.upstream
    read_timeout: 5000
    retries: 1
    routes:
      - name: orders
        paths: [/orders]
  - name: payments
    host: payments.internal
    read_timeout: 5000
    retries: 1
    routes:
      - name: payments
        paths: [/payments]
upstreams:
  - name: orders.upstream
    healthchecks:
      active:
        http_path: /health
        healthy:
          interval: 5
          successes: 2
        unhealthy:
          interval: 5
          http_failures: 2
    targets:
      - target: 10.0.0.1:80
";

#[test]
fn an_actively_checked_upstream_is_not_said_to_take_traffic_while_it_fails() {
    let (found, report) = run(&[("kong.yaml", KONG)], &["circuit-breaker-missing"]);
    assert_eq!(
        found,
        [
            at("circuit-breaker-missing", "kong.yaml", 10, 5),
            at("circuit-breaker-missing", "kong.yaml", 18, 5),
        ]
    );
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|finding| finding["rule"] == "circuit-breaker-missing")
        .filter_map(|finding| finding["message"].as_str())
        .collect();
    assert!(
        messages[0].ends_with("Kong keeps sending traffic to it while it fails"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains(
            "Kong takes an endpoint out only when its active health check fails, and keeps \
             sending traffic to it while requests fail and probes pass"
        ),
        "{}",
        messages[1]
    );
}

const KRAKEND: &str = r#"{
  "version": 3,
  "timeout": "2s",
  "endpoints": [
    {
      "endpoint": "/users",
      "backend": [
        { "host": ["http://users.internal"], "url_pattern": "/users" }
      ]
    },
    {
      "endpoint": "/users/{id}",
      "backend": [
        { "host": ["http://users.internal"], "url_pattern": "/users/{id}" }
      ]
    }
  ]
}
"#;

#[test]
fn every_krakend_backend_block_without_a_breaker_is_shown() {
    // KrakenD's breaker is a backend block's (`qos/circuit-breaker` in its `extra_config`): the
    // second endpoint's block needs its own.
    let (found, report) = run(&[("krakend.json", KRAKEND)], &["circuit-breaker-missing"]);
    assert_eq!(
        found,
        [at("circuit-breaker-missing", "krakend.json", 8, 11)]
    );
    let related = &report["diagnostics"][0]["related"];
    assert_eq!(related.as_array().map(Vec::len), Some(1), "{related}");
    assert_eq!(
        (&related[0]["line"], &related[0]["column"]),
        (&14.into(), &11.into())
    );
    assert_eq!(
        related[0]["message"],
        "KrakenD route `GET /users/{id}` calls it here, without a circuit breaker"
    );
}

const SPRING_RETRIES: &str = "\
spring:
  cloud:
    gateway:
      routes:
        - id: orders
          uri: https://orders.internal
          predicates:
            - Host=orders.example.org
          filters:
            - name: Retry
              args:
                methods: GET,POST
        - id: catalog
          uri: https://catalog.internal
          predicates:
            - Host=catalog.example.org
          filters:
            - name: Retry
              args:
                retries: 2
";

#[test]
fn a_spring_retry_that_names_post_retries_posts_on_a_route_of_every_method() {
    // `orders` matches every method and its Retry filter names POST; `catalog` retries only
    // the default GET.
    let (found, report) = run(
        &[("application.yml", SPRING_RETRIES)],
        &["retry-non-idempotent"],
    );
    assert_eq!(
        found,
        [at("retry-non-idempotent", "application.yml", 10, 15)]
    );
    let message = field(&report, "retry-non-idempotent", "message");
    assert!(
        message.contains("matches POST requests and retries them"),
        "{message}"
    );
}

#[test]
fn findings_in_a_deck_file_generated_from_a_spec_point_at_the_spec() {
    // openapi2kong tags each service `OAS3file_<spec>`: `retries: 100` comes from the spec's
    // `x-kong-service-defaults`, and an edit of the generated file is undone by the next run.
    let folder = "fixtures/real/openapi/openapi2kong-07-service-defaults-overrides";
    let generated = format!("{folder}/07-service-defaults-overrides.expected.json");
    let spec = format!("{folder}/07-service-defaults-overrides.yaml");
    let (_, report) = lint_json(&crate::common::repo(), &[folder]);
    let finding = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["rule"] == "retry-excessive" && d["line"] == 12)
        .expect("retry-excessive on `retries: 100`");
    assert_eq!(finding["file"], generated.as_str());
    let help = finding["help"].as_str().expect("help");
    assert!(
        help.ends_with(
            "this file is generated by `deck file openapi2kong` from \
             `07-service-defaults-overrides.yaml`: write the setting in that description's \
             `x-kong-service-defaults`, `x-kong-upstream-defaults` or `x-kong-route-defaults` \
             instead, as the next conversion overwrites this file"
        ),
        "{help}"
    );
    let related = finding["related"].as_array().expect("related");
    assert!(
        related
            .iter()
            .any(|r| r["file"] == spec.as_str() && r["line"] == 4),
        "{related:?}"
    );

    // A decK file written by hand carries no such tag, and its findings no such note.
    let (found, report) = run(&[("kong.yaml", KONG)], &["retry-without-backoff"]);
    assert_eq!(found.len(), 2);
    assert!(!field(&report, "retry-without-backoff", "help").contains("generated"));
}
