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

use std::time::Duration;

use super::chain::{self, Run};
use super::values::Dialect;
use super::{anchor, AdaptContext, Adapter};
use crate::model::ai::{
    Deployment, FallbackEdge, FallbackGraph, FallbackTrigger, GraphNodes, ModelGroup,
};
use crate::model::policy::{
    ActiveCheck, Amplification, Backoff, CircuitBreaker, CircuitBreakerKind, Fallback,
    FallbackKind, GatewayStatuses, HealthCheck, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced};
use crate::source::Node;
use crate::span::FileId;
use crate::span::Location;

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
const DEFAULT_TIMEOUT_NOTE: &str = "LiteLLM's default request_timeout of 6000s";
/// The router falls back to `openai.DEFAULT_MAX_RETRIES` when no `num_retries` is set.
const DEFAULT_RETRIES: u32 = 2;
const DEFAULT_RETRIES_NOTE: &str = "LiteLLM's default of 2 retries (num_retries)";
/// `ROUTER_MAX_FALLBACKS`.
const DEFAULT_MAX_FALLBACKS: u32 = 5;
/// `INITIAL_RETRY_DELAY` and `MAX_RETRY_DELAY`: the router's waits between retries double from
/// 0.5s up to 8s (shorter when the provider sends `Retry-After`); the OpenAI client's own retries
/// wait the same way.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(500);
const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(8);
/// A walk is cut short after this many steps, or this deep: with a cycle and a large
/// `max_fallbacks`, the walk grows exponentially.
const MAX_STEPS: usize = 1000;
const MAX_DEPTH: u32 = 128;

/// Provider prefixes of `litellm_params.model` (LiteLLM's `provider_list`, the common part).
const PROVIDERS: &[&str] = &[
    "openai",
    "text-completion-openai",
    "azure",
    "azure_text",
    "azure_ai",
    "anthropic",
    "bedrock",
    "sagemaker",
    "sagemaker_chat",
    "vertex_ai",
    "vertex_ai_beta",
    "gemini",
    "mistral",
    "codestral",
    "text-completion-codestral",
    "cohere",
    "cohere_chat",
    "groq",
    "together_ai",
    "fireworks_ai",
    "deepseek",
    "xai",
    "perplexity",
    "ollama",
    "ollama_chat",
    "huggingface",
    "replicate",
    "openrouter",
    "deepinfra",
    "anyscale",
    "cerebras",
    "nvidia_nim",
    "databricks",
    "watsonx",
    "cloudflare",
    "ai21",
    "ai21_chat",
    "voyage",
    "jina_ai",
    "sambanova",
    "nebius",
    "novita",
    "baseten",
    "moonshot",
    "dashscope",
    "volcengine",
    "meta_llama",
    "github",
    "predibase",
    "friendliai",
    "clarifai",
    "lambda_ai",
    "hyperbolic",
    "featherless_ai",
    "nscale",
    "triton",
    "oci",
    "openai_like",
    "custom_openai",
    "custom",
    "hosted_vllm",
    "vllm",
    "lm_studio",
    "llamafile",
    "oobabooga",
    "litellm_proxy",
];

/// Prefixes that speak a protocol rather than name a provider: whoever serves `api_base` is
/// the provider.
const PROTOCOL_PREFIXES: &[&str] = &[
    "openai_like",
    "custom_openai",
    "custom",
    "hosted_vllm",
    "vllm",
    "lm_studio",
    "llamafile",
    "oobabooga",
    "litellm_proxy",
];

/// The exception classes of `retry_policy` (LiteLLM's `RetryPolicy`).
const RETRY_POLICY_CLASSES: &[&str] = &[
    "BadRequestErrorRetries",
    "AuthenticationErrorRetries",
    "TimeoutErrorRetries",
    "RateLimitErrorRetries",
    "ContentPolicyViolationErrorRetries",
    "InternalServerErrorRetries",
];

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let settings = Settings::read(cx, file, document);
    let deployments = read_model_list(cx, file, document, &settings);
    if deployments.is_empty() {
        return;
    }
    let groups = group_deployments(&deployments, &settings);
    let edges = fallback_edges(cx, file, &groups, &settings);
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
        .map(|group| group_run(group, &deployments, &settings))
        .collect();
    let routes: Vec<Route> = graph
        .groups
        .iter()
        .map(|group| route_for(&graph, group, &runs, &deployments, &settings))
        .collect();
    for (group, route) in graph.groups.iter_mut().zip(routes) {
        group.route = Some(cx.inventory.routes.len());
        cx.inventory.routes.push(route);
    }
    cx.inventory.fallback_graphs.push(graph);
}

/// `router_settings` and `litellm_settings`, resolved.
struct Settings<'a> {
    /// The router's bound on one call.
    timeout: Sourced<Duration>,
    stream_timeout: Option<Sourced<Duration>>,
    num_retries: Sourced<u32>,
    /// Per exception class, replacing `num_retries` for that class.
    retry_policy: Vec<(&'static str, Sourced<u32>)>,
    retry_after: Option<Sourced<Duration>>,
    max_fallbacks: u32,
    cooldown: CircuitBreaker,
    /// Background health checks (`general_settings.background_health_checks`).
    active_check: Option<ActiveCheck>,
    fallbacks: FallbackLists<'a>,
    /// `model_group_alias`: alias and the group it names.
    aliases: Vec<(String, String)>,
    /// Where the route-level retry settings are written, for locations.
    retries_location: Option<Location>,
}

