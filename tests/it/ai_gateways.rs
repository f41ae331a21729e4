//! LiteLLM and Portkey adapters: the fallback graph (deployments, edges, triggers), each route's
//! policy with LiteLLM's precedence, the chain's calls and worst case, the AI rules' findings
//! with their locations, and AI routes in `routeguard routes`.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{at, lint_json, located, repo, Located};
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::model::ai::{FallbackGraph, FallbackTrigger};
use routeguard::model::policy::{CircuitBreakerKind, FallbackKind, RetryCondition};
use routeguard::model::{
    GatewayFormat, Method, MethodSet, Origin, PathKind, Policy, Route, Timeout,
};

fn lint_paths(paths: &[&str]) -> LintOutcome {
    let root = repo();
    lint_in(
        &LintOptions {
            paths: paths.iter().map(PathBuf::from).collect(),
            root: Some(root.clone()),
            ..LintOptions::default()
        },
        &root,
    )
    .expect("lints")
}

fn graph<'a>(outcome: &'a LintOutcome, file: &str) -> &'a FallbackGraph {
    outcome
        .inventory
        .fallback_graphs
        .iter()
        .find(|graph| outcome.workspace.file(graph.file).display.ends_with(file))
        .unwrap_or_else(|| panic!("graph of {file}"))
}

fn route<'a>(outcome: &'a LintOutcome, file: &str, name: &str) -> &'a Route {
    outcome
        .inventory
        .routes
        .iter()
        .find(|route| {
            route.name.as_deref() == Some(name)
                && outcome
                    .workspace
                    .file(route.location.file)
                    .display
                    .ends_with(file)
        })
        .unwrap_or_else(|| panic!("route {name} in {file}"))
}

fn line_of(outcome: &LintOutcome, origin: &Origin) -> Option<u32> {
    origin
        .location()
        .map(|location| outcome.workspace.position(location).line)
}

/// `(from, to, trigger)` of every edge, in order.
fn edges(graph: &FallbackGraph) -> Vec<(&str, &str, FallbackTrigger)> {
    graph
        .edges
        .iter()
        .map(|edge| (edge.from.as_str(), edge.to.as_str(), edge.trigger.clone()))
        .collect()
}

/// `(provider, model, api_base)` of every deployment of a group.
fn nodes<'a>(
    graph: &'a FallbackGraph,
    group: &str,
) -> Vec<(Option<&'a str>, Option<&'a str>, Option<&'a str>)> {
    graph
        .group(group)
        .unwrap_or_else(|| panic!("group {group}"))
        .deployments
        .iter()
        .map(|deployment| {
            (
                deployment.provider.as_deref(),
                deployment.model.as_deref(),
                deployment.api_base.as_deref(),
            )
        })
        .collect()
}

/// `routeguard lint` with every rule on, over `paths`: the findings with their locations.
fn findings_with_all_rules(paths: &[&str]) -> Vec<Located> {
    let project = tempfile::tempdir().expect("temp dir");
    let config = project.path().join("routeguard.yaml");
    std::fs::write(&config, "extends: all\n").expect("config");
    let config = config.to_string_lossy().into_owned();
    let mut args = vec!["--config", config.as_str()];
    args.extend_from_slice(paths);
    let (_, report) = lint_json(&repo(), &args);
    // The AI rules and the input checks; the shared resilience rules on these fixtures are
    // asserted in `shared_rules_on_ai_gateways`.
    const AI_RULES: &[&str] = &[
        "ai-timeout-default",
        "fallback-invalid",
        "fallback-same-provider",
        "fallback-trigger-scope",
        "invalid-value",
        "parse-error",
        "route-undocumented",
    ];
    located(&report)
        .into_iter()
        .filter(|(rule, ..)| AI_RULES.contains(&rule.as_str()))
        .collect()
}

fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(value)
}

