//! Kubernetes Gateway API `HTTPRoute` (`gateway.networking.k8s.io`), one document at a time,
//! whatever other kinds share its file.
//!
//! Each match of each rule is a route. Timeouts follow GEP-1742 (`timeouts.request` and
//! `timeouts.backendRequest`), retries GEP-1731; both leave unset values to the implementation,
//! so nothing is assumed for them beyond what the notes say.

use std::time::Duration;

use super::kube;
use super::read::{GatewayDefault, MethodName, MethodSpelling, Naming, Reader, Release};
use super::values::{self, shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    Backoff, Fallback, FallbackKind, GatewayStatuses, Retry, RetryCondition, Upstream,
};
use crate::model::route::Rewrite;
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes. Gateway API
/// v1.2.0 is the first release with both fields read here: `HTTPRouteRule.timeouts` (GEP-1742,
/// apis/v1/httproute_types.go: unset values are implementation-specific, "0s" disables) and
/// `HTTPRouteRule.retry` (GEP-1731, geps/gep-1731/metadata.yaml: `status: Experimental`,
/// feature names `SupportHTTPRouteRetry`, `SupportHTTPRouteRetryBackoff`, …).
const RELEASE: Release = Release("Gateway API v1.2");

pub static ADAPTER: Adapter = Adapter {
    name: "gateway-api",
    detect,
    uses_refs: false,
    adapt,
};

const API_GROUP: &str = "gateway.networking.k8s.io/";
/// The conformance tests expect 504 when `timeouts.request` or `timeouts.backendRequest` runs out.
const TIMEOUT_STATUS: u16 = 504;
/// The `HTTPMethod` enum: upper case, and CONNECT besides the methods OpenAPI describes.
const METHODS: MethodSpelling = MethodSpelling {
    capitals_only: true,
    served: &Method::ALL,
    others: &["CONNECT"],
    refusal: "is not an HTTP method such as `GET` (upper case)",
};
static NO_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Unbounded,
    "Gateway API leaves the request timeout to the implementation; none is set",
);
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    1,
    "Gateway API leaves the number of retries to the implementation; counted as {}",
);
/// Envoy Gateway translates a `retry` without `attempts` to no `NumRetries`, which its xDS
/// translator fills with `retryDefaultNumRetries` (`processRouteRetry` in
/// `internal/gatewayapi/route.go`, `buildRetryPolicy` in `internal/xds/translator/route.go`).
/// Other implementations keep the count of 1 above (Istio, for one, programs the mesh's own
/// default of 2 only for its VirtualServices).
static ENVOY_GATEWAY_RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    ENVOY_GATEWAY,
    2,
    "Envoy Gateway's default of {} retries for a `retry` without `attempts`",
);
/// Without `backoff`, Envoy's own jittered 25ms base interval applies to what Envoy Gateway
/// programs.
static ENVOY_GATEWAY_BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    ENVOY_GATEWAY,
    Duration::from_millis(25),
    "Envoy's default retry backoff of {}",
);
const ENVOY_GATEWAY: Release = Release("Envoy Gateway v1.9");

fn detect(document: &Node) -> bool {
    document
        .get("apiVersion")
        .and_then(Node::as_str)
        .is_some_and(|version| version.starts_with(API_GROUP))
        && document.get("kind").and_then(Node::as_str) == Some("HTTPRoute")
        // Linkerd's annotations make the route Linkerd's; its adapter reads it.
        && !super::linkerd::annotated(document)
}

/// The items of `key` of `object`: none when it is absent, reported when it is not a list.
fn sequence<'a>(cx: &mut Reader<'_>, object: &'a Node, key: &str) -> &'a [Node] {
    match object.get(key) {
        None => &[],
        Some(node) if node.is_null() => &[],
        Some(node) if node.is_seq() => node.items(),
        Some(node) => {
            cx.invalid(
                node,
                format!("`{key}` must be a list, found {}", node.type_name()),
            );
            &[]
        }
    }
}