/// The fallback lists in force, each as the sequence node that declares it.
struct FallbackLists<'a> {
    general: Option<&'a Node>,
    context_window: Option<&'a Node>,
    content_policy: Option<&'a Node>,
    /// `default_fallbacks`: the key and its list.
    default: Option<(&'a Node, &'a Node)>,
}

impl<'a> Settings<'a> {
    fn read(cx: &mut AdaptContext<'_>, file: FileId, document: &'a Node) -> Settings<'a> {
        let router = section(cx, file, document, "router_settings");
        let litellm = section(cx, file, document, "litellm_settings");
        let general = section(cx, file, document, "general_settings");
        let both = [router, litellm];

        let timeout = router
            .and_then(|router| seconds(cx, file, router, "timeout"))
            .or_else(|| litellm.and_then(|litellm| seconds(cx, file, litellm, "request_timeout")))
            .unwrap_or_else(|| Sourced::default(DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_NOTE));
        let stream_timeout = router.and_then(|router| seconds(cx, file, router, "stream_timeout"));
        let num_retries = first_count(cx, file, &both, "num_retries")
            .unwrap_or_else(|| Sourced::default(DEFAULT_RETRIES, DEFAULT_RETRIES_NOTE));
        let retry_policy = router
            .and_then(|router| router.get("retry_policy"))
            .map(|policy| read_retry_policy(cx, file, policy))
            .unwrap_or_default();
        let retry_after = router
            .and_then(|router| cx.duration(file, router, "retry_after", Dialect::Seconds))
            .filter(|wait| !wait.value.is_zero());
        let max_fallbacks = first_count(cx, file, &both, "max_fallbacks")
            .map_or(DEFAULT_MAX_FALLBACKS, |count| count.value);
        let cooldown = read_cooldown(cx, file, document, router, litellm);
        let active_check = general.and_then(|general| {
            let entry = general.entry("background_health_checks")?;
            if entry.value.as_bool().is_none() {
                cx.invalid_value(
                    file,
                    &entry.value,
                    "`background_health_checks` is `true` or `false`",
                );
            }
            (entry.value.as_bool() == Some(true)).then(|| ActiveCheck {
                interval: cx.duration(file, general, "health_check_interval", Dialect::Seconds),
                timeout: None,
                location: Location {
                    file,
                    span: entry.key.span,
                },
            })
        });
        let list = |key: &str| -> Option<&'a Node> {
            // A list in `router_settings` replaces the other unless it is empty or null
            // (`fallbacks or litellm.fallbacks`); anything else is read, to be reported.
            let empty = |list: &Node| list.is_null() || (list.is_seq() && list.items().is_empty());
            let in_router = router
                .and_then(|router| router.get(key))
                .filter(|list| !empty(list));
            in_router.or_else(|| litellm.and_then(|litellm| litellm.get(key)))
        };
        let fallbacks = FallbackLists {
            general: list("fallbacks"),
            context_window: list("context_window_fallbacks"),
            content_policy: list("content_policy_fallbacks"),
            default: default_fallbacks(cx, file, router, litellm),
        };
        let aliases = router
            .and_then(|router| router.get("model_group_alias"))
            .map(|aliases| model_group_aliases(cx, file, aliases))
            .unwrap_or_default();
        let retries_location = num_retries.origin.location().or_else(|| {
            router
                .and_then(|router| router.entry("retry_policy"))
                .map(|entry| Location {
                    file,
                    span: entry.key.span,
                })
        });
        Settings {
            timeout,
            stream_timeout,
            num_retries,
            retry_policy,
            retry_after,
            max_fallbacks,
            cooldown,
            active_check,
            fallbacks,
            aliases,
            retries_location,
        }
    }

    /// Retries of one failing model group of `deployments` deployments, whatever the error:
    /// the largest per-class count among the classes the group retries. `num_retries` stays a
    /// floor: it still governs the errors no policy key names (connection errors, 503s).
    fn retries(&self, deployments: usize) -> Sourced<u32> {
        self.retry_policy
            .iter()
            .filter(|(class, _)| retries_class(class, deployments))
            .map(|(_, count)| count)
            .filter(|count| count.value > self.num_retries.value)
            .max_by_key(|count| count.value)
            .unwrap_or(&self.num_retries)
            .clone()
    }

    /// The `retry_policy` key that sets `retries`, when one does rather than `num_retries`.
    fn deciding_policy_key(&self, retries: &Sourced<u32>) -> Option<String> {
        self.retry_policy
            .iter()
            .find(|(_, count)| count.origin == retries.origin)
            .map(|(class, _)| format!("retry_policy.{class}"))
    }

    /// Retries of one exception class: the `retry_policy` count where the policy names the
    /// class, else `num_retries` (LiteLLM's `get_num_retries_from_retry_policy` in
    /// `litellm/router_utils/get_retry_from_policy.py`, read by `Router.function_with_retries`).
    fn retries_of(&self, class: &str) -> u32 {
        self.retries_for(class).value
    }

    /// [`Self::retries_of`], with where the count is written.
    fn retries_for(&self, class: &str) -> Sourced<u32> {
        self.retry_policy
            .iter()
            .find(|(name, _)| *name == class)
            .map_or_else(|| self.num_retries.clone(), |(_, count)| count.clone())
    }
}

