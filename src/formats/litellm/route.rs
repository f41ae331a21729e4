//! One model group's route: its retries, timeouts, cooldowns and the worst case of its
//! fallback chain.

use std::time::Duration;

use super::deployments::{endpoint, DeploymentEntry};
use super::fallbacks::walk;
use super::settings::{GroupRetries, Settings};
use super::{DEFAULT_TIMEOUT, FIRST_RETRY_WAIT, LONGEST_RETRY_WAIT, RELEASE};
use crate::formats::chain::{self, Run};
use crate::formats::read::GatewayNote;
use crate::model::ai::{Deployment, FallbackGraph, ModelGroup, TriggerFamily};
use crate::model::policy::{
    Amplification, Backoff, Fallback, FallbackKind, GatewayStatuses, HealthCheck, Retry,
    RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced};

/// One run through a group when every call fails: its attempts, each with the OpenAI client's
/// own retries, each call running to its timeout, with the waits in between.
pub(super) fn group_run(
    group: &ModelGroup,
    members: &[&DeploymentEntry],
    settings: &Settings<'_>,
) -> Run {
    let group_retries = retries_of_group(group, members, settings);
    let retries = group_retries.retries().value;
    let attempts = retries.saturating_add(1);
    // Only a call that times out runs to its timeout, so the longest run retries as often as
    // `TimeoutErrorRetries` (or `num_retries`) allows, whatever other classes may retry.
    let timeout_retries = group_retries.retries_of("TimeoutErrorRetries");
    let timeout_attempts = timeout_retries.saturating_add(1);
    let client_retries = members
        .iter()
        .map(|entry| entry.client_retries)
        .max()
        .unwrap_or(0);
    let client_tries = client_retries.saturating_add(1);
    let per_call = group
        .deployments
        .iter()
        .filter_map(|deployment| deployment.timeout.as_ref().map(|timeout| timeout.value))
        .max()
        .unwrap_or(DEFAULT_TIMEOUT);
    let (first_wait, longest_wait) = router_waits(settings);
    let waits = chain::doubling_waits(first_wait, Some(longest_wait), timeout_retries)
        .saturating_add(
            chain::doubling_waits(FIRST_RETRY_WAIT, Some(LONGEST_RETRY_WAIT), client_retries)
                .checked_mul(timeout_attempts)
                .unwrap_or(Duration::MAX),
        );
    let arithmetic = if client_tries > 1 {
        format!(
            "{} × {client_tries} client tries",
            chain::attempts(attempts)
        )
    } else {
        chain::attempts(attempts)
    };
    Run {
        label: group.name.clone(),
        calls: attempts.saturating_mul(client_tries),
        arithmetic,
        longest: Some(chain::run_time(
            timeout_attempts.saturating_mul(client_tries),
            per_call,
            waits,
        )),
    }
}

/// The router's wait before its first retry and the longest wait: `retry_after` raises the
/// minimum.
fn router_waits(settings: &Settings<'_>) -> (Duration, Duration) {
    match &settings.retry_after {
        Some(minimum) => (
            minimum.value.max(FIRST_RETRY_WAIT),
            minimum.value.max(LONGEST_RETRY_WAIT),
        ),
        None => (FIRST_RETRY_WAIT, LONGEST_RETRY_WAIT),
    }
}

