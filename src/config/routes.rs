//! Route patterns: `GET /health`, `* /internal/**`, `/pets/{id}`, matched against the
//! `METHOD /path` route of a finding.
//!
//! The path is a glob over segments: `*` matches within one segment, `**` matches any number of
//! segments. A `{name}` segment part stands for a path parameter whatever its name, so
//! `/pets/{id}` matches the route `GET /pets/{petId}`.

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::model::Method;

/// The methods a pattern may name (in any letter case), besides `*`.
pub const METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT",
];

/// The JSON Schema pattern equivalent to [`RoutePattern::parse`]'s checks.
pub fn schema_pattern() -> String {
    let any_case = |method: &str| -> String {
        method
            .chars()
            .map(|c| format!("[{}{}]", c, c.to_ascii_lowercase()))
            .collect()
    };
    let methods: Vec<String> = METHODS.iter().map(|method| any_case(method)).collect();
    format!("^\\s*((\\*|{})\\s+/.*|/\\S*)\\s*$", methods.join("|"))
}

#[derive(Debug, Clone)]
pub struct RoutePattern {
    /// Upper-case; `None` matches every method.
    method: Option<String>,
    path: PathMatcher,
}

#[derive(Debug, Clone)]
enum PathMatcher {
    Glob(GlobMatcher),
    /// A path template with its parameters normalized to `{}`.
    Exact(String),
}

impl RoutePattern {
    /// Reads a pattern as written in the config; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<RoutePattern, String> {
        let trimmed = text.trim();
        let (method, path) = match trimmed.split_once(char::is_whitespace) {
            Some((method, path)) => (Some(method), path.trim()),
            None => (None, trimmed),
        };
        let method = match method {
            None | Some("*") => None,
            Some(method) => {
                let upper = method.to_ascii_uppercase();
                if !METHODS.contains(&upper.as_str()) {
                    let hint = match crate::suggest::closest(&upper, METHODS.iter().copied()) {
                        Some(close) => format!("; did you mean `{close}`?"),
                        None => ".".to_string(),
                    };
                    return Err(format!(
                        "`{method}` is not an HTTP method{hint} Write `GET /path`, `* /path` or `/path`"
                    ));
                }
                Some(upper)
            }
        };
        if !path.starts_with('/') {
            return Err(format!(
                "route pattern `{trimmed}` has no path: write `METHOD /path`, e.g. `GET /health` or `* /internal/**`"
            ));
        }
        let glob = glob(&parameters_as_literals(path))
            .map_err(|error| format!("route pattern `{trimmed}`: {error}"))?;
        Ok(RoutePattern {
            method,
            path: PathMatcher::Glob(glob.compile_matcher()),
        })
    }

    /// The pattern matching exactly one operation (`method`) or every method of a path (`None`).
    pub fn exact(method: Option<Method>, path: &str) -> RoutePattern {
        RoutePattern {
            method: method.map(|method| method.to_string()),
            path: PathMatcher::Exact(normalize_parameters(path)),
        }
    }

    /// Whether a finding's route (`GET /pets/{petId}`) is one this pattern names.
    /// The normalized path an exact pattern matches, for looking patterns up by path.
    pub fn exact_path(&self) -> Option<&str> {
        match &self.path {
            PathMatcher::Exact(exact) => Some(exact),
            PathMatcher::Glob(_) => None,
        }
    }

    /// The key [`RoutePattern::exact_path`] gives for a route's path.
    pub fn path_key(path: &str) -> String {
        normalize_parameters(path)
    }

    pub fn matches(&self, route: &str) -> bool {
        let (method, path) = route.split_once(' ').unwrap_or(("", route));
        let method_matches = self
            .method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method));
        method_matches
            && match &self.path {
                PathMatcher::Glob(glob) => glob.is_match(normalize_parameters(path)),
                PathMatcher::Exact(exact) => *exact == normalize_parameters(path),
            }
    }
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// Every `{…}` in a route path becomes `{}`, so parameter names do not matter.
fn normalize_parameters(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str("{}");
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// In a user's pattern, `{name}` is a path parameter, not a glob alternation: it becomes a
/// literal `{}` to match [`normalize_parameters`]' output.
fn parameters_as_literals(path: &str) -> String {
    normalize_parameters(path)
        .replace('{', "[{]")
        .replace('}', "[}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, route: &str) -> bool {
        RoutePattern::parse(pattern).unwrap().matches(route)
    }

    #[test]
    fn method_and_path_globs() {
        assert!(matches("GET /health", "GET /health"));
        assert!(matches("get /health", "GET /health"));
        assert!(!matches("GET /health", "POST /health"));
        assert!(!matches("GET /health", "GET /healthz"));
        assert!(matches("* /internal/**", "DELETE /internal/a/b"));
        assert!(matches("/internal/**", "GET /internal/jobs"));
        assert!(!matches("* /internal/**", "GET /public/internal/x"));
        assert!(matches("GET /pets/*", "GET /pets/{petId}"));
        assert!(!matches("GET /pets/*", "GET /pets/{petId}/photos"));
    }

    #[test]
    fn parameter_names_do_not_matter() {
        assert!(matches("GET /pets/{id}", "GET /pets/{petId}"));
        assert!(!matches("GET /pets/{id}", "GET /pets/all"));
        let exact = RoutePattern::exact(Some(Method::Get), "/pets/{petId}");
        assert!(exact.matches("GET /pets/{id}"));
        assert!(!exact.matches("POST /pets/{id}"));
        let any_method = RoutePattern::exact(None, "/a*b/[x]");
        assert!(any_method.matches("PUT /a*b/[x]"));
        assert!(!any_method.matches("PUT /aXb/x"));
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(RoutePattern::parse("GET").unwrap_err().contains("no path"));
        assert!(RoutePattern::parse("G3T /x")
            .unwrap_err()
            .contains("not an HTTP method"));
        assert!(RoutePattern::parse("GET /[x").is_err());
    }
}
