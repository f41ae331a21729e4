//! AWS API Gateway extensions inside an OpenAPI document: every operation with an
//! `x-amazon-apigateway-integration` (and every `x-amazon-apigateway-any-method`) is a route of
//! the gateway, with the integration's timeout and the statuses API Gateway answers by itself.
//!
//! The same document is also read by the OpenAPI adapter; the routes found here name their
//! operation explicitly, so the join links them without guessing.

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{GatewayStatuses, RateLimit, Upstream};
use crate::model::{GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Timeout};
use crate::source::{Entry, Node};
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("API Gateway V1/V2");

pub static ADAPTER: Adapter = Adapter {
    name: "aws",
    detect,
    uses_refs: true,
    adapt,
};

const INTEGRATION: &str = "x-amazon-apigateway-integration";
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

fn detect(document: &Node) -> bool {
    if document.get("openapi").is_none() && document.get("swagger").is_none() {
        return false;
    }
    let Some(paths) = document.get("paths") else {
        return false;
    };
    paths.entries().iter().any(|path| {
        path.value
            .entries()
            .iter()
            .any(|entry| match entry.key.scalar_text() {
                Some(ANY_METHOD) => true,
                Some(key) => {
                    Method::from_key(key).is_some() && entry.value.get(INTEGRATION).is_some()
                }
                None => false,
            })
    })
}

/// REST APIs: 50 ms to 29 s, 29 s by default. (Regional and private REST APIs may go beyond
/// 29 s after a quota increase; routeguard holds to the documented range.)
static REST_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(29)),
    "AWS API Gateway's default integration timeout of {} (REST APIs)",
);
static REST_DEPLOY_TIME: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    REST_TIMEOUT.value,
    "AWS API Gateway's {} limit on integration timeouts (REST APIs); the value is set at \
     deploy time",
);
/// HTTP APIs: 50 ms to 30 s, 30 s by default.
static HTTP_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(30)),
    "AWS API Gateway's default integration timeout of {} (HTTP APIs)",
);
static HTTP_DEPLOY_TIME: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    HTTP_TIMEOUT.value,
    "AWS API Gateway's {} limit on integration timeouts (HTTP APIs); the value is set at \
     deploy time",
);
const MIN_TIMEOUT: Duration = Duration::from_millis(50);
/// REST APIs answer an integration timeout with `INTEGRATION_TIMEOUT`, 504 unless a gateway
/// response changes it.
const TIMEOUT_STATUS: u16 = 504;
/// HTTP APIs have no gateway responses and answer an integration timeout with 503
/// `{"message":"Service Unavailable"}`, as responses carrying HTTP APIs' `apigw-requestid`
/// header show (cortexlabs/cortex#1225; serverless/serverless#11222).
const HTTP_API_TIMEOUT_STATUS: u16 = 503;
const THROTTLED_STATUS: u16 = 429;

/// Which API Gateway product a document configures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ApiKind {
    Rest,
    Http,
}

impl ApiKind {
    /// The default timeout, which is also the most API Gateway accepts, and the same limit when
    /// the value is only known at deploy time.
    fn timeouts(
        self,
    ) -> (
        &'static GatewayDefault<Timeout>,
        &'static GatewayDefault<Timeout>,
    ) {
        match self {
            ApiKind::Rest => (&REST_TIMEOUT, &REST_DEPLOY_TIME),
            ApiKind::Http => (&HTTP_TIMEOUT, &HTTP_DEPLOY_TIME),
        }
    }
}

