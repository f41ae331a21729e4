//! `routeguard report`: the governance scorecard. Per API description and overall, how many
//! gateway routes meet each resilience policy (a share with its counts), the worst-case latency
//! distribution, the findings by severity and rule and the riskiest routes; against a previous
//! scorecard, how each figure changed. Written as Markdown (a job summary, a PR comment), as one
//! self-contained HTML page, or as JSON, which a later run reads back as its `--baseline`.
//!
//! Every route figure is a count of rows of the routes report (`routes --format json`), so each
//! can be checked against it.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::human::plural;
use super::routes::{rows, RouteRow};
use super::{Outcome, Report, Settings};
use crate::diagnostic::Severity;
use crate::units::format_duration;

/// Bumped only on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;
/// GitHub's limit on a job summary (`$GITHUB_STEP_SUMMARY`) and on a comment body.
pub const MARKDOWN_LIMIT: usize = 65_535;
/// How many routes the risk table lists.
const TOP_ROUTES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub version: u32,
    pub overall: Section,
    pub apis: Vec<Section>,
    /// Routes per worst-case latency bucket, over all routes.
    pub latency: Vec<Bucket>,
    pub findings: Findings,
    /// The riskiest routes: unbounded worst case first, then the longest, then the most calls.
    pub top_routes: Vec<RiskyRoute>,
}

/// The figures of one API description, or of everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The API's name, unique within a run (`info.title` and `info.version`, or the name the
    /// config gives it); `None` for the overall section.
    pub name: Option<String>,
    /// `info.title`, or "All APIs".
    pub title: String,
    /// `info.version`.
    pub version: Option<String>,
    /// The description's file; `None` for the overall section.
    pub file: Option<String>,
    pub operations: usize,
    pub routes: usize,
    pub policies: Vec<Share>,
}

/// How many routes meet a policy, out of the routes it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// A stable id: `timeout`, `retries-bounded`, …
    pub id: String,
    pub label: String,
    pub count: usize,
    pub of: usize,
    /// The routes it applies to: `routes`, `routes that retry`, …
    pub scope: String,
    /// `count / of` in percent, one decimal; `None` when no route is in scope.
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub label: String,
    /// Routes whose worst case is at most this (and above the previous bucket's); `None` for
    /// the last bounded bucket's open end and for `unbounded`.
    pub up_to_ms: Option<u64>,
    pub routes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Per rule, most first.
    pub by_rule: Vec<RuleCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskyRoute {
    /// `layer/format METHOD path`.
    pub route: String,
    pub file: String,
    pub line: u32,
    /// `None`: nothing bounds it.
    pub worst_case_ms: Option<u64>,
    /// Upstream calls one request can cause in its layer.
    pub calls_per_request: u32,
}

/// One policy: its id, label, scope, whether a route is in scope and whether it meets it.
struct Policy {
    id: &'static str,
    label: &'static str,
    scope: &'static str,
    applies: fn(&RouteRow) -> bool,
    meets: fn(&RouteRow) -> bool,
}

fn explicit(row: &RouteRow, value: Option<u64>, field: &str) -> bool {
    value.is_some() && !row.defaults.contains(&field)
}

fn retries(row: &RouteRow) -> bool {
    row.max_retries.unwrap_or(0) > 0
}

