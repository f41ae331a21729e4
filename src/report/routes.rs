//! `routeguard routes`: the joined inventory, one row per gateway route, as a terminal table,
//! JSON (a stable contract) or Markdown.

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use super::{Outcome, Report};
use crate::model::policy::Policy;
use crate::model::policy::{FallbackKind, Origin};
use crate::model::{Operation, Route, Setting, Sourced};
use crate::units::format_duration;

#[derive(Serialize)]
struct RoutesReport {
    apis: Vec<ApiRow>,
    routes: Vec<RouteRow>,
}

/// One API description as the join saw it.
#[derive(Serialize)]
struct ApiRow {
    name: String,
    file: String,
    /// Server URLs, variables expanded.
    servers: Vec<String>,
    /// The hosts routes are matched against.
    hosts: Vec<String>,
    /// What the join assumed when the servers name no host; `null` when they do.
    assumption: Option<&'static str>,
}

/// One operation a route reaches.
#[derive(Serialize)]
pub struct JoinedOperation {
    pub api: String,
    pub operation: String,
    pub match_kind: &'static str,
    /// How the route's hosts met the API's servers: `exact`, `wildcard`, `any-host`,
    /// `assumed`, `through-front` or `path-only`.
    pub host_match: &'static str,
}

#[derive(Serialize)]
pub struct RouteRow {
    pub format: &'static str,
    /// The declared layer's name when the governance file declares layers and the route's file
    /// is in one; else the gateway's kind, as `layer_kind`.
    pub layer: String,
    /// `edge`, `mesh` or `ai`, whatever layers are declared: the layer of the proxies the route
    /// is bound to (an Istio VirtualService bound to an ingress gateway is `edge`), else its
    /// gateway's kind.
    pub layer_kind: &'static str,
    /// The gateways the route is bound to, as its configuration names them (Istio's
    /// `gateways`, `mesh` for the sidecars); left out where the format binds none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<String>,
    pub name: Option<String>,
    pub method: String,
    pub path: String,
    /// The operation the route reaches, when exactly one: `GET /pets/{id}`.
    pub operation: Option<String>,
    pub operations: Vec<String>,
    /// Each operation reached, with its API and how it was joined.
    pub joined: Vec<JoinedOperation>,
    pub match_kind: Option<&'static str>,
    pub file: String,
    pub line: u32,
    pub timeout_ms: Option<u64>,
    pub per_try_timeout_ms: Option<u64>,
    pub max_retries: Option<u32>,
    pub worst_case_ms: Option<u64>,
    pub fallback: Option<String>,
    /// An AI gateway's fallback chain, first model first: `["gpt-4o", "claude-sonnet"]`.
    pub fallback_chain: Option<Vec<String>>,
    /// Upstream calls one request can cause in this layer, when more than its attempts.
    pub calls_per_request: Option<u32>,
    pub circuit_breaker: Option<String>,
    /// When its breaker opens and for how long, when the gateway counts calls over a window;
    /// absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breaker_trip: Option<String>,
    pub health_check: Option<String>,
    /// Which of the values above are the gateway's documented defaults rather than settings.
    pub defaults: Vec<&'static str>,
    /// Which of the values above the file leaves to be filled in when it is deployed (a decK
    /// template action): they are `null`, being unknown here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<&'static str>,
    /// Its retries have an upper bound (true without retries).
    pub retries_bounded: bool,
    /// Its retries wait between attempts.
    pub backoff: bool,
    /// It retries an operation that is not idempotent (POST, PATCH, unless declared so).
    pub retries_non_idempotent: bool,
    /// Endpoints its upstream balances over, when known.
    pub endpoints: Option<u32>,
    /// Statuses the gateway answers by itself here: on a timeout, an open circuit, a rate limit.
    pub gateway_statuses: Vec<u16>,
    /// Those of them an operation it reaches does not document.
    pub statuses_undocumented: Vec<u16>,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn fallback_name(kind: FallbackKind) -> &'static str {
    match kind {
        FallbackKind::BackupEndpoints => "backup endpoints",
        FallbackKind::FailoverService => "failover service",
        FallbackKind::FailoverOnStatus => "failover on error status",
        FallbackKind::LocalityFailover => "locality failover",
        FallbackKind::StaticResponse => "static response",
        FallbackKind::WeightedPool => "weighted pool",
        FallbackKind::ModelFallback => "model fallback",
    }
}

