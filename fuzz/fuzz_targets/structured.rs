//! Structure-aware: deep, wide, anchored, aliased and merged YAML under a gateway's or a spec's
//! header, generated far past the 4 KB where byte-level fuzzing stops, through the pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard_fuzz::{Document, Reports};

fuzz_target!(|document: Document| {
    routeguard_fuzz::lint_one("input.yaml", document.render().as_bytes(), Reports::Placed);
});