#[test]
fn litellm_chain_graph_and_policy() {
    let outcome = lint_paths(&["fixtures/litellm/chain.yaml"]);
    let graph = graph(&outcome, "chain.yaml");
    assert_eq!(graph.format, GatewayFormat::LiteLlm);
    let names: Vec<&str> = graph
        .groups
        .iter()
        .map(|group| group.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["gpt-4o", "claude-sonnet", "llama-70b", "text-embedding"]
    );
    // Two Azure regions form one load-balanced group.
    assert_eq!(
        nodes(graph, "gpt-4o"),
        [
            (
                Some("azure"),
                Some("gpt-4o"),
                Some("https://eastus.example.openai.azure.com")
            ),
            (
                Some("azure"),
                Some("gpt-4o"),
                Some("https://westeurope.example.openai.azure.com")
            ),
        ]
    );
    assert_eq!(
        nodes(graph, "llama-70b"),
        [(
            Some("bedrock"),
            Some("meta.llama3-1-70b-instruct-v1:0"),
            None
        )]
    );
    assert_eq!(
        edges(graph),
        [
            ("gpt-4o", "claude-sonnet", FallbackTrigger::General),
            ("gpt-4o", "llama-70b", FallbackTrigger::General),
            ("gpt-4o", "claude-sonnet", FallbackTrigger::ContextWindow),
            ("gpt-4o", "claude-sonnet", FallbackTrigger::ContentPolicy),
        ]
    );
    let second = &graph.edges[1];
    assert_eq!(second.order, 1);
    let position = outcome.workspace.position(second.location);
    assert_eq!((position.line, position.column), (35, 31));
    assert_eq!(outcome.workspace.position(second.declared).line, 35);

    let gpt = route(&outcome, "chain.yaml", "gpt-4o");
    assert_eq!(gpt.format, GatewayFormat::LiteLlm);
    assert_eq!(gpt.methods, MethodSet::Only(vec![Method::Post]));
    assert_eq!(
        (gpt.path.kind, gpt.path.pattern.as_str()),
        (PathKind::Exact, "/v1/chat/completions")
    );
    let policy = &gpt.policy;
    assert!(
        policy.timeout.is_none(),
        "LiteLLM bounds each call, not the whole request"
    );
    let per_try = policy.per_try_timeout.as_ref().expect("per-call bound");
    assert_eq!(per_try.value, seconds(30.0));
    assert_eq!(line_of(&outcome, &per_try.origin), Some(30));
    let retry = policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(line_of(&outcome, &retry.max_retries.origin), Some(29));
    assert!(retry.conditions.contains(&RetryCondition::Timeout));
    assert!(retry.conditions.contains(&RetryCondition::Status(429, 429)));
    assert_eq!(retry.non_idempotent, Some(true));
    let model_fallback = policy
        .fallbacks
        .iter()
        .find(|fallback| fallback.kind == FallbackKind::ModelFallback)
        .expect("model fallback");
    assert_eq!(model_fallback.targets, ["claude-sonnet", "llama-70b"]);
    assert!(policy
        .fallbacks
        .iter()
        .any(|fallback| fallback.kind == FallbackKind::WeightedPool));
    let amplification = policy.amplification.as_ref().expect("amplification");
    assert_eq!(amplification.calls, 9);
    assert_eq!(
        amplification.explanation,
        "3 attempts × 3 model groups (gpt-4o → claude-sonnet → llama-70b) = 9 calls"
    );
    // 3 × 30s + 0.5s + 1s for each Azure and Anthropic run, 3 × 20s + 1.5s for Llama.
    assert_eq!(policy.chain_worst_case, Some(seconds(244.5)));
    assert_eq!(policy.worst_case(), Some(seconds(244.5)));
    assert_eq!(policy.statuses.on_timeout, Some(408));
    let breaker = policy.circuit_breakers.first().expect("cooldown");
    assert_eq!(breaker.kind, CircuitBreakerKind::OutlierEjection);
    assert!(breaker.ineffective.is_none());
    assert_eq!(outcome.workspace.position(breaker.location).line, 32);

    let claude = route(&outcome, "chain.yaml", "claude-sonnet");
    assert!(claude.policy.amplification.is_none());
    assert_eq!(claude.policy.worst_case(), Some(seconds(91.5)));
    let embedding = route(&outcome, "chain.yaml", "text-embedding");
    assert_eq!(embedding.path.pattern, "/v1/embeddings");
    // The deployment's own bound wins over router_settings.
    let llama = graph.group("llama-70b").expect("llama");
    let timeout = llama.deployments[0].timeout.as_ref().expect("timeout");
    assert_eq!(
        (timeout.value, line_of(&outcome, &timeout.origin)),
        (seconds(20.0), Some(21))
    );
    let stream = llama.deployments[0]
        .stream_timeout
        .as_ref()
        .expect("stream timeout");
    assert_eq!(
        (stream.value, line_of(&outcome, &stream.origin)),
        (seconds(10.0), Some(31))
    );
    assert!(findings_with_all_rules(&["fixtures/litellm/chain.yaml"]).is_empty());
}

#[test]
fn litellm_settings_follow_its_precedence() {
    let outcome = lint_paths(&["fixtures/litellm/precedence.yaml"]);
    let graph = graph(&outcome, "precedence.yaml");
    // router_settings.fallbacks replaces litellm_settings.fallbacks whole, and the default list
    // (`fast`) leaves `fast` nothing but itself.
    assert_eq!(edges(graph), [("slow", "fast", FallbackTrigger::General)]);
    let fast = route(&outcome, "precedence.yaml", "fast");
    let slow = route(&outcome, "precedence.yaml", "slow");
    for route in [fast, slow] {
        let retry = route.policy.retry.as_ref().expect("retry");
        assert_eq!(
            retry.max_retries.value, 1,
            "router_settings over litellm_settings"
        );
        assert_eq!(line_of(&outcome, &retry.max_retries.origin), Some(21));
        let backoff = retry.backoff.as_ref().expect("backoff");
        let base = backoff.base.as_ref().expect("base");
        assert_eq!(
            (base.value, line_of(&outcome, &base.origin)),
            (seconds(2.0), Some(23))
        );
    }
    let fast_timeout = fast.policy.per_try_timeout.as_ref().expect("fast timeout");
    assert_eq!(
        (fast_timeout.value, line_of(&outcome, &fast_timeout.origin)),
        (seconds(8.0), Some(7))
    );
    let slow_group = graph.group("slow").expect("slow");
    let slow_timeout = slow_group.deployments[0].timeout.as_ref().expect("timeout");
    assert_eq!(
        (slow_timeout.value, line_of(&outcome, &slow_timeout.origin)),
        (seconds(45.0), Some(22))
    );
    // The OpenAI client's own retry inside each router attempt multiplies the calls.
    let amplification = fast.policy.amplification.as_ref().expect("fast");
    assert_eq!(
        (amplification.calls, amplification.explanation.as_str()),
        (4, "2 attempts × 2 client tries = 4 calls")
    );
    let amplification = slow.policy.amplification.as_ref().expect("slow");
    assert_eq!(
        (amplification.calls, amplification.explanation.as_str()),
        (6, "2 + 4 calls along slow → fast = 6 calls")
    );
    // fast: 4 calls × 8s + the router's 2s wait + the client's 0.5s wait in each attempt.
    assert_eq!(fast.policy.worst_case(), Some(seconds(35.0)));
    // slow: 2 × 45s + 2s, then fast's 35s.
    assert_eq!(slow.policy.worst_case(), Some(seconds(127.0)));
}

#[test]
fn litellm_defaults_are_documented_defaults() {
    let outcome = lint_paths(&["fixtures/litellm/defaults.yaml"]);
    let gpt = route(&outcome, "defaults.yaml", "gpt-4o");
    let per_try = gpt.policy.per_try_timeout.as_ref().expect("default");
    assert_eq!(per_try.value, Duration::from_secs(6000));
    assert_eq!(
        per_try.origin,
        Origin::Default("LiteLLM's default request_timeout of 6000s in LiteLLM v1.59+")
    );
    let retry = gpt.policy.retry.as_ref().expect("default retries");
    assert_eq!(retry.max_retries.value, 2);
    assert!(!retry.max_retries.origin.is_explicit());
}

