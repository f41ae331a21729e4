//! Google Cloud Endpoints and API Gateway: an OpenAPI 2.0 document whose operations carry
//! `x-google-backend` (or inherit the document's) is the gateway's own configuration, as with
//! AWS; in API Gateway's OpenAPI 3 form, `x-google-backend` names one of the backends of
//! `x-google-api-management.backends`, each a `google.api.BackendRule` (`address`, `deadline`,
//! `pathTranslation`, `protocol`). Both products run ESPv2, which turns every operation into an
//! Envoy route; what follows models ESPv2 at GoogleCloudPlatform/esp-v2 commit 3dcedb6f
//! (`src/go/configinfo/service_info.go`, `src/go/options/configgenerator.go`,
//! `src/go/util/util.go`). API Gateway compiles the OpenAPI 3 form into the same service
//! configuration, backend rules included, that ESPv2 receives
//! (https://cloud.google.com/api-gateway/docs/oasv3-extensions).
//!
//! The same document is also read by the OpenAPI adapter; each route names its operation, so the
//! join links them without guessing.

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{Backoff, GatewayStatuses, RateLimit, Retry, RetryCondition, Upstream};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::{Entry, Node};
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("ESPv2 at commit 3dcedb6f");

pub static ADAPTER: Adapter = Adapter {
    name: "google",
    detect,
    uses_refs: true,
    adapt,
};

const BACKEND: &str = "x-google-backend";
/// API Gateway's OpenAPI 3 form: the backends are named under `x-google-api-management` and
/// `x-google-backend` names one of them (https://cloud.google.com/api-gateway/docs/oasv3-extensions).
const MANAGEMENT: &str = "x-google-api-management";

/// `util.DefaultResponseDeadline`: a backend rule without a positive `deadline` gets it.
static DEADLINE: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(15),
    "ESPv2's default backend deadline of {}",
);
/// ESPv2's `--backend_retry_num` and `--backend_retry_ons` flags, which Cloud Endpoints deployments
/// may change and API Gateway leaves at their defaults (`DefaultConfigGeneratorOptions`).
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    1,
    "ESPv2's default of {} retry (`--backend_retry_num`) on reset, connect-failure and refused-stream",
);
/// Envoy's own retry back-off, as ESPv2 sets none on its routes.
static BACKOFF_BASE: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Envoy's default retry back-off base interval of {}",
);
static BACKOFF_CAP: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(250),
    "Envoy's default retry back-off cap of 10× the base interval",
);
/// Envoy answers a route timeout with 504; an exhausted quota is `RESOURCE_EXHAUSTED`, 429.
const TIMEOUT_STATUS: u16 = 504;
const QUOTA_STATUS: u16 = 429;

fn detect(document: &Node) -> bool {
    if document.get("swagger").is_none() && document.get("openapi").is_none() {
        return false;
    }
    document.get(MANAGEMENT).is_some_and(Node::is_map)
        || document.get(BACKEND).is_some()
        || document.get("paths").is_some_and(|paths| {
            paths.entries().iter().any(|path| {
                path.value.entries().iter().any(|entry| {
                    entry.key.scalar_text().and_then(Method::from_key).is_some()
                        && entry.value.get(BACKEND).is_some()
                })
            })
        })
}

