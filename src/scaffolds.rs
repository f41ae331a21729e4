//! The templates `cargo xtask new-rule` and `cargo xtask new-gateway` write (xtask/templates/),
//! compiled here as they are written, so that a scaffold compiles right after it ran.

use crate::diagnostic::Diagnostic;
use crate::model::join::Join;
use crate::model::Inventory;
use crate::rule_id::BuiltinRule;
use crate::rules::{Check, RuleInputs};

#[path = "../xtask/templates/rule.rs"]
mod rule;

/// build.rs registers the rule of each catalog entry; the template stands in for one without
/// options.
impl crate::rules::Registered for rule::NewRule {
    const ID: BuiltinRule = BuiltinRule::RetryWithoutBackoff;
}

mod gateway {
    // The template, with an existing `GatewayFormat` for the one the scaffold adds.
    include!(concat!(env!("OUT_DIR"), "/scaffold_gateway.rs"));
}

#[test]
fn the_rule_template_compiles_and_reports_nothing_until_written() {
    struct Everything;
    impl crate::rules::RuleSettings for Everything {
        fn may_run(&self, _: BuiltinRule) -> bool {
            true
        }
        fn option_layers(&self, _: BuiltinRule) -> crate::rules::OptionLayers<'_> {
            crate::rules::OptionLayers::default()
        }
        fn override_applies(&self, _: usize, _: &std::path::Path, _: Option<&str>) -> bool {
            false
        }
    }
    struct NoFiles;
    impl crate::span::FileNames for NoFiles {
        fn display(&self, _: crate::span::FileId) -> &str {
            ""
        }
        fn path(&self, _: crate::span::FileId) -> &std::path::Path {
            std::path::Path::new("")
        }
        fn text(&self, _: crate::span::FileId) -> Option<crate::span::SourceText<'_>> {
            None
        }
    }
    let (inventory, join) = (Inventory::default(), Join::default());
    let mut out: Vec<Diagnostic> = Vec::new();
    rule::NewRule.run(
        &RuleInputs {
            inventory: &inventory,
            workspace: &NoFiles,
            join: &join,
            config: &Everything,
        },
        &mut out,
    );
    assert!(out.is_empty());
    assert!(rule::NewRule.option_mismatches().is_empty());
}

#[test]
fn the_gateway_template_compiles_and_detects_its_fixture() {
    let fixture = include_str!("../xtask/templates/gateway_fixture.yaml");
    let loaded = crate::source::parse_text(fixture, crate::source::Syntax::Yaml).unwrap();
    let document = &loaded.documents[0];
    assert!((gateway::ADAPTER.detect)(document));
    assert_eq!(gateway::ADAPTER.name, "new-gateway");
    assert!(crate::formats::ADAPTERS
        .iter()
        .all(|adapter| !(adapter.detect)(document)));
}
