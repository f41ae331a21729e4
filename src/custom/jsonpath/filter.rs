//! Filter expressions (`[?(@.in == 'query' && @.required)]`): the JavaScript subset jsonpath-plus
//! rulesets write, read into a small tree and evaluated with JavaScript's comparison and
//! truthiness rules. Anything else is refused with its offset rather than guessed at.

use std::borrow::Cow;

use super::parse::read_string;
use crate::custom::regex::JsRegex;
use crate::source::{Node, NodeKind, ScalarKind};

#[derive(Debug, Clone)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Box<Expr>, Compare, Box<Expr>),
    Literal(Literal),
    /// `@`, `@.a.b`, `@['a'][0]`.
    Current(Vec<Member>),
    /// `@parent`, `@parent.a`: the node holding the one being tested.
    Parent(Vec<Member>),
    /// `@path`: where the node being tested is, as nimma prints it (`$['paths']['/pets']`).
    Path,
    /// `@string()`, `@object()`, …: whether the node being tested is of that JavaScript type.
    Is(Shorthand),
    /// `@property`: the key or index of the node being tested.
    Property,
    /// `@parentProperty`: the key or index of its parent.
    ParentProperty,
    /// `x.length`.
    Length(Box<Expr>),
    /// `typeof x`.
    TypeOf(Box<Expr>),
    /// `x.match(/re/)`, `/re/.test(x)`.
    Matches(Box<Expr>, JsRegex),
    /// `x.includes(y)`, `x.startsWith(y)`, `x.endsWith(y)`, `x.indexOf(y)`.
    Method(Box<Expr>, Method, Box<Expr>),
}

/// A filter selector's expression, with the property names it can hold for at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub expr: Expr,
    /// When the expression is false for every property not named here (it is, or requires,
    /// `@property === 'name'`), the names: other children need not be tested.
    names: Option<Vec<String>>,
}

impl Filter {
    pub fn new(expr: Expr) -> Filter {
        let names = expr
            .required_names()
            .map(|names| names.into_iter().map(str::to_string).collect());
        Filter { expr, names }
    }

    /// Whether a child with this key can pass; `None` for an array index.
    pub fn may_hold_for(&self, key: Option<&str>) -> bool {
        match (&self.names, key) {
            (None, _) => true,
            (Some(names), Some(key)) => names.iter().any(|name| name == key),
            (Some(_), None) => false,
        }
    }

    /// The property name the filter tests for, when that is all it does
    /// (`[?(@property === 'id')]`).
    pub fn only_name(&self) -> Option<&str> {
        match (&self.expr, self.names.as_deref()) {
            (Expr::Compare(..), Some([name])) => Some(name),
            _ => None,
        }
    }
}

impl Expr {
    /// The property names outside which the expression is falsy: `@property === 'a'` requires
    /// `a`, `x || y` either's, `x && y` the first's or the second's. With `==`, only names no
    /// number converts from count, so that an array index cannot equal the name loosely (as
    /// `0 == '0'`); a property that is an index then never passes.
    fn required_names(&self) -> Option<Vec<&str>> {
        match self {
            Expr::Compare(left, op, right) => {
                let name = match (left.as_ref(), right.as_ref()) {
                    (Expr::Property, Expr::Literal(Literal::String(name)))
                    | (Expr::Literal(Literal::String(name)), Expr::Property) => name.as_str(),
                    _ => return None,
                };
                let no_number = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic());
                match op {
                    Compare::StrictEq => Some(vec![name]),
                    Compare::LooseEq if no_number => Some(vec![name]),
                    _ => None,
                }
            }
            Expr::Or(left, right) => {
                let mut names = left.required_names()?;
                names.extend(right.required_names()?);
                Some(names)
            }
            Expr::And(left, right) => left.required_names().or_else(|| right.required_names()),
            _ => None,
        }
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    Name(String),
    Index(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    LooseEq,
    StrictEq,
    LooseNe,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
}

/// nimma's type shorthands, each the JavaScript test it stands for
/// (`codegen/baseline/generators.mjs` in nimma 0.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shorthand {
    /// `typeof @ === 'string'`.
    String,
    /// `typeof @ === 'number'`.
    Number,
    /// `typeof @ === 'boolean'`.
    Boolean,
    /// `@ === null || typeof @ !== 'object'`.
    Scalar,
    /// `Array.isArray(@)`.
    Array,
    /// `@ === null`.
    Null,
    /// `@ !== null && typeof @ === 'object'`: arrays too.
    Object,
    /// `Number.isInteger(@)`.
    Integer,
}

