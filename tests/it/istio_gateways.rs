//! Istio `VirtualService.gateways`: a VirtualService bound to an ingress gateway is an edge
//! route joined to its API by host, one bound to `mesh` (or to nothing) a sidecar route tied to
//! the API through the route in front of it, and one bound to both is a route in each layer. A
//! request through Istio's own gateway passes no sidecar route of the mesh, so the two are
//! never multiplied or nested.

use crate::common;

use common::{at, lint_json, located, project, run};
use serde_json::Value;

const SHOP: &str = "openapi: 3.0.3
info:
  title: Shop
  version: 1.0.0
servers:
  - url: https://shop.example.com
paths:
  /items:
    get:
      operationId: listItems
      summary: List items
      description: Lists the items.
      responses:
        '200':
          description: The items.
        '504':
          description: The gateway gave up.
";

const BILLING: &str = "openapi: 3.0.3
info:
  title: Billing
  version: 1.0.0
servers:
  - url: https://billing.example.com
paths:
  /invoices:
    get:
      operationId: listInvoices
      summary: List invoices
      description: Lists the invoices.
      responses:
        '200':
          description: The invoices.
  /items:
    get:
      operationId: listBilledItems
      summary: List billed items
      description: Lists the billed items.
      responses:
        '200':
          description: The billed items.
";

/// An edge VirtualService on the public gateway in front of the sidecars' VirtualService for
/// the same service, whose retries and timeout would multiply and nest if they were stacked.
const EDGE_AND_MESH: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: shop-edge
  namespace: shop
spec:
  hosts:
    - shop.example.com
  gateways:
    - istio-system/public
  http:
    - name: public-items
      match:
        - uri:
            prefix: /items
      route:
        - destination:
            host: items.shop.svc.cluster.local
      timeout: 6s
      retries:
        attempts: 2
        perTryTimeout: 2s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: items
  namespace: shop
spec:
  hosts:
    - items.shop.svc.cluster.local
  http:
    - name: mesh-items
      match:
        - uri:
            prefix: /items
      route:
        - destination:
            host: items.shop.svc.cluster.local
      timeout: 4s
      retries:
        attempts: 3
        perTryTimeout: 1s
";

/// Billing's public VirtualService, which routes its invoices only.
const BILLING_EDGE: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: billing-edge
  namespace: billing
spec:
  hosts:
    - billing.example.com
  gateways:
    - istio-system/public
  http:
    - name: invoices
      match:
        - uri:
            prefix: /invoices
      route:
        - destination:
            host: invoices.billing.svc.cluster.local
      timeout: 3s
";

/// A Kong route in front of the same service: Kong's pod calls through its sidecar, which
/// applies the mesh VirtualService.
const KONG: &str = "_format_version: '3.0'
services:
  - name: items
    url: http://items.shop.svc.cluster.local:8080
    read_timeout: 5000
    retries: 2
    routes:
      - name: kong-items
        hosts:
          - shop.example.com
        paths:
          - /items
";

fn routes_json(dir: &std::path::Path) -> Value {
    let result = run(dir, &["routes", "--format", "json", "."]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    serde_json::from_str(&result.stdout).expect("routes JSON")
}

/// `(name, layer, gateways, [(api, host match)])` of an Istio route.
type IstioRow = (String, String, Vec<String>, Vec<(String, String)>);

fn istio_rows(report: &Value) -> Vec<IstioRow> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter(|route| route["format"] == "istio")
        .map(|route| {
            let gateways = route["gateways"]
                .as_array()
                .map(|gateways| gateways.iter().map(text).collect())
                .unwrap_or_default();
            let joined = route["joined"]
                .as_array()
                .expect("joined")
                .iter()
                .map(|joined| (text(&joined["api"]), text(&joined["host_match"])))
                .collect();
            (
                text(&route["name"]),
                text(&route["layer_kind"]),
                gateways,
                joined,
            )
        })
        .collect()
}

fn row(name: &str, layer: &str, gateways: &[&str], joined: &[(&str, &str)]) -> IstioRow {
    (
        name.to_string(),
        layer.to_string(),
        gateways.iter().map(ToString::to_string).collect(),
        joined
            .iter()
            .map(|(api, host)| (api.to_string(), host.to_string()))
            .collect(),
    )
}

fn rules_of(report: &Value) -> Vec<String> {
    located(report).into_iter().map(|found| found.0).collect()
}

