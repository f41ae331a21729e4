//! The config loader (`routeguard.yaml`) on arbitrary bytes: a config or located problems.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard::config::parse_config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_config(
            text,
            std::path::Path::new("/fuzz/routeguard.yaml"),
            "routeguard.yaml",
        );
    }
});
