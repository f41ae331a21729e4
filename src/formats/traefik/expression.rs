//! The tokens of Traefik's expression languages. Router rules and circuit-breaker expressions are
//! both Go expressions read by `vulcand/predicate`: identifiers, calls, Go string and number
//! literals, `&&`, `||`, `!`, comparisons and parentheses.

use std::ops::Range;

/// What is wrong with an expression, and where (byte offsets within the expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    pub message: String,
    pub span: Range<usize>,
}

impl ExpressionError {
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        ExpressionError {
            message: message.into(),
            span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Identifier(String),
    /// A string literal, unquoted.
    Str(String),
    /// A number literal as written; `float` when Go reads it as a floating-point constant.
    Number {
        text: String,
        float: bool,
    },
    And,
    Or,
    Not,
    Compare(Comparison),
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

/// Splits an expression into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, ExpressionError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut next_is = |expected: char| {
            chars
                .next_if(|&(_, next)| next == expected)
                .map(|(at, next)| at + next.len_utf8())
        };
        let (kind, end) = match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            '(' => (TokenKind::Open, start + 1),
            ')' => (TokenKind::Close, start + 1),
            ',' => (TokenKind::Comma, start + 1),
            '&' => match next_is('&') {
                Some(end) => (TokenKind::And, end),
                None => {
                    return Err(ExpressionError::new(
                        "`&` is not an operator here; did you mean `&&`?",
                        start..start + 1,
                    ))
                }
            },
            '|' => match next_is('|') {
                Some(end) => (TokenKind::Or, end),
                None => {
                    return Err(ExpressionError::new(
                        "`|` is not an operator here; did you mean `||`?",
                        start..start + 1,
                    ))
                }
            },
            '!' => match next_is('=') {
                Some(end) => (TokenKind::Compare(Comparison::NotEqual), end),
                None => (TokenKind::Not, start + 1),
            },
            '=' => match next_is('=') {
                Some(end) => (TokenKind::Compare(Comparison::Equal), end),
                None => {
                    return Err(ExpressionError::new(
                        "`=` is not an operator here; did you mean `==`?",
                        start..start + 1,
                    ))
                }
            },
            '>' => match next_is('=') {
                Some(end) => (TokenKind::Compare(Comparison::GreaterOrEqual), end),
                None => (TokenKind::Compare(Comparison::Greater), start + 1),
            },
            '<' => match next_is('=') {
                Some(end) => (TokenKind::Compare(Comparison::LessOrEqual), end),
                None => (TokenKind::Compare(Comparison::Less), start + 1),
            },
            '`' => {
                let mut value = String::new();
                let mut end = None;
                for (at, next) in chars.by_ref() {
                    if next == '`' {
                        end = Some(at + 1);
                        break;
                    }
                    // Go drops carriage returns from raw strings.
                    if next != '\r' {
                        value.push(next);
                    }
                }
                let end = end.ok_or_else(|| {
                    ExpressionError::new("this string has no closing backtick", start..text.len())
                })?;
                (TokenKind::Str(value), end)
            }
            '"' => {
                let (value, end) = interpreted_string(text, start)?;
                // Skip the characters the string consumed.
                while chars.next_if(|&(at, _)| at < end).is_some() {}
                (TokenKind::Str(value), end)
            }
            '\'' => {
                return Err(ExpressionError::new(
                    "single quotes do not make a string here; use backticks or double quotes",
                    start..start + 1,
                ))
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit())) =>
            {
                let mut end = start + 1;
                let mut previous = c;
                while let Some(&(at, next)) = chars.peek() {
                    let exponent_sign = matches!(next, '+' | '-') && matches!(previous, 'e' | 'E');
                    if next.is_ascii_alphanumeric() || next == '.' || next == '_' || exponent_sign {
                        end = at + 1;
                        previous = next;
                        chars.next();
                    } else {
                        break;
                    }
                }
                let literal = &text[start..end];
                let hex = literal.starts_with("0x") || literal.starts_with("0X");
                let float = !hex && literal.contains(['.', 'e', 'E']);
                (
                    TokenKind::Number {
                        text: literal.to_string(),
                        float,
                    },
                    end,
                )
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some(&(at, next)) = chars.peek() {
                    if next.is_alphanumeric() || next == '_' {
                        end = at + next.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                (TokenKind::Identifier(text[start..end].to_string()), end)
            }
            other => {
                return Err(ExpressionError::new(
                    format!("unexpected `{other}`"),
                    start..start + other.len_utf8(),
                ))
            }
        };
        tokens.push(Token {
            kind,
            span: start..end,
        });
    }
    Ok(tokens)
}

