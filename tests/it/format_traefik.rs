//! The Traefik adapter: routes and normalized policies read from YAML and TOML dynamic
//! configuration, joined to a small OpenAPI spec; invalid values reported where they are written;
//! malformed and hostile input never a crash; detection that claims Traefik files and nothing else.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{at, lint_json, located, repo, run};
use routeguard::formats;
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::model::policy::{CircuitBreakerKind, FallbackKind, RetryCondition, Timeout};
use routeguard::model::{Origin, PathKind, Route, Sourced};
use routeguard::source::{parse_text, Syntax};
use routeguard::span::Location;

fn lint(paths: &[&str]) -> LintOutcome {
    let cwd = std::fs::canonicalize(repo()).expect("repository folder");
    lint_in(
        &LintOptions {
            paths: paths.iter().map(PathBuf::from).collect(),
            ..LintOptions::default()
        },
        &cwd,
    )
    .expect("lint runs")
}

fn position(outcome: &LintOutcome, location: Location) -> (String, u32, u32) {
    let file = outcome.workspace.file(location.file);
    let point = file.position(location.span.start);
    (file.display.clone(), point.line, point.column)
}

fn ms(value: Option<&Sourced<Duration>>) -> Option<u128> {
    value.map(|value| value.value.as_millis())
}

/// `"ms"` for an explicit value, `"ms*"` for a gateway default, `"—"` when absent.
fn shown(value: Option<&Sourced<Duration>>) -> String {
    match value {
        None => "—".to_string(),
        Some(value) => format!(
            "{}{}",
            value.value.as_millis(),
            if value.origin.is_explicit() { "" } else { "*" }
        ),
    }
}

/// Everything a route normalizes to, without locations: one line to compare and to read.
fn facts(route: &Route) -> String {
    let policy = &route.policy;
    let timeout = match policy.timeout.as_ref() {
        None => "—".to_string(),
        Some(timeout) => format!(
            "{}{}",
            match timeout.value {
                Timeout::Unbounded => "none".to_string(),
                Timeout::Bounded(bound) => bound.as_millis().to_string(),
            },
            if timeout.origin.is_explicit() {
                ""
            } else {
                "*"
            }
        ),
    };
    let retry = policy.retry.as_ref().map_or("—".to_string(), |retry| {
        format!(
            "{}{} on {:?} backoff {}..{} non-idempotent {:?}",
            retry.max_retries.value,
            if retry.max_retries.origin.is_explicit() {
                ""
            } else {
                "*"
            },
            retry.conditions,
            shown(retry.backoff.as_ref().and_then(|b| b.base.as_ref())),
            shown(retry.backoff.as_ref().and_then(|b| b.max.as_ref())),
            retry.non_idempotent,
        )
    });
    let breakers: Vec<String> = policy
        .circuit_breakers
        .iter()
        .map(|breaker| {
            format!(
                "{:?}/{:?}{}",
                breaker.kind,
                breaker.open_status,
                if breaker.ineffective.is_some() {
                    "/never-trips"
                } else {
                    ""
                }
            )
        })
        .collect();
    let health = policy
        .health_check
        .as_ref()
        .map_or("—".to_string(), |health| {
            format!(
                "active {} passive {}",
                health
                    .active
                    .as_ref()
                    .map_or("—".to_string(), |active| format!(
                        "{}/{}",
                        shown(active.interval.as_ref()),
                        shown(active.timeout.as_ref())
                    )),
                health.passive.is_some()
            )
        });
    let fallbacks: Vec<String> = policy
        .fallbacks
        .iter()
        .map(|fallback| format!("{:?}{:?}", fallback.kind, fallback.targets))
        .collect();
    let upstream = policy
        .upstream
        .as_ref()
        .map_or("—".to_string(), |upstream| {
            format!("{}({:?})", upstream.name, upstream.endpoints)
        });
    let rewrite = route
        .path
        .rewrite
        .as_ref()
        .map_or("—".to_string(), |rewrite| {
            format!("{}=>{}", rewrite.strip_prefix, rewrite.add_prefix)
        });
    format!(
        "{} {} {:?} {} hosts {:?} rewrite {} | timeout {} per-try {} connect {} | retry {} | \
         breakers {:?} | health {} | fallbacks {:?} | rate {:?} | upstream {} | statuses {:?}/{:?}/{:?}",
        route.name.as_deref().unwrap_or("?"),
        route.methods,
        route.path.kind,
        route.path.pattern,
        route.hosts,
        rewrite,
        timeout,
        shown(policy.per_try_timeout.as_ref()),
        shown(policy.connect_timeout.as_ref()),
        retry,
        breakers,
        health,
        fallbacks,
        policy.rate_limit.as_ref().map(|limit| limit.status),
        upstream,
        policy.statuses.on_timeout,
        policy.statuses.on_circuit_open,
        policy.statuses.on_rate_limited,
    )
}

/// Each route with the operations it reaches and how: `GET /v1/pets* -> GET /pets (prefix)`.
fn joined(outcome: &LintOutcome) -> Vec<String> {
    outcome
        .inventory
        .routes
        .iter()
        .enumerate()
        .map(|(index, route)| {
            let operations: Vec<String> = outcome
                .join
                .operations_of(index)
                .map(|link| {
                    format!(
                        "{} ({})",
                        outcome.inventory.operations[link.operation].route(),
                        link.kind.name()
                    )
                })
                .collect();
            format!("{} -> {}", route.label(), operations.join(", "))
        })
        .collect()
}

