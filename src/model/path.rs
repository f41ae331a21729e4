//! Path templates as segments, so that `/pets/{id}`, `/pets/:id`, `/pets/<id>` and
//! `/pets/{proxy+}` compare equal where they match the same requests.

/// One `/`-separated piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Literal(String),
    /// One segment of any value (`{id}`, `:id`, `<id>`, `*`).
    Param,
    /// Any number of trailing segments (`{proxy+}`, `{*rest}`, `**`).
    Rest,
}

/// Splits a template into segments, recognising the parameter syntaxes of OpenAPI and the
/// gateways. A segment that mixes text and a parameter (`/files/{name}.json`) is a parameter.
pub fn parse_template(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            if piece == "**" || piece.ends_with("+}") || piece.starts_with("{*") {
                Segment::Rest
            } else if piece == "*"
                || piece.contains('{')
                || piece.starts_with(':')
                || (piece.starts_with('<') && piece.ends_with('>'))
            {
                Segment::Param
            } else {
                Segment::Literal(piece.to_string())
            }
        })
        .collect()
}

/// The path with every parameter replaced by `value`, for testing regular expressions against.
pub fn sample_path(segments: &[Segment], value: &str) -> String {
    if segments.is_empty() {
        return "/".to_string();
    }
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Param | Segment::Rest => out.push_str(value),
        }
    }
    out
}

/// The path part of a server URL (`https://api.example.com/v1/` → `/v1`), without variables'
/// braces resolved; `None` when it is the root.
pub fn server_base_path(url: &str) -> Option<String> {
    let without_scheme = match url.find("://") {
        Some(at) => &url[at + 3..],
        None => url,
    };
    let path = if url.contains("://") || !url.starts_with('/') {
        match without_scheme.find('/') {
            Some(at) => &without_scheme[at..],
            None => return None,
        }
    } else {
        url
    };
    let trimmed = path.trim_end_matches('/');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_syntaxes_are_one_kind_of_segment() {
        let openapi = parse_template("/pets/{id}/toys");
        assert_eq!(openapi, parse_template("/pets/:id/toys"));
        assert_eq!(openapi, parse_template("/pets/<id>/toys/"));
        assert_eq!(
            parse_template("/api/{proxy+}"),
            vec![Segment::Literal("api".into()), Segment::Rest]
        );
        assert_eq!(parse_template("/"), vec![]);
    }

    #[test]
    fn server_paths() {
        assert_eq!(
            server_base_path("https://api.example.com/v1/"),
            Some("/v1".into())
        );
        assert_eq!(server_base_path("https://api.example.com"), None);
        assert_eq!(server_base_path("/v2"), Some("/v2".into()));
        assert_eq!(
            server_base_path("{scheme}://{host}/api"),
            Some("/api".into())
        );
    }

    #[test]
    fn samples() {
        assert_eq!(sample_path(&parse_template("/pets/{id}"), "1"), "/pets/1");
        assert_eq!(sample_path(&[], "1"), "/");
    }
}
