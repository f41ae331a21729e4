//! Route and operation policies: `policies:` in `routeguard.yaml`, each a CEL assertion over the
//! normalized model (the same expression language Kubernetes admission policies, Gateway API
//! and Envoy use), evaluated with cel-rust's `cel` crate.
//!
//! A policy reads `route` (every gateway route, after the join, with its operations) or
//! `operation` (every OpenAPI operation). A value the model does not have (a route without a
//! timeout) is absent from the map, so `has(route.timeout)` tells; an assertion that cannot be
//! evaluated because a value is absent counts as not holding, and says so.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cel::objects::{Key, Map, Value};
use cel::{Context, Program};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::join::Join;
use crate::model::{Inventory, Operation, Route, StatusKey, Value as ModelValue, ValueKind};
use crate::rule_id::RuleId;
use crate::source::Workspace;
use crate::span::Location;

use super::spectral::Origin;

/// What a policy reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Route,
    Operation,
}

impl Subject {
    pub fn name(self) -> &'static str {
        match self {
            Subject::Route => "route",
            Subject::Operation => "operation",
        }
    }

    /// The fields of its CEL map, for checking expressions and for the docs.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Subject::Route => ROUTE_FIELDS,
            Subject::Operation => OPERATION_FIELDS,
        }
    }
}

pub const ROUTE_FIELDS: &[&str] = &[
    "name",
    "file",
    "layer",
    "gateway",
    "methods",
    "path",
    "hosts",
    "timeout",
    "per_try_timeout",
    "connect_timeout",
    "retries",
    "retry_on",
    "backoff",
    "worst_case",
    "circuit_breaker",
    "health_check",
    "fallback",
    "rate_limited",
    "upstream",
    "operations",
    "api",
];

pub const OPERATION_FIELDS: &[&str] = &[
    "method",
    "path",
    "file",
    "operationId",
    "summary",
    "description",
    "tags",
    "extensions",
    "responses",
    "deprecated",
    "routes",
];

/// A compiled CEL expression with its text.
#[derive(Clone)]
pub struct Expression {
    pub source: String,
    program: Arc<Program>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expression({:?})", self.source)
    }
}

/// Expressions longer than this are refused: a policy is one line of intent, not a program.
const MAX_EXPRESSION: usize = 4096;

/// Brackets nested deeper than this are refused before the CEL parser sees them: it recurses
/// through several large frames per level (60 levels overflow a debug build's 8 MiB main stack,
/// 31 a 2 MiB thread's), and its own recursion limit answers with one error per bracket past it.
const MAX_NESTING: usize = 12;