fn route<'o>(outcome: &'o LintOutcome, name: &str, label: &str) -> &'o Route {
    outcome
        .inventory
        .routes
        .iter()
        .find(|route| route.name.as_deref() == Some(name) && route.label() == label)
        .unwrap_or_else(|| {
            let all: Vec<String> = outcome.inventory.routes.iter().map(Route::label).collect();
            panic!("no route {name} `{label}` among {all:?}")
        })
}

fn explicit_at(outcome: &LintOutcome, origin: &Origin) -> (String, u32, u32) {
    let location = origin.location().expect("an explicit value");
    position(outcome, location)
}

fn invalid_values(outcome: &LintOutcome) -> Vec<String> {
    findings_of(outcome, "invalid-value")
}

const PETS_YAML: &str = "fixtures/traefik/dynamic.yaml";
const PETS_TOML: &str = "fixtures/traefik/dynamic.toml";
const SPEC: &str = "fixtures/traefik/openapi.yaml";

#[test]
fn routes_follow_the_rules_in_traefiks_priority_order() {
    let outcome = lint(&[SPEC, PETS_YAML]);
    let labels: Vec<String> = outcome
        .inventory
        .routes
        .iter()
        .map(|route| format!("{} {}", route.name.as_deref().unwrap_or("?"), route.label()))
        .collect();
    assert_eq!(
        labels,
        vec![
            // priority 200
            "legacy GET /v1/pets/{id}",
            "legacy HEAD /v1/pets/{id}",
            // the default priority is the length of the rule
            "pets GET /v1/pets*",
            "pets POST /v1/pets*",
            "pet-delete DELETE ~^/v1/pets/[0-9]+$",
            "search GET,PUT,POST,OPTIONS,HEAD,PATCH,TRACE /v1/search*",
            "health * /v1/health",
            "health * /healthz",
            "orders * /api/orders*",
            // priority 1
            "catch-all * /*",
        ]
    );
    let pets = route(&outcome, "pets", "GET /v1/pets*");
    assert_eq!(pets.hosts, vec!["api.example.com".to_string()]);
    assert_eq!(pets.path.kind, PathKind::Prefix);
    // Matchers point into the rule: the PathPrefix argument and the Method argument.
    assert_eq!(
        position(&outcome, pets.path.location),
        (PETS_YAML.to_string(), 6, 52)
    );
    assert_eq!(
        position(&outcome, pets.methods_location.expect("methods")),
        (PETS_YAML.to_string(), 6, 75)
    );
    assert_eq!(
        position(&outcome, pets.location),
        (PETS_YAML.to_string(), 5, 5)
    );
    assert!(route(&outcome, "catch-all", "* /*").is_catch_all());
}

#[test]
fn policies_are_normalized_with_their_origin() {
    let outcome = lint(&[SPEC, PETS_YAML]);
    let pets = route(&outcome, "pets", "GET /v1/pets*");
    let policy = &pets.policy;
    let timeout = policy.timeout.as_ref().expect("a timeout entry");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert_eq!(
        timeout.origin,
        Origin::Default("Traefik sets no request timeout by default in Traefik v3")
    );
    // The servers transport's responseHeaderTimeout bounds each attempt; dialTimeout connects.
    assert_eq!(ms(policy.per_try_timeout.as_ref()), Some(5000));
    assert_eq!(
        explicit_at(
            &outcome,
            &policy.per_try_timeout.as_ref().expect("per try").origin
        ),
        (PETS_YAML.to_string(), 131, 32)
    );
    assert_eq!(ms(policy.connect_timeout.as_ref()), Some(2000));
    // attempts: 4 counts the first try: three retries.
    let retry = policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(
        explicit_at(&outcome, &retry.max_retries.origin),
        (PETS_YAML.to_string(), 97, 19)
    );
    assert_eq!(retry.conditions, vec![RetryCondition::ConnectFailure]);
    assert!(retry.conditions.iter().all(RetryCondition::is_pre_send));
    assert_eq!(retry.non_idempotent, Some(false));
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(ms(backoff.base.as_ref()), Some(500));
    assert_eq!(ms(backoff.max.as_ref()), Some(1000));
    assert!(!backoff.max.as_ref().expect("max").origin.is_explicit());
    assert_eq!(ms(retry.per_try_timeout.as_ref()), Some(5000));
    assert_eq!(policy.attempts(), 4);
    // The breaker answers its responseCode while open.
    let breaker = policy.circuit_breakers.first().expect("breaker");
    assert_eq!(breaker.kind, CircuitBreakerKind::Expression);
    assert_eq!(breaker.open_status, Some(529));
    assert_eq!(breaker.ineffective, None);
    assert_eq!(policy.statuses.on_circuit_open, Some(529));
    assert_eq!(policy.statuses.on_timeout, Some(504));
    let active = policy
        .health_check
        .as_ref()
        .and_then(|health| health.active.as_ref())
        .expect("active health check");
    assert_eq!(ms(active.interval.as_ref()), Some(10_000));
    assert_eq!(ms(active.timeout.as_ref()), Some(2000));
    let upstream = policy.upstream.as_ref().expect("upstream");
    assert_eq!(
        (upstream.name.as_str(), upstream.endpoints),
        ("pets", Some(2))
    );
    let pool = policy
        .fallbacks
        .first()
        .expect("two servers share the load");
    assert_eq!(pool.kind, FallbackKind::WeightedPool);
    assert_eq!(
        pool.targets,
        vec!["http://pets-1:8080", "http://pets-2:8080"]
    );

    let delete = route(&outcome, "pet-delete", "DELETE ~^/v1/pets/[0-9]+$");
    assert_eq!(delete.path.kind, PathKind::Regex { full: false });
    assert_eq!(delete.policy.retry, None);
    assert_eq!(delete.policy.statuses.on_rate_limited, Some(429));
    let toothless = delete.policy.circuit_breakers.first().expect("breaker");
    assert_eq!(toothless.open_status, Some(503));
    assert!(toothless
        .ineffective
        .as_deref()
        .is_some_and(|reason| reason.contains("NetworkErrorRatio")));

    // Status retries reach POST because retryNonIdempotentMethod is set; the failover's main
    // service has a health check that tells the failover when it is down.
    let orders = route(&outcome, "orders", "* /api/orders*");
    let retry = orders.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::Status(500, 599),
            RetryCondition::Status(429, 429)
        ]
    );
    assert_eq!(retry.non_idempotent, Some(true));
    let failover = orders.policy.fallbacks.first().expect("failover");
    assert_eq!(failover.kind, FallbackKind::FailoverService);
    assert_eq!(failover.targets, vec!["orders-backup"]);
    let active = orders
        .policy
        .health_check
        .as_ref()
        .and_then(|health| health.active.as_ref())
        .expect("main service health check");
    assert_eq!(
        active
            .interval
            .as_ref()
            .map(|interval| interval.origin.clone()),
        Some(Origin::Default(
            "Traefik's default health check interval of 30s in Traefik v3"
        ))
    );
    assert_eq!(ms(active.timeout.as_ref()), Some(5000));
    assert_eq!(
        orders
            .policy
            .connect_timeout
            .as_ref()
            .map(|c| c.origin.clone()),
        Some(Origin::Default(
            "Traefik's default dialTimeout of 30s in Traefik v3"
        ))
    );
    assert_eq!(orders.policy.per_try_timeout, None);

    // A failover whose main service has no health check: nothing tells it to fail over.
    let search = route(
        &outcome,
        "search",
        "GET,PUT,POST,OPTIONS,HEAD,PATCH,TRACE /v1/search*",
    );
    let failover = search.policy.fallbacks.first().expect("failover");
    assert_eq!(failover.kind, FallbackKind::FailoverService);
    assert_eq!(search.policy.health_check, None);
}

