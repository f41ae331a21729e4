//! `router_settings`, `litellm_settings` and `general_settings`, resolved with LiteLLM's
//! precedence and defaults.

use crate::collections::HashMap;
use std::time::Duration;

use super::{
    DEFAULT_ALLOWED_FAILS, DEFAULT_MAX_FALLBACKS, DEFAULT_RETRIES, DEFAULT_RETRIES_NOTE,
    DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_NOTE,
};
use crate::formats::read::Reader;
use crate::formats::values;
use crate::model::policy::{ActiveCheck, CircuitBreaker, CircuitBreakerKind};
use crate::model::Sourced;
use crate::source::Node;
use crate::span::Location;

/// The exception classes of `retry_policy` (LiteLLM's `RetryPolicy`).
const RETRY_POLICY_CLASSES: &[&str] = &[
    "BadRequestErrorRetries",
    "AuthenticationErrorRetries",
    "TimeoutErrorRetries",
    "RateLimitErrorRetries",
    "ContentPolicyViolationErrorRetries",
    "InternalServerErrorRetries",
];

/// Per exception class of a `retry_policy`, the count that replaces `num_retries` for it.
pub(super) type RetryPolicy = Vec<(&'static str, Sourced<u32>)>;

/// `router_settings` and `litellm_settings`, resolved.
pub(super) struct Settings<'a> {
    /// The router's bound on one call.
    pub(super) timeout: Sourced<Duration>,
    pub(super) stream_timeout: Option<Sourced<Duration>>,
    pub(super) num_retries: Sourced<u32>,
    /// Per exception class, replacing `num_retries` for that class.
    pub(super) retry_policy: RetryPolicy,
    pub(super) retry_after: Option<Sourced<Duration>>,
    pub(super) max_fallbacks: u32,
    pub(super) cooldown: CircuitBreaker,
    /// Whether cooldowns also take a group's only deployment out of the pool (see
    /// [`legacy_cooldowns`]).
    pub(super) cooldown_covers_single: bool,
    /// Background health checks (`general_settings.background_health_checks`).
    pub(super) active_check: Option<ActiveCheck>,
    pub(super) fallbacks: FallbackLists<'a>,
    /// `model_group_alias`: alias and the group it names.
    pub(super) aliases: Vec<(String, String)>,
    /// The key of `retry_policy`, for locations.
    pub(super) retry_policy_location: Option<Location>,
    /// `model_group_retry_policy`: per group, its policy and its key (the first, when a
    /// group is written twice).
    pub(super) group_retry_policies: HashMap<String, (RetryPolicy, Location)>,
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
    pub(super) fn read(cx: &mut Reader<'_>, document: &'a Node) -> Settings<'a> {
        let router = cx.map(document, "router_settings");
        let litellm = cx.map(document, "litellm_settings");
        let general = cx.map(document, "general_settings");
        let both = [router, litellm];

        let timeout = router
            .and_then(|router| cx.nonzero_duration(router, "timeout", ZERO_TIMEOUT))
            .or_else(|| {
                litellm.and_then(|litellm| {
                    cx.nonzero_duration(litellm, "request_timeout", ZERO_TIMEOUT)
                })
            })
            .unwrap_or_else(|| DEFAULT_TIMEOUT_NOTE.sourced(DEFAULT_TIMEOUT));
        let stream_timeout =
            router.and_then(|router| cx.nonzero_duration(router, "stream_timeout", ZERO_TIMEOUT));
        let num_retries = first_count(cx, &both, "num_retries")
            .unwrap_or_else(|| DEFAULT_RETRIES_NOTE.sourced(DEFAULT_RETRIES));
        let retry_policy = router
            .and_then(|router| router.get("retry_policy"))
            .map(|policy| read_retry_policy(cx, policy, "retry_policy"))
            .unwrap_or_default();
        let retry_after = router
            .and_then(|router| cx.duration(router, "retry_after"))
            .filter(|wait| !wait.value.is_zero());
        let max_fallbacks = first_count(cx, &both, "max_fallbacks")
            .map_or(DEFAULT_MAX_FALLBACKS, |count| count.value);
        let cooldown = read_cooldown(cx, document, router, litellm);
        let cooldown_covers_single = legacy_cooldowns(router, litellm);
        let active_check = general.and_then(|general| {
            let location = cx.key_at(general, "background_health_checks")?;
            cx.flag(general, "background_health_checks")?
                .then(|| ActiveCheck {
                    interval: cx.duration(general, "health_check_interval"),
                    timeout: None,
                    location,
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
            default: default_fallbacks(cx, router, litellm),
        };
        let aliases = router
            .and_then(|router| cx.map(router, "model_group_alias"))
            .map(|aliases| model_group_aliases(cx, aliases))
            .unwrap_or_default();
        let retry_policy_location = router
            .and_then(|router| router.entry("retry_policy"))
            .map(|entry| cx.locate(entry.key.span));
        let group_retry_policies = router
            .and_then(|router| cx.map(router, "model_group_retry_policy"))
            .map(|policies| read_group_retry_policies(cx, policies))
            .unwrap_or_default();
        Settings {
            timeout,
            stream_timeout,
            num_retries,
            retry_policy,
            retry_after,
            max_fallbacks,
            cooldown,
            cooldown_covers_single,
            active_check,
            fallbacks,
            aliases,
            retry_policy_location,
            group_retry_policies,
        }
    }

    /// The retry settings of model group `group` of `deployments` deployments, whose own
    /// deployments set `num_retries` to `own` (one entry per deployment, `None` where unset).
    pub(super) fn group_retries(
        &self,
        group: &str,
        deployments: usize,
        own: &[Option<&Sourced<u32>>],
    ) -> GroupRetries<'_> {
        // A deployment's `num_retries` reaches the router on the exception of its failed call
        // and replaces the router's count (`deployment_num_retries` in
        // `Router.async_function_with_retries`); the costliest deployment counts.
        let num_retries = own
            .iter()
            .map(|count| count.unwrap_or(&self.num_retries))
            .reduce(|most, count| {
                if count.value > most.value {
                    count
                } else {
                    most
                }
            })
            .unwrap_or(&self.num_retries)
            .clone();
        // `model_group_retry_policy` replaces `retry_policy` whole for its groups
        // (`get_num_retries_from_retry_policy`).
        let (policy, policy_key, policy_location) = match self.group_retry_policies.get(group) {
            Some((policy, key)) => (
                policy.as_slice(),
                format!("model_group_retry_policy.{group}"),
                Some(*key),
            ),
            None => (
                self.retry_policy.as_slice(),
                "retry_policy".to_string(),
                self.retry_policy_location,
            ),
        };
        let location = num_retries.origin.location().or(policy_location);
        GroupRetries {
            own_count: num_retries.origin != self.num_retries.origin,
            num_retries,
            policy,
            policy_key,
            deployments,
            location,
        }
    }
}

/// The retry settings of one model group.
pub(super) struct GroupRetries<'s> {
    /// `num_retries`: the router's, or a deployment's own.
    pub(super) num_retries: Sourced<u32>,
    /// Whether a deployment's own `num_retries` sets it.
    own_count: bool,
    /// Per exception class, replacing `num_retries` for that class.
    policy: &'s [(&'static str, Sourced<u32>)],
    /// Where `policy` is written, for messages: `retry_policy` or the group's entry of
    /// `model_group_retry_policy`.
    policy_key: String,
    deployments: usize,
    /// Where the group's retry settings are written.
    pub(super) location: Option<Location>,
}

