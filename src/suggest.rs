//! "Did you mean …?" for misspelt names: rule ids, config keys, presets, option values.

/// The candidate nearest to `word`, if one is close enough to be a likely misspelling or an
/// abbreviation (`warn` for `warning`).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let lower = candidate.to_lowercase();
            (strsim::levenshtein(&word, &lower), lower, candidate)
        })
        .filter(|(distance, lower, candidate)| {
            *distance <= (candidate.len() / 3).max(2)
                || (word.len() >= 3 && lower.starts_with(&word))
        })
        .min_by_key(|(distance, _, _)| *distance)
        .map(|(_, _, candidate)| candidate)
}

/// `; did you mean `x`?` or nothing.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|close| format!("; did you mean `{close}`?"))
        .unwrap_or_default()
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
}
