//! ingress-nginx (kubernetes/ingress-nginx, controller v1.15.0): Kubernetes `Ingress` objects of
//! the `nginx` class, with the `nginx.ingress.kubernetes.io/*` annotations that become each
//! location's nginx directives (`internal/ingress/annotations/proxy/main.go`,
//! `rootfs/etc/nginx/template/nginx.tmpl`), over the controller ConfigMap's global values when
//! the run holds it, over the controller's defaults (`internal/ingress/controller/config/config.go`).
//!
//! nginx bounds each attempt, not the request: `proxy_read_timeout` between two reads, and
//! `proxy_next_upstream_tries` counts every attempt, the first included (0: no limit). It never
//! passes a request with a non-idempotent method (POST, LOCK, PATCH) to the next server once it
//! was sent, unless `non_idempotent` is listed (nginx ≥ 1.9.13, `ngx_http_proxy_module`).

use std::time::Duration;

use super::values::shown;
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    Fallback, FallbackKind, GatewayStatuses, RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, MethodSet, PathKind, PathMatch, Policy, Route, Sourced};
use crate::source::Node;
use crate::span::{FileId, Location};

pub static ADAPTER: Adapter = Adapter {
    name: "ingress-nginx",
    detect,
    uses_refs: false,
    adapt,
};

const PREFIX: &str = "nginx.ingress.kubernetes.io/";
const NEXT_UPSTREAM: &[&str] = &[
    "error",
    "timeout",
    "invalid_header",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_403",
    "http_404",
    "http_429",
    "non_idempotent",
    "off",
];

fn annotations(object: &Node) -> Option<&Node> {
    object.get("metadata")?.get("annotations")
}

fn class(ingress: &Node) -> Option<&str> {
    ingress
        .get("spec")
        .and_then(|spec| spec.get("ingressClassName"))
        .or_else(|| annotations(ingress)?.get("kubernetes.io/ingress.class"))
        .and_then(Node::as_str)
}

/// An `Ingress` of the `nginx` class, or of no class with ingress-nginx annotations; or the
/// controller's ConfigMap (named after the controller, or labelled as its part).
fn detect(document: &Node) -> bool {
    let kind = document.get("kind").and_then(Node::as_str);
    let api = document.get("apiVersion").and_then(Node::as_str);
    match (kind, api) {
        (Some("Ingress"), Some(api)) if api.starts_with("networking.k8s.io/") => {
            let annotated = annotations(document).is_some_and(|all| {
                all.entries().iter().any(|entry| {
                    entry
                        .key
                        .as_str()
                        .is_some_and(|key| key.starts_with(PREFIX))
                })
            });
            match class(document) {
                Some(class) => class == "nginx",
                None => annotated,
            }
        }
        (Some("ConfigMap"), Some("v1")) => is_controller_config(document),
        _ => false,
    }
}

fn is_controller_config(document: &Node) -> bool {
    let metadata = document.get("metadata");
    let name = metadata.and_then(|m| m.get("name")).and_then(Node::as_str);
    let label = |key| {
        metadata
            .and_then(|m| m.get("labels"))
            .and_then(|labels| labels.get(key))
            .and_then(Node::as_str)
    };
    document.get("data").is_some_and(Node::is_map)
        && (name.is_some_and(|name| {
            name.ends_with("ingress-nginx-controller") || name == "nginx-configuration"
        }) || label("app.kubernetes.io/name") == Some("ingress-nginx"))
}

/// Where settings are looked up: the Ingress's annotations, then the controller ConfigMap.
struct Settings<'a> {
    file: FileId,
    annotations: Option<&'a Node>,
    controller: Option<(FileId, &'a Node)>,
    /// The Ingress's name, where findings about defaults point.
    anchor: Location,
}

impl<'a> Settings<'a> {
    /// The annotation `key` if it can be read (else it is reported and ignored, as the
    /// controller does), then the ConfigMap's (reported where the ConfigMap is read).
    fn get<T>(
        &self,
        cx: &mut AdaptContext<'_>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<Sourced<T>> {
        let annotation = self
            .annotations
            .and_then(|all| all.get(&format!("{PREFIX}{key}")));
        if let Some(node) = annotation {
            if let Some(value) = node.scalar_text().and_then(|text| parse(text.trim())) {
                return Some(Sourced::explicit(value, self.at(self.file, node)));
            }
            cx.invalid_value(
                self.file,
                node,
                format!("`{PREFIX}{key}`: {} is not {expected}", shown(node)),
            );
        }
        let (file, data) = self.controller?;
        let node = data.get(key)?;
        let value = parse(node.scalar_text()?.trim())?;
        Some(Sourced::explicit(value, self.at(file, node)))
    }

    fn at(&self, file: FileId, node: &Node) -> Location {
        Location {
            file,
            span: node.span,
        }
    }
}

/// A ConfigMap key, whether a value is valid for it, and what it expects.
type GlobalKey = (&'static str, fn(&str) -> bool, &'static str);

