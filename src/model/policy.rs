//! What a gateway does when things go wrong on a route: timeouts, retries, circuit breaking,
//! health checks, fallbacks and rate limits, normalized across formats.
//!
//! Every value remembers where it came from: written in a file (with its location) or a
//! gateway's documented default (with a note naming it), so findings can say which.

use std::time::Duration;

use crate::span::Location;

/// Where a policy value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Written in a configuration file, here.
    Explicit(Location),
    /// Not written: the gateway's documented default, e.g. "Envoy's default route timeout".
    Default(&'static str),
}

impl Origin {
    pub fn location(&self) -> Option<Location> {
        match self {
            Origin::Explicit(location) => Some(*location),
            Origin::Default(_) => None,
        }
    }

    pub fn is_explicit(&self) -> bool {
        matches!(self, Origin::Explicit(_))
    }
}

/// A value with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn explicit(value: T, location: Location) -> Self {
        Sourced {
            value,
            origin: Origin::Explicit(location),
        }
    }

    pub fn default(value: T, note: &'static str) -> Self {
        Sourced {
            value,
            origin: Origin::Default(note),
        }
    }

    /// Another value from the same place: a duration read as a bounded timeout.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            origin: self.origin,
        }
    }
}

/// A timeout that may be switched off (`0s` in Envoy, no value in Istio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    Bounded(Duration),
    /// No bound at all: the request may wait forever.
    Unbounded,
}

impl Timeout {
    /// A configured duration where `0` switches the timeout off (Envoy, Istio, Gateway API).
    pub fn zero_disables(duration: Sourced<Duration>) -> Sourced<Timeout> {
        duration.map(|duration| {
            if duration.is_zero() {
                Timeout::Unbounded
            } else {
                Timeout::Bounded(duration)
            }
        })
    }

