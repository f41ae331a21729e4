//! Routes: what a gateway, mesh or AI gateway accepts (method + path matcher) and the policy it
//! applies when forwarding.

use std::fmt;

use super::policy::Policy;
use super::Method;
use crate::span::Location;

/// The configuration formats routes are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GatewayFormat {
    Kong,
    Envoy,
    Istio,
    GatewayApi,
    Aws,
    Google,
    IngressNginx,
    SpringCloudGateway,
    KrakenD,
    Traefik,
    Apisix,
    LiteLlm,
    Portkey,
    EnvoyGateway,
    Linkerd,
    Kuma,
    Tyk,
}

impl GatewayFormat {
    /// Every format, in declaration order.
    pub const ALL: [GatewayFormat; 17] = [
        GatewayFormat::Kong,
        GatewayFormat::Envoy,
        GatewayFormat::Istio,
        GatewayFormat::GatewayApi,
        GatewayFormat::Aws,
        GatewayFormat::Google,
        GatewayFormat::IngressNginx,
        GatewayFormat::SpringCloudGateway,
        GatewayFormat::KrakenD,
        GatewayFormat::Traefik,
        GatewayFormat::Apisix,
        GatewayFormat::LiteLlm,
        GatewayFormat::Portkey,
        GatewayFormat::EnvoyGateway,
        GatewayFormat::Linkerd,
        GatewayFormat::Kuma,
        GatewayFormat::Tyk,
    ];

