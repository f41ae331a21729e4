//! The yaml loader on arbitrary bytes: a tree or a located error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard::source::{parse_text, Syntax};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_text(text, Syntax::Yaml);
    }
});
