use crate::collections::HashSet;
use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Related};
use crate::model::ai::{self, Deployment, FallbackGraph, GraphNodes, ModelGroup};
use crate::model::policy::FallbackKind;
use crate::rules::ai_graph::{about, route_of};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;

/// A fallback chain whose every model is served by one provider (or one endpoint, or one
/// account): the provider's outage or rate limit takes the whole chain down.
pub struct FallbackSameProvider;

impl Rule for FallbackSameProvider {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for graph in &cx.inventory.fallback_graphs {
            match graph.nodes {
                GraphNodes::ModelGroups => self.model_groups(cx, graph, out),
                GraphNodes::Targets => self.strategies(cx, graph, out),
            }
        }
    }
}

impl FallbackSameProvider {
    /// LiteLLM: each group's chain, as its route walks it.
    fn model_groups(&self, cx: &RuleContext<'_>, graph: &FallbackGraph, out: &mut Vec<Diagnostic>) {
        for group in &graph.groups {
            let Some(route) = route_of(cx.inventory, graph, Some(group)) else {
                continue;
            };
            let Some(fallback) = route
                .policy
                .fallbacks
                .iter()
                .find(|fallback| fallback.kind == FallbackKind::ModelFallback)
            else {
                continue;
            };
            let chain: Vec<&ModelGroup> = std::iter::once(group)
                .chain(
                    fallback
                        .targets
                        .iter()
                        .filter_map(|name| graph.resolve(name))
                        .filter_map(|index| graph.groups.get(index)),
                )
                .collect();
            let Some(shared) = shared_identity(chain.iter().flat_map(|group| &group.deployments))
            else {
                continue;
            };
            let names = ai::chain_text(chain.iter().map(|group| format!("`{}`", group.name)));
            out.push(about(
                self.finding(
                    fallback.location,
                    format!(
                        "every model in the fallback chain of model group `{}` ({names}) {}",
                        group.name,
                        shared.sentence()
                    ),
                    &shared,
                    chain.iter().flat_map(|group| &group.deployments),
                ),
                Some(route),
            ));
        }
    }

    /// Portkey: each `fallback` strategy, over every target it can try.
    fn strategies(&self, cx: &RuleContext<'_>, graph: &FallbackGraph, out: &mut Vec<Diagnostic>) {
        let mut strategies: BTreeMap<Location, (Vec<&str>, HashSet<&str>)> = BTreeMap::new();
        for edge in &graph.edges {
            let (targets, known) = strategies.entry(edge.declared).or_default();
            for name in [edge.from.as_str(), edge.to.as_str()] {
                if known.insert(name) {
                    targets.push(name);
                }
            }
        }
        for (declared, (names, _)) in strategies {
            let deployments: Vec<&Deployment> = names
                .iter()
                .filter_map(|name| graph.group(name))
                .flat_map(|group| &group.deployments)
                .collect();
            let Some(shared) = shared_identity(deployments.iter().copied()) else {
                continue;
            };
            let labels = ai::chain_text(
                deployments
                    .iter()
                    .map(|deployment| format!("`{}`", deployment.label())),
            );
            let diagnostic = self.finding(
                declared,
                format!(
                    "every target of this fallback strategy ({labels}) {}",
                    shared.sentence()
                ),
                &shared,
                deployments.iter().copied(),
            );
            out.push(about(diagnostic, route_of(cx.inventory, graph, None)));
        }
    }

    fn finding<'a>(
        &self,
        location: Location,
        message: String,
        shared: &Shared,
        deployments: impl Iterator<Item = &'a Deployment>,
    ) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(self.id(), location, message)
            .with_label(format!("no fallback leaves {}", shared.what()))
            .with_help(format!(
                "add a fallback to a model on another provider (for example from OpenAI to \
                 Anthropic or a self-hosted model), so that an outage or rate limit at {} \
                 leaves a way to answer",
                shared.what()
            ));
        let mut seen: HashSet<Location> = HashSet::default();
        for deployment in deployments {
            if seen.len() == SHOWN || !seen.insert(deployment.location) {
                continue;
            }
            diagnostic = diagnostic.with_related(Related {
                location: deployment.location,
                message: format!("{} is here", deployment.label()),
            });
        }
        diagnostic
    }
}

/// Deployments shown beside a finding: a generated chain can have thousands.
const SHOWN: usize = 12;

/// What every deployment of a chain shares.
enum Shared {
    Provider(String),
    Endpoint(String),
    Account,
}

impl Shared {
    fn sentence(&self) -> String {
        match self {
            Shared::Provider(provider) => format!(
                "is served by {provider}: an outage or rate limit at {provider} takes the whole \
                 chain down"
            ),
            Shared::Endpoint(host) => format!(
                "is sent to {host}: when that endpoint fails, the whole chain fails with it"
            ),
            Shared::Account => "uses the same provider account (key): its rate limits and \
                 outages hit the whole chain at once"
                .to_string(),
        }
    }

    fn what(&self) -> String {
        match self {
            Shared::Provider(provider) => provider.clone(),
            Shared::Endpoint(host) => host.clone(),
            Shared::Account => "that account".to_string(),
        }
    }
}

/// The provider, endpoint or account all `deployments` share, when they are two or more and
/// all known; `None` as soon as one differs or is unknown.
fn shared_identity<'a>(deployments: impl Iterator<Item = &'a Deployment>) -> Option<Shared> {
    let deployments: Vec<&Deployment> = deployments.collect();
    if deployments.len() < 2 {
        return None;
    }
    let all_same = |value: &dyn Fn(&Deployment) -> Option<String>| -> Option<String> {
        let first = deployments
            .first()
            .and_then(|deployment| value(deployment))?;
        deployments
            .iter()
            .all(|deployment| value(deployment).as_ref() == Some(&first))
            .then_some(first)
    };
    if let Some(provider) = all_same(&|deployment| deployment.provider.clone()) {
        return Some(Shared::Provider(provider));
    }
    if let Some(host) = all_same(&|deployment| deployment.api_base.as_deref().map(host_of)) {
        return Some(Shared::Endpoint(host));
    }
    all_same(&|deployment| deployment.credential.clone()).map(|_| Shared::Account)
}

/// `https://x.openai.azure.com/openai/` → `x.openai.azure.com`; references such as
/// `os.environ/AZURE_API_BASE` stay as written.
fn host_of(base: &str) -> String {
    if base.starts_with("os.environ/") {
        return base.to_string();
    }
    let without_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://Example.openai.azure.com/openai/"),
            "example.openai.azure.com"
        );
        assert_eq!(
            host_of("os.environ/AZURE_API_BASE"),
            "os.environ/AZURE_API_BASE"
        );
        assert_eq!(host_of("http://0.0.0.0:8001"), "0.0.0.0:8001");
    }
}
