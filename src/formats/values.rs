//! Reading gateway values: each dialect's own duration grammar and unit, and counts. A value that
//! cannot be read is an error message for an `invalid-value` finding, never a silent zero.

use std::time::Duration;

use crate::source::{Node, ScalarKind};

/// The duration grammars of the formats routeguard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Protobuf JSON `Duration`: `"1.5s"` (seconds only, up to 9 decimals), or
    /// `{seconds, nanos}`. Envoy.
    Protobuf,
    /// Go's `time.ParseDuration`: `"1h30m"`, `"1.5s"`, `"300ms"`. Istio, KrakenD.
    Go,
    /// GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, no fractions. Gateway API.
    GatewayApi,
    /// A Go duration, or a whole number of seconds (paerser's `types.Duration`). Traefik.
    GoOrSeconds,
    /// A whole number of milliseconds. Kong, AWS, Portkey.
    Milliseconds,
    /// A number of seconds, fractions allowed. APISIX, LiteLLM, KrakenD circuit breakers.
    Seconds,
    /// A whole number and one unit, `ms`, `s`, `m`, `h` or `d`, or a bare `0`: Linkerd's
    /// annotations (`parse_duration` in the policy controller's `outbound/index.rs`).
    WholeWithUnit,
    /// Spring Boot's `Duration`: a whole number with a unit (`500ms`, `5s`, `1m`), an ISO-8601
    /// duration (`PT1.5S`), or a bare number of milliseconds (`DurationStyle`). Spring Cloud
    /// Gateway, Resilience4j.
    Spring,
}

impl Dialect {
    /// What the dialect accepts, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Dialect::Protobuf => "a protobuf duration such as \"1.5s\"",
            Dialect::Go => "a duration such as \"1.5s\", \"300ms\" or \"1m30s\"",
            Dialect::GatewayApi => {
                "a Gateway API duration such as \"10s\" or \"1m30s\" (no fractions)"
            }
            Dialect::GoOrSeconds => "a duration such as \"1.5s\" or a whole number of seconds",
            Dialect::Milliseconds => "a whole number of milliseconds",
            Dialect::Seconds => "a number of seconds",
            Dialect::WholeWithUnit => "a whole number and a unit, such as \"300ms\" or \"5s\"",
            Dialect::Spring => "a duration such as \"500ms\", \"5s\" or \"PT1.5S\"",
        }
    }
}

/// Reads a duration written in `dialect`.
pub fn duration(node: &Node, dialect: Dialect) -> Result<Duration, String> {
    let invalid = || format!("{} is not {}", shown(node), dialect.expected());
    if dialect == Dialect::Protobuf && node.is_map() {
        let seconds = node
            .get("seconds")
            .map_or(Ok(0), integer)
            .map_err(|_| invalid())?;
        let nanos = node
            .get("nanos")
            .map_or(Ok(0), integer)
            .map_err(|_| invalid())?;
        if seconds < 0 || !(0..1_000_000_000).contains(&nanos) {
            return Err(invalid());
        }
        return Ok(Duration::new(seconds as u64, nanos as u32));
    }
    let text = node.scalar_text().ok_or_else(invalid)?.trim();
    let numeric = matches!(
        node.scalar_kind(),
        Some(ScalarKind::Int | ScalarKind::Float)
    );
    let parsed = match dialect {
        Dialect::Protobuf => protobuf(text),
        Dialect::Go => go(text),
        Dialect::GatewayApi => gateway_api(text),
        // A bare whole number is seconds; anything else must carry its unit (`1.5` does not).
        Dialect::GoOrSeconds => match text.parse::<u64>() {
            Ok(whole) => Some(Duration::from_secs(whole)),
            Err(_) if numeric => None,
            Err(_) => go(text),
        },
        Dialect::Milliseconds => text.parse::<u64>().ok().map(Duration::from_millis),
        Dialect::Seconds => seconds(text),
        Dialect::WholeWithUnit => whole_with_unit(text),
        Dialect::Spring => spring(text),
    };
    parsed.ok_or_else(invalid)
}

