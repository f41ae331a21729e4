//! Portkey gateway configs (JSON or YAML): one `POST /v1/chat/completions` route per config, its
//! nested `targets` read as the gateway's `tryTargetsRecursively` walks them, and the fallback
//! graph between the targets that call a provider.
//!
//! A target inherits `retry` (replaced whole), `request_timeout`, `override_params` (merged key
//! by key), `custom_host` and the strategy's `cb_config` from the targets around it. A
//! `cb_config` protects only where a `fallback` or `loadbalance` strategy chooses among two or
//! more targets: the gateway drops targets whose circuit is open from a strategy's `targets`
//! unless none would be left, and Portkey's circuit-breaker page says `conditional` strategies
//! are not evaluated. A
//! `fallback` strategy tries its targets in order while the response is a failure (or, with
//! `on_status_codes`, one of those statuses); `loadbalance` and `conditional` pick one target and
//! never try another; `single` uses the first. Retries happen at the targets that call a
//! provider: `retry.attempts` more tries (at most 5), on 429, 500, 502, 503 and 504 unless
//! `on_status_codes` says otherwise, waiting 1s, 2s, 4s… in between (async-retry's defaults).

use crate::collections::HashSet;
use std::time::Duration;

use super::chain::{self, Run};
use super::read::{GatewayNote, Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::model::ai::{
    Deployment, FallbackEdge, FallbackGraph, FallbackTrigger, GraphNodes, ModelGroup,
};
use crate::model::policy::{
    Amplification, Backoff, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind,
    GatewayStatuses, Retry, RetryCondition, Upstream,
};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::{Node, NodeKind, ScalarKind};
use crate::span::FileId;
use crate::span::Location;

/// The release whose behaviour this adapter models, named in its default notes: Portkey-AI/gateway
/// at commit 669825cb, whose package.json reads `"version": "1.15.2"` and where the values used
/// here are defined: `RETRY_STATUS_CODES = [429, 500, 502, 503, 504]`, `MAX_RETRIES = 5` and
/// `MAX_RETRY_LIMIT_MS = 60 * 1000` (src/globals.ts), `requestTimeout: null` unless a target
/// sets one, and `cbConfig` handed to the circuit-breaker hook (src/handlers/handlerUtils.ts).
/// That hook, and the `isOpen` marks it leaves on targets, come from Portkey's hosted gateway
/// (docs: product/ai-gateway/circuit-breaker); the open-source gateway never sets them, so
/// `cb_config` is read as the hosted gateway applies it.
const RELEASE: Release = Release("Portkey gateway 1.15.2");
static NO_TIMEOUT: GatewayNote = GatewayNote::new(RELEASE, "Portkey's default: no request timeout");
static FIRST_WAIT: GatewayNote = GatewayNote::new(
    RELEASE,
    "Portkey's first retry wait of 1s, doubling after each retry",
);
static UNCAPPED_WAIT: GatewayNote =
    GatewayNote::new(RELEASE, "Portkey doubles its retry wait without a cap");

pub static ADAPTER: Adapter = Adapter {
    name: "portkey",
    detect,
    uses_refs: false,
    adapt,
};

const MODES: &[&str] = &["single", "loadbalance", "fallback", "conditional"];

/// Keys that say what the gateway does with a request.
const ROUTING_KEYS: &[&str] = &[
    "strategy",
    "targets",
    "retry",
    "request_timeout",
    "virtual_key",
    "override_params",
    "cache",
    "custom_host",
];

/// Every other key of a config (`requestValidator/schema/config.ts`, plus the hosted product's).
const OTHER_KEYS: &[&str] = &[
    "provider",
    "api_key",
    "weight",
    "on_status_codes",
    "forward_headers",
    "before_request_hooks",
    "after_request_hooks",
    "input_guardrails",
    "output_guardrails",
    "default_input_guardrails",
    "default_output_guardrails",
    "input_mutators",
    "output_mutators",
    "strict_open_ai_compliance",
    "prompt_id",
    "name",
    "id",
];

/// Provider-specific credential keys.
const PROVIDER_KEY_PREFIXES: &[&str] = &["vertex_", "aws_", "azure_", "openai_", "anthropic_"];

/// A strategy with a Portkey mode and its targets is unmistakable; otherwise every key must be
/// a config key and one of them must configure routing.
fn detect(document: &Node) -> bool {
    if !document.is_map() {
        return false;
    }
    let mode = document
        .get("strategy")
        .and_then(|strategy| strategy.get("mode"))
        .and_then(Node::as_str);
    if mode.is_some_and(|mode| MODES.contains(&mode))
        && matches!(
            document.get("targets").map(|t| &t.kind),
            Some(NodeKind::Seq(_))
        )
    {
        return true;
    }
    let keys: Vec<&str> = document
        .entries()
        .iter()
        .filter_map(|entry| entry.key.scalar_text())
        .collect();
    let known = |key: &&str| {
        ROUTING_KEYS.contains(key)
            || OTHER_KEYS.contains(key)
            || PROVIDER_KEY_PREFIXES
                .iter()
                .any(|prefix| key.starts_with(prefix))
    };
    !keys.is_empty()
        && keys.iter().all(known)
        && (keys.iter().any(|key| ROUTING_KEYS.contains(key))
            || (keys.contains(&"provider") && keys.contains(&"api_key")))
}

/// Portkey caps `retry.attempts` (`MAX_RETRIES`).
const MAX_ATTEMPTS: u32 = 5;
/// `RETRY_STATUS_CODES`: retried when `retry.on_status_codes` is not given.
const DEFAULT_RETRY_CODES: &[u16] = &[429, 500, 502, 503, 504];
/// async-retry's `minTimeout`: the first wait; each later wait doubles it.
const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
/// `MAX_RETRY_LIMIT_MS`: the most a request waits for `Retry-After` over all its retries.
const RETRY_AFTER_LIMIT: Duration = Duration::from_secs(60);
/// The shortest `cb_config.cooldown_interval` Portkey accepts.
const SHORTEST_COOLDOWN: Duration = Duration::from_secs(30);
const ENDPOINT: &str = "/v1/chat/completions";

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let name = cx.workspace.file(file).path.file_stem().map_or_else(
        || "config".to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let mut walker = Walker {
        cx: Reader::new(cx, file, Naming::Exact, Dialect::Milliseconds).typed(),
        config_name: name.clone(),
        leaves: Vec::new(),
        edges: Vec::new(),
        breakers: Vec::new(),
        breakers_at: HashSet::default(),
    };
    let root = walker.target(document, None, &Inherited::default());
    let location = walker.cx.anchor(document);
    let Walker {
        leaves,
        edges,
        breakers,
        ..
    } = walker;
    let route = route(name, location, &root, &leaves, breakers);
    let index = cx.push_route(route);
    let groups = leaves
        .into_iter()
        .map(|leaf| ModelGroup {
            name: leaf.path,
            aliases: Vec::new(),
            location: leaf.deployment.location,
            deployments: vec![leaf.deployment],
            route: None,
        })
        .collect();
    cx.inventory.fallback_graphs.push(FallbackGraph::new(
        GatewayFormat::Portkey,
        GraphNodes::Targets,
        file,
        groups,
        edges,
        index,
    ));
}

/// What a target inherits from the targets around it.
#[derive(Debug, Clone, Default)]
struct Inherited {
    retry: Option<RetrySpec>,
    request_timeout: Option<Sourced<Duration>>,
    model: Option<String>,
    custom_host: Option<String>,
    /// The `cb_config` of the innermost strategy that sets one.
    breaker: Option<CircuitBreaker>,
}

#[derive(Debug, Clone)]
struct RetrySpec {
    attempts: Sourced<u32>,
    codes: Vec<u16>,
    honours_retry_after: bool,
    location: Location,
}

/// A target that calls a provider.
struct Leaf {
    path: String,
    deployment: Deployment,
    retry: Option<RetrySpec>,
    run: Run,
}

/// A target, read: what a request that keeps failing costs in it.
struct Branch {
    calls: u32,
    /// `None` when a call has no bound.
    longest: Option<Duration>,
    /// Leaves in the order such a request tries them, along the costliest choice.
    worst: Vec<usize>,
    /// Leaves a request may start at.
    entries: Vec<usize>,
    /// Every leaf of the target.
    leaves: Vec<usize>,
}

struct Walker<'a> {
    cx: Reader<'a>,
    config_name: String,
    leaves: Vec<Leaf>,
    edges: Vec<FallbackEdge>,
    /// The breakers some strategy applies: a `cb_config` no strategy can apply protects nothing.
    breakers: Vec<CircuitBreaker>,
    /// Where each breaker of `breakers` is configured: one several strategies inherit is applied
    /// once.
    breakers_at: HashSet<Location>,
}

