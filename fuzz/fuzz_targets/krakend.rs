//! KrakenD's adapter.
//! The first byte picks the gateway and whether its header is prepended (`lint_gateway`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard_fuzz::{families, lint_gateway};

fuzz_target!(|data: &[u8]| lint_gateway(data, &families::KRAKEND));
