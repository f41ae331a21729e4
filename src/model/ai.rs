//! The fallback graph of an AI gateway configuration: the deployments that serve each model group
//! and the fallbacks from group to group, each with the errors that trigger it.
//!
//! LiteLLM groups are its model groups (`model_name`), with one deployment per `model_list`
//! entry. Portkey has no named groups: each target that calls a provider is a group of one
//! deployment, named by its path in the config (`targets[1].targets[0]`), and a `fallback`
//! strategy links every target that can fail to the targets tried next.

use crate::collections::HashMap;
use std::time::Duration;

use super::policy::Sourced;
use super::route::GatewayFormat;
use crate::span::FileId;
use crate::span::Location;

/// One configuration file's groups and fallbacks.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackGraph {
    pub format: GatewayFormat,
    pub file: FileId,
    /// What the graph's nodes are, which decides how rules name them and what they check.
    pub nodes: GraphNodes,
    /// Read freely; names and aliases must not change after [`FallbackGraph::new`], which
    /// indexes them.
    pub groups: Vec<ModelGroup>,
    pub edges: Vec<FallbackEdge>,
    /// The route of the whole configuration, when it has one route rather than one per group
    /// (Portkey), as an index into `Inventory::routes`.
    pub route: Option<usize>,
    /// Lookups by name, so that resolving a target or listing a group's fallbacks costs the
    /// same on a mesh of hundreds of groups as on three.
    index: NameIndex,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct NameIndex {
    /// Group names: the first group of each name.
    names: HashMap<String, usize>,
    /// Group names and aliases: the first group that answers to each.
    targets: HashMap<String, usize>,
    /// Wildcard groups (`anthropic/*`), in order: the prefix before `*`.
    wildcards: Vec<(String, usize)>,
    /// The edges leaving each name, in order.
    edges_from: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    fn new(groups: &[ModelGroup], edges: &[FallbackEdge]) -> NameIndex {
        let mut index = NameIndex::default();
        for (position, group) in groups.iter().enumerate() {
            index.names.entry(group.name.clone()).or_insert(position);
            for name in std::iter::once(&group.name).chain(&group.aliases) {
                index.targets.entry(name.clone()).or_insert(position);
            }
            if let Some(prefix) = group.name.strip_suffix('*') {
                index.wildcards.push((prefix.to_string(), position));
            }
        }
        for (position, edge) in edges.iter().enumerate() {
            index
                .edges_from
                .entry(edge.from.clone())
                .or_default()
                .push(position);
        }
        index
    }
}

/// What a fallback graph's nodes are, as the gateway defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphNodes {
    /// Named model groups a request asks for by name, each a set of deployments with per-call
    /// settings (timeouts) of their own or the router's defaults (LiteLLM).
    ModelGroups,
    /// The targets of one routing strategy, named by their position (Portkey).
    Targets,
}

/// Deployments that answer to one name, chosen among by load balancing.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGroup {
    pub name: String,
    /// Other names a fallback may use for this group (LiteLLM: the `model_info.id` of a
    /// deployment, an alias from `model_group_alias`).
    pub aliases: Vec<String>,
    /// The group's definition: its first deployment, or the Portkey target.
    pub location: Location,
    pub deployments: Vec<Deployment>,
    /// The route serving requests for this group, as an index into `Inventory::routes`.
    pub route: Option<usize>,
}

/// A model behind a provider's endpoint: the node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The provider that serves it (`openai`, `azure`, `anthropic`), when the config says or
    /// the model name makes it plain.
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Where requests go, when the config overrides the provider's default endpoint.
    pub api_base: Option<String>,
    /// Which account pays (a LiteLLM `api_key`, usually an `os.environ/…` reference; a Portkey
    /// virtual key or key), compared for identity only and never shown.
    pub credential: Option<String>,
    /// The deployment's entry.
    pub location: Location,
    /// The bound on one call; `None` when nothing bounds it.
    pub timeout: Option<Sourced<Duration>>,
    /// The bound on the wait for the first chunk of a streamed answer.
    pub stream_timeout: Option<Sourced<Duration>>,
}

impl Deployment {
    /// `azure/gpt-4o` style label for messages.
    pub fn label(&self) -> String {
        match (&self.provider, &self.model) {
            (Some(provider), Some(model)) if !model.starts_with(&format!("{provider}/")) => {
                format!("{provider}/{model}")
            }
            (_, Some(model)) => model.clone(),
            (Some(provider), None) => provider.clone(),
            (None, None) => "the requested model".to_string(),
        }
    }

    /// Whether two deployments are the same model at the same endpoint on the same account.
    pub fn same_as(&self, other: &Deployment) -> bool {
        self.provider == other.provider
            && self.model == other.model
            && self.api_base == other.api_base
            && self.credential == other.credential
    }
}