/// Whether a model group of `deployments` deployments retries the exception class at all:
/// LiteLLM's `should_retry_this_error` raises an `AuthenticationError` at once when the group
/// has a single deployment (there is no other key to try), whatever `retry_policy` says.
fn retries_class(class: &str, deployments: usize) -> bool {
    class != "AuthenticationErrorRetries" || deployments >= 2
}

/// `key` of `object` as text; `None` when absent, reported when it is a list or mapping.
fn text(cx: &mut AdaptContext<'_>, file: FileId, object: &Node, key: &str) -> Option<String> {
    let node = object.get(key).filter(|node| !node.is_null())?;
    match node.scalar_text() {
        Some(text) => Some(text.to_string()),
        None => {
            cx.invalid_value(
                file,
                node,
                format!("`{key}` is a text, not {}", node.type_name()),
            );
            None
        }
    }
}

/// A settings mapping of the config, reported when it is something else.
fn section<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    document: &'a Node,
    key: &str,
) -> Option<&'a Node> {
    let node = document.get(key).filter(|node| !node.is_null())?;
    if node.is_map() {
        return Some(node);
    }
    cx.invalid_value(file, node, format!("`{key}` is a mapping of settings"));
    None
}

/// `default_fallbacks`, from `router_settings` else `litellm_settings`: its key and its list of
/// model group names.
fn default_fallbacks<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    router: Option<&'a Node>,
    litellm: Option<&'a Node>,
) -> Option<(&'a Node, &'a Node)> {
    for object in [router, litellm].into_iter().flatten() {
        let Some(entry) = object.entry("default_fallbacks") else {
            continue;
        };
        if !entry.value.is_seq() {
            if !entry.value.is_null() {
                cx.invalid_value(
                    file,
                    &entry.value,
                    "`default_fallbacks` is a list of model group names",
                );
            }
            continue;
        }
        for item in entry.value.items() {
            if item.as_str().is_none() {
                cx.invalid_value(file, item, "a fallback must name a model group");
            }
        }
        if !entry.value.items().is_empty() {
            return Some((&entry.key, &entry.value));
        }
    }
    None
}

/// `model_group_alias`: each alias and the group it names (a name, or `{model, hidden}`).
fn model_group_aliases(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    aliases: &Node,
) -> Vec<(String, String)> {
    if !aliases.is_map() {
        cx.invalid_value(
            file,
            aliases,
            "`model_group_alias` maps each alias to a model group name",
        );
        return Vec::new();
    }
    let mut read = Vec::new();
    for entry in aliases.entries() {
        let group = entry
            .value
            .as_str()
            .or_else(|| entry.value.get("model").and_then(Node::as_str));
        match (entry.key.scalar_text(), group) {
            (Some(alias), Some(group)) => read.push((alias.to_string(), group.to_string())),
            _ => cx.invalid_value(
                file,
                &entry.value,
                "an alias names a model group, as a name or `{model: name}`",
            ),
        }
    }
    read
}

/// A duration in seconds; 0 is reported, as LiteLLM reads it as "not set".
fn seconds(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &Node,
    key: &str,
) -> Option<Sourced<Duration>> {
    let value = cx.duration(file, object, key, Dialect::Seconds)?;
    if value.value.is_zero() {
        if let Some(node) = object.get(key) {
            cx.invalid_value(
                file,
                node,
                format!("`{key}: 0` bounds nothing: LiteLLM reads a timeout of 0 as not set"),
            );
        }
        return None;
    }
    Some(value)
}

/// The first of the settings objects that sets `key` to a valid count.
fn first_count(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    objects: &[Option<&Node>],
    key: &str,
) -> Option<Sourced<u32>> {
    objects
        .iter()
        .flatten()
        .find_map(|object| cx.count(file, object, key))
}

fn read_retry_policy(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    policy: &Node,
) -> Vec<(&'static str, Sourced<u32>)> {
    if !policy.is_map() {
        cx.invalid_value(
            file,
            policy,
            "`retry_policy` maps exception classes to retry counts, e.g. `TimeoutErrorRetries: 2`",
        );
        return Vec::new();
    }
    let mut classes = Vec::new();
    for entry in policy.entries() {
        let name = entry.key.scalar_text().unwrap_or_default();
        match RETRY_POLICY_CLASSES.iter().find(|class| **class == name) {
            Some(class) => {
                if let Some(count) = cx.count(file, policy, class) {
                    classes.push((*class, count));
                }
            }
            None => cx.invalid_value(
                file,
                &entry.key,
                format!(
                    "`{name}` is not a retry policy class LiteLLM knows ({}), so it is ignored",
                    RETRY_POLICY_CLASSES.join(", ")
                ),
            ),
        }
    }
    classes
}

