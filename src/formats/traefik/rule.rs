//! Router rules: `Host(`api.example.com`) && (Path(`/a`) || PathPrefix(`/b/`)) && !Method(`POST`)`.
//!
//! A rule is parsed as Traefik parses it (`pkg/rules`, `pkg/muxer/http`): matcher names in their
//! exact, lower, upper or title case, one argument per matcher in v3 syntax and several in v2,
//! `&&` binding tighter than `||`, `!` inverting what follows. It is then expanded into
//! alternatives (a disjunction of conjunctions), each of which becomes one route: an `||` of paths
//! yields several path matchers, each with the methods that go with it.

use std::ops::Range;

use super::expression::{tokenize, ExpressionError, Token, TokenKind};
use crate::model::{Method, MethodSet, PathKind};

/// Which matcher language a router uses (`ruleSyntax`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSyntax {
    V2,
    V3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatcherKind {
    Path,
    PathPrefix,
    PathRegexp,
    Method,
    Host,
    HostRegexp,
    Header,
    HeaderRegexp,
    Query,
    QueryRegexp,
    ClientIp,
}

impl MatcherKind {
    /// v2 matchers take several arguments, any of which matches.
    fn alternatives_per_argument(self) -> bool {
        matches!(
            self,
            MatcherKind::Path
                | MatcherKind::PathPrefix
                | MatcherKind::Method
                | MatcherKind::Host
                | MatcherKind::HostRegexp
                | MatcherKind::ClientIp
        )
    }
}

/// Names and argument counts, as registered in `httpFuncs` (v3) and `httpFuncsV2`.
const V3_MATCHERS: &[(&str, MatcherKind, &[usize])] = &[
    ("ClientIP", MatcherKind::ClientIp, &[1]),
    ("Method", MatcherKind::Method, &[1]),
    ("Host", MatcherKind::Host, &[1]),
    ("HostRegexp", MatcherKind::HostRegexp, &[1]),
    ("Path", MatcherKind::Path, &[1]),
    ("PathRegexp", MatcherKind::PathRegexp, &[1]),
    ("PathPrefix", MatcherKind::PathPrefix, &[1]),
    ("Header", MatcherKind::Header, &[2]),
    ("HeaderRegexp", MatcherKind::HeaderRegexp, &[2]),
    ("Query", MatcherKind::Query, &[1, 2]),
    ("QueryRegexp", MatcherKind::QueryRegexp, &[1, 2]),
];

/// v2 matchers take any number of arguments (at least one) unless listed with a count.
const V2_MATCHERS: &[(&str, MatcherKind, &[usize])] = &[
    ("Host", MatcherKind::Host, &[]),
    ("HostHeader", MatcherKind::Host, &[]),
    ("HostRegexp", MatcherKind::HostRegexp, &[]),
    ("ClientIP", MatcherKind::ClientIp, &[]),
    ("Path", MatcherKind::Path, &[]),
    ("PathPrefix", MatcherKind::PathPrefix, &[]),
    ("Method", MatcherKind::Method, &[]),
    ("Headers", MatcherKind::Header, &[2]),
    ("HeadersRegexp", MatcherKind::HeaderRegexp, &[2]),
    ("Query", MatcherKind::Query, &[]),
];

/// More alternatives than this are not expanded: such a rule is refused rather than read partly.
pub const MAX_ALTERNATIVES: usize = 256;
/// Parentheses and `!` nest at most this deep.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq)]
struct Argument {
    value: String,
    span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    kind: MatcherKind,
    arguments: Vec<Argument>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Not(Box<Expr>),
    Match(Matcher),
}

/// A path a rule requires, as a route matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRequirement {
    pub kind: PathKind,
    pub pattern: String,
    /// The argument it was read from, within the rule.
    pub span: Range<usize>,
}

/// One way a request can satisfy a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub methods: MethodSet,
    /// The first `Method` argument that constrains the methods, within the rule.
    pub methods_span: Option<Range<usize>>,
    /// `None`: any path.
    pub path: Option<PathRequirement>,
    pub hosts: Vec<String>,
}