const POLICIES: &[Policy] = &[
    Policy {
        id: "timeout",
        label: "Explicit timeout",
        scope: "routes",
        applies: |_| true,
        meets: |row| {
            explicit(row, row.timeout_ms, "timeout_ms")
                || explicit(row, row.per_try_timeout_ms, "per_try_timeout_ms")
        },
    },
    Policy {
        id: "retries-bounded",
        label: "Bounded retries",
        scope: "routes",
        applies: |_| true,
        meets: |row| row.retries_bounded,
    },
    Policy {
        id: "retries-idempotent",
        label: "Retries only idempotent operations",
        scope: "routes that retry",
        applies: retries,
        meets: |row| !row.retries_non_idempotent,
    },
    Policy {
        id: "per-try-timeout",
        label: "Per-try timeout",
        scope: "routes that retry",
        applies: retries,
        meets: |row| explicit(row, row.per_try_timeout_ms, "per_try_timeout_ms"),
    },
    Policy {
        id: "backoff",
        label: "Backoff between retries",
        scope: "routes that retry",
        applies: retries,
        meets: |row| row.backoff,
    },
    Policy {
        id: "circuit-breaker",
        label: "Circuit breaker or outlier detection",
        scope: "routes",
        applies: |_| true,
        meets: |row| row.circuit_breaker.as_deref() == Some("yes"),
    },
    Policy {
        id: "health-check",
        label: "Health check on a pool",
        scope: "routes to a pool",
        applies: |row| row.endpoints.is_some_and(|endpoints| endpoints > 1),
        meets: |row| row.health_check.is_some(),
    },
    Policy {
        id: "fallback",
        label: "Fallback",
        scope: "routes",
        applies: |_| true,
        meets: |row| row.fallback.is_some(),
    },
    Policy {
        id: "gateway-statuses",
        label: "Gateway statuses documented (504/503/429)",
        scope: "routes with gateway statuses",
        applies: |row| !row.gateway_statuses.is_empty() && !row.operations.is_empty(),
        meets: |row| row.statuses_undocumented.is_empty(),
    },
];

fn shares(rows: &[&RouteRow]) -> Vec<Share> {
    POLICIES
        .iter()
        .map(|policy| {
            let in_scope: Vec<&&RouteRow> =
                rows.iter().filter(|row| (policy.applies)(row)).collect();
            let count = in_scope.iter().filter(|row| (policy.meets)(row)).count();
            let of = in_scope.len();
            Share {
                id: policy.id.to_string(),
                label: policy.label.to_string(),
                count,
                of,
                scope: policy.scope.to_string(),
                percent: (of > 0).then(|| (count as f64 * 1000.0 / of as f64).round() / 10.0),
            }
        })
        .collect()
}

/// Bucket bounds of the latency distribution, in milliseconds.
const BUCKETS: &[(u64, &str)] = &[
    (1_000, "≤ 1 s"),
    (5_000, "≤ 5 s"),
    (10_000, "≤ 10 s"),
    (30_000, "≤ 30 s"),
    (60_000, "≤ 60 s"),
];

fn latency(rows: &[RouteRow]) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(bound, label)| Bucket {
            label: label.to_string(),
            up_to_ms: Some(*bound),
            routes: 0,
        })
        .collect();
    buckets.push(Bucket {
        label: "> 60 s".to_string(),
        up_to_ms: None,
        routes: 0,
    });
    buckets.push(Bucket {
        label: "unbounded".to_string(),
        up_to_ms: None,
        routes: 0,
    });
    let last_bounded = buckets.len() - 2;
    // A worst case filled in at deployment is unknown: in no bucket.
    for row in rows
        .iter()
        .filter(|row| !row.deferred.contains(&"worst_case_ms"))
    {
        let index = match row.worst_case_ms {
            None => last_bounded + 1,
            Some(ms) => BUCKETS
                .iter()
                .position(|(bound, _)| ms <= *bound)
                .unwrap_or(last_bounded),
        };
        buckets[index].routes += 1;
    }
    buckets
}

