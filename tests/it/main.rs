//! The integration tests, in one binary: each module tests one concern through the library or
//! the built `routeguard` binary.

mod common;
mod inventory;

mod accuracy;
mod action;
mod ai_gateways;
mod architecture;
mod catalog;
mod cli;
mod config;
mod config_schema;
mod cross_layer;
mod custom_rules;
mod detection;
mod fallback_graphs;
mod fault_injection;
mod format_apisix;
mod format_aws;
mod format_envoy;
mod format_envoy_gateway;
mod format_gateway_api;
mod format_google;
mod format_ingress_nginx;
mod format_krakend;
mod format_kuma;
mod format_linkerd;
mod format_spring_cloud_gateway;
mod format_traefik;
mod format_tyk;
mod gateways;
mod help_per_gateway;
mod hostile;
mod loading;
mod locations;
mod monorepo;
mod output;
mod real_configs;
mod release;
mod report_docs;
mod reports;
mod resilience;
mod scorecard;
mod stdin;
mod toml_loading;
mod truth;