/// The message of every finding of a JSON report.
fn messages(report: &serde_json::Value) -> Vec<&str> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["message"].as_str())
        .collect()
}

/// `rule` findings as `file:line:column`.
fn findings_of(outcome: &LintOutcome, rule: &str) -> Vec<String> {
    outcome
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule == rule)
        .map(|diagnostic| {
            let (file, line, column) = position(outcome, diagnostic.location);
            format!("{file}:{line}:{column}")
        })
        .collect()
}

#[test]
fn failovers_need_to_hear_that_the_main_service_is_down() {
    // In the pet store, only `search` fails over from a service nobody checks.
    let outcome = lint(&[SPEC, PETS_YAML]);
    assert_eq!(
        findings_of(&outcome, "fallback-without-health-signal"),
        vec![format!("{PETS_YAML}:92:9")]
    );
    // Traefik's own examples: one fails over on health, one on error statuses: both fine.
    let real = lint(&["fixtures/traefik/real"]);
    assert_eq!(
        findings_of(&real, "fallback-without-health-signal"),
        Vec::<String>::new()
    );
    // A passive check does not report a service down to a failover: Traefik refuses it.
    let invalid = lint(&["fixtures/traefik/invalid/invalid.yaml"]);
    let file = "fixtures/traefik/invalid/invalid.yaml";
    let message = invalid
        .diagnostics
        .iter()
        .find(|diagnostic| {
            diagnostic.rule == "invalid-value"
                && position(&invalid, diagnostic.location) == (file.to_string(), 49, 18)
        })
        .map(|diagnostic| diagnostic.message.clone());
    assert_eq!(
        message.as_deref(),
        Some(
            "the failover cannot hear that `passive-only` is down: only an active `healthCheck` \
             (and `healthCheck: {}` on each service in between) reports it; add one, or fail \
             over on `errors.status`"
        )
    );
}

#[test]
fn suppression_comments_work_in_toml() {
    let config = "[http.routers.pets]\n  rule = \"PathPrefix(`/pets`)\"\n  service = \"pets\"\n\n\
        # routeguard-ignore: timeout-missing — the pets service answers within its own SLA\n\
        [http.routers.toys]\n  rule = \"PathPrefix(`/toys`)\"\n  service = \"pets\"\n\n\
        [http.services.pets.loadBalancer]\n  servers = [{ url = \"http://pets\" }]\n";
    let dir = project(&[("dynamic.toml".to_string(), config.to_string())]);
    let (_, report) = lint_json(dir.path(), &["dynamic.toml"]);
    let timeouts: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "timeout-missing")
        .collect();
    // The `toys` router (line 6) is suppressed; `pets` (line 1) is not.
    assert_eq!(timeouts, vec![at("timeout-missing", "dynamic.toml", 1, 15)]);
}