/// The statuses a gateway answers by itself on a route, each once, in ascending order.
fn gateway_statuses(policy: &Policy) -> Vec<u16> {
    let statuses = &policy.statuses;
    let mut codes: Vec<u16> = [
        statuses.on_timeout,
        statuses.on_circuit_open,
        statuses.on_rate_limited,
    ]
    .into_iter()
    .flatten()
    .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// One row per route, front layer first, then by file and line.
pub fn rows(outcome: &Outcome) -> Vec<RouteRow> {
    let inventory = &outcome.inventory;
    let mut order: Vec<usize> = (0..inventory.routes.len()).collect();
    order.sort_by_key(|&index| {
        let route = &inventory.routes[index];
        let file = outcome.workspace.file(route.location.file);
        (
            outcome.join.layers.slot(route),
            file.display.clone(),
            route.location.span.start,
            index,
        )
    });
    order
        .into_iter()
        .map(|index| {
            let route = &inventory.routes[index];
            let links: Vec<_> = outcome.join.operations_of(index).collect();
            let reached: Vec<&Operation> = links
                .iter()
                .map(|link| &inventory.operations[link.operation])
                .collect();
            let joined = links
                .iter()
                .map(|link| {
                    let operation = &inventory.operations[link.operation];
                    JoinedOperation {
                        api: api_name(outcome, operation.document),
                        operation: operation.route(),
                        match_kind: link.kind.name(),
                        host_match: link.host.name(),
                    }
                })
                .collect();
            let mut row = row(
                outcome,
                route,
                &reached,
                links.first().map(|link| link.kind.name()),
            );
            row.joined = joined;
            row
        })
        .collect()
}

fn row(
    outcome: &Outcome,
    route: &Route,
    reached: &[&Operation],
    match_kind: Option<&'static str>,
) -> RouteRow {
    let operations: Vec<String> = reached.iter().map(|operation| operation.route()).collect();
    let file = outcome.workspace.file(route.location.file);
    let policy = &route.policy;
    let mut defaults = Vec::new();
    let mut note = |name: &'static str, origin: &Origin| {
        if !origin.is_explicit() {
            defaults.push(name);
        }
    };
    let mut deferred = Vec::new();
    if policy.defers(Setting::Timeout) {
        deferred.push("timeout_ms");
    }
    if policy.defers(Setting::PerTryTimeout) {
        deferred.push("per_try_timeout_ms");
    }
    if policy.defers(Setting::Retries) {
        deferred.push("max_retries");
    }
    if policy.defers_timing() {
        deferred.push("worst_case_ms");
    }
    let timeout_ms = policy.timeout.as_ref().and_then(|timeout| {
        note("timeout_ms", &timeout.origin);
        timeout.value.bound().map(millis)
    });
    let per_try: Option<&Sourced<Duration>> = policy
        .retry
        .as_ref()
        .and_then(|retry| retry.per_try_timeout.as_ref())
        .or(policy.per_try_timeout.as_ref());
    let per_try_timeout_ms = per_try.map(|per_try| {
        note("per_try_timeout_ms", &per_try.origin);
        millis(per_try.value)
    });
    let max_retries = Some(policy.retry.as_ref().map_or(0, |retry| {
        note("max_retries", &retry.max_retries.origin);
        retry.max_retries.value
    }));
    let fallback = (!policy.fallbacks.is_empty()).then(|| {
        let mut kinds: Vec<&str> = policy
            .fallbacks
            .iter()
            .map(|f| fallback_name(f.kind))
            .collect();
        kinds.dedup();
        kinds.join(", ")
    });
    let fallback_chain = policy
        .fallbacks
        .iter()
        .find(|fallback| fallback.kind == FallbackKind::ModelFallback)
        .map(|fallback| {
            policy
                .upstream
                .iter()
                .map(|upstream| upstream.name.clone())
                .chain(fallback.targets.iter().cloned())
                .collect::<Vec<_>>()
        });
    let circuit_breaker = (!policy.circuit_breakers.is_empty()).then(|| {
        if policy
            .circuit_breakers
            .iter()
            .all(|cb| cb.ineffective.is_some())
        {
            "ineffective".to_string()
        } else {
            "yes".to_string()
        }
    });
    let health_check = policy.health_check.as_ref().and_then(|health| {
        match (health.active.is_some(), health.passive.is_some()) {
            (true, true) => Some("active+passive".to_string()),
            (true, false) => Some("active".to_string()),
            (false, true) => Some("passive".to_string()),
            (false, false) => None,
        }
    });
    RouteRow {
        format: route.format.id(),
        layer: outcome
            .join
            .layers
            .name(outcome.join.layers.slot(route))
            .to_string(),
        layer_kind: route.layer().name(),
        gateways: route.gateways().to_vec(),
        name: route.name.clone(),
        method: route.methods.to_string(),
        path: route.path.display(),
        operation: match operations.len() {
            1 => operations.first().cloned(),
            _ => None,
        },
        operations,
        joined: Vec::new(),
        match_kind,
        file: file.display.clone(),
        line: file.position(route.location.span.start).line,
        timeout_ms: timeout_ms.filter(|_| !deferred.contains(&"timeout_ms")),
        per_try_timeout_ms: per_try_timeout_ms
            .filter(|_| !deferred.contains(&"per_try_timeout_ms")),
        max_retries: max_retries.filter(|_| !deferred.contains(&"max_retries")),
        worst_case_ms: policy
            .worst_case()
            .map(millis)
            .filter(|_| !deferred.contains(&"worst_case_ms")),
        fallback,
        fallback_chain,
        calls_per_request: policy
            .amplification
            .as_ref()
            .map(|amplification| amplification.calls),
        circuit_breaker,
        circuit_breaker_trip: policy
            .circuit_breakers
            .iter()
            .find_map(|breaker| breaker.trip.as_ref())
            .map(|trip| trip.describe()),
        health_check,
        defaults: defaults
            .into_iter()
            .filter(|name| !deferred.contains(name))
            .collect(),
        deferred,
        retries_bounded: policy.retry.as_ref().is_none_or(|retry| !retry.unbounded),
        backoff: policy
            .retry
            .as_ref()
            .is_some_and(|retry| retry.backoff.is_some()),
        retries_non_idempotent: policy.retry.as_ref().is_some_and(|retry| {
            retry.max_retries.value > 0
                && retry.non_idempotent != Some(false)
                && reached.iter().any(|operation| !operation.is_idempotent())
        }),
        endpoints: policy
            .upstream
            .as_ref()
            .and_then(|upstream| upstream.endpoints),
        gateway_statuses: gateway_statuses(policy),
        statuses_undocumented: gateway_statuses(policy)
            .into_iter()
            .filter(|&code| {
                reached
                    .iter()
                    .any(|operation| !operation.documents_status(code))
            })
            .collect(),
    }
}