/// The backend rule in force for an operation, and whether it was set on the whole document.
struct BackendRule<'a> {
    file: FileId,
    node: &'a Node,
    key: Location,
    document_level: bool,
    /// OpenAPI 2 rules are read as written (`path_translation`); an OpenAPI 3 backend is a
    /// `google.api.BackendRule` in protobuf JSON, so `pathTranslation` is the same field.
    naming: Naming,
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let (workspace, refs) = (cx.workspace, cx.refs);
    let management = document.get(MANAGEMENT);
    // An OpenAPI 3 backend is checked once, however many operations name it.
    let backends = management.and_then(|management| management.get("backends"));
    for backend in backends.map_or(&[][..], Node::entries) {
        let key = Location {
            file,
            span: backend.key.span,
        };
        let node = &backend.value;
        let naming = Naming::Proto;
        check_rule(
            cx,
            &BackendRule {
                file,
                node,
                key,
                document_level: true,
                naming,
            },
        );
    }
    let document_rule = document
        .entry(BACKEND)
        .and_then(|entry| rule(cx, file, entry, management, true));
    if let Some(rule) = document_rule.as_ref().filter(|r| r.naming == Naming::Exact) {
        check_rule(cx, rule);
    }
    let Some(paths) = document.get("paths") else {
        return;
    };
    for path_entry in paths.entries() {
        let Some(path) = path_entry
            .key
            .scalar_text()
            .filter(|p| !p.starts_with("x-"))
        else {
            continue;
        };
        let (item_file, item) = refs.deref(workspace, file, &path_entry.value);
        for entry in item.entries() {
            let Some(method) = entry.key.scalar_text().and_then(Method::from_key) else {
                continue;
            };
            let (op_file, operation) = refs.deref(workspace, item_file, &entry.value);
            let own_rule = operation
                .entry(BACKEND)
                .and_then(|entry| rule(cx, op_file, entry, management, false));
            if let Some(rule) = own_rule.as_ref().filter(|r| r.naming == Naming::Exact) {
                check_rule(cx, rule);
            }
            let Some(rule) = own_rule.as_ref().or(document_rule.as_ref()) else {
                // Served by the sidecar's `--backend`, which the document does not describe.
                continue;
            };
            let method_key = Location {
                file: item_file,
                span: entry.key.span,
            };
            let path_match = PathMatch {
                kind: if path.contains('{') {
                    PathKind::Template
                } else {
                    PathKind::Exact
                },
                pattern: path.to_string(),
                location: Location {
                    file,
                    span: path_entry.key.span,
                },
                rewrite: None,
            };
            // A document-wide rule is written once: each route sits at its own method.
            let location = if rule.document_level {
                method_key
            } else {
                rule.key
            };
            let policy = policy(cx, rule, location, op_file, operation);
            cx.push_route(Route {
                format: GatewayFormat::Google,
                name: operation
                    .get("operationId")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                location,
                methods: MethodSet::Only(vec![method]),
                methods_location: Some(method_key),
                path: path_match,
                hosts: Vec::new(),
                policy,
                explicit_operation: Some(method_key),
            });
        }
    }
}

/// The backend rule an `x-google-backend` entry sets: the object itself (OpenAPI 2), or the
/// backend of `x-google-api-management` it names (OpenAPI 3), reported when there is none.
fn rule<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    entry: &'a Entry,
    management: Option<&'a Node>,
    document_level: bool,
) -> Option<BackendRule<'a>> {
    let key = Location {
        file,
        span: entry.key.span,
    };
    let Some(management) = management else {
        let naming = Naming::Exact;
        let node = &entry.value;
        return Some(BackendRule {
            file,
            node,
            key,
            document_level,
            naming,
        });
    };
    let backends = management.get("backends");
    // Looked up through an index: as many backends as operations is a common shape.
    let named = entry
        .value
        .as_str()
        .and_then(|name| cx.kube.get(backends?, name));
    if named.is_none() {
        let message = format!(
            "{} names no backend of `x-google-api-management.backends`: API Gateway refuses the config",
            shown(&entry.value)
        );
        Reader::new(cx, file, Naming::Exact, Dialect::Seconds).invalid(&entry.value, message);
    }
    let naming = Naming::Proto;
    named.map(|node| BackendRule {
        file,
        node,
        key,
        document_level,
        naming,
    })
}