#[test]
fn every_route_in_one_line() {
    let outcome = lint(&[SPEC, PETS_YAML]);
    let all: Vec<String> = outcome.inventory.routes.iter().map(facts).collect();
    let expected = [
        "legacy GET Template /v1/pets/{id} hosts [] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"pets\\\", \\\"pets-next\\\"]\"] | rate None | upstream pets-canary(Some(3)) | statuses Some(504)/Some(503)/None",
        "legacy HEAD Template /v1/pets/{id} hosts [] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"pets\\\", \\\"pets-next\\\"]\"] | rate None | upstream pets-canary(Some(3)) | statuses Some(504)/Some(503)/None",
        "pets GET Prefix /v1/pets hosts [\"api.example.com\"] rewrite — | timeout none* per-try 5000 connect 2000 | retry 3 on [ConnectFailure] backoff 500..1000* non-idempotent Some(false) | breakers [\"Expression/Some(529)\"] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"http://pets-1:8080\\\", \\\"http://pets-2:8080\\\"]\"] | rate None | upstream pets(Some(2)) | statuses Some(504)/Some(529)/None",
        "pets POST Prefix /v1/pets hosts [\"api.example.com\"] rewrite — | timeout none* per-try 5000 connect 2000 | retry 3 on [ConnectFailure] backoff 500..1000* non-idempotent Some(false) | breakers [\"Expression/Some(529)\"] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"http://pets-1:8080\\\", \\\"http://pets-2:8080\\\"]\"] | rate None | upstream pets(Some(2)) | statuses Some(504)/Some(529)/None",
        "pet-delete DELETE Regex { full: false } ^/v1/pets/[0-9]+$ hosts [] rewrite — | timeout none* per-try 5000 connect 2000 | retry — | breakers [\"Expression/Some(503)/never-trips\"] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"http://pets-1:8080\\\", \\\"http://pets-2:8080\\\"]\"] | rate Some(429) | upstream pets(Some(2)) | statuses Some(504)/Some(503)/Some(429)",
        "search GET,PUT,POST,OPTIONS,HEAD,PATCH,TRACE Prefix /v1/search hosts [] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health — | fallbacks [\"FailoverService[\\\"search-backup\\\"]\"] | rate None | upstream search-primary(Some(1)) | statuses Some(504)/Some(503)/None",
        "health * Exact /v1/health hosts [] rewrite — | timeout none* per-try — connect — | retry — | breakers [] | health — | fallbacks [] | rate None | upstream — | statuses Some(504)/None/None",
        "health * Exact /healthz hosts [] rewrite — | timeout none* per-try — connect — | retry — | breakers [] | health — | fallbacks [] | rate None | upstream — | statuses Some(504)/None/None",
        "orders * Prefix /api/orders hosts [] rewrite /api=>/v1 | timeout none* per-try — connect 30000* | retry 2 on [Status(500, 599), Status(429, 429)] backoff 100..200* non-idempotent Some(true) | breakers [] | health active 30000*/5000* passive false | fallbacks [\"FailoverService[\\\"orders-backup\\\"]\"] | rate None | upstream orders-primary(Some(1)) | statuses Some(504)/Some(503)/None",
        "catch-all * Prefix / hosts [] rewrite — | timeout none* per-try 5000 connect 2000 | retry — | breakers [] | health active 10000/2000 passive false | fallbacks [\"WeightedPool[\\\"http://pets-1:8080\\\", \\\"http://pets-2:8080\\\"]\"] | rate None | upstream pets(Some(2)) | statuses Some(504)/Some(503)/None",
    ];
    assert_eq!(all, expected);
}

#[test]
fn routes_reach_the_operations_of_the_spec() {
    let outcome = lint(&[SPEC, PETS_YAML]);
    assert_eq!(
        joined(&outcome),
        vec![
            // The spec's server URL puts its paths under /v1.
            "GET /v1/pets/{id} -> GET /pets/{petId} (exact)",
            "HEAD /v1/pets/{id} -> ",
            "GET /v1/pets* -> GET /pets (prefix)",
            "POST /v1/pets* -> POST /pets (prefix)",
            "DELETE ~^/v1/pets/[0-9]+$ -> DELETE /pets/{petId} (regex)",
            "GET,PUT,POST,OPTIONS,HEAD,PATCH,TRACE /v1/search* -> GET /search (prefix)",
            "* /v1/health -> GET /health (exact)",
            "* /healthz -> ",
            // stripPrefix /api then addPrefix /v1: the upstream sees /v1/orders…
            "* /api/orders* -> POST /orders (prefix), GET /orders/{orderId} (prefix)",
            // Every operation has a more specific route.
            "* /* -> ",
        ]
    );
}

#[test]
fn toml_reads_the_same_as_yaml() {
    let yaml = lint(&[SPEC, PETS_YAML]);
    let toml = lint(&[SPEC, PETS_TOML]);
    let facts_of = |outcome: &LintOutcome| -> Vec<String> {
        outcome.inventory.routes.iter().map(facts).collect()
    };
    assert_eq!(facts_of(&toml), facts_of(&yaml));
    assert_eq!(joined(&toml), joined(&yaml));
    assert!(toml.diagnostics.iter().all(|d| d.rule != "invalid-value"));
    // Locations are TOML's own.
    let pets = route(&toml, "pets", "GET /v1/pets*");
    assert_eq!(
        position(&toml, pets.location),
        (PETS_TOML.to_string(), 3, 15)
    );
    assert_eq!(
        position(&toml, pets.path.location),
        (PETS_TOML.to_string(), 4, 49)
    );
    let retry = pets.policy.retry.as_ref().expect("retry");
    assert_eq!(
        explicit_at(&toml, &retry.max_retries.origin),
        (PETS_TOML.to_string(), 92, 14)
    );
}

