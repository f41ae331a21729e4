//! Envoy Gateway `BackendTrafficPolicy` and `ClientTrafficPolicy` (`gateway.envoyproxy.io`),
//! as Envoy Gateway v1.9 translates them.
//!
//! A `BackendTrafficPolicy` attaches through `targetRefs` / `targetSelectors` to Gateway API
//! `HTTPRoute`s (one rule with `sectionName`) or `Gateway`s (one listener with `sectionName`),
//! and the most specific one wins whole: rule over route over listener over gateway
//! (`internal/gatewayapi/backendtrafficpolicy.go`: a route's policy is applied first and a
//! gateway's only to routes no route policy reached). Two policies on the same target conflict:
//! Envoy Gateway keeps the oldest and marks the other `Conflicted`. The `HTTPRoute`'s own
//! `timeouts.request` and `retry` win over the policy's (`getEffectiveRequestTimeout` and
//! `HTTPRoute.GetRetry` in `internal/xds/translator/route.go`, `internal/ir/xds.go`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::kube::{self, Object, Objects, Pick, Target};
use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::model::{GatewayFormat, Timeout};
use crate::source::Node;
use crate::span::FileId;

mod policy;

use policy::{backend_policy, client_timeouts, merged};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Envoy Gateway v1.9");

pub static ADAPTER: Adapter = Adapter {
    name: "envoy-gateway",
    detect,
    uses_refs: false,
    adapt,
};

const KINDS: &[&str] = &["BackendTrafficPolicy", "ClientTrafficPolicy"];

static REQUEST_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(15)),
    "Envoy's {} route timeout, which Envoy Gateway leaves in place when neither the HTTPRoute nor its BackendTrafficPolicy sets one",
);
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(10),
    "Envoy Gateway's default connect timeout of {}",
);
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    2,
    "Envoy Gateway's default of {} retries (`numRetries`)",
);
static BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Envoy's default retry backoff of {}",
);
static CHECK_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(3),
    "Envoy Gateway's default health check interval of {}",
);
static CHECK_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "Envoy Gateway's default health check timeout of {}",
);
/// `retryOn.triggers` when not written (`retryDefaultRetryOn` in `route.go`).
const DEFAULT_TRIGGERS: &[&str] = &[
    "connect-failure",
    "refused-stream",
    "unavailable",
    "cancelled",
    "retriable-status-codes",
];

/// The controller that names a GatewayClass Envoy Gateway's.
const CONTROLLER: &str = "gateway.envoyproxy.io/gatewayclass-controller";

/// Whether Envoy Gateway serves `route`: the class of a parent Gateway is its controller's, or
/// one of its policies names the route or a parent Gateway.
pub fn serves(objects: &Objects<'_>, route: &Object<'_>) -> bool {
    fn text<'a>(object: &Object<'a>, path: &[&str]) -> Option<&'a str> {
        object.node.pointer(path).and_then(Node::as_str)
    }
    let policy = |positions: &[usize]| {
        let mut found = positions.iter().map(|&position| &objects[position]);
        found.any(|object| object.api.starts_with("gateway.envoyproxy.io/"))
    };
    let envoy_class = |gateway: &Object<'_>| {
        let class = text(gateway, &["spec", "gatewayClassName"]);
        class.is_some_and(|class| {
            objects
                .cluster_named("GatewayClass", class)
                .any(|gateway_class| {
                    text(gateway_class, &["spec", "controllerName"]) == Some(CONTROLLER)
                })
        })
    };
    policy(objects.targeting("HTTPRoute", route.namespace, route.name))
        || route
            .parents()
            .into_iter()
            .any(|(kind, namespace, name, _)| {
                let gateways = objects.named("Gateway", namespace, name);
                kind == "Gateway"
                    && (policy(objects.targeting("Gateway", namespace, name))
                        || gateways.iter().any(|&position| {
                            let gateway = &objects[position];
                            !gateway.api.starts_with("gateway.envoyproxy.io/")
                                && envoy_class(gateway)
                        }))
            })
}

fn detect(document: &Node) -> bool {
    let text = |key: &str| document.get(key).and_then(Node::as_str).unwrap_or("");
    text("apiVersion").starts_with("gateway.envoyproxy.io/") && KINDS.contains(&text("kind"))
}

/// How specific an attachment is; the higher wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Gateway,
    Listener,
    Route,
    Rule,
}

/// One `HTTPRoute` rule, by the route's position among the run's objects, and the policy that
/// won it so far: (level, policy index).
type Claims = BTreeMap<(usize, usize), (Level, usize)>;

