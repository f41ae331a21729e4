//! LiteLLM proxy `config.yaml`: one `POST` route per model group of `model_list`, with the
//! router's retries, timeouts, cooldowns and fallbacks resolved as LiteLLM resolves them, and the
//! fallback graph between model groups.
//!
//! Precedence, from LiteLLM's `Router.__init__` and `Router._get_timeout`: a deployment's
//! `litellm_params` over `router_settings` over `litellm_settings` over LiteLLM's defaults
//! (`litellm/constants.py`). A fallback list in `router_settings` replaces the one in
//! `litellm_settings` whole. Fallbacks are walked as `run_async_fallback` walks them: in order,
//! each fallback group with its own retries and its own fallbacks, skipping the group itself,
//! until `max_fallbacks` hops.

mod deployments;
mod fallbacks;
mod route;
mod settings;

use std::time::Duration;

use super::chain::Run;
use super::read::{GatewayNote, Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::model::ai::{FallbackGraph, GraphNodes};
use crate::model::{GatewayFormat, Route};
use crate::source::Node;
use crate::span::FileId;
use deployments::{group_deployments, read_model_list};
use fallbacks::fallback_edges;
use route::{group_run, route_for};
use settings::Settings;

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("LiteLLM v1.59+");

pub static ADAPTER: Adapter = Adapter {
    name: "litellm",
    detect,
    uses_refs: false,
    adapt,
};

/// A proxy config lists deployments as `model_name` + `litellm_params` pairs.
fn detect(document: &Node) -> bool {
    let items = document
        .get("model_list")
        .map(Node::items)
        .unwrap_or_default();
    !items.is_empty()
        && items.iter().all(Node::is_map)
        && items
            .iter()
            .any(|item| item.get("model_name").is_some() && item.get("litellm_params").is_some())
}

/// `request_timeout` when nothing sets it (`litellm/constants.py`; `config_settings.md`: "If not
/// set, the default value is 6000 seconds").
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6000);
static DEFAULT_TIMEOUT_NOTE: GatewayNote =
    GatewayNote::new(RELEASE, "LiteLLM's default request_timeout of 6000s");
/// The router falls back to `openai.DEFAULT_MAX_RETRIES` when no `num_retries` is set.
const DEFAULT_RETRIES: u32 = 2;
static DEFAULT_RETRIES_NOTE: GatewayNote =
    GatewayNote::new(RELEASE, "LiteLLM's default of 2 retries (num_retries)");
/// `litellm.allowed_fails`, which `litellm_settings.allowed_fails` replaces.
const DEFAULT_ALLOWED_FAILS: u32 = 3;
/// `ROUTER_MAX_FALLBACKS`.
const DEFAULT_MAX_FALLBACKS: u32 = 5;
/// `INITIAL_RETRY_DELAY` and `MAX_RETRY_DELAY`: the router's waits between retries double from
/// 0.5s up to 8s (shorter when the provider sends `Retry-After`); the OpenAI client's own retries
/// wait the same way.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(500);
const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(8);

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Seconds);
    let settings = Settings::read(cx, document);
    let deployments = read_model_list(cx, document, &settings);
    if deployments.is_empty() {
        return;
    }
    let (groups, members) = group_deployments(&deployments, &settings);
    let members: Vec<Vec<&deployments::DeploymentEntry>> = members
        .iter()
        .map(|positions| positions.iter().map(|&at| &deployments[at]).collect())
        .collect();
    let edges = fallback_edges(cx, &groups, &settings);
    let mut graph = FallbackGraph::new(
        GatewayFormat::LiteLlm,
        GraphNodes::ModelGroups,
        file,
        groups,
        edges,
        None,
    );
    let runs: Vec<Run> = graph
        .groups
        .iter()
        .zip(&members)
        .map(|(group, members)| group_run(group, members, &settings))
        .collect();
    let routes: Vec<Route> = graph
        .groups
        .iter()
        .zip(&members)
        .map(|(group, members)| route_for(&graph, group, &runs, members, &settings))
        .collect();
    for (group, route) in graph.groups.iter_mut().zip(routes) {
        group.route = cx.push_route(route);
    }
    cx.inventory.fallback_graphs.push(graph);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{parse_text, Syntax};

    fn document(text: &str) -> Node {
        parse_text(text, Syntax::Yaml)
            .ok()
            .and_then(|loaded| loaded.documents.into_iter().next())
            .unwrap_or_else(|| {
                Node::scalar(Default::default(), "", crate::source::ScalarKind::Null)
            })
    }

    #[test]
    fn detection() {
        assert!(detect(&document(
            "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/gpt-4o\n"
        )));
        assert!(!detect(&document("model_list: []\n")));
        assert!(!detect(&document("model_list:\n  - name: a\n")));
        assert!(!detect(&document("openapi: 3.0.3\n")));
    }
}
