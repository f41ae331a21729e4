//! The pipeline in one place: discover → load → resolve references → detect + adapt → rules.

use crate::collections::{FastHashMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::baseline::Baseline;
use crate::config::{suppress, Config};
use crate::custom;
use crate::diagnostic::Diagnostic;
use crate::discover::{self, DiscoverError};
use crate::formats::Adapter;
use crate::formats::{self, AdaptContext};
use crate::model::{join, Inventory};
use crate::rule_id::BuiltinRule;
use crate::rules::{self, RuleInputs};
use crate::source::refs;
use crate::source::{self, FileRequest, Limits, SourceFile, Workspace};
use crate::span::Location;
use crate::span::{FileId, Span};

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub paths: Vec<PathBuf>,
    /// The project root; `$ref`s may not leave it. Defaults to the enclosing git repository of
    /// the working directory, else the working directory.
    pub root: Option<PathBuf>,
    /// Which rules run where, and which walked files are linted.
    pub config: Config,
    /// Accepted findings: only findings it does not record are reported.
    pub baseline: Option<Baseline>,
    /// How much of each input is read and built.
    pub limits: Limits,
    /// Told how far the run has come, for a progress display.
    pub progress: Option<std::sync::Arc<dyn Progress>>,
    /// What standard input held, linted where `paths` has `-`.
    pub stdin: Option<StdinInput>,
}

/// A stage of a run, as a progress display shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Files read and parsed.
    Reading,
    /// `$ref`s followed.
    Resolving,
    /// Documents adapted into the model.
    Linting,
    /// Rules checked over the whole model.
    Checking,
}

/// Receives how far a run has come; called from several threads while files are read.
pub trait Progress: Send + Sync {
    /// `stage` starts, with `total` steps (0 when it has no steps to count).
    fn start(&self, stage: Stage, total: usize);
    /// One more step of the current stage is done.
    fn advance(&self);
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Standard input as a file to lint (`routeguard lint -`): a YAML stream (many documents,
/// `helm template` or `kustomize build` output) or one JSON or TOML document.
#[derive(Debug, Clone, Default)]
pub struct StdinInput {
    /// The name reports give it (`--stdin-filename`), relative to the working directory; its
    /// extension selects the syntax. `<stdin>` when not given.
    pub name: Option<PathBuf>,
    pub bytes: Vec<u8>,
}

/// The path that stands for standard input.
pub const STDIN_PATH: &str = "-";

pub use crate::outcome::{LintOutcome, SkipReason, SkippedFile};

#[derive(Debug)]
pub enum LintError {
    Discover(DiscoverError),
    Root(PathBuf, std::io::Error),
    WorkingDirectory(std::io::Error),
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintError::Discover(error) => error.fmt(f),
            LintError::Root(path, error) => {
                write!(f, "root `{}` is not usable: {error}", path.display())
            }
            LintError::WorkingDirectory(error) => {
                write!(f, "cannot read the working directory: {error}")
            }
        }
    }
}

impl std::error::Error for LintError {}

pub fn lint(options: &LintOptions) -> Result<LintOutcome, LintError> {
    let cwd = std::env::current_dir().map_err(LintError::WorkingDirectory)?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    lint_in(options, &cwd)
}