#[test]
fn a_directory_of_files_is_one_configuration() {
    let outcome = lint(&["fixtures/traefik/split"]);
    assert_eq!(
        outcome.inventory.routes.iter().map(facts).collect::<Vec<_>>(),
        vec![
            "pets * Prefix /v1/pets hosts [] rewrite — | timeout none* per-try 90000 connect — | retry 1 on [ConnectFailure] backoff —..— non-idempotent Some(false) | breakers [] | health — | fallbacks [\"WeightedPool[\\\"http://pets-1:8080\\\", \\\"http://pets-2:8080\\\"]\"] | rate None | upstream pets(Some(2)) | statuses Some(504)/None/None"
        ]
    );
    let pets = &outcome.inventory.routes[0];
    // The timeout is written in the TOML file, the retry in the YAML one.
    assert_eq!(
        explicit_at(
            &outcome,
            &pets
                .policy
                .per_try_timeout
                .as_ref()
                .expect("per try")
                .origin
        ),
        ("fixtures/traefik/split/services.toml".to_string(), 7, 27)
    );
    assert_eq!(
        explicit_at(
            &outcome,
            &pets
                .policy
                .retry
                .as_ref()
                .expect("retry")
                .max_retries
                .origin
        ),
        ("fixtures/traefik/split/routers.yaml".to_string(), 12, 19)
    );
    assert_eq!(invalid_values(&outcome), Vec::<String>::new());
}

#[test]
fn traefiks_own_configurations() {
    let outcome = lint(&["fixtures/traefik/real"]);
    let by_file = |name: &str| -> Vec<String> {
        outcome
            .inventory
            .routes
            .iter()
            .filter(|route| {
                outcome
                    .workspace
                    .file(route.location.file)
                    .display
                    .ends_with(name)
            })
            .map(facts)
            .collect()
    };
    assert_eq!(
        by_file("retry-backoff.toml"),
        vec!["router1 * Prefix / hosts [] rewrite — | timeout none* per-try — connect 30000* | retry 3 on [ConnectFailure] backoff 500..1000* non-idempotent Some(false) | breakers [] | health — | fallbacks [\"WeightedPool[\\\"http://10.0.0.2:8080\\\", \\\"http://10.0.0.2:8081\\\", \\\"http://10.0.0.2:8082\\\", \\\"http://10.0.0.2:80\\\"]\"] | rate None | upstream service1(Some(4)) | statuses Some(504)/None/None"]
    );
    // stripPrefix /test cannot apply to the pattern `/`: no known rewrite.
    assert_eq!(
        by_file("retry-strip-prefix.toml"),
        vec!["router1 * Prefix / hosts [] rewrite — | timeout none* per-try — connect 30000* | retry 2 on [ConnectFailure] backoff —..— non-idempotent Some(false) | breakers [] | health — | fallbacks [\"WeightedPool[\\\"http://10.0.0.2:8080\\\", \\\"http://10.0.0.2:80\\\"]\"] | rate None | upstream service1(Some(2)) | statuses Some(504)/None/None"]
    );
    assert_eq!(
        by_file("/failover.toml"),
        vec!["router1 * Exact /whoami hosts [] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health active 1000/900 passive false | fallbacks [\"FailoverService[\\\"fallback-service\\\"]\"] | rate None | upstream main-service(Some(1)) | statuses Some(504)/Some(503)/None"]
    );
    // Failing over on status codes needs no health check.
    assert_eq!(
        by_file("failover-statuscode.toml"),
        vec!["router1 * Prefix / hosts [] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health — | fallbacks [\"FailoverOnStatus[\\\"fallback-service\\\"]\"] | rate None | upstream main-service(Some(1)) | statuses Some(504)/Some(503)/None"]
    );
    // `healthcheck` in lower case is the same field: Traefik ignores the case of field names.
    assert_eq!(
        by_file("healthcheck-simple.toml"),
        vec!["router1 * Any / hosts [\"test.localhost\"] rewrite — | timeout none* per-try — connect 30000* | retry — | breakers [] | health active 1000/900 passive false | fallbacks [\"WeightedPool[\\\"http://10.0.0.5:80\\\", \\\"http://10.0.0.6:80\\\"]\"] | rate None | upstream service1(Some(2)) | statuses Some(504)/Some(503)/None"]
    );
    // The generated reference of every field holds placeholders (`rule: foobar`, `service:
    // foobar`): each is reported where it is, in both formats, and nothing else is.
    let reference = |extension: &str| -> Vec<String> {
        invalid_values(&outcome)
            .into_iter()
            .filter(|at| at.contains(&format!("reference-file.{extension}")))
            .collect()
    };
    let yaml = "fixtures/traefik/real/reference-file.yaml";
    assert_eq!(
        reference("yaml"),
        [
            "13:13", "14:19", "41:13", "42:19", "64:18", "70:19", "115:27", "118:18", "130:19",
            "167:13", "168:13", "171:21", "175:23"
        ]
        .map(|at| format!("{yaml}:{at}"))
    );
    assert_eq!(reference("toml").len(), reference("yaml").len());
    assert_eq!(invalid_values(&outcome).len(), 26);
}