/// What the whole document contributes to each route.
struct DocumentContext<'a> {
    /// Markers only HTTP APIs have; an integration's `payloadFormatVersion` is another.
    http_api: bool,
    /// Status of `INTEGRATION_TIMEOUT` after `x-amazon-apigateway-gateway-responses`.
    timeout_status: u16,
    /// Status of `THROTTLED` / `QUOTA_EXCEEDED` after gateway responses.
    throttled_status: u16,
    security_schemes: Option<&'a Node>,
    security: Option<&'a Node>,
    /// The file of the document, where the root `security` is written.
    file: FileId,
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Milliseconds);
    let (workspace, refs) = (cx.workspace, cx.refs);
    let responses = document.get("x-amazon-apigateway-gateway-responses");
    let timeout_status =
        gateway_response_status(cx, responses, &["INTEGRATION_TIMEOUT", "DEFAULT_5XX"])
            .unwrap_or(TIMEOUT_STATUS);
    let throttled_status = gateway_response_status(
        cx,
        responses,
        &["THROTTLED", "DEFAULT_4XX", "QUOTA_EXCEEDED"],
    )
    .unwrap_or(THROTTLED_STATUS);
    let doc = DocumentContext {
        http_api: document
            .get("x-amazon-apigateway-importexport-version")
            .is_some()
            || document.get("x-amazon-apigateway-cors").is_some(),
        timeout_status,
        throttled_status,
        security_schemes: document
            .get("securityDefinitions")
            .or_else(|| document.get("components")?.get("securitySchemes")),
        security: document.get("security"),
        file,
    };
    let Some(paths) = document.get("paths") else {
        return;
    };
    for path_entry in paths.entries() {
        let Some(path) = path_entry.key.scalar_text() else {
            continue;
        };
        if path.starts_with("x-") {
            continue;
        }
        let path_location = cx.at(&path_entry.key);
        let (item_file, item) = refs.deref(workspace, file, &path_entry.value);
        for entry in item.entries() {
            let methods = match entry.key.scalar_text() {
                Some(ANY_METHOD) => MethodSet::Any,
                Some(key) => match Method::from_key(key) {
                    Some(method) => MethodSet::Only(vec![method]),
                    None => continue,
                },
                None => continue,
            };
            let (op_file, operation) = refs.deref(workspace, item_file, &entry.value);
            let Some(integration) = operation.entry(INTEGRATION) else {
                continue;
            };
            let operation_location = cx.for_file(item_file).at(&entry.key);
            let route = read_route(
                &mut cx.for_file(op_file),
                &doc,
                IntegratedOperation {
                    node: operation,
                    integration,
                    path,
                    path_location,
                    methods,
                    methods_location: operation_location,
                    explicit: Some(operation_location),
                },
            );
            cx.push_route(route);
        }
    }
}

/// An operation (or ANY method) that carries an integration.
struct IntegratedOperation<'a> {
    node: &'a Node,
    integration: &'a Entry,
    path: &'a str,
    path_location: Location,
    methods: MethodSet,
    methods_location: Location,
    explicit: Option<Location>,
}

/// The route of an integrated operation; `cx` reads the operation's file.
fn read_route(
    cx: &mut Reader<'_>,
    doc: &DocumentContext<'_>,
    operation: IntegratedOperation<'_>,
) -> Route {
    let integration = &operation.integration.value;
    let location = cx.at(&operation.integration.key);
    let kind = if doc.http_api || integration.get("payloadFormatVersion").is_some() {
        ApiKind::Http
    } else {
        ApiKind::Rest
    };
    let integration_type = integration_type(cx, integration);

    // A mock integration is answered by API Gateway itself: no backend to wait for.
    let mut policy = if integration_type.as_deref() == Some("mock") {
        Policy::answered_directly(Some("mock integration".to_string()), location)
    } else {
        Policy::default()
    };
    if integration_type.as_deref() != Some("mock") {
        policy.timeout = Some(integration_timeout(cx, integration, kind));
        policy.statuses = GatewayStatuses {
            on_timeout: Some(match kind {
                ApiKind::Rest => doc.timeout_status,
                ApiKind::Http => HTTP_API_TIMEOUT_STATUS,
            }),
            ..GatewayStatuses::default()
        };
        policy.upstream = integration.get("uri").and_then(|uri| {
            Some(Upstream {
                name: upstream_name(deploy_time_text(uri)?),
                endpoints: None,
                location: Some(cx.at(uri)),
            })
        });
    }
    if kind == ApiKind::Rest {
        policy.rate_limit = usage_plan(cx, doc, operation.node).map(|location| RateLimit {
            location,
            status: doc.throttled_status,
        });
    }
    policy.statuses.on_rate_limited = policy.rate_limit.as_ref().map(|limit| limit.status);

    let (kind, pattern) = match operation.path {
        // HTTP APIs' catch-all route.
        "$default" => (PathKind::Any, "/"),
        path if path.contains('{') => (PathKind::Template, path),
        path => (PathKind::Exact, path),
    };
    let path = PathMatch::new(kind, pattern, operation.path_location);
    Route {
        name: operation
            .node
            .get("operationId")
            .and_then(Node::as_str)
            .map(str::to_string),
        methods: operation.methods,
        methods_location: Some(operation.methods_location),
        explicit_operation: operation.explicit,
        ..Route::new(GatewayFormat::Aws, location, path, policy)
    }
}

/// The integration's `type`, lowercased; reported when missing or unknown.
fn integration_type(cx: &mut Reader<'_>, integration: &Node) -> Option<String> {
    let Some(node) = integration.get("type") else {
        cx.invalid(
            integration,
            "an integration needs a `type`: http, http_proxy, aws, aws_proxy or mock",
        );
        return None;
    };
    if is_deploy_time(node) {
        return None;
    }
    let text = node.as_str().map(str::to_ascii_lowercase);
    if let Some(text) = text.filter(|text| {
        matches!(
            text.as_str(),
            "http" | "http_proxy" | "aws" | "aws_proxy" | "mock"
        )
    }) {
        return Some(text);
    }
    cx.invalid(
        node,
        format!(
            "{} is not an integration type: http, http_proxy, aws, aws_proxy or mock",
            shown(node)
        ),
    );
    None
}