/// Runs the pipeline as if started in `cwd` (which must be absolute).
pub fn lint_in(options: &LintOptions, cwd: &Path) -> Result<LintOutcome, LintError> {
    let root = match &options.root {
        Some(root) => {
            let canonical = std::fs::canonicalize(cwd.join(root))
                .map_err(|error| LintError::Root(root.clone(), error))?;
            if !canonical.is_dir() {
                return Err(LintError::Root(
                    root.clone(),
                    std::io::Error::other("not a folder"),
                ));
            }
            canonical
        }
        None => discover::project_root(cwd),
    };
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let config = &options.config;
    let (stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .into_iter()
        .partition(|path| path.as_os_str() == STDIN_PATH);
    let discovered =
        discover::discover(&paths, cwd, &root, &config.filter).map_err(LintError::Discover)?;
    let mut requests = discovered.files;
    if !stdin.is_empty() {
        let input = options.stdin.clone().unwrap_or_default();
        let name = input.name.unwrap_or_else(|| PathBuf::from("<stdin>"));
        requests.push(FileRequest {
            path: crate::source::normalize_path(&cwd.join(&name)),
            display: crate::source::slash_path(&name),
            explicit: true,
            refusal: None,
            contents: Some(input.bytes),
        });
    }

    let mut workspace = Workspace::new(root, cwd.to_path_buf()).with_limits(options.limits);
    let progress = options.progress.as_deref();
    if let Some(progress) = progress {
        progress.start(Stage::Reading, requests.len());
    }
    let reserved = workspace.reserve(requests);
    let requested = workspace.files().len();
    // Custom rules walk the documents after the model is built: their trees stay.
    let keep_trees = !config.custom.ruleset.rules.is_empty();
    let mut stream = Stream {
        requested,
        keep_trees,
        ..Stream::default()
    };
    let limits = workspace.limits();
    let on_read = || {
        if let Some(progress) = progress {
            progress.advance();
        }
    };
    // Each group is read on one side while the group before is resolved and adapted on the
    // other, and dropped after, so that memory holds about two groups of trees at a time.
    let mut groups = groups(reserved).into_iter();
    let parse = |group: Group| source::parse_all(group.files, limits, &on_read);
    let mut next = groups.next().map(|group| (group.bytes, parse(group)));
    while let Some((bytes, parsed)) = next.take() {
        let ids: Vec<FileId> = parsed.iter().map(source::ParsedFile::id).collect();
        workspace.fill_all(parsed, &mut stream.early);
        let following = groups.next();
        next = match following {
            Some(group) if bytes + group.bytes <= OVERLAP_BYTES => {
                let following_bytes = group.bytes;
                let (parsed, ()) =
                    rayon::join(|| parse(group), || stream.take_group(&mut workspace, &ids));
                Some((following_bytes, parsed))
            }
            following => {
                stream.take_group(&mut workspace, &ids);
                following.map(|group| (group.bytes, parse(group)))
            }
        };
    }
    if let Some(progress) = progress {
        progress.start(Stage::Resolving, 0);
    }
    let Stream {
        early,
        adapted,
        mut inventory,
        mut budget,
        resolver,
        detected,
        deferred,
        mut skipped,
        templates,
        ..
    } = stream;
    let mut diagnostics = early;
    let ref_index = resolver.finish(&workspace, &mut diagnostics);
    let mut recognised: HashSet<FileId> = detected.iter().map(|(file, _, _)| *file).collect();
    recognised.extend(ref_index.target_files());
    // Files loaded only because a reference names them are part of a description, even broken.
    recognised.extend(workspace.files()[requested..].iter().map(|file| file.id));
    skipped.extend(unrecognised_files(&workspace, &recognised, &templates));
    if !skipped.is_empty() {
        let quiet: HashSet<FileId> = skipped.iter().map(|skipped| skipped.file).collect();
        diagnostics.retain(|diagnostic| !quiet.contains(&diagnostic.location.file));
    }
    custom::unsupported(&config.custom, &mut workspace, &mut diagnostics);
    diagnostics.extend(adapted);

    // Gateway formats may look across files (a Kubernetes Service, a Traefik middleware of
    // another file): they are adapted once every file is read, their trees kept until then.
    let deferred_files: Vec<FileId> = deferred.iter().map(|(file, _, _)| *file).collect();
    for file in ref_index.reachable_from(&deferred_files) {
        workspace.restore_documents(file);
    }
    {
        let objects = formats::kube::Objects::of(&workspace);
        let mut cx = AdaptContext {
            workspace: &workspace,
            refs: &ref_index,
            kube: &objects,
            inventory: &mut inventory,
            diagnostics: &mut diagnostics,
            budget: &mut budget,
        };
        if let Some(progress) = progress {
            progress.start(Stage::Linting, deferred.len());
        }
        for (file, index, adapter) in &deferred {
            if let Some(document) = workspace.file(*file).documents.get(*index) {
                (adapter.adapt)(&mut cx, *file, document);
            }
            if let Some(progress) = progress {
                progress.advance();
            }
        }
    }
    // A path item shared through `$ref` by several documents is one operation, not several.
    let mut seen = crate::collections::HashSet::default();
    inventory
        .operations
        .retain(|op| seen.insert((op.location, op.path.clone(), op.method)));
    config.apply_apis(&workspace, &mut inventory.specs);
    crate::model::api::assign_names(&mut inventory.specs, &|file| {
        workspace.file(file).display.clone()
    });
    inventory.apply_overlays();
    inventory.apply_upstream_policies();
    let max_links = workspace.limits().memory / join::BYTES_PER_LINK;
    let join = join::join_within(
        &inventory,
        config.layer_order(&workspace),
        usize::try_from(max_links).unwrap_or(usize::MAX),
    );
    if let Some((cut, route)) = join
        .cut_at
        .and_then(|cut| Some((cut, inventory.routes.get(cut)?)))
    {
        diagnostics.push(
            Diagnostic::new(
                BuiltinRule::InputRefused,
                route.location,
                format!(
                    "the routes pair with more operations and API descriptions than the \
                     memory limit allows (`--memory-limit`): the first {cut} routes are checked \
                     against them; this route and those after it are not"
                ),
            )
            .with_label("not joined to any operation")
            .with_help(
                "lint the API descriptions with the gateway files that serve them, rather than \
                 every description with every gateway, or raise `--memory-limit` for input you \
                 trust",
            ),
        );
    }

    if let Some(progress) = progress {
        progress.start(Stage::Checking, 0);
    }
    diagnostics.extend(rules::run(&RuleInputs {
        inventory: &inventory,
        workspace: &workspace,
        join: &join,
        config,
    }));
    let mut openapi_documents: Vec<(FileId, &crate::source::Node)> = detected
        .iter()
        .filter(|(_, _, adapter)| adapter.uses_refs)
        .filter_map(|(file, index, _)| {
            let root = workspace.file(*file).documents.get(*index)?;
            (root.get("openapi").is_some() || root.get("swagger").is_some())
                .then_some((*file, root))
        })
        .collect();
    // A document two adapters read (OpenAPI with AWS extensions) is linted once.
    openapi_documents.dedup_by(|a, b| a.0 == b.0 && std::ptr::eq(a.1, b.1));
    custom::run(
        &config.custom,
        &custom::RunScope {
            workspace: &workspace,
            refs: &ref_index,
            documents: &openapi_documents,
            inventory: &inventory,
            join: &join,
        },
        &|rule| config.may_run(rule),
        &mut diagnostics,
    );
    attach_apis(&inventory, &join, &mut diagnostics);
    point_to_generating_descriptions(&inventory, &workspace, &mut diagnostics);
    config.apply_levels(&workspace, &mut diagnostics);
    sort_and_dedup(&workspace, &mut diagnostics);
    let split = suppress::apply(config, &workspace, &inventory, diagnostics);
    let (mut diagnostics, mut suppressed) = (split.active, split.suppressed);
    // Sorted before the baseline, so that which of several equal findings it accepts is stable.
    sort_and_dedup(&workspace, &mut diagnostics);
    if let Some(baseline) = &options.baseline {
        let (new, accepted) = baseline.apply(&workspace, diagnostics);
        diagnostics = new;
        suppressed.extend(accepted);
    }
    sort_and_dedup(&workspace, &mut suppressed);
    skipped.sort_by(|a, b| {
        workspace
            .file(a.file)
            .display
            .cmp(&workspace.file(b.file).display)
    });
    Ok(LintOutcome {
        workspace,
        inventory,
        join,
        diagnostics,
        suppressed,
        skipped,
        notices: discovered.notices,
    })
}

/// A group of files is read until it holds this many bytes or this many files.
const GROUP_BYTES: u64 = 2 * 1024 * 1024;
const GROUP_FILES: usize = 64;
/// The next group is read while one is adapted only if both together hold at most this many
/// bytes: a very large file (a 47 MB specification) is read and adapted alone, so that two such
/// trees are never in memory at once.
const OVERLAP_BYTES: u64 = 4 * GROUP_BYTES;

/// Files read together, and how many bytes they hold.
#[derive(Default)]
struct Group {
    files: Vec<(FileId, FileRequest)>,
    bytes: u64,
}

/// The reserved files in groups of about [`GROUP_BYTES`], in order.
fn groups(reserved: Vec<(FileId, FileRequest)>) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut group = Group::default();
    for (id, request) in reserved {
        group.bytes += match &request.contents {
            Some(contents) => contents.len() as u64,
            None => std::fs::metadata(&request.path).map_or(0, |metadata| metadata.len()),
        };
        group.files.push((id, request));
        if group.bytes >= GROUP_BYTES || group.files.len() >= GROUP_FILES {
            groups.push(std::mem::take(&mut group));
        }
    }
    if !group.files.is_empty() {
        groups.push(group);
    }
    groups
}