#[test]
fn litellm_default_fallbacks_are_walked_as_litellm_walks_them() {
    let outcome = lint_paths(&["fixtures/litellm/default-fallbacks.yaml"]);
    let graph = graph(&outcome, "default-fallbacks.yaml");
    assert_eq!(
        edges(graph),
        [
            ("gpt-4o", "claude-sonnet", FallbackTrigger::General),
            ("gpt-4o-mini", "claude-sonnet", FallbackTrigger::Default),
            ("gpt-4o-mini", "claude-haiku", FallbackTrigger::Default),
            ("claude-sonnet", "claude-haiku", FallbackTrigger::Default),
            ("claude-haiku", "claude-sonnet", FallbackTrigger::Default),
        ]
    );
    assert!(graph.edges.iter().skip(1).all(|edge| !edge.explicit));
    // The two Claude groups fall back to each other until max_fallbacks (5) hops: ten runs.
    let mini = route(&outcome, "default-fallbacks.yaml", "gpt-4o-mini");
    let amplification = mini.policy.amplification.as_ref().expect("amplification");
    assert_eq!(amplification.calls, 20);
    assert_eq!(
        amplification.explanation,
        "2 attempts × 10 model groups (gpt-4o-mini → claude-sonnet → claude-haiku → \
         claude-sonnet → claude-haiku → claude-sonnet → claude-haiku → claude-sonnet → \
         claude-haiku → claude-sonnet) = 20 calls"
    );
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/default-fallbacks.yaml"]),
        [
            at(
                "fallback-same-provider",
                "fixtures/litellm/default-fallbacks.yaml",
                22,
                3
            ),
            at(
                "fallback-same-provider",
                "fixtures/litellm/default-fallbacks.yaml",
                22,
                3
            ),
            at(
                "fallback-invalid",
                "fixtures/litellm/default-fallbacks.yaml",
                22,
                38
            ),
        ]
    );
}

#[test]
fn litellm_retries_authentication_errors_only_with_another_deployment() {
    // LiteLLM's `should_retry_this_error` raises an AuthenticationError at once in a group of
    // one deployment, whatever `retry_policy` says; with two, the 401 cools the deployment down
    // and the retry goes to the other key: a failover, not a client error asked again.
    let file = "fixtures/litellm/retry-policy.yaml";
    let outcome = lint_paths(&[file]);
    let single = route(&outcome, file, "gpt-4o").policy.retry.as_ref();
    let single = single.expect("num_retries 1");
    assert_eq!(single.max_retries.value, 1);
    let authentication =
        RetryCondition::Other("authentication error, on another deployment".to_string());
    assert!(!single.conditions.contains(&authentication));
    let pool = route(&outcome, file, "claude-sonnet").policy.retry.as_ref();
    let pool = pool.expect("retry_policy");
    assert_eq!(pool.max_retries.value, 3);
    assert!(pool.conditions.contains(&authentication));
    assert!(!pool.conditions.contains(&RetryCondition::Status(401, 401)));
    let (_, report) = lint_json(
        &repo(),
        &["--config", "fixtures/config/valid/all.yaml", file],
    );
    let client_errors = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "retry-on-client-error")
        .count();
    assert_eq!(client_errors, 0, "{report}");
}

#[test]
fn litellm_retry_policy_counts_replace_num_retries_per_class() {
    // `get_num_retries_from_retry_policy` (litellm/router_utils/get_retry_from_policy.py) gives
    // a named class its own count and leaves `num_retries` to every other error.
    let per_class = "fixtures/litellm/retry-policy-per-class.yaml";
    let plain = "fixtures/litellm/retry-policy-num-retries.yaml";
    let outcome = lint_paths(&[per_class, plain]);
    let lowered = route(&outcome, per_class, "gpt-4o");
    let retry = lowered.policy.retry.as_ref().expect("retry");
    // `TimeoutErrorRetries: 0` stops timeouts from being retried, so a run is one 10s call,
    // while rate limits, retried 6 times, decide the count.
    assert!(!retry.conditions.contains(&RetryCondition::Timeout));
    assert!(retry.conditions.contains(&RetryCondition::Status(429, 429)));
    assert_eq!(retry.max_retries.value, 6);
    assert_eq!(line_of(&outcome, &retry.max_retries.origin), Some(16));
    assert_eq!(lowered.policy.worst_case(), Some(seconds(10.0)));
    // Without the policy, `num_retries: 2` retries timeouts too: 3 calls of 10s and the waits.
    let plain_route = route(&outcome, plain, "gpt-4o");
    let retry = plain_route.policy.retry.as_ref().expect("retry");
    assert!(retry.conditions.contains(&RetryCondition::Timeout));
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(plain_route.policy.worst_case(), Some(seconds(31.5)));
    // The raised `RateLimitErrorRetries` is excessive where it is written; the larger
    // `AuthenticationErrorRetries` is not, as a group of one deployment never retries a 401,
    // and `num_retries: 2` alone stays within the limit.
    let (_, report) = lint_json(&repo(), &[per_class, plain]);
    let excessive: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "retry-excessive")
        .collect();
    assert_eq!(excessive, [at("retry-excessive", per_class, 16, 28)]);
    let message = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "retry-excessive")
        .and_then(|d| d["message"].as_str())
        .unwrap_or_default();
    assert!(
        message.contains("retries up to 6 times (`retry_policy.RateLimitErrorRetries`)"),
        "{message}"
    );
}