/// Parses a rule and expands it into the alternatives that can match a request.
pub fn parse(rule: &str, syntax: RuleSyntax) -> Result<Vec<Alternative>, ExpressionError> {
    let tokens = tokenize(rule)?;
    if tokens.is_empty() {
        return Err(ExpressionError::new("the rule is empty", 0..rule.len()));
    }
    let mut parser = Parser {
        tokens: &tokens,
        position: 0,
        syntax,
        end: rule.len(),
    };
    let expr = parser.disjunction(0)?;
    if let Some(extra) = tokens.get(parser.position) {
        return Err(ExpressionError::new(
            "expected `&&`, `||` or the end of the rule",
            extra.span.clone(),
        ));
    }
    let conjunctions = expand(&expr, false).ok_or_else(|| {
        ExpressionError::new(
            format!("the rule has more than {MAX_ALTERNATIVES} alternatives"),
            0..rule.len(),
        )
    })?;
    let mut alternatives: Vec<Alternative> = Vec::new();
    for conjunction in &conjunctions {
        let alternative = alternative(conjunction, syntax);
        if !alternatives.contains(&alternative) {
            alternatives.push(alternative);
        }
    }
    Ok(alternatives)
}

struct Parser<'t> {
    tokens: &'t [Token],
    position: usize,
    syntax: RuleSyntax,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn advance(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.position);
        self.position += 1;
        token
    }

    fn expected(&self, what: &str) -> ExpressionError {
        match self.peek() {
            Some(token) => ExpressionError::new(format!("expected {what}"), token.span.clone()),
            None => ExpressionError::new(
                format!("expected {what}, but the rule ends"),
                self.end..self.end,
            ),
        }
    }

    fn disjunction(&mut self, depth: usize) -> Result<Expr, ExpressionError> {
        let mut terms = vec![self.conjunction(depth)?];
        while self.peek().is_some_and(|token| token.kind == TokenKind::Or) {
            self.position += 1;
            terms.push(self.conjunction(depth)?);
        }
        Ok(flatten(terms, Expr::Any))
    }

    fn conjunction(&mut self, depth: usize) -> Result<Expr, ExpressionError> {
        let mut terms = vec![self.unary(depth)?];
        while self
            .peek()
            .is_some_and(|token| token.kind == TokenKind::And)
        {
            self.position += 1;
            terms.push(self.unary(depth)?);
        }
        Ok(flatten(terms, Expr::All))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ExpressionError> {
        if depth > MAX_NESTING {
            return Err(ExpressionError::new(
                format!("the rule nests more than {MAX_NESTING} levels deep"),
                self.peek()
                    .map_or(self.end..self.end, |token| token.span.clone()),
            ));
        }
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected("a matcher such as Path(`/api`)"));
        };
        match token.kind {
            TokenKind::Not => {
                self.position += 1;
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            TokenKind::Open => {
                self.position += 1;
                let inner = self.disjunction(depth + 1)?;
                match self.advance() {
                    Some(Token {
                        kind: TokenKind::Close,
                        ..
                    }) => Ok(inner),
                    _ => {
                        self.position -= 1;
                        Err(self.expected("`)`"))
                    }
                }
            }
            TokenKind::Identifier(name) => {
                self.position += 1;
                self.matcher(&name, token.span)
            }
            _ => Err(self.expected("a matcher such as Path(`/api`)")),
        }
    }

    fn matcher(&mut self, name: &str, name_span: Range<usize>) -> Result<Expr, ExpressionError> {
        let table = match self.syntax {
            RuleSyntax::V3 => V3_MATCHERS,
            RuleSyntax::V2 => V2_MATCHERS,
        };
        let Some(&(canonical, kind, counts)) = table
            .iter()
            .find(|(canonical, _, _)| spellings(canonical).any(|spelling| spelling == name))
        else {
            let hint = match (self.syntax, name) {
                (RuleSyntax::V3, "Headers" | "HeadersRegexp" | "HostHeader") => {
                    " (a Traefik v2 matcher: v3 has `Header`, `HeaderRegexp` and `Host`, or set \
                     `ruleSyntax: v2`)"
                }
                _ => "",
            };
            return Err(ExpressionError::new(
                format!("unknown matcher `{name}`{hint}"),
                name_span,
            ));
        };
        if !self
            .advance()
            .is_some_and(|token| token.kind == TokenKind::Open)
        {
            self.position -= 1;
            return Err(self.expected(&format!("`(` after `{name}`")));
        }
        let mut arguments = Vec::new();
        loop {
            let Some(token) = self.advance().cloned() else {
                self.position -= 1;
                return Err(self.expected("a string or `)`"));
            };
            match token.kind {
                TokenKind::Close => break,
                TokenKind::Str(value) => arguments.push(Argument {
                    value,
                    span: token.span,
                }),
                _ => {
                    return Err(ExpressionError::new(
                        "matcher arguments are strings, in backticks or double quotes",
                        token.span,
                    ))
                }
            }
            match self.advance().map(|token| token.kind.clone()) {
                Some(TokenKind::Comma) => {}
                Some(TokenKind::Close) => break,
                _ => {
                    self.position -= 1;
                    return Err(self.expected("`,` or `)`"));
                }
            }
        }
        let close = self
            .tokens
            .get(self.position.saturating_sub(1))
            .map_or(self.end, |token| token.span.end);
        let whole = name_span.start..close;
        let count_ok = if counts.is_empty() {
            !arguments.is_empty()
        } else {
            counts.contains(&arguments.len())
        };
        if !count_ok {
            let expected = match counts {
                [] => "at least 1 argument".to_string(),
                [1] => "1 argument".to_string(),
                [n] => format!("{n} arguments"),
                _ => format!(
                    "{} arguments",
                    counts
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            };
            let several = if self.syntax == RuleSyntax::V3 && arguments.len() > 1 {
                " (v3 syntax; `||` joins alternatives, or set `ruleSyntax: v2`)"
            } else {
                ""
            };
            return Err(ExpressionError::new(
                format!(
                    "`{canonical}` takes {expected}, found {}{several}",
                    arguments.len()
                ),
                whole,
            ));
        }
        for argument in &arguments {
            check_argument(kind, argument, self.syntax)?;
        }
        Ok(Expr::Match(Matcher { kind, arguments }))
    }
}