impl Shorthand {
    const NAMES: &[(&str, Shorthand)] = &[
        ("string", Shorthand::String),
        ("number", Shorthand::Number),
        ("boolean", Shorthand::Boolean),
        ("scalar", Shorthand::Scalar),
        ("array", Shorthand::Array),
        ("null", Shorthand::Null),
        ("object", Shorthand::Object),
        ("integer", Shorthand::Integer),
    ];

    fn holds(self, value: &Value<'_>) -> bool {
        match self {
            Shorthand::String => matches!(value, Value::Str(_)),
            Shorthand::Number => matches!(value, Value::Number(_)),
            Shorthand::Boolean => matches!(value, Value::Bool(_)),
            Shorthand::Scalar => !matches!(value, Value::Node(_)),
            Shorthand::Array => matches!(value, Value::Node(node) if node.is_seq()),
            Shorthand::Null => matches!(value, Value::Null),
            Shorthand::Object => matches!(value, Value::Node(_)),
            Shorthand::Integer => {
                matches!(value, Value::Number(number) if number.is_finite() && number.fract() == 0.0)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Includes,
    StartsWith,
    EndsWith,
    IndexOf,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
}

/// A JavaScript value as a filter sees it.
#[derive(Debug, Clone)]
pub enum Value<'n> {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'n, str>),
    /// An object or array, compared by identity as JavaScript does.
    Node(&'n Node),
}

impl<'n> Value<'n> {
    /// A tree node as JavaScript would see it after JSON.parse.
    pub fn of(node: &'n Node) -> Value<'n> {
        match &node.kind {
            NodeKind::Map(_) | NodeKind::Seq(_) => Value::Node(node),
            NodeKind::Scalar(scalar) => match scalar.kind {
                ScalarKind::Null => Value::Null,
                ScalarKind::Bool(value) => Value::Bool(value),
                ScalarKind::Int | ScalarKind::Float => {
                    Value::Number(number(&scalar.text).unwrap_or(f64::NAN))
                }
                ScalarKind::Str => Value::Str(Cow::Borrowed(&scalar.text)),
            },
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(value) => *value,
            Value::Number(value) => *value != 0.0 && !value.is_nan(),
            Value::Str(text) => !text.is_empty(),
            Value::Node(_) => true,
        }
    }

    fn type_of(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null | Value::Node(_) => "object",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
        }
    }

    fn strict_eq(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Node(a), Value::Node(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }

    fn loose_eq(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Undefined | Value::Null, Value::Undefined | Value::Null) => true,
            (Value::Undefined | Value::Null, _) | (_, Value::Undefined | Value::Null) => false,
            (Value::Node(_), _) | (_, Value::Node(_)) => self.strict_eq(other),
            (a, b) if a.type_of() == b.type_of() => a.strict_eq(b),
            (a, b) => a.to_number() == b.to_number(),
        }
    }

    fn to_number(&self) -> f64 {
        match self {
            Value::Undefined | Value::Node(_) => f64::NAN,
            Value::Null => 0.0,
            Value::Bool(value) => f64::from(u8::from(*value)),
            Value::Number(value) => *value,
            Value::Str(text) if text.trim().is_empty() => 0.0,
            Value::Str(text) => text.trim().parse().unwrap_or(f64::NAN),
        }
    }

    /// `String(x)`, for methods called on non-strings.
    pub fn to_text(&self) -> Option<Cow<'n, str>> {
        match self {
            Value::Str(text) => Some(text.clone()),
            Value::Number(value) => Some(Cow::Owned(format_number(*value))),
            Value::Bool(value) => Some(Cow::Owned(value.to_string())),
            _ => None,
        }
    }
}