#[test]
fn litellm_group_retry_policies_and_deployment_retries_replace_the_routers() {
    // `get_num_retries_from_retry_policy` takes a group's `model_group_retry_policy` entry in
    // place of `retry_policy`, and `Router.async_function_with_retries` takes a deployment's
    // own `num_retries` (carried on its failed call) in place of the router's.
    let file = "fixtures/litellm/retry-policy-per-group.yaml";
    let outcome = lint_paths(&[file]);
    let own_policy = route(&outcome, file, "gpt-4o");
    let retry = own_policy.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 6);
    assert_eq!(line_of(&outcome, &retry.max_retries.origin), Some(27));
    // The group's policy does not retry timeouts: one 30s call is the longest run.
    assert!(!retry.conditions.contains(&RetryCondition::Timeout));
    assert_eq!(own_policy.policy.worst_case(), Some(seconds(30.0)));
    let router_policy = route(&outcome, file, "claude-sonnet");
    let retry = router_policy.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(line_of(&outcome, &retry.max_retries.origin), Some(24));
    let own_count = route(&outcome, file, "llama-70b");
    let retry = own_count.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 5);
    assert_eq!(own_count.policy.worst_case(), Some(seconds(195.5)));
    let (_, report) = lint_json(&repo(), &[file]);
    let excessive: Vec<_> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "retry-excessive")
        .map(|d| {
            (
                d["line"].as_u64(),
                d["column"].as_u64(),
                d["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("(`model_group_retry_policy.gpt-4o.RateLimitErrorRetries`)")
                    || d["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("(`litellm_params.num_retries`)"),
            )
        })
        .collect();
    // `claude-sonnet`'s 2 retries stay within the limit.
    assert_eq!(
        excessive,
        [(Some(18), Some(20), true), (Some(27), Some(30), true)]
    );
}

#[test]
fn litellm_real_proxy_config() {
    let outcome = lint_paths(&["fixtures/litellm/proxy_server_config.yaml"]);
    let graph = graph(&outcome, "proxy_server_config.yaml");
    assert_eq!(graph.groups.len(), 17);
    assert_eq!(
        nodes(graph, "gpt-3.5-turbo-end-user-test"),
        [
            (Some("openai"), Some("gpt-3.5-turbo"), None),
            (
                Some("azure"),
                Some("chatgpt-v-2"),
                Some("https://openai-gpt-4-test-v-1.openai.azure.com/")
            ),
        ]
    );
    // `openai/` pointed at another server: the server, not OpenAI, is the provider.
    assert_eq!(
        nodes(graph, "fake-openai-endpoint"),
        [(
            None,
            Some("fake"),
            Some("https://exampleopenaiendpoint-production.up.railway.app/")
        )]
    );
    let end_user = graph.group("gpt-3.5-turbo-end-user-test").expect("group");
    assert_eq!(end_user.aliases, ["1"], "model_info.id");
    let alias_target = graph.group("fake-openai-endpoint-3").expect("group");
    assert_eq!(alias_target.aliases, ["my-special-fake-model-alias-name"]);
    assert_eq!(
        edges(graph),
        [(
            "gpt-3.5-turbo",
            "gpt-3.5-turbo-large",
            FallbackTrigger::ContextWindow
        )]
    );
    let paths: Vec<(&str, &str)> = [
        "text-embedding-ada-002",
        "openai-dall-e-3",
        "dall-e-2",
        "gpt-instruct",
        "gpt-4",
    ]
    .iter()
    .map(|name| {
        (
            *name,
            route(&outcome, "proxy_server_config.yaml", name)
                .path
                .pattern
                .as_str(),
        )
    })
    .collect();
    assert_eq!(
        paths,
        [
            ("text-embedding-ada-002", "/v1/embeddings"),
            ("openai-dall-e-3", "/v1/images/generations"),
            ("dall-e-2", "/v1/images/generations"),
            ("gpt-instruct", "/v1/completions"),
            ("gpt-4", "/v1/chat/completions"),
        ]
    );
    // litellm_settings: num_retries 5, request_timeout 600; gpt-4 sets its own 300s.
    let gpt4 = route(&outcome, "proxy_server_config.yaml", "gpt-4");
    let per_try = gpt4.policy.per_try_timeout.as_ref().expect("timeout");
    assert_eq!(
        (per_try.value, line_of(&outcome, &per_try.origin)),
        (seconds(300.0), Some(34))
    );
    let instruct = route(&outcome, "proxy_server_config.yaml", "gpt-instruct");
    let per_try = instruct.policy.per_try_timeout.as_ref().expect("timeout");
    assert_eq!(
        (per_try.value, line_of(&outcome, &per_try.origin)),
        (seconds(600.0), Some(121))
    );
    let retry = instruct.policy.retry.as_ref().expect("retry");
    assert_eq!(
        (
            retry.max_retries.value,
            line_of(&outcome, &retry.max_retries.origin)
        ),
        (5, Some(120))
    );
    // 6 attempts × 600s + 0.5 + 1 + 2 + 4 + 8 seconds of waits.
    assert_eq!(instruct.policy.worst_case(), Some(seconds(3615.5)));
    // The real config's only fallbacks are for an exceeded context window.
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/proxy_server_config.yaml"]),
        [at(
            "fallback-trigger-scope",
            "fixtures/litellm/proxy_server_config.yaml",
            123,
            31
        )]
    );
}

#[test]
fn litellm_real_reliability_example() {
    let outcome = lint_paths(&["fixtures/litellm/reliability-docs.yaml"]);
    let graph = graph(&outcome, "reliability-docs.yaml");
    assert_eq!(
        nodes(graph, "zephyr-beta")
            .iter()
            .map(|(_, _, base)| base.unwrap_or_default())
            .collect::<Vec<_>>(),
        [
            "http://0.0.0.0:8001",
            "http://0.0.0.0:8002",
            "http://0.0.0.0:8003"
        ]
    );
    assert_eq!(
        edges(graph),
        [("zephyr-beta", "gpt-3.5-turbo", FallbackTrigger::General)]
    );
    let zephyr = route(&outcome, "reliability-docs.yaml", "zephyr-beta");
    let amplification = zephyr.policy.amplification.as_ref().expect("amplification");
    assert_eq!(
        (amplification.calls, amplification.explanation.as_str()),
        (
            8,
            "4 attempts × 2 model groups (zephyr-beta → gpt-3.5-turbo) = 8 calls"
        )
    );
    assert_eq!(
        outcome.workspace.position(amplification.location).line,
        26,
        "the fallbacks entry"
    );
    // 4 × 10s + 3.5s of waits, for each group.
    assert_eq!(zephyr.policy.worst_case(), Some(seconds(87.0)));
    assert!(findings_with_all_rules(&["fixtures/litellm/reliability-docs.yaml"]).is_empty());
}

#[test]
fn litellm_load_balancer_example_is_left_on_defaults() {
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/load_balancer.yaml"]),
        [
            at(
                "ai-timeout-default",
                "fixtures/litellm/load_balancer.yaml",
                6,
                5
            ),
            at(
                "ai-timeout-default",
                "fixtures/litellm/load_balancer.yaml",
                21,
                5
            ),
        ]
    );
}