    pub fn bound(self) -> Option<Duration> {
        match self {
            Timeout::Bounded(duration) => Some(duration),
            Timeout::Unbounded => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// End-to-end bound on the request, retries included.
    pub timeout: Option<Sourced<Timeout>>,
    /// Bound on one attempt (also the only bound in formats without a total, e.g. Kong's
    /// `read_timeout`).
    pub per_try_timeout: Option<Sourced<Duration>>,
    /// The per-try timeout only bounds an attempt's wait for the response to start, so it bounds
    /// no request on its own: Envoy's router ignores it once response bytes went downstream
    /// (`onPerTryTimeout` in `source/common/router/upstream_request.cc`), and Istio inherits
    /// that. Only the total timeout bounds such a route.
    pub per_try_until_response: bool,
    /// Where a missing timeout would be written when that is not on the route itself (a Kong
    /// service's `read_timeout`): findings about the missing setting sit there.
    pub timeout_home: Option<Location>,
    pub connect_timeout: Option<Sourced<Duration>>,
    pub retry: Option<Retry>,
    pub circuit_breakers: Vec<CircuitBreaker>,
    pub health_check: Option<HealthCheck>,
    pub fallbacks: Vec<Fallback>,
    pub rate_limit: Option<RateLimit>,
    pub upstream: Option<Upstream>,
    /// The services `upstream` balances over when it is made of other services rather than of
    /// endpoints (Traefik's `weighted` and `highestRandomWeight`); empty otherwise.
    pub members: Vec<PoolMember>,
    /// Every upstream a route calls for one request when it calls several and merges their
    /// answers (a KrakenD endpoint aggregating backends), each with its own breakers; empty when
    /// the route calls `upstream` alone.
    pub backends: Vec<Backend>,
    /// Fault injection is configured on the route (Istio `fault`).
    pub fault_injection: bool,
    /// Settings the file leaves to be filled in when it is deployed (a decK `${{ env … }}`
    /// template action): their values are unknown here, so no rule judges them, and the values
    /// the policy holds for them are not the route's.
    pub deferred: Vec<super::Setting>,
    /// The status codes this gateway answers with by itself on this route.
    pub statuses: GatewayStatuses,
    /// Upstream calls one request can cause within this layer when that is more than its
    /// attempts (an AI gateway retrying every model of a fallback chain).
    pub amplification: Option<Amplification>,
    /// The longest one request can take within this layer, when the format walks a chain whose
    /// links each have their own attempts and timeouts (an AI gateway's fallback chain), so
    /// that attempts × per-try cannot express it. `None` when the format has no such chain, or
    /// when a link of the chain has no bound.
    pub chain_worst_case: Option<Duration>,
    /// The share of requests retries may add across all requests, when a budget rather than a
    /// count per request bounds them (Linkerd's `retryBudget`).
    pub retry_budget: Option<RetryBudget>,
    /// The proxies that apply the route, where the configuration binds it to some (Istio's
    /// `VirtualService.gateways`): they, not the gateway's kind, decide its layer.
    pub binding: Option<super::route::Binding>,
}

/// A retry budget: retries may add at most `ratio` of the requests (plus a floor of
/// `min_per_second`), however many times one request would otherwise be retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryBudget {
    /// Extra load retries may add, e.g. 0.2 for 20 %.
    pub ratio: Sourced<f64>,
    /// Retries allowed per second whatever the ratio.
    pub min_per_second: Sourced<u32>,
    /// The window requests are counted over.
    pub ttl: Sourced<Duration>,
    pub location: Location,
}

/// How many upstream calls one request can cause within a layer, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Amplification {
    pub calls: u32,
    /// The arithmetic, e.g. `3 attempts × 3 models`.
    pub explanation: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Extra attempts after the first, whatever the format counts.
    pub max_retries: Sourced<u32>,
    /// No upper bound on attempts (`max_retries` is then `u32::MAX`): only a `deadline` stops
    /// them.
    pub unbounded: bool,
    pub conditions: Vec<RetryCondition>,
    pub backoff: Option<Backoff>,
    pub per_try_timeout: Option<Sourced<Duration>>,
    /// No retry starts once this long has passed since the first attempt (APISIX
    /// `retry_timeout`, Traefik retry `timeout`); the attempt under way still runs to its own
    /// timeout.
    pub deadline: Option<Sourced<Duration>>,
    /// A cap on concurrent retries across requests (Envoy retry budget, Istio retryBudget).
    pub has_budget: bool,
    /// The gateway retries non-idempotent methods (`Some(false)` when it is known not to).
    pub non_idempotent: Option<bool>,
    /// The methods the retry is limited to where the gateway names them (Spring's Retry
    /// `methods`); empty when it retries whatever the route matches.
    pub methods: Vec<super::Method>,
    /// The setting that decides `max_retries` when the format counts retries per error class,
    /// e.g. LiteLLM's `retry_policy.RateLimitErrorRetries`.
    pub counted_by: Option<String>,
    /// Where the retry policy is written, or the route when it is a default.
    pub location: Location,
}

impl Retry {
    /// `max_retries` retries configured at `location`, with nothing else known yet: no
    /// conditions, backoff, per-try timeout, deadline or budget.
    pub fn new(max_retries: Sourced<u32>, location: Location) -> Retry {
        Retry {
            max_retries,
            unbounded: false,
            conditions: Vec::new(),
            backoff: None,
            per_try_timeout: None,
            deadline: None,
            has_budget: false,
            non_idempotent: None,
            methods: Vec::new(),
            counted_by: None,
            location,
        }
    }
}

/// When a retry fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryCondition {
    ConnectFailure,
    RefusedStream,
    ResetBeforeRequest,
    Reset,
    Timeout,
    Any5xx,
    GatewayError,
    /// A status code, or a range `low..=high`.
    Status(u16, u16),
    /// A condition of the format that is not classified; kept so nothing is lost.
    Other(String),
}

