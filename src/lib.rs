//! routeguard: an API governance linter.
//!
//! Data flows one way: [`discover`] → [`source`] (load, spanned trees, `$ref`s) → [`formats`]
//! (detect + adapt) → [`model`] → [`rules`] → [`report`]. [`lint`] runs the pipeline; [`config`]
//! decides which rules run where, and which findings are suppressed.

pub mod catalog;
pub mod cli;
pub mod collections;
pub mod config;
pub mod custom;
pub mod diagnostic;
pub mod discover;
pub mod formats;
pub mod lint;
pub mod model;
pub mod outcome;
pub mod report;
pub mod rule_id;
pub mod rules;
#[cfg(test)]
mod scaffolds;
pub mod source;
pub mod span;
pub mod suggest;
pub mod units;
