//! APIs: each API description is an API with a name and the servers it is served from, and the
//! hosts of gateway routes are matched against those servers before their paths are.

use super::Spanned;
use crate::collections::HashMap;
use crate::span::FileId;

/// A server an API is served from, as its description declares it (OpenAPI 3.x `servers[].url`
/// with its variables expanded, or 2.0 `schemes`, `host` and `basePath`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The URL with variables replaced by their default or each of their `enum` values.
    pub url: String,
    /// The host, lower case and without port; `None` for a relative URL.
    pub host: Option<String>,
}

/// How an API's name was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    /// `apis[].name` in the config.
    Config,
    /// `info.title` and `info.version`.
    Title,
    /// The file, for a description without a title.
    File,
}

/// The hosts an API is served on, as far as its servers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostScope {
    /// Absolute servers (or hosts pinned in the config): only routes for these hosts reach it.
    Hosts,
    /// Every server URL is relative (`/v1`): served on whatever host serves the description,
    /// so assumed to be reachable from any host.
    Relative,
    /// No servers (nor 2.0 `host`): assumed to be reachable from any host.
    Absent,
}

impl HostScope {
    /// What the join assumed, for the routes report.
    pub fn assumption(self) -> Option<&'static str> {
        match self {
            HostScope::Hosts => None,
            HostScope::Relative => Some("servers are relative: assumed served on any host"),
            HostScope::Absent => Some("no servers: assumed served on any host"),
        }
    }
}

/// Upper bound on the URLs one server's variables expand to, so that a server with many enums
/// cannot make the join quadratic.
pub const MAX_SERVER_EXPANSIONS: usize = 64;

/// Expands `{name}` variables of a server URL with each value `values_of(name)` gives (its
/// `enum`, else its `default`); a variable without values is left as written.
pub fn expand_server_url(url: &str, values_of: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut expanded = vec![String::new()];
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|at| open + at) else {
            break;
        };
        let literal = &rest[..open];
        let name = &rest[open + 1..close];
        let values = values_of(name);
        let values = if values.is_empty() {
            vec![rest[open..=close].to_string()]
        } else {
            values
        };
        let mut next = Vec::new();
        'outer: for prefix in &expanded {
            for value in &values {
                if next.len() == MAX_SERVER_EXPANSIONS {
                    break 'outer;
                }
                next.push(format!("{prefix}{literal}{value}"));
            }
        }
        expanded = next;
        rest = &rest[close + 1..];
    }
    expanded
        .into_iter()
        .map(|prefix| format!("{prefix}{rest}"))
        .collect()
}

/// The host of an absolute URL (`https://API.example.com:8443/v1` → `api.example.com`), or of
/// a scheme-relative one (`//api.example.com`); `None` for a relative URL.
pub fn url_host(url: &str) -> Option<String> {
    let after_scheme = match url.find("://") {
        Some(at) => &url[at + 3..],
        None => url.strip_prefix("//")?,
    };
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = strip_port(authority);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// How a route's host constraint met an API's servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostMatch {
    /// A route host equals a server host.
    Exact,
    /// A wildcard (`*.example.com`) on either side covers the other.
    Wildcard,
    /// The route accepts every host (no host constraint, or `*`).
    AnyHost,
    /// The API's servers are relative or absent: assumed served on the route's host.
    Assumed,
    /// A mesh route tied to the API through the route in front of it, whose upstream is the
    /// mesh route's host.
    ThroughFront,
    /// A mesh route for internal hosts, tied by path alone.
    PathOnly,
}

impl HostMatch {
    pub fn name(self) -> &'static str {
        match self {
            HostMatch::Exact => "exact",
            HostMatch::Wildcard => "wildcard",
            HostMatch::AnyHost => "any-host",
            HostMatch::Assumed => "assumed",
            HostMatch::ThroughFront => "through-front",
            HostMatch::PathOnly => "path-only",
        }
    }
}