fn api_name(outcome: &Outcome, document: usize) -> String {
    outcome
        .inventory
        .specs
        .get(document)
        .map(|spec| spec.api.name.clone())
        .unwrap_or_default()
}

fn api_rows(outcome: &Outcome) -> Vec<ApiRow> {
    outcome
        .inventory
        .specs
        .iter()
        .map(|spec| ApiRow {
            name: spec.api.name.clone(),
            file: outcome.workspace.file(spec.file).display.clone(),
            servers: spec
                .api
                .servers
                .iter()
                .map(|server| server.url.clone())
                .collect(),
            hosts: spec.api.hosts().into_iter().map(str::to_string).collect(),
            assumption: spec.api.host_scope.assumption(),
        })
        .collect()
}

/// Under the tables: what the join assumed for APIs whose servers name no host.
fn assumptions(outcome: &Outcome) -> String {
    api_rows(outcome)
        .into_iter()
        .filter_map(|api| {
            api.assumption
                .map(|assumption| format!("{}: {assumption}\n", api.name))
        })
        .collect()
}

/// The routes report as JSON, a stable contract (docs/routes-report.md).
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl Report for Json {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        super::write_json(
            out,
            &RoutesReport {
                apis: api_rows(outcome),
                routes: rows(outcome),
            },
        )
    }
}

/// A value the file leaves to deployment, in the tables.
const DEFERRED: &str = "at deploy";
/// The tables' note on [`DEFERRED`], under them when a row has one.
const DEFERRED_NOTE: &str =
    "at deploy: filled in when the file is deployed (a decK template), unknown here";

const HEADERS: [&str; 10] = [
    "layer",
    "method",
    "path",
    "operation",
    "timeout",
    "per-try",
    "retries",
    "worst case",
    "fallback",
    "breaker / health",
];

