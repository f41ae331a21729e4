//! What the fuzz targets share: running the whole pipeline on one input file, the gateways of
//! each adapter family's target, and the structure-aware documents the `structured` target builds.

pub mod families;

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use routeguard::config::{presets::Preset, Config};
use routeguard::lint::{lint_in, LintOptions};
use routeguard::report::{self, Kind, Settings};

/// Which report formats a target renders after each run.
#[derive(Clone, Copy)]
pub enum Reports {
    /// Every format: the `pipeline` target's, which fuzzes the reports themselves.
    Every,
    /// The formats that show a finding's place in the source (code frames, lines and columns),
    /// where an adapter's odd spans would show. The others add no input-dependent work: SARIF's
    /// rule metadata, the same for every input, took half of each adapter run's time.
    Placed,
}

impl Reports {
    fn renders(self, format: &str) -> bool {
        match self {
            Reports::Every => true,
            Reports::Placed => matches!(format, "text" | "json"),
        }
    }
}

/// The project every run lints, made once: the same folder for every input, so that nothing
/// but the input differs between runs.
static PROJECT: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();

/// Makes a run's coverage depend on its input alone. rayon's pool gets one worker, the fuzzing
/// thread itself, so that parallel steps run inline rather than across threads whose
/// interleavings reach different code each time: with them, one input covered up to 50 edges
/// more or fewer from run to run, and libFuzzer counted the rare ones as new coverage forever.
fn project() -> Option<&'static (tempfile::TempDir, PathBuf)> {
    PROJECT
        .get_or_init(|| {
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .use_current_thread()
                .build_global();
            let dir = tempfile::tempdir().ok()?;
            std::fs::create_dir(dir.path().join(".git")).ok()?;
            let root = std::fs::canonicalize(dir.path()).ok()?;
            Some((dir, root))
        })
        .as_ref()
}

/// Lints `text` as the one file `name` of the project, and renders the `reports`: the run must
/// end, whatever the input, without a panic.
pub fn lint_one(name: &str, text: &[u8], reports: Reports) {
    let Some((_, root)) = project() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() != ".git" && std::fs::remove_file(entry.path()).is_err() {
            return;
        }
    }
    if std::fs::write(root.join(name), text).is_err() {
        return;
    }
    routeguard::model::pattern::forget_compiled();
    let options = LintOptions {
        paths: vec![PathBuf::from(".")],
        root: Some(root.clone()),
        config: Config::with_preset(Preset::All),
        ..LintOptions::default()
    };
    let Ok(outcome) = lint_in(&options, root) else {
        return;
    };
    let settings = Settings::default();
    for format in report::formats(Kind::Findings).filter(|format| reports.renders(format.name)) {
        let mut out = Vec::new();
        let _ = (format.build)(&settings).emit(&outcome, &mut out);
    }
}

/// A gateway as its family's target feeds it: the file name its files carry, a document put
/// before the input, and the header that makes the input a document of that gateway.
pub struct Gateway {
    pub name: &'static str,
    pub before: &'static str,
    pub header: &'static str,
}

/// An adapter family: the adapters (by name) detection is confined to while its target runs, and
/// the gateways its inputs are read as.
pub struct Family {
    pub adapters: &'static [&'static str],
    pub gateways: &'static [Gateway],
}

/// The pick byte's bit that says "the document is whole, prepend nothing".
const WHOLE: u8 = 0x80;

/// Lints `data` as one gateway's file, through the whole pipeline with the reports that show a
/// finding's place, with only `family`'s adapters detecting documents. The first byte picks the
/// gateway of `family` (its low bits) and whether its
/// `before` and header are prepended (high bit clear) or the rest is the gateway's whole document
/// (high bit set, as the seeds from its fixtures are), so that each adapter sees shapes it
/// recognises under the file name its files carry.
pub fn lint_gateway(data: &[u8], family: &Family) {
    let _ = routeguard::formats::FUZZED_ADAPTERS.set(family.adapters);
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let gateway = &family.gateways[usize::from(pick & !WHOLE) % family.gateways.len()];
    let mut text = Vec::with_capacity(gateway.before.len() + gateway.header.len() + body.len());
    if pick & WHOLE == 0 {
        text.extend_from_slice(gateway.before.as_bytes());
        text.extend_from_slice(gateway.header.as_bytes());
    }
    text.extend_from_slice(body);
    lint_one(gateway.name, &text, Reports::Placed);
}

/// A YAML node as the structured target generates it: nesting, width, anchors, aliases and
/// merge keys, the shapes where the loader's limits live.
#[derive(Debug, Arbitrary)]
pub enum Shape {
    Scalar(u16),
    Text(String),
    Map(Vec<(u8, Shape)>),
    Seq(Vec<Shape>),
    /// Anchors its child as `&aN`.
    Anchor(u8, Box<Shape>),
    /// Refers to `&aN`.
    Alias(u8),
    /// `<<: *aN` beside the entries.
    Merge(u8, Vec<(u8, Shape)>),
    /// The child repeated, nested `depth` times: deep documents from few bytes.
    Deep(u16, Box<Shape>),
    /// The child repeated `width` times side by side: wide documents from few bytes.
    Wide(u16, Box<Shape>),
}

/// Where the document is put: under a gateway's or a spec's header, at the key its adapter
/// reads, so that adapters see it.
#[derive(Debug, Arbitrary)]
pub enum Frame {
    Bare,
    OpenApi,
    Kong,
    Envoy,
    Traefik,
    LiteLlm,
    Istio,
    GatewayApi,
    Apisix,
    Aws,
    EnvoyGateway,
    Linkerd,
    Kuma,
    Google,
    IngressNginx,
    SpringCloudGateway,
    Tyk,
}