fn number(text: &str) -> Option<f64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|value| value as f64);
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok().map(|value| value as f64);
    }
    text.parse().ok()
}

pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// What an expression reads: the node under test and its neighbours.
pub trait Scope<'n> {
    /// `@` followed by `members` (none for `@` itself).
    fn current(&self, members: &[Member]) -> Value<'n>;
    /// `@parent` followed by `members`.
    fn parent(&self, members: &[Member]) -> Value<'n>;
    fn property(&self) -> Value<'n>;
    fn parent_property(&self) -> Value<'n>;
    /// `@path`.
    fn path(&self) -> Value<'n>;
}

impl Expr {
    /// The value of the expression; string literals are borrowed from it, so the value lives
    /// no longer than both the expression and the nodes.
    pub fn eval<'n>(&'n self, scope: &dyn Scope<'n>) -> Value<'n> {
        match self {
            Expr::Or(a, b) => {
                let left = a.eval(scope);
                if left.truthy() {
                    left
                } else {
                    b.eval(scope)
                }
            }
            Expr::And(a, b) => {
                let left = a.eval(scope);
                if left.truthy() {
                    b.eval(scope)
                } else {
                    left
                }
            }
            Expr::Not(inner) => Value::Bool(!inner.eval(scope).truthy()),
            Expr::Compare(a, op, b) => {
                let (a, b) = (a.eval(scope), b.eval(scope));
                Value::Bool(compare(&a, *op, &b))
            }
            Expr::Literal(literal) => match literal {
                Literal::Undefined => Value::Undefined,
                Literal::Null => Value::Null,
                Literal::Bool(value) => Value::Bool(*value),
                Literal::Number(value) => Value::Number(*value),
                Literal::String(text) => Value::Str(Cow::Borrowed(text)),
            },
            Expr::Current(members) => scope.current(members),
            Expr::Parent(members) => scope.parent(members),
            Expr::Path => scope.path(),
            Expr::Is(shorthand) => Value::Bool(shorthand.holds(&scope.current(&[]))),
            Expr::Property => scope.property(),
            Expr::ParentProperty => scope.parent_property(),
            Expr::Length(inner) => match inner.eval(scope) {
                Value::Str(text) => Value::Number(text.encode_utf16().count() as f64),
                Value::Node(node) => match &node.kind {
                    NodeKind::Seq(items) => Value::Number(items.len() as f64),
                    _ => Value::Undefined,
                },
                _ => Value::Undefined,
            },
            Expr::TypeOf(inner) => Value::Str(Cow::Borrowed(inner.eval(scope).type_of())),
            Expr::Matches(inner, regex) => match inner.eval(scope).to_text() {
                Some(text) => Value::Bool(regex.is_match(&text)),
                None => Value::Bool(false),
            },
            Expr::Method(target, method, argument) => {
                let target = target.eval(scope);
                let argument = argument.eval(scope);
                method_call(&target, *method, &argument)
            }
        }
    }
}

fn method_call<'n>(target: &Value<'n>, method: Method, argument: &Value<'_>) -> Value<'n> {
    if let (Value::Node(node), Method::Includes | Method::IndexOf) = (target, method) {
        let position = node.items().iter().position(|item| {
            let item = Value::of(item);
            item.strict_eq(argument)
        });
        return match method {
            Method::Includes => Value::Bool(position.is_some()),
            _ => Value::Number(position.map_or(-1.0, |at| at as f64)),
        };
    }
    let (Some(text), Some(needle)) = (target.to_text(), argument.to_text()) else {
        return Value::Undefined;
    };
    match method {
        Method::Includes => Value::Bool(text.contains(needle.as_ref())),
        Method::StartsWith => Value::Bool(text.starts_with(needle.as_ref())),
        Method::EndsWith => Value::Bool(text.ends_with(needle.as_ref())),
        Method::IndexOf => Value::Number(
            text.find(needle.as_ref())
                .map_or(-1.0, |at| text[..at].encode_utf16().count() as f64),
        ),
    }
}

