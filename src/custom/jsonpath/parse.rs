//! JSONPath as Spectral reads it: RFC 9535 plus the jsonpath-plus forms real rulesets use
//! (`[?(@.in == 'query')]`, `@property`, `~` for property names, bare-word unions such as
//! `[get,put,post]`). No published crate parses the jsonpath-plus extensions, and evaluation has
//! to walk routeguard's spanned trees, so the grammar is read here.

use super::filter;

/// A parsed path: segments applied left to right from the document root.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    /// A trailing `~`: the result is the property name of each match rather than its value.
    pub keys: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name`, `[...]`: selectors applied to the children of each node.
    Child(Vec<Selector>),
    /// `..name`, `..[...]`, `..*`: selectors applied to the children of each node and of all its
    /// descendants.
    Descendant(Vec<Selector>),
    /// `^`: the parent of each node.
    Parent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    Name(String),
    Wildcard,
    Index(i64),
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    Filter(filter::Filter),
}

/// Why an expression was not read, with the byte offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

/// Longer expressions are refused: real rulesets stay far below this.
const MAX_LENGTH: usize = 4096;

pub fn parse(text: &str) -> Result<Path, PathError> {
    if text.len() > MAX_LENGTH {
        return Err(PathError {
            offset: MAX_LENGTH,
            message: format!("longer than {MAX_LENGTH} characters"),
        });
    }
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    parser.path()
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
}

impl Parser<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, PathError> {
        Err(PathError {
            offset: self.at,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn path(&mut self) -> Result<Path, PathError> {
        if !self.eat(b'$') {
            return self.error("a JSONPath starts with `$`");
        }
        let mut segments = Vec::new();
        let mut keys = false;
        while let Some(byte) = self.peek() {
            if keys {
                return self.error("`~` (property names) may only end the path");
            }
            match byte {
                b'.' if self.bytes.get(self.at + 1) == Some(&b'.') => {
                    self.at += 2;
                    // jsonpath-plus reads `$.a...b` as `$.a..b`.
                    if self.peek() == Some(b'.') {
                        self.at += 1;
                    }
                    let selectors = if self.peek() == Some(b'[') {
                        self.bracket()?
                    } else {
                        vec![self.dot_member()?]
                    };
                    segments.push(Segment::Descendant(selectors));
                }
                // jsonpath-plus reads `.[...]` as `[...]`.
                b'.' if self.bytes.get(self.at + 1) == Some(&b'[') => {
                    self.at += 1;
                    segments.push(Segment::Child(self.bracket()?));
                }
                b'.' => {
                    self.at += 1;
                    segments.push(Segment::Child(vec![self.dot_member()?]));
                }
                // jsonpath-plus's `^`: the parent of each match.
                b'^' => {
                    self.at += 1;
                    segments.push(Segment::Parent);
                }
                b'[' => segments.push(Segment::Child(self.bracket()?)),
                b'~' => {
                    self.at += 1;
                    keys = true;
                }
                b' ' | b'\t' | b'\n' | b'\r' => self.skip_spaces(),
                _ => return self.error(format!("unexpected `{}`", self.char_here())),
            }
        }
        Ok(Path { segments, keys })
    }

    fn char_here(&self) -> char {
        self.text[self.at..].chars().next().unwrap_or(' ')
    }

    /// After `.` or `..`: `*`, a member name, or a quoted member name.
    fn dot_member(&mut self) -> Result<Selector, PathError> {
        if self.eat(b'*') {
            return Ok(Selector::Wildcard);
        }
        // nimma and jsonpath-plus both read `.'application/json'` (and `."…"`) as the member
        // `application/json`: Spectral 6.16.3 matches it, as `rulesets/model-response-ruleset.yaml`
        // of BPCE's guidelines relies on.
        if let Some(quote @ (b'\'' | b'"')) = self.peek() {
            return Ok(Selector::Name(self.string(quote)?));
        }
        let start = self.at;
        while let Some(c) = self.text[self.at..].chars().next() {
            // jsonpath-plus splits dotted names only at `.` and `[`: `$.paths./pets.get` names
            // the path `/pets`.
            if !c.is_whitespace()
                && !matches!(c, '.' | '[' | ']' | '~' | '(' | ')' | ',' | '\'' | '"')
            {
                self.at += c.len_utf8();
            } else {
                break;
            }
        }
        if start == self.at {
            return self.error("expected a member name or `*` after `.`");
        }
        Ok(Selector::Name(self.text[start..self.at].to_string()))
    }

    /// `[selector, selector, ...]`.
    fn bracket(&mut self) -> Result<Vec<Selector>, PathError> {
        self.at += 1;
        let mut selectors = Vec::new();
        loop {
            self.skip_spaces();
            selectors.push(self.selector()?);
            self.skip_spaces();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(selectors);
            }
            return self.error("expected `,` or `]`");
        }
    }

    fn selector(&mut self) -> Result<Selector, PathError> {
        match self.peek() {
            Some(b'*') => {
                self.at += 1;
                Ok(Selector::Wildcard)
            }
            Some(quote @ (b'\'' | b'"')) => Ok(Selector::Name(self.string(quote)?)),
            Some(b'?') => {
                self.at += 1;
                self.skip_spaces();
                // jsonpath-plus writes `?(expr)`; RFC 9535 writes `?expr`. Both read the same.
                let (expr, used) =
                    filter::parse(&self.text[self.at..]).map_err(|error| PathError {
                        offset: self.at + error.offset,
                        message: error.message,
                    })?;
                self.at += used;
                Ok(Selector::Filter(filter::Filter::new(expr)))
            }
            Some(b'-' | b'0'..=b'9' | b':') => self.index_or_slice(),
            Some(b'(') => self
                .error("script expressions `(...)` are JavaScript, which routeguard does not run"),
            Some(_) => {
                // jsonpath-plus reads `[get,put]` as the names `get` and `put`.
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|byte| !matches!(byte, b',' | b']') && !byte.is_ascii_whitespace())
                {
                    self.at += 1;
                }
                if start == self.at {
                    return self.error("expected a selector");
                }
                Ok(Selector::Name(self.text[start..self.at].to_string()))
            }
            None => self.error("unclosed `[`"),
        }
    }

    fn integer(&mut self) -> Result<Option<i64>, PathError> {
        let start = self.at;
        self.eat(b'-');
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
        if start == self.at {
            return Ok(None);
        }
        match self.text[start..self.at].parse() {
            Ok(value) => Ok(Some(value)),
            Err(_) => {
                self.at = start;
                self.error("expected an integer")
            }
        }
    }

    fn index_or_slice(&mut self) -> Result<Selector, PathError> {
        let start = self.integer()?;
        self.skip_spaces();
        if !self.eat(b':') {
            return match start {
                Some(index) => Ok(Selector::Index(index)),
                None => self.error("expected an index"),
            };
        }
        self.skip_spaces();
        let end = self.integer()?;
        self.skip_spaces();
        let step = if self.eat(b':') {
            self.skip_spaces();
            self.integer()?
        } else {
            None
        };
        Ok(Selector::Slice { start, end, step })
    }

    fn string(&mut self, quote: u8) -> Result<String, PathError> {
        let (value, used) =
            read_string(&self.text[self.at..], quote).map_err(|offset| PathError {
                offset: self.at + offset,
                message: "unclosed string".to_string(),
            })?;
        self.at += used;
        Ok(value)
    }
}

/// A quoted string at the start of `text` (which begins with the quote): its value and the bytes
/// it used, or the offset where it broke off.
pub(super) fn read_string(text: &str, quote: u8) -> Result<(String, usize), usize> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 'b')) => value.push('\u{8}'),
                Some((_, 'f')) => value.push('\u{c}'),
                Some((_, escaped)) => value.push(escaped),
                None => return Err(at),
            },
            c if c as u32 == u32::from(quote) => return Ok((value, at + 1)),
            c => value.push(c),
        }
    }
    Err(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(selectors: &[Selector]) -> Vec<String> {
        selectors
            .iter()
            .map(|selector| match selector {
                Selector::Name(name) => name.clone(),
                Selector::Wildcard => "*".to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_forms_real_rulesets_use_are_read() {
        let path = parse("$.paths[*][get,put,post,delete,patch]").unwrap();
        assert_eq!(path.segments.len(), 3);
        let Segment::Child(methods) = &path.segments[2] else {
            panic!("child segment")
        };
        assert_eq!(names(methods), ["get", "put", "post", "delete", "patch"]);
        let path = parse("$.paths.*~").unwrap();
        assert!(path.keys);
        let path = parse("$..parameters[?(@.in == 'query')]").unwrap();
        assert!(matches!(&path.segments[0], Segment::Descendant(_)));
        assert!(matches!(
            &path.segments[1],
            Segment::Child(selectors) if matches!(selectors[0], Selector::Filter(_))
        ));
        let path = parse("$['info']['x-logo'].url").unwrap();
        assert_eq!(path.segments.len(), 3);
        assert!(parse("$[0:2]").is_ok());
        assert!(parse("$..*").is_ok());
        assert!(parse("$.paths[?(@property.match(/^\\/v1/))]").is_ok());
    }

    #[test]
    fn a_quoted_name_after_a_dot_is_a_member() {
        let path = parse("$.content.'application/json'.schema").unwrap();
        let Segment::Child(selectors) = &path.segments[1] else {
            panic!("child segment")
        };
        assert_eq!(names(selectors), ["application/json"]);
        assert_eq!(path.segments.len(), 3);
        let path = parse("$..\"x-a.b\"").unwrap();
        assert!(
            matches!(&path.segments[0], Segment::Descendant(selectors) if names(selectors) == ["x-a.b"])
        );
        assert_eq!(
            parse("$.content.'application/json").unwrap_err().message,
            "unclosed string"
        );
    }

    #[test]
    fn broken_paths_say_where() {
        let error = parse("$.paths[").unwrap_err();
        assert_eq!(error.offset, 8);
        let error = parse("paths").unwrap_err();
        assert_eq!(error.offset, 0);
        let error = parse("$.a~.b").unwrap_err();
        assert!(error.message.contains("~"), "{error}");
        assert!(parse("$[(@.length-1)]").is_err());
    }
}