    /// Stable machine name, used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            GatewayFormat::Kong => "kong",
            GatewayFormat::Envoy => "envoy",
            GatewayFormat::Istio => "istio",
            GatewayFormat::GatewayApi => "gateway-api",
            GatewayFormat::Aws => "aws",
            GatewayFormat::Google => "google",
            GatewayFormat::IngressNginx => "ingress-nginx",
            GatewayFormat::SpringCloudGateway => "spring-cloud-gateway",
            GatewayFormat::KrakenD => "krakend",
            GatewayFormat::Traefik => "traefik",
            GatewayFormat::Apisix => "apisix",
            GatewayFormat::LiteLlm => "litellm",
            GatewayFormat::Portkey => "portkey",
            GatewayFormat::EnvoyGateway => "envoy-gateway",
            GatewayFormat::Linkerd => "linkerd",
            GatewayFormat::Kuma => "kuma",
            GatewayFormat::Tyk => "tyk",
        }
    }

    /// The product name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            GatewayFormat::Kong => "Kong",
            GatewayFormat::Envoy => "Envoy",
            GatewayFormat::Istio => "Istio",
            GatewayFormat::GatewayApi => "Gateway API",
            GatewayFormat::Aws => "AWS API Gateway",
            GatewayFormat::Google => "Google API Gateway (ESPv2)",
            GatewayFormat::IngressNginx => "ingress-nginx",
            GatewayFormat::SpringCloudGateway => "Spring Cloud Gateway",
            GatewayFormat::KrakenD => "KrakenD",
            GatewayFormat::Traefik => "Traefik",
            GatewayFormat::Apisix => "APISIX",
            GatewayFormat::LiteLlm => "LiteLLM",
            GatewayFormat::Portkey => "Portkey",
            GatewayFormat::EnvoyGateway => "Envoy Gateway",
            GatewayFormat::Linkerd => "Linkerd",
            GatewayFormat::Kuma => "Kuma",
            GatewayFormat::Tyk => "Tyk",
        }
    }

    /// Whether the format has a circuit breaker, outlier detection or passive health check to
    /// configure. The Gateway API and AWS API Gateway do not: a finding there could not be
    /// acted on.
    pub fn configures_circuit_breakers(self) -> bool {
        !matches!(
            self,
            GatewayFormat::GatewayApi
                | GatewayFormat::Aws
                | GatewayFormat::Google
                | GatewayFormat::IngressNginx
        )
    }

    /// Whether an unset retry backoff is left to the implementation rather than meaning none
    /// (Gateway API, GEP-1731: Envoy-based implementations back off).
    pub fn leaves_backoff_to_implementation(self) -> bool {
        self == GatewayFormat::GatewayApi
    }

    /// How to bound a route's requests in this gateway, for help texts.
    pub fn timeout_fix(self) -> &'static str {
        match self {
            GatewayFormat::Kong => {
                "Set `read_timeout` (milliseconds) on the service, shorter than what the client waits"
            }
            GatewayFormat::Envoy => "Set the route's `timeout` (e.g. `timeout: 4s`); `0s` switches it off",
            GatewayFormat::Istio => "Set `timeout` on the HTTP route (e.g. `timeout: 4s`)",
            GatewayFormat::GatewayApi => "Set `timeouts.request` on the rule (e.g. `request: 4s`)",
            GatewayFormat::Aws => {
                "Set `timeoutInMillis` on the `x-amazon-apigateway-integration` (50 to 29000 for REST APIs, to 30000 for HTTP APIs)"
            }
            GatewayFormat::Google => {
                "Set `deadline` (seconds) in the operation's `x-google-backend`"
            }
            GatewayFormat::IngressNginx => {
                "Set the `nginx.ingress.kubernetes.io/proxy-read-timeout` annotation (seconds)"
            }
            GatewayFormat::SpringCloudGateway => {
                "Set `httpclient.response-timeout` or the route's `response-timeout` metadata, or a \
                 CircuitBreaker filter whose Resilience4j TimeLimiter bounds the whole request"
            }
            GatewayFormat::KrakenD => "Set the endpoint's `timeout` (e.g. `\"timeout\": \"4s\"`)",
            GatewayFormat::Traefik => {
                "Set `forwardingTimeouts.responseHeaderTimeout` on the service's `serversTransport`"
            }
            GatewayFormat::Apisix => {
                "Set `timeout` on the route's upstream, with `read` and, as APISIX requires, \
                 `connect` and `send` (seconds)"
            }
            GatewayFormat::LiteLlm => "Set `timeout` in `router_settings` or on the deployment's `litellm_params`",
            GatewayFormat::Portkey => "Set `request_timeout` (milliseconds) on the config or the target",
            GatewayFormat::EnvoyGateway => {
                "Set `timeout.http.requestTimeout` in the BackendTrafficPolicy that targets the route, or `timeouts.request` on the rule"
            }
            GatewayFormat::Linkerd => {
                "Annotate the HTTPRoute or Service with `timeout.linkerd.io/request` (e.g. `4s`), or set the ServiceProfile route's `timeout`"
            }
            GatewayFormat::Kuma => "Set `http.requestTimeout` in a MeshTimeout whose `to` targets the service",
            GatewayFormat::Tyk => {
                "Add a `hard_timeouts` entry (seconds) for the path to the version's `extended_paths`, \
                 or `enforceTimeout` to the operation in `x-tyk-api-gateway.middleware.operations`"
            }
        }
    }

    /// How to stop sending traffic to a failing upstream in this gateway, for help texts.
    pub fn circuit_breaker_fix(self) -> &'static str {
        match self {
            GatewayFormat::Kong => {
                "Add `healthchecks.passive.unhealthy` thresholds, with `healthchecks.active` \
                 probes to bring a target back (passive checks never re-enable one), to the upstream \
                 named after the service's host (create it if there is none)"
            }
            GatewayFormat::Envoy => "Add `outlier_detection` (or `circuit_breakers` thresholds) to the cluster",
            GatewayFormat::Istio => {
                "Add `trafficPolicy.outlierDetection` to a DestinationRule for the host"
            }
            GatewayFormat::KrakenD => {
                "Add `\"qos/circuit-breaker\"` to the backend's `extra_config`"
            }
            GatewayFormat::Traefik => {
                "Add a `circuitBreaker` middleware (e.g. `expression: NetworkErrorRatio() > 0.3`) to the routers"
            }
            GatewayFormat::Apisix => "Enable the `api-breaker` plugin on the route",
            GatewayFormat::SpringCloudGateway => {
                "Add a `CircuitBreaker` filter (a Resilience4j instance) to the route"
            }
            GatewayFormat::LiteLlm => "Give the model group a second deployment, or set `allowed_fails_policy` (or an `allowed_fails` other than 3) in `router_settings`: LiteLLM's default cooldowns take a group's only deployment out only on a 401 or 404, or when every call of a minute of 1000 or more fails",
            GatewayFormat::Portkey => {
                "Add `cb_config` (`failure_threshold`, `cooldown_interval`) to a `fallback` or \
                 `loadbalance` strategy of two or more targets, where Portkey's hosted gateway skips \
                 a target whose circuit is open (it does not evaluate `conditional` strategies, and \
                 the open-source gateway opens no circuit)"
            }
            GatewayFormat::EnvoyGateway => "Add `healthCheck.passive` (outlier detection) to the BackendTrafficPolicy",
            GatewayFormat::Linkerd => {
                "Annotate the Service with `balancer.linkerd.io/failure-accrual: consecutive`"
            }
            GatewayFormat::Kuma => "Add a MeshCircuitBreaker with `outlierDetection` for the service",
            GatewayFormat::Tyk => {
                "Add a `circuit_breakers` entry (`path`, `method`, `threshold_percent`, `samples`, \
                 `return_to_service_after`) for each method the path serves, or `circuitBreaker` to the \
                 operation in `x-tyk-api-gateway.middleware.operations`"
            }
            GatewayFormat::GatewayApi
            | GatewayFormat::Aws
            | GatewayFormat::Google
            | GatewayFormat::IngressNginx => "Configure it where the backend runs",
        }
    }

    /// How to make retries wait in this gateway, or what to do where they cannot.
    pub fn backoff_fix(self) -> &'static str {
        match self {
            GatewayFormat::Kong => {
                "Kong's balancer has no retry backoff: lower the service's `retries` (0 leaves \
                 failover to health checks), or retry in a client or plugin that backs off"
            }
            GatewayFormat::Apisix => {
                "APISIX's balancer has no retry backoff: lower the upstream's `retries`, or rely \
                 on health checks to take failing nodes out"
            }
            GatewayFormat::Traefik => "Set `initialInterval` on the retry middleware",
            GatewayFormat::Envoy => "Set `retry_back_off.base_interval` on the retry policy",
            GatewayFormat::Istio => "Set `retries.backoff` on the HTTP route",
            GatewayFormat::GatewayApi => "Set `retry.backoff` on the rule",
            GatewayFormat::LiteLlm => "Set `retry_after` in `router_settings`",
            GatewayFormat::EnvoyGateway => {
                "Set `retry.perRetry.backOff.baseInterval` in the BackendTrafficPolicy"
            }
            GatewayFormat::Kuma => "Set `http.backOff.baseInterval` in the MeshRetry",
            GatewayFormat::Linkerd => {
                "Linkerd has no backoff setting: lower `retry.linkerd.io/limit`, or bound retries with a ServiceProfile `retryBudget`"
            }
            GatewayFormat::Portkey | GatewayFormat::KrakenD | GatewayFormat::Aws => {
                "Lower the retries: this gateway has no backoff setting"
            }
            GatewayFormat::Google => {
                "ESPv2 already backs off (25 ms base, jittered); lower `--backend_retry_num` to retry less"
            }
            GatewayFormat::SpringCloudGateway => "Set `backoff.firstBackoff` on the Retry filter",
            GatewayFormat::Tyk => {
                "Tyk's reverse proxy never retries: retry in the client, or bound the path with `hard_timeouts`"
            }
            GatewayFormat::IngressNginx => {
                "nginx has no retry backoff: lower `nginx.ingress.kubernetes.io/proxy-next-upstream-tries` \
                 (1 turns retries off), or rely on readiness probes to take failing pods out"
            }
        }
    }

    /// Where this gateway writes `setting`, as help texts name it; `None` where the gateway
    /// has no such setting, so that no help points at a field the user cannot write.
    pub fn field(self, setting: Setting) -> Option<&'static str> {
        use GatewayFormat as G;
        use Setting as S;
        Some(match (self, setting) {
            (G::Kong, S::Timeout | S::PerTryTimeout) => "the service's `read_timeout`",
            (G::Kong, S::Retries) => "the service's `retries`",
            (G::Kong, S::HealthCheck) => "`healthchecks.active` on the service's upstream",
            (G::Kong, S::BreakerThreshold) => {
                "the `healthchecks.passive.unhealthy` counters (e.g. `http_failures: 3`)"
            }
            (G::Kong, S::Fallback) => "a second entry in the upstream's `targets`",
            (G::Kong, S::Methods) => "the route's `methods`",
            (G::Envoy, S::Timeout) => "the route's `timeout`",
            (G::Envoy, S::PerTryTimeout) => "the retry policy's `per_try_timeout`",
            (G::Envoy, S::Retries) => "the retry policy's `num_retries`",
            (G::Envoy, S::RetryOn) => "the retry policy's `retry_on` and `retriable_status_codes`",
            (G::Envoy, S::HealthCheck) => "`health_checks` on the cluster",
            (G::Envoy, S::BreakerThreshold) => {
                "an `enforcing_consecutive_5xx` above 0 in the cluster's `outlier_detection`"
            }
            (G::Envoy, S::Fallback) => {
                "a lower-`priority` group of endpoints in the cluster's `load_assignment`"
            }
            (G::Envoy, S::Methods) => "a `:method` header match on the route",
            (G::Istio, S::Timeout) => "the HTTP route's `timeout`",
            (G::Istio, S::PerTryTimeout) => "`retries.perTryTimeout`",
            (G::Istio, S::Retries) => "`retries.attempts`",
            (G::Istio, S::RetryOn) => "`retries.retryOn`",
            (G::Istio, S::HealthCheck) => "`trafficPolicy.outlierDetection` in the host's DestinationRule",
            (G::Istio, S::BreakerThreshold) => {
                "a `consecutive5xxErrors` above 0 (and a `maxEjectionPercent` above 0) in `outlierDetection`"
            }
            (G::Istio, S::Fallback) => "a second weighted `destination` on the HTTP route",
            (G::Istio, S::Methods) => "a `method` match on the HTTP route",
            (G::GatewayApi, S::Timeout) => "the rule's `timeouts.request`",
            (G::GatewayApi, S::PerTryTimeout) => "the rule's `timeouts.backendRequest`",
            (G::GatewayApi, S::Retries) => "the rule's `retry.attempts`",
            (G::GatewayApi, S::RetryOn) => "the rule's `retry.codes`",
            (G::GatewayApi, S::Fallback) => "a second weighted entry in the rule's `backendRefs`",
            (G::GatewayApi, S::Methods) => "a `method` in the rule's `matches`",
            (G::Aws, S::Timeout | S::PerTryTimeout) => {
                "`timeoutInMillis` in the `x-amazon-apigateway-integration`"
            }
            (G::Aws, S::Methods) => {
                "one operation per method instead of `x-amazon-apigateway-any-method`"
            }
            (G::Google, S::Timeout | S::PerTryTimeout) => "`deadline` in the `x-google-backend`",
            (G::Google, S::Retries) => "ESPv2's `--backend_retry_num` flag",
            (G::Google, S::RetryOn) => "ESPv2's `--backend_retry_ons` flag",
            (G::IngressNginx, S::Timeout | S::PerTryTimeout) => {
                "the `nginx.ingress.kubernetes.io/proxy-read-timeout` annotation"
            }
            (G::IngressNginx, S::Retries) => {
                "the `nginx.ingress.kubernetes.io/proxy-next-upstream-tries` annotation"
            }
            (G::IngressNginx, S::RetryOn) => {
                "the `nginx.ingress.kubernetes.io/proxy-next-upstream` annotation"
            }
            (G::IngressNginx, S::Fallback) => {
                "the `nginx.ingress.kubernetes.io/default-backend` annotation with `custom-http-errors`"
            }
            (G::SpringCloudGateway, S::Timeout) => {
                "`spring.cloud.gateway.httpclient.response-timeout` or the route's `response-timeout` metadata"
            }
            (G::SpringCloudGateway, S::PerTryTimeout) => "the route's `response-timeout` metadata",
            (G::SpringCloudGateway, S::Retries) => "`retries` of the route's `Retry` filter",
            (G::SpringCloudGateway, S::RetryOn) => {
                "`statuses` and `series` of the route's `Retry` filter"
            }
            (G::SpringCloudGateway, S::Fallback) => {
                "a `fallbackUri` on the route's `CircuitBreaker` filter"
            }
            (G::SpringCloudGateway, S::Methods) => "a `Method` predicate on the route",
            (G::KrakenD, S::Timeout | S::PerTryTimeout) => "the endpoint's `timeout`",
            (G::KrakenD, S::Methods) => "the endpoint's `method`",
            (G::Traefik, S::Timeout | S::PerTryTimeout) => {
                "`forwardingTimeouts.responseHeaderTimeout` on the service's `serversTransport`"
            }
            (G::Traefik, S::Retries) => "`attempts` of the `retry` middleware",
            (G::Traefik, S::HealthCheck) => "`healthCheck` on the service's `loadBalancer`",
            // `HealthCheck` of `Weighted` and `HighestRandomWeight` in
            // `pkg/config/dynamic/http_config.go`: the parent ignores a child reported down, and
            // only children with their own active check report (traefik/traefik#8057).
            (G::Traefik, S::MemberHealthCheck) => {
                "`healthCheck` on the `loadBalancer` of each service it balances over, and `healthCheck: {}` on the weighted or highestRandomWeight service itself"
            }
            (G::Traefik, S::BreakerThreshold) => {
                "a `circuitBreaker` `expression` that can become true (e.g. `NetworkErrorRatio() > 0.30`)"
            }
            (G::Traefik, S::Fallback) => "a `failover` service with a `fallback`",
            (G::Traefik, S::Methods) => "a `Method(...)` matcher in the router's `rule`",
            (G::Apisix, S::Timeout | S::PerTryTimeout) => {
                "`timeout.read` on the upstream (with `connect` and `send`, which APISIX requires)"
            }
            (G::Apisix, S::Retries) => "the upstream's `retries`",
            (G::Apisix, S::HealthCheck) => "`checks.active` on the upstream",
            (G::Apisix, S::BreakerThreshold) => {
                "the upstream's `checks.passive.unhealthy` counters (e.g. `http_failures: 3`)"
            }
            (G::Apisix, S::Fallback) => "a lower-`priority` node in the upstream's `nodes`",
            (G::Apisix, S::Methods) => "the route's `methods`",
            (G::LiteLlm, S::Timeout | S::PerTryTimeout) => {
                "`timeout` in `router_settings` or the deployment's `litellm_params`"
            }
            (G::LiteLlm, S::Retries) => "`num_retries` in `router_settings` (or its `retry_policy`)",
            (G::LiteLlm, S::RetryOn) => "`retry_policy` in `router_settings`",
            (G::LiteLlm, S::BreakerThreshold) => {
                "`allowed_fails` above 0, without `disable_cooldowns: true`"
            }
            (G::LiteLlm, S::Fallback) => "`fallbacks` in `router_settings`",
            (G::Portkey, S::Timeout | S::PerTryTimeout) => "`request_timeout` on the config or the target",
            (G::Portkey, S::Retries) => "`retry.attempts`",
            (G::Portkey, S::RetryOn) => "`retry.on_status_codes`",
            (G::Portkey, S::Fallback) => "a `fallback` strategy with a second target",
            (G::EnvoyGateway, S::Timeout) => {
                "`timeout.http.requestTimeout` in the BackendTrafficPolicy, or the rule's `timeouts.request`"
            }
            (G::EnvoyGateway, S::PerTryTimeout) => "`retry.perRetry.timeout` in the BackendTrafficPolicy",
            (G::EnvoyGateway, S::Retries) => "`retry.numRetries` in the BackendTrafficPolicy",
            (G::EnvoyGateway, S::RetryOn) => "`retry.retryOn` in the BackendTrafficPolicy",
            (G::EnvoyGateway, S::HealthCheck) => "`healthCheck` in the BackendTrafficPolicy",
            (G::EnvoyGateway, S::BreakerThreshold) => {
                "a `healthCheck.passive.consecutive5XxErrors` above 0 in the BackendTrafficPolicy"
            }
            (G::EnvoyGateway, S::Fallback) => "a second weighted entry in the rule's `backendRefs`",
            (G::EnvoyGateway, S::Methods) => "a `method` in the HTTPRoute rule's `matches`",
            (G::Linkerd, S::Timeout) => "the `timeout.linkerd.io/request` annotation",
            (G::Linkerd, S::PerTryTimeout) => "the `timeout.linkerd.io/response` annotation",
            (G::Linkerd, S::Retries) => "the `retry.linkerd.io/limit` annotation",
            (G::Linkerd, S::RetryOn) => "the `retry.linkerd.io/http` annotation",
            (G::Linkerd, S::Fallback) => "a second weighted entry in the HTTPRoute's `backendRefs`",
            (G::Linkerd, S::Methods) => "a `method` in the HTTPRoute rule's `matches`",
            (G::Kuma, S::Timeout) => "`http.requestTimeout` in a MeshTimeout",
            (G::Kuma, S::PerTryTimeout) => "`http.perTryTimeout` in the MeshRetry",
            (G::Kuma, S::Retries) => "`http.numRetries` in the MeshRetry",
            (G::Kuma, S::RetryOn) => "`http.retryOn` in the MeshRetry",
            (G::Kuma, S::HealthCheck) => "a MeshHealthCheck (`http.path`) for the service",
            (G::Kuma, S::BreakerThreshold) => {
                "an enabled detector (e.g. `totalFailures.consecutive`) in the MeshCircuitBreaker's `outlierDetection`"
            }
            (G::Tyk, S::Timeout | S::PerTryTimeout) => "a `hard_timeouts` entry for the path",
            (G::Tyk, S::HealthCheck) => "`uptime_tests` in the API definition",
            _ => return None,
        })
    }

    /// How to retry a non-idempotent route only where the request cannot have reached the
    /// upstream, in this gateway's own vocabulary.
    pub fn pre_send_retry_fix(self) -> &'static str {
        match self {
            GatewayFormat::Envoy => {
                "Retry this route only before the request is sent (`retry_on: connect-failure,refused-stream,reset-before-request`)"
            }
            GatewayFormat::Istio => {
                "Retry this route only before the request is sent (`retryOn: connect-failure,refused-stream`)"
            }
            GatewayFormat::Kuma => {
                "Retry this route only before the request is sent (`retryOn: [ConnectFailure, RefusedStream]` in the MeshRetry)"
            }
            GatewayFormat::EnvoyGateway => {
                "Retry this route only before the request is sent (`retryOn.triggers: [connect-failure, refused-stream]` in the BackendTrafficPolicy)"
            }
            GatewayFormat::Google => {
                "Start ESPv2 with `--backend_retry_ons=connect-failure,refused-stream`, or `--backend_retry_num=0`"
            }
            GatewayFormat::GatewayApi => {
                "Take `retry` off the rule that matches this method: the `codes` and resets it retries on can come after the request was sent"
            }
            GatewayFormat::Linkerd => {
                "Remove the `retry.linkerd.io/http` annotation from the route that matches this method: its statuses come after the request was sent"
            }
            GatewayFormat::SpringCloudGateway => {
                "Leave this method out of the `Retry` filter's `methods` (its default is `GET`)"
            }
            GatewayFormat::IngressNginx => {
                "Set `retry-non-idempotent: \"false\"` in the controller's ConfigMap"
            }
            _ => "Retry this route only on conditions that fire before the request is sent",
        }
    }

    /// Whether the circuit breaker is configured on each route rather than on the upstream
    /// (Traefik's `circuitBreaker` is a router middleware, APISIX's `api-breaker` a route
    /// plugin): a route without one is unprotected even when another route to the same upstream
    /// has one.
    pub fn breaker_on_routes(self) -> bool {
        matches!(
            self,
            GatewayFormat::Traefik
                | GatewayFormat::Apisix
                | GatewayFormat::SpringCloudGateway
                | GatewayFormat::Tyk
        )
    }

    /// What the gateway calls a route, for messages.
    pub fn route_noun(self) -> &'static str {
        match self {
            GatewayFormat::Traefik => "router",
            _ => "route",
        }
    }

    /// Whether the gateway's active health checker starts a round of probes every interval even
    /// while the last round still waits for answers, so that a timeout as long as the interval
    /// makes probes overlap. Only APISIX's does (lua-resty-healthcheck-api7 3.2: `checker_callback`
    /// runs once the interval has passed since the last round began). Envoy arms the next probe
    /// when the last one ends (`health_checker_base_impl.cc`), Kong 3.8+ skips a round while one
    /// is pending (lua-resty-healthcheck 3.0.2+), Traefik and Tyk drop the ticks of a Go ticker
    /// a slow round misses, and LiteLLM sleeps the interval after each round.
    pub fn active_probes_overlap(self) -> bool {
        matches!(self, GatewayFormat::Apisix)
    }

    /// What the gateway calls what a route sends to, for messages that name it: Traefik's
    /// services and APISIX's upstreams go by ids that say nothing alone (`1`).
    pub fn upstream_noun(self) -> Option<&'static str> {
        match self {
            GatewayFormat::Traefik => Some("service"),
            GatewayFormat::Apisix => Some("upstream"),
            _ => None,
        }
    }

    /// Whether the gateway offers a retry backoff setting at all.
    pub fn configures_backoff(self) -> bool {
        !matches!(
            self,
            GatewayFormat::Kong
                | GatewayFormat::Apisix
                | GatewayFormat::Google
                | GatewayFormat::IngressNginx
                | GatewayFormat::Tyk
        )
    }

    /// Where in a request's path through the system this kind of gateway usually sits.
    pub fn layer(self) -> Layer {
        match self {
            GatewayFormat::Istio | GatewayFormat::Linkerd | GatewayFormat::Kuma => Layer::Mesh,
            GatewayFormat::LiteLlm | GatewayFormat::Portkey => Layer::Ai,
            _ => Layer::Edge,
        }
    }
}

