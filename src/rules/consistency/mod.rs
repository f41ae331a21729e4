//! Consistency rules: does the API description match what the gateways actually route?

pub mod gateway_errors_undocumented;
pub mod method_mismatch;
pub mod operation_unrouted;
pub mod route_undocumented;

pub use super::describe_route;