pub(super) fn route_for(
    graph: &FallbackGraph,
    group: &ModelGroup,
    runs: &[Run],
    members: &[&DeploymentEntry],
    settings: &Settings<'_>,
) -> Route {
    let location = group.location;
    let (visits, truncated) = walk(graph, &group.name, settings.max_fallbacks);
    let chain_runs: Vec<Run> = visits
        .iter()
        .filter_map(|(name, visit)| {
            runs.get(*visit).map(|run| Run {
                label: name.clone(),
                ..run.clone()
            })
        })
        .collect();
    let visited = || {
        visits
            .iter()
            .filter_map(|(_, visit)| graph.groups.get(*visit))
    };
    let per_try = visited()
        .flat_map(|group| &group.deployments)
        .filter_map(|deployment| deployment.timeout.clone())
        .max_by_key(|timeout| timeout.value);
    let group_retries = retries_of_group(group, members, settings);
    let retries = group_retries.retries();
    let retry = (retries.value > 0).then(|| Retry {
        conditions: retry_conditions(&group_retries),
        backoff: Some(backoff(settings)),
        non_idempotent: Some(true),
        counted_by: group_retries.deciding_key(&retries),
        ..Retry::new(retries.clone(), group_retries.location.unwrap_or(location))
    });
    let first_general_edge = graph
        .edges_from(&group.name)
        .find(|edge| edge.trigger.family() == TriggerFamily::General);
    let mut fallbacks = Vec::new();
    let mut chain_targets: Vec<String> = Vec::new();
    for (name, _) in visits.iter().skip(1) {
        if *name != group.name && !chain_targets.contains(name) {
            chain_targets.push(name.clone());
        }
    }
    if !chain_targets.is_empty() {
        fallbacks.push(Fallback {
            kind: FallbackKind::ModelFallback,
            targets: chain_targets,
            location: first_general_edge.map_or(location, |edge| edge.declared),
        });
    }
    if group.deployments.len() >= 2 {
        fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: group.deployments.iter().map(Deployment::label).collect(),
            location,
        });
    }
    let total_calls = chain::total_calls(&chain_runs);
    let attempts = retries.value.saturating_add(1);
    let amplification = (total_calls > attempts).then(|| Amplification {
        calls: total_calls,
        explanation: chain::explain(&chain_runs, "model group", truncated),
        location: first_general_edge
            .map(|edge| edge.declared)
            .or(group_retries.location)
            .unwrap_or(location),
    });
    // The default cooldown policy keeps a group's only deployment in the pool while it fails.
    let spared = group.deployments.len() == 1 && !settings.cooldown_covers_single;
    let breaker = settings.cooldown.clone();
    let breakers = if spared && breaker.ineffective.is_none() {
        Vec::new()
    } else {
        vec![breaker]
    };
    let passive = breakers
        .iter()
        .find(|breaker| breaker.ineffective.is_none())
        .map(|breaker| breaker.location);
    let health_check =
        (passive.is_some() || settings.active_check.is_some()).then(|| HealthCheck {
            active: settings.active_check.clone(),
            passive,
        });
    let policy = Policy {
        per_try_timeout: per_try,
        retry,
        circuit_breakers: breakers,
        health_check,
        fallbacks,
        upstream: Some(Upstream {
            name: group.name.clone(),
            endpoints: Some(u32::try_from(group.deployments.len()).unwrap_or(u32::MAX)),
            location: Some(location),
        }),
        statuses: GatewayStatuses {
            // `litellm.Timeout` is answered as 408.
            on_timeout: Some(408),
            ..GatewayStatuses::default()
        },
        amplification,
        chain_worst_case: chain::total_time(&chain_runs),
        ..Policy::default()
    };
    let mode = members.iter().find_map(|entry| entry.mode.clone());
    // The group's name says what it serves as often as the model does (`dall-e-2` for `azure/`).
    let model = format!(
        "{} {}",
        group.name,
        group
            .deployments
            .first()
            .and_then(|deployment| deployment.model.as_deref())
            .unwrap_or_default()
    );
    let path = PathMatch::new(PathKind::Exact, endpoint(mode.as_deref(), &model), location);
    Route {
        name: Some(group.name.clone()),
        methods: MethodSet::Only(vec![Method::Post]),
        ..Route::new(GatewayFormat::LiteLlm, location, path, policy)
    }
}

/// What LiteLLM retries: every error but a missing model, and context window or content policy
/// errors that have their own fallbacks; `retry_policy` turns classes on or off. A group of one
/// deployment never retries an authentication error.
fn retry_conditions(retries: &GroupRetries<'_>) -> Vec<RetryCondition> {
    let mut conditions = Vec::new();
    if retries.num_retries.value > 0 {
        conditions.push(RetryCondition::ConnectFailure);
    }
    if retries.retries_of("TimeoutErrorRetries") > 0 {
        conditions.push(RetryCondition::Timeout);
    }
    if retries.retries_of("RateLimitErrorRetries") > 0 {
        conditions.push(RetryCondition::Status(429, 429));
    }
    if retries.retries_of("InternalServerErrorRetries") > 0 || retries.num_retries.value > 0 {
        conditions.push(RetryCondition::Any5xx);
    }
    if retries.explicit("BadRequestErrorRetries") {
        conditions.push(RetryCondition::Status(400, 400));
    }
    // A 401 cools its deployment down at once, so the retry goes to another deployment with its
    // own key: a failover between credentials, not the same request sent again for the same 401.
    if retries.explicit("AuthenticationErrorRetries") {
        conditions.push(RetryCondition::Other(
            "authentication error, on another deployment".to_string(),
        ));
    }
    if retries.explicit("ContentPolicyViolationErrorRetries") {
        conditions.push(RetryCondition::Other(
            "content policy violation".to_string(),
        ));
    }
    conditions
}

/// The retry settings of `group`: its own policy or the router's, its deployments' own
/// `num_retries` or the router's.
fn retries_of_group<'s>(
    group: &ModelGroup,
    members: &[&DeploymentEntry],
    settings: &'s Settings<'_>,
) -> GroupRetries<'s> {
    let own: Vec<Option<&Sourced<u32>>> = members
        .iter()
        .map(|entry| entry.num_retries.as_ref())
        .collect();
    settings.group_retries(&group.name, group.deployments.len(), &own)
}

static LONGEST_WAIT_NOTE: GatewayNote =
    GatewayNote::new(RELEASE, "LiteLLM's longest retry wait of 8s");
static FIRST_WAIT_NOTE: GatewayNote = GatewayNote::new(
    RELEASE,
    "LiteLLM's first retry wait of 0.5s, doubling after each retry",
);

fn backoff(settings: &Settings<'_>) -> Backoff {
    let longest = LONGEST_WAIT_NOTE.sourced(LONGEST_RETRY_WAIT);
    let (base, max) = match &settings.retry_after {
        Some(minimum) if minimum.value >= LONGEST_RETRY_WAIT => (minimum.clone(), minimum.clone()),
        Some(minimum) => (minimum.clone(), longest),
        None => (FIRST_WAIT_NOTE.sourced(FIRST_RETRY_WAIT), longest),
    };
    Backoff {
        base: Some(base),
        max: Some(max),
        jittered: false,
        factor: 2.0,
    }
}