impl Frame {
    /// The text before the body, and the key the body is the value of.
    fn header(&self) -> (&'static str, &'static str) {
        match self {
            Frame::Bare => ("", "body"),
            Frame::OpenApi => ("openapi: 3.0.3\ninfo: {title: f, version: '1'}\n", "paths"),
            Frame::Kong => ("_format_version: '3.0'\n", "services"),
            Frame::Envoy => ("static_resources:\n  listeners: []\n  ", "clusters"),
            Frame::Traefik => ("http:\n  ", "routers"),
            Frame::LiteLlm => ("", "model_list"),
            Frame::Istio => (
                "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\n",
                "spec",
            ),
            Frame::GatewayApi => (
                "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n",
                "spec",
            ),
            Frame::Apisix => ("", "routes"),
            Frame::Aws => (
                "openapi: 3.0.1\ninfo: {title: f, version: '1'}\npaths: {}\n",
                "x-amazon-apigateway-integration",
            ),
            Frame::EnvoyGateway => (
                "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\n\
                 spec: {parentRefs: [{name: g}], rules: [{backendRefs: [{name: s, port: 80}]}]}\n---\n\
                 apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n\
                 metadata: {name: p, namespace: n}\n",
                "spec",
            ),
            Frame::Linkerd => (
                "apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\nmetadata: {name: r}\n",
                "spec",
            ),
            Frame::Kuma => ("type: MeshRetry\nname: r\nmesh: default\n", "spec"),
            Frame::Google => (
                "swagger: '2.0'\ninfo: {title: f, version: '1'}\n",
                "x-google-backend",
            ),
            Frame::IngressNginx => (
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  \
                 annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: '5'}\n",
                "spec",
            ),
            Frame::SpringCloudGateway => ("spring.cloud.gateway:\n  ", "routes"),
            Frame::Tyk => ("api_id: a\nproxy: {listen_path: /}\n", "version_data"),
        }
    }
}

/// Keys the adapters read, so that generated mappings reach past detection; a key byte past
/// the list becomes `kN`.
const KEYS: &[&str] = &[
    "name",
    "paths",
    "routes",
    "services",
    "spec",
    "rules",
    "timeout",
    "timeouts",
    "retries",
    "retry",
    "attempts",
    "perTryTimeout",
    "retryOn",
    "targetRef",
    "targetRefs",
    "kind",
    "to",
    "default",
    "http",
    "backendRefs",
    "matches",
    "path",
    "host",
    "hosts",
    "url",
    "uri",
    "address",
    "deadline",
    "filters",
    "args",
    "predicates",
    "id",
    "model_name",
    "litellm_params",
    "fallbacks",
    "num_retries",
    "request_timeout",
    "targets",
    "strategy",
    "service",
    "backend",
    "annotations",
    "metadata",
    "responses",
    "get",
    "post",
    "$ref",
    "x-google-backend",
    "version_data",
    "proxy",
    "listen_path",
    "global_rate_limit",
    "enforced_timeouts",
    "requestTimeout",
    "backoff",
    "statuses",
    "methods",
    "numRetries",
    "circuitBreaker",
    "healthCheck",
];

#[derive(Debug, Arbitrary)]
pub struct Document {
    pub frame: Frame,
    pub body: Shape,
}

/// Output is capped at 128 KB, 32 times the 4 KB where byte-level mutation stops: at 512 KB an
/// execution took a second, too few for the search to go anywhere.
const MAX_TEXT: usize = 128 * 1024;

impl Document {
    pub fn render(&self) -> String {
        let (header, key) = self.frame.header();
        let mut out = format!("{header}{key}: ");
        render(&self.body, &mut out, 0);
        out.push('\n');
        out
    }
}

fn push_key(key: u8, out: &mut String) {
    match KEYS.get(usize::from(key)) {
        Some(name) if name.starts_with('$') => out.push_str(&format!("'{name}': ")),
        Some(name) => out.push_str(&format!("{name}: ")),
        None => out.push_str(&format!("k{key}: ")),
    }
}

fn render(shape: &Shape, out: &mut String, depth: usize) {
    if out.len() > MAX_TEXT || depth > 2_000 {
        out.push_str("x");
        return;
    }
    match shape {
        Shape::Scalar(value) => out.push_str(&value.to_string()),
        Shape::Text(text) => {
            out.push('"');
            for c in text.chars().take(64) {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Shape::Map(entries) => {
            out.push('{');
            for (index, (key, value)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                push_key(*key, out);
                render(value, out, depth + 1);
            }
            out.push('}');
        }
        Shape::Seq(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                render(item, out, depth + 1);
            }
            out.push(']');
        }
        Shape::Anchor(name, child) => {
            out.push_str(&format!("&a{name} "));
            render(child, out, depth + 1);
        }
        Shape::Alias(name) => out.push_str(&format!("*a{name}")),
        Shape::Merge(name, entries) => {
            out.push_str(&format!("{{<<: *a{name}"));
            for (key, value) in entries {
                out.push_str(", ");
                push_key(*key, out);
                render(value, out, depth + 1);
            }
            out.push('}');
        }
        Shape::Deep(levels, child) => {
            let levels = usize::from(*levels % 1_024);
            for _ in 0..levels {
                out.push('[');
            }
            render(child, out, depth + levels);
            for _ in 0..levels {
                out.push(']');
            }
        }
        Shape::Wide(width, child) => {
            out.push('[');
            for index in 0..usize::from(*width % 4_096) {
                if index > 0 {
                    out.push_str(", ");
                }
                render(child, out, depth + 1);
                if out.len() > MAX_TEXT {
                    break;
                }
            }
            out.push(']');
        }
    }
}
