//! Clusters: connect timeout, circuit-breaker thresholds, outlier detection, active health
//! checks, endpoints by priority and aggregate clusters.

use std::time::Duration;

use super::message::report_fields_set_twice;
use super::RELEASE;
use super::{list, AGGREGATE_CLUSTER, NO_HEALTHY_UPSTREAM};
use crate::formats::read::Naming::Proto;
use crate::formats::read::{GatewayDefault, Reader};
use crate::model::policy::{
    ActiveCheck, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, HealthCheck,
};
use crate::model::{GatewayFormat, UpstreamPolicy};
use crate::source::Node;
use crate::span::Location;

static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(5),
    "Envoy's default cluster connect_timeout of {}",
);

/// What a cluster contributes to the routes that send to it.
pub(super) struct ClusterPolicy {
    pub(super) upstream: UpstreamPolicy,
    /// Concurrent retries are capped explicitly (`max_retries` or `retry_budget`).
    pub(super) retry_budget: bool,
    /// An aggregate cluster's members, in the order it tries them.
    pub(super) aggregate: Vec<String>,
}

pub(super) fn read_cluster(cx: &mut Reader<'_>, cluster: &Node) -> Option<ClusterPolicy> {
    let Some(name) = Proto.field(cluster, "name").and_then(Node::scalar_text) else {
        cx.invalid(cluster, "an Envoy cluster needs a `name`");
        return None;
    };
    report_fields_set_twice(cx, cluster);
    let connect_timeout = cx
        .duration(cluster, "connect_timeout")
        .unwrap_or_else(|| CONNECT_TIMEOUT.sourced());
    let upstream = UpstreamPolicy {
        format: GatewayFormat::Envoy,
        name: name.to_string(),
        location: cx.anchor(cluster),
        connect_timeout: Some(connect_timeout),
        circuit_breakers: Vec::new(),
        health_check: None,
        fallbacks: Vec::new(),
        endpoints: None,
    };
    let mut policy = ClusterPolicy {
        upstream,
        retry_budget: false,
        aggregate: Vec::new(),
    };
    read_thresholds(cx, cluster, &mut policy);
    let passive = read_outlier_detection(cx, cluster, &mut policy);
    let active = read_health_check(cx, cluster);
    if active.is_some() || passive.is_some() {
        policy.upstream.health_check = Some(HealthCheck { active, passive });
    }
    read_endpoints(cx, cluster, &mut policy);
    read_aggregate(cx, cluster, &mut policy);
    Some(policy)
}

/// A concurrency limit this high turns the breaker off.
const EFFECTIVELY_UNLIMITED: u32 = 1_000_000_000;

/// `circuit_breakers.thresholds`: concurrency limits. Envoy applies defaults (1024 connections,
/// pending requests and requests, 3 retries) to every cluster, so only written ones count.
fn read_thresholds(cx: &mut Reader<'_>, cluster: &Node, policy: &mut ClusterPolicy) {
    let Some(breakers) = Proto.field(cluster, "circuit_breakers") else {
        return;
    };
    report_fields_set_twice(cx, breakers);
    let breaker_location = cx
        .key_at(cluster, "circuit_breakers")
        .unwrap_or(cx.at(breakers));
    let limits = [
        "max_connections",
        "max_pending_requests",
        "max_requests",
        "max_retries",
    ];
    let thresholds = list(Proto.field(breakers, "thresholds"));
    let mut unlimited = 0;
    for threshold in thresholds {
        report_fields_set_twice(cx, threshold);
        let values: Vec<Option<u32>> = limits
            .iter()
            .map(|limit| cx.count(threshold, limit).map(|count| count.value))
            .collect();
        // Envoy's own FAQ disables circuit breaking with limits of 1,000,000,000; no real
        // proxy holds that many connections or requests at once.
        if values
            .iter()
            .all(|value| value.is_some_and(|value| value >= EFFECTIVELY_UNLIMITED))
        {
            unlimited += 1;
        }
        if values.get(3).is_some_and(Option::is_some)
            || Proto.field(threshold, "retry_budget").is_some()
        {
            policy.retry_budget = true;
        }
    }
    let ineffective = if thresholds.is_empty() {
        Some(
            "no thresholds are set, so only Envoy's defaults apply (1024 connections, pending \
             requests and requests, 3 retries)"
                .to_string(),
        )
    } else if unlimited == thresholds.len() {
        Some(format!(
            "every limit is {EFFECTIVELY_UNLIMITED} or more, which disables it (Envoy's FAQ does \
             exactly this to turn circuit breaking off)"
        ))
    } else {
        None
    };
    policy.upstream.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::ConcurrencyLimit,
        location: breaker_location,
        ineffective,
        open_status: Some(NO_HEALTHY_UPSTREAM),
        trip: None,
    });
}

