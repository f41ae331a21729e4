//! `extends: spectral:oas`: Spectral's OpenAPI ruleset, mapped onto routeguard.
//!
//! Its rules that core functions express run as ruleset rules (`oas.yaml`); two have built-in
//! routeguard equivalents and turn those on; the rest call Spectral's own OpenAPI functions and
//! have no equivalent here, which `extends: spectral:oas` says in one note.

pub const FILE: &str = "spectral:oas";
pub const SOURCE: &str = include_str!("oas.yaml");

/// `spectral:oas` rule → the built-in routeguard rule that checks the same thing.
pub const BUILTINS: &[(&str, &str)] = &[
    ("operation-description", "operation-description"),
    ("operation-operationId", "operation-id"),
];

/// `spectral:oas` rules that routeguard does not run: each calls a Spectral function written
/// for OpenAPI (or JavaScript) that no core function replaces.
pub const WITHOUT_EQUIVALENT: &[&str] = &[
    "array-items",
    "duplicated-entry-in-enum",
    "no-$ref-siblings",
    "oas2-anyOf",
    "oas2-discriminator",
    "oas2-oneOf",
    "oas2-operation-formData-consume-check",
    "oas2-operation-security-defined",
    "oas2-parameter-description",
    "oas2-schema",
    "oas2-valid-media-example",
    "oas2-valid-schema-example",
    "oas3-callbacks-in-callbacks",
    "oas3-examples-value-or-externalValue",
    "oas3-operation-security-defined",
    "oas3-parameter-description",
    "oas3-schema",
    "oas3-server-variables",
    "oas3-unused-component",
    "oas3-valid-media-example",
    "oas3-valid-schema-example",
    "oas3_1-callbacks-in-webhook",
    "oas3_1-servers-in-webhook",
    "openapi-tags-uniqueness",
    "operation-operationId-unique",
    "operation-parameters",
    "operation-success-response",
    "operation-tag-defined",
    "path-params",
];

/// The built-in rule a `spectral:oas` rule name stands for.
pub fn builtin_for(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(spectral, _)| *spectral == name)
        .map(|(_, builtin)| *builtin)
}

/// Whether `name` is a `spectral:oas` rule routeguard knows of but does not run.
pub fn is_without_equivalent(name: &str) -> bool {
    WITHOUT_EQUIVALENT.contains(&name)
}
