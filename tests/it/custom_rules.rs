//! Custom rules: Spectral rulesets read as they are (loading, core functions, JSONPath over
//! resolved references), `extends` of files, and CEL route and operation policies.

use std::path::Path;

use serde_json::Value;

use crate::common;

/// A fresh project (its own git root) holding `files`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("create .git");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(path, text).expect("write file");
    }
    dir
}

/// `(rule, file, line, column, message)` of every finding of `rule`.
fn of_rule(report: &Value, rule: &str) -> Vec<(String, u64, u64, String)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|finding| finding["rule"] == rule)
        .map(|finding| {
            (
                finding["file"].as_str().unwrap_or_default().to_string(),
                finding["line"].as_u64().unwrap_or_default(),
                finding["column"].as_u64().unwrap_or_default(),
                finding["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `(file, line, column)` of every finding of `rule`.
fn located(report: &Value, rule: &str) -> Vec<(String, u64, u64)> {
    of_rule(report, rule)
        .into_iter()
        .map(|(file, line, column, _)| (file, line, column))
        .collect()
}

/// 1-based line and column of the first `needle` in `text` after `after`.
fn position(text: &str, after: &str, needle: &str) -> (u64, u64) {
    let start = text.find(after).expect("anchor in text");
    let offset = start + text[start..].find(needle).expect("needle in text");
    let line = text[..offset].matches('\n').count() as u64 + 1;
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    (line, (offset - line_start) as u64 + 1)
}

/// `(file, line, column)` of a place in `openapi.yaml`.
fn in_openapi((line, column): (u64, u64)) -> (String, u64, u64) {
    ("openapi.yaml".to_string(), line, column)
}

/// No rule of the ruleset was left unrun.
fn assert_every_rule_runs(report: &Value) {
    assert!(
        of_rule(report, "ruleset-unsupported").is_empty(),
        "{report:#}"
    );
}

const CASES_SPEC: &str = r#"openapi: 3.0.3
info:
  title: Cases
  version: "1"
paths: {}
x-cases:
  good:
    truthy: yes
    falsy: ""
    defined: here
    pattern: api-pets
    casing: pet-store
    enumeration: json
    length: abc
    alphabetical: [a, b, c]
    xor: { a: 1 }
    or: { b: 1 }
    schema: 3
    typed: { type: string, enum: [a, b] }
  bad:
    truthy: ""
    falsy: set
    undefined: here
    pattern: pets
    casing: PetStore
    enumeration: xml
    length: abcdef
    alphabetical: [b, a]
    xor: { a: 1, b: 2 }
    or: { c: 1 }
    schema: three
    typed: { type: string, enum: [a, 1] }
"#;

const CASES_RULESET: &str = r#"rules:
  t-truthy: { given: "$['x-cases'][*]", then: { field: truthy, function: truthy } }
  t-falsy: { given: "$['x-cases'][*]", then: { field: falsy, function: falsy } }
  t-defined: { given: "$['x-cases'][*]", then: { field: defined, function: defined } }
  t-undefined: { given: "$['x-cases'][*]", then: { field: undefined, function: undefined } }
  t-pattern:
    given: "$['x-cases'][*].pattern"
    then: { function: pattern, functionOptions: { match: "^api-", notMatch: "/xml/" } }
  t-casing:
    given: "$['x-cases'][*].casing"
    then: { function: casing, functionOptions: { type: kebab } }
  t-enumeration:
    given: "$['x-cases'][*].enumeration"
    then: { function: enumeration, functionOptions: { values: [json, yaml] } }
  t-length:
    given: "$['x-cases'][*].length"
    then: { function: length, functionOptions: { max: 3 } }
  t-alphabetical:
    given: "$['x-cases'][*].alphabetical"
    then: { function: alphabetical }
  t-xor:
    given: "$['x-cases'][*].xor"
    then: { function: xor, functionOptions: { properties: [a, b] } }
  t-or:
    given: "$['x-cases'][*].or"
    then: { function: or, functionOptions: { properties: [a, b] } }
  t-schema:
    given: "$['x-cases'][*]"
    then:
      field: schema
      function: schema
      functionOptions: { schema: { type: integer } }
  t-typed-enum:
    given: "$['x-cases'][*].typed"
    then: { function: typedEnum }
"#;

#[test]
fn every_core_function_triggers_on_the_bad_case_only() {
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", CASES_RULESET),
        ("openapi.yaml", CASES_SPEC),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let bad = |key: &str| position(CASES_SPEC, "  bad:", key);
    let expected: &[(&str, (u64, u64))] = &[
        ("t-truthy", bad("\"\"")),
        ("t-falsy", bad("set")),
        ("t-undefined", bad("here")),
        ("t-pattern", bad("pets")),
        ("t-casing", bad("PetStore")),
        ("t-enumeration", bad("xml")),
        ("t-length", bad("abcdef")),
        ("t-alphabetical", bad("b, a")),
        ("t-xor", bad("xor:")),
        ("t-or", bad("or: { c")),
        ("t-schema", bad("three")),
        ("t-typed-enum", bad("1]")),
    ];
    for (rule, (line, column)) in expected {
        let found = of_rule(&report, rule);
        let places: Vec<(u64, u64)> = found.iter().map(|(_, l, c, _)| (*l, *c)).collect();
        assert_eq!(places, [(*line, *column)], "{rule}: {found:?}");
        assert_eq!(found[0].0, "openapi.yaml");
    }
    // `defined` fails where the field is missing: at the object that lacks it.
    let defined = of_rule(&report, "t-defined");
    let places: Vec<(u64, u64)> = defined.iter().map(|(_, l, c, _)| (*l, *c)).collect();
    assert_eq!(
        places,
        [position(CASES_SPEC, "x-cases:", "bad:")],
        "{defined:?}"
    );
    assert!(
        of_rule(&report, "t-pattern")[0]
            .3
            .contains("must match the pattern '^api-'"),
        "{:?}",
        of_rule(&report, "t-pattern")
    );
}

#[test]
fn messages_show_the_function_s_own_words_only_where_spectral_does() {
    let ruleset = r#"rules:
  m-error:
    message: "said: {{error}}"
    given: $.info
    then: { field: contact, function: truthy }
  m-own:
    message: "{{property}} is missing"
    given: $.info
    then: { field: contact, function: truthy }
  m-empty:
    message: "{{description}}"
    given: $.info
    then: { field: contact, function: truthy }
  m-described:
    description: every API names a contact
    given: $.info
    then: { field: contact, function: truthy }
  m-bare:
    given: $.info
    then: { field: contact, function: truthy }
"#;
    let spec = "openapi: 3.0.3\ninfo:\n  title: Pets\n  version: '1'\npaths: {}\n";
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", ruleset),
        ("openapi.yaml", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let truthy = "`contact` property must be truthy";
    let expected = [
        ("m-error", format!("said: {truthy}")),
        ("m-own", "contact is missing".to_string()),
        // A rule text that fills to nothing gives way to the function's message.
        ("m-empty", truthy.to_string()),
        ("m-described", "every API names a contact".to_string()),
        ("m-bare", truthy.to_string()),
    ];
    for (rule, message) in expected {
        assert_eq!(
            of_rule(&report, rule),
            [("openapi.yaml".to_string(), 2, 1, message)],
            "{rule}"
        );
    }
}

#[test]
fn jsonpath_forms_follow_refs_into_other_files() {
    let spec = r#"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets/:
    get:
      operationId: list_pets
      parameters:
        - $ref: "./parameters.yaml#/Limit"
        - { name: id, in: path, required: true }
      responses: { "200": { description: ok } }
    post:
      operationId: createPet
      responses: { "201": { description: ok } }
    x-internal: true
"#;
    let parameters = "Limit:\n  name: page_size\n  in: query\n";
    let ruleset = r#"rules:
  query-camel:
    given: "$..parameters[?(@.in == 'query')].name"
    then: { function: casing, functionOptions: { type: camel } }
  no-trailing-slash:
    given: $.paths.*~
    then: { function: pattern, functionOptions: { notMatch: "/$" } }
  operation-ids-camel:
    given: $.paths[*][get,put,post,delete,patch].operationId
    then: { function: casing, functionOptions: { type: camel } }
  no-internal:
    given: "$.paths.*[?(@property === 'x-internal')]"
    then: { function: falsy }
  keys-of-paths:
    given: $.paths
    then: { field: "@key", function: pattern, functionOptions: { match: "^/v1" } }
"#;
    let dir = project(&[
        (
            "routeguard.yaml",
            "extends: [off, ./rules/api.spectral.yaml]\n",
        ),
        ("rules/api.spectral.yaml", ruleset),
        ("openapi.yaml", spec),
        ("parameters.yaml", parameters),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let at = |rule: &str| located(&report, rule);
    assert_eq!(at("query-camel"), [("parameters.yaml".to_string(), 2, 9)]);
    assert_eq!(
        at("no-trailing-slash"),
        [("openapi.yaml".to_string(), 4, 3)]
    );
    assert_eq!(
        at("operation-ids-camel"),
        [("openapi.yaml".to_string(), 6, 20)]
    );
    assert_eq!(at("no-internal"), [("openapi.yaml".to_string(), 14, 17)]);
    assert_eq!(at("keys-of-paths"), [("openapi.yaml".to_string(), 4, 3)]);
}

/// nimma's filter forms that the Azure API style guide uses: type shorthands (`@object()`),
/// `@path` as nimma prints it, and `@parent`.
#[test]
fn nimma_shorthands_path_and_parent_select_as_spectral_does() {
    let spec = r##"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    patch:
      responses: { "200": { description: ok } }
  /pets/{id}:
    patch:
      responses: { "200": { description: ok } }
components:
  schemas:
    Pet:
      type: object
      additionalProperties: { type: string }
      properties:
        name: { type: string }
        tag: { type: string, description: a tag }
        owner: { $ref: "#/components/schemas/Owner" }
    Owner:
      type: object
      properties:
        id: { type: integer, description: the owner }
"##;
    let ruleset = r#"rules:
  patch-path:
    given: "$.paths[?(!@path.match(/\\}']$/))]"
    then: { field: patch, function: falsy }
  property-description:
    resolved: false
    given: "$..properties[?(@object() && @.$ref == undefined)]"
    then: { field: description, function: truthy }
  additional-properties-and-properties:
    given: "$..[?(@object() && @.type === 'object' && @.properties)]"
    then: { field: additionalProperties, function: falsy }
  described-siblings:
    given: "$..properties.*[?(@string() && @property == 'description' && @parent.type == 'integer')]"
    then: { function: pattern, functionOptions: { match: "^a " } }
"#;
    let dir = project(&[
        ("routeguard.yaml", "extends: [off, ./api.spectral.yaml]\n"),
        ("api.spectral.yaml", ruleset),
        ("openapi.yaml", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let at = |rule: &str| located(&report, rule);
    let file = in_openapi;
    // `/pets` does not end with a parameter, `/pets/{id}` does.
    assert_eq!(at("patch-path"), [file(position(spec, "/pets:", "patch"))]);
    // `name` has no description; `tag` has one; `owner` is a `$ref`.
    assert_eq!(
        at("property-description"),
        [file(position(spec, "properties:", "name"))]
    );
    // `Pet` has both; `Owner` has no `additionalProperties`.
    assert_eq!(
        at("additional-properties-and-properties"),
        [file(position(spec, "Pet:", "additionalProperties"))]
    );
    // The integer's description does not start with `a `; the string's does not count.
    assert_eq!(
        at("described-siblings"),
        [file(position(spec, "Owner:", "the owner"))]
    );
    assert_every_rule_runs(&report);
}

#[test]
fn quoted_members_after_a_dot_and_dollar_named_fields_select_as_spectral_does() {
    let spec = r##"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json: { schema: { type: array } }
            text/plain: { schema: { type: array } }
  /owners:
    $ref: "./owners.yaml"
"##;
    let ruleset = r#"rules:
  json-response-is-an-object:
    given: "$.paths.*.*.responses.*.content.'application/json'.schema"
    then: { field: type, function: enumeration, functionOptions: { values: [object] } }
  endpoint-must-be-ref:
    resolved: false
    given: $.paths.*
    then: { field: $ref, function: truthy }
"#;
    let dir = project(&[
        ("routeguard.yaml", "extends: [off, ./api.spectral.yaml]\n"),
        ("api.spectral.yaml", ruleset),
        ("openapi.yaml", spec),
        (
            "owners.yaml",
            "get:\n  responses: { \"200\": { description: ok } }\n",
        ),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let at = |rule: &str| located(&report, rule);
    let file = in_openapi;
    // Only the `application/json` schema is selected, not the `text/plain` one.
    assert_eq!(
        at("json-response-is-an-object"),
        [file(position(spec, "application/json", "array"))]
    );
    // `/pets` has no `$ref` member; `/owners` has one.
    assert_eq!(
        at("endpoint-must-be-ref"),
        [file(position(spec, "paths:", "/pets"))]
    );
    assert_every_rule_runs(&report);
}

#[test]
fn a_node_reached_through_refs_prints_and_counts_by_where_it_is_declared() {
    let spec = r##"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    get:
      parameters: [{ $ref: "#/components/parameters/traceId" }]
      responses: { "200": { description: ok } }
    post:
      parameters: [{ $ref: "#/components/parameters/traceId" }, { name: x_b3, in: header }]
      responses: { "200": { description: ok }, default: { $ref: "#/components/responses/error" } }
components:
  parameters:
    traceId: { name: trace_id, in: header }
  responses:
    error: { description: failed }
"##;
    let ruleset = r#"rules:
  header-name-case:
    message: "{{property}} at {{path}}"
    given: "$.paths.*.*.parameters[?(@.in === 'header')].name"
    then: { function: casing, functionOptions: { type: pascal, separator: { char: "-" } } }
  numeric-status:
    message: "{{property}} at {{path}}"
    given: "$.paths.*.*.responses"
    then: { field: "@key", function: pattern, functionOptions: { match: "^[0-9]+$" } }
"#;
    let dir = project(&[
        ("routeguard.yaml", "extends: [off, ./api.spectral.yaml]\n"),
        ("api.spectral.yaml", ruleset),
        ("openapi.yaml", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    // The shared parameter is one finding, printed with the path where it is declared (as
    // Spectral 6.16.3 prints and deduplicates it); the inline one keeps the operation's path.
    let (line, column) = position(spec, "traceId:", "trace_id");
    let (inline_line, inline_column) = position(spec, "post:", "x_b3");
    assert_eq!(
        of_rule(&report, "header-name-case"),
        [
            (
                "openapi.yaml".to_string(),
                inline_line,
                inline_column,
                "name at #/paths/~1pets/post/parameters/1/name".to_string()
            ),
            (
                "openapi.yaml".to_string(),
                line,
                column,
                "name at #/components/parameters/traceId/name".to_string()
            ),
        ]
    );
    // A property name is declared where it is written, even when its value is a `$ref`.
    let (line, column) = position(spec, "post:", "default");
    assert_eq!(
        of_rule(&report, "numeric-status"),
        [(
            "openapi.yaml".to_string(),
            line,
            column,
            "default at #/paths/~1pets/post/responses/default".to_string()
        )]
    );
}

#[test]
fn what_cannot_run_is_said_where_it_stands_and_the_rest_runs() {
    let ruleset = r#"extends:
  - https://example.com/ruleset.yaml
functions: [ownerLookup]
rules:
  owner:
    given: $.paths[*][*]
    then:
      function: ownerLookup
  has-title:
    given: $.info
    then: { field: contact, function: truthy }
"#;
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", ruleset),
        (
            "openapi.yaml",
            "openapi: 3.0.3\ninfo: { title: Pets, version: \"1\" }\npaths: {}\n",
        ),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let notes = of_rule(&report, "ruleset-unsupported");
    let places: Vec<(&str, u64, u64)> = notes
        .iter()
        .map(|(file, line, column, _)| (file.as_str(), *line, *column))
        .collect();
    assert_eq!(
        places,
        [
            (".spectral.yaml", 2, 5),
            (".spectral.yaml", 3, 12),
            (".spectral.yaml", 8, 17)
        ],
        "{notes:?}"
    );
    assert!(notes[0].3.contains("never reads the network"), "{notes:?}");
    assert!(
        notes[2].3.contains("rule `owner` does not run"),
        "{notes:?}"
    );
    assert_eq!(of_rule(&report, "has-title").len(), 1);
}

/// `(file, line, column, severity)` of every finding of `rule`, sorted.
fn placed(report: &Value, rule: &str) -> Vec<(String, u64, u64, String)> {
    let mut out: Vec<(String, u64, u64, String)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|finding| finding["rule"] == rule)
        .map(|finding| {
            (
                finding["file"].as_str().unwrap_or_default().to_string(),
                finding["line"].as_u64().unwrap_or_default(),
                finding["column"].as_u64().unwrap_or_default(),
                finding["severity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn formats_limit_rules_to_the_openapi_versions_they_name() {
    let ruleset = r#"rules:
  any-version:
    given: $.info
    then: { field: x-audience, function: truthy }
  only-oas2:
    formats: [oas2]
    given: $.info
    then: { field: x-audience, function: truthy }
  only-oas3:
    formats: [oas3]
    given: $.info
    then: { field: x-audience, function: truthy }
  only-oas3-0:
    formats: [oas3.0]
    given: $.info
    then: { field: x-audience, function: truthy }
  only-oas3-1:
    formats: ["oas3.1"]
    given: $.info
    then: { field: x-audience, function: truthy }
  oas2-or-oas3-1:
    formats: [oas2, oas3.1]
    given: $.info
    then: { field: x-audience, function: truthy }
  only-asyncapi:
    formats: [asyncapi2]
    given: $.info
    then: { field: x-audience, function: truthy }
"#;
    let info = "info: { title: T, version: \"1\" }\npaths: {}\n";
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", ruleset),
        ("swagger.yaml", &format!("swagger: \"2.0\"\n{info}")),
        ("v30.yaml", &format!("openapi: 3.0.3\n{info}")),
        ("v31.yaml", &format!("openapi: 3.1.0\n{info}")),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["."]);
    let files = |rule: &str| -> Vec<String> {
        placed(&report, rule)
            .into_iter()
            .map(|(file, line, column, _)| {
                assert_eq!((line, column), (2, 1), "{rule} is at `info`");
                file
            })
            .collect()
    };
    assert_eq!(
        files("any-version"),
        ["swagger.yaml", "v30.yaml", "v31.yaml"]
    );
    assert_eq!(files("only-oas2"), ["swagger.yaml"]);
    assert_eq!(files("only-oas3"), ["v30.yaml", "v31.yaml"]);
    assert_eq!(files("only-oas3-0"), ["v30.yaml"]);
    assert_eq!(files("only-oas3-1"), ["v31.yaml"]);
    assert_eq!(files("oas2-or-oas3-1"), ["swagger.yaml", "v31.yaml"]);
    // A rule only for formats routeguard does not read never runs on an OpenAPI document, and
    // the format is named where it stands.
    assert_eq!(files("only-asyncapi"), Vec::<String>::new());
    let notes = placed(&report, "ruleset-unsupported");
    assert_eq!(
        notes,
        [(".spectral.yaml".to_string(), 26, 15, "warning".to_string())],
        "{notes:?}"
    );
}

#[test]
fn overrides_set_rule_levels_for_the_files_their_globs_match() {
    let ruleset = r#"rules:
  needs-audience:
    severity: warn
    given: $.info
    then: { field: x-audience, function: truthy }
  needs-owner:
    severity: off
    given: $.info
    then: { field: x-owner, function: truthy }
overrides:
  - files: ["legacy/**/*.yaml"]
    rules:
      needs-audience: off
  - files: ["strict/*.yaml"]
    rules:
      needs-audience: error
      needs-owner: warn
  - files: ["strict/relaxed.yaml"]
    rules:
      needs-audience: info
"#;
    let spec = "openapi: 3.0.3\ninfo: { title: T, version: \"1\" }\npaths: {}\n";
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        ("api/.spectral.yaml", ruleset),
        ("api/openapi.yaml", spec),
        ("api/legacy/v1/openapi.yaml", spec),
        ("api/strict/openapi.yaml", spec),
        ("api/strict/relaxed.yaml", spec),
        ("api/strict/deeper/openapi.yaml", spec),
        ("openapi.yaml", spec),
    ]);
    std::fs::write(
        dir.path().join("routeguard.yaml"),
        "extends: [off, ./api/.spectral.yaml]\n",
    )
    .expect("write config");
    let (_, report) = common::lint_json(dir.path(), &["."]);
    let at_info = |file: &str, severity: &str| (file.to_string(), 2, 1, severity.to_string());
    // Globs are relative to the ruleset's folder; `*` stays within one folder; a later override
    // wins over an earlier one for the files both match.
    assert_eq!(
        placed(&report, "needs-audience"),
        [
            at_info("api/openapi.yaml", "warning"),
            at_info("api/strict/deeper/openapi.yaml", "warning"),
            at_info("api/strict/openapi.yaml", "error"),
            at_info("api/strict/relaxed.yaml", "info"),
            at_info("openapi.yaml", "warning"),
        ]
    );
    // A rule off in the ruleset runs where an override turns it on, and only there.
    assert_eq!(
        placed(&report, "needs-owner"),
        [
            at_info("api/strict/openapi.yaml", "warning"),
            at_info("api/strict/relaxed.yaml", "warning"),
        ]
    );
}

/// A JSON spec whose `limit` query parameter is declared once under `components` and referenced
/// by each of `operations` (path, method).
fn limit_parameter_shared_by(operations: &[(&str, &str)]) -> String {
    let mut paths: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(path, method) in operations {
        match paths.iter_mut().find(|(known, _)| *known == path) {
            Some((_, methods)) => methods.push(method),
            None => paths.push((path, vec![method])),
        }
    }
    let paths: Vec<String> = paths
        .iter()
        .map(|(path, methods)| {
            let methods: Vec<String> = methods
                .iter()
                .map(|method| {
                    format!(
                        "      \"{method}\": {{\n        \"parameters\": [{{ \"$ref\": \"#/components/parameters/limit\" }}],\n        \"responses\": {{ \"200\": {{ \"description\": \"ok\" }} }}\n      }}"
                    )
                })
                .collect();
            format!("    \"{path}\": {{\n{}\n    }}", methods.join(",\n"))
        })
        .collect();
    format!(
        "{{\n  \"openapi\": \"3.0.3\",\n  \"info\": {{ \"title\": \"Pets\", \"version\": \"1\" }},\n  \"paths\": {{\n{}\n  }},\n  \"components\": {{\n    \"parameters\": {{\n      \"limit\": {{ \"name\": \"limit\", \"in\": \"query\", \"schema\": {{ \"type\": \"integer\" }} }}\n    }}\n  }}\n}}\n",
        paths.join(",\n")
    )
}

#[test]
fn two_messages_at_one_place_stay_two_findings_and_each_is_reported_once() {
    // Both `then`s fail on the one `name` of a parameter declared once and referenced from two
    // operations: two messages at one place, each reached three times.
    let ruleset = r#"rules:
  parameter-names:
    message: "{{error}}"
    given: "$..parameters[?(@.in == 'query')]"
    then:
      - field: name
        function: pattern
        functionOptions: { match: "^[A-Z]" }
      - field: name
        function: pattern
        functionOptions: { match: "_" }
"#;
    let spec = &limit_parameter_shared_by(&[("/pets", "get"), ("/pets", "post")]);
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", ruleset),
        ("openapi.json", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.json"]);
    let mut found = of_rule(&report, "parameter-names");
    found.sort();
    let (line, column) = position(spec, "\"name\": ", "\"limit\"");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(file, l, c, _)| file == "openapi.json" && (*l, *c) == (line, column)),
        "{found:?}"
    );
    let messages: Vec<&str> = found.iter().map(|finding| finding.3.as_str()).collect();
    assert!(
        messages.iter().any(|message| message.contains("^[A-Z]"))
            && messages.iter().any(|message| message.contains("'_'")),
        "{messages:?}"
    );
}

#[test]
fn findings_are_placed_and_counted_as_spectral_places_and_counts_them() {
    let ruleset = r#"rules:
  examples-in-optional-parameter:
    given: "$..parameters[?(@.required != true)]"
    then: { field: examples, function: truthy }
  security-at-root:
    given: $
    then:
      field: security
      function: schema
      functionOptions: { schema: { type: array, minItems: 1 } }
  no-empty-segments:
    given: $.paths.*~
    then: { function: pattern, functionOptions: { notMatch: // } }
"#;
    let spec = &limit_parameter_shared_by(&[("/pets", "get"), ("/pets//{id}", "get")]);
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (".spectral.yaml", ruleset),
        ("openapi.json", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.json"]);
    let at = |rule: &str| -> Vec<(u64, u64)> {
        placed(&report, rule)
            .into_iter()
            .map(|(_, line, column, _)| (line, column))
            .collect()
    };
    // Declared once and referenced twice: one finding, where it is declared.
    assert_eq!(
        at("examples-in-optional-parameter"),
        [position(spec, "\"parameters\": {", "\"limit\"")]
    );
    // What the document lacks is shown where the document starts.
    assert_eq!(at("security-at-root"), [(1, 1)]);
    // `//` is the pattern of two slashes, not an empty regular expression.
    assert_eq!(
        at("no-empty-segments"),
        [position(spec, "\"/pets//{id}\"", "\"/pets//{id}\"")]
    );
}

fn config_with_policy(message: &str) -> routeguard::config::Config {
    let text = format!(
        "extends: off\npolicies:\n  - id: same-name\n    message: {message}\n    assert: route.retries < 3\n"
    );
    routeguard::config::parse_config(
        &text,
        Path::new("/project/routeguard.yaml"),
        "routeguard.yaml",
    )
    .expect("config parses")
}

#[test]
fn each_config_owns_what_it_says_of_its_custom_rules() {
    let first = config_with_policy("first says this");
    let second = config_with_policy("second says that");
    let summary = |config: &routeguard::config::Config| {
        config
            .custom
            .meta("same-name")
            .map(|meta| meta.summary.clone())
    };
    assert_eq!(summary(&first).as_deref(), Some("first says this"));
    assert_eq!(summary(&second).as_deref(), Some("second says that"));
    // Nothing outside the config holds on to it: dropping the config frees it.
    let meta = first.custom.metas().next().expect("a policy");
    assert_eq!(std::sync::Arc::strong_count(meta), 1);
    assert!(first.custom.meta("unknown").is_none());
}

#[test]
fn broken_rulesets_and_extends_stop_the_run_with_their_location() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("routeguard.yaml", "extends: ./org.spectral.yaml\n"),
                ("org.spectral.yaml", "rules:\n  no-given:\n    then: { function: truthy }\n"),
            ],
            "org.spectral.yaml:3:5: rule `no-given` has no `given`",
        ),
        (
            &[(
                "routeguard.yaml",
                "extends:\n  - recommended\n  - https://example.com/routeguard.yaml\n",
            )],
            "routeguard.yaml:3:5: `extends` names the remote URL `https://example.com/routeguard.yaml`",
        ),
        (
            &[
                ("routeguard.yaml", "extends: ./a.yaml\n"),
                ("a.yaml", "extends: [strict, ./b.yaml]\n"),
                ("b.yaml", "extends: ./a.yaml\n"),
            ],
            "b.yaml:1:10: `extends` forms a cycle: a.yaml:1:19 → b.yaml:1:10 → `./a.yaml`, which is already being read",
        ),
        (
            &[("routeguard.yaml", "extends: ./missing.yaml\n")],
            "routeguard.yaml:1:10: `extends` names `./missing.yaml`, which is not a file",
        ),
    ];
    for (files, expected) in cases {
        let dir = project(files);
        let run = common::run(dir.path(), &["lint", "."]);
        assert_eq!(run.code, 2, "{expected}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "expected `{expected}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn extended_configs_nest_and_ruleset_rules_are_set_suppressed_and_baselined_like_built_ins() {
    let spec = r#"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    get:
      operationId: listPets
      responses: { "200": { description: ok } }
  /orders:
    x-routeguard-ignore:
      - rule: needs-owner
        reason: owned by the platform team
    get:
      operationId: listOrders
      responses: { "200": { description: ok } }
"#;
    let ruleset = "rules:\n  needs-owner:\n    severity: error\n    given: $.paths[*][get]\n    then: { field: x-owner, function: truthy }\n";
    let dir = project(&[
        (
            "routeguard.yaml",
            "extends: [./org/base.yaml]\nrules:\n  needs-owner: warning\n",
        ),
        ("org/base.yaml", "extends: [off, ./owners.spectral.yaml]\n"),
        ("org/owners.spectral.yaml", ruleset),
        ("openapi.yaml", spec),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["openapi.yaml"]);
    let found = of_rule(&report, "needs-owner");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].2), (5, 5));
    let severity: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"] == "needs-owner")
        .map(|finding| &finding["severity"])
        .collect();
    assert_eq!(severity, [&Value::from("warning")]);

    let run = common::run(
        dir.path(),
        &["baseline", "write", "-o", "baseline.json", "openapi.yaml"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, report) =
        common::lint_json(dir.path(), &["--baseline", "baseline.json", "openapi.yaml"]);
    assert_eq!(code, 0);
    assert!(of_rule(&report, "needs-owner").is_empty());
}

#[test]
fn ruleset_rules_reach_every_report_format() {
    let dir = project(&[
        ("routeguard.yaml", "extends: off\n"),
        (
            ".spectral.yaml",
            "rules:\n  info-has-contact:\n    description: Say who answers for the API.\n    given: $.info\n    then: { field: contact, function: truthy }\n",
        ),
        ("openapi.yaml", "openapi: 3.0.3\ninfo: { title: Pets, version: \"1\" }\npaths: {}\n"),
    ]);
    let run = common::run(dir.path(), &["lint", "--format", "sarif", "openapi.yaml"]);
    let sarif: Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let custom = rules
        .iter()
        .find(|rule| rule["id"] == "info-has-contact")
        .expect("the ruleset rule is in rules[]");
    assert_eq!(
        custom["shortDescription"]["text"],
        "Say who answers for the API."
    );
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "info-has-contact");
    for format in ["text", "github", "junit", "codeclimate"] {
        let run = common::run(dir.path(), &["lint", "--format", format, "openapi.yaml"]);
        assert!(
            run.stdout.contains("info-has-contact"),
            "{format}: {}",
            run.stdout
        );
    }
}

fn policy_config(dir: &Path, policies: &str) -> String {
    let path = dir.join("routeguard.yaml");
    std::fs::write(&path, format!("extends: off\npolicies:\n{policies}")).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn route_policies_hold_over_every_gateway_format() {
    let dir = project(&[]);
    let config = policy_config(
        dir.path(),
        r#"  - id: retries-at-most-two
    severity: error
    message: no route retries more than twice
    assert: route.retries <= 2
  - id: edge-timeout-5s
    message: edge routes time out within 5s
    where: route.layer == 'edge' && has(route.timeout)
    assert: route.timeout <= duration('5s')
"#,
    );
    let (_, report) = common::lint_json(
        &common::repo(),
        &[
            "--config",
            &config,
            "fixtures/demo/gateway/kong.yaml",
            "fixtures/demo/gateway/istio.yaml",
        ],
    );
    let retries = of_rule(&report, "retries-at-most-two");
    let places: Vec<(&str, u64, u64)> = retries
        .iter()
        .map(|(file, line, column, _)| (file.as_str(), *line, *column))
        .collect();
    assert!(
        places.contains(&("fixtures/demo/gateway/kong.yaml", 8, 14)),
        "{retries:?}"
    );
    assert!(
        places.contains(&("fixtures/demo/gateway/istio.yaml", 38, 19)),
        "{retries:?}"
    );
    // Each route of the service that sets `retries: 3` is named at that setting.
    assert!(
        retries.iter().any(|finding| finding.1 == 8
            && finding.3
                == "no route retries more than twice: Kong route `list-pets` (GET,POST /v1/pets*) in fixtures/demo/gateway/kong.yaml"),
        "{retries:?}"
    );
    // The services with retries: 3 and 8 fail; none with two or fewer does.
    assert!(retries
        .iter()
        .all(|finding| finding.1 != 25 || finding.0.ends_with("kong.yaml")));
}

/// One gateway format under a route policy: the route that breaks it, found at the setting the
/// assertion reads (or at the route when the gateway has no such setting), and a route of the
/// same file that keeps it.
struct GatewayCase {
    files: &'static [&'static str],
    gateway: &'static str,
    assert: &'static str,
    /// The file, a text the finding follows, the value it points at, and the route it names.
    breaks: (&'static str, &'static str, &'static str, &'static str),
    /// A route of the same files the policy holds for.
    keeps: &'static str,
}

const GATEWAY_CASES: &[GatewayCase] = &[
    GatewayCase {
        files: &["fixtures/envoy/bootstrap.yaml"],
        gateway: "envoy",
        assert: "route.retries <= 2",
        breaks: (
            "fixtures/envoy/bootstrap.yaml",
            "num_retries: 3",
            "3",
            "Envoy route `create-book` (POST /books)",
        ),
        keeps: "`list-books`",
    },
    GatewayCase {
        files: &["fixtures/gateway-api/routes.yaml"],
        gateway: "gateway-api",
        assert: "!has(route.timeout) || route.timeout <= duration('30s')",
        breaks: (
            "fixtures/gateway-api/routes.yaml",
            "value: /v1/checkout",
            "1m30s",
            "Gateway API route `checkout` (POST /v1/checkout)",
        ),
        keeps: "`read-products`",
    },
    GatewayCase {
        files: &["fixtures/aws/http-api.yaml"],
        gateway: "aws",
        assert: "route.path.startsWith('/notes')",
        breaks: (
            "fixtures/aws/http-api.yaml",
            "timeoutInMillis: 30000",
            "$default",
            "AWS API Gateway route (* /*)",
        ),
        keeps: "`getNote`",
    },
    GatewayCase {
        files: &["fixtures/krakend/krakend.json"],
        gateway: "krakend",
        assert: "route.timeout <= duration('10s')",
        breaks: (
            "fixtures/krakend/krakend.json",
            "/reports/{reportId}",
            "\"1m30s\"",
            "KrakenD route (GET /reports/{reportId})",
        ),
        keeps: "/users/{userId}",
    },
    GatewayCase {
        files: &["fixtures/traefik/dynamic.yaml"],
        gateway: "traefik",
        assert: "route.retries <= 2",
        breaks: (
            "fixtures/traefik/dynamic.yaml",
            "retry-network:",
            "4",
            "Traefik route `pets` (GET /v1/pets*)",
        ),
        keeps: "`orders`",
    },
    GatewayCase {
        files: &["fixtures/apisix/apisix.yaml"],
        gateway: "apisix",
        assert: "!route.path.startsWith('/users') || route.circuit_breaker",
        breaks: (
            "fixtures/apisix/apisix.yaml",
            "id: create-user",
            "/users",
            "APISIX route `create-user` (POST /users)",
        ),
        keeps: "`user`",
    },
    GatewayCase {
        files: &["fixtures/litellm/retry-policy.yaml"],
        gateway: "litellm",
        assert: "route.retries <= 2",
        breaks: (
            "fixtures/litellm/retry-policy.yaml",
            "AuthenticationErrorRetries:",
            "3",
            "LiteLLM route `claude-sonnet` (POST /v1/chat/completions)",
        ),
        keeps: "`gpt-4o`",
    },
    GatewayCase {
        files: &[
            "fixtures/portkey/retry-on-rate-limits.json",
            "fixtures/portkey/resilient-loadbalance.json",
        ],
        gateway: "portkey",
        assert: "route.retries <= 2",
        breaks: (
            "fixtures/portkey/retry-on-rate-limits.json",
            "\"attempts\"",
            "3",
            "Portkey route `retry-on-rate-limits` (POST /v1/chat/completions)",
        ),
        keeps: "`resilient-loadbalance`",
    },
    GatewayCase {
        files: &["fixtures/kong/kubernetes/ingress.yaml"],
        gateway: "kong",
        assert: "route.retries <= 5",
        breaks: (
            "fixtures/kong/kubernetes/ingress.yaml",
            "konghq.com/retries:",
            "\"9\"",
            "Kong route `orders.0.0` (GET /v1/items*)",
        ),
        keeps: "`orders.0.1`",
    },
];

#[test]
fn route_policies_find_the_setting_they_read_in_every_gateway_format() {
    let repo = common::repo();
    for case in GATEWAY_CASES {
        let dir = project(&[]);
        let config = policy_config(
            dir.path(),
            &format!(
                "  - id: gateway-policy\n    message: the route breaks the policy\n    where: \"route.gateway == '{}'\"\n    assert: \"{}\"\n",
                case.gateway, case.assert
            ),
        );
        let mut args = vec!["--config", config.as_str()];
        args.extend_from_slice(case.files);
        let (_, report) = common::lint_json(&repo, &args);
        let found = of_rule(&report, "gateway-policy");
        let (file, after, needle, route) = case.breaks;
        let text = std::fs::read_to_string(repo.join(file)).expect("fixture");
        let (line, column) = position(&text, after, needle);
        let message = format!("the route breaks the policy: {route} in {file}");
        assert!(
            found.contains(&(file.to_string(), line, column, message.clone())),
            "{}: expected `{message}` at {line}:{column}, found {found:?}",
            case.gateway
        );
        assert!(
            found
                .iter()
                .all(|finding| finding.0 == file && (finding.1, finding.2) == (line, column)),
            "{}: only the breaking setting is found: {found:?}",
            case.gateway
        );
        assert!(
            !found.iter().any(|finding| finding.3.contains(case.keeps)),
            "{}: {} keeps the policy: {found:?}",
            case.gateway,
            case.keeps
        );
    }
}

#[test]
fn operation_policies_read_tags_and_responses() {
    let spec = r#"openapi: 3.0.3
info: { title: Pets, version: "1" }
paths:
  /pets:
    get:
      operationId: listPets
      tags: [public]
      responses:
        "200": { description: ok }
  /admin:
    get:
      operationId: admin
      tags: [internal]
      responses:
        "200": { description: ok }
  /orders:
    get:
      operationId: listOrders
      tags: [public]
      responses:
        "200": { description: ok }
        "429": { description: slow down }
"#;
    let dir = project(&[("openapi.yaml", spec)]);
    let config = policy_config(
        dir.path(),
        r#"  - id: public-documents-429
    message: every public operation documents 429
    where: "'public' in operation.tags"
    assert: "'429' in operation.responses"
"#,
    );
    let (_, report) = common::lint_json(dir.path(), &["--config", &config, "openapi.yaml"]);
    let found = of_rule(&report, "public-documents-429");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].2), (8, 7));
    assert_eq!(
        found[0].3,
        "every public operation documents 429: operation `GET /pets` in openapi.yaml"
    );
}

#[test]
fn policies_that_do_not_compile_are_config_errors_at_their_expression() {
    let cases = [
        (
            "  - id: broken\n    assert: route.timeout <=\n",
            "routeguard.yaml:4:13: policy `broken`: `assert` is not valid CEL",
        ),
        (
            "  - id: typo\n    assert: route.timout < duration('5s')\n",
            "routeguard.yaml:4:13: policy `typo`: `route.timout` is not a field of route; did you mean `timeout`?",
        ),
        (
            "  - id: operation-id\n    assert: route.retries < 3\n",
            "routeguard.yaml:3:9: policy id `operation-id` is taken",
        ),
        (
            "  - id: nothing\n    message: no assert\n",
            "routeguard.yaml:3:5: policy `nothing` needs an `assert`",
        ),
    ];
    for (policies, expected) in cases {
        let dir = project(&[]);
        policy_config(dir.path(), policies);
        let run = common::run(dir.path(), &["lint", "."]);
        assert_eq!(run.code, 2, "{expected}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "expected `{expected}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn explain_rules_and_test_rules_know_custom_rules() {
    let ruleset = "rules:\n  needs-owner:\n    description: Every operation names its owner.\n    given: $.paths[*][get]\n    then: { field: x-owner, function: truthy }\n";
    let tests = r#"tests:
  - rule: needs-owner
    bad:
      files:
        openapi.yaml: |
          openapi: 3.0.3
          info: { title: Pets, version: "1" }
          paths:
            /pets:
              get:
                responses: { "200": { description: ok } }
      findings: ["openapi.yaml:5:5"]
    good:
      files:
        openapi.yaml: |
          openapi: 3.0.3
          info: { title: Pets, version: "1" }
          paths:
            /pets:
              get:
                responses: { "200": { description: ok } }
"#;
    let dir = project(&[
        (
            "routeguard.yaml",
            "extends: [off, ./owners.spectral.yaml]\n",
        ),
        ("owners.spectral.yaml", ruleset),
        ("routeguard-tests.yaml", tests),
    ]);
    let explain = common::run(dir.path(), &["explain", "needs-owner"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains("Source: owners.spectral.yaml:2:3"),
        "{}",
        explain.stdout
    );
    assert!(
        explain
            .stdout
            .contains("   3 |     description: Every operation names its owner."),
        "{}",
        explain.stdout
    );
    let rules = common::run(dir.path(), &["rules"]);
    assert!(
        rules
            .stdout
            .lines()
            .any(|line| line.starts_with("needs-owner") && line.contains("custom")),
        "{}",
        rules.stdout
    );
    // The good example lacks `x-owner` too: the run says which example fails, and exits 1.
    let run = common::run(dir.path(), &["test-rules"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("ok   needs-owner bad example (line 4)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("FAIL needs-owner good example (line 14): raised [\"openapi.yaml:5:5\"]"),
        "{}",
        run.stdout
    );
}

/// How many rules of each vendored real ruleset routeguard runs, of those it defines (rules
/// that are only severities of inherited ones aside). The rest call custom JavaScript
/// functions; docs/custom-rules.md has the table.
const REAL_RULESETS: &[(&str, usize, usize)] = &[
    ("fixtures/spectral/adidas/adidas-spectral.yaml", 14, 17),
    ("fixtures/spectral/azure/spectral.yaml", 40, 64),
    ("fixtures/spectral/baloise/baloise.yml", 6, 8),
    ("fixtures/spectral/baloise/zalando.yml", 27, 32),
    ("fixtures/spectral/bpce/basepath-ruleset.yaml", 8, 8),
    ("fixtures/spectral/bpce/http-method-ruleset.yaml", 3, 3),
    (
        "fixtures/spectral/bpce/http-status-code-ruleset.yaml",
        12,
        12,
    ),
    ("fixtures/spectral/bpce/info-ruleset.yaml", 5, 5),
    ("fixtures/spectral/bpce/model-response-ruleset.yaml", 10, 10),
    ("fixtures/spectral/bpce/model-ruleset.yaml", 7, 7),
    ("fixtures/spectral/bpce/parameter-ruleset.yaml", 13, 13),
    ("fixtures/spectral/bpce/path-ruleset.yaml", 4, 4),
    ("fixtures/spectral/bpce/security-ruleset.yaml", 6, 6),
    (
        "fixtures/spectral/digitalocean/spectral/ruleset.yml",
        11,
        21,
    ),
    ("fixtures/spectral/govuk/ruleset.yaml", 8, 8),
    ("fixtures/spectral/microcks/microcks-rules.yaml", 9, 11),
    ("fixtures/spectral/redhat/ruleset.yaml", 6, 13),
    ("fixtures/spectral/sps/collections.ruleset.yml", 8, 8),
    ("fixtures/spectral/sps/errors.ruleset.yml", 1, 1),
    ("fixtures/spectral/sps/naming.ruleset.yml", 21, 21),
    ("fixtures/spectral/sps/request-response.ruleset.yml", 32, 32),
    ("fixtures/spectral/sps/url-structure.ruleset.yml", 21, 21),
];

#[test]
fn real_rulesets_load_and_run_what_core_functions_express() {
    use routeguard::source::{parse_text, Syntax};
    for (ruleset, runs, defined) in REAL_RULESETS {
        let path = common::repo().join(ruleset);
        let text = std::fs::read_to_string(&path).unwrap();
        let document = parse_text(&text, Syntax::Yaml).unwrap().documents.remove(0);
        let names: Vec<&str> = document
            .get("rules")
            .map(|rules| {
                rules
                    .entries()
                    .iter()
                    .filter(|entry| entry.value.get("given").is_some())
                    .filter_map(|entry| entry.key.scalar_text())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names.len(), *defined, "{ruleset}");
        let custom = listed_custom_rules(&path);
        let running = names
            .iter()
            .filter(|name| custom.iter().any(|id| id == *name))
            .count();
        assert_eq!(running, *runs, "{ruleset}");
    }
}

/// Trimble's ruleset writes four severities as one-item lists (`"operation-description":
/// ["warn"]`), a form Spectral 6 refuses ("must be equal to one of the allowed values" at the
/// same four places, Spectral 6.16.3): none of its 16 rules runs in either, and routeguard says
/// where, as Spectral does. The entry points of BPCE and DigitalOcean, which extend the files
/// pinned above and `spectral:oas`, load as a whole: their own rules (68 and 11) and the 25
/// `spectral:oas` rules routeguard runs.
#[test]
fn real_rulesets_refused_or_extended_as_spectral_does() {
    let trimble = common::repo().join("fixtures/spectral/trimble/api-spec-ruleset.json");
    let dir = project(&[(
        "routeguard.yaml",
        &format!("extends: [off, {}]\n", trimble.display()),
    )]);
    let run = common::run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for (place, rule) in [
        ("10:32", "operation-operationId"),
        ("11:38", "operation-operationId-unique"),
        ("14:33", "operation-description"),
        ("17:32", "operation-tag-defined"),
    ] {
        assert!(
            run.stderr.contains(&format!(
                "api-spec-ruleset.json:{place}: the severity of `{rule}` must be"
            )),
            "{}",
            run.stderr
        );
    }
    for (entry, runs) in [
        ("fixtures/spectral/bpce/main-ruleset.yaml", 68 + 25),
        ("fixtures/spectral/digitalocean/.spectral.yml", 11 + 25),
    ] {
        let custom = listed_custom_rules(&common::repo().join(entry));
        assert_eq!(custom.len(), runs, "{entry}");
    }
}

/// The ids of the custom rules `routeguard rules` lists with only `ruleset` extended.
fn listed_custom_rules(ruleset: &std::path::Path) -> Vec<String> {
    let dir = project(&[(
        "routeguard.yaml",
        &format!("extends: [off, {}]\n", ruleset.display()),
    )]);
    let run = common::run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(run.code, 0, "{}: {}", ruleset.display(), run.stderr);
    let listed: Value = serde_json::from_str(&run.stdout).unwrap();
    listed["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| rule["family"] == "custom")
        .filter_map(|rule| rule["id"].as_str().map(str::to_string))
        .collect()
}