fn compare(a: &Value<'_>, op: Compare, b: &Value<'_>) -> bool {
    match op {
        Compare::StrictEq => a.strict_eq(b),
        Compare::StrictNe => !a.strict_eq(b),
        Compare::LooseEq => a.loose_eq(b),
        Compare::LooseNe => !a.loose_eq(b),
        Compare::Lt | Compare::Le | Compare::Gt | Compare::Ge => {
            let ordering = match (a, b) {
                (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
                _ => a.to_number().partial_cmp(&b.to_number()),
            };
            ordering.is_some_and(|ordering| match op {
                Compare::Lt => ordering.is_lt(),
                Compare::Le => ordering.is_le(),
                Compare::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
    }
}

/// Why a filter was not read, at a byte offset within it.
#[derive(Debug)]
pub struct FilterError {
    pub offset: usize,
    pub message: String,
}

/// Reads a filter from the start of `text` (just after `?`) up to the `]` that closes it, which
/// is not consumed. Returns the expression and the bytes used.
pub fn parse(text: &str) -> Result<(Expr, usize), FilterError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    parser.spaces();
    Ok((expr, parser.at))
}

/// Nesting deeper than this is refused, so that parsing stays within the stack.
const MAX_NESTING: usize = 64;

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            offset: self.at,
            message: message.into(),
        })
    }

    fn spaces(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|byte| byte.is_ascii_whitespace())
        {
            self.at += 1;
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn take(&mut self, token: &str) -> bool {
        self.spaces();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.take("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.comparison()?;
        while self.take("&&") {
            left = Expr::And(Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let left = self.unary()?;
        self.spaces();
        const OPERATORS: &[(&str, Compare)] = &[
            ("===", Compare::StrictEq),
            ("!==", Compare::StrictNe),
            ("==", Compare::LooseEq),
            ("!=", Compare::LooseNe),
            ("<=", Compare::Le),
            (">=", Compare::Ge),
            ("<", Compare::Lt),
            (">", Compare::Gt),
        ];
        for (token, op) in OPERATORS {
            if self.take(token) {
                let right = self.unary()?;
                return Ok(Expr::Compare(Box::new(left), *op, Box::new(right)));
            }
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error("nested too deeply");
        }
        let expr = if self.take("!") {
            Expr::Not(Box::new(self.unary()?))
        } else if self.take("typeof ") {
            Expr::TypeOf(Box::new(self.unary()?))
        } else {
            let primary = self.primary()?;
            self.postfix(primary)?
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        self.spaces();
        let Some(&byte) = self.bytes.get(self.at) else {
            return self.error("the filter ends early");
        };
        match byte {
            b'(' => {
                self.at += 1;
                let inner = self.or()?;
                if !self.take(")") {
                    return self.error("expected `)`");
                }
                Ok(inner)
            }
            b'\'' | b'"' => {
                let (value, used) =
                    read_string(self.rest(), byte).map_err(|offset| FilterError {
                        offset: self.at + offset,
                        message: "unclosed string".to_string(),
                    })?;
                self.at += used;
                Ok(Expr::Literal(Literal::String(value)))
            }
            b'/' => {
                let regex = self.regex()?;
                if !self.take(".test(") {
                    return self.error("a regular expression is used as `/re/.test(value)`");
                }
                let target = self.or()?;
                if !self.take(")") {
                    return self.error("expected `)`");
                }
                Ok(Expr::Matches(Box::new(target), regex))
            }
            b'@' => self.current(),
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                self.at += 1;
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e'))
                {
                    self.at += 1;
                }
                match self.text[start..self.at].parse() {
                    Ok(value) => Ok(Expr::Literal(Literal::Number(value))),
                    Err(_) => {
                        self.at = start;
                        self.error("expected a number")
                    }
                }
            }
            _ => {
                for (word, literal) in [
                    ("true", Literal::Bool(true)),
                    ("false", Literal::Bool(false)),
                    ("null", Literal::Null),
                    ("undefined", Literal::Undefined),
                ] {
                    if self.rest().starts_with(word)
                        && !self
                            .bytes
                            .get(self.at + word.len())
                            .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
                    {
                        self.at += word.len();
                        return Ok(Expr::Literal(literal));
                    }
                }
                self.error(
                    "expected `@`, a string, a number, `true`, `false` or `null` (other \
                     JavaScript is not run)",
                )
            }
        }
    }

    /// `@`, `@.a`, `@['a']`, `@property`, `@parentProperty`, `@parent.a`, `@path`, and the
    /// type shorthands `@string()`, `@object()`, ….
    fn current(&mut self) -> Result<Expr, FilterError> {
        self.at += 1;
        let word_end = self.at
            + self
                .rest()
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
        let word = &self.text[self.at..word_end];
        match word {
            "" => Ok(Expr::Current(self.members()?)),
            "property" => {
                self.at = word_end;
                Ok(Expr::Property)
            }
            "parentProperty" => {
                self.at = word_end;
                Ok(Expr::ParentProperty)
            }
            "parent" => {
                self.at = word_end;
                Ok(Expr::Parent(self.members()?))
            }
            "path" => {
                self.at = word_end;
                Ok(Expr::Path)
            }
            _ => match Shorthand::NAMES.iter().find(|(name, _)| *name == word) {
                Some(&(_, shorthand)) => {
                    self.at = word_end;
                    self.take("()");
                    Ok(Expr::Is(shorthand))
                }
                None => self.error(format!(
                    "`@{word}` is not one of `@property`, `@parentProperty`, `@parent`, `@path` \
                     or a type shorthand such as `@object()`"
                )),
            },
        }
    }

    /// `.a`, `['a']`, `[0]`, … after `@` or `@parent`.
    fn members(&mut self) -> Result<Vec<Member>, FilterError> {
        let mut members = Vec::new();
        loop {
            match self.bytes.get(self.at) {
                Some(b'.') if !self.method_ahead() => {
                    self.at += 1;
                    let start = self.at;
                    while self.bytes.get(self.at).is_some_and(|byte| {
                        byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$' | b'-')
                    }) {
                        self.at += 1;
                    }
                    if start == self.at {
                        return self.error("expected a member name after `.`");
                    }
                    members.push(Member::Name(self.text[start..self.at].to_string()));
                }
                Some(b'[') => {
                    self.at += 1;
                    self.spaces();
                    match self.bytes.get(self.at) {
                        Some(&quote @ (b'\'' | b'"')) => {
                            let (value, used) =
                                read_string(self.rest(), quote).map_err(|offset| FilterError {
                                    offset: self.at + offset,
                                    message: "unclosed string".to_string(),
                                })?;
                            self.at += used;
                            members.push(Member::Name(value));
                        }
                        _ => {
                            let start = self.at;
                            while self
                                .bytes
                                .get(self.at)
                                .is_some_and(|byte| byte.is_ascii_digit() || *byte == b'-')
                            {
                                self.at += 1;
                            }
                            match self.text[start..self.at].parse() {
                                Ok(index) => members.push(Member::Index(index)),
                                Err(_) => return self.error("expected an index or a quoted name"),
                            }
                        }
                    }
                    if !self.take("]") {
                        return self.error("expected `]`");
                    }
                }
                _ => break,
            }
        }
        Ok(members)
    }

    /// Whether `.name(` or `.length` follows: a method or property of the value, not a member.
    fn method_ahead(&self) -> bool {
        let rest = &self.text[self.at + 1..];
        [
            "match(",
            "test(",
            "includes(",
            "startsWith(",
            "endsWith(",
            "indexOf(",
        ]
        .iter()
        .any(|method| rest.starts_with(method))
            || (rest.starts_with("length")
                && !rest[6..]
                    .bytes()
                    .next()
                    .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_'))
    }

    fn postfix(&mut self, mut expr: Expr) -> Result<Expr, FilterError> {
        loop {
            if self.rest().starts_with(".length") {
                self.at += ".length".len();
                expr = Expr::Length(Box::new(expr));
            } else if self.rest().starts_with(".match(") {
                self.at += ".match(".len();
                self.spaces();
                let regex = if self.bytes.get(self.at) == Some(&b'/') {
                    self.regex()?
                } else {
                    let start = self.at;
                    match self.primary()? {
                        Expr::Literal(Literal::String(source)) => JsRegex::new(&source, "")
                            .map_err(|message| FilterError {
                                offset: start,
                                message,
                            })?,
                        _ => return self.error("`match` takes a regular expression"),
                    }
                };
                if !self.take(")") {
                    return self.error("expected `)`");
                }
                expr = Expr::Matches(Box::new(expr), regex);
            } else if let Some((name, method)) = [
                (".includes(", Method::Includes),
                (".startsWith(", Method::StartsWith),
                (".endsWith(", Method::EndsWith),
                (".indexOf(", Method::IndexOf),
            ]
            .into_iter()
            .find(|(name, _)| self.rest().starts_with(name))
            {
                self.at += name.len();
                let argument = self.or()?;
                if !self.take(")") {
                    return self.error("expected `)`");
                }
                expr = Expr::Method(Box::new(expr), method, Box::new(argument));
            } else if self.bytes.get(self.at) == Some(&b'.')
                && self
                    .bytes
                    .get(self.at + 1)
                    .is_some_and(u8::is_ascii_alphabetic)
            {
                return self.error("this method is JavaScript that routeguard does not run");
            } else {
                return Ok(expr);
            }
        }
    }

    /// `/source/flags`.
    fn regex(&mut self) -> Result<JsRegex, FilterError> {
        let start = self.at;
        self.at += 1;
        let mut in_class = false;
        loop {
            match self.bytes.get(self.at) {
                None => {
                    self.at = start;
                    return self.error("unclosed regular expression");
                }
                Some(b'\\') => self.at += 2,
                Some(b'[') => {
                    in_class = true;
                    self.at += 1;
                }
                Some(b']') => {
                    in_class = false;
                    self.at += 1;
                }
                Some(b'/') if !in_class => break,
                Some(_) => self.at += 1,
            }
        }
        let source = &self.text[start + 1..self.at.min(self.text.len())];
        self.at += 1;
        let flags_start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        let flags = &self.text[flags_start..self.at];
        JsRegex::new(source, flags).map_err(|message| FilterError {
            offset: start,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> Filter {
        Filter::new(parse(text).unwrap().0)
    }

    #[test]
    fn a_filter_knows_the_property_names_it_can_hold_for() {
        let strict = filter("(@property === 'ref' || @property === \"Ref\") && @.$ref");
        assert!(strict.may_hold_for(Some("ref")) && strict.may_hold_for(Some("Ref")));
        assert!(!strict.may_hold_for(Some("type")) && !strict.may_hold_for(None));
        assert_eq!(strict.only_name(), None);
        assert_eq!(filter("@property === 'id'").only_name(), Some("id"));
        assert_eq!(filter("'in' == @property").only_name(), Some("in"));
        // An index equals a numeric name loosely, and `!=` holds for other names: no bound.
        for open in [
            "@property == '0'",
            "@property !== 'id'",
            "@.type || @property === 'id'",
        ] {
            let open = filter(open);
            assert!(open.may_hold_for(None) && open.may_hold_for(Some("x")));
            assert_eq!(open.only_name(), None);
        }
    }
}