impl Walker<'_> {
    /// Reads a target (the config itself at the root, `path` `None`).
    fn target(&mut self, node: &Node, path: Option<String>, outer: &Inherited) -> Branch {
        if !node.is_map() {
            self.cx.invalid(
                node,
                "a target is a mapping: a `provider` or `virtual_key`, or a `strategy` with \
                 `targets`",
            );
        }
        let inherited = self.inherit(node, outer);
        let strategy = node.get("strategy");
        let mode = strategy.and_then(|strategy| self.mode(strategy));
        let targets = node.get("targets").map(Node::items).unwrap_or_default();
        let Some(mode) = mode else {
            return self.leaf(node, path, &inherited);
        };
        if targets.is_empty() {
            self.cx.invalid(
                node.get("targets").or(strategy).unwrap_or(node),
                format!("a `{mode}` strategy needs a list of `targets`"),
            );
            return self.leaf(node, path, &inherited);
        }
        let child_path = |index: usize| match &path {
            Some(path) => format!("{path}.targets[{index}]"),
            None => format!("targets[{index}]"),
        };
        match mode {
            "fallback" => {
                let children: Vec<Branch> = targets
                    .iter()
                    .enumerate()
                    .map(|(index, target)| self.target(target, Some(child_path(index)), &inherited))
                    .collect();
                if let Some(strategy) = strategy {
                    self.fallback_edges(strategy, targets, &children);
                }
                if children.len() > 1 {
                    self.apply_breaker(&inherited);
                }
                sequence(children)
            }
            "loadbalance" => {
                let mut candidates = Vec::new();
                for (index, target) in targets.iter().enumerate() {
                    // A target of weight 0 is never picked.
                    if self.weight(target) > 0.0 {
                        candidates.push(self.target(target, Some(child_path(index)), &inherited));
                    }
                }
                if candidates.is_empty() {
                    self.cx.invalid(
                        node.get("targets").unwrap_or(node),
                        "every target has weight 0, so the load balancer can pick none",
                    );
                }
                if candidates.len() > 1 {
                    self.apply_breaker(&inherited);
                }
                choice(candidates)
            }
            "conditional" => {
                self.check_conditions(strategy, targets);
                let candidates: Vec<Branch> = targets
                    .iter()
                    .enumerate()
                    .map(|(index, target)| self.target(target, Some(child_path(index)), &inherited))
                    .collect();
                choice(candidates)
            }
            _ => {
                let first = targets
                    .first()
                    .map(|target| self.target(target, Some(child_path(0)), &inherited));
                first.map_or_else(|| choice(Vec::new()), |branch| sequence(vec![branch]))
            }
        }
    }

    /// The strategy's mode, when it is one Portkey knows.
    fn mode(&mut self, strategy: &Node) -> Option<&'static str> {
        let Some(mode) = strategy.get("mode") else {
            self.cx.invalid(
                strategy,
                "a `strategy` needs a `mode`: single, loadbalance, fallback or conditional",
            );
            return None;
        };
        let found = mode
            .as_str()
            .and_then(|text| MODES.iter().find(|known| **known == text).copied());
        if found.is_none() {
            self.cx.invalid(
                mode,
                format!(
                    "`{}` is not a strategy mode (single, loadbalance, fallback or conditional)",
                    mode.scalar_text().unwrap_or_default()
                ),
            );
        }
        found
    }

    /// A target's `weight`: 1 when absent.
    fn weight(&mut self, target: &Node) -> f64 {
        let Some(weight) = target.get("weight") else {
            return 1.0;
        };
        number(weight)
            .filter(|value| value.is_finite() && *value >= 0.0)
            .unwrap_or_else(|| {
                self.cx
                    .invalid(weight, "`weight` must be a number, 0 or more");
                1.0
            })
    }

    /// A `conditional` strategy routes by target `name`: every name it uses must exist.
    fn check_conditions(&mut self, strategy: Option<&Node>, targets: &[Node]) {
        let Some(strategy) = strategy else {
            return;
        };
        let names: HashSet<&str> = targets
            .iter()
            .filter_map(|target| target.get("name").and_then(Node::as_str))
            .collect();
        let referenced = strategy
            .get("conditions")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|condition| condition.get("then"))
            .chain(strategy.get("default"));
        for reference in referenced {
            let text = reference.scalar_text().unwrap_or_default();
            if !names.contains(&text) {
                self.cx.invalid(
                    reference,
                    format!("no target is named `{text}`, so requests routed here fail"),
                );
            }
        }
    }

    fn inherit(&mut self, node: &Node, outer: &Inherited) -> Inherited {
        let mut inherited = outer.clone();
        if let Some(retry) = node.get("retry") {
            inherited.retry = self.retry(retry);
        }
        if let Some(timeout) = self.request_timeout(node) {
            inherited.request_timeout = Some(timeout);
        }
        if let Some(model) = node
            .get("override_params")
            .and_then(|params| self.cx.string(params, "model"))
        {
            inherited.model = Some(model);
        }
        if let Some(host) = self.cx.string(node, "custom_host") {
            inherited.custom_host = Some(host);
        }
        if let Some(config) = node
            .get("strategy")
            .and_then(|strategy| strategy.get("cb_config"))
        {
            inherited.breaker = self.breaker(config);
        }
        inherited
    }

    fn request_timeout(&mut self, node: &Node) -> Option<Sourced<Duration>> {
        let why = "bounds nothing: Portkey reads 0 as no timeout";
        self.cx.nonzero_duration(node, "request_timeout", why)
    }

    fn retry(&mut self, retry: &Node) -> Option<RetrySpec> {
        let location = self.cx.at(retry);
        if retry.get("attempts").is_none() {
            self.cx.invalid(
                retry,
                "`retry` needs `attempts`, the number of retries (at most 5)",
            );
            return None;
        }
        let mut attempts = self.cx.count(retry, "attempts")?;
        if attempts.value > MAX_ATTEMPTS {
            if let Some(node) = retry.get("attempts") {
                self.cx.invalid(
                    node,
                    format!(
                        "`attempts: {}` is more than Portkey's maximum of {MAX_ATTEMPTS} retries",
                        attempts.value
                    ),
                );
            }
            attempts.value = MAX_ATTEMPTS;
        }
        let codes = match self.cx.field(retry, "on_status_codes") {
            Some(_) => self.status_codes(retry),
            None => DEFAULT_RETRY_CODES.to_vec(),
        };
        Some(RetrySpec {
            attempts,
            codes,
            honours_retry_after: retry.get("use_retry_after_header").and_then(Node::as_bool)
                == Some(true),
            location,
        })
    }

    /// `on_status_codes` of `object`.
    fn status_codes(&mut self, object: &Node) -> Vec<u16> {
        let codes = self.cx.statuses(object, "on_status_codes");
        codes.into_iter().map(|code| code.value).collect()
    }

    /// A strategy choosing among `inherited`'s targets skips those whose circuit is open: the
    /// breaker it inherits protects the route.
    fn apply_breaker(&mut self, inherited: &Inherited) {
        if let Some(breaker) = &inherited.breaker {
            if self.breakers_at.insert(breaker.location) {
                self.breakers.push(breaker.clone());
            }
        }
    }

    /// `strategy.cb_config`: targets that fail too often leave the strategy for a while.
    fn breaker(&mut self, config: &Node) -> Option<CircuitBreaker> {
        let location = self.cx.at(config);
        if !config.is_map() {
            self.cx.invalid(
                config,
                "`cb_config` sets `failure_threshold` or `failure_threshold_percentage`, and \
                 `cooldown_interval`",
            );
            return None;
        }
        let threshold = self.cx.count(config, "failure_threshold");
        let percentage = config.get("failure_threshold_percentage");
        if let Some(percentage) = percentage {
            let valid = number(percentage).is_some_and(|value| (0.0..=100.0).contains(&value));
            if !valid {
                self.cx.invalid(
                    percentage,
                    "`failure_threshold_percentage` is a percentage, 0 to 100",
                );
            }
        }
        if let Some(cooldown) = self.cx.duration(config, "cooldown_interval") {
            if cooldown.value < SHORTEST_COOLDOWN {
                if let Some(node) = config.get("cooldown_interval") {
                    self.cx
                        .invalid(node, "`cooldown_interval` is at least 30000 (milliseconds)");
                }
            }
        }
        self.cx.statuses(config, "failure_status_codes");
        Some(CircuitBreaker {
            kind: if percentage.is_some() {
                CircuitBreakerKind::Expression
            } else {
                CircuitBreakerKind::ConsecutiveErrors
            },
            location,
            ineffective: (threshold.as_ref().is_some_and(|count| count.value == 0)
                && percentage.is_none())
            .then(|| "`failure_threshold: 0` never opens the circuit".to_string()),
            open_status: None,
            trip: None,
        })
    }

    fn leaf(&mut self, node: &Node, path: Option<String>, inherited: &Inherited) -> Branch {
        let path = path.unwrap_or_else(|| self.config_name.clone());
        let slug_and_model = inherited.model.as_deref().map(|model| {
            match model
                .strip_prefix('@')
                .and_then(|rest| rest.split_once('/'))
            {
                Some((slug, model)) => (Some(slug.to_string()), model.to_string()),
                None => (None, model.to_string()),
            }
        });
        let provider = self
            .cx
            .string(node, "provider")
            .map(|provider| provider.trim_start_matches('@').to_string())
            .or_else(|| slug_and_model.as_ref().and_then(|(slug, _)| slug.clone()));
        // A prompt target (`prompt_id`, for Portkey's prompts API) calls the model its prompt
        // template names, which the config does not show: the prompt stands for that model, so
        // two prompts are two deployments and the same prompt twice is one.
        let model = slug_and_model.map(|(_, model)| model).or_else(|| {
            self.cx
                .string(node, "prompt_id")
                .map(|id| format!("prompt:{id}"))
        });
        let virtual_key = self.cx.string(node, "virtual_key");
        let label = model
            .clone()
            .or_else(|| virtual_key.clone())
            .or_else(|| provider.clone())
            .unwrap_or_else(|| path.clone());
        let timeout = inherited.request_timeout.clone();
        let retries = inherited
            .retry
            .as_ref()
            .map_or(0, |retry| retry.attempts.value);
        let attempts = retries.saturating_add(1);
        let honours_retry_after = inherited
            .retry
            .as_ref()
            .is_some_and(|retry| retry.honours_retry_after && retry.codes.contains(&429));
        let waits = chain::doubling_waits(FIRST_RETRY_WAIT, None, retries).saturating_add(
            if honours_retry_after {
                RETRY_AFTER_LIMIT
            } else {
                Duration::ZERO
            },
        );
        let run = Run {
            label,
            calls: attempts,
            arithmetic: chain::attempts(attempts),
            longest: timeout
                .as_ref()
                .map(|timeout| chain::run_time(attempts, timeout.value, waits)),
        };
        let deployment = Deployment {
            provider,
            model,
            api_base: inherited.custom_host.clone(),
            credential: virtual_key.or_else(|| {
                node.get("api_key")
                    .and_then(Node::scalar_text)
                    .map(str::to_string)
            }),
            location: self.cx.anchor(node),
            timeout,
            stream_timeout: None,
        };
        let index = self.leaves.len();
        let branch = Branch {
            calls: run.calls,
            longest: run.longest,
            worst: vec![index],
            entries: vec![index],
            leaves: vec![index],
        };
        self.leaves.push(Leaf {
            path,
            deployment,
            retry: inherited.retry.clone(),
            run,
        });
        branch
    }

    /// Every leaf whose failure ends a target falls back to where the next target starts.
    fn fallback_edges(&mut self, strategy: &Node, targets: &[Node], children: &[Branch]) {
        let codes = self.cx.field(strategy, "on_status_codes");
        let trigger = match codes {
            Some(_) => FallbackTrigger::Statuses(self.status_codes(strategy)),
            None => FallbackTrigger::AnyFailure,
        };
        let declared = self.cx.at(codes.unwrap_or(strategy));
        for (order, pair) in children.windows(2).enumerate() {
            let [failing, next] = pair else {
                continue;
            };
            let location = targets
                .get(order + 1)
                .map_or(declared, |target| self.cx.anchor(target));
            for &from in &failing.leaves {
                for &to in &next.entries {
                    let (Some(from), Some(to)) = (self.leaves.get(from), self.leaves.get(to))
                    else {
                        continue;
                    };
                    self.edges.push(FallbackEdge {
                        from: from.path.clone(),
                        to: to.path.clone(),
                        trigger: trigger.clone(),
                        order: order + 1,
                        location,
                        declared,
                        explicit: true,
                    });
                }
            }
        }
    }
}