#[test]
fn invalid_values_are_reported_where_they_are_written() {
    let (_, report) = lint_json(&repo(), &["fixtures/traefik/invalid"]);
    let yaml = "fixtures/traefik/invalid/invalid.yaml";
    let toml = "fixtures/traefik/invalid/invalid.toml";
    let invalid: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "invalid-value")
        .collect();
    assert_eq!(
        invalid,
        vec![
            // An unclosed parenthesis: the rule ends too soon.
            at("invalid-value", toml, 3, 10),
            at("invalid-value", toml, 10, 16),
            at("invalid-value", toml, 13, 14),
            // The misspelt matcher inside the rule, not the whole rule.
            at("invalid-value", yaml, 5, 34),
            at("invalid-value", yaml, 8, 14),
            at("invalid-value", yaml, 10, 5),
            at("invalid-value", yaml, 14, 17),
            at("invalid-value", yaml, 18, 16),
            at("invalid-value", yaml, 21, 21),
            at("invalid-value", yaml, 28, 21),
            at("invalid-value", yaml, 31, 21),
            at("invalid-value", yaml, 32, 20),
            at("invalid-value", yaml, 37, 7),
            // Each service is read once: the loop is reported where it closes, in loop-b.
            at("invalid-value", yaml, 46, 19),
            // A failover whose main service only has a passive health check.
            at("invalid-value", yaml, 49, 18),
            at("invalid-value", yaml, 59, 19),
            at("invalid-value", yaml, 63, 18),
            // The integer a ratio is compared with, inside the expression.
            at("invalid-value", yaml, 66, 44),
            at("invalid-value", yaml, 70, 23),
            at("invalid-value", yaml, 73, 23),
            at("invalid-value", yaml, 77, 22),
            at("invalid-value", yaml, 78, 32),
        ]
    );
    let messages = messages(&report);
    for expected in [
        "`rule`: unknown matcher `Methd`",
        "`rule`: `Path` takes 1 argument, found 2 (v3 syntax; `||` joins alternatives, or set `ruleSyntax: v2`)",
        "`attempts`: counts the first try too, so it must be at least 1",
        "`timeout`: `1.5` is not a duration such as \"1.5s\" or a whole number of seconds",
        "`expression`: `0` must be written with a decimal point (e.g. `0.0`): it is compared as a float",
        "services refer to each other in a loop: loop-a → loop-b → loop-a",
        "service `nowhere` is not defined in the Traefik configuration",
    ] {
        assert!(messages.contains(&expected), "missing `{expected}` in {messages:#?}");
    }
}

#[test]
fn malformed_structure_is_reported_and_skipped() {
    let outcome = lint(&["fixtures/traefik/malformed"]);
    let file = "fixtures/traefik/malformed/malformed.yaml";
    assert_eq!(
        invalid_values(&outcome),
        [
            "4:5", "5:13", "9:14", "11:13", "15:20", "19:16", "20:10", "24:18", "25:22", "29:5",
            "31:21", "34:19", "38:13", "39:5", "46:5", "50:14", "52:23", "55:22", "58:19", "59:5",
            "62:7", "65:27", "68:12", "69:16"
        ]
        .map(|at| format!("{file}:{at}"))
    );
    // Only the router whose rule and service can be read is a route.
    let labels: Vec<String> = outcome.inventory.routes.iter().map(Route::label).collect();
    assert_eq!(labels, vec!["* /b"]);
}

fn project(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("create .git");
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).expect("write file");
    }
    dir
}

