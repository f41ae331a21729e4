//! NewGateway: routes with their methods, paths and timeouts, at their lines and columns.

use crate::inventory;

use inventory::{at, findings, fixtures_detected_by, lint, route, route_labels, timeout_ms};

const CONFIG: &str = "fixtures/new_gateway/new_gateway.yaml";

#[test]
fn routes_are_read_with_their_timeouts() {
    let outcome = lint(&[CONFIG]);
    assert_eq!(route_labels(&outcome, CONFIG), ["GET /pets", "POST /pets"]);
    let list = route(&outcome, CONFIG, "GET /pets");
    assert_eq!(at(&outcome, list.location), format!("{CONFIG}:3:5"));
    assert_eq!(timeout_ms(list), Some(5000));
    assert_eq!(timeout_ms(route(&outcome, CONFIG, "POST /pets")), None);
    assert!(findings(&outcome, "invalid-value", CONFIG).is_empty());
}

#[test]
fn only_its_own_fixtures_are_detected_as_new_gateway() {
    assert_eq!(fixtures_detected_by("new-gateway"), [CONFIG]);
}
