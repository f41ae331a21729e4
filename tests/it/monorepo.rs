//! A repository as teams keep them: several APIs with their own servers, a Kong config whose
//! routes are limited to hosts, an Istio VirtualService behind it, a Helm chart, and files of
//! other tools. Each route serves only its API, and only routeguard's own files are linted.

use crate::common;

use common::{at, lint_json, located, run};
use serde_json::Value;

const MONOREPO: &str = "fixtures/monorepo";

fn joined(report: &Value, path: &str) -> Vec<(String, String, String)> {
    let routes = report["routes"].as_array().expect("routes");
    let route = routes
        .iter()
        .find(|route| route["path"] == path)
        .unwrap_or_else(|| panic!("no route {path} in {report}"));
    route["joined"]
        .as_array()
        .expect("joined")
        .iter()
        .map(|joined| {
            (
                joined["api"].as_str().unwrap_or_default().to_string(),
                joined["operation"].as_str().unwrap_or_default().to_string(),
                joined["host_match"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn routes_json(args: &[&str]) -> Value {
    let mut all = vec!["routes", "--format", "json"];
    all.extend_from_slice(args);
    let result = run(&common::repo(), &all);
    assert_eq!(result.code, 0, "{}", result.stderr);
    serde_json::from_str(&result.stdout).expect("routes JSON")
}

fn triple(api: &str, operation: &str, host: &str) -> (String, String, String) {
    (api.into(), operation.into(), host.into())
}

#[test]
fn each_route_is_joined_only_to_the_api_its_hosts_name() {
    let report = routes_json(&[MONOREPO]);
    let kong_items = joined(&report, "/v1/items*");
    // The Kong route for orders.example.com, not Billing's `GET /items` on another host.
    assert_eq!(
        kong_items,
        [
            triple("Orders API 1.4.0", "GET /items", "exact"),
            triple("Orders API 1.4.0", "GET /items/{id}", "exact"),
        ]
    );
    // `*.billing.example.com` covers the server `https://{region}.billing.example.com`.
    assert_eq!(
        joined(&report, "/v1/invoices*"),
        [triple("Billing API 2.1.0", "GET /invoices", "wildcard")]
    );
    // One host, two versions: each prefix reaches its version only.
    assert_eq!(
        joined(&report, "/v1/products*"),
        [triple("Catalog API 1.0.0", "GET /products", "exact")]
    );
    assert_eq!(
        joined(&report, "/v2/products*"),
        [triple("Catalog API 2.0.0", "GET /products", "exact")]
    );
    // The mesh route's host is internal: it is tied through the Kong service whose upstream
    // it is, so it serves Orders only.
    let mesh = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|route| route["format"] == "istio")
        .expect("the Istio route");
    let mesh_apis: Vec<&str> = mesh["joined"]
        .as_array()
        .expect("joined")
        .iter()
        .map(|joined| joined["api"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(mesh_apis, ["Orders API 1.4.0", "Orders API 1.4.0"]);
    assert!(mesh["joined"]
        .as_array()
        .expect("joined")
        .iter()
        .all(|joined| joined["host_match"] == "through-front"));

    let apis: Vec<(&str, &str)> = report["apis"]
        .as_array()
        .expect("apis")
        .iter()
        .map(|api| {
            (
                api["name"].as_str().unwrap_or_default(),
                api["hosts"][0].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        apis,
        [
            ("Billing API 2.1.0", "eu.billing.example.com"),
            ("Catalog API 1.0.0", "catalog.example.com"),
            ("Catalog API 2.0.0", "catalog.example.com"),
            ("Orders API 1.4.0", "orders.example.com"),
        ]
    );
}

#[test]
fn only_real_findings_in_api_files_and_the_exit_code_reflects_them() {
    let (code, report) = lint_json(&common::repo(), &[MONOREPO]);
    let found = located(&report);
    let billing = "fixtures/monorepo/services/billing/openapi.yaml";
    // Billing's `GET /items` is served by no route: the Kong route for `/v1/items` is for
    // orders.example.com.
    let unrouted: Vec<_> = found
        .iter()
        .filter(|(rule, ..)| rule == "operation-unrouted")
        .cloned()
        .collect();
    assert_eq!(unrouted, [at("operation-unrouted", billing, 13, 5)]);
    // `listItems` in two APIs, `listProducts` in v1 and v2 of one: no duplicate within an API.
    assert!(!found.iter().any(|(rule, ..)| rule == "operation-id"));
    // Orders' operations are documented for their gateways, whose 504 they list.
    assert!(!found
        .iter()
        .any(|(rule, file, ..)| rule == "gateway-errors-undocumented"
            && file.contains("services/orders")));
    // Nothing is reported in files that are not routeguard's.
    for (_, file, ..) in &found {
        assert!(
            file.contains("/services/") || file.contains("/gateway/") || file.contains("/mesh/"),
            "finding in {file}"
        );
    }
    let apis: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|diagnostic| diagnostic["rule"] == "operation-unrouted")
        .map(|diagnostic| diagnostic["api"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(apis, ["Billing API 2.1.0"]);
    assert_eq!(report["summary"]["files"], 6);
    assert_eq!(report["summary"]["skipped"], 7);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(code, 0, "warnings only");
    let (code, _) = lint_json(&common::repo(), &["--fail-on", "warning", MONOREPO]);
    assert_eq!(code, 1);
}

#[test]
fn operation_ids_across_apis_are_compared_only_when_asked() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = dir.path().join("routeguard.yaml");
    std::fs::write(&config, "rules:\n  operation-id: { scope: project }\n").expect("config");
    let (code, report) = lint_json(
        &common::repo(),
        &["--config", config.to_str().expect("UTF-8 path"), MONOREPO],
    );
    let duplicates: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "operation-id")
        .collect();
    assert_eq!(
        duplicates,
        [
            at(
                "operation-id",
                "fixtures/monorepo/services/catalog/v2/openapi.yaml",
                10,
                20
            ),
            at(
                "operation-id",
                "fixtures/monorepo/services/orders/openapi.yaml",
                10,
                20
            ),
        ]
    );
    assert_eq!(code, 1);
}

#[test]
fn other_tools_files_are_no_junit_suites_and_templates_get_a_note() {
    let repo = common::repo();
    let junit = run(&repo, &["lint", "--format", "junit", MONOREPO]);
    let suites: Vec<&str> = junit
        .stdout
        .split("<testsuite ")
        .skip(1)
        .filter_map(|suite| suite.split("name=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        suites,
        [
            "fixtures/monorepo/gateway/kong.yml",
            "fixtures/monorepo/mesh/orders-virtualservice.yaml",
            "fixtures/monorepo/services/billing/openapi.yaml",
            "fixtures/monorepo/services/catalog/v1/openapi.yaml",
            "fixtures/monorepo/services/catalog/v2/openapi.yaml",
            "fixtures/monorepo/services/orders/openapi.yaml",
        ]
    );

    let text = run(&repo, &["lint", "--verbose", MONOREPO]);
    assert_eq!(text.code, 0, "{}", text.stdout);
    assert!(
        text.stdout.contains("in 6 files (6 operations); 7 skipped"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "lint the rendered chart: `helm template fixtures/monorepo/deploy/charts/orders | routeguard lint -`"
        ),
        "{}",
        text.stdout
    );
    for skipped in [
        "docker-compose.yml: not a format routeguard reads",
        "package.json: not a format routeguard reads",
        "web/tsconfig.json: does not parse and is not a format routeguard reads",
        "templates/virtualservice.yaml: a Go template",
    ] {
        assert!(text.stdout.contains(skipped), "{skipped}: {}", text.stdout);
    }
    // With several APIs, each route names its API.
    assert!(
        text.stdout
            .contains("\n  GET /v1/invoices* (Billing API 2.1.0)\n"),
        "{}",
        text.stdout
    );

    // Named on the command line, a file of another tool is still `unknown-format`, and a
    // template is still only noted.
    let (_, named) = lint_json(
        &repo,
        &[
            "fixtures/monorepo/docker-compose.yml",
            "fixtures/monorepo/deploy/charts/orders/templates/virtualservice.yaml",
        ],
    );
    assert_eq!(
        located(&named),
        [at(
            "unknown-format",
            "fixtures/monorepo/docker-compose.yml",
            1,
            1
        )]
    );
    assert_eq!(named["skipped"][0]["reason"], "template");
}

#[test]
fn the_config_pins_an_api_to_its_gateways_and_hosts() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).expect(".git");
    let copy = |from: &str, to: &str| {
        let target = root.join(to);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("folder");
        std::fs::copy(common::repo().join(MONOREPO).join(from), target).expect("copy");
    };
    copy("services/orders/openapi.yaml", "orders/openapi.yaml");
    copy("services/billing/openapi.yaml", "billing/openapi.yaml");
    copy("gateway/kong.yml", "gateway/kong.yml");
    let routes = |config: &str| {
        std::fs::write(root.join("routeguard.yml"), config).expect("config");
        let result = run(root, &["routes", "--format", "json"]);
        assert_eq!(result.code, 0, "{}", result.stderr);
        let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
        joined(&report, "/v1/items*")
    };
    // Pinned to another host, Orders is no longer served by the orders.example.com route; named
    // in the config, it is called by that name.
    assert_eq!(
        routes("apis:\n  - name: orders\n    spec: orders/openapi.yaml\n    hosts: [shop.example.com]\n"),
        []
    );
    assert_eq!(
        routes("apis:\n  - name: orders\n    spec: orders/openapi.yaml\n    gateways: [gateway/*.yml]\n"),
        [
            triple("orders", "GET /items", "exact"),
            triple("orders", "GET /items/{id}", "exact"),
        ]
    );
    assert_eq!(
        routes(
            "apis:\n  - name: orders\n    spec: orders/openapi.yaml\n    gateways: [edge/*.yml]\n"
        ),
        []
    );
}

#[test]
fn gateway_configs_inside_config_maps_are_linted_where_they_are_written() {
    let (_, kong) = lint_json(
        &common::repo(),
        &["fixtures/kong/kubernetes/dbless-configmap.yaml"],
    );
    let file = "fixtures/kong/kubernetes/dbless-configmap.yaml";
    let found = located(&kong);
    // `retries: 8` of the embedded `kong.yml`, at its line and column in the manifest.
    assert!(
        found.contains(&at("retry-excessive", file, 17, 18)),
        "{found:?}"
    );
    assert!(found.contains(&at("circuit-breaker-missing", file, 12, 9)));

    let (_, envoy) = lint_json(
        &common::repo(),
        &["fixtures/envoy/kubernetes/bootstrap-configmap.yaml"],
    );
    let file = "fixtures/envoy/kubernetes/bootstrap-configmap.yaml";
    // `timeout: 0s` turns Envoy's route timeout off.
    assert!(located(&envoy).contains(&at("timeout-missing", file, 27, 42)));

    // A ConfigMap of anything else holds no gateway, and is no finding.
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join("settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  app.yaml: |\n    log_level: debug\n",
    )
    .expect("manifest");
    let (code, report) = lint_json(dir.path(), &["settings.yaml"]);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(code, 0);
}

#[test]
fn kong_ingress_routes_take_their_services_annotations_and_kong_ingress_override() {
    let file = "fixtures/kong/kubernetes/ingress.yaml";
    let (_, report) = lint_json(&common::repo(), &[file]);
    let found = located(&report);
    // `konghq.com/retries: "9"` on the Service wins over the KongIngress's `retries: 1`.
    assert!(
        found.contains(&at("retry-excessive", file, 39, 25)),
        "{found:?}"
    );
    // `konghq.com/read-timeout: "4000"` bounds each of the 10 attempts.
    assert!(found.contains(&at("timeout-out-of-bounds", file, 38, 30)));
    // The `status` Service is not in the run: Kong's defaults, reported where the service is
    // named (Kong timeouts are service settings), beside its default retries.
    assert!(found.contains(&at("timeout-missing", file, 27, 23)));
    assert!(found.contains(&at("retry-excessive", file, 27, 23)));

    // Joined by host: the Ingress rule for orders.example.com serves the Orders API only.
    let report = routes_json(&[
        file,
        "fixtures/monorepo/services/orders/openapi.yaml",
        "fixtures/monorepo/services/billing/openapi.yaml",
    ]);
    assert_eq!(
        joined(&report, "/v1/items*"),
        [
            triple("Orders API 1.4.0", "GET /items", "exact"),
            triple("Orders API 1.4.0", "GET /items/{id}", "exact"),
        ]
    );

    // An Ingress of a class no adapter reads is not Kong's (`nginx` is ingress-nginx's).
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = std::fs::read_to_string(common::repo().join(file))
        .expect("fixture")
        .replace("ingressClassName: kong", "ingressClassName: haproxy");
    std::fs::write(dir.path().join("ingress.yaml"), text).expect("manifest");
    let (code, report) = lint_json(dir.path(), &["ingress.yaml"]);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(code, 0);
}

#[test]
fn a_kong_ingress_override_is_found_in_any_file_of_the_services_namespace() {
    let dir = "fixtures/kong/kubernetes/split";
    let policy = "fixtures/kong/kubernetes/split/policy.yaml";
    let routes = "fixtures/kong/kubernetes/split/routes.yaml";
    let (_, report) = lint_json(&common::repo(), &[dir]);
    let found = located(&report);
    // `retries: 9` of the `pay` KongIngress, not the `retries: 1` of the one in `other`.
    assert!(
        found.contains(&at("retry-excessive", policy, 22, 12)),
        "{found:?}"
    );
    assert!(!found.contains(&at("timeout-missing", routes, 34, 9)));
    // The file of Kong's own kinds holds findings: it is linted, not skipped as unknown.
    assert_eq!(report["skipped"], serde_json::json!([]));

    // With no KongIngress of the Service's namespace, Kong's defaults apply at the Service.
    let copy = tempfile::tempdir().expect("temporary folder");
    for name in ["routes.yaml", "policy.yaml"] {
        let text = std::fs::read_to_string(common::repo().join(dir).join(name)).expect("fixture");
        let text = text.replace("namespace: pay\nproxy", "namespace: billing\nproxy");
        std::fs::write(copy.path().join(name), text).expect("manifest");
    }
    let (_, report) = lint_json(copy.path(), &["."]);
    let found = located(&report);
    assert!(
        found.contains(&at("retry-excessive", "routes.yaml", 34, 9)),
        "{found:?}"
    );
    assert!(found.contains(&at("timeout-missing", "routes.yaml", 34, 9)));
    assert!(found.iter().all(|(_, file, _, _)| file != "policy.yaml"));
}

#[test]
fn kong_plugins_named_by_an_ingress_or_its_service_set_the_routes_policy() {
    let dir = "fixtures/kong/kubernetes/split";
    let policy = "fixtures/kong/kubernetes/split/policy.yaml";
    let rate_limit_cause = |report: &Value| {
        report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|found| found["rule"] == "gateway-errors-undocumented")
            .flat_map(|found| found["related"].as_array().cloned().unwrap_or_default())
            .find(|related| related["message"] == "Kong answers 429 because of this")
    };
    let (_, report) = lint_json(&common::repo(), &[dir]);
    let found = located(&report);
    // The Ingress's `konghq.com/plugins: payments-limit` is a rate-limiting KongPlugin: Kong
    // answers 429, which `GET /payments` does not document.
    assert!(
        found.contains(&at(
            "gateway-errors-undocumented",
            "fixtures/kong/kubernetes/split/openapi.yaml",
            13,
            7
        )),
        "{found:?}"
    );
    let cause = rate_limit_cause(&report).expect("the rate limit is a cause");
    assert_eq!(
        (&cause["file"], &cause["line"], &cause["column"]),
        (&Value::from(policy), &Value::from(29), &Value::from(9))
    );
    // The refunds Service's KongClusterPlugin answers every request with 410: Kong never
    // forwards, so nothing about its upstream's timeouts or retries is reported.
    assert!(
        report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .all(|found| found["route"] != "* /v1/refunds*"),
        "{report}"
    );
    let routes = routes_json(&[dir]);
    let refunds = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|route| route["path"] == "/v1/refunds*")
        .expect("refunds route");
    assert_eq!(refunds["fallback"], "static response");
    assert_eq!(refunds["max_retries"], 0);

    // Without the annotation, the KongPlugin is applied to nothing.
    let copy = tempfile::tempdir().expect("temporary folder");
    for name in ["routes.yaml", "policy.yaml", "openapi.yaml"] {
        let text = std::fs::read_to_string(common::repo().join(dir).join(name)).expect("fixture");
        let text = text.replace("konghq.com/plugins: payments-limit", "team: payments");
        std::fs::write(copy.path().join(name), text).expect("manifest");
    }
    let (_, report) = lint_json(copy.path(), &["."]);
    assert_eq!(rate_limit_cause(&report), None, "{report}");
    assert!(located(&report).contains(&at("gateway-errors-undocumented", "openapi.yaml", 13, 7)));
}

#[test]
fn an_http_route_without_hostnames_takes_its_listeners_hostnames_for_the_join() {
    let dir = "fixtures/gateway-api/listener-hosts";
    let orders = "fixtures/monorepo/services/orders/openapi.yaml";
    let billing = "fixtures/monorepo/services/billing/openapi.yaml";
    let unrouted = |report: &Value| -> Vec<_> {
        located(report)
            .into_iter()
            .filter(|(rule, ..)| rule == "operation-unrouted")
            .collect()
    };
    // The `orders` route attaches to the orders.example.com listener: it does not serve
    // Billing's `GET /items`, which no route reaches.
    let (_, report) = lint_json(&common::repo(), &[dir, orders, billing]);
    assert_eq!(
        unrouted(&report),
        [at("operation-unrouted", billing, 13, 5)]
    );
    assert_eq!(
        joined(&routes_json(&[dir, orders, billing]), "/v1/items*"),
        [
            triple("Orders API 1.4.0", "GET /items", "exact"),
            triple("Orders API 1.4.0", "GET /items/{id}", "exact"),
        ]
    );

    // A listener without a hostname accepts every host: the route may serve Billing too.
    let copy = tempfile::tempdir().expect("temporary folder");
    for name in ["gateway.yaml", "routes.yaml"] {
        let text = std::fs::read_to_string(common::repo().join(dir).join(name)).expect("fixture");
        let text = text.replace("      hostname: orders.example.com\n", "");
        std::fs::write(copy.path().join(name), text).expect("manifest");
    }
    let copied = copy.path().to_str().expect("path");
    let (_, report) = lint_json(&common::repo(), &[copied, orders, billing]);
    assert_eq!(unrouted(&report), []);
}

/// The split Kong Ingress fixture copied with `edit` applied to each file, plus `extra` files.
fn split_copy(edit: &dyn Fn(String) -> String, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = "fixtures/kong/kubernetes/split";
    let copy = tempfile::tempdir().expect("temporary folder");
    for name in ["routes.yaml", "policy.yaml", "openapi.yaml"] {
        let text = std::fs::read_to_string(common::repo().join(dir).join(name)).expect("fixture");
        std::fs::write(copy.path().join(name), edit(text)).expect("manifest");
    }
    for (name, text) in extra {
        std::fs::write(copy.path().join(name), text).expect("manifest");
    }
    copy
}

fn unattached(report: &Value) -> Vec<(common::Located, String)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|found| found["rule"] == "policy-unattached")
        .map(|found| {
            let text = |key: &str| found[key].as_str().unwrap_or_default().to_string();
            let number = |key: &str| found[key].as_u64().unwrap_or_default();
            (
                at(
                    "policy-unattached",
                    &text("file"),
                    number("line"),
                    number("column"),
                ),
                text("message"),
            )
        })
        .collect()
}

#[test]
fn a_kong_plugin_name_that_matches_no_plugin_is_reported_when_the_namespaces_plugins_are_linted() {
    let copy = split_copy(
        &|text| {
            text.replace(
                "konghq.com/plugins: payments-limit",
                "konghq.com/plugins: payments-limits",
            )
        },
        &[],
    );
    // The run holds the `pay` namespace's KongPlugins, and none is `payments-limits`.
    let (_, report) = lint_json(copy.path(), &["."]);
    let found = unattached(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, at("policy-unattached", "routes.yaml", 9, 25));
    assert!(
        found[0]
            .1
            .contains("no KongPlugin `payments-limits` in namespace `pay`"),
        "{found:?}"
    );
    // The Ingress's file alone: the plugins may be kept elsewhere, so nothing is reported.
    let (_, report) = lint_json(copy.path(), &["routes.yaml"]);
    assert_eq!(unattached(&report), [], "{report}");
    // The right name binds: nothing to report.
    let (_, report) = lint_json(&common::repo(), &["fixtures/kong/kubernetes/split"]);
    assert_eq!(unattached(&report), [], "{report}");
}

const PLUGIN_GRANT: &str = "apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: pay-ingresses-use-shared-plugins
  namespace: shared
spec:
  from:
    - group: networking.k8s.io
      kind: Ingress
      namespace: pay
  to:
    - group: configuration.konghq.com
      kind: KongPlugin
";

#[test]
fn a_kong_plugin_of_another_namespace_binds_only_with_a_reference_grant() {
    let edit = |text: String| {
        text.replace(
            "konghq.com/plugins: payments-limit",
            "konghq.com/plugins: shared:payments-limit",
        )
        .replace(
            "  name: payments-limit\n  namespace: pay",
            "  name: payments-limit\n  namespace: shared",
        )
    };
    let limited = |report: &Value| {
        located(report).contains(&at("gateway-errors-undocumented", "openapi.yaml", 13, 7))
            && report["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .flat_map(|found| found["related"].as_array().cloned().unwrap_or_default())
                .any(|related| related["message"] == "Kong answers 429 because of this")
    };
    // No ReferenceGrant: Kong Ingress Controller does not bind the plugin.
    let copy = split_copy(&edit, &[]);
    let (_, report) = lint_json(copy.path(), &["."]);
    let found = unattached(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, at("policy-unattached", "routes.yaml", 9, 25));
    assert!(
        found[0]
            .1
            .contains("no ReferenceGrant there lets Ingress objects of `pay`"),
        "{found:?}"
    );
    assert!(!limited(&report), "{report}");
    // A ReferenceGrant in `shared` for Ingresses of `pay`: the rate limit applies.
    let copy = split_copy(&edit, &[("grant.yaml", PLUGIN_GRANT)]);
    let (_, report) = lint_json(copy.path(), &["."]);
    assert_eq!(unattached(&report), [], "{report}");
    assert!(limited(&report), "{report}");
    // A grant for Services does not let the Ingress refer.
    let for_services = PLUGIN_GRANT
        .replace("group: networking.k8s.io\n", "group: \"\"\n")
        .replace("kind: Ingress", "kind: Service");
    let copy = split_copy(&edit, &[("grant.yaml", &for_services)]);
    let (_, report) = lint_json(copy.path(), &["."]);
    assert_eq!(unattached(&report).len(), 1, "{report}");
}