#[test]
fn fallback_invalid_reports_undefined_targets_self_and_the_whole_cycle() {
    let file = "fixtures/litellm/cycle.yaml";
    assert_eq!(
        findings_with_all_rules(&[file]),
        [
            at("fallback-invalid", file, 22, 16),
            at("fallback-invalid", file, 22, 31),
            at("fallback-invalid", file, 24, 20),
            at("fallback-invalid", file, 25, 7),
        ]
    );
    let (_, report) = lint_json(&repo(), &[file]);
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let cycle = diagnostics
        .iter()
        .find(|d| d["rule"] == "fallback-invalid")
        .expect("the cycle finding");
    assert_eq!(cycle["severity"], "error");
    assert!(
        cycle["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("fallback cycle `gpt-4o` → `claude-sonnet` → `gemini-pro` → `gpt-4o`"),
        "{}",
        cycle["message"]
    );
    let hops: Vec<(u64, u64)> = cycle["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|related| {
            (
                related["line"].as_u64().unwrap_or_default(),
                related["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(hops, [(22, 16), (23, 23), (24, 32)]);
    let invalid: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "fallback-invalid")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(invalid[1].contains("falls back to `gpt-5`, which is not a model group"));
    // A fallback to a deployment's model_info.id is valid, and does not continue with the
    // group's fallbacks: llama → gemini-primary ends there.
    let outcome = lint_paths(&[file]);
    let llama = route(&outcome, "cycle.yaml", "llama");
    assert_eq!(
        llama.policy.amplification.as_ref().map(|a| a.calls),
        Some(4)
    );
    // gpt-4o walks the loop until max_fallbacks: six runs of two attempts.
    let gpt = route(&outcome, "cycle.yaml", "gpt-4o");
    assert_eq!(gpt.policy.amplification.as_ref().map(|a| a.calls), Some(12));
    assert_eq!(
        gpt.policy
            .fallbacks
            .iter()
            .find(|fallback| fallback.kind == FallbackKind::ModelFallback)
            .map(|fallback| fallback.targets.clone()),
        Some(vec!["claude-sonnet".to_string(), "gemini-pro".to_string()])
    );
}

#[test]
fn same_provider_and_trigger_scope_findings() {
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/same-provider.yaml"]),
        [
            at(
                "fallback-same-provider",
                "fixtures/litellm/same-provider.yaml",
                22,
                7
            ),
            at(
                "fallback-same-provider",
                "fixtures/litellm/same-provider.yaml",
                23,
                7
            ),
        ]
    );
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/context-window-only.yaml"]),
        [at(
            "fallback-trigger-scope",
            "fixtures/litellm/context-window-only.yaml",
            14,
            7
        )]
    );
    assert_eq!(
        findings_with_all_rules(&["fixtures/litellm/defaults.yaml"]),
        [
            at("ai-timeout-default", "fixtures/litellm/defaults.yaml", 3, 5),
            at(
                "ai-timeout-default",
                "fixtures/litellm/defaults.yaml",
                11,
                23
            ),
        ]
    );
}

#[test]
fn portkey_nested_targets() {
    let outcome = lint_paths(&["fixtures/portkey/nested.yaml"]);
    let graph = graph(&outcome, "nested.yaml");
    assert_eq!(graph.format, GatewayFormat::Portkey);
    let names: Vec<&str> = graph
        .groups
        .iter()
        .map(|group| group.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "targets[0].targets[0]",
            "targets[0].targets[1]",
            "targets[1]"
        ]
    );
    assert_eq!(
        nodes(graph, "targets[0].targets[1]"),
        [(Some("anthropic"), Some("claude-sonnet-4-5"), None)]
    );
    assert_eq!(
        nodes(graph, "targets[1]"),
        [(
            Some("azure-openai"),
            Some("gpt-4o"),
            Some("https://eastus.example.openai.azure.com")
        )]
    );
    assert_eq!(
        edges(graph),
        [(
            "targets[0].targets[0]",
            "targets[0].targets[1]",
            FallbackTrigger::Statuses(vec![408, 429, 500, 502, 503, 504])
        )]
    );
    let edge = &graph.edges[0];
    assert_eq!(outcome.workspace.position(edge.location).line, 21);
    assert_eq!(outcome.workspace.position(edge.declared).line, 12);
    // request_timeout is inherited by every target.
    for group in &graph.groups {
        let timeout = group.deployments[0].timeout.as_ref().expect("inherited");
        assert_eq!(
            (timeout.value, line_of(&outcome, &timeout.origin)),
            (seconds(10.0), Some(3))
        );
    }

    let config = route(&outcome, "nested.yaml", "nested");
    assert_eq!(config.format, GatewayFormat::Portkey);
    assert_eq!(config.path.pattern, "/v1/chat/completions");
    assert_eq!(config.methods, MethodSet::Only(vec![Method::Post]));
    let policy = &config.policy;
    assert!(policy.timeout.is_none());
    assert_eq!(
        policy.per_try_timeout.as_ref().map(|t| t.value),
        Some(seconds(10.0))
    );
    // The costliest pick of the load balancer: the fallback chain, Anthropic's own retry
    // replacing the inherited one.
    let retry = policy.retry.as_ref().expect("retry");
    assert_eq!(
        (
            retry.max_retries.value,
            line_of(&outcome, &retry.max_retries.origin)
        ),
        (4, Some(24))
    );
    assert_eq!(
        retry.conditions,
        [
            RetryCondition::Status(429, 429),
            RetryCondition::Status(529, 529)
        ]
    );
    let amplification = policy.amplification.as_ref().expect("amplification");
    assert_eq!(
        (amplification.calls, amplification.explanation.as_str()),
        (8, "3 + 5 calls along gpt-4o → claude-sonnet-4-5 = 8 calls")
    );
    // OpenAI: 3 × 10s + 1s + 2s; Anthropic: 5 × 10s + 1 + 2 + 4 + 8s.
    assert_eq!(policy.worst_case(), Some(seconds(98.0)));
    let breaker = policy.circuit_breakers.first().expect("cb_config");
    assert_eq!(outcome.workspace.position(breaker.location).line, 14);
    assert!(findings_with_all_rules(&["fixtures/portkey/nested.yaml"]).is_empty());
}