#[test]
fn hostile_input_is_never_a_crash() {
    let mut files = Vec::new();
    let nested = format!("{}Path(`/a`){}", "(".repeat(20_000), ")".repeat(20_000));
    let wide = vec!["Path(`/a`)"; 20_000].join(" || ");
    let product = vec!["(Path(`/a`) || Path(`/b`))"; 40].join(" && ");
    let breaker = format!(
        "{}NetworkErrorRatio() > 0.5{}",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    let mut chain = String::from("http:\n  middlewares:\n");
    for index in 0..200 {
        chain.push_str(&format!(
            "    m{index}:\n      chain:\n        middlewares: [m{}]\n",
            index + 1
        ));
    }
    chain.push_str("  routers:\n    deep:\n      rule: \"Path(`/deep`)\"\n      middlewares: [m0]\n      service: s0\n  services:\n");
    for index in 0..200 {
        chain.push_str(&format!(
            "    s{index}:\n      mirroring:\n        service: s{}\n",
            index + 1
        ));
    }
    files.push((
        "rules.yaml".to_string(),
        format!(
            "http:\n  routers:\n    nested:\n      rule: '{nested}'\n      service: ok\n    wide:\n      rule: '{wide}'\n      service: ok\n    product:\n      rule: '{product}'\n      service: ok\n  services:\n    ok:\n      loadBalancer:\n        servers: [{{url: 'http://ok'}}]\n  middlewares:\n    breaker:\n      circuitBreaker:\n        expression: '{breaker}'\n"
        ),
    ));
    files.push(("chains.yaml".to_string(), chain));
    // Each level names the next twice: read naively, 2^40 paths.
    let mut doubling = String::from("http:\n  routers:\n");
    for index in 0..40 {
        doubling.push_str(&format!(
            "    r{index}:\n      rule: \"Path(`/r{index}`)\"\n      parentRefs: [r{next}, r{next}]\n      middlewares: [m0]\n      service: s0\n",
            next = index + 1
        ));
    }
    doubling.push_str("    r40:\n      rule: \"Path(`/r40`)\"\n      service: s0\n  services:\n");
    for index in 0..40 {
        doubling.push_str(&format!(
            "    s{index}:\n      weighted:\n        services: [{{name: s{next}}}, {{name: s{next}}}]\n",
            next = index + 1
        ));
    }
    doubling.push_str(
        "    s40:\n      loadBalancer:\n        servers: [{url: 'http://s'}]\n  middlewares:\n",
    );
    for index in 0..40 {
        doubling.push_str(&format!(
            "    m{index}:\n      chain:\n        middlewares: [m{next}, m{next}]\n",
            next = index + 1
        ));
    }
    doubling.push_str("    m40:\n      retry:\n        attempts: 2\n");
    files.push(("doubling.yaml".to_string(), doubling));
    // Every prefix of the fixtures, cut at arbitrary points.
    for (source, extension) in [(PETS_YAML, "yaml"), (PETS_TOML, "toml")] {
        let text = std::fs::read_to_string(repo().join(source)).expect("fixture");
        for (index, cut) in (0..text.len()).step_by(53).enumerate() {
            let Some(prefix) = text.get(..cut) else {
                continue;
            };
            files.push((format!("cut-{index}.{extension}"), prefix.to_string()));
        }
    }
    let dir = project(&files);
    let result = run(dir.path(), &["lint", "--format", "json", "."]);
    assert!(
        result.code == 0 || result.code == 1,
        "exit {}: {}",
        result.code,
        result.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("a JSON report");
    let found = located(&report);
    let rules = |file: &str| -> Vec<(u64, u64)> {
        found
            .iter()
            .filter(|(rule, at, _, _)| rule == "invalid-value" && at == file)
            .map(|(_, _, line, column)| (*line, *column))
            .collect()
    };
    // Too deep (at the 65th parenthesis), too many alternatives (the whole rule), too deep a
    // breaker: each refused at its value.
    assert_eq!(
        rules("rules.yaml"),
        vec![(4, 79), (7, 14), (10, 14), (19, 87)]
    );
    // Chains of 200 middlewares and of 200 services end at a depth limit, not a stack overflow.
    let messages = messages(&report);
    assert!(messages.contains(&"middleware chains nest more than 32 levels deep here"));
    assert!(messages.contains(&"services nest more than 32 levels deep here"));
    assert!(!rules("chains.yaml").is_empty());
    assert!(messages.contains(&"the middleware chains here add up to more than 256 middlewares"));
}

#[test]
fn the_routes_report_shows_traefik_values() {
    let result = run(&repo(), &["routes", "--format", "json", SPEC, PETS_YAML]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("JSON");
    let pets = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|row| row["name"] == "pets" && row["method"] == "GET")
        .expect("pets row");
    assert_eq!(pets["format"], "traefik");
    assert_eq!(pets["path"], "/v1/pets*");
    assert_eq!(pets["operation"], "GET /pets");
    assert_eq!(pets["timeout_ms"], serde_json::Value::Null);
    assert_eq!(pets["per_try_timeout_ms"], 5000);
    assert_eq!(pets["max_retries"], 3);
    // Four attempts of at most 5s each (responseHeaderTimeout), and backoff of 500ms then up
    // to twice that: 500 + 1000 + 1000.
    assert_eq!(pets["worst_case_ms"], 22_500);
    assert_eq!(pets["fallback"], "weighted pool");
    assert_eq!(pets["circuit_breaker"], "yes");
    assert_eq!(pets["health_check"], "active");
    assert_eq!(pets["defaults"], serde_json::json!(["timeout_ms"]));
    assert_eq!(pets["line"], 5);
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [
        PETS_YAML,
        PETS_TOML,
        "fixtures/traefik/invalid/invalid.yaml",
        "fixtures/traefik/invalid/invalid.toml",
        "fixtures/traefik/split/routers.yaml",
        "fixtures/traefik/split/services.toml",
    ] {
        assert!(value_mutations(fixture) > 10, "{fixture}");
    }
}

/// Lints `fixture` once for every `key: value` (YAML) or `key = value` (TOML) line, with the
/// value replaced by a list, a mapping, null or a bare word, a negative number, a fraction and a
/// string: what cannot be read is reported, nothing panics. Returns how many variants ran.
fn value_mutations(fixture: &str) -> usize {
    let toml = fixture.ends_with(".toml");
    let pattern = if toml {
        r"^(\s*[A-Za-z0-9_.-]+\s*=\s*)(.+)$"
    } else {
        r"^(\s*(?:-\s+)?[A-Za-z0-9_.-]+:\s+)([^\s#].*)$"
    };
    let pattern = regex::Regex::new(pattern).expect("a valid pattern");
    let replacements: &[&str] = if toml {
        &["[]", "{}", "word", "-1", "1.5", "\"word\""]
    } else {
        &["[]", "{}", "~", "-1", "1.5", "word"]
    };
    let text = std::fs::read_to_string(repo().join(fixture)).expect("the fixture exists");
    let name = Path::new(fixture)
        .file_name()
        .expect("a file name")
        .to_owned();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut variants = 0;
    for (index, line) in lines.iter().enumerate() {
        let Some(captures) = pattern.captures(line) else {
            continue;
        };
        for replacement in replacements {
            let mut mutated: Vec<String> = lines.iter().map(|line| line.to_string()).collect();
            mutated[index] = format!("{}{replacement}", &captures[1]);
            std::fs::write(dir.path().join(&name), mutated.join("\n")).expect("writable");
            let options = LintOptions {
                paths: vec![PathBuf::from(&name)],
                root: Some(dir.path().to_path_buf()),
                ..LintOptions::default()
            };
            lint_in(&options, dir.path()).expect("the variant can be linted");
            variants += 1;
        }
    }
    variants
}

/// Every document of a file, parsed as its extension says.
fn documents(path: &Path) -> Vec<routeguard::source::Node> {
    let syntax = match path.extension().and_then(|ext| ext.to_str()) {
        Some("json") => Syntax::Json,
        Some("toml") => Syntax::Toml,
        _ => Syntax::Yaml,
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse_text(&text, syntax)
        .map(|loaded| loaded.documents)
        .unwrap_or_default()
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if crate::common::is_corpus(&path) {
            continue;
        }
        if path.is_dir() {
            fixture_files(&path, out);
        } else if path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| ["yaml", "yml", "json", "toml"].contains(&ext))
        {
            out.push(path);
        }
    }
}

#[test]
fn detection_claims_traefik_files_and_nothing_else() {
    let traefik = &formats::traefik::ADAPTER;
    let mut files = Vec::new();
    fixture_files(&repo().join("fixtures"), &mut files);
    assert!(files.len() > 20, "fixtures found: {}", files.len());
    let traefik_dir = repo().join("fixtures/traefik");
    let spec = traefik_dir.join("openapi.yaml");
    for file in &files {
        for document in documents(file) {
            let claimed: Vec<&str> = formats::detect(&document)
                .map(|adapter| adapter.name)
                .collect();
            let expected_traefik = file.starts_with(&traefik_dir) && file != &spec;
            assert_eq!(
                (traefik.detect)(&document),
                expected_traefik,
                "{}",
                file.display()
            );
            if expected_traefik {
                assert_eq!(claimed, vec!["traefik"], "{}", file.display());
            }
        }
    }
    // Look-alikes: an `http` block of another tool, and an OpenAPI document with such a key.
    for text in [
        "http:\n  port: 8080\n  routes: [/a]\n",
        "server:\n  http:\n    routers: {}\n",
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\nhttp:\n  routers: {}\n",
        "_format_version: '3.0'\nhttp:\n  services: {}\n",
    ] {
        for document in parse_text(text, Syntax::Yaml).expect("YAML").documents {
            assert!(!(traefik.detect)(&document), "claimed: {text}");
        }
    }
    for text in [
        "[http.routers.a]\nrule = \"Path(`/a`)\"\n",
        "[tcp.services.db.loadBalancer]\nservers = [{ address = \"db:5432\" }]\n",
    ] {
        for document in parse_text(text, Syntax::Toml).expect("TOML").documents {
            assert!((traefik.detect)(&document), "not claimed: {text}");
        }
    }
}

#[test]
fn retry_timeout_is_a_deadline_for_starting_retries() {
    // 4 attempts of up to 5s with 100ms then 200ms waits would take 20.5s; Traefik starts no
    // retry once `timeout: 1s` has passed, so a last 200ms wait and a last 5s attempt follow it.
    let file = "fixtures/traefik/retry-deadline.yaml";
    let outcome = lint(&[file]);
    let route = route(&outcome, "reports", "* /reports*");
    let retry = route.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 3);
    let deadline = retry.deadline.as_ref().expect("a retry deadline");
    assert_eq!(deadline.value, Duration::from_secs(1));
    assert_eq!(
        explicit_at(&outcome, &deadline.origin),
        (file.to_string(), 13, 18)
    );
    assert_eq!(route.policy.worst_case(), Some(Duration::from_millis(6200)));
}