impl Scorecard {
    pub fn of(outcome: &Outcome) -> Scorecard {
        let rows = rows(outcome);
        let all: Vec<&RouteRow> = rows.iter().collect();
        let overall = Section {
            name: None,
            title: "All APIs".to_string(),
            version: None,
            file: None,
            operations: outcome.inventory.operations.len(),
            routes: rows.len(),
            policies: shares(&all),
        };
        // One section per API, by its name (unique within a run).
        let mut apis: BTreeMap<String, Section> = BTreeMap::new();
        for spec in &outcome.inventory.specs {
            let api = &spec.api;
            let file = outcome.workspace.file(spec.file).display.clone();
            apis.entry(api.name.clone()).or_insert_with(|| Section {
                name: Some(api.name.clone()),
                title: api
                    .title
                    .as_ref()
                    .map_or_else(|| api.name.clone(), |title| title.value.clone()),
                version: api.version.as_ref().map(|version| version.value.clone()),
                file: Some(file),
                operations: 0,
                routes: 0,
                policies: Vec::new(),
            });
        }
        for operation in &outcome.inventory.operations {
            let name = &outcome.inventory.specs[operation.document].api.name;
            if let Some(section) = apis.get_mut(name) {
                section.operations += 1;
            }
        }
        for (name, section) in &mut apis {
            let reaching: Vec<&RouteRow> = rows
                .iter()
                .filter(|row| row.joined.iter().any(|joined| &joined.api == name))
                .collect();
            section.routes = reaching.len();
            section.policies = shares(&reaching);
        }
        let mut by_rule: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
        for diagnostic in &outcome.diagnostics {
            *by_rule
                .entry((diagnostic.rule.as_str(), diagnostic.severity))
                .or_default() += 1;
        }
        let mut by_rule: Vec<RuleCount> = by_rule
            .into_iter()
            .map(|((rule, severity), count)| RuleCount {
                rule: rule.to_string(),
                severity,
                count,
            })
            .collect();
        by_rule.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.severity.cmp(&a.severity))
                .then(a.rule.cmp(&b.rule))
        });
        let mut risky: Vec<RiskyRoute> = rows
            .iter()
            .filter(|row| !row.deferred.contains(&"worst_case_ms"))
            .map(|row| RiskyRoute {
                route: format!("{}/{} {} {}", row.layer, row.format, row.method, row.path),
                file: row.file.clone(),
                line: row.line,
                worst_case_ms: row.worst_case_ms,
                calls_per_request: row
                    .calls_per_request
                    .unwrap_or_else(|| row.max_retries.unwrap_or(0).saturating_add(1)),
            })
            .collect();
        risky.sort_by(|a, b| {
            let worst = |route: &RiskyRoute| route.worst_case_ms.map_or(u64::MAX, |ms| ms);
            worst(b)
                .cmp(&worst(a))
                .then(b.calls_per_request.cmp(&a.calls_per_request))
                .then(a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
        });
        risky.truncate(TOP_ROUTES);
        Scorecard {
            version: FORMAT_VERSION,
            overall,
            apis: apis.into_values().collect(),
            latency: latency(&rows),
            findings: Findings {
                errors: outcome.count(Severity::Error),
                warnings: outcome.count(Severity::Warning),
                infos: outcome.count(Severity::Info),
                by_rule,
            },
            top_routes: risky,
        }
    }

    /// Reads a scorecard written by `report --format json`.
    pub fn read(text: &str) -> Result<Scorecard, String> {
        let scorecard: Scorecard = serde_json::from_str(text).map_err(|error| error.to_string())?;
        if scorecard.version != FORMAT_VERSION {
            return Err(format!(
                "it is version {} of the scorecard; this routeguard reads version {FORMAT_VERSION}",
                scorecard.version
            ));
        }
        Ok(scorecard)
    }

    /// The same section of an earlier scorecard: overall, or the API of the same file.
    fn section_like<'a>(&'a self, section: &Section) -> Option<&'a Section> {
        match &section.name {
            None => Some(&self.overall),
            Some(name) => self.apis.iter().find(|api| api.name.as_ref() == Some(name)),
        }
    }
}

/// `82 %`, or `–` when no route is in scope.
fn percent(share: &Share) -> String {
    share.percent.map_or_else(
        || "–".to_string(),
        |percent| format!("{} %", percent.round()),
    )
}

/// `82 % → 91 %, +9` against the previous scorecard's share, or nothing to compare.
fn trend(share: &Share, previous: Option<&Section>) -> Option<String> {
    let before = previous?.policies.iter().find(|old| old.id == share.id)?;
    let (Some(old), Some(new)) = (before.percent, share.percent) else {
        // No route in scope then or now: nothing to compare.
        return Some(format!("{} → {}", percent(before), percent(share)));
    };
    let change = new.round() - old.round();
    Some(format!(
        "{} → {}, {}{}",
        percent(before),
        percent(share),
        if change >= 0.0 { "+" } else { "−" },
        change.abs()
    ))
}

