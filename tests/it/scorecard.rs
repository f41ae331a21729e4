//! `routeguard report`: every figure of the scorecard is checked against counts computed here,
//! independently, from the rows of `routes --format json`, on the demo and on a monorepo of
//! three API descriptions.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common;

use common::{repo, run};

fn json(args: &[&str]) -> Value {
    let result = run(&repo(), args);
    assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
    serde_json::from_str(&result.stdout).expect("JSON")
}

fn routes(folder: &str) -> Vec<Value> {
    json(&["routes", "--root", ".", "--format", "json", folder])["routes"]
        .as_array()
        .expect("routes")
        .clone()
}

fn scorecard(folder: &str) -> Value {
    json(&["report", "--root", ".", "--format", "json", folder])
}

fn retries(row: &Value) -> bool {
    row["max_retries"].as_u64().unwrap_or(0) > 0
}

fn explicit(row: &Value, field: &str) -> bool {
    !row[field].is_null()
        && !row["defaults"]
            .as_array()
            .unwrap()
            .iter()
            .any(|default| default == field)
}

/// `(count, of)` per policy id, from route rows.
fn expected_shares(rows: &[&Value]) -> BTreeMap<&'static str, (usize, usize)> {
    let share = |applies: &dyn Fn(&Value) -> bool, meets: &dyn Fn(&Value) -> bool| {
        let in_scope: Vec<&&Value> = rows.iter().filter(|row| applies(row)).collect();
        (
            in_scope.iter().filter(|row| meets(row)).count(),
            in_scope.len(),
        )
    };
    let all = |_: &Value| true;
    BTreeMap::from([
        (
            "timeout",
            share(&all, &|row| {
                explicit(row, "timeout_ms") || explicit(row, "per_try_timeout_ms")
            }),
        ),
        (
            "retries-bounded",
            share(&all, &|row| row["retries_bounded"] == true),
        ),
        (
            "retries-idempotent",
            share(&retries, &|row| row["retries_non_idempotent"] == false),
        ),
        (
            "per-try-timeout",
            share(&retries, &|row| explicit(row, "per_try_timeout_ms")),
        ),
        ("backoff", share(&retries, &|row| row["backoff"] == true)),
        (
            "circuit-breaker",
            share(&all, &|row| row["circuit_breaker"] == "yes"),
        ),
        (
            "health-check",
            share(
                &|row| row["endpoints"].as_u64().is_some_and(|n| n > 1),
                &|row| !row["health_check"].is_null(),
            ),
        ),
        ("fallback", share(&all, &|row| !row["fallback"].is_null())),
        (
            "gateway-statuses",
            share(
                &|row| {
                    !row["gateway_statuses"].as_array().unwrap().is_empty()
                        && !row["operations"].as_array().unwrap().is_empty()
                },
                &|row| row["statuses_undocumented"].as_array().unwrap().is_empty(),
            ),
        ),
    ])
}

fn shares_of(section: &Value) -> BTreeMap<String, (usize, usize)> {
    section["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|share| {
            (
                share["id"].as_str().unwrap().to_string(),
                (
                    share["count"].as_u64().unwrap() as usize,
                    share["of"].as_u64().unwrap() as usize,
                ),
            )
        })
        .collect()
}

fn as_strings(map: BTreeMap<&'static str, (usize, usize)>) -> BTreeMap<String, (usize, usize)> {
    map.into_iter()
        .map(|(id, counts)| (id.to_string(), counts))
        .collect()
}