impl GroupRetries<'_> {
    /// Retries of the failing group, whatever the error: the largest per-class count among the
    /// classes the group retries. `num_retries` stays a floor: it still governs the errors no
    /// policy key names (connection errors, 503s).
    pub(super) fn retries(&self) -> Sourced<u32> {
        self.policy
            .iter()
            .filter(|(class, _)| retries_class(class, self.deployments))
            .map(|(_, count)| count)
            .filter(|count| count.value > self.num_retries.value)
            .max_by_key(|count| count.value)
            .unwrap_or(&self.num_retries)
            .clone()
    }

    /// The key that sets `retries`, when a policy class or a deployment's own `num_retries`
    /// does rather than the router's `num_retries`.
    pub(super) fn deciding_key(&self, retries: &Sourced<u32>) -> Option<String> {
        let class = self
            .policy
            .iter()
            .find(|(_, count)| count.origin == retries.origin);
        match class {
            Some((class, _)) => Some(format!("{}.{class}", self.policy_key)),
            None => (self.own_count && retries.origin == self.num_retries.origin)
                .then(|| "litellm_params.num_retries".to_string()),
        }
    }

    /// Retries of one exception class: the policy's count where it names the class, else
    /// `num_retries` (LiteLLM's `get_num_retries_from_retry_policy` in
    /// `litellm/router_utils/get_retry_from_policy.py`, read by `Router.function_with_retries`).
    pub(super) fn retries_of(&self, class: &str) -> u32 {
        self.policy
            .iter()
            .find(|(name, _)| *name == class)
            .map_or(self.num_retries.value, |(_, count)| count.value)
    }

    /// Whether the policy names the class with a count above 0 and the group retries it.
    pub(super) fn explicit(&self, class: &str) -> bool {
        retries_class(class, self.deployments)
            && self
                .policy
                .iter()
                .any(|(name, count)| *name == class && count.value > 0)
    }
}