/// `12 → 9, −3`, or `9` without an earlier figure.
fn count_trend(now: usize, before: Option<usize>) -> String {
    match before {
        Some(before) if before != now => {
            let sign = if now > before { "+" } else { "−" };
            format!("{before} → {now}, {sign}{}", now.abs_diff(before))
        }
        _ => now.to_string(),
    }
}

fn worst_case(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "unbounded".to_string(),
        |ms| format_duration(std::time::Duration::from_millis(ms)),
    )
}

/// A section's heading: the API's name (`Pet store 1.4.0`), or its title.
fn section_title(section: &Section) -> String {
    section
        .name
        .clone()
        .unwrap_or_else(|| section.title.clone())
}

/// The scorecard in one format, with the previous scorecard for trends.
pub struct ScorecardReport {
    kind: ScorecardFormat,
    previous: Option<Arc<Scorecard>>,
}

#[derive(Debug, Clone, Copy)]
enum ScorecardFormat {
    Markdown,
    Html,
    Json,
}

impl ScorecardReport {
    pub fn markdown(settings: &Settings) -> Self {
        ScorecardReport {
            kind: ScorecardFormat::Markdown,
            previous: settings.previous_scorecard.clone(),
        }
    }

    pub fn html(settings: &Settings) -> Self {
        ScorecardReport {
            kind: ScorecardFormat::Html,
            previous: settings.previous_scorecard.clone(),
        }
    }

    pub fn json(settings: &Settings) -> Self {
        ScorecardReport {
            kind: ScorecardFormat::Json,
            previous: settings.previous_scorecard.clone(),
        }
    }
}

impl Report for ScorecardReport {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let scorecard = Scorecard::of(outcome);
        let previous = self.previous.as_deref();
        match self.kind {
            ScorecardFormat::Json => super::write_json(out, &scorecard),
            ScorecardFormat::Markdown => {
                out.write_all(markdown(&scorecard, previous, MARKDOWN_LIMIT).as_bytes())
            }
            ScorecardFormat::Html => out.write_all(html(&scorecard, previous).as_bytes()),
        }
    }
}

/// A Markdown table cell: no `|` or line break can end it.
fn cell(text: &str) -> String {
    super::human::sanitize(text)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
}

fn markdown_shares(section: &Section, previous: Option<&Scorecard>) -> String {
    let before = previous.and_then(|previous| previous.section_like(section));
    let mut out = match previous {
        Some(_) => String::from("| Policy | Share | Routes | Trend |\n|---|---:|---|---|\n"),
        None => String::from("| Policy | Share | Routes |\n|---|---:|---|\n"),
    };
    for share in &section.policies {
        out.push_str(&format!(
            "| {} | {} | {} of {} {} |",
            share.label,
            percent(share),
            share.count,
            share.of,
            share.scope,
        ));
        if previous.is_some() {
            out.push_str(&format!(
                " {} |",
                trend(share, before).unwrap_or_else(|| "new".to_string())
            ));
        }
        out.push('\n');
    }
    out
}