const GLOBAL_KEYS: &[GlobalKey] = &[
    ("proxy-connect-timeout", |t| seconds(t).is_some(), SECONDS),
    ("proxy-read-timeout", |t| seconds(t).is_some(), SECONDS),
    ("proxy-send-timeout", |t| seconds(t).is_some(), SECONDS),
    (
        "proxy-next-upstream",
        |t| next_upstream(t).is_some(),
        CONDITIONS,
    ),
    ("proxy-next-upstream-tries", |t| count(t).is_some(), COUNT),
    (
        "proxy-next-upstream-timeout",
        |t| seconds(t).is_some(),
        SECONDS,
    ),
    ("retry-non-idempotent", |t| flag(t).is_some(), FLAG),
    ("limit-req-status-code", |t| status(t).is_some(), STATUS),
    ("limit-conn-status-code", |t| status(t).is_some(), STATUS),
    ("custom-http-errors", |t| statuses(t).is_some(), STATUSES),
];
const SECONDS: &str = "a whole number of seconds";
const COUNT: &str = "a whole number";
const FLAG: &str = "\"true\" or \"false\"";
const STATUS: &str = "an HTTP status code";
const STATUSES: &str = "a comma-separated list of HTTP status codes";
const CONDITIONS: &str = "a space-separated list of error, timeout, invalid_header, http_500, \
                          http_502, http_503, http_504, http_403, http_404, http_429, \
                          non_idempotent or off";

fn seconds(text: &str) -> Option<Duration> {
    text.parse::<u64>().ok().map(Duration::from_secs)
}
fn count(text: &str) -> Option<u32> {
    text.parse().ok()
}
fn flag(text: &str) -> Option<bool> {
    text.parse().ok()
}
fn status(text: &str) -> Option<u16> {
    text.parse().ok().filter(|code| (100..=599).contains(code))
}
fn statuses(text: &str) -> Option<Vec<u16>> {
    text.split(',').map(|code| status(code.trim())).collect()
}
fn next_upstream(text: &str) -> Option<Vec<String>> {
    let tokens: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    (!tokens.is_empty() && tokens.iter().all(|t| NEXT_UPSTREAM.contains(&t.as_str())))
        .then_some(tokens)
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    if document.get("kind").and_then(Node::as_str) == Some("ConfigMap") {
        // The controller's global values, reported once here; Ingresses read them silently.
        let data = document.get("data").map(Node::entries).unwrap_or_default();
        for entry in data {
            let key = entry.key.as_str().unwrap_or_default();
            if let Some((_, valid, expected)) = GLOBAL_KEYS.iter().find(|(name, ..)| *name == key) {
                if !entry
                    .value
                    .scalar_text()
                    .is_some_and(|text| valid(text.trim()))
                {
                    let message = format!("`{key}`: {} is not {expected}", shown(&entry.value));
                    cx.invalid_value(file, &entry.value, message);
                }
            }
        }
        return;
    }
    let controller = cx.workspace.files().iter().find_map(|config| {
        config
            .documents
            .iter()
            .find(|doc| doc.get("kind").and_then(Node::as_str) == Some("ConfigMap"))
            .filter(|doc| is_controller_config(doc))
            .and_then(|doc| Some((config.id, doc.get("data")?)))
    });
    let settings = Settings {
        file,
        annotations: annotations(document),
        controller,
        anchor: Location {
            file,
            span: document
                .pointer(&["metadata", "name"])
                .map_or(document.span, |name| name.span),
        },
    };
    let policy = policy(cx, &settings);
    let name = document
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("ingress");
    let regex = settings
        .get(cx, "use-regex", flag, FLAG)
        .is_some_and(|flag| flag.value);
    let rules = document.get("spec").and_then(|s| s.get("rules"));
    for (rule_index, rule) in rules
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let paths = rule.get("http").and_then(|http| http.get("paths"));
        for (path_index, path) in paths
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(path_node) = path.get("path").filter(|node| node.as_str().is_some()) else {
                continue;
            };
            let pattern = path_node.as_str().unwrap_or("/").to_string();
            let kind = match path.get("pathType").and_then(Node::as_str) {
                _ if regex => PathKind::Regex { full: false },
                Some("Exact") => PathKind::Exact,
                Some("Prefix") => PathKind::SegmentPrefix,
                _ => PathKind::Prefix,
            };
            let service = path.pointer(&["backend", "service", "name"]);
            let mut policy = policy.clone();
            policy.upstream = service.and_then(|node| {
                Some(Upstream {
                    name: node.as_str()?.to_string(),
                    endpoints: None,
                    location: Some(settings.at(file, node)),
                })
            });
            let location = settings.at(file, path_node);
            cx.inventory.routes.push(Route {
                format: GatewayFormat::IngressNginx,
                name: Some(format!("{name}.{rule_index}.{path_index}")),
                location,
                methods: MethodSet::Any,
                methods_location: None,
                path: PathMatch {
                    kind,
                    pattern,
                    location,
                    rewrite: None,
                },
                hosts: rule
                    .get("host")
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
                policy,
                explicit_operation: None,
            });
        }
    }
}