/// `timeoutInMillis`, within the range API Gateway accepts, or its default.
fn integration_timeout(
    cx: &mut Reader<'_>,
    integration: &Node,
    kind: ApiKind,
) -> crate::model::Sourced<Timeout> {
    let (default, deploy_time) = kind.timeouts();
    let max = default.value.bound().unwrap_or(Duration::MAX);
    let Some(node) = cx.field(integration, "timeoutInMillis") else {
        return default.sourced();
    };
    if is_deploy_time(node) {
        // Whatever it resolves to, API Gateway caps it.
        return deploy_time.sourced();
    }
    let Some(timeout) = cx.duration(integration, "timeoutInMillis") else {
        return default.sourced();
    };
    if (MIN_TIMEOUT..=max).contains(&timeout.value) {
        return timeout.map(Timeout::Bounded);
    }
    let message = match kind {
        ApiKind::Rest => {
            "`timeoutInMillis` must be from 50 to 29000 for REST APIs (beyond 29000 only for \
             Regional and private APIs after a quota increase)"
        }
        ApiKind::Http => "`timeoutInMillis` must be from 50 to 30000 for HTTP APIs",
    };
    cx.invalid(node, message);
    default.sourced()
}

/// A value written as a CloudFormation intrinsic (`{"Fn::Sub": ...}`, `{"Ref": ...}`) or a
/// template placeholder (`${var}`): it is only known when the stack is deployed.
fn is_deploy_time(node: &Node) -> bool {
    match node.entries() {
        [entry] => entry
            .key
            .scalar_text()
            .is_some_and(|key| key == "Ref" || key.starts_with("Fn::")),
        _ => node.as_str().is_some_and(|text| text.contains("${")),
    }
}

/// The text of a value, looking inside `Fn::Sub` (whose template names the target well enough);
/// `None` for other intrinsics.
fn deploy_time_text(node: &Node) -> Option<&str> {
    if let Some(text) = node.scalar_text() {
        return Some(text);
    }
    let sub = node.get("Fn::Sub")?;
    sub.as_str()
        .or_else(|| sub.items().first().and_then(Node::as_str))
}

/// The host of an HTTP integration, or the whole URI (an AWS service or Lambda ARN).
fn upstream_name(uri: &str) -> String {
    match uri.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?']).next().unwrap_or(rest).to_string(),
        None => uri.to_string(),
    }
}

/// The status API Gateway answers for a gateway response type, after the document's
/// `x-amazon-apigateway-gateway-responses`: the `statusCode` of the first of `response_types`
/// (the type itself, then its `DEFAULT_4XX`/`DEFAULT_5XX` family) that sets a valid one, else
/// `None` (the built-in status).
fn gateway_response_status(
    cx: &mut Reader<'_>,
    responses: Option<&Node>,
    response_types: &[&str],
) -> Option<u16> {
    let responses = responses?;
    response_types.iter().find_map(|&key| {
        let status = cx.status(responses.get(key)?, "statusCode")?;
        Some(status.value)
    })
}

/// Where an operation requires an API key, which puts it under usage plans and their throttling
/// and quotas: a security requirement naming an `apiKey` scheme for the `x-api-key` header
/// (API Gateway's own key, not a custom authorizer).
fn usage_plan(cx: &Reader<'_>, doc: &DocumentContext<'_>, operation: &Node) -> Option<Location> {
    let schemes = doc.security_schemes?;
    let (file, requirements) = match operation.get("security") {
        Some(requirements) => (cx.file, requirements),
        None => (doc.file, doc.security?),
    };
    requirements.items().iter().find_map(|requirement| {
        requirement.entries().iter().find_map(|entry| {
            let scheme = schemes.get(entry.key.scalar_text()?)?;
            let api_key = scheme.get("type").and_then(Node::as_str) == Some("apiKey")
                && scheme.get("in").and_then(Node::as_str) == Some("header")
                && scheme
                    .get("name")
                    .and_then(Node::as_str)
                    .is_some_and(|name| name.eq_ignore_ascii_case("x-api-key"))
                && scheme.get("x-amazon-apigateway-authorizer").is_none()
                && scheme.get("x-amazon-apigateway-authtype").is_none();
            api_key.then_some(Location::new(file, entry.key.span))
        })
    })
}
