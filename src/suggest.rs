//! "Did you mean …?" for misspelt names: rule ids, config keys, presets, option values, model
//! groups.
//!
//! A suggestion compares the name with every candidate, character by character: a file of many
//! misspelt names against many candidates would take quadratic time. So names longer than
//! [`MAX_CHARS`] get no suggestion, a candidate whose length alone rules it out is not compared,
//! and one [`Suggester`] does at most [`WORK`] character comparisons, after which its names get
//! no suggestion.

/// The longest name that gets a suggestion: a name of thousands of characters is no misspelling.
pub const MAX_CHARS: usize = 64;

/// Character comparisons one [`Suggester`] does at most: thousands of misspellings against the
/// catalog's rule ids, milliseconds of work.
pub const WORK: usize = 20_000_000;

/// Finds close names within a bound on the work done, shared by every name it is asked about:
/// one per file or per run, where names come from the input.
#[derive(Debug)]
pub struct Suggester {
    work_left: usize,
}

impl Default for Suggester {
    fn default() -> Self {
        Suggester { work_left: WORK }
    }
}

impl Suggester {
    /// One that does at most `work` character comparisons.
    pub fn with_work(work: usize) -> Self {
        Suggester { work_left: work }
    }

    /// The candidate nearest to `word`, if one is close enough to be a likely misspelling or an
    /// abbreviation (`warn` for `warning`), and the work left allows looking.
    pub fn closest<'a>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        let word = word.to_lowercase();
        let word_chars = word.chars().count();
        let mut best: Option<(usize, &'a str)> = None;
        for candidate in candidates {
            let lower = candidate.to_lowercase();
            let candidate_chars = lower.chars().count();
            let allowed = (candidate.len() / 3).max(2);
            let prefix = word.len() >= 3 && lower.starts_with(&word);
            // The distance is at least the difference in length.
            let comparable = word_chars <= MAX_CHARS
                && candidate_chars <= MAX_CHARS
                && word_chars.abs_diff(candidate_chars) <= allowed;
            let distance = if comparable {
                let work = word_chars.max(1) * candidate_chars.max(1);
                if work > self.work_left {
                    self.work_left = 0;
                    None
                } else {
                    self.work_left -= work;
                    Some(strsim::levenshtein(&word, &lower))
                }
            } else {
                None
            };
            let close = match distance {
                Some(distance) if distance <= allowed => Some(distance),
                // A prefix of an unmeasured candidate ranks as its length difference.
                _ if prefix => Some(distance.unwrap_or(candidate_chars - word_chars)),
                _ => None,
            };
            if let Some(distance) = close {
                if best.is_none_or(|(nearest, _)| distance < nearest) {
                    best = Some((distance, candidate));
                }
            }
        }
        best.map(|(_, candidate)| candidate)
    }

    /// `; did you mean `x`?` or nothing.
    pub fn hint<'a>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> String {
        self.closest(word, candidates)
            .map(|close| format!("; did you mean `{close}`?"))
            .unwrap_or_default()
    }
}

/// The candidate nearest to `word`, for one name against a fixed list (the catalog's, the
/// config schema's): see [`Suggester::closest`].
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    Suggester::default().closest(word, candidates)
}

/// `; did you mean `x`?` or nothing, for one name against a fixed list.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    Suggester::default().hint(word, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let names = ["operation-summary", "operation-id", "error-responses"];
        assert_eq!(
            closest("operation-sumary", names),
            Some("operation-summary")
        );
        assert_eq!(closest("operationid", names), Some("operation-id"));
        assert_eq!(closest("timeout-missing", names), None);
        assert_eq!(
            closest("warn", ["error", "warning", "info"]),
            Some("warning")
        );
        assert_eq!(closest("in", ["error", "warning", "info"]), Some("info"));
        assert_eq!(
            closest("Camelcase", ["camelCase", "snake_case"]),
            Some("camelCase")
        );
    }

    #[test]
    fn a_name_longer_than_any_misspelling_is_compared_only_as_a_prefix() {
        let long = "x".repeat(100_000);
        let other = format!("{}y", "x".repeat(99_999));
        assert_eq!(closest(&long, ["timeout-missing", &other]), None);
        let long_candidate = format!("timeout-{}", "y".repeat(MAX_CHARS));
        assert_eq!(
            closest("timeout", [long_candidate.as_str()]),
            Some(long_candidate.as_str())
        );
    }

    #[test]
    fn the_work_is_bounded_across_names() {
        let candidates: Vec<String> = (0..1_000)
            .map(|index| format!("group-{index:05}"))
            .collect();
        let mut suggester = Suggester::with_work(1_500_000);
        let mut found = 0;
        for index in 0..1_000 {
            let word = format!("group-{:05}x", index % 1_000);
            found += usize::from(
                suggester
                    .closest(&word, candidates.iter().map(String::as_str))
                    .is_some(),
            );
        }
        // Each name costs 12 × 11 comparisons a candidate, 132,000 against all of them: 11
        // names are looked up whole, the 12th finds its match before the work runs out, and no
        // name after it is looked up.
        assert_eq!(found, 12);
        assert_eq!(suggester.work_left, 0);
    }
}