/// Cooldowns are LiteLLM's circuit breaker: a deployment that fails more than `allowed_fails`
/// times in a minute leaves the pool for `cooldown_time`.
fn read_cooldown(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    document: &Node,
    router: Option<&Node>,
    litellm: Option<&Node>,
) -> CircuitBreaker {
    let allowed_fails = first_count(cx, file, &[router, litellm], "allowed_fails");
    let cooldown_time = [router, litellm]
        .into_iter()
        .flatten()
        .find_map(|object| cx.duration(file, object, "cooldown_time", Dialect::Seconds));
    let disabled = router.and_then(|router| router.entry("disable_cooldowns"));
    if let Some(entry) = disabled.filter(|entry| entry.value.as_bool().is_none()) {
        cx.invalid_value(
            file,
            &entry.value,
            "`disable_cooldowns` is `true` or `false`",
        );
    }
    let (location, ineffective) = match disabled {
        Some(entry) if entry.value.as_bool() == Some(true) => (
            Location {
                file,
                span: entry.key.span,
            },
            Some("`disable_cooldowns: true` keeps failing deployments in the pool".to_string()),
        ),
        _ => (
            allowed_fails
                .and_then(|fails| fails.origin.location())
                .or_else(|| cooldown_time.and_then(|time| time.origin.location()))
                .unwrap_or(Location {
                    file,
                    span: document
                        .entry("model_list")
                        .map_or(document.span, |entry| entry.key.span),
                }),
            None,
        ),
    };
    CircuitBreaker {
        kind: CircuitBreakerKind::OutlierEjection,
        location,
        ineffective,
        open_status: None,
    }
}

/// One `model_list` entry, read.
struct DeploymentEntry {
    group: String,
    deployment: Deployment,
    /// `model_info.id`: a fallback may name this deployment.
    id: Option<String>,
    /// `model_info.mode`: which endpoint serves it.
    mode: Option<String>,
    /// The OpenAI client's own retries inside each router attempt (`litellm_params.max_retries`).
    client_retries: u32,
}

fn read_model_list(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    document: &Node,
    settings: &Settings<'_>,
) -> Vec<DeploymentEntry> {
    let mut entries = Vec::new();
    for item in document
        .get("model_list")
        .map(Node::items)
        .unwrap_or_default()
    {
        let location = Location {
            file,
            span: anchor(item),
        };
        let Some(group) = item.get("model_name").and_then(Node::scalar_text) else {
            cx.invalid_value(file, item, "a `model_list` entry needs a `model_name`");
            continue;
        };
        let Some(params) = item.get("litellm_params").filter(|params| params.is_map()) else {
            cx.invalid_value(
                file,
                item.get("litellm_params").unwrap_or(item),
                "a `model_list` entry needs `litellm_params` with the `model` to call",
            );
            continue;
        };
        let Some(model) = params.get("model").and_then(Node::as_str) else {
            cx.invalid_value(
                file,
                params.get("model").unwrap_or(params),
                "`litellm_params.model` must name the model to call, e.g. `azure/gpt-4o`",
            );
            continue;
        };
        let api_base = text(cx, file, params, "api_base");
        let raw_model = model;
        let (provider, model) = split_model(model, api_base.as_deref());
        let timeout = seconds(cx, file, params, "timeout")
            .or_else(|| seconds(cx, file, params, "request_timeout"))
            .unwrap_or_else(|| settings.timeout.clone());
        let stream_timeout =
            seconds(cx, file, params, "stream_timeout").or_else(|| settings.stream_timeout.clone());
        let client_retries = cx
            .count(file, params, "max_retries")
            .map_or(0, |count| count.value);
        let model_info = item.get("model_info");
        entries.push(DeploymentEntry {
            group: group.to_string(),
            deployment: Deployment {
                provider,
                model: Some(model),
                api_base,
                credential: params
                    .get("api_key")
                    .and_then(Node::scalar_text)
                    .map(str::to_string),
                location,
                timeout: Some(timeout),
                stream_timeout,
            },
            id: model_info
                .and_then(|info| info.get("id"))
                .and_then(Node::scalar_text)
                .map(str::to_string),
            mode: model_info
                .and_then(|info| text(cx, file, info, "mode"))
                // The `text-completion-` providers speak the legacy completions API.
                .or_else(|| {
                    raw_model
                        .starts_with("text-completion-")
                        .then(|| "completion".to_string())
                }),
            client_retries,
        });
    }
    entries
}

/// The provider and the model of `litellm_params.model`: a known provider prefix, or the
/// provider the model name belongs to. Protocol prefixes (and `openai/` pointed at another
/// server) leave the provider to `api_base`.
fn split_model(model: &str, api_base: Option<&str>) -> (Option<String>, String) {
    if let Some((prefix, rest)) = model.split_once('/') {
        if PROVIDERS.contains(&prefix) {
            let elsewhere = api_base.is_some_and(|base| !base.contains("api.openai.com"));
            if PROTOCOL_PREFIXES.contains(&prefix) || (prefix == "openai" && elsewhere) {
                return (None, rest.to_string());
            }
            return (
                Some(canonical_provider(prefix).to_string()),
                rest.to_string(),
            );
        }
    }
    (
        provider_of_model(model).map(str::to_string),
        model.to_string(),
    )
}

/// Several prefixes reach the same provider through different APIs.
fn canonical_provider(prefix: &str) -> &str {
    match prefix {
        "text-completion-openai" => "openai",
        "azure_text" => "azure",
        "vertex_ai_beta" => "vertex_ai",
        "ollama_chat" => "ollama",
        "cohere_chat" => "cohere",
        "sagemaker_chat" => "sagemaker",
        "ai21_chat" => "ai21",
        "text-completion-codestral" | "codestral" => "mistral",
        other => other,
    }
}

