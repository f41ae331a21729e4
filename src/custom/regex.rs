//! JavaScript regular expressions as rulesets write them (`pattern`'s `match`, filters'
//! `.match(/re/)`). fancy-regex reads the lookarounds and back-references JavaScript allows and
//! the `regex` crate does not; JavaScript's flags become inline flags.

use std::sync::Arc;

/// Patterns longer than this are refused: a ruleset is input, and input is bounded.
const MAX_SOURCE: usize = 8 * 1024;
/// Backtracking budget per match, so that a pathological pattern cannot hang a run.
const BACKTRACK_LIMIT: usize = 100_000;

#[derive(Clone)]
pub struct JsRegex {
    source: String,
    /// The flags that change what matches (`i`, `m`, `s`), as written.
    flags: String,
    regex: Arc<fancy_regex::Regex>,
}

impl std::fmt::Debug for JsRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/{}", self.source, self.flags)
    }
}

impl PartialEq for JsRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.flags == other.flags
    }
}

impl JsRegex {
    /// `source` and `flags` as in `/source/flags`.
    pub fn new(source: &str, flags: &str) -> Result<JsRegex, String> {
        if source.len() > MAX_SOURCE {
            return Err(format!("a pattern longer than {MAX_SOURCE} bytes"));
        }
        let mut inline = String::new();
        for flag in flags.chars() {
            match flag {
                'i' => inline.push('i'),
                'm' => inline.push('m'),
                's' => inline.push('s'),
                // Global, sticky, unicode and indices change how a match is consumed, not whether
                // a string matches.
                'g' | 'y' | 'u' | 'd' | 'v' => {}
                other => return Err(format!("unknown regular expression flag `{other}`")),
            }
        }
        let translated = translate(source);
        let pattern = if inline.is_empty() {
            translated
        } else {
            format!("(?{inline}){translated}")
        };
        let regex = fancy_regex::RegexBuilder::new(&pattern)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
            .map_err(|error| format!("invalid regular expression /{source}/: {error}"))?;
        Ok(JsRegex {
            source: source.to_string(),
            flags: inline,
            regex: Arc::new(regex),
        })
    }

    /// A pattern as Spectral's `pattern` function reads a string: what its
    /// `/^\/(.+)\/([a-z]*)$/` splits is a regex literal, anything else the source of
    /// `new RegExp(text)` (@stoplight/spectral-functions 1.x, `pattern.ts`). So `//` is the
    /// pattern of two slashes, not an empty regex, and `/v1/V` is literal text.
    pub fn from_option(text: &str) -> Result<JsRegex, String> {
        if let Some(body) = text.strip_prefix('/') {
            if let Some(end) = body.rfind('/') {
                let (source, flags) = (&body[..end], &body[end + 1..]);
                // JavaScript's `.` matches no line terminator.
                let one_line = !source.contains(['\n', '\r', '\u{2028}', '\u{2029}']);
                if !source.is_empty() && one_line && flags.chars().all(|c| c.is_ascii_lowercase()) {
                    return JsRegex::new(source, flags);
                }
            }
        }
        JsRegex::new(text, "")
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches anywhere in `text`; a match that runs out of its backtracking
    /// budget counts as no match.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text).unwrap_or(false)
    }
}

/// JavaScript syntax the Rust engines spell differently: `\/` is a plain slash, `[^]` (any
/// character) becomes `[\s\S]`, and `\w`, `\W`, `\d`, `\D` are ASCII classes, as in every
/// JavaScript regular expression, `u` flag or not (ECMA-262 `CharacterClassEscape`): the Rust
/// engines read them as Unicode classes, which would let `^\w+$` accept `ñame` where Spectral
/// does not (and compile to programs a hundred times larger).
fn translate(source: &str) -> String {
    const WORD: &str = "0-9A-Za-z_";
    const DIGIT: &str = "0-9";
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('/') => out.push('/'),
                Some(class @ ('w' | 'W' | 'd' | 'D')) => {
                    let members = if class.eq_ignore_ascii_case(&'w') {
                        WORD
                    } else {
                        DIGIT
                    };
                    let negated = class.is_ascii_uppercase();
                    if in_class && !negated {
                        out.push_str(members);
                    } else {
                        // Inside a class, a negated class is nested (`[a[^0-9]]`).
                        out.push_str(if negated { "[^" } else { "[" });
                        out.push_str(members);
                        out.push(']');
                    }
                }
                Some(escaped) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push_str("\\\\"),
            },
            '[' if !in_class && chars.peek() == Some(&'^') => {
                let mut lookahead = chars.clone();
                lookahead.next();
                if lookahead.peek() == Some(&']') {
                    chars.next();
                    chars.next();
                    out.push_str("[\\s\\S]");
                } else {
                    in_class = true;
                    out.push('[');
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_patterns_read() {
        let regex = JsRegex::from_option("/^x-[a-z]+$/i").unwrap();
        assert!(regex.is_match("X-Owner"));
        let regex = JsRegex::from_option("^(?!.*\\/$).*").unwrap();
        assert!(regex.is_match("/pets"));
        assert!(!regex.is_match("/pets/"));
        let regex = JsRegex::from_option("^\\/[a-z\\/{}-]*$").unwrap();
        assert!(regex.is_match("/pets/{id}"));
        assert!(JsRegex::from_option("(").is_err());
        // Spectral splits `/source/flags` only with a source and lowercase flags.
        let slashes = JsRegex::from_option("//").unwrap();
        assert!(slashes.is_match("/a//b"));
        assert!(!slashes.is_match("/a/b"));
        let literal = JsRegex::from_option("/v1/V").unwrap();
        assert!(literal.is_match("/v1/V"));
        assert!(!literal.is_match("v1"));
    }

    #[test]
    fn word_and_digit_classes_are_ascii_as_in_javascript() {
        let word = JsRegex::from_option("^\\w+$").unwrap();
        assert!(word.is_match("snake_case9"));
        assert!(!word.is_match("ñame"));
        let in_class = JsRegex::from_option("^[\\w-]+$").unwrap();
        assert!(in_class.is_match("kebab-case"));
        assert!(!in_class.is_match("kebab-cañe"));
        let digits = JsRegex::from_option("/^\\d+$/").unwrap();
        assert!(digits.is_match("2024"));
        assert!(!digits.is_match("٣"));
        let not_word = JsRegex::from_option("\\W").unwrap();
        assert!(not_word.is_match("ñ"));
        assert!(!not_word.is_match("abc"));
        let nested = JsRegex::from_option("^[a\\D]$").unwrap();
        assert!(nested.is_match("x") && nested.is_match("a"));
        assert!(!nested.is_match("5"));
        // Escaped brackets do not open or close a class.
        let escaped = JsRegex::from_option("^\\[\\w\\]$").unwrap();
        assert!(escaped.is_match("[a]"));
    }
}