/// Whether a model group of `deployments` deployments retries the exception class at all:
/// LiteLLM's `should_retry_this_error` raises an `AuthenticationError` at once when the group
/// has a single deployment (there is no other key to try), whatever `retry_policy` says.
pub(super) fn retries_class(class: &str, deployments: usize) -> bool {
    class != "AuthenticationErrorRetries" || deployments >= 2
}

/// `default_fallbacks`, from `router_settings` else `litellm_settings`: its key and its list of
/// model group names.
fn default_fallbacks<'a>(
    cx: &mut Reader<'_>,
    router: Option<&'a Node>,
    litellm: Option<&'a Node>,
) -> Option<(&'a Node, &'a Node)> {
    for object in [router, litellm].into_iter().flatten() {
        let Some(entry) = object.entry("default_fallbacks") else {
            continue;
        };
        if !entry.value.is_seq() {
            if !entry.value.is_null() {
                cx.invalid(
                    &entry.value,
                    "`default_fallbacks` is a list of model group names",
                );
            }
            continue;
        }
        for item in entry.value.items() {
            if item.as_str().is_none() {
                cx.invalid(item, "a fallback must name a model group");
            }
        }
        if !entry.value.items().is_empty() {
            return Some((&entry.key, &entry.value));
        }
    }
    None
}

/// `model_group_alias`: each alias and the group it names (a name, or `{model, hidden}`).
fn model_group_aliases(cx: &mut Reader<'_>, aliases: &Node) -> Vec<(String, String)> {
    let mut read = Vec::new();
    for entry in aliases.entries() {
        let group = entry
            .value
            .as_str()
            .or_else(|| entry.value.get("model").and_then(Node::as_str));
        match (entry.key.scalar_text(), group) {
            (Some(alias), Some(group)) => read.push((alias.to_string(), group.to_string())),
            _ => cx.invalid(
                &entry.value,
                "an alias names a model group, as a name or `{model: name}`",
            ),
        }
    }
    read
}

/// Why a timeout of 0 is reported: LiteLLM reads it as "not set".
pub(super) const ZERO_TIMEOUT: &str = "bounds nothing: LiteLLM reads a timeout of 0 as not set";

/// The first of the settings objects that sets `key` to a valid count.
fn first_count(cx: &mut Reader<'_>, objects: &[Option<&Node>], key: &str) -> Option<Sourced<u32>> {
    objects
        .iter()
        .flatten()
        .find_map(|object| cx.count(object, key))
}