/// What the run gathers while the files are read a group at a time.
#[derive(Default)]
struct Stream {
    /// How many files were named or walked: those after them were reached through `$ref`s.
    requested: usize,
    keep_trees: bool,
    /// Findings of reading, detecting and resolving, before skipped files are known.
    early: Vec<Diagnostic>,
    /// Findings of the adapters run so far.
    adapted: Vec<Diagnostic>,
    inventory: Inventory,
    /// What each file's routes, operations and fallbacks have cost so far.
    budget: formats::budget::ModelBudget,
    resolver: refs::Resolver,
    detected: Vec<(FileId, usize, &'static Adapter)>,
    /// Documents of formats adapted once every file is read.
    deferred: Vec<(FileId, usize, &'static Adapter)>,
    skipped: Vec<SkippedFile>,
    templates: HashSet<FileId>,
    /// Files whose trees a later step reads, decided once per file.
    keeps_trees: HashMap<FileId, bool>,
    /// Requested files before this one have had their group.
    done: usize,
}

impl Stream {
    /// Detects, resolves and adapts one group of files (`ids`, just read), then drops the trees
    /// no later step needs.
    fn take_group(&mut self, workspace: &mut Workspace, ids: &[FileId]) {
        let first_new = self.detected.len();
        for &id in ids {
            let file = workspace.file(id);
            // A template's YAML is only known once rendered: neither its parse errors nor
            // what it seems to hold say anything about what the gateway will get.
            if is_template(file) {
                self.skipped.push(SkippedFile {
                    file: id,
                    reason: SkipReason::Template,
                });
                self.templates.insert(id);
                continue;
            }
            let mut recognised = false;
            for (index, document) in file.documents.iter().enumerate() {
                for adapter in formats::detect(document) {
                    self.detected.push((id, index, adapter));
                    recognised = true;
                }
            }
            // Kubernetes manifests are a format routeguard reads, whatever kinds they hold: a
            // rendered chart's Deployments and Services are skipped silently, not unknown.
            if file.explicit && !file.failed && !recognised && !is_kubernetes_manifest(file) {
                self.early.push(unknown_format(id));
            }
        }
        // Only the documents of formats that use `$ref` are searched for them.
        let jobs = &self.detected[first_new..];
        let ref_files: Vec<FileId> = jobs
            .iter()
            .filter(|(_, _, adapter)| adapter.uses_refs)
            .map(|(file, _, _)| *file)
            .collect();
        self.resolver
            .resolve(workspace, &ref_files, &mut self.early);
        let (now, later): (Vec<_>, Vec<_>) = jobs
            .iter()
            .copied()
            .partition(|(_, _, adapter)| is_self_contained(adapter));
        self.deferred.extend(later);
        let now_files: Vec<FileId> = now.iter().map(|(file, _, _)| *file).collect();
        for file in self.resolver.index().reachable_from(&now_files) {
            workspace.restore_documents(file);
        }
        // Only self-contained adapters run here, and they read no Kubernetes objects.
        let no_objects = formats::kube::Objects::default();
        let mut cx = AdaptContext {
            workspace,
            refs: self.resolver.index(),
            kube: &no_objects,
            inventory: &mut self.inventory,
            diagnostics: &mut self.adapted,
            budget: &mut self.budget,
        };
        for (file, index, adapter) in &now {
            if let Some(document) = cx.workspace.file(*file).documents.get(*index) {
                (adapter.adapt)(&mut cx, *file, document);
            }
        }
        self.done = ids.last().map_or(self.done, |last| last.0 as usize + 1);
        self.drop_trees(workspace);
    }

    /// Drops every tree no later step reads: not a later group's, nor one kept for the
    /// adapters that run at the end, custom rules or suppression comments.
    fn drop_trees(&mut self, workspace: &mut Workspace) {
        if self.keep_trees {
            return;
        }
        let droppable: Vec<FileId> = workspace
            .files()
            .iter()
            .filter(|file| !file.documents.is_empty())
            .filter(|file| (file.id.0 as usize) < self.done || file.id.0 as usize >= self.requested)
            .filter(|file| {
                !*self
                    .keeps_trees
                    .entry(file.id)
                    .or_insert_with(|| keeps_trees(file))
            })
            .map(|file| file.id)
            .collect();
        for id in droppable {
            workspace.drop_documents(id);
        }
    }
}

/// Whether an adapter reads only its document and what its `$ref`s reach, so that it can run
/// before the other files are read.
fn is_self_contained(adapter: &Adapter) -> bool {
    std::ptr::eq(adapter, &formats::openapi::ADAPTER)
}

/// Whether a file's trees are read after its group: by an adapter that runs at the end, by a
/// lookup across Kubernetes manifests, or for its suppression comments.
fn keeps_trees(file: &SourceFile) -> bool {
    file.text()
        .is_some_and(|text| text.contains(crate::config::suppress::COMMENT_MARKER))
        || is_kubernetes_manifest(file)
        || file
            .documents
            .iter()
            .any(|document| formats::detect(document).any(|adapter| !is_self_contained(adapter)))
}

/// A Go template whose text is not yet what the gateway reads: one that does not parse, one
/// whose actions stand where values do (`timeout: {{ .Values.timeout }}`), or any file with
/// actions in a Helm chart's `templates/` folder. Actions inside quoted strings of a file that
/// parses (Traefik's file provider templates URLs that way) leave it the format it is.
fn is_template(file: &crate::source::SourceFile) -> bool {
    use formats::sniff;
    let text = file.text().unwrap_or("");
    if !sniff::has_go_template_actions(text) {
        return false;
    }
    file.failed || sniff::has_unquoted_go_template_action(text) || in_helm_templates(&file.path)
}

/// Whether a file holds Kubernetes objects (`apiVersion` and `kind`): a manifest, of whatever
/// kinds.
fn is_kubernetes_manifest(file: &crate::source::SourceFile) -> bool {
    file.documents
        .iter()
        .any(|document| document.get("apiVersion").is_some() && document.get("kind").is_some())
}

/// Whether `path` is in the `templates/` folder of a Helm chart (beside its `Chart.yaml`).
fn in_helm_templates(path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .filter(|folder| folder.file_name().is_some_and(|name| name == "templates"))
        .any(|templates| {
            templates
                .parent()
                .is_some_and(|chart| chart.join("Chart.yaml").is_file())
        })
}

/// Walked files that are not linted: those no adapter recognised and no reference reached,
/// unless they failed to parse and their name or content marks them as one of ours (a broken
/// spec is still reported), or they hit a limit or were refused (always reported). Files named on the command line are always linted.
fn unrecognised_files(
    workspace: &Workspace,
    recognised: &HashSet<FileId>,
    templates: &HashSet<FileId>,
) -> Vec<SkippedFile> {
    workspace
        .files()
        .iter()
        .filter(|file| {
            !file.explicit && !templates.contains(&file.id) && !recognised.contains(&file.id)
        })
        .filter(|file| {
            !(file.failed
                && (file.limited
                    || formats::sniff::marks_ours(&file.display, file.text().unwrap_or(""))))
        })
        .map(|file| SkippedFile {
            file: file.id,
            reason: if file.failed {
                SkipReason::Unparsable
            } else {
                SkipReason::NotRecognised
            },
        })
        .collect()
}

/// A finding about a route of a generated gateway file says that the setting belongs in the
/// API description the file is generated from, and points at that description when the run
/// reads it (the one beside the generated file first).
fn point_to_generating_descriptions(
    inventory: &Inventory,
    workspace: &Workspace,
    diagnostics: &mut [Diagnostic],
) {
    if inventory.generated.is_empty() {
        return;
    }
    let mut specs_named: HashMap<&std::ffi::OsStr, Vec<&crate::model::SpecDocument>> =
        HashMap::default();
    for spec in &inventory.specs {
        if let Some(name) = workspace.file(spec.file).path.file_name() {
            specs_named.entry(name).or_default().push(spec);
        }
    }
    // Per generated file: the note its findings' help ends with, and where its description is.
    let mut notes: HashMap<FileId, (String, Option<crate::diagnostic::Related>)> =
        HashMap::default();
    for generated in &inventory.generated {
        let folder = workspace.file(generated.file).path.parent();
        let named = specs_named.get(std::ffi::OsStr::new(&generated.source));
        let source = named.and_then(|specs| {
            specs
                .iter()
                .min_by_key(|spec| workspace.file(spec.file).path.parent() != folder)
        });
        let note = format!(
            "this file is generated by `{}` from `{}`: write the setting in that description's \
             {} instead, as the next conversion overwrites this file",
            generated.tool, generated.source, generated.keys
        );
        let related = source.map(|spec| crate::diagnostic::Related {
            location: spec.version_location,
            message: format!(
                "`{}` generates the file from this description",
                generated.tool
            ),
        });
        notes.entry(generated.file).or_insert((note, related));
    }
    for diagnostic in diagnostics.iter_mut().filter(|d| d.route.is_some()) {
        let Some((note, related)) = notes.get(&diagnostic.location.file) else {
            continue;
        };
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}; {note}"),
            None => format!("{}{}", note[..1].to_uppercase(), &note[1..]),
        });
        diagnostic.related.extend(related.clone());
    }
}