/// A Go interpreted string literal starting at `start` (its opening quote): the value and the
/// offset just past the closing quote.
fn interpreted_string(text: &str, start: usize) -> Result<(String, usize), ExpressionError> {
    let mut value = String::new();
    let mut chars = text[start + 1..]
        .char_indices()
        .map(|(at, c)| (at + start + 1, c));
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, at + 1)),
            '\n' => break,
            '\\' => {
                let invalid = |end: usize| {
                    ExpressionError::new(
                        "invalid escape in string; use backticks for text with backslashes",
                        at..end,
                    )
                };
                let Some((escape_at, escape)) = chars.next() else {
                    break;
                };
                let simple = match escape {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '\\' => Some('\\'),
                    '"' => Some('"'),
                    _ => None,
                };
                if let Some(simple) = simple {
                    value.push(simple);
                    continue;
                }
                let (digits, radix) = match escape {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => (2, 8),
                    _ => return Err(invalid(escape_at + escape.len_utf8())),
                };
                let mut code = if radix == 8 {
                    escape.to_digit(8).unwrap_or(0)
                } else {
                    0
                };
                let mut end = escape_at + 1;
                for _ in 0..digits {
                    let Some((digit_at, digit)) = chars.next() else {
                        return Err(invalid(text.len()));
                    };
                    end = digit_at + digit.len_utf8();
                    let Some(value) = digit.to_digit(radix) else {
                        return Err(invalid(end));
                    };
                    code = code.saturating_mul(radix).saturating_add(value);
                }
                let decoded = if matches!(escape, 'x' | '0'..='7') {
                    // Byte escapes: only ASCII keeps a string valid UTF-8 on its own.
                    u8::try_from(code).ok().filter(u8::is_ascii).map(char::from)
                } else {
                    char::from_u32(code)
                };
                value.push(decoded.ok_or_else(|| invalid(end))?);
            }
            other => value.push(other),
        }
    }
    Err(ExpressionError::new(
        "this string has no closing quote",
        start..text.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .expect("tokens")
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn rules_and_breaker_expressions() {
        assert_eq!(
            kinds("Path(`/a`) && !Method(\"GET\")"),
            vec![
                TokenKind::Identifier("Path".into()),
                TokenKind::Open,
                TokenKind::Str("/a".into()),
                TokenKind::Close,
                TokenKind::And,
                TokenKind::Not,
                TokenKind::Identifier("Method".into()),
                TokenKind::Open,
                TokenKind::Str("GET".into()),
                TokenKind::Close,
            ]
        );
        assert_eq!(
            kinds("NetworkErrorRatio() >= 0.5 || X() != 3"),
            vec![
                TokenKind::Identifier("NetworkErrorRatio".into()),
                TokenKind::Open,
                TokenKind::Close,
                TokenKind::Compare(Comparison::GreaterOrEqual),
                TokenKind::Number {
                    text: "0.5".into(),
                    float: true
                },
                TokenKind::Or,
                TokenKind::Identifier("X".into()),
                TokenKind::Open,
                TokenKind::Close,
                TokenKind::Compare(Comparison::NotEqual),
                TokenKind::Number {
                    text: "3".into(),
                    float: false
                },
            ]
        );
    }

    #[test]
    fn go_string_escapes() {
        assert_eq!(
            kinds(r#""a\tb\x41\u00e9\101""#),
            vec![TokenKind::Str("a\tbAéA".into())]
        );
        assert_eq!(
            tokenize(r#"Path("\d+")"#).map_err(|error| error.span),
            Err(6..8)
        );
        assert_eq!(tokenize("Path(`/a)").map_err(|error| error.span), Err(5..9));
        assert_eq!(tokenize("a & b").map_err(|error| error.span), Err(2..3));
        assert_eq!(
            tokenize("Path('/a')").map_err(|error| error.span),
            Err(5..6)
        );
    }
}