#[test]
fn a_virtual_service_bound_to_a_gateway_is_an_edge_route_joined_by_host() {
    let dir = project(&[
        ("shop.yaml", SHOP.as_bytes()),
        ("billing.yaml", BILLING.as_bytes()),
        ("istio.yaml", EDGE_AND_MESH.as_bytes()),
        ("billing-istio.yaml", BILLING_EDGE.as_bytes()),
    ]);
    assert_eq!(
        istio_rows(&routes_json(dir.path())),
        [
            row(
                "invoices",
                "edge",
                &["istio-system/public"],
                &[("Billing 1.0.0", "exact")]
            ),
            // The public VirtualService's host is Shop's server; the mesh one is tied to Shop
            // through it, its destination being the mesh route's host.
            row(
                "public-items",
                "edge",
                &["istio-system/public"],
                &[("Shop 1.0.0", "exact")]
            ),
            row(
                "mesh-items",
                "mesh",
                &["mesh"],
                &[("Shop 1.0.0", "through-front")]
            ),
        ]
    );
    let (_, report) = lint_json(dir.path(), &["."]);
    let found = located(&report);
    // Billing's `GET /items` is served by no route: the public host is Shop's, and the mesh
    // route is tied to Shop through the gateway's route rather than to every API by path.
    assert!(
        found.contains(&at("operation-unrouted", "billing.yaml", 17, 5)),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|found| found.0 == "operation-unrouted" && found.1 == "shop.yaml"),
        "{found:?}"
    );
    // The gateway sends straight to the workloads: 3 × 4 calls and a 4 s wait behind a 2 s try
    // would be a stack no request takes.
    let rules = rules_of(&report);
    assert!(
        !rules.contains(&"retry-amplification".to_string()),
        "{found:?}"
    );
    assert!(
        !rules.contains(&"timeout-layer-inversion".to_string()),
        "{found:?}"
    );
}

#[test]
fn a_route_in_front_of_the_sidecars_still_stacks_with_the_mesh_route() {
    let dir = project(&[
        ("shop.yaml", SHOP.as_bytes()),
        ("istio.yaml", EDGE_AND_MESH.as_bytes()),
        ("kong.yaml", KONG.as_bytes()),
    ]);
    let (_, report) = lint_json(dir.path(), &["."]);
    let found = located(&report);
    // Kong (1 + 2 retries) × the mesh route (1 + 3): reported at Kong's `retries`; Istio's
    // public route is not a factor of it.
    assert!(
        found.contains(&at("retry-amplification", "kong.yaml", 6, 14)),
        "{found:?}"
    );
    let amplification = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|finding| finding["rule"] == "retry-amplification")
        .map(|finding| finding["message"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>();
    assert_eq!(amplification.len(), 1, "{amplification:?}");
    assert!(
        amplification[0].starts_with("3 × 4 = 12 upstream calls per request"),
        "{amplification:?}"
    );
    assert!(
        !amplification[0].contains("public-items"),
        "{amplification:?}"
    );
    // Kong gives up after 5 s; the mesh route waits up to 4 s: no inversion.
    assert!(
        !rules_of(&report).contains(&"timeout-layer-inversion".to_string()),
        "{found:?}"
    );
}

/// Bound to the public gateway and to `mesh`: a route in each layer, at the same line; a
/// match block's own `gateways` replace the VirtualService's.
const BOTH: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: items
  namespace: shop
spec:
  hosts:
    - shop.example.com
    - items.shop.svc.cluster.local
  gateways:
    - istio-system/public
    - mesh
  http:
    - name: internal-only
      match:
        - uri:
            prefix: /items/internal
          gateways:
            - mesh
      route:
        - destination:
            host: items.shop.svc.cluster.local
    - name: items
      match:
        - uri:
            prefix: /items
      route:
        - destination:
            host: items.shop.svc.cluster.local
      timeout: 4s
      retries:
        attempts: 3
        perTryTimeout: 1s
";

#[test]
fn a_virtual_service_bound_to_a_gateway_and_the_mesh_is_a_route_in_each_layer() {
    let dir = project(&[
        ("shop.yaml", SHOP.as_bytes()),
        ("istio.yaml", BOTH.as_bytes()),
    ]);
    let report = routes_json(dir.path());
    let rows: Vec<(String, String, String, u64)> = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| {
            (
                route["name"].as_str().unwrap_or_default().to_string(),
                route["layer_kind"].as_str().unwrap_or_default().to_string(),
                route["path"].as_str().unwrap_or_default().to_string(),
                route["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = |name: &str, layer: &str, path: &str, line: u64| {
        (name.to_string(), layer.to_string(), path.to_string(), line)
    };
    assert_eq!(
        rows,
        [
            expected("items", "edge", "/items*", 23),
            expected("internal-only", "mesh", "/items/internal*", 14),
            expected("items", "mesh", "/items*", 23),
        ]
    );
    // One VirtualService applied once per request, by the gateway or by a sidecar: its 4
    // attempts are not multiplied by themselves.
    let (_, report) = lint_json(dir.path(), &["."]);
    assert!(
        !rules_of(&report).contains(&"retry-amplification".to_string()),
        "{:?}",
        located(&report)
    );
}
