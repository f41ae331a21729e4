//! The whole `lint` pipeline, every report rendered, on one arbitrary file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard_fuzz::Reports;

fuzz_target!(|data: &[u8]| {
    routeguard_fuzz::lint_one("input.yaml", data, Reports::Every);
});