impl fmt::Display for GatewayFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A setting help texts point at, written differently by every gateway (see
/// [`GatewayFormat::field`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// The end-to-end bound of a request.
    Timeout,
    /// The bound of one attempt.
    PerTryTimeout,
    /// How many times a failed attempt is retried.
    Retries,
    /// Which failures are retried.
    RetryOn,
    /// Active health checks (or, where a gateway has none, what takes endpoints out).
    HealthCheck,
    /// The health checks an upstream made of other services needs for it to stop choosing a
    /// service whose endpoints are all down (Traefik's weighted services).
    MemberHealthCheck,
    /// What makes a configured breaker trip.
    BreakerThreshold,
    /// A second upstream to send requests to when the first fails.
    Fallback,
    /// The methods a route accepts.
    Methods,
}

/// Layers a request passes through, front to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Edge,
    Mesh,
    Ai,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Edge, Layer::Mesh, Layer::Ai];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Edge => "edge",
            Layer::Mesh => "mesh",
            Layer::Ai => "ai",
        }
    }
}

/// The proxies a route is bound to, where its configuration names them: a service mesh's
/// routes may be applied by its sidecars, by its own gateways, or by both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The layer those proxies sit in: `Edge` for ingress gateways, `Mesh` for sidecars.
    pub layer: Layer,
    /// The proxies as the configuration names them (`mesh`, `istio-system/public`).
    pub gateways: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub format: GatewayFormat,
    /// The gateway's own name for the route, if it has one.
    pub name: Option<String>,
    /// The route's definition (its key or first line).
    pub location: Location,
    pub methods: MethodSet,
    pub methods_location: Option<Location>,
    pub path: PathMatch,
    pub hosts: Vec<String>,
    pub policy: Policy,
    /// The operation this route is declared for, when the config says so (an AWS integration
    /// on the operation itself): the operation's method key.
    pub explicit_operation: Option<Location>,
}