/// How one route host meets one server host: `*` takes any host, `*.example.com` any host
/// under `example.com` (one or more labels, as Kong, Envoy, Istio and the Gateway API read a
/// leading wildcard), else the names must be equal (case-insensitive, port ignored).
pub fn host_match(route_host: &str, server_host: &str) -> Option<HostMatch> {
    let route_host = route_host_key(route_host);
    let server_host = server_host.to_ascii_lowercase();
    if takes_any_host(&route_host) {
        return Some(HostMatch::AnyHost);
    }
    if route_host == server_host {
        return Some(HostMatch::Exact);
    }
    let covers = |wildcard: &str, name: &str| {
        wildcard
            .strip_prefix('*')
            .is_some_and(|suffix| suffix.starts_with('.') && name.ends_with(suffix))
    };
    (covers(&route_host, &server_host) || covers(&server_host, &route_host))
        .then_some(HostMatch::Wildcard)
}

/// A route host as [`host_match`] compares it: trimmed, without its port, in lower case.
fn route_host_key(route_host: &str) -> String {
    strip_port(route_host.trim()).to_ascii_lowercase()
}

/// `*`, and patterns only the gateway's own matcher reads (Traefik's `HostRegexp`), take any
/// host as far as the join can tell.
fn takes_any_host(route_host: &str) -> bool {
    route_host == "*" || route_host.contains(['{', '(', '[', '^', '$', '|', '\\', '+', '?'])
}

/// The tails of `host` that start at a dot: `.example.com` and `.com` of `a.example.com`.
fn dotted_tails(host: &str) -> impl Iterator<Item = &str> {
    host.match_indices('.').map(|(at, _)| &host[at..])
}

/// The hosts of many APIs, indexed so that a route host finds the APIs it meets, as
/// [`host_match`] says, without meeting every host of every API: a run of thousands of
/// descriptions and thousands of routes would otherwise cost their product.
pub struct HostIndex {
    /// Per server host in lower case, the APIs serving it.
    exact: HashMap<String, Vec<usize>>,
    /// Per tail after the `*` of a wildcard server host (`.example.com`), its APIs.
    wildcard_servers: HashMap<String, Vec<usize>>,
    /// Per tail starting at a dot of a server host, its APIs: what a route's wildcard covers.
    tails: HashMap<String, Vec<usize>>,
    /// The APIs with a host at all, which a route host taking any host meets.
    with_hosts: Vec<usize>,
}

impl HostIndex {
    /// `hosts`: each API's hosts, by API index.
    pub fn new(hosts: &[Vec<&str>]) -> Self {
        let mut index = HostIndex {
            exact: HashMap::default(),
            wildcard_servers: HashMap::default(),
            tails: HashMap::default(),
            with_hosts: Vec::new(),
        };
        let add = |map: &mut HashMap<String, Vec<usize>>, key: &str, api: usize| {
            let apis = map.entry(key.to_string()).or_default();
            if apis.last() != Some(&api) {
                apis.push(api);
            }
        };
        for (api, hosts) in hosts.iter().enumerate() {
            if !hosts.is_empty() {
                index.with_hosts.push(api);
            }
            for host in hosts {
                let host = host.to_ascii_lowercase();
                add(&mut index.exact, &host, api);
                if let Some(tail) = host.strip_prefix('*').filter(|tail| tail.starts_with('.')) {
                    add(&mut index.wildcard_servers, tail, api);
                }
                for tail in dotted_tails(&host) {
                    add(&mut index.tails, tail, api);
                }
            }
        }
        index
    }

    /// Records in `found` how `route_host` meets each API it meets, keeping an API's best
    /// match when `found` already holds one.
    pub fn meet(&self, route_host: &str, found: &mut HashMap<usize, HostMatch>) {
        let mut record = |apis: &[usize], how: HostMatch| {
            for &api in apis {
                found
                    .entry(api)
                    .and_modify(|best| *best = (*best).min(how))
                    .or_insert(how);
            }
        };
        let route_host = route_host_key(route_host);
        if takes_any_host(&route_host) {
            record(&self.with_hosts, HostMatch::AnyHost);
            return;
        }
        fn apis<'m>(map: &'m HashMap<String, Vec<usize>>, key: &str) -> &'m [usize] {
            map.get(key).map_or(&[], Vec::as_slice)
        }
        record(apis(&self.exact, &route_host), HostMatch::Exact);
        // The route's wildcard covers a server host, or a server's wildcard the route host.
        if let Some(tail) = route_host
            .strip_prefix('*')
            .filter(|tail| tail.starts_with('.'))
        {
            record(apis(&self.tails, tail), HostMatch::Wildcard);
        }
        for tail in dotted_tails(&route_host) {
            record(apis(&self.wildcard_servers, tail), HostMatch::Wildcard);
        }
    }
}