/// A number scalar's value; `None` for anything else, quoted numbers included.
fn number(node: &Node) -> Option<f64> {
    match node.scalar_kind() {
        Some(ScalarKind::Int | ScalarKind::Float) => {
            node.scalar_text().and_then(|text| text.parse().ok())
        }
        _ => None,
    }
}

/// Targets tried one after another (`fallback`): a request that keeps failing pays for each.
fn sequence(children: Vec<Branch>) -> Branch {
    let mut branch = Branch {
        calls: 0,
        longest: Some(Duration::ZERO),
        worst: Vec::new(),
        entries: children
            .first()
            .map(|first| first.entries.clone())
            .unwrap_or_default(),
        leaves: Vec::new(),
    };
    for child in children {
        branch.calls = branch.calls.saturating_add(child.calls);
        branch.longest = branch
            .longest
            .zip(child.longest)
            .map(|(sum, longest)| sum.checked_add(longest).unwrap_or(Duration::MAX));
        branch.worst.extend(child.worst);
        branch.leaves.extend(child.leaves);
    }
    branch
}

/// One target picked among several (`loadbalance`, `conditional`): the worst pick counts.
fn choice(candidates: Vec<Branch>) -> Branch {
    let longest = candidates
        .iter()
        .try_fold(Duration::ZERO, |longest, candidate| {
            candidate.longest.map(|candidate| longest.max(candidate))
        });
    let mut branch = Branch {
        calls: 0,
        longest: if candidates.is_empty() { None } else { longest },
        worst: Vec::new(),
        entries: Vec::new(),
        leaves: Vec::new(),
    };
    for candidate in candidates {
        if candidate.calls > branch.calls {
            branch.calls = candidate.calls;
            branch.worst.clone_from(&candidate.worst);
        }
        branch.entries.extend(candidate.entries);
        branch.leaves.extend(candidate.leaves);
    }
    branch
}