fn cells(row: &RouteRow, name_apis: bool) -> [String; 10] {
    let mark = |name: &str| {
        if row.defaults.contains(&name) {
            "*"
        } else {
            ""
        }
    };
    let duration = |value: Option<u64>, name: &str, unbounded: &str| match value {
        _ if row.deferred.contains(&name) => DEFERRED.to_string(),
        Some(ms) => format!(
            "{}{}",
            format_duration(Duration::from_millis(ms)),
            mark(name)
        ),
        None => unbounded.to_string(),
    };
    let operation = match (&row.operation, row.operations.len()) {
        (Some(operation), _) => match row.joined.first() {
            Some(joined) if name_apis => format!("{} ({})", operation, joined.api),
            _ => operation.clone(),
        },
        (None, 0) => "—".to_string(),
        (None, count) => {
            let mut apis: Vec<&str> = row
                .joined
                .iter()
                .map(|joined| joined.api.as_str())
                .collect();
            apis.sort_unstable();
            apis.dedup();
            match apis.as_slice() {
                [api] if name_apis => format!("{count} operations ({api})"),
                _ if name_apis => format!("{count} operations ({} APIs)", apis.len()),
                _ => format!("{count} operations"),
            }
        }
    };
    let protection = [
        row.circuit_breaker
            .as_deref()
            .map(|cb| format!("breaker {cb}")),
        row.health_check.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    // Every model group of an AI gateway shares the endpoint: the name tells them apart.
    let path = match (&row.name, row.layer_kind) {
        (Some(name), "ai") => format!("{} ({name})", row.path),
        _ => row.path.clone(),
    };
    let fallback = match (&row.fallback_chain, &row.fallback) {
        (Some(chain), Some(kinds)) => {
            let others: Vec<&str> = kinds
                .split(", ")
                .filter(|kind| *kind != fallback_name(FallbackKind::ModelFallback))
                .collect();
            std::iter::once(chain.join(" → "))
                .chain(others.into_iter().map(str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        }
        (_, fallback) => fallback.clone().unwrap_or_else(|| "—".to_string()),
    };
    [
        format!("{}/{}", row.layer, row.format),
        row.method.clone(),
        path,
        operation,
        if row.defaults.contains(&"timeout_ms")
            || row.timeout_ms.is_some()
            || row.deferred.contains(&"timeout_ms")
        {
            duration(row.timeout_ms, "timeout_ms", "none*")
        } else {
            "—".to_string()
        },
        duration(row.per_try_timeout_ms, "per_try_timeout_ms", "—"),
        if row.deferred.contains(&"max_retries") {
            DEFERRED.to_string()
        } else if row.retries_bounded {
            format!("{}{}", row.max_retries.unwrap_or(0), mark("max_retries"))
        } else {
            format!("unbounded{}", mark("max_retries"))
        },
        duration(row.worst_case_ms, "worst_case_ms", "unbounded"),
        fallback,
        if protection.is_empty() {
            "—".to_string()
        } else {
            protection
        },
    ]
}

/// The routes as an aligned table, for a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Table;

impl Report for Table {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(table(outcome).as_bytes())
    }
}

fn table(outcome: &Outcome) -> String {
    let rows = rows(outcome);
    if rows.is_empty() {
        return "no gateway routes found\n".to_string();
    }
    let name_apis = outcome.inventory.specs.len() > 1;
    let all: Vec<[String; 10]> = rows.iter().map(|row| cells(row, name_apis)).collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for cells in &all {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&HEADERS.map(str::to_string));
    for cells in &all {
        out.push_str(&line(cells));
    }
    out.push_str("* a gateway default, not set in the configuration\n");
    if rows.iter().any(|row| !row.deferred.is_empty()) {
        out.push_str(DEFERRED_NOTE);
        out.push('\n');
    }
    out.push_str(&assumptions(outcome));
    out
}

/// The routes as a GitHub-flavoured Markdown table.
#[derive(Debug, Clone, Copy)]
pub struct Markdown;

impl Report for Markdown {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(markdown(outcome).as_bytes())
    }
}

fn markdown(outcome: &Outcome) -> String {
    let rows = rows(outcome);
    let mut out = format!(
        "| {} |\n|{}\n",
        HEADERS.join(" | "),
        "---|".repeat(HEADERS.len())
    );
    let name_apis = outcome.inventory.specs.len() > 1;
    for row in &rows {
        let cells = cells(row, name_apis).map(|cell| cell.replace('|', "\\|"));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push_str("\n\\* a gateway default, not set in the configuration\n");
    if rows.iter().any(|row| !row.deferred.is_empty()) {
        out.push_str(&format!("\n{DEFERRED_NOTE}\n"));
    }
    for line in assumptions(outcome).lines() {
        out.push_str(&format!("\n{line}\n"));
    }
    out
}