/// The scorecard as GitHub-flavoured Markdown of at most `limit` characters: the overall
/// figures first, then one section per API while they fit, then a note of the APIs left out.
pub fn markdown(scorecard: &Scorecard, previous: Option<&Scorecard>, limit: usize) -> String {
    let overall = &scorecard.overall;
    let before = previous.map(|previous| &previous.overall);
    let findings = &scorecard.findings;
    let mut out = format!(
        "# API governance scorecard\n\noperations: {} · gateway routes: {} · errors: {} · \
         warnings: {} · infos: {}\n\n## All APIs\n\n",
        count_trend(overall.operations, before.map(|b| b.operations)),
        count_trend(overall.routes, before.map(|b| b.routes)),
        count_trend(findings.errors, previous.map(|p| p.findings.errors)),
        count_trend(findings.warnings, previous.map(|p| p.findings.warnings)),
        count_trend(findings.infos, previous.map(|p| p.findings.infos)),
    );
    out.push_str(&markdown_shares(overall, previous));
    out.push_str("\n## Worst-case latency\n\n| Worst case | Routes |\n|---|---:|\n");
    for bucket in &scorecard.latency {
        out.push_str(&format!("| {} | {} |\n", bucket.label, bucket.routes));
    }
    out.push_str("\n## Findings\n\n| Rule | Severity | Findings |\n|---|---|---:|\n");
    for rule in &findings.by_rule {
        out.push_str(&format!(
            "| [{0}]({1}) | {2} | {3} |\n",
            rule.rule,
            crate::diagnostic::docs_url(&rule.rule),
            rule.severity,
            rule.count
        ));
    }
    if findings.by_rule.is_empty() {
        out.push_str("| none | | 0 |\n");
    }
    out.push_str(&format!(
        "\n## Top {TOP_ROUTES} routes by risk\n\n| # | Route | Where | Worst case | Calls per request |\n\
         |---:|---|---|---|---:|\n"
    ));
    for (rank, route) in scorecard.top_routes.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {}:{} | {} | {} |\n",
            rank + 1,
            cell(&route.route),
            cell(&route.file),
            route.line,
            worst_case(route.worst_case_ms),
            route.calls_per_request
        ));
    }
    if !scorecard.apis.is_empty() {
        out.push_str("\n## Per API\n");
    }
    let reserve = 200;
    for (index, api) in scorecard.apis.iter().enumerate() {
        let section = format!(
            "\n### {} ({})\n\n{} · {}\n\n{}",
            cell(&section_title(api)),
            cell(api.file.as_deref().unwrap_or_default()),
            plural(api.operations, "operation"),
            plural(api.routes, "gateway route"),
            markdown_shares(api, previous)
        );
        if out.len() + section.len() + reserve > limit {
            let left = scorecard.apis.len() - index;
            out.push_str(&format!(
                "\n… and {left} more API{} not shown here, to stay within {limit} characters: \
                 the HTML and JSON scorecards (`routeguard report --format html`) have them all.\n",
                if left == 1 { "" } else { "s" }
            ));
            return out;
        }
        out.push_str(&section);
    }
    out
}