#[test]
fn portkey_real_cookbook_configs() {
    let outcome = lint_paths(&["fixtures/portkey"]);
    let mistral = graph(&outcome, "mistral-semantic-fallback.json");
    assert_eq!(
        nodes(mistral, "targets[0]"),
        [(Some("mistral-ai"), Some("mistral-medium"), None)]
    );
    assert_eq!(
        edges(mistral),
        [("targets[0]", "targets[1]", FallbackTrigger::AnyFailure)]
    );
    let unbounded = route(
        &outcome,
        "mistral-semantic-fallback.json",
        "mistral-semantic-fallback",
    );
    assert_eq!(
        unbounded
            .policy
            .timeout
            .as_ref()
            .map(|timeout| timeout.value),
        Some(Timeout::Unbounded)
    );
    assert_eq!(unbounded.policy.worst_case(), None);

    // A load balancer picks one target and never tries another.
    let balanced = graph(&outcome, "vercel-loadbalance.json");
    assert_eq!(balanced.groups.len(), 3);
    assert!(balanced.edges.is_empty());
    let balanced_route = route(&outcome, "vercel-loadbalance.json", "vercel-loadbalance");
    assert!(balanced_route.policy.fallbacks.is_empty());

    let resilient = route(
        &outcome,
        "resilient-loadbalance.json",
        "resilient-loadbalance",
    );
    let amplification = resilient.policy.amplification.as_ref().expect("chain");
    assert_eq!(
        amplification.explanation,
        "1 attempt × 2 targets (openai-virtual-key → azure-openai-virtual-key) = 2 calls"
    );

    let retry = route(
        &outcome,
        "retry-on-rate-limits.json",
        "retry-on-rate-limits",
    );
    let spec = retry.policy.retry.as_ref().expect("retry");
    assert_eq!(spec.max_retries.value, 3);
    assert_eq!(spec.conditions, [RetryCondition::Status(429, 429)]);
    assert!(retry.policy.amplification.is_none());

    assert_eq!(
        findings_with_all_rules(&[
            "fixtures/portkey/mistral-semantic-fallback.json",
            "fixtures/portkey/vercel-fallback.json",
            "fixtures/portkey/vercel-loadbalance.json",
            "fixtures/portkey/resilient-loadbalance.json",
            "fixtures/portkey/retry-on-rate-limits.json",
            "fixtures/portkey/scoped.json",
        ]),
        [
            at(
                "fallback-same-provider",
                "fixtures/portkey/mistral-semantic-fallback.json",
                3,
                14
            ),
            at(
                "fallback-trigger-scope",
                "fixtures/portkey/mistral-semantic-fallback.json",
                3,
                14
            ),
            at(
                "fallback-trigger-scope",
                "fixtures/portkey/resilient-loadbalance.json",
                15,
                19
            ),
            at(
                "fallback-trigger-scope",
                "fixtures/portkey/scoped.json",
                5,
                24
            ),
            at(
                "fallback-trigger-scope",
                "fixtures/portkey/scoped.json",
                5,
                24
            ),
            at("fallback-invalid", "fixtures/portkey/scoped.json", 10, 7),
            at(
                "fallback-trigger-scope",
                "fixtures/portkey/vercel-fallback.json",
                2,
                15
            ),
        ]
    );
}

#[test]
fn invalid_values_are_reported_where_written() {
    let litellm = "fixtures/litellm/invalid.yaml";
    let portkey = "fixtures/portkey/invalid.json";
    let found = findings_with_all_rules(&[litellm, portkey]);
    let invalid: Vec<&Located> = found
        .iter()
        .filter(|finding| finding.0 == "invalid-value")
        .collect();
    let expected = [
        at("invalid-value", litellm, 6, 16),
        at("invalid-value", litellm, 7, 20),
        at("invalid-value", litellm, 10, 7),
        at("invalid-value", litellm, 11, 5),
        at("invalid-value", litellm, 15, 12),
        at("invalid-value", litellm, 16, 16),
        at("invalid-value", litellm, 19, 5),
        at("invalid-value", litellm, 21, 7),
        at("invalid-value", litellm, 23, 7),
        at("invalid-value", portkey, 2, 22),
        at("invalid-value", portkey, 3, 26),
        at("invalid-value", portkey, 3, 54),
        at("invalid-value", portkey, 3, 61),
        at("invalid-value", portkey, 9, 16),
        at("invalid-value", portkey, 17, 73),
        at("invalid-value", portkey, 21, 47),
    ];
    assert_eq!(invalid, expected.iter().collect::<Vec<_>>());
    // What cannot be read is treated as not set, never as zero.
    let outcome = lint_paths(&[litellm]);
    let gpt = route(&outcome, "invalid.yaml", "gpt-4o");
    assert!(!gpt
        .policy
        .per_try_timeout
        .as_ref()
        .expect("default")
        .origin
        .is_explicit());
    assert_eq!(
        gpt.policy
            .retry
            .as_ref()
            .map(|retry| retry.max_retries.value),
        Some(2),
        "`num_retries: two` leaves LiteLLM's default"
    );
}

#[test]
fn every_model_group_joins_the_operation_it_serves() {
    let outcome = lint_paths(&[
        "fixtures/litellm/assistant-api.yaml",
        "fixtures/litellm/chain.yaml",
    ]);
    let operation = outcome
        .inventory
        .operations
        .iter()
        .position(|operation| operation.path == "/chat/completions")
        .expect("operation");
    let mut groups: Vec<&str> = outcome
        .join
        .routes_of(operation)
        .filter_map(|link| outcome.inventory.routes[link.route].name.as_deref())
        .collect();
    groups.sort_unstable();
    assert_eq!(groups, ["claude-sonnet", "gpt-4o", "llama-70b"]);
    assert_eq!(
        findings_with_all_rules(&[
            "fixtures/litellm/assistant-api.yaml",
            "fixtures/litellm/chain.yaml"
        ]),
        [at(
            "route-undocumented",
            "fixtures/litellm/chain.yaml",
            22,
            5
        )],
        "only the embeddings group has no operation"
    );
}

