//! Circuit-breaker expressions: `NetworkErrorRatio() > 0.30 || ResponseCodeRatio(500, 600, 0,
//! 600) > 0.25 && LatencyAtQuantileMS(50.0) > 100`.
//!
//! Read as `vulcand/oxy`'s `cbreaker` reads them, types included: the ratios are floats and must
//! be compared with a float literal (`0.5`, not `0`), latency and request counts are integers,
//! `LatencyAtQuantileMS` takes a float and `ResponseCodeRatio` four integers. An expression that
//! parses but can never be true (a ratio above 1) makes the breaker toothless.

use std::ops::Range;

use super::expression::{tokenize, Comparison, ExpressionError, Token, TokenKind};

/// What a valid expression tells about the breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    /// Why the expression can never be true, if it cannot.
    pub never_trips: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// A ratio between 0 and 1.
    Ratio,
    /// Milliseconds.
    Latency,
    /// Requests seen.
    Count,
}

struct Function {
    name: &'static str,
    measure: Measure,
    /// Whether each argument is a float (else an integer).
    arguments: &'static [bool],
}

const FUNCTIONS: &[Function] = &[
    Function {
        name: "NetworkErrorRatio",
        measure: Measure::Ratio,
        arguments: &[],
    },
    Function {
        name: "ResponseCodeRatio",
        measure: Measure::Ratio,
        arguments: &[false, false, false, false],
    },
    Function {
        name: "LatencyAtQuantileMS",
        measure: Measure::Latency,
        arguments: &[true],
    },
    Function {
        name: "RequestThreshold",
        measure: Measure::Count,
        arguments: &[],
    },
];

const MAX_NESTING: usize = 64;

/// A boolean formula over comparisons; each leaf says whether it can ever be true.
enum Formula {
    Any(Vec<Formula>),
    All(Vec<Formula>),
    Leaf(Option<String>),
}

impl Formula {
    fn never_true(&self) -> Option<String> {
        match self {
            Formula::Leaf(reason) => reason.clone(),
            Formula::All(terms) => terms.iter().find_map(Formula::never_true),
            Formula::Any(terms) => {
                let reasons: Option<Vec<String>> = terms.iter().map(Formula::never_true).collect();
                reasons.map(|reasons| reasons.join("; "))
            }
        }
    }
}

/// Parses an expression, or says what is wrong with it (byte offsets within the expression).
pub fn parse(expression: &str) -> Result<Breaker, ExpressionError> {
    let tokens = tokenize(expression)?;
    if tokens.is_empty() {
        return Err(ExpressionError::new(
            "the expression is empty",
            0..expression.len(),
        ));
    }
    let mut parser = Parser {
        tokens: &tokens,
        position: 0,
        end: expression.len(),
    };
    let formula = parser.disjunction(0)?;
    if let Some(extra) = tokens.get(parser.position) {
        return Err(ExpressionError::new(
            "expected `&&`, `||` or the end of the expression",
            extra.span.clone(),
        ));
    }
    Ok(Breaker {
        never_trips: formula.never_true(),
    })
}