fn adapt(cx: &mut AdaptContext<'_>, _file: FileId, _document: &Node) {
    if !kube::first_of_set(cx, ADAPTER.name) {
        return;
    }
    let objects = cx.kube;
    let all = objects.all().iter();
    let mut policies: Vec<&Object<'_>> = all.filter(|o| detect(o.node)).collect();
    // Envoy Gateway orders policies oldest first, then by namespace and name; files carry no
    // creation time, so the order by namespace and name decides among them.
    policies.sort_by_key(|object| (object.namespace, object.name));
    let (mut claims, mut parents) = (Claims::new(), Claims::new());
    let mut read = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let Some(spec) = policy.node.get("spec").filter(|spec| spec.is_map()) else {
            read.push(None);
            continue;
        };
        let targets = kube::targets(cx, policy.file, spec);
        let reached = claim(
            cx,
            (policy, index),
            &targets,
            objects,
            (&mut claims, &mut parents),
        );
        if reached == 0 && !targets.is_empty() {
            let message = format!("{} `{}` reaches no HTTPRoute of these files: no route it targets (or routed through the Gateway it targets) is defined here, so nothing it sets is checked", policy.kind, policy.name);
            kube::unattached(cx, policy.at(), message, "attached to nothing");
        }
        let cx = &mut Reader::new(cx, policy.file, Naming::Exact, Dialect::GatewayApi);
        let merges = cx.text(spec, "mergeType").is_some();
        read.push(match policy.kind {
            "BackendTrafficPolicy" => Some((backend_policy(cx, spec), merges)),
            _ => {
                client_timeouts(cx, spec);
                None
            }
        });
    }
    for ((route, rule), (level, index)) in claims {
        let Some((mut policy, merges)) = read.get(index).cloned().flatten() else {
            continue;
        };
        // A route's policy with `mergeType` is merged onto the closest Gateway or listener
        // policy (`mergeBackendTrafficPolicy` in `backendtrafficpolicy.go`, v1.3+).
        let parent = parents
            .get(&(route, rule))
            .and_then(|(_, i)| read.get(*i).cloned().flatten());
        if let (true, true, Some((parent, _))) = (merges, level >= Level::Route, parent) {
            policy = merged(parent, policy);
        }
        let route = &objects[route];
        if let Some((node, _)) = route.rules().get(rule) {
            let formats = (GatewayFormat::GatewayApi, GatewayFormat::EnvoyGateway);
            kube::attach(cx, formats, (route.file, node.span), policy, false);
        }
    }
}

/// The positions of the objects `target` may reach, in file and document order: the routes it
/// names or that name a Gateway it names as their parent. A superset: the caller checks each.
fn candidates(target: &Target<'_>, objects: &Objects<'_>, namespace: &str) -> Vec<usize> {
    let mut found = match (target.kind, &target.pick) {
        ("HTTPRoute", Pick::Name(name)) => objects.named("HTTPRoute", namespace, name).to_vec(),
        ("HTTPRoute", Pick::Labels(_)) => objects.in_namespace("HTTPRoute", namespace).to_vec(),
        ("Gateway", Pick::Name(name)) => objects.children("Gateway", namespace, name).to_vec(),
        ("Gateway", Pick::Labels(_)) => {
            let gateways = objects.in_namespace("Gateway", namespace).iter();
            let picked = gateways.filter(|&&gateway| {
                let gateway = &objects[gateway];
                gateway.api.starts_with("gateway.networking.k8s.io/")
                    && target.names(gateway, namespace)
            });
            let children = picked
                .flat_map(|&gateway| objects.children("Gateway", namespace, objects[gateway].name));
            children.copied().collect()
        }
        _ => Vec::new(),
    };
    found.sort_unstable();
    found.dedup();
    found
}

/// Claims for `policy` every rule its targets reach that a more specific (or older) policy has
/// not; reports a target another policy already holds. Returns the rules reached.
fn claim(
    cx: &mut AdaptContext<'_>,
    (policy, index): (&Object<'_>, usize),
    targets: &[Target<'_>],
    objects: &Objects<'_>,
    (claims, parents): (&mut Claims, &mut Claims),
) -> usize {
    let client = policy.kind == "ClientTrafficPolicy";
    let mut reached = 0;
    for target in targets {
        let mut conflict = false;
        for route_index in candidates(target, objects, policy.namespace) {
            let route = &objects[route_index];
            if !route.is_http_route() {
                continue;
            }
            let level = match target.kind {
                "HTTPRoute" if !client && target.names(route, policy.namespace) => {
                    match target.section {
                        Some(_) => Level::Rule,
                        None => Level::Route,
                    }
                }
                "Gateway" => match target.through_gateway(route, objects, policy.namespace) {
                    Some(true) => Level::Listener,
                    Some(false) => Level::Gateway,
                    None => continue,
                },
                _ => continue,
            };
            for (rule_index, (_, name)) in route.rules().into_iter().enumerate() {
                if level == Level::Rule && name != target.section {
                    continue;
                }
                reached += 1;
                let held = parents.get(&(route_index, rule_index));
                if !client && level <= Level::Listener && held.is_none_or(|(held, _)| *held < level)
                {
                    parents.insert((route_index, rule_index), (level, index));
                }
                match claims.get(&(route_index, rule_index)) {
                    _ if client => {}
                    Some(&(held, other)) if held == level => conflict |= other != index,
                    Some(&(held, _)) if held > level => {}
                    _ => {
                        claims.insert((route_index, rule_index), (level, index));
                    }
                }
            }
        }
        if conflict {
            let message = format!("{} `{}` targets what another BackendTrafficPolicy already targets: Envoy Gateway keeps the older one and marks this one `Conflicted`, so it does not apply there", policy.kind, policy.name);
            kube::unattached(
                cx,
                target.location,
                message,
                "conflicts with another policy",
            );
        }
    }
    reached
}