impl RetryCondition {
    /// Fires before the request reached the upstream, so retrying cannot repeat a side effect.
    pub fn is_pre_send(&self) -> bool {
        matches!(
            self,
            RetryCondition::ConnectFailure
                | RetryCondition::RefusedStream
                | RetryCondition::ResetBeforeRequest
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    pub base: Option<Sourced<Duration>>,
    pub max: Option<Sourced<Duration>>,
    /// Envoy's fully jittered scheme (and Istio's, which is Envoy's): the n-th wait is uniform
    /// in [0, (2^n − 1) × base), capped at the maximum
    /// (`JitteredExponentialBackOffStrategy::nextBackOffMs`, `source/common/common/backoff_strategy.cc`,
    /// Envoy 1.3x). Otherwise the n-th wait is base × factor^(n − 1), capped.
    pub jittered: bool,
    /// How much each wait grows over the one before when not jittered: 2 doubles it, 1 keeps
    /// it constant; no wait is shorter than the base (Spring Cloud Gateway's `factor`).
    pub factor: f64,
}

impl Backoff {
    /// `base` × `factor`^`attempt`: in whole nanoseconds when the factor is whole, so the usual
    /// doubling stays exact; `None` when it overflows.
    pub fn grown(base: Duration, factor: f64, attempt: u32) -> Option<Duration> {
        if factor.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&factor) {
            let whole = factor as u32;
            return whole
                .checked_pow(attempt)
                .and_then(|times| base.checked_mul(times));
        }
        let seconds = base.as_secs_f64() * factor.powi(i32::try_from(attempt).ok()?);
        Duration::try_from_secs_f64(seconds).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitBreakerKind {
    /// Trips after consecutive errors (KrakenD, Kong passive checks).
    ConsecutiveErrors,
    /// Ejects failing hosts from the pool (Envoy/Istio outlier detection).
    OutlierEjection,
    /// Caps concurrency (Envoy thresholds, Istio connectionPool).
    ConcurrencyLimit,
    /// Trips on an expression or ratio (Traefik circuitBreaker, APISIX api-breaker).
    Expression,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    pub kind: CircuitBreakerKind,
    pub location: Location,
    /// Configured but cannot trip (all thresholds zero, enforcement 0 %).
    pub ineffective: Option<String>,
    /// The status answered while open.
    pub open_status: Option<u16>,
    /// When it opens and for how long, for breakers that count failures over a window of calls.
    pub trip: Option<BreakerTrip>,
}

impl CircuitBreaker {
    /// A limit on concurrent connections or requests (Envoy's `circuit_breakers`, Istio's
    /// `connectionPool`): it trips on load, not on failures, and answers `open_status` while full.
    pub fn concurrency_limit(location: Location, open_status: u16) -> Self {
        CircuitBreaker {
            kind: CircuitBreakerKind::ConcurrencyLimit,
            location,
            ineffective: None,
            open_status: Some(open_status),
            trip: None,
        }
    }
}

/// When a breaker that counts the outcome of calls over a window opens, and how long it stays
/// open (Resilience4j's `CircuitBreakerConfig`, Tyk's rate breaker).
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerTrip {
    /// The share of failed calls, in percent, at or above which it opens.
    pub failure_rate: Sourced<f64>,
    /// The share of slow calls, in percent, at or above which it opens, and what is slow.
    pub slow_calls: Option<(Sourced<f64>, Sourced<Duration>)>,
    pub window: Sourced<BreakerWindow>,
    /// Calls the window must hold before a rate is computed.
    pub minimum_calls: Sourced<u32>,
    /// How long it stays open before letting trial calls through.
    pub open_for: Sourced<Duration>,
}

/// The calls a breaker's rates are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerWindow {
    /// The last N calls.
    Calls(u32),
    /// The calls of the last period.
    Time(Duration),
}

impl BreakerTrip {
    /// "opens at 50 % failed or 100 % slower than 60s of the last 100 calls (at least 100);
    /// open 60s".
    pub fn describe(&self) -> String {
        let slow = self
            .slow_calls
            .as_ref()
            .map_or_else(String::new, |(rate, slow)| {
                let slow = crate::units::format_duration(slow.value);
                format!(" or {} % slower than {slow}", rate.value)
            });
        let window = match self.window.value {
            BreakerWindow::Calls(calls) => format!("the last {calls} calls"),
            BreakerWindow::Time(period) => {
                let period = crate::units::format_duration(period);
                format!("the calls of the last {period}")
            }
        };
        let open_for = crate::units::format_duration(self.open_for.value);
        format!(
            "opens at {} % failed{slow} of {window} (at least {}); open {open_for}",
            self.failure_rate.value, self.minimum_calls.value
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub active: Option<ActiveCheck>,
    /// Passive checks (errors observed in real traffic mark hosts unhealthy).
    pub passive: Option<Location>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActiveCheck {
    pub interval: Option<Sourced<Duration>>,
    pub timeout: Option<Sourced<Duration>>,
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackKind {
    /// A backup or lower-priority endpoint set.
    BackupEndpoints,
    /// Another service takes over once the primary is marked down (Traefik failover, Envoy
    /// aggregate cluster).
    FailoverService,
    /// Another service answers each request the primary fails with an error status (Traefik
    /// failover with `errors`): no health check on the primary is needed.
    FailoverOnStatus,
    /// Istio locality failover.
    LocalityFailover,
    /// The gateway answers by itself (KrakenD static proxy, Kong request-termination, Envoy
    /// direct_response).
    StaticResponse,
    /// Several healthy weighted targets share the traffic.
    WeightedPool,
    /// An AI gateway falls back to another model group or target.
    ModelFallback,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    pub kind: FallbackKind,
    pub targets: Vec<String>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    pub location: Location,
    /// The status answered when the limit is hit.
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    pub name: String,
    /// How many endpoints (targets, hosts) serve it; `None` when the config does not say.
    pub endpoints: Option<u32>,
    pub location: Option<Location>,
}

/// A service a composite upstream balances over.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolMember {
    pub name: String,
    /// How many endpoints it balances over itself, when known.
    pub endpoints: Option<u32>,
    /// It checks its own endpoints' health (actively or passively).
    pub checked: bool,
    pub location: Location,
}

/// One of the upstreams a route calls in the same request, with the breakers that guard that
/// call alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub upstream: Upstream,
    pub circuit_breakers: Vec<CircuitBreaker>,
}

/// The status codes a gateway sends on its own for a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatewayStatuses {
    pub on_timeout: Option<u16>,
    pub on_circuit_open: Option<u16>,
    pub on_rate_limited: Option<u16>,
}

/// Policy a format declares for an upstream apart from the routes that use it (an Istio
/// `DestinationRule`, an Envoy `Cluster` resource, an APISIX upstream in another file). It is
/// merged into every route of the same format whose upstream has this name.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamPolicy {
    pub format: super::GatewayFormat,
    /// The upstream's name as routes refer to it (Istio: the host).
    pub name: String,
    pub location: Location,
    pub connect_timeout: Option<Sourced<Duration>>,
    pub circuit_breakers: Vec<CircuitBreaker>,
    pub health_check: Option<HealthCheck>,
    pub fallbacks: Vec<Fallback>,
    pub endpoints: Option<u32>,
}

impl Policy {
    /// The policy of a route the gateway answers by itself (a redirect, a direct or static
    /// response, a request-termination plugin): no upstream, so no timeout, retry, breaker or
    /// health check applies; `answer` names what is sent (a status, `redirect`).
    pub fn answered_directly(answer: Option<String>, location: Location) -> Policy {
        Policy {
            fallbacks: vec![Fallback {
                kind: FallbackKind::StaticResponse,
                targets: answer.into_iter().collect(),
                location,
            }],
            ..Policy::default()
        }
    }

    /// Whether `setting` is left to deployment.
    pub fn defers(&self, setting: super::Setting) -> bool {
        self.deferred.contains(&setting)
    }

    /// Whether the route's timing (its timeouts and how many attempts they multiply) is left to
    /// deployment: nothing that adds it up can be judged.
    pub fn defers_timing(&self) -> bool {
        use super::Setting;
        self.deferred.iter().any(|setting| {
            matches!(
                setting,
                Setting::Timeout | Setting::PerTryTimeout | Setting::Retries
            )
        })
    }

    /// Attempts in total: the first plus every retry.
    pub fn attempts(&self) -> u32 {
        self.retry
            .as_ref()
            .map_or(0, |retry| retry.max_retries.value)
            .saturating_add(1)
    }

    /// Upstream calls a request causes in this layer on average at most, when a retry budget
    /// bounds the retries of all requests together: 1 + its ratio.
    pub fn budgeted_calls(&self) -> Option<f64> {
        self.retry_budget
            .as_ref()
            .map(|budget| 1.0 + budget.ratio.value)
    }

    /// Upstream calls one request can cause in this layer: the amplification when the format
    /// computes one (fallback chains), else the attempts.
    pub fn calls_per_request(&self) -> u32 {
        self.amplification
            .as_ref()
            .map_or_else(|| self.attempts(), |amplification| amplification.calls)
    }

    /// The per-attempt bound: the retry policy's, else the route's.
    pub fn effective_per_try(&self) -> Option<&Sourced<Duration>> {
        self.retry
            .as_ref()
            .and_then(|retry| retry.per_try_timeout.as_ref())
            .or(self.per_try_timeout.as_ref())
    }

    /// The longest a request can take through this route on its own: the total timeout, or every
    /// attempt running to its per-try timeout plus the backoff between them, whichever is
    /// shorter. `None` when nothing bounds it.
    pub fn worst_case(&self) -> Option<Duration> {
        self.worst_case_over(None)
    }

    /// The same, when each attempt waits on an inner layer that takes at most `inner`: an
    /// attempt lasts until its per-try timeout or until the inner layer gives up, whichever is
    /// first. A chain's own worst case ([`Policy::chain_worst_case`]) replaces the attempts
    /// estimate: the AI gateways that have one are the innermost layer.
    pub fn worst_case_over(&self, inner: Option<Duration>) -> Option<Duration> {
        let total = self
            .timeout
            .as_ref()
            .and_then(|timeout| timeout.value.bound());
        if let Some(chain) = self.chain_worst_case {
            return Some(total.map_or(chain, |total| total.min(chain)));
        }
        let per_try = self
            .effective_per_try()
            .filter(|_| !self.per_try_until_response)
            .map(|per_try| per_try.value);
        let attempt = match (per_try, inner) {
            (Some(per_try), Some(inner)) => Some(per_try.min(inner)),
            (per_try, inner) => per_try.or(inner),
        };
        // Tries without a limit or a deadline that stops them bound nothing.
        let endless = self
            .retry
            .as_ref()
            .is_some_and(|retry| retry.unbounded && retry.deadline.is_none());
        let attempts = attempt
            .filter(|_| !endless)
            .map(|attempt| self.attempts_duration(attempt).0);
        match (total, attempts) {
            (Some(total), Some(attempts)) => Some(total.min(attempts)),
            (total, attempts) => total.or(attempts),
        }
    }

    /// How long all attempts take when each lasts `attempt`, waits included; or, when a retry
    /// deadline stops the retries sooner, that deadline, a last wait and one last attempt
    /// decided on just before it, with the deadline that decided.
    pub fn attempts_duration(&self, attempt: Duration) -> (Duration, Option<&Sourced<Duration>>) {
        let delays = self.backoff_delays();
        let waits = delays
            .iter()
            .copied()
            .fold(Duration::ZERO, Duration::saturating_add);
        let all = attempt
            .checked_mul(self.attempts())
            .and_then(|all| all.checked_add(waits))
            .unwrap_or(Duration::MAX);
        let deadline = self
            .retry
            .as_ref()
            .and_then(|retry| retry.deadline.as_ref());
        match deadline {
            Some(deadline) => {
                let last_wait = delays.iter().max().copied().unwrap_or(Duration::ZERO);
                let cut = deadline
                    .value
                    .saturating_add(last_wait)
                    .saturating_add(attempt);
                if cut < all {
                    (cut, Some(deadline))
                } else {
                    (all, None)
                }
            }
            None => (all, None),
        }
    }

    /// The longest single wait between attempts (zero without backoff).
    pub fn longest_backoff(&self) -> Duration {
        self.backoff_delays()
            .into_iter()
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// The sum of the waits between attempts: exponential from the base, capped at the maximum
    /// (Envoy and Istio's scheme, and the usual one elsewhere).
    pub fn total_backoff(&self) -> Duration {
        self.backoff_delays()
            .into_iter()
            .fold(Duration::ZERO, Duration::saturating_add)
    }

    /// The longest wait before each retry: exponential from the base, capped at the maximum (ten
    /// times the base unless set, as in Envoy and Istio); for Envoy's jittered scheme the top
    /// of each wait's range, (2^n − 1) × base less a millisecond. Empty without retries or
    /// backoff.
    pub fn backoff_delays(&self) -> Vec<Duration> {
        let Some(retry) = &self.retry else {
            return Vec::new();
        };
        let Some(base) = retry
            .backoff
            .as_ref()
            .and_then(|backoff| backoff.base.as_ref())
        else {
            return Vec::new();
        };
        let cap = retry
            .backoff
            .as_ref()
            .and_then(|backoff| backoff.max.as_ref())
            .map_or(base.value.saturating_mul(10), |max| max.value);
        let jittered = retry
            .backoff
            .as_ref()
            .is_some_and(|backoff| backoff.jittered);
        (0..retry.max_retries.value.min(64))
            .map(|attempt| {
                let factor = retry.backoff.as_ref().map_or(2.0, |backoff| backoff.factor);
                let grown =
                    Backoff::grown(base.value, factor, attempt).map(|wait| wait.max(base.value));
                let wait = if jittered {
                    // Envoy draws `random % ((2^n − 1) × base)` in whole milliseconds.
                    base.value
                        .checked_mul((1u32 << (attempt + 1).min(20)) - 1)
                        .map(|top| top.saturating_sub(Duration::from_millis(1)))
                } else {
                    grown
                };
                wait.unwrap_or(cap).min(cap)
            })
            .collect()
    }
}

/// Policy a format's own resources attach to routes that another format's adapter read: Envoy
/// Gateway's `BackendTrafficPolicy` on Gateway API `HTTPRoute`s, Linkerd's annotations on them.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteOverlay {
    /// The routes it reaches are of this format …
    pub format: super::GatewayFormat,
    /// … and located inside this span (an `HTTPRoute` document, or one of its rules).
    pub scope: Location,
    /// The gateway that then serves them.
    pub becomes: super::GatewayFormat,
    /// The values it sets: a timeout, retry or per-try bound set here replaces the route's own
    /// only when `wins_over_route`, or when the route's is a default; breakers, health checks,
    /// budgets and rate limits are added.
    pub policy: Policy,
    pub wins_over_route: bool,
}

impl RouteOverlay {
    pub fn apply(&self, route: &mut super::Route) {
        let (from, into) = (&self.policy, &mut route.policy);
        let replaces = |own: bool| self.wins_over_route || !own;
        let own_timeout = into
            .timeout
            .as_ref()
            .is_some_and(|t| t.origin.is_explicit());
        if from.timeout.is_some() && replaces(own_timeout) {
            into.timeout = from.timeout.clone();
        }
        if from.retry.is_some() && replaces(into.retry.is_some()) {
            into.retry = from.retry.clone();
        }
        if from.per_try_timeout.is_some() && replaces(into.per_try_timeout.is_some()) {
            into.per_try_timeout = from.per_try_timeout.clone();
        }
        into.per_try_until_response |= from.per_try_until_response;
        into.fault_injection |= from.fault_injection;
        if from.connect_timeout.is_some() {
            into.connect_timeout = from.connect_timeout.clone();
        }
        into.circuit_breakers
            .extend(from.circuit_breakers.iter().cloned());
        if from.health_check.is_some() {
            into.health_check = from.health_check.clone();
        }
        into.fallbacks.extend(from.fallbacks.iter().cloned());
        if from.rate_limit.is_some() {
            into.rate_limit = from.rate_limit.clone();
        }
        if from.retry_budget.is_some() {
            into.retry_budget = from.retry_budget.clone();
        }
        let statuses = &mut into.statuses;
        statuses.on_timeout = from.statuses.on_timeout.or(statuses.on_timeout);
        statuses.on_circuit_open = from.statuses.on_circuit_open.or(statuses.on_circuit_open);
        statuses.on_rate_limited = from.statuses.on_rate_limited.or(statuses.on_rate_limited);
        route.format = self.becomes;
    }
}