#[test]
fn routes_show_ai_chains_and_worst_case() {
    let result = common::run(
        &repo(),
        &["routes", "--format", "json", "fixtures/litellm/chain.yaml"],
    );
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let gpt = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|row| row["name"] == "gpt-4o")
        .expect("gpt-4o row");
    assert_eq!(gpt["layer"], "ai");
    assert_eq!(gpt["format"], "litellm");
    assert_eq!(gpt["method"], "POST");
    assert_eq!(gpt["path"], "/v1/chat/completions");
    assert_eq!(
        gpt["fallback_chain"],
        serde_json::json!(["gpt-4o", "claude-sonnet", "llama-70b"])
    );
    assert_eq!(gpt["calls_per_request"], 9);
    assert_eq!(gpt["worst_case_ms"], 244_500);
    assert_eq!(gpt["per_try_timeout_ms"], 30_000);
    let claude = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|row| row["name"] == "claude-sonnet")
        .expect("claude row");
    assert!(claude["fallback_chain"].is_null());
    assert!(claude["calls_per_request"].is_null());

    let table = common::run(&repo(), &["routes", "fixtures/litellm/chain.yaml"]).stdout;
    let row = table
        .lines()
        .find(|line| line.contains("(gpt-4o)"))
        .expect("gpt-4o row");
    assert!(
        row.contains("gpt-4o → claude-sonnet → llama-70b, weighted pool"),
        "{row}"
    );
    assert!(row.contains("244.5s"), "{row}");
}

#[test]
fn a_chain_worst_case_is_capped_by_a_total_timeout() {
    let policy = Policy {
        chain_worst_case: Some(seconds(90.0)),
        timeout: Some(routeguard::model::Sourced::default(
            Timeout::Bounded(seconds(60.0)),
            "a test",
        )),
        ..Policy::default()
    };
    assert_eq!(policy.worst_case(), Some(seconds(60.0)));
    assert_eq!(
        Policy {
            timeout: None,
            ..policy
        }
        .worst_case(),
        Some(seconds(90.0))
    );
}

#[test]
fn pathological_chains_finish() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(project.path()).expect("canonical");
    std::fs::create_dir(root.join(".git")).expect(".git");
    // Three groups falling back to each other, with a huge max_fallbacks: the walk grows
    // exponentially and is cut short.
    std::fs::write(
        root.join("litellm.yaml"),
        "model_list:\n\
         \x20 - {model_name: a, litellm_params: {model: openai/gpt-4o}}\n\
         \x20 - {model_name: b, litellm_params: {model: anthropic/claude-sonnet-4-5}}\n\
         \x20 - {model_name: c, litellm_params: {model: groq/llama-3.3-70b}}\n\
         router_settings:\n\
         \x20 timeout: 10\n\
         \x20 max_fallbacks: 4000000000\n\
         \x20 fallbacks: [{a: [b, c, x]}, {b: [a, c]}, {c: [a, b]}, {x: [y]}, {y: [x]}]\n",
    )
    .expect("litellm");
    // Targets nested deep.
    let mut nested = String::from(r#"{"provider": "openai", "api_key": "k"}"#);
    for _ in 0..120 {
        nested = format!(
            r#"{{"strategy": {{"mode": "fallback"}}, "targets": [{nested}, {{"provider": "groq", "api_key": "k"}}]}}"#
        );
    }
    std::fs::write(root.join("portkey.json"), nested).expect("portkey");
    let outcome = lint_in(
        &LintOptions {
            paths: vec![PathBuf::from(".")],
            root: Some(root.clone()),
            ..LintOptions::default()
        },
        &root,
    )
    .expect("lints");
    let a = route(&outcome, "litellm.yaml", "a");
    let amplification = a.policy.amplification.as_ref().expect("amplification");
    assert!(amplification.calls >= 1000, "{}", amplification.calls);
    assert!(
        amplification.explanation.contains("= at least "),
        "{}",
        amplification.explanation
    );
    let portkey = route(&outcome, "portkey.json", "portkey");
    assert_eq!(
        portkey.policy.amplification.as_ref().map(|a| a.calls),
        Some(121)
    );
}

/// The resilience rules shared with the other gateways, on AI gateway routes.
#[test]
fn shared_rules_on_ai_gateways() {
    // A chain of model groups against the latency the spec promises.
    let (_, report) = lint_json(
        &repo(),
        &[
            "fixtures/litellm/assistant-api.yaml",
            "fixtures/litellm/chain.yaml",
        ],
    );
    let sla: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "timeout-exceeds-sla")
        .collect();
    assert_eq!(
        sla,
        [at(
            "timeout-exceeds-sla",
            "fixtures/litellm/chain.yaml",
            35,
            7
        )]
    );
    let message = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "timeout-exceeds-sla")
        .and_then(|d| d["message"].as_str())
        .unwrap_or_default();
    assert!(
        message.contains("promises clients at most 1m")
            && message.contains("3 attempts × 3 model groups (gpt-4o → claude-sonnet → llama-70b) = 9 calls taking up to 244.5s"),
        "{message}"
    );
    // LiteLLM's real proxy configuration: 5 retries, and 6 attempts of 5 or 10 minutes.
    let file = "fixtures/litellm/proxy_server_config.yaml";
    let (_, report) = lint_json(&repo(), &[file]);
    let found: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "retry-excessive" || rule == "timeout-out-of-bounds")
        .collect();
    assert_eq!(
        found,
        [
            at("timeout-out-of-bounds", file, 25, 16),
            at("timeout-out-of-bounds", file, 34, 16),
            at("retry-excessive", file, 120, 16),
            at("timeout-out-of-bounds", file, 121, 20),
        ]
    );
    // Portkey without `request_timeout` waits forever: an error, not a default to live with.
    let file = "fixtures/portkey/vercel-fallback.json";
    let (_, report) = lint_json(&repo(), &[file]);
    let missing: Vec<_> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "timeout-missing")
        .map(|d| (d["line"].as_u64(), d["severity"].as_str()))
        .collect();
    assert_eq!(missing, [(Some(2), Some("error"))]);
    // Under the recommended preset, an AI model group with no fallback is an info (a single
    // model is often a deliberate choice), while the end of another group's chain is not
    // reported.
    let file = "fixtures/litellm/reliability-docs.yaml";
    let (_, report) = lint_json(&repo(), &[file]);
    let no_fallback: Vec<_> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "fallback-missing")
        .map(|d| (d["line"].as_u64(), d["severity"].as_str()))
        .collect();
    assert_eq!(no_fallback, [(Some(18), Some("info"))]);
    // Retries inside an AI chain are by design: only above `max-product` are they reported.
    let (_, report) = lint_json(&repo(), &["fixtures/litellm/chain.yaml"]);
    assert!(report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .all(|d| d["rule"] != "retry-amplification"));
}