fn escape(text: &str) -> String {
    super::human::sanitize(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A bar of `percent`, labelled for screen readers; the figure is also written beside it.
fn bar(share: &Share) -> String {
    let Some(percent) = share.percent else {
        return String::new();
    };
    let class = match percent {
        p if p >= 90.0 => "good",
        p if p >= 50.0 => "fair",
        _ => "poor",
    };
    format!(
        "<svg class=\"bar\" viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" role=\"img\" \
         aria-label=\"{label}: {percent} %\"><rect class=\"track\" width=\"100\" height=\"8\"/>\
         <rect class=\"{class}\" width=\"{percent}\" height=\"8\"/></svg>",
        label = escape(&share.label),
    )
}

fn html_shares(section: &Section, previous: Option<&Scorecard>, caption: &str) -> String {
    let before = previous.and_then(|previous| previous.section_like(section));
    let mut out = format!(
        "<div class=\"scroll\"><table class=\"policies\">\n<caption>{}</caption>\n<thead><tr>\
         <th scope=\"col\">Policy</th><th scope=\"col\" class=\"num\">Share</th>\
         <th scope=\"col\">Coverage</th><th scope=\"col\">Routes</th>{}</tr></thead>\n\
         <tbody>\n",
        escape(caption),
        if previous.is_some() {
            "<th scope=\"col\">Trend</th>"
        } else {
            ""
        }
    );
    for share in &section.policies {
        out.push_str(&format!(
            "<tr data-policy=\"{id}\"><th scope=\"row\">{label}</th><td class=\"num\">{percent}</td>\
             <td>{bar}</td><td>{count} of {of} {scope}</td>{trend}</tr>\n",
            id = escape(&share.id),
            label = escape(&share.label),
            percent = percent(share),
            bar = bar(share),
            count = share.count,
            of = share.of,
            scope = escape(&share.scope),
            trend = match previous {
                Some(_) => format!(
                    "<td>{}</td>",
                    escape(&trend(share, before).unwrap_or_else(|| "new".to_string()))
                ),
                None => String::new(),
            },
        ));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

const STYLE: &str = "
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de;
  --good: #1a7f37; --fair: #9a6700; --poor: #cf222e; --track: #eaeef2; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --good: #3fb950; --fair: #d29922; --poor: #f85149; --track: #262c36; } }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 1rem; max-width: 72rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
  border-bottom: 1px solid var(--line); } h3 { font-size: 1.1rem; margin-top: 1.5rem; }
.lead { color: var(--muted); margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left;
  vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { width: 8rem; height: .6rem; display: block; margin-top: .45rem; }
.bar .track { fill: var(--track); } .bar .good { fill: var(--good); }
.bar .fair { fill: var(--fair); } .bar .poor { fill: var(--poor); }
code { font-size: .9em; word-break: break-all; }
@media (max-width: 40rem) { body { padding: .5rem; font-size: 15px; }
  th, td { padding: .3rem .25rem; } .bar { width: 4rem; } }
@media print { body { max-width: none; color: #000; background: #fff; }
  .scroll { overflow: visible; } h2 { break-after: avoid; } tr { break-inside: avoid; }
  .bar .track { fill: #eee; } }
";

/// The scorecard as one self-contained HTML page: inline CSS and SVG, no script, no request.
pub fn html(scorecard: &Scorecard, previous: Option<&Scorecard>) -> String {
    let overall = &scorecard.overall;
    let before = previous.map(|previous| &previous.overall);
    let findings = &scorecard.findings;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"routeguard {version}\">\n\
         <title>API governance scorecard</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <main>\n<h1>API governance scorecard</h1>\n<p class=\"lead\" id=\"totals\">\
         operations: <span data-figure=\"operations\">{operations}</span> · \
         gateway routes: <span data-figure=\"routes\">{routes}</span> · \
         errors: <span data-figure=\"errors\">{errors}</span> · \
         warnings: <span data-figure=\"warnings\">{warnings}</span> · \
         infos: <span data-figure=\"infos\">{infos}</span></p>\n\
         <section aria-labelledby=\"overall\">\n<h2 id=\"overall\">All APIs</h2>\n",
        version = env!("CARGO_PKG_VERSION"),
        operations = escape(&count_trend(
            overall.operations,
            before.map(|b| b.operations)
        )),
        routes = escape(&count_trend(overall.routes, before.map(|b| b.routes))),
        errors = escape(&count_trend(
            findings.errors,
            previous.map(|p| p.findings.errors)
        )),
        warnings = escape(&count_trend(
            findings.warnings,
            previous.map(|p| p.findings.warnings)
        )),
        infos = escape(&count_trend(
            findings.infos,
            previous.map(|p| p.findings.infos)
        )),
    );
    out.push_str(&html_shares(
        overall,
        previous,
        "Share of gateway routes meeting each policy, all APIs",
    ));
    out.push_str("</section>\n");
    if !scorecard.apis.is_empty() {
        out.push_str("<section aria-labelledby=\"per-api\">\n<h2 id=\"per-api\">Per API</h2>\n");
        for api in &scorecard.apis {
            out.push_str(&format!(
                "<h3>{}</h3>\n<p class=\"lead\"><code>{}</code> · {} · {}</p>\n",
                escape(&section_title(api)),
                escape(api.file.as_deref().unwrap_or_default()),
                plural(api.operations, "operation"),
                plural(api.routes, "gateway route")
            ));
            out.push_str(&html_shares(
                api,
                previous,
                &format!(
                    "Share of gateway routes meeting each policy, {}",
                    section_title(api)
                ),
            ));
        }
        out.push_str("</section>\n");
    }
    out.push_str(
        "<section aria-labelledby=\"latency\">\n<h2 id=\"latency\">Worst-case latency</h2>\n\
         <div class=\"scroll\"><table id=\"latency-table\">\n<caption>Gateway routes by the longest \
         one request can take</caption>\n<thead><tr><th scope=\"col\">Worst case</th>\
         <th scope=\"col\" class=\"num\">Routes</th></tr></thead>\n<tbody>\n",
    );
    for bucket in &scorecard.latency {
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>\n",
            escape(&bucket.label),
            bucket.routes
        ));
    }
    out.push_str(
        "</tbody></table></div>\n</section>\n<section aria-labelledby=\"findings\">\n\
         <h2 id=\"findings\">Findings</h2>\n<div class=\"scroll\"><table id=\"findings-table\">\n\
         <caption>Findings by rule</caption>\n<thead><tr><th scope=\"col\">Rule</th>\
         <th scope=\"col\">Severity</th><th scope=\"col\" class=\"num\">Findings</th></tr></thead>\n\
         <tbody>\n",
    );
    for rule in &findings.by_rule {
        out.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td class=\"num\">{}</td>\
             </tr>\n",
            escape(&crate::diagnostic::docs_url(&rule.rule)),
            escape(&rule.rule),
            rule.severity,
            rule.count
        ));
    }
    out.push_str(&format!(
        "</tbody></table></div>\n</section>\n<section aria-labelledby=\"risk\">\n\
         <h2 id=\"risk\">Top {TOP_ROUTES} routes by risk</h2>\n<div class=\"scroll\">\
         <table id=\"risk-table\">\n<caption>Unbounded or longest worst case first, then the most \
         upstream calls per request</caption>\n<thead><tr><th scope=\"col\" class=\"num\">#</th>\
         <th scope=\"col\">Route</th><th scope=\"col\">Where</th><th scope=\"col\">Worst case</th>\
         <th scope=\"col\" class=\"num\">Calls per request</th></tr></thead>\n<tbody>\n"
    ));
    for (rank, route) in scorecard.top_routes.iter().enumerate() {
        out.push_str(&format!(
            "<tr><td class=\"num\">{}</td><th scope=\"row\"><code>{}</code></th><td><code>{}:{}\
             </code></td><td>{}</td><td class=\"num\">{}</td></tr>\n",
            rank + 1,
            escape(&route.route),
            escape(&route.file),
            route.line,
            worst_case(route.worst_case_ms),
            route.calls_per_request
        ));
    }
    out.push_str("</tbody></table></div>\n</section>\n</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(count: usize, of: usize) -> Share {
        Share {
            id: "timeout".into(),
            label: "Explicit timeout".into(),
            count,
            of,
            scope: "routes".into(),
            percent: (of > 0).then(|| (count as f64 * 1000.0 / of as f64).round() / 10.0),
        }
    }

    fn section(file: Option<&str>, shares: Vec<Share>) -> Section {
        Section {
            name: file.map(|file| format!("Petstore {file}")),
            title: "Petstore".into(),
            version: Some("1.0.0".into()),
            file: file.map(str::to_string),
            operations: 3,
            routes: 11,
            policies: shares,
        }
    }

    fn scorecard(apis: usize, timeouts: usize) -> Scorecard {
        Scorecard {
            version: FORMAT_VERSION,
            overall: section(None, vec![share(timeouts, 11)]),
            apis: (0..apis)
                .map(|index| section(Some(&format!("api{index}.yaml")), vec![share(1, 2)]))
                .collect(),
            latency: Vec::new(),
            findings: Findings {
                errors: 1,
                warnings: 2,
                infos: 0,
                by_rule: Vec::new(),
            },
            top_routes: Vec::new(),
        }
    }

    #[test]
    fn trend_shows_before_after_and_points() {
        let before = scorecard(0, 9);
        let after = scorecard(0, 10);
        let text = markdown(&after, Some(&before), MARKDOWN_LIMIT);
        assert!(
            text.contains("| Explicit timeout | 91 % | 10 of 11 routes | 82 % → 91 %, +9 |"),
            "{text}"
        );
    }

    #[test]
    fn markdown_stays_within_its_limit_with_a_more_cut() {
        let big = scorecard(2000, 9);
        let text = markdown(&big, None, MARKDOWN_LIMIT);
        assert!(text.chars().count() <= MARKDOWN_LIMIT, "{}", text.len());
        assert!(
            text.contains("more APIs not shown here"),
            "{}",
            &text[text.len() - 300..]
        );
        let small = markdown(&scorecard(2, 9), None, MARKDOWN_LIMIT);
        assert!(!small.contains("not shown"));
        assert_eq!(small.matches("\n### Petstore api").count(), 2);
    }

    #[test]
    fn html_escapes_what_the_files_say() {
        let mut hostile = scorecard(1, 9);
        hostile.apis[0].name = Some("<script>alert(1)</script>".into());
        let page = html(&hostile, None);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
    }
}
