//! Gateway semantics found wrong on real configurations, each on a minimal file that reproduces
//! the real case: the rule, line and column of what must be reported, and a case that must not.

use crate::common;

use common::{at, lint_json, located, repo, Located};

/// The findings of `rule` in a lint of `paths` under the recommended preset.
fn findings_of(rule: &str, paths: &[&str]) -> Vec<Located> {
    let (_, report) = lint_json(&repo(), paths);
    located(&report)
        .into_iter()
        .filter(|(id, ..)| id == rule)
        .collect()
}

fn message_of(rule: &str, path: &str, line: u64) -> String {
    let (_, report) = lint_json(&repo(), &[path]);
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == rule && d["line"] == line)
        .and_then(|d| d["message"].as_str())
        .unwrap_or_else(|| panic!("a {rule} finding at line {line} of {path}"))
        .to_string()
}

#[test]
fn retries_of_post_routes_are_reported_from_the_route_match_without_a_spec() {
    let folder = "fixtures/truth/retry-methods";
    let envoy = "fixtures/truth/retry-methods/envoy.yaml";
    let istio = "fixtures/truth/retry-methods/istio.yaml";
    // The POST routes are reported at their retry count; the routes for every method or GET
    // are not.
    assert_eq!(
        findings_of("retry-non-idempotent", &[folder]),
        [
            at("retry-non-idempotent", envoy, 28, 44),
            at("retry-non-idempotent", istio, 19, 19),
        ]
    );
    assert!(message_of("retry-non-idempotent", istio, 19)
        .contains("matches POST requests and retries them on 5xx"));
}
