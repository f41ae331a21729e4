//! What a file's text says about it before (or without) parsing it: whether it is a Helm or other
//! Go template, and whether a file that does not parse is still one of the formats routeguard
//! reads, so that a broken spec is reported while a broken unrelated file in the same folder is
//! not.

use std::sync::LazyLock;

use regex::Regex;

/// A Go template action as Helm, Kustomize-less charts and Go tooling write them:
/// `{{ .Values.x }}`, `{{- include "x" . }}`, `{{ if … }}`, `{{ $var }}`, `{{/* comment */}}`.
/// Placeholders without a dot or keyword (`{{baseUrl}}`, as Postman writes them) are not actions.
static GO_TEMPLATE_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\{\{-?\s*(?:[.$]|/\*|(?:include|template|if|else|end|range|with|define|block|toYaml|toJson|tpl|printf|default|required|quote|nindent|indent|lookup)\b)",
    )
    .expect("valid regex")
});

/// Whether `text` holds Go template actions at all.
pub fn has_go_template_actions(text: &str) -> bool {
    GO_TEMPLATE_ACTION.is_match(text)
}

/// Whether a Go template action stands where a value or a line starts (`timeout: {{ .x }}`,
/// `{{- if … }}`), rather than inside a quoted string (`url = "http://{{ .Host }}"`, as
/// Traefik's file provider and many test suites write them, which still parses as the format).
pub fn has_unquoted_go_template_action(text: &str) -> bool {
    GO_TEMPLATE_ACTION.find_iter(text).any(|action| {
        let line_start = text[..action.start()].rfind('\n').map_or(0, |at| at + 1);
        let before = text[line_start..action.start()].trim_end();
        let in_string =
            before.matches('"').count() % 2 == 1 || before.matches('\'').count() % 2 == 1;
        !in_string && (before.is_empty() || before.ends_with([':', '-', '[', ',', '=', '{']))
    })
}

/// Top-level keys or values that only the formats routeguard reads write. Checked on the raw
/// text, line by line, because the file did not parse.
static MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?mx)
        (?:^|[{,])\s*["']?(?:openapi|swagger|_format_version|model_list|litellm_settings|static_resources|virtual_hosts|x-amazon-apigateway-integration)["']?\s*:
        | (?:^|[{,])\s*["']?apiVersion["']?\s*:\s*["']?(?:networking\.istio\.io|gateway\.networking\.k8s\.io|configuration\.konghq\.com|apisix\.apache\.org|traefik\.io|traefik\.containo\.us|gateway\.envoyproxy\.io|(?:policy\.)?linkerd\.io|kuma\.io)/
        | ^\s*["']?\$schema["']?\s*:\s*["']?https?://www\.krakend\.io/
        | ^\s*\[\[?\s*http\.(?:routers|services|middlewares)\b
        "#,
    )
    .expect("valid regex")
});

/// File names that only routeguard's formats use.
const NAMES: &[&str] = &[
    "openapi",
    "swagger",
    "kong",
    "envoy",
    "krakend",
    "apisix",
    "traefik",
    "litellm",
    "portkey",
    "virtualservice",
    "destinationrule",
    "httproute",
];

/// Whether a file that did not parse is still one of ours, from its content or its name: its
/// parse error is then reported, as the gateway reading it would fail too.
pub fn marks_ours(file_name: &str, text: &str) -> bool {
    let stem = file_name
        .rsplit('/')
        .next()
        .unwrap_or(file_name)
        .split('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    NAMES
        .iter()
        .any(|name| stem == *name || stem.starts_with(&format!("{name}-")))
        || MARKERS.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_templates() {
        let unquoted = has_unquoted_go_template_action;
        assert!(unquoted("timeout: {{ .Values.timeout }}\n"));
        assert!(unquoted(
            "    {{- include \"chart.labels\" . | nindent 4 }}"
        ));
        assert!(unquoted("{{ if .Values.enabled }}\nkind: X\n{{ end }}"));
        assert!(unquoted("hosts:\n  - {{ .Values.host }}\n"));
        assert!(!unquoted("url = \"https://127.0.0.1:{{ .Port }}\"\n"));
        assert!(!unquoted("image: \"{{ .Values.image }}\"\n"));
        assert!(!unquoted("rootCAs = [ \"\"\"{{ .Cert }}\"\"\" ]\n"));
        assert!(has_go_template_actions("image: \"{{ .Values.image }}\"\n"));
        assert!(has_go_template_actions("{{/* a comment */}}"));
        assert!(!has_go_template_actions("url: \"{{baseUrl}}/pets\"\n"));
        assert!(!has_go_template_actions("openapi: 3.0.0\n"));
    }

    #[test]
    fn ours_by_content_or_name() {
        assert!(marks_ours("specs/a.yaml", "openapi: 3.0.0\ninfo: [\n"));
        assert!(marks_ours("x.json", "{\n  \"swagger\": \"2.0\",\n"));
        assert!(marks_ours(
            "gw.yaml",
            "_format_version: \"3.0\"\nservices: [\n"
        ));
        assert!(marks_ours(
            "vs.yaml",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n  bad"
        ));
        assert!(marks_ours("config.yaml", "model_list:\n  - [\n"));
        assert!(marks_ours("deploy/kong.yml", "broken: [\n"));
        assert!(marks_ours("openapi-v2.yaml", "broken: [\n"));
        assert!(marks_ours(
            "dynamic.toml",
            "[http.routers.pets]\n  rule = x\n"
        ));
        assert!(!marks_ours("docker-compose.yml", "services:\n  web: [\n"));
        assert!(!marks_ours(
            "tsconfig.json",
            "{ // comment\n \"compilerOptions\": {} }"
        ));
        assert!(!marks_ours(
            "deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\n ["
        ));
    }
}
