use crate::collections::HashSet;
use crate::diagnostic::Diagnostic;
use crate::model::ai::GraphNodes;
use crate::model::Origin;
use crate::rules::ai_graph::{about, route_of};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;
use crate::units::format_duration;

/// An AI route whose calls are bounded only by the gateway's default timeout (LiteLLM's 6000s),
/// or whose stream timeout is longer than its timeout, so that it never acts.
pub struct AiTimeoutDefault;

impl Rule for AiTimeoutDefault {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for graph in &cx.inventory.fallback_graphs {
            if graph.nodes != GraphNodes::ModelGroups {
                continue;
            }
            let mut stream_findings: HashSet<Location> = HashSet::default();
            for group in &graph.groups {
                let route = route_of(cx.inventory, graph, Some(group));
                let defaulted = group.deployments.iter().find_map(|deployment| {
                    let timeout = deployment.timeout.as_ref()?;
                    match timeout.origin {
                        Origin::Default(note) => Some((deployment, timeout.value, note)),
                        Origin::Explicit(_) => None,
                    }
                });
                if let Some((deployment, value, note)) = defaulted {
                    out.push(about(
                        Diagnostic::new(
                            self.id(),
                            group.location,
                            format!(
                                "model group `{}` ({}) waits up to {note} ({}) for each call: a \
                                 provider that hangs holds the request, and every retry and \
                                 fallback after it, that long",
                                group.name,
                                deployment.label(),
                                format_duration(value)
                            ),
                        )
                        .with_label("no `timeout` applies to this deployment")
                        .with_help(
                            "set `timeout` (seconds) in `router_settings`, or in this \
                             deployment's `litellm_params`, to the longest one call may take",
                        ),
                        route,
                    ));
                }
                for deployment in &group.deployments {
                    let (Some(timeout), Some(stream)) =
                        (&deployment.timeout, &deployment.stream_timeout)
                    else {
                        continue;
                    };
                    if stream.value <= timeout.value {
                        continue;
                    }
                    let location = stream.origin.location().unwrap_or(deployment.location);
                    if !stream_findings.insert(location) {
                        continue;
                    }
                    out.push(about(
                        Diagnostic::new(
                            self.id(),
                            location,
                            format!(
                                "`stream_timeout` of {} for model group `{}` ({}) is longer than \
                                 its `timeout` of {}: the timeout always ends a stalled stream \
                                 first, so the first-chunk bound never acts",
                                format_duration(stream.value),
                                group.name,
                                deployment.label(),
                                format_duration(timeout.value)
                            ),
                        )
                        .with_label("longer than the timeout")
                        .with_help(
                            "make `stream_timeout` (the wait for the first chunk) shorter than \
                             `timeout` (the whole call)",
                        ),
                        route,
                    ));
                }
            }
        }
    }
}
