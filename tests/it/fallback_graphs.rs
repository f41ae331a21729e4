//! Fallback graphs as graphs: every loop of an AI gateway's fallbacks reported once with every
//! hop located, chains that come back to a deployment that already failed, and generated graphs
//! (meshes of hundreds of model groups, nested Portkey targets multiplied by anchors) linted in
//! bounded time.

use crate::common;

use std::fmt::Write as _;
use std::time::Duration;

use common::{at, located, repo, routeguard};
use serde_json::Value;

fn fallback_invalid(file: &str) -> Vec<Value> {
    let (_, report) = common::lint_json(&repo(), &[file]);
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "fallback-invalid")
        .cloned()
        .collect()
}

fn hops(finding: &Value) -> Vec<(u64, u64)> {
    finding["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|related| {
            (
                related["line"].as_u64().unwrap_or_default(),
                related["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_loop_through_a_shared_group_is_reported_once_with_its_hops() {
    let file = "fixtures/litellm/loops.yaml";
    let findings = fallback_invalid(file);
    let places: Vec<(u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // One finding per loop, each on the first fallback of the loop.
    assert_eq!(places, [(20, 17), (20, 25), (20, 32)]);
    let messages: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(messages[0].starts_with("fallback cycle `primary` → `second` → `primary`"));
    assert!(messages[1].starts_with("fallback cycle `primary` → `third` → `primary`"));
    assert!(messages[2].starts_with("fallback cycle `primary` → `fourth` → `primary`"));
    assert_eq!(hops(&findings[0]), [(20, 17), (21, 16)]);
    assert_eq!(hops(&findings[1]), [(20, 25), (22, 15)]);
    assert_eq!(hops(&findings[2]), [(20, 32), (23, 16)]);
}

#[test]
fn a_chain_that_comes_back_to_a_failed_deployment_is_reported_where_it_does() {
    let file = "fixtures/litellm/chain-returns.yaml";
    let findings = fallback_invalid(file);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (findings[0]["line"].as_u64(), findings[0]["column"].as_u64()),
        (Some(24), Some(16))
    );
    let message = findings[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("model group `gpt-4o-again` calls the same deployment (openai/gpt-4o) as model group `gpt-4o`, whose fallback chain reaches it through model group `claude`"),
        "{message}"
    );
    // A chain without loops or repeated deployments has no finding.
    assert!(fallback_invalid("fixtures/litellm/chain.yaml").is_empty());
}

/// A LiteLLM config of `groups` model groups, each falling back to the next `fanout`.
fn mesh(groups: usize, fanout: usize) -> String {
    let mut text = String::from("model_list:\n");
    for group in 0..groups {
        let _ = write!(
            text,
            "  - model_name: m{group}\n    litellm_params:\n      model: openai/gpt-{group}\n"
        );
    }
    text.push_str("router_settings:\n  timeout: 30\n  max_fallbacks: 10\n  fallbacks:\n");
    for group in 0..groups {
        let targets: Vec<String> = (1..=fanout)
            .map(|step| format!("m{}", (group + step) % groups))
            .collect();
        let _ = writeln!(text, "    - m{group}: [{}]", targets.join(", "));
    }
    text
}

/// A Portkey config whose fallback strategies nest `levels` deep, each level four copies of the
/// one below through one anchor: a small file with `2 × 4^levels` targets.
fn nested_portkey(levels: usize) -> String {
    let mut text = String::from(
        "strategy: {mode: fallback}\nx-levels:\n  - &l0 {provider: openai, api_key: k, \
         request_timeout: 1000, override_params: {model: gpt-4o}}\n",
    );
    for level in 1..=levels {
        let below = level - 1;
        let _ = writeln!(
            text,
            "  - &l{level} {{strategy: {{mode: fallback}}, targets: [*l{below}, *l{below}, \
             *l{below}, *l{below}]}}"
        );
    }
    let _ = writeln!(text, "targets: [*l{levels}, *l{levels}]");
    text
}

#[test]
fn generated_fallback_graphs_are_linted_in_bounded_time() {
    let project = tempfile::tempdir().expect("temp dir");
    std::fs::write(project.path().join("mesh.yaml"), mesh(400, 6)).expect("mesh");
    std::fs::write(project.path().join("full.yaml"), mesh(200, 199)).expect("full mesh");
    std::fs::write(project.path().join("nested.yaml"), nested_portkey(6)).expect("nested");
    std::fs::write(
        project.path().join("kong.yaml"),
        "_format_version: \"3.0\"\nservices:\n  - name: api\n    url: http://api:8080\n    \
         routes:\n      - name: all\n        paths: [/]\n",
    )
    .expect("kong");
    // Path enumeration took minutes to forever on these; the graph algorithms take well under
    // a second. The bound only catches a return to exponential or quadratic walks.
    let output = routeguard(project.path())
        .args(["lint", "--format", "json", "."])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("routeguard runs");
    assert_eq!(output.status.code(), Some(1), "finished with findings");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let findings = located(&report);
    let loops = |file: &str| {
        findings
            .iter()
            .filter(|(rule, name, _, _)| rule == "fallback-invalid" && name == file)
            .count()
    };
    // Each mesh is one strongly connected set: a bounded number of cycles, not one per path.
    assert_eq!(loops("mesh.yaml"), 8);
    assert_eq!(loops("full.yaml"), 8);
    let report_text = String::from_utf8_lossy(&output.stdout);
    assert!(report_text.contains("more fallbacks among these 400 names close further loops"));
    // The nested copies call the same deployment again and again: reported where the copies
    // are written, not once per path.
    assert!(loops("nested.yaml") >= 1);
    assert!(loops("nested.yaml") <= 16);
    // The other file was linted too.
    assert!(findings.contains(&at("circuit-breaker-missing", "kong.yaml", 3, 5)));
}