/// The identity shown for an API: `Orders API 1.2.0`.
pub fn title_name(
    title: Option<&Spanned<String>>,
    version: Option<&Spanned<String>>,
) -> Option<String> {
    let title = title?.value.trim();
    if title.is_empty() {
        return None;
    }
    Some(match version.map(|version| version.value.trim()) {
        Some(version) if !version.is_empty() => format!("{title} {version}"),
        _ => title.to_string(),
    })
}

/// Names every API: the config's name when it gives one, else `info.title` and `info.version`,
/// else the file. Names shared by several documents (a spec kept twice) get their file added.
pub fn assign_names(specs: &mut [super::SpecDocument], display: &dyn Fn(FileId) -> String) {
    for spec in specs.iter_mut() {
        if spec.api.name_source == NameSource::Config && !spec.api.name.is_empty() {
            continue;
        }
        match title_name(spec.api.title.as_ref(), spec.api.version.as_ref()) {
            Some(name) => {
                spec.api.name = name;
                spec.api.name_source = NameSource::Title;
            }
            None => {
                spec.api.name = display(spec.file);
                spec.api.name_source = NameSource::File;
            }
        }
    }
    let mut count: HashMap<String, usize> = HashMap::default();
    for spec in specs.iter() {
        *count.entry(spec.api.name.clone()).or_default() += 1;
    }
    for spec in specs.iter_mut() {
        if count.get(&spec.api.name).is_some_and(|&n| n > 1)
            && spec.api.name_source == NameSource::Title
        {
            spec.api.name = format!("{} ({})", spec.api.name, display(spec.file));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_variables_expand_to_their_enums_or_default() {
        let values = |name: &str| match name {
            "region" => vec!["eu".to_string(), "us".to_string()],
            "version" => vec!["v1".to_string()],
            _ => Vec::new(),
        };
        assert_eq!(
            expand_server_url("https://{region}.example.com/{version}/{other}", &values),
            [
                "https://eu.example.com/v1/{other}",
                "https://us.example.com/v1/{other}"
            ]
        );
        assert_eq!(expand_server_url("/v1", &values), ["/v1"]);
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            url_host("https://API.example.com:8443/v1").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            url_host("//api.example.com").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(url_host("/v1"), None);
        assert_eq!(url_host("http://[::1]:80/").as_deref(), Some("[::1]"));
    }

    #[test]
    fn route_hosts_meet_server_hosts() {
        assert_eq!(
            host_match("a.example.com", "a.example.com"),
            Some(HostMatch::Exact)
        );
        assert_eq!(
            host_match("A.example.com:443", "a.example.com"),
            Some(HostMatch::Exact)
        );
        assert_eq!(
            host_match("*.example.com", "a.example.com"),
            Some(HostMatch::Wildcard)
        );
        assert_eq!(
            host_match("a.example.com", "*.example.com"),
            Some(HostMatch::Wildcard)
        );
        assert_eq!(host_match("*", "a.example.com"), Some(HostMatch::AnyHost));
        assert_eq!(host_match("a.example.com", "b.example.com"), None);
        assert_eq!(host_match("*.example.com", "example.com"), None);
    }

    #[test]
    fn the_host_index_meets_each_api_as_host_match_does() {
        let hosts: Vec<Vec<&str>> = vec![
            vec!["a.example.com", "x.org"],
            vec!["*.example.com"],
            vec![],
            vec!["*.a.example.com", "B.Example.com"],
            vec!["example.com", "*"],
        ];
        let index = HostIndex::new(&hosts);
        let route_hosts = [
            "a.example.com",
            "A.EXAMPLE.COM:443",
            " b.example.com ",
            "*.example.com",
            "*.a.example.com",
            "q.a.example.com",
            "*",
            "{sub}.example.com",
            "example.com",
            "*.com",
            "nothing.net",
        ];
        for route_host in route_hosts {
            let mut met = HashMap::default();
            index.meet(route_host, &mut met);
            let expected: HashMap<usize, HostMatch> = hosts
                .iter()
                .enumerate()
                .filter_map(|(api, hosts)| {
                    let best = hosts.iter().filter_map(|host| host_match(route_host, host));
                    Some((api, best.min()?))
                })
                .collect();
            assert_eq!(met, expected, "{route_host}");
        }
    }
}