/// `outlier_detection`: ejection of failing hosts, Envoy's circuit breaker on errors and its
/// passive health check. Returns where it is written when it can eject a host.
fn read_outlier_detection(
    cx: &mut Reader<'_>,
    cluster: &Node,
    policy: &mut ClusterPolicy,
) -> Option<Location> {
    let detection_location = cx.key_at(cluster, "outlier_detection")?;
    let detection = cx.map(cluster, "outlier_detection")?;
    report_fields_set_twice(cx, detection);
    let split_origins = cx.flag(detection, "split_external_local_origin_errors") == Some(true);
    let mut enforcing = |key: &str, default: u32| {
        cx.count(detection, key)
            .map_or(default, |count| count.value)
    };
    // Each detector with its enforcement default: the consecutive 5xx and success rate
    // detectors enforce 100 % by default, the gateway failure and failure percentage ones 0 %.
    let mut detectors = vec![
        enforcing("enforcing_consecutive_5xx", 100),
        enforcing("enforcing_success_rate", 100),
        enforcing("enforcing_consecutive_gateway_failure", 0),
        enforcing("enforcing_failure_percentage", 0),
    ];
    if split_origins {
        detectors.push(enforcing("enforcing_consecutive_local_origin_failure", 100));
        detectors.push(enforcing("enforcing_local_origin_success_rate", 100));
        detectors.push(enforcing("enforcing_failure_percentage_local_origin", 0));
    }
    let max_ejection = enforcing("max_ejection_percent", 10);
    for key in ["interval", "base_ejection_time", "max_ejection_time"] {
        cx.duration(detection, key);
    }
    let ineffective = if max_ejection == 0 {
        Some("`max_ejection_percent` is 0, so no host is ever ejected".to_string())
    } else if detectors.iter().all(|percent| *percent == 0) {
        Some(
            "every detector's enforcement (`enforcing_*`) is 0 %, so hosts are only counted, \
             never ejected"
                .to_string(),
        )
    } else {
        None
    };
    let effective = ineffective.is_none();
    policy.upstream.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::OutlierEjection,
        location: detection_location,
        ineffective,
        open_status: Some(NO_HEALTHY_UPSTREAM),
        trip: None,
    });
    effective.then_some(detection_location)
}

/// The first active health check. Envoy requires its `timeout` and `interval`.
fn read_health_check(cx: &mut Reader<'_>, cluster: &Node) -> Option<ActiveCheck> {
    let check = list(Proto.field(cluster, "health_checks")).first()?;
    report_fields_set_twice(cx, check);
    let check_location = cx.anchor(check);
    let interval = cx.duration(check, "interval");
    let timeout = cx.duration(check, "timeout");
    let required = ["interval", "timeout"];
    cx.required(check, &required, check_location, "an Envoy health check");
    Some(ActiveCheck {
        interval,
        timeout,
        location: check_location,
    })
}

/// `load_assignment`: endpoints per locality and priority. Priority 0 serves; higher priorities
/// take over when it is unhealthy (backup endpoints); two or more serving endpoints share load.
fn read_endpoints(cx: &mut Reader<'_>, cluster: &Node, policy: &mut ClusterPolicy) {
    let Some(assignment) = Proto.field(cluster, "load_assignment") else {
        return;
    };
    report_fields_set_twice(cx, assignment);
    let mut total = 0u32;
    let mut serving = Vec::new();
    let mut backups = Vec::new();
    let mut backup_location = None;
    for locality in list(Proto.field(assignment, "endpoints")) {
        report_fields_set_twice(cx, locality);
        let priority = cx
            .count(locality, "priority")
            .map_or(0, |priority| priority.value);
        for endpoint in list(Proto.field(locality, "lb_endpoints")) {
            total = total.saturating_add(1);
            let address = endpoint_address(endpoint);
            if priority == 0 {
                serving.push(address);
            } else {
                backups.push(address);
                backup_location.get_or_insert(
                    cx.key_at(locality, "priority")
                        .unwrap_or(cx.anchor(locality)),
                );
            }
        }
    }
    policy.upstream.endpoints = Some(total);
    if serving.len() >= 2 {
        policy.upstream.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: serving,
            location: cx
                .key_at(cluster, "load_assignment")
                .unwrap_or(policy.upstream.location),
        });
    }
    if let Some(at) = backup_location {
        policy.upstream.fallbacks.push(Fallback {
            kind: FallbackKind::BackupEndpoints,
            targets: backups,
            location: at,
        });
    }
}

/// `host:port` of an endpoint, or its hostname, for naming fallback targets.
fn endpoint_address(endpoint: &Node) -> String {
    let inner = Proto.field(endpoint, "endpoint");
    let socket = inner
        .and_then(|inner| Proto.field(inner, "address"))
        .and_then(|address| Proto.field(address, "socket_address"));
    let host = socket
        .and_then(|socket| Proto.field(socket, "address"))
        .and_then(Node::scalar_text)
        .or_else(|| {
            inner
                .and_then(|inner| Proto.field(inner, "hostname"))
                .and_then(Node::scalar_text)
        })
        .unwrap_or("?");
    match socket
        .and_then(|socket| Proto.field(socket, "port_value"))
        .and_then(Node::scalar_text)
    {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// An aggregate cluster fails over from its first member to the next ones, in order.
fn read_aggregate(cx: &mut Reader<'_>, cluster: &Node, policy: &mut ClusterPolicy) {
    let Some(cluster_type) = Proto.field(cluster, "cluster_type") else {
        return;
    };
    if Proto.field(cluster_type, "name").and_then(Node::as_str) != Some(AGGREGATE_CLUSTER) {
        return;
    }
    let members_node = Proto
        .field(cluster_type, "typed_config")
        .and_then(|config| Proto.field(config, "clusters"));
    let mut members = Vec::new();
    for member in list(members_node) {
        match member.as_str() {
            Some(name) => members.push(name.to_string()),
            None => cx.invalid(
                member,
                "an aggregate cluster's `clusters` are cluster names",
            ),
        }
    }
    if members.is_empty() {
        cx.invalid(
            cluster_type,
            "an aggregate cluster needs `typed_config.clusters`, the clusters it tries in order",
        );
        return;
    }
    if members.len() >= 2 {
        policy.upstream.fallbacks.push(Fallback {
            kind: FallbackKind::FailoverService,
            targets: members.iter().skip(1).cloned().collect(),
            location: cx
                .key_at(cluster, "cluster_type")
                .unwrap_or(policy.upstream.location),
        });
    }
    policy.aggregate = members;
}