/// Whether `node` is a mapping; reported when it is not.
fn mapping(cx: &mut Reader<'_>, node: &Node, what: &str) -> bool {
    if !node.is_map() {
        cx.invalid(
            node,
            format!("{what} must be a mapping, found {}", node.type_name()),
        );
    }
    node.is_map()
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::GatewayApi);
    let Some(spec) = document.get("spec") else {
        return;
    };
    if !mapping(cx, spec, "`spec`") {
        return;
    }
    // While a ServiceProfile configures its parent Service, Linkerd ignores the route (its
    // adapter reports it).
    let route = kube::Object::of(file, document);
    let parents = route.map(|route| route.parents()).unwrap_or_default();
    if parents.iter().any(|(kind, ..)| *kind == "Service")
        && route.is_some_and(|r| super::linkerd::profiled(cx.kube, &r))
    {
        return;
    }
    let route_name = document
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(Node::scalar_text);
    let mut hosts = values::scalar_texts(sequence(cx, spec, "hostnames"));
    if hosts.is_empty() {
        if let Some(route) = kube::Object::of(file, document) {
            hosts = kube::inherited_hostnames(cx.kube, &route);
        }
    }
    // What Envoy Gateway reads its own way: a `retry`, and a `backendRequest` timeout.
    let retried = spec.get_items("rules").iter().any(|rule| {
        rule.get("retry").is_some() || rule.pointer(&["timeouts", "backendRequest"]).is_some()
    });
    let envoy_gateway = retried
        && kube::Object::of(file, document)
            .is_some_and(|route| super::envoy_gateway::serves(cx.kube, &route));
    for rule in sequence(cx, spec, "rules") {
        if !mapping(cx, rule, "a rule") {
            continue;
        }
        let name = rule.get_text("name").or(route_name).map(str::to_string);
        let routes = RuleRoutes {
            name,
            hosts: &hosts,
            policy: rule_policy(cx, rule, envoy_gateway),
        };
        let rewrite = url_rewrite(rule);
        let matches = sequence(cx, rule, "matches");
        let unreadable = rule.get("matches").is_some_and(|node| {
            node.is_map() || node.scalar_text().is_some_and(|_| !node.is_null())
        });
        if matches.is_empty() && !unreadable {
            // No matches: the API's default, a `PathPrefix` match on `/`. (A value that is not
            // a list was reported, and matches nothing.)
            let at = cx.anchor(rule);
            let path = PathMatch {
                kind: PathKind::SegmentPrefix,
                pattern: "/".to_string(),
                location: at,
                rewrite: None,
            };
            routes.push(cx, at, path, (MethodSet::Any, None));
            continue;
        }
        for item in matches {
            if !mapping(cx, item, "a match") {
                continue;
            }
            let at = cx.anchor(item);
            let Some(mut path) = read_path(cx, item, at) else {
                continue;
            };
            path.rewrite = rewrite.as_ref().and_then(|rewrite| rewrite.apply(&path));
            let Some(methods) = read_method(cx, item) else {
                continue;
            };
            routes.push(cx, at, path, methods);
        }
    }
}

/// What every route of one rule shares.
struct RuleRoutes<'a> {
    name: Option<String>,
    hosts: &'a [String],
    policy: Policy,
}

impl RuleRoutes<'_> {
    fn push(
        &self,
        cx: &mut Reader<'_>,
        location: Location,
        path: PathMatch,
        methods: (MethodSet, Option<Location>),
    ) {
        let route = Route::new(
            GatewayFormat::GatewayApi,
            location,
            path,
            self.policy.clone(),
        );
        cx.push_route(Route {
            name: self.name.clone(),
            methods: methods.0,
            methods_location: methods.1,
            hosts: self.hosts.to_vec(),
            ..route
        });
    }
}

/// A match's path: `PathPrefix /` when absent; `None` (reported) when it cannot be read.
pub(super) fn read_path(cx: &mut Reader<'_>, item: &Node, at: Location) -> Option<PathMatch> {
    let Some(path) = item.get("path") else {
        return Some(PathMatch {
            kind: PathKind::SegmentPrefix,
            pattern: "/".to_string(),
            location: at,
            rewrite: None,
        });
    };
    if !mapping(cx, path, "`path`") {
        return None;
    }
    let kind = match path.get("type") {
        None => PathKind::SegmentPrefix,
        Some(node) => match node.as_str() {
            Some("Exact") => PathKind::Exact,
            Some("PathPrefix") => PathKind::SegmentPrefix,
            // The dialect is the implementation's; the ones built on Envoy match the whole path.
            Some("RegularExpression") => PathKind::Regex { full: true },
            _ => {
                cx.invalid(node,
                    format!(
                        "`type`: {} is not a path match type (Exact, PathPrefix or RegularExpression)",
                        shown(node)
                    ),
                );
                return None;
            }
        },
    };
    let (pattern, location) = match path.get("value") {
        None => ("/".to_string(), cx.anchor(path)),
        Some(node) => {
            let Some(text) = node.as_str() else {
                cx.invalid(
                    node,
                    format!("`value` must be a string, found {}", node.type_name()),
                );
                return None;
            };
            (text.to_string(), cx.at(node))
        }
    };
    let problem = match kind {
        PathKind::Regex { .. } => crate::model::pattern::compile(&pattern).err().map(|error| {
            format!(
                "`{pattern}` is not a valid regular expression ({})",
                values::regex_problem(&error)
            )
        }),
        _ if !pattern.starts_with('/') => Some(format!(
            "`{pattern}` must be an absolute path starting with `/`"
        )),
        _ if pattern.contains("//") => Some(format!("`{pattern}` must not contain `//`")),
        _ => None,
    };
    if let Some(problem) = problem {
        cx.invalid_at(location, format!("`value`: {problem}"));
        return None;
    }
    Some(PathMatch {
        kind,
        pattern,
        location,
        rewrite: None,
    })
}