/// Whether a weighted target or destination gets traffic: a `weight` of 0 turns it off.
pub fn carries_traffic(target: &Node) -> bool {
    target
        .get("weight")
        .and_then(Node::scalar_text)
        .and_then(|weight| weight.parse::<u32>().ok())
        != Some(0)
}

/// The text of each scalar among `items` (host names, domains); anything else is skipped.
pub fn scalar_texts(items: &[Node]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item.scalar_text().map(str::to_string))
        .collect()
}

/// A non-negative whole number (`3`, `"3"` is not accepted: counts are numbers).
pub fn count(node: &Node) -> Result<u32, String> {
    match node.scalar_kind() {
        Some(ScalarKind::Int) => node
            .scalar_text()
            .and_then(|text| text.parse::<u32>().ok())
            .ok_or_else(|| format!("{} is not a count (0 or more)", shown(node))),
        _ => Err(format!("expected a whole number, found {}", shown(node))),
    }
}

fn integer(node: &Node) -> Result<i64, ()> {
    node.scalar_text()
        .and_then(|text| text.trim_matches('"').parse::<i64>().ok())
        .ok_or(())
}

fn seconds(text: &str) -> Option<Duration> {
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && (0.0..1e12).contains(&value)).then(|| Duration::from_secs_f64(value))
}

fn whole_with_unit(text: &str) -> Option<Duration> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let scale = match unit {
        "" if number == "0" => 0,
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    let millis = number.parse::<u64>().ok()?.checked_mul(scale)?;
    Some(Duration::from_millis(millis))
}

fn spring(text: &str) -> Option<Duration> {
    if let Some(iso) = text.strip_prefix("PT").or_else(|| text.strip_prefix("pt")) {
        let mut total = 0f64;
        let mut rest = iso;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let scale = match rest[end..].chars().next()?.to_ascii_uppercase() {
                'H' => 3600.0,
                'M' => 60.0,
                'S' => 1.0,
                _ => return None,
            };
            total += rest[..end].parse::<f64>().ok()? * scale;
            rest = &rest[end + 1..];
        }
        return (!iso.is_empty() && (0.0..1e12).contains(&total))
            .then(|| Duration::from_secs_f64(total));
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let value: u64 = text[..split].parse().ok()?;
    let nanos: u64 = match text[split..].to_ascii_lowercase().as_str() {
        "ns" => 1,
        "us" => 1_000,
        "" | "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    value.checked_mul(nanos).map(Duration::from_nanos)
}

fn protobuf(text: &str) -> Option<Duration> {
    let number = text.strip_suffix('s')?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 9
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (number.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    Some(Duration::new(secs, nanos))
}

/// Go's `time.ParseDuration` grammar; negative durations are not timeouts and are refused.
fn go(text: &str) -> Option<Duration> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() || text.starts_with('-') {
        return None;
    }
    let mut rest = text;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * nanos_per_unit;
    }
    (total.is_finite() && total < 1e21).then(|| Duration::from_nanos(total as u64))
}

fn gateway_api(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut parts = 0;
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 || digits > 5 {
            return None;
        }
        let value: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, length) = if rest.starts_with("ms") {
            (Duration::from_millis(1), 2)
        } else if rest.starts_with('h') {
            (Duration::from_secs(3600), 1)
        } else if rest.starts_with('m') {
            (Duration::from_secs(60), 1)
        } else if rest.starts_with('s') {
            (Duration::from_secs(1), 1)
        } else {
            return None;
        };
        rest = &rest[length..];
        total += unit * u32::try_from(value).ok()?;
        parts += 1;
    }
    (1..=4).contains(&parts).then_some(total)
}

/// A value as messages show it: a scalar's text in backticks, else its type (`a mapping`).
pub fn shown(node: &Node) -> String {
    node.scalar_text()
        .map_or_else(|| node.type_name().to_string(), |text| format!("`{text}`"))
}

