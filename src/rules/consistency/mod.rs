//! Consistency rules: does the API description match what the gateways actually route?

pub mod gateway_errors_undocumented;
pub mod method_mismatch;
pub mod operation_unrouted;
pub mod route_undocumented;

use crate::model::Route;
use crate::source::Workspace;

/// `Kong route `list-pets` (GET /v1/pets*) in gateway/kong.yaml`, for messages.
pub fn describe_route(workspace: &Workspace, route: &Route) -> String {
    let name = route
        .name
        .as_deref()
        .map(|name| format!(" `{name}`"))
        .unwrap_or_default();
    format!(
        "{} route{name} ({}) in {}",
        route.format,
        route.label(),
        workspace.file(route.location.file).display
    )
}