/// The provider LiteLLM infers for a model named without a prefix.
fn provider_of_model(model: &str) -> Option<&'static str> {
    const OPENAI: &[&str] = &[
        "gpt-",
        "o1",
        "o3",
        "o4",
        "chatgpt-",
        "text-embedding-",
        "dall-e",
        "whisper",
        "tts-",
        "davinci",
        "babbage",
        "omni-moderation",
        "text-moderation",
    ];
    let starts = |prefixes: &[&str]| prefixes.iter().any(|prefix| model.starts_with(prefix));
    if starts(OPENAI) {
        Some("openai")
    } else if starts(&["claude"]) {
        Some("anthropic")
    } else if starts(&["gemini"]) {
        Some("vertex_ai")
    } else if starts(&["command"]) {
        Some("cohere")
    } else if starts(&[
        "mistral-",
        "mixtral-",
        "open-mistral",
        "open-mixtral",
        "codestral",
    ]) {
        Some("mistral")
    } else if starts(&["deepseek-"]) {
        Some("deepseek")
    } else if starts(&["grok-"]) {
        Some("xai")
    } else {
        None
    }
}

fn group_deployments(entries: &[DeploymentEntry], settings: &Settings<'_>) -> Vec<ModelGroup> {
    let mut groups: Vec<ModelGroup> = Vec::new();
    for entry in entries {
        let index = match groups.iter().position(|group| group.name == entry.group) {
            Some(index) => index,
            None => {
                groups.push(ModelGroup {
                    name: entry.group.clone(),
                    aliases: settings
                        .aliases
                        .iter()
                        .filter(|(_, group)| *group == entry.group)
                        .map(|(alias, _)| alias.clone())
                        .collect(),
                    location: entry.deployment.location,
                    deployments: Vec::new(),
                    route: None,
                });
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(index) {
            group.deployments.push(entry.deployment.clone());
            group.aliases.extend(entry.id.iter().cloned());
        }
    }
    groups
}

/// One fallback list entry: `{"gpt-4o": ["claude-sonnet", "llama-70b"]}`.
struct ListEntry<'a> {
    source: String,
    key: &'a Node,
    targets: Vec<(String, &'a Node)>,
}

fn read_list<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    list: &'a Node,
    key: &str,
) -> Vec<ListEntry<'a>> {
    if !list.is_seq() {
        if !list.is_null() {
            cx.invalid_value(
                file,
                list,
                format!("`{key}` is a list of `{{model_group: [fallbacks]}}` mappings"),
            );
        }
        return Vec::new();
    }
    let mut entries = Vec::new();
    for item in list.items() {
        let [entry] = item.entries() else {
            cx.invalid_value(
                file,
                item,
                format!(
                    "each `{key}` entry maps one model group to its fallbacks, e.g. \
                     `{{\"gpt-4o\": [\"claude-sonnet\"]}}`"
                ),
            );
            continue;
        };
        let Some(source) = entry.key.scalar_text() else {
            continue;
        };
        let targets: Vec<(String, &Node)> = match &entry.value.kind {
            crate::source::NodeKind::Seq(items) => items
                .iter()
                .filter_map(|target| match target.scalar_text() {
                    Some(name) if !target.is_null() => Some((name.to_string(), target)),
                    _ => {
                        cx.invalid_value(file, target, "a fallback must name a model group");
                        None
                    }
                })
                .collect(),
            crate::source::NodeKind::Scalar(_) if !entry.value.is_null() => entry
                .value
                .scalar_text()
                .map(|name| vec![(name.to_string(), &entry.value)])
                .unwrap_or_default(),
            _ => {
                cx.invalid_value(
                    file,
                    &entry.value,
                    "the fallbacks of a model group are a list of model group names",
                );
                Vec::new()
            }
        };
        entries.push(ListEntry {
            source: source.to_string(),
            key: &entry.key,
            targets,
        });
    }
    entries
}

/// Every fallback of every group: its own entry of a list, else the list's `"*"` entry or
/// `default_fallbacks` (which LiteLLM appends as a last `"*"` entry). Entries for groups that do
/// not exist are kept, so that the fallback-invalid rule can report them.
fn fallback_edges(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    groups: &[ModelGroup],
    settings: &Settings<'_>,
) -> Vec<FallbackEdge> {
    let location = |node: &Node| Location {
        file,
        span: node.span,
    };
    let mut edges = Vec::new();
    let lists = [
        (settings.fallbacks.general, FallbackTrigger::General),
        (
            settings.fallbacks.context_window,
            FallbackTrigger::ContextWindow,
        ),
        (
            settings.fallbacks.content_policy,
            FallbackTrigger::ContentPolicy,
        ),
    ];
    for (list, trigger) in lists {
        let mut entries = list
            .map(|list| read_list(cx, file, list, trigger.key()))
            .unwrap_or_default();
        let mut wildcard = entries
            .iter()
            .rposition(|entry| entry.source == "*")
            .map(|index| entries.remove(index));
        if trigger == FallbackTrigger::General {
            if let Some((key, list)) = settings.fallbacks.default {
                let targets = list
                    .items()
                    .iter()
                    .filter_map(|target| Some((target.scalar_text()?.to_string(), target)))
                    .collect();
                wildcard = Some(ListEntry {
                    source: "*".to_string(),
                    key,
                    targets,
                });
            }
        }
        entries.retain(|entry| entry.source != "*");
        for entry in &entries {
            for (order, (target, node)) in entry.targets.iter().enumerate() {
                edges.push(FallbackEdge {
                    from: entry.source.clone(),
                    to: target.clone(),
                    trigger: trigger.clone(),
                    order,
                    location: location(node),
                    declared: location(entry.key),
                    explicit: true,
                });
            }
        }
        let Some(wildcard) = wildcard else {
            continue;
        };
        let implicit = match trigger {
            FallbackTrigger::General => FallbackTrigger::Default,
            ref other => other.clone(),
        };
        for group in groups {
            if entries.iter().any(|entry| entry.source == group.name) {
                continue;
            }
            for (order, (target, node)) in wildcard
                .targets
                .iter()
                .filter(|(target, _)| *target != group.name)
                .enumerate()
            {
                edges.push(FallbackEdge {
                    from: group.name.clone(),
                    to: target.clone(),
                    trigger: implicit.clone(),
                    order,
                    location: location(node),
                    declared: location(wildcard.key),
                    explicit: false,
                });
            }
        }
    }
    edges
}

