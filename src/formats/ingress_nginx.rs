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

use super::kube;
use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    Fallback, FallbackKind, GatewayStatuses, RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, MethodSet, PathKind, PathMatch, Policy, Route, Sourced};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("ingress-nginx v1.15.0");

pub static ADAPTER: Adapter = Adapter {
    name: "ingress-nginx",
    detect,
    uses_refs: false,
    adapt,
};

const PREFIX: &str = "nginx.ingress.kubernetes.io/";
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(5),
    "ingress-nginx's default proxy-connect-timeout of {}",
);
static READ_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "ingress-nginx's default proxy-read-timeout of {}",
);
static TRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    3,
    "ingress-nginx's default proxy-next-upstream-tries of {}",
);
/// What `proxy-next-upstream` may list (`validUpstreamAnnotation`).
const NEXT_UPSTREAM: &str = "error timeout invalid_header http_500 http_502 http_503 http_504 \
                             http_403 http_404 http_429 non_idempotent off";

fn class(ingress: &Node) -> Option<&str> {
    ingress
        .get("spec")
        .and_then(|spec| spec.get("ingressClassName"))
        .or_else(|| kube::annotation(ingress, "kubernetes.io/ingress.class"))
        .and_then(Node::as_str)
}

/// An `Ingress` of the `nginx` class, or of no class with ingress-nginx annotations; or the
/// controller's ConfigMap (named after the controller, or labelled as its part).
fn detect(document: &Node) -> bool {
    let kind = document.get("kind").and_then(Node::as_str);
    let api = document.get("apiVersion").and_then(Node::as_str);
    match (kind, api) {
        (Some("Ingress"), Some(api)) if api.starts_with("networking.k8s.io/") => {
            let annotated = kube::annotation_names(document).any(|key| key.starts_with(PREFIX));
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

/// Where settings are looked up: the Ingress's annotations (or, for the controller ConfigMap
/// itself, its `data`), then the controller ConfigMap the run holds.
struct Settings<'a> {
    own: Option<&'a Node>,
    /// `nginx.ingress.kubernetes.io/` for annotations, empty for the ConfigMap's keys.
    prefix: &'static str,
    controller: Option<(FileId, &'a Node)>,
    /// The object's name, where findings about defaults point.
    anchor: Location,
}

impl Settings<'_> {
    /// The object's own `key` if it can be read (else it is reported and ignored, as the
    /// controller does), then the ConfigMap's (reported where the ConfigMap is read).
    fn get<T>(
        &self,
        cx: &mut Reader<'_>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<Sourced<T>> {
        let prefix = self.prefix;
        if let Some(node) = self.own.and_then(|own| own.get(&format!("{prefix}{key}"))) {
            if let Some(value) = node.scalar_text().and_then(|text| parse(text.trim())) {
                return Some(Sourced::explicit(value, cx.at(node)));
            }
            let message = format!("`{prefix}{key}`: {} is not {expected}", shown(node));
            cx.invalid(node, message);
        }
        let (file, data) = self.controller?;
        let node = data.get(key)?;
        let value = parse(node.scalar_text()?.trim())?;
        Some(Sourced::explicit(
            value,
            Location {
                file,
                span: node.span,
            },
        ))
    }
}

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
    let known = |token: &String| NEXT_UPSTREAM.split_whitespace().any(|known| known == token);
    (!tokens.is_empty() && tokens.iter().all(known)).then_some(tokens)
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let controller = cx
        .kube
        .shared_document(
            cx.workspace,
            "ingress-nginx controller",
            is_controller_config,
        )
        .and_then(|(file, config)| Some((file, config.get("data")?)));
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Seconds);
    let anchor = cx.at(document.pointer(&["metadata", "name"]).unwrap_or(document));
    if document.get("kind").and_then(Node::as_str) == Some("ConfigMap") {
        // The controller's global values, reported once here; Ingresses read them silently.
        let own = document.get("data");
        let settings = Settings {
            own,
            prefix: "",
            controller: None,
            anchor,
        };
        policy(cx, &settings);
        return;
    }
    let own = kube::annotations(document);
    let settings = Settings {
        own,
        prefix: PREFIX,
        controller,
        anchor,
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
                    location: Some(cx.at(node)),
                })
            });
            let location = cx.at(path_node);
            cx.push_route(Route {
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

fn policy(cx: &mut Reader<'_>, settings: &Settings<'_>) -> Policy {
    let secs = |cx: &mut Reader<'_>, key, default: &'static GatewayDefault<Duration>| {
        let value = settings.get(cx, key, seconds, SECONDS);
        value.unwrap_or_else(|| default.sourced())
    };
    let connect = secs(cx, "proxy-connect-timeout", &CONNECT_TIMEOUT);
    let read = secs(cx, "proxy-read-timeout", &READ_TIMEOUT);
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
        .unwrap_or_else(|| TRIES.sourced());
    let deadline = settings
        .get(cx, "proxy-next-upstream-timeout", seconds, SECONDS)
        .filter(|timeout| !timeout.value.is_zero());
    // `retry-non-idempotent` is a ConfigMap key only, as are the rate limits' statuses.
    let retry_sent = settings.get(cx, "retry-non-idempotent", flag, FLAG);
    let non_idempotent = conditions.iter().any(|c| c == "non_idempotent")
        || retry_sent.is_some_and(|flag| flag.value);
    let retry = (!conditions.iter().any(|c| c == "off") && tries.value != 1).then(|| Retry {
        // No limit: each try asks the balancer for one more (`set_more_tries(1)` in
        // `rootfs/etc/nginx/lua/balancer.lua`) until the next-upstream timeout, if any.
        unbounded: tries.value == 0,
        conditions: conditions.iter().flat_map(|c| condition(c)).collect(),
        per_try_timeout: Some(read.clone()),
        deadline,
        non_idempotent: Some(non_idempotent),
        ..Retry::new(
            tries
                .clone()
                .map(|tries| if tries == 0 { u32::MAX } else { tries - 1 }),
            tries.origin.location().unwrap_or(settings.anchor),
        )
    });
    let request_status = settings.get(cx, "limit-req-status-code", status, STATUS);
    let connection_status = settings.get(cx, "limit-conn-status-code", status, STATUS);
    let limited = ["limit-rps", "limit-rpm", "limit-connections"]
        .into_iter()
        .find_map(|key| Some((key, settings.get(cx, key, count, COUNT)?)))
        .filter(|(_, limit)| limit.value > 0);
    let rate_limit = limited.and_then(|(key, limit)| {
        let status = match key {
            "limit-connections" => connection_status,
            _ => request_status,
        };
        Some(RateLimit {
            location: limit.origin.location()?,
            status: status.map_or(503, |status| status.value),
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
fn fallbacks(cx: &mut Reader<'_>, settings: &Settings<'_>) -> Vec<Fallback> {
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