/// A match's method: any when absent; `None` (reported) when it is not an `HTTPMethod`.
pub(super) fn read_method(
    cx: &mut Reader<'_>,
    item: &Node,
) -> Option<(MethodSet, Option<Location>)> {
    let Some(node) = item.get("method") else {
        return Some((MethodSet::Any, None));
    };
    let at = Some(cx.at(node));
    match node
        .as_str()
        .map_or(MethodName::Refused, |text| METHODS.read(text))
    {
        MethodName::Http(method) => Some((MethodSet::Only(vec![method]), at)),
        MethodName::Undescribed => Some((MethodSet::Only(Vec::new()), at)),
        MethodName::Refused => {
            cx.invalid(
                node,
                format!("`method`: {} {}", shown(node), METHODS.refusal),
            );
            None
        }
    }
}

/// A `URLRewrite` filter's path modifier.
enum PathRewrite {
    /// `ReplacePrefixMatch`: the matched prefix is replaced.
    Prefix(String),
    /// `ReplaceFullPath`: the whole path is replaced.
    Full(String),
}

impl PathRewrite {
    /// The rewrite as the join reads it, for the matches it describes exactly: a replaced
    /// prefix for prefix matches, a replaced path for exact ones.
    fn apply(&self, path: &PathMatch) -> Option<Rewrite> {
        let replacement = match (self, path.kind) {
            (PathRewrite::Prefix(prefix), PathKind::SegmentPrefix | PathKind::Exact) => prefix,
            (PathRewrite::Full(full), PathKind::Exact) => full,
            _ => return None,
        };
        Some(Rewrite {
            strip_prefix: path.pattern.clone(),
            add_prefix: replacement.clone(),
        })
    }
}

fn url_rewrite(rule: &Node) -> Option<PathRewrite> {
    rule.get("filters")?.items().iter().find_map(|filter| {
        if filter.get("type").and_then(Node::as_str) != Some("URLRewrite") {
            return None;
        }
        let path = filter.get("urlRewrite")?.get("path")?;
        let text = |key: &str| path.get(key).and_then(Node::as_str).map(str::to_string);
        match path.get("type").and_then(Node::as_str)? {
            "ReplacePrefixMatch" => text("replacePrefixMatch").map(PathRewrite::Prefix),
            "ReplaceFullPath" => text("replaceFullPath").map(PathRewrite::Full),
            _ => None,
        }
    })
}

fn rule_policy(cx: &mut Reader<'_>, rule: &Node, envoy_gateway: bool) -> Policy {
    let redirects = rule
        .get_items("filters")
        .iter()
        .find(|filter| filter.get("type").and_then(Node::as_str) == Some("RequestRedirect"));
    if let Some(redirect) = redirects {
        // The gateway answers a redirect by itself; nothing is forwarded.
        return Policy {
            fallbacks: vec![Fallback {
                kind: FallbackKind::StaticResponse,
                targets: vec!["redirect".to_string()],
                location: cx.anchor(redirect),
            }],
            ..Policy::default()
        };
    }
    let timeouts = rule
        .get("timeouts")
        .filter(|timeouts| mapping(cx, timeouts, "`timeouts`"));
    let mut timeout = timeouts
        .and_then(|timeouts| cx.duration(timeouts, "request"))
        .map(Timeout::zero_disables)
        .unwrap_or_else(|| NO_TIMEOUT.sourced());
    let backend_request = timeouts.and_then(|timeouts| cx.duration(timeouts, "backendRequest"));
    // Envoy Gateway makes `backendRequest` the route's timeout when the rule has no `retry`,
    // replacing `request` (`processRouteTimeout` in `internal/gatewayapi/route.go`, v1.9).
    let (envoy_timeout, backend_request) = match backend_request {
        Some(bound) if envoy_gateway && rule.get("retry").is_none() => (Some(bound), None),
        other => (None, other),
    };
    if let Some(bound) = envoy_timeout {
        timeout = Timeout::zero_disables(bound);
    }
    let per_try_timeout = backend_request.filter(|timeout| !timeout.value.is_zero());
    let retry = read_retry(cx, rule, per_try_timeout.clone(), envoy_gateway);
    let mut policy = Policy {
        statuses: GatewayStatuses {
            on_timeout: (timeout.value.bound().is_some() || per_try_timeout.is_some())
                .then_some(TIMEOUT_STATUS),
            ..GatewayStatuses::default()
        },
        timeout: Some(timeout),
        per_try_timeout,
        retry,
        ..Policy::default()
    };
    read_backends(cx, rule, &mut policy);
    policy
}

