//! Durations as routeguard prints them, in every message, table and report. A leaf: it depends on
//! nothing else in the crate.

use std::time::Duration;

/// The shortest exact rendering, for messages, tables and option values: `1.5s`, `250ms`, `2m`,
/// `1h30m`, `90s`, `0s`; below a millisecond `300µs` or `10ns`. Whole minutes and hours are
/// named as such; anything else is counted in seconds, so that a sum in a message (`10s + 1m =
/// 70s`) reads without conversion.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return if duration.is_zero() {
            "0s".to_string()
        } else if duration.subsec_nanos().is_multiple_of(1000) {
            format!("{}µs", duration.as_micros())
        } else {
            format!("{}ns", duration.as_nanos())
        };
    }
    if millis.is_multiple_of(3_600_000) {
        return format!("{}h", millis / 3_600_000);
    }
    if millis.is_multiple_of(60_000) && millis >= 60_000 {
        let minutes = millis / 60_000;
        return if minutes >= 60 {
            format!("{}h{}m", minutes / 60, minutes % 60)
        } else {
            format!("{minutes}m")
        };
    }
    if millis.is_multiple_of(1000) {
        return format!("{}s", millis / 1000);
    }
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let seconds = format!("{}.{:03}", millis / 1000, millis % 1000);
    format!("{}s", seconds.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(15)), "15s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    /// Option values print as messages do: 90s was `1m30s` here when options had a formatter
    /// of their own.
    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn mixed_and_small_units() {
        assert_eq!(format_duration(Duration::from_millis(3_600_500)), "3600.5s");
        assert_eq!(format_duration(Duration::from_millis(61_250)), "61.25s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_micros(300)), "300µs");
        assert_eq!(format_duration(Duration::from_nanos(10)), "10ns");
        assert_eq!(format_duration(Duration::from_millis(1001)), "1.001s");
    }
}