/// One run through a group when every call fails: its attempts, each with the OpenAI client's
/// own retries, each call running to its timeout, with the waits in between.
fn group_run(group: &ModelGroup, entries: &[DeploymentEntry], settings: &Settings<'_>) -> Run {
    let retries = settings.retries(group.deployments.len()).value;
    let attempts = retries.saturating_add(1);
    // Only a call that times out runs to its timeout, so the longest run retries as often as
    // `TimeoutErrorRetries` (or `num_retries`) allows, whatever other classes may retry.
    let timeout_retries = settings.retries_of("TimeoutErrorRetries");
    let timeout_attempts = timeout_retries.saturating_add(1);
    let client_retries = entries
        .iter()
        .filter(|entry| entry.group == group.name)
        .map(|entry| entry.client_retries)
        .max()
        .unwrap_or(0);
    let client_tries = client_retries.saturating_add(1);
    let per_call = group
        .deployments
        .iter()
        .filter_map(|deployment| deployment.timeout.as_ref().map(|timeout| timeout.value))
        .max()
        .unwrap_or(DEFAULT_TIMEOUT);
    let (first_wait, longest_wait) = router_waits(settings);
    let waits = chain::doubling_waits(first_wait, Some(longest_wait), timeout_retries)
        .saturating_add(
            chain::doubling_waits(FIRST_RETRY_WAIT, Some(LONGEST_RETRY_WAIT), client_retries)
                .checked_mul(timeout_attempts)
                .unwrap_or(Duration::MAX),
        );
    let arithmetic = if client_tries > 1 {
        format!(
            "{} × {client_tries} client tries",
            chain::attempts(attempts)
        )
    } else {
        chain::attempts(attempts)
    };
    Run {
        label: group.name.clone(),
        calls: attempts.saturating_mul(client_tries),
        arithmetic,
        longest: Some(chain::run_time(
            timeout_attempts.saturating_mul(client_tries),
            per_call,
            waits,
        )),
    }
}

/// The router's wait before its first retry and the longest wait: `retry_after` raises the
/// minimum.
fn router_waits(settings: &Settings<'_>) -> (Duration, Duration) {
    match &settings.retry_after {
        Some(minimum) => (
            minimum.value.max(FIRST_RETRY_WAIT),
            minimum.value.max(LONGEST_RETRY_WAIT),
        ),
        None => (FIRST_RETRY_WAIT, LONGEST_RETRY_WAIT),
    }
}

/// The model groups a failing request runs through, in order, starting at `start`: each name's
/// general fallbacks in order, each with its own fallbacks, skipping the name itself, and no
/// deeper than `max_fallbacks` hops (LiteLLM's `run_async_fallback`). LiteLLM looks fallbacks up
/// by the name the request was sent to, so a fallback to a deployment's `model_info.id` does not
/// continue with its group's fallbacks. Returns the groups run (a name that is no group fails at
/// once, without a call) and whether the walk was cut short.
fn walk(graph: &FallbackGraph, start: &str, max_fallbacks: u32) -> (Vec<(String, usize)>, bool) {
    let mut walk = Walk {
        runs: Vec::new(),
        steps: 0,
        truncated: false,
    };
    visit(graph, start, 0, max_fallbacks, &mut walk);
    (walk.runs, walk.truncated)
}

struct Walk {
    runs: Vec<(String, usize)>,
    steps: usize,
    truncated: bool,
}

fn visit(graph: &FallbackGraph, name: &str, depth: u32, max_fallbacks: u32, walk: &mut Walk) {
    walk.steps += 1;
    if walk.steps > MAX_STEPS || depth > MAX_DEPTH {
        walk.truncated = true;
        return;
    }
    if let Some(group) = graph.resolve(name) {
        walk.runs.push((name.to_string(), group));
    }
    if depth >= max_fallbacks {
        return;
    }
    let mut hops = depth;
    for edge in graph.edges_from(name).filter(|edge| {
        matches!(
            edge.trigger,
            FallbackTrigger::General | FallbackTrigger::Default
        )
    }) {
        if edge.to == name {
            continue;
        }
        hops = hops.saturating_add(1);
        visit(graph, &edge.to, hops, max_fallbacks, walk);
    }
}