fn route(
    name: String,
    location: Location,
    root: &Branch,
    leaves: &[Leaf],
    breakers: Vec<CircuitBreaker>,
) -> Route {
    let worst: Vec<&Leaf> = root
        .worst
        .iter()
        .filter_map(|&index| leaves.get(index))
        .collect();
    let runs: Vec<Run> = worst.iter().map(|leaf| leaf.run.clone()).collect();
    // Every target a request can reach counts, not only the costliest pick: a `loadbalance`
    // sends some requests to each target of non-zero weight, with that target's own timeout
    // and retries (`tryTargetsRecursively` in src/handlers/handlerUtils.ts).
    let reachable: Vec<&Leaf> = root
        .leaves
        .iter()
        .filter_map(|&index| leaves.get(index))
        .collect();
    let bounded = reachable
        .iter()
        .all(|leaf| leaf.deployment.timeout.is_some());
    let per_try = if bounded {
        reachable
            .iter()
            .filter_map(|leaf| leaf.deployment.timeout.clone())
            .max_by_key(|timeout| timeout.value)
    } else {
        None
    };
    let timeout = (!bounded).then(|| NO_TIMEOUT.sourced(Timeout::Unbounded));
    let retry = reachable
        .iter()
        .filter_map(|leaf| leaf.retry.as_ref())
        .filter(|retry| retry.attempts.value > 0)
        .max_by_key(|retry| retry.attempts.value)
        .map(|spec| Retry {
            conditions: spec
                .codes
                .iter()
                .map(|code| RetryCondition::Status(*code, *code))
                .collect(),
            backoff: Some(Backoff {
                base: Some(FIRST_WAIT.sourced(FIRST_RETRY_WAIT)),
                max: Some(
                    UNCAPPED_WAIT.sourced(
                        FIRST_RETRY_WAIT
                            .checked_mul(1u32 << spec.attempts.value.saturating_sub(1).min(30))
                            .unwrap_or(Duration::MAX),
                    ),
                ),
                jittered: false,
                factor: 2.0,
            }),
            non_idempotent: Some(true),
            ..Retry::new(spec.attempts.clone(), spec.location)
        });
    let mut targets: Vec<String> = Vec::new();
    let first_label = worst.first().map(|leaf| leaf.run.label.clone());
    let mut listed: HashSet<&str> = first_label.iter().map(String::as_str).collect();
    for leaf in worst.iter().skip(1) {
        if listed.insert(&leaf.run.label) {
            targets.push(leaf.run.label.clone());
        }
    }
    let fallbacks = if worst.len() > 1 {
        vec![Fallback {
            kind: FallbackKind::ModelFallback,
            targets,
            location,
        }]
    } else {
        Vec::new()
    };
    let attempts = retry
        .as_ref()
        .map_or(1, |retry| retry.max_retries.value.saturating_add(1));
    let calls = chain::total_calls(&runs);
    let amplification = (calls > attempts).then(|| Amplification {
        calls,
        explanation: chain::explain(&runs, "target", false),
        location,
    });
    let policy = Policy {
        timeout,
        per_try_timeout: per_try,
        retry,
        circuit_breakers: breakers,
        fallbacks,
        upstream: first_label.map(|label| Upstream {
            name: label,
            endpoints: Some(u32::try_from(root.leaves.len()).unwrap_or(u32::MAX)),
            location: Some(location),
        }),
        statuses: GatewayStatuses {
            // `REQUEST_TIMEOUT_STATUS_CODE`: a target that runs out of time answers 408.
            on_timeout: leaves
                .iter()
                .any(|leaf| leaf.deployment.timeout.is_some())
                .then_some(408),
            ..GatewayStatuses::default()
        },
        amplification,
        chain_worst_case: root.longest,
        ..Policy::default()
    };
    let path = PathMatch::new(PathKind::Exact, ENDPOINT, location);
    Route {
        name: Some(name),
        methods: MethodSet::Only(vec![Method::Post]),
        ..Route::new(GatewayFormat::Portkey, location, path, policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{parse_text, Syntax};

    fn detects(text: &str) -> bool {
        parse_text(text, Syntax::Json)
            .ok()
            .and_then(|loaded| loaded.documents.into_iter().next())
            .is_some_and(|document| detect(&document))
    }

    #[test]
    fn detection() {
        assert!(detects(
            r#"{"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}]}"#
        ));
        assert!(detects(r#"{"retry": {"attempts": 3}}"#));
        assert!(detects(r#"{"provider": "openai", "api_key": "sk"}"#));
        assert!(detects(r#"{"virtual_key": "a", "vertex_region": "us"}"#));
        // Other formats' keys, or Portkey keys that configure nothing on their own.
        assert!(!detects(r#"{"provider": "openai"}"#));
        assert!(!detects(r#"{"retry": {"attempts": 3}, "services": []}"#));
        assert!(!detects(
            r#"{"strategy": "fallback", "kind": "Deployment"}"#
        ));
        // A config with a mode Portkey does not know is still a config, to report the mode.
        assert!(detects(
            r#"{"strategy": {"mode": "canary"}, "targets": []}"#
        ));
        assert!(!detects(r#"{"openapi": "3.1.0", "paths": {}}"#));
        assert!(!detects(r#"[{"retry": {"attempts": 3}}]"#));
    }
}