#[test]
fn litellm_disabled_cooldowns_are_a_breaker_that_never_trips() {
    // `disable_cooldowns: true` outweighs `allowed_fails` and `cooldown_time`: the finding points
    // at it, not at the counts.
    let file = "fixtures/litellm/cooldowns-disabled.yaml";
    let (_, report) = lint_json(
        &repo(),
        &["--config", "fixtures/config/valid/all.yaml", file],
    );
    let ineffective: Vec<_> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "circuit-breaker-ineffective")
        .map(|d| (d["line"].as_u64(), d["column"].as_u64()))
        .collect();
    assert_eq!(ineffective, [(Some(17), Some(3))]);
}

#[test]
fn litellm_cooldowns_spare_the_only_deployment_of_a_group() {
    // `_should_cooldown_deployment` (litellm/router_utils/cooldown_handlers.py) keeps a group's
    // only deployment in the pool under the default policy, `allowed_fails: 3` being the
    // default; `allowed_fails_policy` selects the legacy policy, which cools it down too.
    let spared = "fixtures/litellm/cooldowns-single-deployment.yaml";
    let legacy = "fixtures/litellm/cooldowns-allowed-fails-policy.yaml";
    let outcome = lint_paths(&[spared, legacy]);
    assert!(route(&outcome, spared, "claude-sonnet")
        .policy
        .circuit_breakers
        .is_empty());
    assert_eq!(
        route(&outcome, spared, "gpt-4o")
            .policy
            .circuit_breakers
            .len(),
        1
    );
    assert_eq!(
        route(&outcome, legacy, "claude-sonnet")
            .policy
            .circuit_breakers
            .len(),
        1
    );
    let (_, report) = lint_json(&repo(), &[spared, legacy]);
    let missing: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "circuit-breaker-missing")
        .collect();
    assert_eq!(missing, [at("circuit-breaker-missing", spared, 12, 5)]);
}

#[test]
fn portkey_loadbalance_counts_every_target_it_can_pick() {
    // `tryTargetsRecursively` (src/handlers/handlerUtils.ts) sends a request to one target of
    // non-zero weight, with that target's own `request_timeout` and `retry`: a pick without a
    // timeout leaves the route unbounded even when the costliest pick has one.
    let unbounded = "fixtures/portkey/loadbalance-unbounded-pick.json";
    let bounded = "fixtures/portkey/loadbalance-bounded-picks.json";
    let outcome = lint_paths(&[unbounded, bounded]);
    let policy = &route(&outcome, unbounded, "loadbalance-unbounded-pick").policy;
    assert_eq!(
        policy.timeout.as_ref().map(|t| t.value),
        Some(Timeout::Unbounded)
    );
    assert!(policy.per_try_timeout.is_none());
    assert_eq!(policy.worst_case(), None);
    let policy = &route(&outcome, bounded, "loadbalance-bounded-picks").policy;
    assert!(policy.timeout.is_none());
    assert_eq!(
        policy.per_try_timeout.as_ref().map(|t| t.value),
        Some(seconds(30.0))
    );
    assert_eq!(
        policy.retry.as_ref().map(|retry| retry.max_retries.value),
        Some(3)
    );
    let (_, report) = lint_json(&repo(), &[unbounded, bounded]);
    let missing: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "timeout-missing")
        .collect();
    assert_eq!(missing, [at("timeout-missing", unbounded, 2, 3)]);
}

#[test]
fn portkey_prompt_targets_are_the_models_of_their_prompts() {
    // Two prompts are two deployments (each template names its own model); the same prompt
    // again only repeats the call that failed.
    let file = "fixtures/portkey/prompt-targets.json";
    assert_eq!(
        findings_with_all_rules(&[file]),
        [at("fallback-invalid", file, 6, 7)]
    );
}

#[test]
fn portkey_breakers_protect_only_where_a_strategy_chooses_among_targets() {
    // The gateway drops targets whose circuit is open from a strategy's `targets` unless none
    // would be left (`tryTargetsRecursively`, src/handlers/handlerUtils.ts), and Portkey's
    // circuit-breaker page says `conditional` strategies are not evaluated: a `cb_config` on a
    // conditional strategy protects only the `fallback` or `loadbalance` strategies under it
    // that inherit it.
    let conditional = "fixtures/portkey/breaker-on-conditional.json";
    let inherited = "fixtures/portkey/breaker-inherited.json";
    let outcome = lint_paths(&[conditional, inherited]);
    let policy = &route(&outcome, conditional, "breaker-on-conditional").policy;
    assert!(policy.circuit_breakers.is_empty());
    let policy = &route(&outcome, inherited, "breaker-inherited").policy;
    let breaker = policy
        .circuit_breakers
        .first()
        .expect("inherited cb_config");
    assert_eq!(common::line_column(&outcome, breaker.location), (8, 18));
    assert_eq!(policy.circuit_breakers.len(), 1);

    let (_, report) = lint_json(&repo(), &[conditional, inherited]);
    let missing: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule.starts_with("circuit-breaker"))
        .collect();
    assert_eq!(missing, [at("circuit-breaker-missing", conditional, 2, 3)]);
    let help = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|finding| finding["rule"] == "circuit-breaker-missing")
        .and_then(|finding| finding["help"].as_str())
        .expect("help");
    assert!(help.contains("`fallback` or `loadbalance` strategy of two or more targets"));
    assert!(help.contains("does not evaluate `conditional` strategies"));
}

#[test]
fn portkey_breaker_over_one_target_protects_nothing() {
    // With every target's circuit open the strategy keeps its targets, so one target is
    // always called.
    let project = common::project(&[(
        "one-target.json",
        br#"{
  "strategy": {
    "mode": "fallback",
    "cb_config": { "failure_threshold": 5, "cooldown_interval": 60000 }
  },
  "request_timeout": 20000,
  "targets": [
    { "provider": "openai", "api_key": "sk-openai", "override_params": { "model": "gpt-4o" } }
  ]
}
"#,
    )]);
    let (_, report) = lint_json(project.path(), &["one-target.json"]);
    let breakers: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule.starts_with("circuit-breaker"))
        .collect();
    assert_eq!(
        breakers,
        [at("circuit-breaker-missing", "one-target.json", 2, 3)]
    );
}