fn route_for(
    graph: &FallbackGraph,
    group: &ModelGroup,
    runs: &[Run],
    entries: &[DeploymentEntry],
    settings: &Settings<'_>,
) -> Route {
    let location = group.location;
    let (visits, truncated) = walk(graph, &group.name, settings.max_fallbacks);
    let chain_runs: Vec<Run> = visits
        .iter()
        .filter_map(|(name, visit)| {
            runs.get(*visit).map(|run| Run {
                label: name.clone(),
                ..run.clone()
            })
        })
        .collect();
    let visited = || {
        visits
            .iter()
            .filter_map(|(_, visit)| graph.groups.get(*visit))
    };
    let per_try = visited()
        .flat_map(|group| &group.deployments)
        .filter_map(|deployment| deployment.timeout.clone())
        .max_by_key(|timeout| timeout.value);
    let retries = settings.retries(group.deployments.len());
    let retry = (retries.value > 0).then(|| Retry {
        location: settings.retries_location.unwrap_or(location),
        max_retries: retries.clone(),
        unbounded: false,
        conditions: retry_conditions(settings, group.deployments.len()),
        backoff: Some(backoff(settings)),
        per_try_timeout: None,
        deadline: None,
        has_budget: false,
        non_idempotent: Some(true),
        counted_by: settings.deciding_policy_key(&retries),
    });
    let first_general_edge = graph.edges_from(&group.name).find(|edge| {
        matches!(
            edge.trigger,
            FallbackTrigger::General | FallbackTrigger::Default
        )
    });
    let mut fallbacks = Vec::new();
    let mut chain_targets: Vec<String> = Vec::new();
    for (name, _) in visits.iter().skip(1) {
        if *name != group.name && !chain_targets.contains(name) {
            chain_targets.push(name.clone());
        }
    }
    if !chain_targets.is_empty() {
        fallbacks.push(Fallback {
            kind: FallbackKind::ModelFallback,
            targets: chain_targets,
            location: first_general_edge.map_or(location, |edge| edge.declared),
        });
    }
    if group.deployments.len() >= 2 {
        fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: group.deployments.iter().map(Deployment::label).collect(),
            location,
        });
    }
    let total_calls = chain::total_calls(&chain_runs);
    let attempts = retries.value.saturating_add(1);
    let amplification = (total_calls > attempts).then(|| Amplification {
        calls: total_calls,
        explanation: chain::explain(&chain_runs, "model group", truncated),
        location: first_general_edge
            .map(|edge| edge.declared)
            .or(settings.retries_location)
            .unwrap_or(location),
    });
    let breaker = settings.cooldown.clone();
    let passive = breaker.ineffective.is_none().then_some(breaker.location);
    let health_check =
        (passive.is_some() || settings.active_check.is_some()).then(|| HealthCheck {
            active: settings.active_check.clone(),
            passive,
        });
    let policy = Policy {
        timeout: None,
        per_try_timeout: per_try,
        connect_timeout: None,
        retry,
        circuit_breakers: vec![breaker],
        health_check,
        fallbacks,
        rate_limit: None,
        upstream: Some(Upstream {
            name: group.name.clone(),
            endpoints: Some(u32::try_from(group.deployments.len()).unwrap_or(u32::MAX)),
            location: Some(location),
        }),
        backends: Vec::new(),
        fault_injection: false,
        per_try_until_response: false,
        timeout_home: None,
        statuses: GatewayStatuses {
            // `litellm.Timeout` is answered as 408.
            on_timeout: Some(408),
            on_circuit_open: None,
            on_rate_limited: None,
        },
        amplification,
        chain_worst_case: chain::total_time(&chain_runs),
        retry_budget: None,
    };
    let mode = entries
        .iter()
        .filter(|entry| entry.group == group.name)
        .find_map(|entry| entry.mode.clone());
    // The group's name says what it serves as often as the model does (`dall-e-2` for `azure/`).
    let model = format!(
        "{} {}",
        group.name,
        group
            .deployments
            .first()
            .and_then(|deployment| deployment.model.as_deref())
            .unwrap_or_default()
    );
    Route {
        format: GatewayFormat::LiteLlm,
        name: Some(group.name.clone()),
        location,
        methods: MethodSet::Only(vec![Method::Post]),
        methods_location: None,
        path: PathMatch {
            kind: PathKind::Exact,
            pattern: endpoint(mode.as_deref(), &model).to_string(),
            location,
            rewrite: None,
        },
        hosts: Vec::new(),
        policy,
        explicit_operation: None,
    }
}

