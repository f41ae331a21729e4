//! Chain arithmetic shared by the AI gateway adapters: how many upstream calls one request can
//! cause while an AI gateway walks its fallback chain, how long that can take, and the sentence
//! that explains the count ("3 attempts × 3 model groups (gpt-4o → claude → llama) = 9 calls").

use std::time::Duration;

/// One stop of the chain: a model group (or target) tried with all its attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub label: String,
    /// Upstream calls the stop makes when every attempt fails.
    pub calls: u32,
    /// How those calls come about, e.g. `3 attempts` or `3 attempts × 2 client tries`.
    pub arithmetic: String,
    /// The longest the stop can take, waits between attempts included; `None` when a call has
    /// no bound.
    pub longest: Option<Duration>,
}

/// `1 attempt`, `3 attempts`: the start of a stop's arithmetic.
pub fn attempts(count: u32) -> String {
    if count == 1 {
        "1 attempt".to_string()
    } else {
        format!("{count} attempts")
    }
}

pub fn total_calls(runs: &[Run]) -> u32 {
    runs.iter()
        .fold(0u32, |sum, run| sum.saturating_add(run.calls))
}

/// The whole chain's longest time; `None` when a stop has no bound.
pub fn total_time(runs: &[Run]) -> Option<Duration> {
    runs.iter().try_fold(Duration::ZERO, |sum, run| {
        run.longest
            .map(|longest| sum.checked_add(longest).unwrap_or(Duration::MAX))
    })
}

/// `3 attempts × 2 model groups (gpt-4o → claude) = 6 calls`, or the sum when the stops differ.
/// `truncated`: the walk was cut short, so the count is a lower bound.
pub fn explain(runs: &[Run], noun: &str, truncated: bool) -> String {
    let total = total_calls(runs);
    let at_least = if truncated { "at least " } else { "" };
    let chain = crate::model::ai::chain_text(runs.iter().map(|run| run.label.clone()));
    match runs {
        [] => format!("{at_least}0 calls"),
        [only] => format!("{} = {at_least}{total} calls", only.arithmetic),
        [first, rest @ ..] if rest.iter().all(|run| run.arithmetic == first.arithmetic) => {
            format!(
                "{} × {} {noun}s ({chain}) = {at_least}{total} calls",
                first.arithmetic,
                runs.len()
            )
        }
        _ if runs.len() > 12 => format!(
            "{} stops along {chain} = {at_least}{total} calls",
            runs.len()
        ),
        _ => format!(
            "{} calls along {chain} = {at_least}{total} calls",
            runs.iter()
                .map(|run| run.calls.to_string())
                .collect::<Vec<_>>()
                .join(" + ")
        ),
    }
}

/// The waits before `retries` retries that start at `first` and double each time, each capped
/// at `cap` when there is one.
pub fn doubling_waits(first: Duration, cap: Option<Duration>, retries: u32) -> Duration {
    (0..retries.min(64))
        .map(|retry| {
            let wait = first
                .checked_mul(1u32 << retry.min(30))
                .unwrap_or(Duration::MAX);
            cap.map_or(wait, |cap| wait.min(cap))
        })
        .fold(Duration::ZERO, |sum, wait| {
            sum.checked_add(wait).unwrap_or(Duration::MAX)
        })
}

/// `attempts × per_call + waits`, saturating.
pub fn run_time(attempts: u32, per_call: Duration, waits: Duration) -> Duration {
    per_call
        .checked_mul(attempts)
        .and_then(|calls| calls.checked_add(waits))
        .unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(label: &str, calls: u32, arithmetic: &str, seconds: Option<u64>) -> Run {
        Run {
            label: label.to_string(),
            calls,
            arithmetic: arithmetic.to_string(),
            longest: seconds.map(Duration::from_secs),
        }
    }

    #[test]
    fn explanations() {
        let same = [
            run("gpt-4o", 3, "3 attempts", Some(30)),
            run("claude", 3, "3 attempts", Some(30)),
            run("llama", 3, "3 attempts", Some(30)),
        ];
        assert_eq!(
            explain(&same, "model group", false),
            "3 attempts × 3 model groups (gpt-4o → claude → llama) = 9 calls"
        );
        assert_eq!(total_time(&same), Some(Duration::from_secs(90)));
        let mixed = [
            run("a", 3, "3 attempts", Some(1)),
            run("b", 1, "1 attempt", None),
        ];
        assert_eq!(
            explain(&mixed, "target", true),
            "3 + 1 calls along a → b = at least 4 calls"
        );
        assert_eq!(total_time(&mixed), None);
        assert_eq!(
            explain(
                &[run("a", 6, "3 attempts × 2 client tries", None)],
                "x",
                false
            ),
            "3 attempts × 2 client tries = 6 calls"
        );
    }

    #[test]
    fn waits_double_up_to_the_cap() {
        let half = Duration::from_millis(500);
        assert_eq!(
            doubling_waits(half, Some(Duration::from_secs(8)), 6),
            Duration::from_millis(500 + 1000 + 2000 + 4000 + 8000 + 8000)
        );
        assert_eq!(
            doubling_waits(Duration::from_secs(1), None, 3),
            Duration::from_secs(7)
        );
        assert_eq!(doubling_waits(half, None, 0), Duration::ZERO);
        assert_eq!(
            run_time(u32::MAX, Duration::MAX, Duration::ZERO),
            Duration::MAX
        );
    }
}
