//! Structure-aware: deep, wide, anchored, aliased and merged YAML under a gateway's or a spec's
//! header, generated far past the 4 KB where byte-level fuzzing stops, through the pipeline.
//!
//! `ROUTEGUARD_FUZZ_DOCUMENT=FILE` writes the document an input renders to FILE, so that an
//! artifact can be linted again outside the fuzzer (`routeguard lint FILE`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard_fuzz::{Document, Reports};

fuzz_target!(|document: Document| {
    let text = document.render();
    if let Some(path) = std::env::var_os("ROUTEGUARD_FUZZ_DOCUMENT") {
        let _ = std::fs::write(path, &text);
    }
    routeguard_fuzz::lint_one("input.yaml", text.as_bytes(), Reports::Placed);
});
