//! Documentation rules: what an API description must say about each operation.

pub mod error_responses;
pub mod operation_description;
pub mod operation_id;
pub mod operation_summary;
pub mod retry_after_undocumented;