/// What is wrong with a regular expression, in one line: the last line of the `regex` crate's
/// message, without its drawing of where.
pub fn regex_problem(error: &regex::Error) -> String {
    crate::model::pattern::problem(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Node, ScalarKind};
    use crate::span::Span;

    fn text(value: &str) -> Node {
        Node::scalar(Span::default(), value, ScalarKind::Str)
    }

    fn number(value: &str) -> Node {
        let kind = if value.contains('.') {
            ScalarKind::Float
        } else {
            ScalarKind::Int
        };
        Node::scalar(Span::default(), value, kind)
    }

    fn ms(node: &Node, dialect: Dialect) -> Option<u128> {
        duration(node, dialect).ok().map(|d| d.as_millis())
    }

    #[test]
    fn dialects() {
        assert_eq!(ms(&text("1.5s"), Dialect::Protobuf), Some(1500));
        assert_eq!(ms(&text("15s"), Dialect::Protobuf), Some(15000));
        assert_eq!(ms(&text("1m"), Dialect::Protobuf), None);
        assert_eq!(ms(&text("1h30m"), Dialect::Go), Some(5_400_000));
        assert_eq!(ms(&text("300ms"), Dialect::Go), Some(300));
        assert_eq!(ms(&text("1.5s"), Dialect::Go), Some(1500));
        assert_eq!(ms(&text("0"), Dialect::Go), Some(0));
        assert_eq!(ms(&text("10"), Dialect::Go), None);
        assert_eq!(ms(&text("-1s"), Dialect::Go), None);
        assert_eq!(ms(&text("10sec"), Dialect::Go), None);
        assert_eq!(ms(&text("1m30s"), Dialect::GatewayApi), Some(90_000));
        assert_eq!(ms(&text("1.5s"), Dialect::GatewayApi), None);
        assert_eq!(ms(&text("500ms"), Dialect::GatewayApi), Some(500));
        assert_eq!(ms(&number("42"), Dialect::GoOrSeconds), Some(42_000));
        assert_eq!(ms(&text("42ms"), Dialect::GoOrSeconds), Some(42));
        assert_eq!(ms(&text("42"), Dialect::GoOrSeconds), Some(42_000));
        assert_eq!(ms(&number("3000"), Dialect::Spring), Some(3000));
        assert_eq!(ms(&text("3s"), Dialect::Spring), Some(3000));
        assert_eq!(ms(&text("2M"), Dialect::Spring), Some(120_000));
        assert_eq!(ms(&text("PT1.5S"), Dialect::Spring), Some(1500));
        assert_eq!(ms(&text("PT1M30S"), Dialect::Spring), Some(90_000));
        assert_eq!(ms(&text("1.5s"), Dialect::Spring), None);
        assert_eq!(ms(&text("PT"), Dialect::Spring), None);
        assert_eq!(ms(&text("5 s"), Dialect::Spring), None);
        assert_eq!(ms(&text("0.9s"), Dialect::GoOrSeconds), Some(900));
        assert_eq!(ms(&number("1.5"), Dialect::GoOrSeconds), None);
        assert_eq!(ms(&text("1.5"), Dialect::GoOrSeconds), None);
        assert_eq!(ms(&number("-3"), Dialect::GoOrSeconds), None);
        assert_eq!(ms(&number("60000"), Dialect::Milliseconds), Some(60_000));
        assert_eq!(ms(&number("1.5"), Dialect::Milliseconds), None);
        assert_eq!(ms(&number("0.5"), Dialect::Seconds), Some(500));
        assert_eq!(ms(&number("-1"), Dialect::Seconds), None);
        assert_eq!(ms(&text("300ms"), Dialect::WholeWithUnit), Some(300));
        assert_eq!(ms(&text("2d"), Dialect::WholeWithUnit), Some(172_800_000));
        assert_eq!(ms(&text("0"), Dialect::WholeWithUnit), Some(0));
        assert_eq!(ms(&text("5"), Dialect::WholeWithUnit), None);
        assert_eq!(ms(&text("1.5s"), Dialect::WholeWithUnit), None);
    }

    #[test]
    fn regex_problems_fit_on_one_line() {
        let unclosed = String::from("/a/(");
        let error = crate::model::pattern::compile(&unclosed).err();
        assert_eq!(
            error.as_ref().map(regex_problem).as_deref(),
            Some("unclosed group")
        );
    }
}