/// `retry` (GEP-1731): `attempts` counts retries after the first try; `codes` are the statuses
/// retried; implementations should also retry connection errors, resets and timeouts.
fn read_retry(
    cx: &mut Reader<'_>,
    rule: &Node,
    per_try_timeout: Option<Sourced<Duration>>,
    envoy_gateway: bool,
) -> Option<Retry> {
    let retry = rule.get("retry")?;
    let location = cx.key_at(rule, "retry")?;
    if !retry.is_map() {
        cx.invalid(
            retry,
            format!(
                "`retry` must be a mapping with `attempts`, `codes` and `backoff`, found {}",
                retry.type_name()
            ),
        );
        return None;
    }
    let attempts = match cx.count(retry, "attempts") {
        Some(attempts) if attempts.value == 0 => {
            if let Some(node) = retry.get("attempts") {
                cx.invalid(node, "`attempts` must be at least 1");
            }
            return None;
        }
        Some(attempts) => attempts,
        None if retry.get("attempts").is_some() => return None,
        None if envoy_gateway => ENVOY_GATEWAY_RETRIES.sourced(),
        None => RETRIES.sourced(),
    };
    // Envoy Gateway keeps its own triggers (`retryDefaultRetryOn`: connect-failure,
    // refused-stream, unavailable, cancelled, retriable-status-codes) and retries the `codes`,
    // or 503 without them; GEP-1731 asks for connection errors, resets and timeouts.
    let mut conditions = if envoy_gateway {
        let mut own = vec![
            RetryCondition::ConnectFailure,
            RetryCondition::RefusedStream,
        ];
        own.extend(
            ["unavailable", "cancelled"].map(|name| RetryCondition::Other(name.to_string())),
        );
        if retry.get("codes").is_none() {
            own.push(RetryCondition::Status(503, 503));
        }
        own
    } else {
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::Reset,
            RetryCondition::Timeout,
        ]
    };
    for code in sequence(cx, retry, "codes") {
        let status = values::count(code)
            .ok()
            .and_then(|code| u16::try_from(code).ok())
            .filter(|code| (400..600).contains(code));
        match status {
            Some(status) => conditions.push(RetryCondition::Status(status, status)),
            None => cx.invalid(
                code,
                format!(
                    "`codes`: {} is not a retriable status (400 to 599)",
                    shown(code)
                ),
            ),
        }
    }
    let base = cx.duration(retry, "backoff");
    let base = base.or_else(|| envoy_gateway.then(|| ENVOY_GATEWAY_BACKOFF.sourced()));
    let backoff = base.map(|base| Backoff {
        base: Some(base),
        max: None,
        jittered: envoy_gateway,
        factor: 2.0,
    });
    Some(Retry {
        conditions,
        backoff,
        per_try_timeout,
        ..Retry::new(attempts, location)
    })
}

/// `backendRefs`: the heaviest backend is the route's upstream; two or more backends with
/// traffic (weight above 0; it defaults to 1) share it as a weighted pool.
fn read_backends(cx: &mut Reader<'_>, rule: &Node, policy: &mut Policy) {
    let Some(refs) = rule.get("backendRefs") else {
        return;
    };
    let mut backends: Vec<(String, u32, Location)> = Vec::new();
    for backend in sequence(cx, rule, "backendRefs") {
        let Some(name) = backend.get_text("name") else {
            cx.invalid(backend, "a backend reference needs a `name`");
            continue;
        };
        let weight = match backend.get("weight") {
            None => 1,
            Some(_) => match cx.count(backend, "weight") {
                Some(weight) => weight.value,
                None => continue,
            },
        };
        backends.push((name.to_string(), weight, cx.anchor(backend)));
    }
    // The first of equally heavy backends.
    if let Some((name, _, at)) = backends
        .iter()
        .rev()
        .filter(|(_, weight, _)| *weight > 0)
        .max_by_key(|(_, weight, _)| *weight)
    {
        policy.upstream = Some(Upstream {
            name: name.clone(),
            endpoints: None,
            location: Some(*at),
        });
    }
    let serving: Vec<String> = backends
        .iter()
        .filter(|(_, weight, _)| *weight > 0)
        .map(|(name, _, _)| name.clone())
        .collect();
    if serving.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: serving,
            location: cx.key_at(rule, "backendRefs").unwrap_or(cx.at(refs)),
        });
    }
}