/// `PathPrefix`, `pathprefix`, `PATHPREFIX` and `Pathprefix` all name one matcher.
fn spellings(canonical: &str) -> impl Iterator<Item = String> + '_ {
    let lower = canonical.to_ascii_lowercase();
    let mut title = lower.clone();
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    [
        canonical.to_string(),
        lower,
        canonical.to_ascii_uppercase(),
        title,
    ]
    .into_iter()
}

fn flatten(mut terms: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if terms.len() == 1 {
        terms.remove(0)
    } else {
        join(terms)
    }
}

fn check_argument(
    kind: MatcherKind,
    argument: &Argument,
    syntax: RuleSyntax,
) -> Result<(), ExpressionError> {
    let fail = |message: String| Err(ExpressionError::new(message, argument.span.clone()));
    let value = &argument.value;
    match kind {
        MatcherKind::Path | MatcherKind::PathPrefix => {
            if !value.starts_with('/') {
                return fail(format!("path `{value}` does not start with `/`"));
            }
            if syntax == RuleSyntax::V2 {
                if let Err(message) = v2_template(value) {
                    return fail(message);
                }
            }
        }
        MatcherKind::PathRegexp
        | MatcherKind::HostRegexp
        | MatcherKind::HeaderRegexp
        | MatcherKind::QueryRegexp
            if syntax == RuleSyntax::V3 =>
        {
            if let Err(error) = crate::model::pattern::compile(value) {
                return fail(format!(
                    "`{value}` is not a valid regular expression: {}",
                    crate::formats::values::regex_problem(&error)
                ));
            }
        }
        _ => {}
    }
    if syntax == RuleSyntax::V2 && value.is_empty() {
        return fail("empty argument".to_string());
    }
    Ok(())
}