/// Reports what ESPv2 (or the API config upload) rejects in a backend rule, once per rule.
fn check_rule(cx: &mut AdaptContext<'_>, rule: &BackendRule<'_>) {
    let cx = &mut Reader::new(cx, rule.file, rule.naming, Dialect::Seconds);
    if !rule.node.is_map() {
        cx.invalid(rule.node, "`x-google-backend` must be an object");
        return;
    }
    if let Some(address) = cx.field(rule.node, "address") {
        let valid = address.as_str().and_then(|text| text.split_once("://"));
        if !valid.is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https" | "grpc" | "grpcs") && !rest.is_empty()
        }) {
            let shown = shown(address);
            let message =
                format!("{shown} is not a backend address: a URL such as \"https://a.run.app\"");
            cx.invalid(address, message);
        }
    }
    if let Some(translation) = cx.field(rule.node, "path_translation") {
        let known = ["APPEND_PATH_TO_ADDRESS", "CONSTANT_ADDRESS"];
        if !translation
            .as_str()
            .is_some_and(|text| known.contains(&text))
        {
            let shown = shown(translation);
            let message = format!(
                "{shown} is not a `path_translation`: {}",
                known.join(" or ")
            );
            cx.invalid(translation, message);
        }
    }
}

fn policy(
    cx: &mut AdaptContext<'_>,
    rule: &BackendRule<'_>,
    route: Location,
    file: FileId,
    op: &Node,
) -> Policy {
    let rate_limit = op
        .entry("x-google-quota")
        .filter(|quota| {
            quota
                .value
                .get("metricCosts")
                .is_some_and(|costs| !costs.entries().is_empty())
        })
        .map(|quota| RateLimit {
            location: Location {
                file,
                span: quota.key.span,
            },
            status: QUOTA_STATUS,
        });
    Policy {
        timeout: Some(deadline(cx, rule).map(Timeout::Bounded)),
        retry: Some(Retry {
            conditions: vec![
                RetryCondition::Reset,
                RetryCondition::ConnectFailure,
                RetryCondition::RefusedStream,
            ],
            backoff: Some(Backoff {
                base: Some(BACKOFF_BASE.sourced()),
                max: Some(BACKOFF_CAP.sourced()),
                jittered: true,
                factor: 2.0,
            }),
            // Envoy retries a reset whatever the method.
            non_idempotent: Some(true),
            ..Retry::new(RETRIES.sourced(), route)
        }),
        upstream: Some(upstream(rule)),
        statuses: GatewayStatuses {
            on_timeout: Some(TIMEOUT_STATUS),
            on_circuit_open: None,
            on_rate_limited: rate_limit.as_ref().map(|limit| limit.status),
        },
        rate_limit,
        ..Policy::default()
    }
}

/// `deadline` in seconds, rounded to the millisecond as ESPv2 does; 15 s when unset or
/// unreadable, and when not positive (ESPv2 then logs a warning and uses the default).
fn deadline(cx: &mut AdaptContext<'_>, rule: &BackendRule<'_>) -> Sourced<Duration> {
    let cx = &mut Reader::new(cx, rule.file, rule.naming, Dialect::Seconds);
    let default = DEADLINE.sourced();
    let Some(node) = cx.field(rule.node, "deadline") else {
        return default;
    };
    let number = node
        .scalar_text()
        .and_then(|text| text.trim().parse::<f64>().ok());
    if number.is_some_and(|seconds| seconds <= 0.0) {
        let message =
            "`deadline` must be a positive number of seconds: ESPv2 ignores it and waits 15s";
        cx.invalid(node, message);
        return default;
    }
    let Some(deadline) = cx.duration_of("deadline", node, Dialect::Seconds) else {
        return default;
    };
    deadline.map(|value| Duration::from_millis((value.as_secs_f64() * 1000.0).round() as u64))
}

/// The host of `address`; without one ESPv2 sends to the address of its `--backend` flag (the
/// sidecar's local service).
fn upstream(rule: &BackendRule<'_>) -> Upstream {
    match rule.node.get("address").and_then(Node::as_str) {
        Some(address) => Upstream {
            name: address
                .split_once("://")
                .map_or(address, |(_, rest)| rest)
                .split(['/', '?'])
                .next()
                .unwrap_or(address)
                .to_string(),
            endpoints: None,
            location: rule.node.get("address").map(|node| Location {
                file: rule.file,
                span: node.span,
            }),
        },
        None => Upstream {
            name: "ESPv2's --backend".to_string(),
            endpoints: None,
            location: None,
        },
    }
}