impl Route {
    /// A route of `format` defined at `location` for `path`, of any method and host, until
    /// the adapter says more.
    pub fn new(
        format: GatewayFormat,
        location: Location,
        path: PathMatch,
        policy: Policy,
    ) -> Route {
        Route {
            format,
            name: None,
            location,
            methods: MethodSet::Any,
            methods_location: None,
            path,
            hosts: Vec::new(),
            policy,
            explicit_operation: None,
        }
    }

    /// The layer the route sits in: the one its binding names, else its gateway's kind.
    pub fn layer(&self) -> Layer {
        self.policy
            .binding
            .as_ref()
            .map_or_else(|| self.format.layer(), |binding| binding.layer)
    }

    /// The gateways the route is bound to, when its configuration names them.
    pub fn gateways(&self) -> &[String] {
        self.policy
            .binding
            .as_ref()
            .map_or(&[], |binding| binding.gateways.as_slice())
    }

    /// Whether a request this route forwards skips `behind`: a mesh's own ingress gateway sends
    /// straight to the workloads, so the routes of that mesh's sidecars do not apply to what it
    /// forwards (an Istio gateway applies only the VirtualServices bound to it, and a
    /// workload's inbound sidecar applies no VirtualService).
    pub fn bypasses(&self, behind: &Route) -> bool {
        self.layer() == Layer::Edge
            && self.format.layer() == Layer::Mesh
            && behind.format == self.format
            && behind.layer() == Layer::Mesh
    }