/// A gorilla/mux path template (`/users/{id:[0-9]+}`) as a route pattern (`/users/{id}`), or
/// what is wrong with it.
fn v2_template(template: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut variable = String::new();
    for c in template.chars() {
        match (c, depth) {
            ('{', 0) => {
                depth = 1;
                variable.clear();
            }
            ('{', _) => {
                depth += 1;
                variable.push(c);
            }
            ('}', 0) => return Err(format!("unbalanced braces in `{template}`")),
            ('}', 1) => {
                depth = 0;
                let name = variable.split(':').next().unwrap_or("").trim();
                if name.is_empty() {
                    return Err(format!("a variable without a name in `{template}`"));
                }
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            ('}', _) => {
                depth -= 1;
                variable.push(c);
            }
            (_, 0) => out.push(c),
            _ => variable.push(c),
        }
    }
    if depth > 0 {
        return Err(format!("unbalanced braces in `{template}`"));
    }
    Ok(out)
}

/// A matcher with one argument (v2 matchers with several are expanded first), possibly negated.
#[derive(Debug, Clone)]
struct Literal<'e> {
    negated: bool,
    kind: MatcherKind,
    arguments: &'e [Argument],
}

/// The rule as a disjunction of conjunctions of literals, negations pushed down to matchers (as
/// Traefik's own `invert` does). `None` when it would exceed [`MAX_ALTERNATIVES`].
fn expand(expr: &Expr, negated: bool) -> Option<Vec<Vec<Literal<'_>>>> {
    match expr {
        Expr::Not(inner) => expand(inner, !negated),
        Expr::Match(matcher) => {
            let single: Vec<Literal<'_>> = if matcher.kind.alternatives_per_argument() {
                matcher
                    .arguments
                    .chunks(1)
                    .map(|argument| Literal {
                        negated,
                        kind: matcher.kind,
                        arguments: argument,
                    })
                    .collect()
            } else {
                vec![Literal {
                    negated,
                    kind: matcher.kind,
                    arguments: &matcher.arguments,
                }]
            };
            // Several arguments are alternatives; negated, all of them must fail.
            if negated {
                Some(vec![single])
            } else {
                Some(single.into_iter().map(|literal| vec![literal]).collect())
            }
        }
        Expr::Any(terms) | Expr::All(terms) => {
            let disjunctive = matches!(expr, Expr::Any(_)) != negated;
            let mut result: Vec<Vec<Literal<'_>>> = if disjunctive {
                Vec::new()
            } else {
                vec![Vec::new()]
            };
            for term in terms {
                let expanded = expand(term, negated)?;
                if disjunctive {
                    result.extend(expanded);
                } else {
                    let mut product = Vec::new();
                    for left in &result {
                        for right in &expanded {
                            if product.len() >= MAX_ALTERNATIVES {
                                return None;
                            }
                            let mut both = left.clone();
                            both.extend(right.iter().cloned());
                            product.push(both);
                        }
                    }
                    result = product;
                }
                if result.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(result)
        }
    }
}