/// When a request falls back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackTrigger {
    /// Errors no more specific list handles: rate limits, timeouts, outages (LiteLLM
    /// `fallbacks`).
    General,
    /// The same, from the list every group without its own entry uses (LiteLLM
    /// `default_fallbacks`, or a `"*"` entry of `fallbacks`).
    Default,
    /// The prompt does not fit the model's context window (LiteLLM `context_window_fallbacks`).
    ContextWindow,
    /// The provider refused the content (LiteLLM `content_policy_fallbacks`).
    ContentPolicy,
    /// A response with one of these statuses (Portkey `strategy.on_status_codes`).
    Statuses(Vec<u16>),
    /// Any response that is not a success, 4xx included (Portkey without `on_status_codes`).
    AnyFailure,
}

impl FallbackTrigger {
    /// Triggers that walk the same list belong to one family: following a fallback of one
    /// family never switches to another.
    pub fn family(&self) -> TriggerFamily {
        match self {
            FallbackTrigger::General | FallbackTrigger::Default => TriggerFamily::General,
            FallbackTrigger::ContextWindow => TriggerFamily::ContextWindow,
            FallbackTrigger::ContentPolicy => TriggerFamily::ContentPolicy,
            FallbackTrigger::Statuses(_) | FallbackTrigger::AnyFailure => TriggerFamily::Status,
        }
    }

    /// Whether this trigger covers outages (rate limits, timeouts, 5xx), the failures a
    /// fallback to another provider exists for.
    pub fn covers_outages(&self) -> bool {
        match self {
            FallbackTrigger::General | FallbackTrigger::Default | FallbackTrigger::AnyFailure => {
                true
            }
            FallbackTrigger::ContextWindow | FallbackTrigger::ContentPolicy => false,
            FallbackTrigger::Statuses(codes) => codes
                .iter()
                .any(|code| *code == 408 || *code == 429 || *code >= 500),
        }
    }

    /// The configuration key that declares it, for messages.
    pub fn key(&self) -> &'static str {
        match self {
            FallbackTrigger::General => "fallbacks",
            FallbackTrigger::Default => "default_fallbacks",
            FallbackTrigger::ContextWindow => "context_window_fallbacks",
            FallbackTrigger::ContentPolicy => "content_policy_fallbacks",
            FallbackTrigger::Statuses(_) => "strategy.on_status_codes",
            FallbackTrigger::AnyFailure => "strategy",
        }
    }
}

/// The lists a gateway walks: a request that fell back on one family's trigger goes on along
/// that family's fallbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TriggerFamily {
    General,
    ContextWindow,
    ContentPolicy,
    Status,
}

/// `from` falls back to `to` on `trigger`.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackEdge {
    pub from: String,
    /// The target as written; it may name no group (see [`FallbackGraph::resolve`]).
    pub to: String,
    pub trigger: FallbackTrigger,
    /// Position among `from`'s targets for this trigger: 0 is tried first.
    pub order: usize,
    /// The target as written.
    pub location: Location,
    /// Where the list or strategy the edge belongs to is declared: edges sharing it were
    /// written together.
    pub declared: Location,
    /// Written for this group, rather than inherited from a list that applies to every group
    /// (`default_fallbacks`).
    pub explicit: bool,
}

impl FallbackGraph {
    pub fn new(
        format: GatewayFormat,
        nodes: GraphNodes,
        file: FileId,
        groups: Vec<ModelGroup>,
        edges: Vec<FallbackEdge>,
        route: Option<usize>,
    ) -> FallbackGraph {
        let index = NameIndex::new(&groups, &edges);
        FallbackGraph {
            format,
            nodes,
            file,
            groups,
            edges,
            route,
            index,
        }
    }

    pub fn group(&self, name: &str) -> Option<&ModelGroup> {
        self.index
            .names
            .get(name)
            .and_then(|&index| self.groups.get(index))
    }

    /// The index of the group a fallback target names: a group name, or one of a group's
    /// aliases. LiteLLM also routes `provider/model` names through wildcard groups
    /// (`anthropic/*`, `*`).
    pub fn resolve(&self, target: &str) -> Option<usize> {
        self.index.targets.get(target).copied().or_else(|| {
            self.index
                .wildcards
                .iter()
                .find(|(prefix, position)| {
                    target.starts_with(prefix.as_str())
                        && self
                            .groups
                            .get(*position)
                            .is_some_and(|group| group.name != target)
                })
                .map(|(_, position)| *position)
        })
    }

    /// The edges leaving `group`, in the order they are tried within each trigger.
    pub fn edges_from<'a>(&'a self, group: &str) -> impl Iterator<Item = &'a FallbackEdge> {
        self.edge_indices_from(group)
            .iter()
            .filter_map(|&index| self.edges.get(index))
    }

    /// The positions in `edges` of the edges leaving `group`, in order.
    pub fn edge_indices_from(&self, group: &str) -> &[usize] {
        self.index.edges_from.get(group).map_or(&[], Vec::as_slice)
    }
}

/// Stops of a chain named in one message: a generated chain can have thousands.
const STOPS_SHOWN: usize = 12;

/// `a → b → c`, or the first stops and how many more.
pub fn chain_text(stops: impl Iterator<Item = String>) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for stop in stops {
        if shown.len() < STOPS_SHOWN {
            shown.push(stop);
        } else {
            more += 1;
        }
    }
    let chain = shown.join(" → ");
    if more == 0 {
        chain
    } else {
        format!("{chain} → … {more} more")
    }
}