/// `model_group_retry_policy`: a `retry_policy` per model group (`Router.__init__`; the proxy
/// passes every `router_settings` key the router takes).
fn read_group_retry_policies(
    cx: &mut Reader<'_>,
    policies: &Node,
) -> HashMap<String, (RetryPolicy, Location)> {
    let mut read = HashMap::default();
    for entry in policies.entries() {
        let Some(group) = entry.key.scalar_text() else {
            continue;
        };
        let key = format!("model_group_retry_policy.{group}");
        let policy = read_retry_policy(cx, &entry.value, &key);
        let location = cx.locate(entry.key.span);
        read.entry(group.to_string()).or_insert((policy, location));
    }
    read
}

fn read_retry_policy(cx: &mut Reader<'_>, policy: &Node, key: &str) -> RetryPolicy {
    if !policy.is_map() {
        cx.invalid(
            policy,
            format!(
                "`{key}` maps exception classes to retry counts, e.g. `TimeoutErrorRetries: 2`"
            ),
        );
        return Vec::new();
    }
    let mut classes = Vec::new();
    for entry in policy.entries() {
        let name = entry.key.scalar_text().unwrap_or_default();
        match RETRY_POLICY_CLASSES.iter().find(|class| **class == name) {
            Some(class) => {
                if let Some(count) = cx.count(policy, class) {
                    classes.push((*class, count));
                }
            }
            None => cx.invalid(
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

/// Whether the router cools deployments down by its legacy policy, which counts failures against
/// `allowed_fails` in every group. The default policy never cools down the only deployment of a
/// group for rate limits or a failure rate (`_should_cooldown_deployment` in
/// `litellm/router_utils/cooldown_handlers.py` since LiteLLM v1.59, PR #7823: "by default we
/// should avoid cooldowns on single deployment model groups"), only when each of at least 1000
/// calls in a minute failed (`SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD`) or on an error it
/// never retries (401, 404). The legacy policy applies when `router_settings` sets
/// `allowed_fails_policy`, or an `allowed_fails` other than `litellm.allowed_fails`
/// (`litellm_settings.allowed_fails`, else 3): `_is_allowed_fails_set_on_router`.
fn legacy_cooldowns(router: Option<&Node>, litellm: Option<&Node>) -> bool {
    let count = |object: Option<&Node>| {
        let node = object?.get("allowed_fails")?;
        values::count(node).ok().filter(|count| *count > 0)
    };
    let global = count(litellm).unwrap_or(DEFAULT_ALLOWED_FAILS);
    let policy = router.and_then(|router| router.get("allowed_fails_policy"));
    policy.is_some_and(|policy| !policy.is_null())
        || count(router).is_some_and(|allowed| allowed != global)
}

/// Cooldowns are LiteLLM's circuit breaker: a deployment that fails more than `allowed_fails`
/// times in a minute leaves the pool for `cooldown_time`.
fn read_cooldown(
    cx: &mut Reader<'_>,
    document: &Node,
    router: Option<&Node>,
    litellm: Option<&Node>,
) -> CircuitBreaker {
    let allowed_fails = first_count(cx, &[router, litellm], "allowed_fails");
    let cooldown_time = [router, litellm]
        .into_iter()
        .flatten()
        .find_map(|object| cx.duration(object, "cooldown_time"));
    let disabled = router.filter(|router| cx.flag(router, "disable_cooldowns") == Some(true));
    let (location, ineffective) =
        match disabled.and_then(|router| cx.key_at(router, "disable_cooldowns")) {
            Some(location) => (
                location,
                Some("`disable_cooldowns: true` keeps failing deployments in the pool".to_string()),
            ),
            _ => (
                allowed_fails
                    .and_then(|fails| fails.origin.location())
                    .or_else(|| cooldown_time.and_then(|time| time.origin.location()))
                    .unwrap_or_else(|| {
                        cx.locate(
                            document
                                .entry("model_list")
                                .map_or(document.span, |entry| entry.key.span),
                        )
                    }),
                None,
            ),
        };
    CircuitBreaker {
        kind: CircuitBreakerKind::OutlierEjection,
        location,
        ineffective,
        open_status: None,
        trip: None,
    }
}