/// Checks every figure of the scorecard of `folder` against the routes report and the lint
/// report; returns the scorecard.
fn check_figures(folder: &str) -> Value {
    let rows = routes(folder);
    let card = scorecard(folder);
    let all: Vec<&Value> = rows.iter().collect();
    assert_eq!(card["overall"]["routes"], rows.len());
    assert_eq!(
        shares_of(&card["overall"]),
        as_strings(expected_shares(&all))
    );

    // Per API: the routes that reach one of its operations.
    let apis = card["apis"].as_array().unwrap();
    for api in apis {
        let name = api["name"].as_str().unwrap();
        let reaching: Vec<&Value> = rows
            .iter()
            .filter(|row| {
                row["joined"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|joined| joined["api"] == name)
            })
            .collect();
        assert_eq!(api["routes"], reaching.len(), "{name}");
        assert_eq!(
            shares_of(api),
            as_strings(expected_shares(&reaching)),
            "{name}"
        );
    }

    // Latency buckets add up to the routes, unbounded ones apart.
    let buckets = card["latency"].as_array().unwrap();
    let unbounded = rows
        .iter()
        .filter(|row| row["worst_case_ms"].is_null())
        .count();
    assert_eq!(buckets.last().unwrap()["routes"], unbounded);
    let within = |bound: u64| {
        rows.iter()
            .filter(|row| row["worst_case_ms"].as_u64().is_some_and(|ms| ms <= bound))
            .count()
    };
    let mut below = 0;
    for bucket in buckets
        .iter()
        .filter(|bucket| !bucket["up_to_ms"].is_null())
    {
        let up_to = within(bucket["up_to_ms"].as_u64().unwrap());
        assert_eq!(bucket["routes"], up_to - below, "{bucket}");
        below = up_to;
    }
    let total: u64 = buckets.iter().map(|b| b["routes"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, rows.len());

    // Findings by severity and rule, from the lint report.
    let lint = run(
        &repo(),
        &["lint", "--root", ".", "--format", "json", folder],
    );
    let lint: Value = serde_json::from_str(&lint.stdout).unwrap();
    for severity in ["errors", "warnings", "infos"] {
        assert_eq!(card["findings"][severity], lint["summary"][severity]);
    }
    let mut per_rule: BTreeMap<String, u64> = BTreeMap::new();
    for diagnostic in lint["diagnostics"].as_array().unwrap() {
        *per_rule
            .entry(diagnostic["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let reported: BTreeMap<String, u64> = card["findings"]["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| {
            (
                rule["rule"].as_str().unwrap().to_string(),
                rule["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(reported, per_rule);

    // The riskiest routes: unbounded or longest worst case first.
    let top = card["top_routes"].as_array().unwrap();
    assert_eq!(top.len(), rows.len().min(10));
    let worst = |route: &Value| route["worst_case_ms"].as_u64().unwrap_or(u64::MAX);
    assert!(top
        .windows(2)
        .all(|pair| worst(&pair[0]) >= worst(&pair[1])));
    let longest = rows.iter().map(worst).max().unwrap();
    assert_eq!(worst(&top[0]), longest);
    card
}

#[test]
fn demo_scorecard_figures_match_the_routes_report() {
    let card = check_figures("fixtures/demo");
    assert_eq!(card["overall"]["operations"], 6);
    let apis = card["apis"].as_array().unwrap();
    assert_eq!(apis.len(), 1);
    assert_eq!(apis[0]["name"], "Pet store 1.4.0");
    assert_eq!(apis[0]["title"], "Pet store");
    assert_eq!(apis[0]["version"], "1.4.0");
}

#[test]
fn monorepo_scorecard_has_one_section_per_api() {
    let card = check_figures("fixtures/monorepo");
    let apis: Vec<(String, u64, u64)> = card["apis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|api| {
            (
                api["name"].as_str().unwrap().to_string(),
                api["operations"].as_u64().unwrap(),
                api["routes"].as_u64().unwrap(),
            )
        })
        .collect();
    // Two versions of the catalog are two APIs, each with its own route.
    assert_eq!(
        apis,
        [
            ("Billing API 2.1.0".to_string(), 2, 1),
            ("Catalog API 1.0.0".to_string(), 1, 1),
            ("Catalog API 2.0.0".to_string(), 1, 1),
            ("Orders API 1.4.0".to_string(), 2, 2),
        ]
    );
    assert_eq!(card["overall"]["operations"], 6);
}

#[test]
fn markdown_and_html_show_the_same_figures() {
    let card = scorecard("fixtures/monorepo");
    let markdown = run(&repo(), &["report", "--root", ".", "fixtures/monorepo"]);
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    let page = run(
        &repo(),
        &[
            "report",
            "--root",
            ".",
            "--format",
            "html",
            "fixtures/monorepo",
        ],
    );
    for share in card["overall"]["policies"].as_array().unwrap() {
        let label = share["label"].as_str().unwrap();
        let figures = format!(
            "{} of {} {}",
            share["count"],
            share["of"],
            share["scope"].as_str().unwrap()
        );
        let percent = share["percent"]
            .as_f64()
            .map_or("–".to_string(), |p| format!("{} %", p.round()));
        assert!(
            markdown
                .stdout
                .contains(&format!("| {label} | {percent} | {figures} |")),
            "{label}: {}",
            markdown.stdout
        );
        assert!(page.stdout.contains(&figures), "{figures}");
    }
    assert!(page.stdout.starts_with("<!DOCTYPE html>"));
    assert!(!page.stdout.contains("<script"));
    assert!(!page.stdout.contains("http://") && !page.stdout.contains("src="));
}

#[test]
fn trend_against_a_previous_scorecard() {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("previous.json");
    // The previous release: the demo's findings before a fix, written as a JSON scorecard
    // whose timeout share is made lower than today's.
    let mut card = scorecard("fixtures/demo");
    let timeout = card["overall"]["policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|share| share["id"] == "timeout")
        .unwrap();
    let of = timeout["of"].as_u64().unwrap();
    timeout["count"] = (of - 1).into();
    let before = ((of - 1) as f64 * 1000.0 / of as f64).round() / 10.0;
    timeout["percent"] = before.into();
    std::fs::write(&previous, serde_json::to_string(&card).unwrap()).unwrap();
    let result = run(
        &repo(),
        &[
            "report",
            "--root",
            ".",
            "--baseline",
            previous.to_str().unwrap(),
            "fixtures/demo",
        ],
    );
    assert_eq!(result.code, 0, "{}", result.stderr);
    let change = 100.0 - before.round();
    let expected = format!("{} % → 100 %, +{change}", before.round());
    assert!(
        result.stdout.contains(&expected),
        "{expected}\n{}",
        result.stdout
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let refused = run(
        &repo(),
        &[
            "report",
            "--baseline",
            bad.to_str().unwrap(),
            "fixtures/demo",
        ],
    );
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("is not a scorecard"),
        "{}",
        refused.stderr
    );
}

#[test]
fn output_extension_picks_the_scorecard_format() {
    let dir = tempfile::tempdir().unwrap();
    for (file, starts) in [
        ("s.md", "# API governance scorecard"),
        ("s.html", "<!DOCTYPE html>"),
        ("s.json", "{"),
    ] {
        let path = dir.path().join(file);
        let result = run(
            &repo(),
            &[
                "report",
                "--root",
                ".",
                "fixtures/demo",
                "-o",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(result.code, 0, "{}", result.stderr);
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(starts));
    }
    let unknown = dir.path().join("s.txt");
    let refused = run(
        &repo(),
        &["report", "fixtures/demo", "-o", unknown.to_str().unwrap()],
    );
    assert_eq!(refused.code, 2);
}