/// What LiteLLM retries: every error but a missing model, and context window or content policy
/// errors that have their own fallbacks; `retry_policy` turns classes on or off. A group of one
/// deployment never retries an authentication error.
fn retry_conditions(settings: &Settings<'_>, deployments: usize) -> Vec<RetryCondition> {
    let mut conditions = Vec::new();
    if settings.num_retries.value > 0 {
        conditions.push(RetryCondition::ConnectFailure);
    }
    if settings.retries_of("TimeoutErrorRetries") > 0 {
        conditions.push(RetryCondition::Timeout);
    }
    if settings.retries_of("RateLimitErrorRetries") > 0 {
        conditions.push(RetryCondition::Status(429, 429));
    }
    if settings.retries_of("InternalServerErrorRetries") > 0 || settings.num_retries.value > 0 {
        conditions.push(RetryCondition::Any5xx);
    }
    let explicit = |class: &str| {
        retries_class(class, deployments)
            && settings
                .retry_policy
                .iter()
                .any(|(name, count)| *name == class && count.value > 0)
    };
    if explicit("BadRequestErrorRetries") {
        conditions.push(RetryCondition::Status(400, 400));
    }
    // A 401 cools its deployment down at once, so the retry goes to another deployment with its
    // own key: a failover between credentials, not the same request sent again for the same 401.
    if explicit("AuthenticationErrorRetries") {
        conditions.push(RetryCondition::Other(
            "authentication error, on another deployment".to_string(),
        ));
    }
    if explicit("ContentPolicyViolationErrorRetries") {
        conditions.push(RetryCondition::Other(
            "content policy violation".to_string(),
        ));
    }
    conditions
}

fn backoff(settings: &Settings<'_>) -> Backoff {
    match &settings.retry_after {
        Some(minimum) if minimum.value >= LONGEST_RETRY_WAIT => Backoff {
            base: Some(minimum.clone()),
            max: Some(minimum.clone()),
            jittered: false,
        },
        Some(minimum) => Backoff {
            base: Some(minimum.clone()),
            max: Some(Sourced::default(
                LONGEST_RETRY_WAIT,
                "LiteLLM's longest retry wait of 8s",
            )),
            jittered: false,
        },
        None => Backoff {
            base: Some(Sourced::default(
                FIRST_RETRY_WAIT,
                "LiteLLM's first retry wait of 0.5s, doubling after each retry",
            )),
            max: Some(Sourced::default(
                LONGEST_RETRY_WAIT,
                "LiteLLM's longest retry wait of 8s",
            )),
            jittered: false,
        },
    }
}

/// The OpenAI-compatible endpoint the proxy serves a group on, by its `model_info.mode`, else
/// by what the model is.
fn endpoint(mode: Option<&str>, model: &str) -> &'static str {
    let by_mode = |mode: &str| match mode {
        "embedding" => "/v1/embeddings",
        "completion" => "/v1/completions",
        "image_generation" => "/v1/images/generations",
        "audio_transcription" => "/v1/audio/transcriptions",
        "audio_speech" => "/v1/audio/speech",
        "rerank" => "/v1/rerank",
        "moderation" | "moderations" => "/v1/moderations",
        "responses" => "/v1/responses",
        _ => "/v1/chat/completions",
    };
    if let Some(mode) = mode {
        return by_mode(mode);
    }
    let name = model.to_ascii_lowercase();
    let inferred = if name.contains("embed") {
        "embedding"
    } else if ["gpt-3.5-turbo-instruct", "davinci-", "babbage-"]
        .iter()
        .any(|legacy| name.contains(legacy))
    {
        "completion"
    } else if name.contains("dall-e") || name.starts_with("gpt-image") {
        "image_generation"
    } else if name.contains("whisper") {
        "audio_transcription"
    } else if name.starts_with("tts-") {
        "audio_speech"
    } else if name.contains("rerank") {
        "rerank"
    } else if name.contains("moderation") {
        "moderation"
    } else {
        "chat"
    };
    by_mode(inferred)
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
    fn providers_from_prefixes_and_names() {
        assert_eq!(
            split_model("azure/gpt-4o", None),
            (Some("azure".to_string()), "gpt-4o".to_string())
        );
        assert_eq!(
            split_model("text-completion-openai/gpt-3.5-turbo-instruct", None),
            (
                Some("openai".to_string()),
                "gpt-3.5-turbo-instruct".to_string()
            )
        );
        assert_eq!(
            split_model("claude-3-opus-20240229", None),
            (
                Some("anthropic".to_string()),
                "claude-3-opus-20240229".to_string()
            )
        );
        // A protocol, not a provider: whoever serves api_base is the provider.
        assert_eq!(
            split_model(
                "hosted_vllm/meta-llama/Llama-3.1-8B",
                Some("http://vllm:8000")
            ),
            (None, "meta-llama/Llama-3.1-8B".to_string())
        );
        assert_eq!(
            split_model("openai/my-model", Some("https://llm.internal/v1")).0,
            None
        );
        assert_eq!(
            split_model("openai/gpt-4o", Some("https://api.openai.com/v1")).0,
            Some("openai".to_string())
        );
        assert_eq!(split_model("mistralai/mistral-7b-instruct", None).0, None);
    }

    #[test]
    fn endpoints_by_mode_and_model() {
        assert_eq!(endpoint(Some("embedding"), "x"), "/v1/embeddings");
        assert_eq!(
            endpoint(Some("chat"), "text-embedding-3"),
            "/v1/chat/completions"
        );
        assert_eq!(
            endpoint(None, "mistral-embed mistral-embed"),
            "/v1/embeddings"
        );
        assert_eq!(
            endpoint(None, "whisper whisper-1"),
            "/v1/audio/transcriptions"
        );
        assert_eq!(endpoint(None, "gpt-4o gpt-4o"), "/v1/chat/completions");
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
