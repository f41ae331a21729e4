//! Detection never misfires: every document of every fixture is recognised only by the adapter
//! its folder is named after (plus the OpenAPI adapter for the specs that sit beside gateway
//! configs for join tests), and files outside format folders only as OpenAPI.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use routeguard::formats::{self, ADAPTERS};
use routeguard::lint::{lint_in, LintOptions};

fn normalized(name: &str) -> String {
    name.replace('_', "-")
}

/// Formats whose policies attach to Gateway API `HTTPRoute`s.
const ATTACH_TO_GATEWAY_API: &[&str] = &["envoy-gateway", "linkerd"];

#[test]
fn every_detector_on_every_fixture() {
    let root = common::repo();
    let adapters: BTreeSet<String> = ADAPTERS.iter().map(|a| normalized(a.name)).collect();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("fixtures")).expect("fixtures/") {
        let folder = entry.expect("entry").path();
        if !folder.is_dir() {
            continue;
        }
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = lint_in(
            &LintOptions {
                paths: vec![PathBuf::from("fixtures").join(&name)],
                root: Some(root.clone()),
                ..LintOptions::default()
            },
            &root,
        )
        .expect("lints");
        if common::is_corpus(&folder) {
            continue;
        }
        let expected: BTreeSet<String> = if adapters.contains(&name) {
            // Envoy Gateway's and Linkerd's policies attach to Gateway API routes, which sit
            // beside them.
            let mut expected: BTreeSet<String> = [name.clone(), "openapi".to_string()].into();
            if ATTACH_TO_GATEWAY_API.contains(&name.as_str()) {
                expected.insert("gateway-api".to_string());
            }
            expected
        } else {
            // Whole projects hold every kind of input; elsewhere only specs.
            if [
                "demo",
                "layers",
                "monorepo",
                "multi-layer",
                "cross-layer",
                "truth",
                "well-configured",
            ]
            .contains(&name.as_str())
            {
                adapters.clone()
            } else {
                ["openapi".to_string()].into()
            }
        };
        for file in outcome.workspace.files() {
            let mut expected = expected.clone();
            // The spec ESPv2 generated an Envoy bootstrap from is Google's gateway config too.
            if file.display.starts_with("fixtures/envoy/esp-v2/") {
                expected.insert("google".to_string());
            }
            for document in &file.documents {
                let found: BTreeSet<String> = formats::detect(document)
                    .map(|a| normalized(a.name))
                    .collect();
                assert!(
                    found.is_subset(&expected),
                    "{}: detected as {found:?}, expected only {expected:?}",
                    file.display
                );
                assert!(found.len() <= 2, "{}: detected as {found:?}", file.display);
                if found.len() == 2 {
                    // Only an OpenAPI document can also be a gateway's (AWS, Google or Tyk OAS
                    // extensions).
                    assert!(
                        found.contains("openapi")
                            && (found.contains("aws")
                                || found.contains("google")
                                || found.contains("tyk")),
                        "{}: {found:?}",
                        file.display
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} documents checked");
}
