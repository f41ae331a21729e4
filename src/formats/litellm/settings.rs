//! `router_settings`, `litellm_settings` and `general_settings`, resolved with LiteLLM's
//! precedence and defaults.

use std::time::Duration;

use super::{
    DEFAULT_MAX_FALLBACKS, DEFAULT_RETRIES, DEFAULT_RETRIES_NOTE, DEFAULT_TIMEOUT,
    DEFAULT_TIMEOUT_NOTE,
};
use crate::formats::values::Dialect;
use crate::formats::AdaptContext;
use crate::model::policy::{ActiveCheck, CircuitBreaker, CircuitBreakerKind};
use crate::model::Sourced;
use crate::source::Node;
use crate::span::{FileId, Location};

/// The exception classes of `retry_policy` (LiteLLM's `RetryPolicy`).
const RETRY_POLICY_CLASSES: &[&str] = &[
    "BadRequestErrorRetries",
    "AuthenticationErrorRetries",
    "TimeoutErrorRetries",
    "RateLimitErrorRetries",
    "ContentPolicyViolationErrorRetries",
    "InternalServerErrorRetries",
];

/// `router_settings` and `litellm_settings`, resolved.
pub(super) struct Settings<'a> {
    /// The router's bound on one call.
    pub(super) timeout: Sourced<Duration>,
    pub(super) stream_timeout: Option<Sourced<Duration>>,
    pub(super) num_retries: Sourced<u32>,
    /// Per exception class, replacing `num_retries` for that class.
    pub(super) retry_policy: Vec<(&'static str, Sourced<u32>)>,
    pub(super) retry_after: Option<Sourced<Duration>>,
    pub(super) max_fallbacks: u32,
    pub(super) cooldown: CircuitBreaker,
    /// Background health checks (`general_settings.background_health_checks`).
    pub(super) active_check: Option<ActiveCheck>,
    pub(super) fallbacks: FallbackLists<'a>,
    /// `model_group_alias`: alias and the group it names.
    pub(super) aliases: Vec<(String, String)>,
    /// Where the route-level retry settings are written, for locations.
    pub(super) retries_location: Option<Location>,
}

/// The fallback lists in force, each as the sequence node that declares it.
pub(super) struct FallbackLists<'a> {
    pub(super) general: Option<&'a Node>,
    pub(super) context_window: Option<&'a Node>,
    pub(super) content_policy: Option<&'a Node>,
    /// `default_fallbacks`: the key and its list.
    pub(super) default: Option<(&'a Node, &'a Node)>,
}

impl<'a> Settings<'a> {
    pub(super) fn read(
        cx: &mut AdaptContext<'_>,
        file: FileId,
        document: &'a Node,
    ) -> Settings<'a> {
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
    pub(super) fn retries(&self, deployments: usize) -> Sourced<u32> {
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
    pub(super) fn deciding_policy_key(&self, retries: &Sourced<u32>) -> Option<String> {
        self.retry_policy
            .iter()
            .find(|(_, count)| count.origin == retries.origin)
            .map(|(class, _)| format!("retry_policy.{class}"))
    }

    /// Retries of one exception class: the `retry_policy` count where the policy names the
    /// class, else `num_retries` (LiteLLM's `get_num_retries_from_retry_policy` in
    /// `litellm/router_utils/get_retry_from_policy.py`, read by `Router.function_with_retries`).
    pub(super) fn retries_of(&self, class: &str) -> u32 {
        self.retries_for(class).value
    }

    /// [`Self::retries_of`], with where the count is written.
    pub(super) fn retries_for(&self, class: &str) -> Sourced<u32> {
        self.retry_policy
            .iter()
            .find(|(name, _)| *name == class)
            .map_or_else(|| self.num_retries.clone(), |(_, count)| count.clone())
    }
}

/// Whether a model group of `deployments` deployments retries the exception class at all:
/// LiteLLM's `should_retry_this_error` raises an `AuthenticationError` at once when the group
/// has a single deployment (there is no other key to try), whatever `retry_policy` says.
pub(super) fn retries_class(class: &str, deployments: usize) -> bool {
    class != "AuthenticationErrorRetries" || deployments >= 2
}

/// `key` of `object` as text; `None` when absent, reported when it is a list or mapping.
pub(super) fn text(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &Node,
    key: &str,
) -> Option<String> {
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
pub(super) fn seconds(
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