/// The 1-based character column of the first bracket nested deeper than [`MAX_NESTING`],
/// outside string literals.
fn too_deeply_nested(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (column, c) in source.chars().enumerate() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(column + 1);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

impl Expression {
    /// Compiles `source`; the error is CEL's own message.
    pub fn compile(source: &str) -> Result<Expression, String> {
        if source.len() > MAX_EXPRESSION {
            return Err(format!("longer than {MAX_EXPRESSION} characters"));
        }
        if let Some(column) = too_deeply_nested(source) {
            return Err(format!(
                "brackets nested deeper than {MAX_NESTING} levels (column {column})"
            ));
        }
        // The parser is third-party code reading user input: a panic in it becomes an error.
        let compiled = std::panic::catch_unwind(|| Program::compile(source))
            .map_err(|_| "the CEL parser failed on this expression".to_string())?;
        let program = compiled.map_err(|errors| {
            errors
                .errors
                .iter()
                .map(|error| {
                    format!(
                        "{} (line {}, column {})",
                        error.msg,
                        error.pos.0,
                        error.pos.1 + 1
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok(Expression {
            source: source.to_string(),
            program: Arc::new(program),
        })
    }

    fn eval(&self, context: &Context<'_>) -> Result<Value, String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.program.execute(context)
        }))
        .map_err(|_| "evaluation failed".to_string())?
        .map_err(|error| error.to_string())
    }

    /// The fields of `subject` the expression reads (`route.timeout` → `timeout`), in order.
    pub fn fields_read(&self, subject: Subject) -> Vec<String> {
        let prefix = format!("{}.", subject.name());
        let mut out = Vec::new();
        let mut rest = self.source.as_str();
        while let Some(at) = rest.find(&prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Whether the expression names `subject` at all.
    pub fn reads(&self, subject: Subject) -> bool {
        self.program.references().has_variable(subject.name())
    }
}

/// A policy from `policies:`.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    rule: RuleId,
    /// What reports and `explain` say about it.
    pub meta: Arc<crate::catalog::RuleMeta>,
    pub severity: Severity,
    pub message: String,
    pub subject: Subject,
    pub condition: Option<Expression>,
    pub assertion: Expression,
    pub origin: Origin,
}

impl Policy {
    pub fn new(
        id: &str,
        severity: Severity,
        message: String,
        subject: Subject,
        condition: Option<Expression>,
        assertion: Expression,
        origin: Origin,
    ) -> Policy {
        let meta = super::rule_meta(
            id,
            severity,
            &message,
            &origin.to_string(),
            &format!("The route policy asserts `{}`.", assertion.source),
        );
        Policy {
            id: id.to_string(),
            rule: RuleId::Custom(Arc::from(id)),
            meta,
            severity,
            message,
            subject,
            condition,
            assertion,
            origin,
        }
    }

    pub fn rule(&self) -> &RuleId {
        &self.rule
    }
}

/// What policies read of a run.
pub struct PolicyScope<'a> {
    pub workspace: &'a Workspace,
    pub inventory: &'a Inventory,
    pub join: &'a Join,
}

/// Every finding of the policies `may_run` admits.
pub fn run(
    policies: &[Policy],
    scope: &PolicyScope<'_>,
    may_run: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<Diagnostic> {
    let active: Vec<&Policy> = policies
        .iter()
        .filter(|policy| may_run(&policy.id))
        .collect();
    let mut out = Vec::new();
    if active.iter().any(|policy| policy.subject == Subject::Route) {
        for (index, route) in scope.inventory.routes.iter().enumerate() {
            let value = route_value(scope, index, route);
            let mut context = Context::default();
            context.add_variable_from_value("route", value);
            for policy in active
                .iter()
                .filter(|policy| policy.subject == Subject::Route)
            {
                if let Some(label) = check(policy, &context) {
                    let location = policy
                        .assertion
                        .fields_read(Subject::Route)
                        .into_iter()
                        .find_map(|field| route_field_location(route, &field))
                        .unwrap_or(route.location);
                    let described = crate::rules::describe_route(scope.workspace, route);
                    let message = format!("{}: {described}", policy.message);
                    out.push(finding(policy, location, message, label).with_route(route.label()));
                }
            }
        }
    }
    if active
        .iter()
        .any(|policy| policy.subject == Subject::Operation)
    {
        for (index, operation) in scope.inventory.operations.iter().enumerate() {
            let value = operation_value(scope, index, operation);
            let mut context = Context::default();
            context.add_variable_from_value("operation", value);
            for policy in active
                .iter()
                .filter(|policy| policy.subject == Subject::Operation)
            {
                if let Some(label) = check(policy, &context) {
                    let location = policy
                        .assertion
                        .fields_read(Subject::Operation)
                        .into_iter()
                        .find_map(|field| operation_field_location(operation, &field))
                        .unwrap_or(operation.location);
                    let message = format!(
                        "{}: operation `{}` in {}",
                        policy.message,
                        operation.route(),
                        scope.workspace.file(operation.location.file).display
                    );
                    out.push(
                        finding(policy, location, message, label).with_route(operation.route()),
                    );
                }
            }
        }
    }
    out
}

/// Why the policy fails on the value in `context`: `None` when it does not apply or holds.
fn check(policy: &Policy, context: &Context<'_>) -> Option<String> {
    if let Some(condition) = &policy.condition {
        // A condition that cannot be evaluated (it reads an absent value) does not apply.
        if !matches!(condition.eval(context), Ok(Value::Bool(true))) {
            return None;
        }
    }
    Some(match policy.assertion.eval(context) {
        Ok(Value::Bool(true)) => return None,
        Ok(Value::Bool(false)) => format!("`{}` is false", policy.assertion.source),
        Ok(other) => format!("`{}` is not a boolean ({other:?})", policy.assertion.source),
        Err(error) => format!("`{}` cannot be evaluated: {error}", policy.assertion.source),
    })
}

fn finding(policy: &Policy, location: Location, message: String, label: String) -> Diagnostic {
    Diagnostic::new(policy.rule.clone(), location, message)
        .with_severity(policy.severity)
        .with_label(label)
        .with_help(format!(
            "policy `{}` ({}) asserts `{}`",
            policy.id, policy.origin, policy.assertion.source
        ))
}

fn key(name: &str) -> Key {
    Key::String(Arc::new(name.to_string()))
}

fn text(value: impl Into<String>) -> Value {
    Value::String(Arc::new(value.into()))
}

fn list(values: Vec<Value>) -> Value {
    Value::List(Arc::new(values))
}

fn map(entries: HashMap<Key, Value>) -> Value {
    Value::Map(Map {
        map: Arc::new(entries),
    })
}

fn duration(value: Duration) -> Value {
    Value::Duration(chrono::Duration::from_std(value).unwrap_or(chrono::Duration::MAX))
}

fn route_value(scope: &PolicyScope<'_>, index: usize, route: &Route) -> Value {
    let policy = &route.policy;
    let mut entries: HashMap<Key, Value> = HashMap::new();
    let mut set = |name: &str, value: Value| {
        entries.insert(key(name), value);
    };
    if let Some(name) = &route.name {
        set("name", text(name.clone()));
    }
    set(
        "file",
        text(scope.workspace.file(route.location.file).display.clone()),
    );
    let layers = &scope.join.layers;
    set("layer", text(layers.name(layers.slot(route)).to_string()));
    set("gateway", text(route.format.id()));
    set(
        "methods",
        list(match &route.methods {
            crate::model::MethodSet::Any => vec![text("*")],
            crate::model::MethodSet::Only(methods) => methods
                .iter()
                .map(|method| text(method.to_string()))
                .collect(),
        }),
    );
    set("path", text(route.path.display()));
    set(
        "hosts",
        list(route.hosts.iter().map(|host| text(host.clone())).collect()),
    );
    if let Some(timeout) = policy
        .timeout
        .as_ref()
        .and_then(|timeout| timeout.value.bound())
    {
        set("timeout", duration(timeout));
    }
    if let Some(per_try) = policy.effective_per_try() {
        set("per_try_timeout", duration(per_try.value));
    }
    if let Some(connect) = &policy.connect_timeout {
        set("connect_timeout", duration(connect.value));
    }
    let retries = policy
        .retry
        .as_ref()
        .map_or(0, |retry| i64::from(retry.max_retries.value));
    set("retries", Value::Int(retries));
    if let Some(retry) = &policy.retry {
        set(
            "retry_on",
            list(
                retry
                    .conditions
                    .iter()
                    .map(|condition| text(condition_name(condition)))
                    .collect(),
            ),
        );
        if let Some(backoff) = &retry.backoff {
            let mut fields = HashMap::new();
            if let Some(base) = &backoff.base {
                fields.insert(key("base"), duration(base.value));
            }
            if let Some(max) = &backoff.max {
                fields.insert(key("max"), duration(max.value));
            }
            set("backoff", map(fields));
        }
    } else {
        set("retry_on", list(Vec::new()));
    }
    if let Some(worst) = policy.worst_case() {
        set("worst_case", duration(worst));
    }
    set(
        "circuit_breaker",
        Value::Bool(!policy.circuit_breakers.is_empty()),
    );
    set("health_check", Value::Bool(policy.health_check.is_some()));
    set("rate_limited", Value::Bool(policy.rate_limit.is_some()));
    if let Some(upstream) = &policy.upstream {
        set("upstream", text(upstream.name.clone()));
    }
    if !policy.fallbacks.is_empty() {
        let chain: Vec<Value> = policy
            .fallbacks
            .iter()
            .flat_map(|fallback| fallback.targets.iter().map(|target| text(target.clone())))
            .collect();
        let kinds: Vec<Value> = policy
            .fallbacks
            .iter()
            .map(|fallback| text(format!("{:?}", fallback.kind)))
            .collect();
        let mut fields = HashMap::new();
        fields.insert(key("chain"), list(chain));
        fields.insert(key("kinds"), list(kinds));
        set("fallback", map(fields));
    }
    let operations: Vec<&Operation> = scope
        .join
        .operations_of(index)
        .filter_map(|link| scope.inventory.operations.get(link.operation))
        .collect();
    if let Some(first) = operations.first() {
        set(
            "api",
            text(scope.workspace.file(first.location.file).display.clone()),
        );
    }
    set(
        "operations",
        list(
            operations
                .iter()
                .map(|operation| operation_fields(scope, operation))
                .collect(),
        ),
    );
    map(entries)
}

fn condition_name(condition: &crate::model::policy::RetryCondition) -> String {
    use crate::model::policy::RetryCondition;
    match condition {
        RetryCondition::ConnectFailure => "connect-failure".to_string(),
        RetryCondition::RefusedStream => "refused-stream".to_string(),
        RetryCondition::ResetBeforeRequest => "reset-before-request".to_string(),
        RetryCondition::Reset => "reset".to_string(),
        RetryCondition::Timeout => "timeout".to_string(),
        RetryCondition::GatewayError => "gateway-error".to_string(),
        RetryCondition::Status(low, high) if low == high => low.to_string(),
        RetryCondition::Status(low, high) => format!("{low}-{high}"),
        RetryCondition::Other(other) => other.clone(),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}").to_lowercase(),
    }
}

fn operation_fields(scope: &PolicyScope<'_>, operation: &Operation) -> Value {
    let mut entries: HashMap<Key, Value> = HashMap::new();
    entries.insert(key("method"), text(operation.method.to_string()));
    entries.insert(key("path"), text(operation.path.clone()));
    entries.insert(
        key("file"),
        text(
            scope
                .workspace
                .file(operation.location.file)
                .display
                .clone(),
        ),
    );
    if let Some(id) = &operation.operation_id {
        entries.insert(key("operationId"), text(id.value.clone()));
    }
    if let Some(summary) = &operation.summary {
        entries.insert(key("summary"), text(summary.value.clone()));
    }
    if let Some(description) = &operation.description {
        entries.insert(key("description"), text(description.value.clone()));
    }
    entries.insert(
        key("tags"),
        list(
            operation
                .tags
                .iter()
                .map(|tag| text(tag.value.clone()))
                .collect(),
        ),
    );
    entries.insert(
        key("extensions"),
        map(operation
            .extensions
            .iter()
            .map(|extension| (key(&extension.name), model_value(&extension.value, 0)))
            .collect()),
    );
    entries.insert(
        key("responses"),
        list(
            operation
                .responses
                .iter()
                .flat_map(|responses| responses.entries.iter())
                .map(|response| {
                    text(match &response.status {
                        StatusKey::Code(code) => code.to_string(),
                        StatusKey::Range(digit) => format!("{digit}XX"),
                        StatusKey::Default => "default".to_string(),
                        StatusKey::Other(other) => other.clone(),
                    })
                })
                .collect(),
        ),
    );
    entries.insert(key("deprecated"), Value::Bool(operation.deprecated));
    map(entries)
}

fn operation_value(scope: &PolicyScope<'_>, index: usize, operation: &Operation) -> Value {
    let Value::Map(fields) = operation_fields(scope, operation) else {
        return Value::Null;
    };
    let mut entries = (*fields.map).clone();
    let routes: Vec<Value> = scope
        .join
        .routes_of(index)
        .filter_map(|link| scope.inventory.routes.get(link.route))
        .map(|route| text(route.label()))
        .collect();
    entries.insert(key("routes"), list(routes));
    map(entries)
}

/// A YAML/JSON value (an extension such as `x-resilience`) as CEL data.
fn model_value(value: &ModelValue, depth: usize) -> Value {
    if depth > 64 {
        return Value::Null;
    }
    match &value.kind {
        ValueKind::Map(entries) => map(entries
            .iter()
            .filter_map(|(name, value)| {
                Some((key(name.scalar_text()?), model_value(value, depth + 1)))
            })
            .collect()),
        ValueKind::List(items) => list(
            items
                .iter()
                .map(|item| model_value(item, depth + 1))
                .collect(),
        ),
        ValueKind::Null => Value::Null,
        ValueKind::Bool(value) => Value::Bool(*value),
        ValueKind::Number(number) => number
            .parse::<i64>()
            .map(Value::Int)
            .or_else(|_| number.parse::<f64>().map(Value::Float))
            .unwrap_or_else(|_| text(number.clone())),
        ValueKind::Text(written) => text(written.clone()),
    }
}

/// Where a route's field is written, when the model knows.
fn route_field_location(route: &Route, field: &str) -> Option<Location> {
    let policy = &route.policy;
    match field {
        "timeout" | "worst_case" => policy.timeout.as_ref()?.origin.location(),
        "per_try_timeout" => policy.effective_per_try()?.origin.location(),
        "connect_timeout" => policy.connect_timeout.as_ref()?.origin.location(),
        "retries" => {
            let retry = policy.retry.as_ref()?;
            retry.max_retries.origin.location().or(Some(retry.location))
        }
        "retry_on" | "backoff" => Some(policy.retry.as_ref()?.location),
        "circuit_breaker" => policy
            .circuit_breakers
            .first()
            .map(|breaker| breaker.location),
        "health_check" => {
            let check = policy.health_check.as_ref()?;
            check
                .active
                .as_ref()
                .map(|active| active.location)
                .or(check.passive)
        }
        "fallback" => policy.fallbacks.first().map(|fallback| fallback.location),
        "methods" => route.methods_location,
        "path" => Some(route.path.location),
        _ => None,
    }
}

fn operation_field_location(operation: &Operation, field: &str) -> Option<Location> {
    match field {
        "operationId" => operation.operation_id.as_ref().map(|id| id.location),
        "summary" => operation.summary.as_ref().map(|summary| summary.location),
        "description" => operation.description.as_ref().map(|text| text.location),
        "tags" => operation.tags.first().map(|tag| tag.location),
        "responses" => operation
            .responses
            .as_ref()
            .map(|responses| responses.location),
        "path" => Some(operation.path_location),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `config` fuzz target: 150 nested brackets made the CEL parser underflow
    /// its depth counter (a panic with overflow checks) and overflow a debug build's stack.
    #[test]
    fn deeply_nested_brackets_are_refused_before_the_cel_parser() {
        let nested = |depth: usize| {
            format!(
                "route.path in {}'/a'{} && '[[[[' != ')'",
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        let error = Expression::compile(&nested(2_000)).unwrap_err();
        assert_eq!(error, "brackets nested deeper than 12 levels (column 27)");
        // Brackets inside string literals do not count; the limit itself is allowed.
        assert_eq!(too_deeply_nested(&nested(MAX_NESTING)), None);
        assert_eq!(too_deeply_nested(&nested(MAX_NESTING + 1)), Some(27));
        assert!(Expression::compile(&nested(4)).is_ok());
    }

    #[test]
    fn expressions_compile_or_say_why() {
        let expression = Expression::compile("route.timeout <= duration('5s')").unwrap();
        assert_eq!(expression.fields_read(Subject::Route), ["timeout"]);
        assert!(expression.reads(Subject::Route));
        let error = Expression::compile("route.timeout <= ").unwrap_err();
        assert!(error.contains("line 1"), "{error}");
    }
}