fn policy(cx: &mut AdaptContext<'_>, settings: &Settings<'_>) -> Policy {
    let secs = |cx: &mut AdaptContext<'_>, key, default: u64, note| {
        settings
            .get(cx, key, seconds, SECONDS)
            .unwrap_or_else(|| Sourced::default(Duration::from_secs(default), note))
    };
    let connect = secs(
        cx,
        "proxy-connect-timeout",
        5,
        "ingress-nginx's default proxy-connect-timeout of 5s",
    );
    let read = secs(
        cx,
        "proxy-read-timeout",
        60,
        "ingress-nginx's default proxy-read-timeout of 60s",
    );
    // Sending is bounded apart; the value is checked although reads bound an attempt.
    let _ = settings.get(cx, "proxy-send-timeout", seconds, SECONDS);
    let conditions = settings
        .get(cx, "proxy-next-upstream", next_upstream, CONDITIONS)
        .map_or_else(
            || vec!["error".to_string(), "timeout".to_string()],
            |s| s.value,
        );
    let tries = settings
        .get(cx, "proxy-next-upstream-tries", count, COUNT)
        .unwrap_or_else(|| {
            Sourced::default(3, "ingress-nginx's default proxy-next-upstream-tries of 3")
        });
    let deadline = settings
        .get(cx, "proxy-next-upstream-timeout", seconds, SECONDS)
        .filter(|timeout| !timeout.value.is_zero());
    let non_idempotent = conditions.iter().any(|c| c == "non_idempotent")
        || settings
            .controller
            .and_then(|(_, data)| flag(data.get("retry-non-idempotent")?.scalar_text()?))
            .unwrap_or(false);
    let retry = (!conditions.iter().any(|c| c == "off") && tries.value != 1).then(|| Retry {
        location: tries.origin.location().unwrap_or(settings.anchor),
        unbounded: tries.value == 0,
        // No limit: each try asks the balancer for one more (`set_more_tries(1)` in
        // `rootfs/etc/nginx/lua/balancer.lua`) until the next-upstream timeout, if any.
        max_retries: tries
            .clone()
            .map(|tries| if tries == 0 { u32::MAX } else { tries - 1 }),
        conditions: conditions.iter().flat_map(|c| condition(c)).collect(),
        backoff: None,
        per_try_timeout: Some(read.clone()),
        deadline,
        has_budget: false,
        non_idempotent: Some(non_idempotent),
        counted_by: None,
    });
    let limited = ["limit-rps", "limit-rpm", "limit-connections"]
        .into_iter()
        .find_map(|key| Some((key, settings.get(cx, key, count, COUNT)?)))
        .filter(|(_, limit)| limit.value > 0);
    let rate_limit = limited.and_then(|(key, limit)| {
        let status_key = if key == "limit-connections" {
            "limit-conn-status-code"
        } else {
            "limit-req-status-code"
        };
        let status = settings
            .controller
            .and_then(|(_, data)| status(data.get(status_key)?.scalar_text()?.trim()))
            .unwrap_or(503);
        Some(RateLimit {
            location: limit.origin.location()?,
            status,
        })
    });
    Policy {
        per_try_timeout: Some(read),
        connect_timeout: Some(connect),
        retry,
        fallbacks: fallbacks(cx, settings),
        statuses: GatewayStatuses {
            on_timeout: Some(504),
            on_circuit_open: None,
            on_rate_limited: rate_limit.as_ref().map(|limit| limit.status),
        },
        rate_limit,
        ..Policy::default()
    }
}

/// nginx's `proxy_next_upstream` conditions: `error` covers failing to connect and a connection
/// lost while sending or reading the header.
fn condition(token: &str) -> Vec<RetryCondition> {
    match token {
        "error" => vec![RetryCondition::ConnectFailure, RetryCondition::Reset],
        "timeout" => vec![RetryCondition::Timeout],
        "non_idempotent" | "off" => Vec::new(),
        other => match other
            .strip_prefix("http_")
            .and_then(|code| code.parse().ok())
        {
            Some(code) => vec![RetryCondition::Status(code, code)],
            None => vec![RetryCondition::Other(other.to_string())],
        },
    }
}

/// `default-backend` answers when the Service has no ready endpoint (Kubernetes readiness
/// decides, per request) and, with `custom-http-errors`, in place of those statuses; custom
/// errors without it go to the controller's own default backend.
fn fallbacks(cx: &mut AdaptContext<'_>, settings: &Settings<'_>) -> Vec<Fallback> {
    let backend = settings.get(
        cx,
        "default-backend",
        |t| Some(t.to_string()),
        "a Service name",
    );
    let errors = settings.get(cx, "custom-http-errors", statuses, STATUSES);
    let location = backend
        .as_ref()
        .and_then(|backend| backend.origin.location())
        .or_else(|| errors.as_ref().and_then(|errors| errors.origin.location()));
    let target = backend.map_or_else(
        || "the controller's default backend".to_string(),
        |backend| backend.value,
    );
    location
        .map(|location| Fallback {
            kind: FallbackKind::FailoverOnStatus,
            targets: vec![target],
            location,
        })
        .into_iter()
        .collect()
}