/// Names the API each finding is about: the API of the description it is in, or, for a finding
/// about a gateway route, the one API that route serves. Findings about several APIs, or none,
/// name none.
fn attach_apis(inventory: &Inventory, join: &join::Join, diagnostics: &mut [Diagnostic]) {
    if inventory.specs.is_empty() {
        return;
    }
    let mut apis_of_file: FastHashMap<FileId, HashSet<usize>> = FastHashMap::default();
    for (index, spec) in inventory.specs.iter().enumerate() {
        apis_of_file.entry(spec.file).or_default().insert(index);
    }
    for operation in &inventory.operations {
        for file in [operation.location.file, operation.path_location.file] {
            apis_of_file
                .entry(file)
                .or_default()
                .insert(operation.document);
        }
    }
    let mut apis_of_route: HashMap<(FileId, String), HashSet<usize>> = HashMap::default();
    for (index, route) in inventory.routes.iter().enumerate() {
        let apis = apis_of_route
            .entry((route.location.file, route.label()))
            .or_default();
        for link in join.operations_of(index) {
            apis.insert(inventory.operations[link.operation].document);
        }
    }
    let names: Vec<Arc<str>> = inventory
        .specs
        .iter()
        .map(|spec| Arc::from(spec.api.name.as_str()))
        .collect();
    let only = |apis: &HashSet<usize>| -> Option<Arc<str>> {
        let mut apis = apis.iter();
        match (apis.next(), apis.next()) {
            (Some(&api), None) => Some(Arc::clone(&names[api])),
            _ => None,
        }
    };
    for diagnostic in diagnostics.iter_mut() {
        let file = diagnostic.location.file;
        diagnostic.api = match apis_of_file.get(&file) {
            Some(apis) => only(apis),
            None => diagnostic
                .route
                .clone()
                .and_then(|route| apis_of_route.get(&(file, route)))
                .and_then(only),
        };
    }
}