/// Routers without `ruleSyntax` take the static configuration's `core.defaultRuleSyntax` when
/// the file holds it (a file provider reading the static file itself, as Traefik's integration
/// tests write it); one that says `v3` keeps v3.
#[test]
fn routers_without_a_rule_syntax_take_the_files_default_rule_syntax() {
    let file = "fixtures/traefik/default-rule-syntax.toml";
    let outcome = lint(&[file]);
    // v2: `PathPrefix` takes several paths, each an alternative.
    route(&outcome, "either", "* /pets*");
    route(&outcome, "either", "* /animals*");
    // v3: the same rule is refused where it is written.
    assert_eq!(invalid_values(&outcome), [format!("{file}:16:13")]);
    assert!(outcome
        .diagnostics
        .iter()
        .any(|d| d.rule == "invalid-value" && d.message.contains("takes 1 argument, found 2")));
}

#[test]
fn weighted_services_need_their_load_balancers_checked_and_to_hear_them() {
    let config = "\
http:
  routers:
    sticky:
      rule: Path(`/a`)
      service: hrw
    heard:
      rule: Path(`/b`)
      service: wrr
  services:
    hrw:
      highestRandomWeight:
        services:
          - name: two-servers
          - name: one-server
          - name: idle
            weight: 0
    two-servers:
      loadBalancer:
        servers: [{url: 'http://a'}, {url: 'http://b'}]
    one-server:
      loadBalancer:
        servers: [{url: 'http://c'}]
    idle:
      loadBalancer:
        servers: [{url: 'http://d'}, {url: 'http://e'}]
    wrr:
      weighted:
        healthCheck: {}
        services: [{name: checked-pair}, {name: checked-one}]
    checked-pair:
      loadBalancer:
        healthCheck: {path: /health}
        servers: [{url: 'http://f'}, {url: 'http://g'}]
    checked-one:
      loadBalancer:
        healthCheck: {path: /health}
        servers: [{url: 'http://h'}]
";
    let dir = project(&[("dynamic.yaml".to_string(), config.to_string())]);
    let (_, report) = lint_json(dir.path(), &["dynamic.yaml"]);
    let found: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|finding| finding["rule"] == "health-check-missing")
        .collect();
    let places: Vec<(u64, u64)> = found
        .iter()
        .map(|finding| {
            (
                finding["line"].as_u64().unwrap(),
                finding["column"].as_u64().unwrap(),
            )
        })
        .collect();
    // The load balancer with two servers is a pool of its own, reported where its health check
    // belongs; `hrw` is reported for choosing among services that cannot tell it they are down.
    // `idle` gets no traffic, and `wrr` hears its checked services.
    assert_eq!(places, vec![(10, 5), (17, 5)]);
    assert_eq!(
        found[0]["message"],
        "Traefik upstream `hrw` balances over 2 services, none of them with health checks: it \
         keeps choosing a service whose endpoints are all down"
    );
    let related: Vec<(u64, &str)> = found[0]["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|place| {
            (
                place["line"].as_u64().unwrap(),
                place["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        related,
        vec![
            (17, "service `two-servers` checks no health"),
            (20, "service `one-server` checks no health"),
        ]
    );
    assert!(found[0]["help"]
        .as_str()
        .unwrap()
        .contains("`healthCheck: {}` on the weighted or highestRandomWeight service itself"));
    assert!(found[1]["help"]
        .as_str()
        .unwrap()
        .starts_with("Add `healthCheck` on the service's `loadBalancer`"));
}
