//! Regular expressions from the input (gateway route paths, header matchers), compiled with
//! small limits and once per distinct pattern.
//!
//! The regex crate's defaults allow a pattern to compile to 10 MiB, which takes a fifth of a
//! second: a few kilobytes of hostile routes would then cost minutes. Real route patterns
//! compile to a few kilobytes (`^/(?<name>[\w-]+)/.*$`, Unicode classes and all, to under
//! 64 KiB), so the limits below leave them room while an oversized pattern is refused as an
//! invalid value; compiling up to the limit, or failing at it, takes about 0.3 ms. Route files
//! repeat patterns, hence the cache, whose size is bounded: a compiled pattern holds some 13 KB,
//! and a file of hundreds of thousands of distinct patterns must not hold them all.

use crate::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::{Regex, RegexBuilder};

/// The most a compiled pattern may take (the regex crate's `size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024;
/// The most the lazy DFA of one pattern may cache (`dfa_size_limit`).
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// The most patterns the cache holds. When it is full it starts again empty: patterns a run
/// repeats are soon cached again, and memory stays under this many compiled patterns.
pub const CACHED_PATTERNS: usize = 1024;

type Compiled = Result<Regex, regex::Error>;

fn cache() -> &'static Mutex<HashMap<String, Compiled>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Compiles `pattern` under the limits, or returns the error of an earlier attempt.
pub fn compile(pattern: &str) -> Compiled {
    // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
    let mut cache = cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(compiled) = cache.get(pattern) {
        return compiled.clone();
    }
    let compiled = RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build();
    if cache.len() >= CACHED_PATTERNS {
        cache.clear();
    }
    cache.insert(pattern.to_string(), compiled.clone());
    compiled
}

/// Empties the cache, so that the next run compiles its patterns afresh: for callers whose
/// runs must not depend on the ones before (the fuzz targets, which measure what code each run
/// reaches; a cached pattern's search state carries over from earlier runs).
pub fn forget_compiled() {
    cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
}

/// How many patterns the cache holds now.
#[cfg(test)]
fn cached() -> usize {
    cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .len()
}

/// Whether `pattern` compiles under the limits.
pub fn is_valid(pattern: &str) -> bool {
    compile(pattern).is_ok()
}

/// What is wrong with a pattern, on one line.
pub fn problem(error: &regex::Error) -> String {
    if let regex::Error::CompiledTooBig(limit) = error {
        return format!(
            "the pattern compiles to more than {} KiB, the most routeguard accepts",
            limit / 1024
        );
    }
    let text = error.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_route_patterns_compile() {
        assert!(compile(r"^/users/(?<id>[0-9]+)/orders/[a-z-]{1,64}$").is_ok());
    }

    #[test]
    fn a_pattern_that_compiles_too_big_is_refused_with_a_reason() {
        let error = compile(r"\w{1000}\w{1000}\w{1000}").expect_err("too big");
        assert!(problem(&error).contains("KiB"), "{}", problem(&error));
    }

    #[test]
    fn real_route_patterns_with_unicode_classes_fit_the_limit() {
        for pattern in [
            r"^/(?<name>[\w-]+)/.*$",
            r"(?i)^/API/(items|orders)/\d{1,10}$",
            r"^/api/v\d+/(.+)$",
        ] {
            assert!(compile(pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn the_cache_holds_at_most_its_bound_however_many_patterns_a_run_compiles() {
        for index in 0..CACHED_PATTERNS * 3 {
            assert!(compile(&format!("^/bounded/{index}/[a-z]+$")).is_ok());
            assert!(cached() <= CACHED_PATTERNS);
        }
    }

    #[test]
    fn syntax_errors_fit_on_one_line() {
        let error = compile("/a/(").expect_err("unclosed");
        assert_eq!(problem(&error), "unclosed group");
    }
}