struct Parser<'t> {
    tokens: &'t [Token],
    position: usize,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn expected(&self, what: &str) -> ExpressionError {
        match self.peek() {
            Some(token) => ExpressionError::new(format!("expected {what}"), token.span.clone()),
            None => ExpressionError::new(
                format!("expected {what}, but the expression ends"),
                self.end..self.end,
            ),
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> Option<Range<usize>> {
        let token = self.peek().filter(|token| &token.kind == kind)?;
        let span = token.span.clone();
        self.position += 1;
        Some(span)
    }

    fn disjunction(&mut self, depth: usize) -> Result<Formula, ExpressionError> {
        let mut terms = vec![self.conjunction(depth)?];
        while self.eat(&TokenKind::Or).is_some() {
            terms.push(self.conjunction(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Formula::Any(terms)
        })
    }

    fn conjunction(&mut self, depth: usize) -> Result<Formula, ExpressionError> {
        let mut terms = vec![self.term(depth)?];
        while self.eat(&TokenKind::And).is_some() {
            terms.push(self.term(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Formula::All(terms)
        })
    }

    fn term(&mut self, depth: usize) -> Result<Formula, ExpressionError> {
        if depth > MAX_NESTING {
            return Err(self.expected(&format!("at most {MAX_NESTING} levels of parentheses")));
        }
        if self.eat(&TokenKind::Open).is_some() {
            let inner = self.disjunction(depth + 1)?;
            if self.eat(&TokenKind::Close).is_none() {
                return Err(self.expected("`)`"));
            }
            return Ok(inner);
        }
        if let Some(token) = self.peek().filter(|token| token.kind == TokenKind::Not) {
            return Err(ExpressionError::new(
                "`!` is not supported in circuit-breaker expressions",
                token.span.clone(),
            ));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Formula, ExpressionError> {
        let Some(Token {
            kind: TokenKind::Identifier(name),
            span: name_span,
        }) = self.peek().cloned()
        else {
            return Err(self.expected(
                "a metric such as NetworkErrorRatio(), ResponseCodeRatio(500, 600, 0, 600), \
                 LatencyAtQuantileMS(50.0) or RequestThreshold()",
            ));
        };
        self.position += 1;
        let Some(function) = FUNCTIONS.iter().find(|function| function.name == name) else {
            return Err(ExpressionError::new(
                format!(
                    "unknown function `{name}`; expected NetworkErrorRatio, ResponseCodeRatio, \
                     LatencyAtQuantileMS or RequestThreshold"
                ),
                name_span,
            ));
        };
        if self.eat(&TokenKind::Open).is_none() {
            return Err(self.expected(&format!("`(` after `{name}`")));
        }
        let mut arguments: Vec<(String, bool, Range<usize>)> = Vec::new();
        if self.eat(&TokenKind::Close).is_none() {
            loop {
                match self.peek().cloned() {
                    Some(Token {
                        kind: TokenKind::Number { text, float },
                        span,
                    }) => {
                        self.position += 1;
                        arguments.push((text, float, span));
                    }
                    _ => return Err(self.expected("a number")),
                }
                if self.eat(&TokenKind::Comma).is_some() {
                    continue;
                }
                if self.eat(&TokenKind::Close).is_some() {
                    break;
                }
                return Err(self.expected("`,` or `)`"));
            }
        }
        let call_end = self
            .tokens
            .get(self.position.saturating_sub(1))
            .map_or(self.end, |token| token.span.end);
        if arguments.len() != function.arguments.len() {
            return Err(ExpressionError::new(
                format!(
                    "`{name}` takes {} argument{}, found {}",
                    function.arguments.len(),
                    if function.arguments.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    arguments.len()
                ),
                name_span.start..call_end,
            ));
        }
        let mut values = Vec::new();
        for ((text, float, span), wants_float) in arguments.iter().zip(function.arguments) {
            values.push(number(text, *float, *wants_float, span.clone())?);
        }
        let Some(Token {
            kind: TokenKind::Compare(comparison),
            ..
        }) = self.peek().cloned()
        else {
            return Err(self.expected(&format!(
                "a comparison such as `{name}(…) > …`: a metric alone is not a condition"
            )));
        };
        self.position += 1;
        let Some(Token {
            kind: TokenKind::Number { text, float },
            span,
        }) = self.peek().cloned()
        else {
            return Err(self.expected("a number to compare with"));
        };
        self.position += 1;
        let threshold = number(&text, float, function.measure == Measure::Ratio, span)?;
        Ok(Formula::Leaf(never_true(
            function, &values, comparison, threshold,
        )))
    }
}

/// A literal of the type the function wants: oxy compares a float metric with a float and an
/// integer metric with an integer, and refuses the expression otherwise.
fn number(
    text: &str,
    float: bool,
    wants_float: bool,
    span: Range<usize>,
) -> Result<f64, ExpressionError> {
    if float != wants_float {
        let message = if wants_float {
            format!("`{text}` must be written with a decimal point (e.g. `{text}.0`): it is compared as a float")
        } else {
            format!("`{text}` must be a whole number")
        };
        return Err(ExpressionError::new(message, span));
    }
    let parsed = if float {
        text.parse::<f64>().ok()
    } else {
        text.parse::<i64>().ok().map(|value| value as f64)
    };
    parsed
        .filter(|value| value.is_finite())
        .ok_or_else(|| ExpressionError::new(format!("`{text}` is not a number"), span))
}

/// Why `function(values) comparison threshold` can never hold, if it cannot.
fn never_true(
    function: &Function,
    values: &[f64],
    comparison: Comparison,
    threshold: f64,
) -> Option<String> {
    let (low, high) = match function.measure {
        Measure::Ratio => (0.0, 1.0),
        Measure::Latency | Measure::Count => (0.0, f64::INFINITY),
    };
    // A response-code ratio whose numerator range is empty is always 0.
    let (low, high) = match (function.name, values) {
        ("ResponseCodeRatio", [from, to, ..]) if from >= to => (0.0, 0.0),
        _ => (low, high),
    };
    let impossible = match comparison {
        Comparison::Greater => threshold >= high,
        Comparison::GreaterOrEqual => threshold > high,
        Comparison::Less => threshold <= low,
        Comparison::LessOrEqual => threshold < low,
        Comparison::Equal => threshold < low || threshold > high,
        Comparison::NotEqual => low == high && threshold == low,
    };
    impossible.then(|| {
        let range = if high.is_infinite() {
            format!("{low} or more")
        } else if low == high {
            format!("always {low}")
        } else {
            format!("between {low} and {high}")
        };
        format!(
            "{}() is {range}, so comparing it with {threshold} is never true",
            function.name
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_from_the_traefik_documentation() {
        for expression in [
            "NetworkErrorRatio() > 0.30",
            "ResponseCodeRatio(500, 600, 0, 600) > 0.25",
            "LatencyAtQuantileMS(50.0) > 100",
            "ResponseCodeRatio(500, 600, 0, 600) > 0.30 || NetworkErrorRatio() > 0.10",
            "(LatencyAtQuantileMS(50.0) > 100 && RequestThreshold() > 20) || NetworkErrorRatio() > 0.5",
        ] {
            assert_eq!(
                parse(expression),
                Ok(Breaker { never_trips: None }),
                "{expression}"
            );
        }
    }

    #[test]
    fn expressions_that_never_trip() {
        let never = |expression: &str| parse(expression).expect("valid").never_trips;
        assert!(never("NetworkErrorRatio() > 1.0").is_some());
        assert!(
            never("NetworkErrorRatio() > 0.5 && ResponseCodeRatio(500, 600, 0, 600) >= 1.5")
                .is_some()
        );
        assert!(never("NetworkErrorRatio() > 1.0 || LatencyAtQuantileMS(50.0) > 100").is_none());
        assert!(never("ResponseCodeRatio(600, 500, 0, 600) > 0.1").is_some());
        assert!(never("RequestThreshold() < 0").is_some());
    }

    #[test]
    fn type_and_syntax_errors_point_at_the_culprit() {
        let at = |expression: &str| parse(expression).map_err(|error| error.span);
        assert_eq!(at("NetworkErrorRatio() > 0"), Err(22..23));
        assert_eq!(at("LatencyAtQuantileMS(50) > 100"), Err(20..22));
        assert_eq!(at("LatencyAtQuantileMS(50.0) > 100.0"), Err(28..33));
        assert_eq!(at("NetworkErrorRate() > 0.5"), Err(0..16));
        assert_eq!(at("NetworkErrorRatio()"), Err(19..19));
        assert_eq!(at("ResponseCodeRatio(500, 600) > 0.5"), Err(0..27));
        assert_eq!(at("!(NetworkErrorRatio() > 0.5)"), Err(0..1));
        assert_eq!(at(""), Err(0..0));
    }
}