fn unknown_format(file: FileId) -> Diagnostic {
    Diagnostic::new(
        BuiltinRule::UnknownFormat,
        Location {
            file,
            span: Span::new(0, 0),
        },
        "not a format routeguard reads",
    )
    .with_label("unrecognised file")
}

/// Deterministic order (file, line, column, rule), each finding once.
fn sort_and_dedup(workspace: &Workspace, diagnostics: &mut Vec<Diagnostic>) {
    // Findings are large: their order is found on indices, and each is moved once into place
    // rather than many times by the sort. Files compare by the rank of their displayed name.
    let mut files: Vec<FileId> = diagnostics.iter().map(|d| d.location.file).collect();
    files.sort_unstable();
    files.dedup();
    files.sort_by(|a, b| workspace.file(*a).display.cmp(&workspace.file(*b).display));
    let mut rank: FastHashMap<FileId, usize> = FastHashMap::default();
    let mut current = 0;
    for (index, &file) in files.iter().enumerate() {
        // Files shown under the same name rank alike, as their names compare.
        if index > 0 && workspace.file(files[index - 1]).display != workspace.file(file).display {
            current = index;
        }
        rank.insert(file, current);
    }
    let keys: Vec<(usize, u32)> = diagnostics
        .iter()
        .map(|d| (rank[&d.location.file], d.location.span.start))
        .collect();
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_by(|&a_index, &b_index| {
        let (a, b) = (&diagnostics[a_index], &diagnostics[b_index]);
        keys[a_index]
            .cmp(&keys[b_index])
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.location.span.end.cmp(&b.location.span.end))
            .then_with(|| a.message.cmp(&b.message))
    });
    // Position k takes the finding at order[k]: each cycle of that permutation is followed
    // with swaps, so no second list of findings is built.
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        let mut current = start;
        while !placed[current] {
            placed[current] = true;
            let next = order[current];
            if next == start {
                break;
            }
            diagnostics.swap(current, next);
            current = next;
        }
    }
    diagnostics
        .dedup_by(|a, b| a.rule == b.rule && a.location == b.location && a.message == b.message);
}