    /// Matches every path: such a route does not document anything by itself.
    pub fn is_catch_all(&self) -> bool {
        match self.path.kind {
            PathKind::Any => true,
            PathKind::Prefix | PathKind::SegmentPrefix => {
                self.path.pattern.trim_end_matches('/').is_empty()
            }
            PathKind::Regex { .. } => matches!(
                self.path.pattern.as_str(),
                ".*" | "^.*" | "/.*" | "^/.*" | "^/.*$" | ".*$" | "/(.*)" | "^/(.*)$"
            ),
            PathKind::Exact | PathKind::Template => false,
        }
    }

    /// The gateway answers by itself (a redirect, a direct or static response) and never waits
    /// on an upstream.
    pub fn answers_itself(&self) -> bool {
        self.policy.upstream.is_none()
            && !self.policy.fallbacks.is_empty()
            && self
                .policy
                .fallbacks
                .iter()
                .all(|fallback| fallback.kind == super::policy::FallbackKind::StaticResponse)
    }

    /// `GET /pets/{id}` style label, for messages and tables.
    pub fn label(&self) -> String {
        format!("{} {}", self.methods, self.path.display())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodSet {
    Any,
    Only(Vec<Method>),
}

impl MethodSet {
    pub fn allows(&self, method: Method) -> bool {
        match self {
            MethodSet::Any => true,
            MethodSet::Only(methods) => methods.contains(&method),
        }
    }
}

impl fmt::Display for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MethodSet::Any => f.write_str("*"),
            MethodSet::Only(methods) => {
                let names: Vec<String> = methods.iter().map(ToString::to_string).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMatch {
    pub kind: PathKind,
    /// As written, without format-specific markers (Kong's `~`).
    pub pattern: String,
    pub location: Location,
    /// How the gateway rewrites the path before forwarding, for matching specs that describe
    /// the upstream's paths.
    pub rewrite: Option<Rewrite>,
}

impl PathMatch {
    /// A path matcher that forwards the path as it came.
    pub fn new(kind: PathKind, pattern: impl Into<String>, location: Location) -> PathMatch {
        PathMatch {
            kind,
            pattern: pattern.into(),
            location,
            rewrite: None,
        }
    }

    /// Every path, for a route written for a whole service.
    pub fn any(location: Location) -> PathMatch {
        PathMatch {
            kind: PathKind::Any,
            pattern: "/".to_string(),
            location,
            rewrite: None,
        }
    }

    pub fn display(&self) -> String {
        match self.kind {
            PathKind::Any => "/*".to_string(),
            PathKind::Prefix | PathKind::SegmentPrefix => {
                format!("{}*", self.pattern)
            }
            PathKind::Regex { .. } => format!("~{}", self.pattern),
            PathKind::Exact | PathKind::Template => self.pattern.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// The whole path, literally.
    Exact,
    /// The whole path, with parameters (`{id}`, `:id`, `<id>`, `{proxy+}`, `*`, `**`).
    Template,
    /// Any path starting with the pattern, character by character.
    Prefix,
    /// Any path whose leading segments are the pattern's segments.
    SegmentPrefix,
    /// A regular expression (RE2 syntax). `full`: it must match the whole path; otherwise it is
    /// anchored at the start only.
    Regex { full: bool },
    /// Every path.
    Any,
}

/// The gateway replaces a matched prefix before forwarding (Kong `strip_path` + service path,
/// Istio `rewrite.uri`, Traefik `StripPrefix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub strip_prefix: String,
    pub add_prefix: String,
}