/// What one conjunction requires of a request.
fn alternative(conjunction: &[Literal<'_>], syntax: RuleSyntax) -> Alternative {
    let mut methods = MethodSet::Any;
    let mut methods_span = None;
    let mut paths: Vec<PathRequirement> = Vec::new();
    let mut hosts = Vec::new();
    for literal in conjunction {
        let Some(argument) = literal.arguments.first() else {
            continue;
        };
        match (literal.kind, literal.negated) {
            (MatcherKind::Method, negated) => {
                // Traefik upper-cases the method it compares with.
                let named = Method::from_key(&argument.value.to_ascii_lowercase());
                methods = match (methods, negated) {
                    (MethodSet::Any, false) => MethodSet::Only(named.into_iter().collect()),
                    (MethodSet::Only(current), false) => {
                        MethodSet::Only(current.into_iter().filter(|m| Some(*m) == named).collect())
                    }
                    (MethodSet::Any, true) => MethodSet::Only(
                        Method::ALL
                            .into_iter()
                            .filter(|m| Some(*m) != named)
                            .collect(),
                    ),
                    (MethodSet::Only(current), true) => {
                        MethodSet::Only(current.into_iter().filter(|m| Some(*m) != named).collect())
                    }
                };
                methods_span.get_or_insert_with(|| argument.span.clone());
            }
            (MatcherKind::Path, false) => {
                let (kind, pattern) = match syntax {
                    RuleSyntax::V2 if argument.value.contains('{') => (
                        PathKind::Template,
                        v2_template(&argument.value).unwrap_or_else(|_| argument.value.clone()),
                    ),
                    _ => (PathKind::Exact, argument.value.clone()),
                };
                paths.push(PathRequirement {
                    kind,
                    pattern,
                    span: argument.span.clone(),
                });
            }
            (MatcherKind::PathPrefix, false) => {
                let pattern = match syntax {
                    RuleSyntax::V2 => {
                        v2_template(&argument.value).unwrap_or_else(|_| argument.value.clone())
                    }
                    RuleSyntax::V3 => argument.value.clone(),
                };
                paths.push(PathRequirement {
                    kind: PathKind::Prefix,
                    pattern,
                    span: argument.span.clone(),
                });
            }
            (MatcherKind::PathRegexp, false) => {
                // Go's `MatchString` finds the expression anywhere in the path.
                let value = &argument.value;
                let pattern = if value.starts_with('^') || value.starts_with(".*") {
                    value.clone()
                } else {
                    format!(".*(?:{value})")
                };
                paths.push(PathRequirement {
                    kind: PathKind::Regex { full: false },
                    pattern,
                    span: argument.span.clone(),
                });
            }
            // Traefik compares hosts in lower case; a regular expression is kept as written.
            (MatcherKind::Host, false) => hosts.push(argument.value.to_ascii_lowercase()),
            (MatcherKind::HostRegexp, false) => hosts.push(argument.value.clone()),
            _ => {}
        }
    }
    // Several paths in one conjunction all have to match: the most specific one says most.
    paths.sort_by_key(|path| {
        let rank = match path.kind {
            PathKind::Exact | PathKind::Template => 0,
            PathKind::Regex { .. } => 1,
            _ => 2,
        };
        (rank, std::cmp::Reverse(path.pattern.len()))
    });
    Alternative {
        methods,
        methods_span,
        path: paths.into_iter().next(),
        hosts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(rule: &str) -> Vec<Alternative> {
        parse(rule, RuleSyntax::V3).expect("valid rule")
    }

    fn paths(alternatives: &[Alternative]) -> Vec<(PathKind, &str, String)> {
        alternatives
            .iter()
            .map(|alternative| {
                let path = alternative.path.as_ref();
                (
                    path.map_or(PathKind::Any, |path| path.kind),
                    path.map_or("", |path| path.pattern.as_str()),
                    alternative.methods.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn alternatives_of_paths_and_methods() {
        let rule =
            "Host(`api.example.com`) && (Path(`/pets`) || PathPrefix(`/pets/`)) && Method(`get`)";
        let alternatives = v3(rule);
        assert_eq!(
            paths(&alternatives),
            vec![
                (PathKind::Exact, "/pets", "GET".to_string()),
                (PathKind::Prefix, "/pets/", "GET".to_string()),
            ]
        );
        assert_eq!(alternatives[0].hosts, vec!["api.example.com".to_string()]);
        let slice = |span: Option<Range<usize>>| span.and_then(|span| rule.get(span));
        assert_eq!(slice(alternatives[0].methods_span.clone()), Some("`get`"));
        assert_eq!(
            slice(alternatives[1].path.as_ref().map(|p| p.span.clone())),
            Some("`/pets/`")
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let alternatives = v3("Path(`/a`) && Method(`GET`) || Path(`/b`)");
        assert_eq!(
            paths(&alternatives),
            vec![
                (PathKind::Exact, "/a", "GET".to_string()),
                (PathKind::Exact, "/b", "*".to_string()),
            ]
        );
    }

    #[test]
    fn negation_is_pushed_to_matchers() {
        let alternatives = v3("PathPrefix(`/api`) && !(Method(`POST`) || Method(`DELETE`))");
        assert_eq!(
            paths(&alternatives),
            vec![(
                PathKind::Prefix,
                "/api",
                "GET,PUT,OPTIONS,HEAD,PATCH,TRACE".to_string()
            )]
        );
        // A negated path does not say which paths match.
        assert_eq!(
            paths(&v3("!PathPrefix(`/admin`)")),
            vec![(PathKind::Any, "", "*".to_string())]
        );
    }

    #[test]
    fn regexps_are_searched_anywhere_unless_anchored() {
        assert_eq!(
            paths(&v3(
                "PathRegexp(`^/v[0-9]+/pets$`) || PathRegexp(`/pets/[0-9]+`)"
            )),
            vec![
                (
                    PathKind::Regex { full: false },
                    "^/v[0-9]+/pets$",
                    "*".to_string()
                ),
                (
                    PathKind::Regex { full: false },
                    ".*(?:/pets/[0-9]+)",
                    "*".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_most_specific_path_of_a_conjunction_wins() {
        assert_eq!(
            paths(&v3("PathPrefix(`/api`) && Path(`/api/pets`)")),
            vec![(PathKind::Exact, "/api/pets", "*".to_string())]
        );
    }

    #[test]
    fn matcher_names_in_any_of_traefiks_spellings() {
        for rule in ["pathprefix(`/a`)", "PATHPREFIX(`/a`)", "Pathprefix(`/a`)"] {
            assert_eq!(
                paths(&v3(rule)),
                vec![(PathKind::Prefix, "/a", "*".to_string())]
            );
        }
        assert!(parse("pathPrefix(`/a`)", RuleSyntax::V3).is_err());
    }

    #[test]
    fn v2_rules_take_several_arguments_and_templates() {
        let alternatives = parse(
            "Path(`/pets/{id:[0-9]+}`, `/toys`) && Method(`GET`, `HEAD`)",
            RuleSyntax::V2,
        )
        .expect("valid v2 rule");
        assert_eq!(
            paths(&alternatives),
            vec![
                (PathKind::Template, "/pets/{id}", "GET".to_string()),
                (PathKind::Template, "/pets/{id}", "HEAD".to_string()),
                (PathKind::Exact, "/toys", "GET".to_string()),
                (PathKind::Exact, "/toys", "HEAD".to_string()),
            ]
        );
        let error = parse("Path(`/a`, `/b`)", RuleSyntax::V3).expect_err("v3 takes one path");
        assert_eq!(error.span, 0..16);
        assert!(
            error.message.contains("ruleSyntax: v2"),
            "{}",
            error.message
        );
    }

    #[test]
    fn errors_point_into_the_rule() {
        let at = |rule: &str| parse(rule, RuleSyntax::V3).map_err(|error| error.span);
        assert_eq!(at("Path(`/a`) && "), Err(14..14));
        assert_eq!(at("Path(`/a`) Method(`GET`)"), Err(11..17));
        assert_eq!(at("Paht(`/a`)"), Err(0..4));
        assert_eq!(at("Path(`a`)"), Err(5..8));
        assert_eq!(at("PathRegexp(`/a(`)"), Err(11..16));
        assert_eq!(at("(Path(`/a`)"), Err(11..11));
        assert_eq!(at("Path(42)"), Err(5..7));
        assert_eq!(at("Path"), Err(4..4));
        assert_eq!(at(""), Err(0..0));
        assert_eq!(at(&"(".repeat(500)), Err(65..66));
    }

    #[test]
    fn huge_expansions_are_refused() {
        let clause = "(Path(`/a`) || Path(`/b`) || Path(`/c`) || Path(`/d`))";
        let rule = [clause; 5].join(" && ");
        assert!(parse(&rule, RuleSyntax::V3).is_err());
        let rule = [clause; 4].join(" && ");
        assert_eq!(parse(&rule, RuleSyntax::V3).map(|a| a.len()), Ok(4));
    }
}
