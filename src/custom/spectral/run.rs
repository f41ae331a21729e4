//! Runs ruleset rules over the OpenAPI documents of a run, as Spectral's `lintNode` does: each
//! `given` match, narrowed by each `then`'s `field`, goes through its function; each finding is
//! located at the deepest node of its path that exists.

use crate::collections::FastHashMap;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use rayon::prelude::*;

use super::functions::{print_value, Finding, Input};
use super::{Field, Level, SpectralRule};
use crate::custom::jsonpath::filter::Value;
use crate::custom::jsonpath::{
    push_pointer, push_pointer_segment, push_pointer_step, Documents, Hit, HitPath, Refs, Seg,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::refs::RefIndex;
use crate::source::{Node, Workspace};
use crate::span::FileId;

/// What ruleset rules read.
pub struct Scope<'a> {
    pub workspace: &'a Workspace,
    pub refs: &'a RefIndex,
    /// The root of each OpenAPI document.
    pub documents: &'a [(FileId, &'a Node)],
}

/// Adds to `out` every finding of `rules` (those `may_run` admits) on the documents.
pub fn run(
    rules: &[SpectralRule],
    scope: &Scope<'_>,
    may_run: &(dyn Fn(&str) -> bool + Sync),
    out: &mut Vec<Diagnostic>,
) {
    let rules: Vec<&SpectralRule> = rules.iter().filter(|rule| may_run(&rule.name)).collect();
    let refs = Refs::new(scope.workspace, scope.refs);
    let mut remaining = usize::try_from(scope.workspace.limits().memory / BYTES_PER_FINDING)
        .unwrap_or(usize::MAX)
        .max(1);
    for &(file, root) in scope.documents {
        let applicable: Vec<&SpectralRule> = rules
            .iter()
            .copied()
            .filter(|rule| {
                rule.formats
                    .as_ref()
                    .is_none_or(|formats| formats.iter().any(|format| format.holds(root)))
            })
            .collect();
        // The matches of a chunk's rules are held until they have run, up to MAX_HITS a
        // path: a ruleset of hundreds of rules must not hold them all at once.
        for chunk in chunks(&applicable) {
            if let Some(cut) = run_chunk(scope, &refs, file, root, chunk, &mut remaining, out) {
                out.push(too_many_findings(file, root, cut));
                return;
            }
        }
    }
}

/// What one finding costs, with room to spare (480 bytes measured: a million findings of 50
/// `pattern` rules over every string of a 1.3 MB description took 601 MB): the run keeps at most
/// the memory limit's worth of ruleset findings.
const BYTES_PER_FINDING: u64 = 1024;

/// The finding that says a `given` path of `rule` matched more values than are kept.
fn too_many_matches(file: FileId, root: &Node, rule: &SpectralRule, given: &str) -> Diagnostic {
    cut_at(
        file,
        root,
        format!(
            "rule `{}`: `{given}` matches more than {} values in this document; the first are \
             checked, the rest are not",
            rule.name,
            crate::custom::jsonpath::MAX_HITS
        ),
        "ruleset matches stop here",
        "narrow the rule's `given` path: `$..*` matches every value of the document",
    )
}

/// The finding that says the ruleset's findings stopped at the memory limit, at `rule`.
fn too_many_findings(file: FileId, root: &Node, rule: &SpectralRule) -> Diagnostic {
    cut_at(
        file,
        root,
        format!(
            "the ruleset's rules find more than the memory limit allows (`--memory-limit`) in \
             this document: rule `{}` was stopped there, the rules running beside it ran in \
             part, and the rules after them did not run",
            rule.name
        ),
        "ruleset findings stop here",
        "narrow the rules' `given` paths, or raise `--memory-limit` for input you trust",
    )
}

/// An `input-refused` finding at the document whose ruleset checks were cut short.
fn cut_at(file: FileId, root: &Node, message: String, label: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        crate::rule_id::BuiltinRule::InputRefused,
        crate::span::Location {
            file,
            span: root.span,
        },
        message,
    )
    .with_label(label)
    .with_help(help)
}

/// At most this many `given` paths are matched together (a rule with more is alone).
const CHUNK_PATHS: usize = 32;

/// `rules` in order, in runs of at most [`CHUNK_PATHS`] `given` paths.
fn chunks<'r, 'a>(rules: &'r [&'a SpectralRule]) -> Vec<&'r [&'a SpectralRule]> {
    let mut out = Vec::new();
    let (mut start, mut paths) = (0, 0);
    for (index, rule) in rules.iter().enumerate() {
        if index > start && paths + rule.given.len() > CHUNK_PATHS {
            out.push(&rules[start..index]);
            (start, paths) = (index, 0);
        }
        paths += rule.given.len();
    }
    if start < rules.len() {
        out.push(&rules[start..]);
    }
    out
}

/// Runs `applicable`, rules of one chunk, on one document.
fn run_chunk<'w>(
    scope: &Scope<'w>,
    refs: &'w Refs<'w>,
    file: FileId,
    root: &'w Node,
    applicable: &[&'w SpectralRule],
    remaining: &mut usize,
    out: &mut Vec<Diagnostic>,
) -> Option<&'w SpectralRule> {
    // The `given` matches of every rule that reads the resolved document come from one
    // evaluation, which walks the document once for all `$..` paths; likewise for the
    // rules that read it unresolved.
    let mut matches: Vec<Vec<Arc<Vec<Hit<'_>>>>> = vec![Vec::new(); applicable.len()];
    for resolved in [true, false] {
        let group: Vec<usize> = (0..applicable.len())
            .filter(|&index| applicable[index].resolved == resolved)
            .collect();
        if group.is_empty() {
            continue;
        }
        let documents = documents_for(scope, refs, resolved);
        let paths: Vec<&crate::custom::jsonpath::Path> = group
            .iter()
            .flat_map(|&index| applicable[index].given.iter().map(|(_, path)| path))
            .collect();
        let mut found = documents
            .select_each(&paths, Hit::root(file, root))
            .into_iter();
        for &index in &group {
            matches[index] = found.by_ref().take(applicable[index].given.len()).collect();
        }
    }
    for (rule, given) in applicable.iter().zip(&matches) {
        let cut = rule
            .given
            .iter()
            .zip(given)
            .find(|(_, hits)| hits.len() >= crate::custom::jsonpath::MAX_HITS);
        if let Some(((text, _), _)) = cut {
            out.push(too_many_matches(file, root, rule, text));
        }
    }
    // The rules of a chunk run side by side: each may find its share of what is left.
    let limit = (*remaining / applicable.len()).max(1);
    let found: Vec<RuleFindings> = applicable
        .par_iter()
        .zip(matches)
        .map(|(rule, given)| {
            let documents = documents_for(scope, refs, rule.resolved);
            run_rule(rule, &documents, file, root, given, limit)
        })
        .collect();
    let total: usize = found.iter().map(|found| found.len).sum();
    *remaining = remaining.saturating_sub(total);
    out.reserve(total);
    let mut cut = None;
    for (rule, rule_found) in applicable.iter().zip(found) {
        if rule_found.cut && cut.is_none() {
            cut = Some(*rule);
        }
        for mut block in rule_found.blocks {
            out.append(&mut block);
        }
    }
    cut
}

fn documents_for<'w>(scope: &Scope<'w>, refs: &'w Refs<'w>, resolved: bool) -> Documents<'w> {
    Documents {
        workspace: scope.workspace,
        refs: resolved.then_some(refs),
    }
}

/// A value a function reads: where it is (or, when undefined, the closest node that exists and
/// the rest of the path).
struct Target<'a, 'w> {
    hit: Option<Cow<'a, Hit<'w>>>,
    anchor: Cow<'a, Hit<'w>>,
    missing: Vec<String>,
}

impl<'a, 'w> Target<'a, 'w> {
    /// The value `hit` itself.
    fn whole(hit: Cow<'a, Hit<'w>>) -> Target<'a, 'w> {
        Target {
            hit: Some(hit.clone()),
            anchor: hit,
            missing: Vec::new(),
        }
    }
}

/// One rule's findings in blocks of a fixed size, moved once into the run's list: findings are
/// large, a rule on every property name of a big spec has tens of thousands, and a list that
/// doubles as it grows would copy each of them again at every doubling.
#[derive(Default)]
struct RuleFindings {
    blocks: Vec<Vec<Diagnostic>>,
    len: usize,
    /// The rule stopped at its share of the findings the memory limit allows.
    cut: bool,
    /// For each finding, the next one at the same place (`usize::MAX` for none).
    next_at_place: Vec<usize>,
}

impl RuleFindings {
    const BLOCK: usize = 256;

    fn push(&mut self, diagnostic: Diagnostic) -> usize {
        if self
            .blocks
            .last()
            .is_none_or(|block| block.len() == Self::BLOCK)
        {
            self.blocks.push(Vec::with_capacity(Self::BLOCK));
        }
        if let Some(block) = self.blocks.last_mut() {
            block.push(diagnostic);
        }
        self.next_at_place.push(usize::MAX);
        self.len += 1;
        self.len - 1
    }

    fn get_mut(&mut self, index: usize) -> &mut Diagnostic {
        &mut self.blocks[index / Self::BLOCK][index % Self::BLOCK]
    }
}

/// The findings of one rule on one document, given the matches of each of its `given` paths.
fn run_rule<'w>(
    rule: &SpectralRule,
    documents: &Documents<'w>,
    file: FileId,
    root: &'w Node,
    given: Vec<Arc<Vec<Hit<'w>>>>,
    limit: usize,
) -> RuleFindings {
    let mut out = RuleFindings::default();
    let mut pointers = Pointers::default();
    let root_hit = Hit::root(file, root);
    let describe = rule.shows_error();
    // Spectral reports a finding once per place in the source (its fingerprint is the rule, the
    // source path and the message), however many `$ref`s lead to that place: a node reached
    // both where it is declared and through references is one finding, shown where declared.
    // The first finding at each place is indexed; others there, with other messages, follow it
    // in `next_at_place`.
    let mut first_at_place: FastHashMap<(usize, bool, Vec<String>), usize> = FastHashMap::default();
    'hits: for hits in &given {
        for hit in hits.iter() {
            for then in &rule.then {
                for target in targets(documents, hit, &then.field) {
                    if out.len >= limit {
                        out.cut = true;
                        break 'hits;
                    }
                    let property = match (target.missing.last(), &target.hit) {
                        (Some(missing), _) => Cow::Borrowed(missing.as_str()),
                        (None, Some(hit)) => seg_text(hit.path.last()),
                        (None, None) => Cow::Borrowed(""),
                    };
                    let input = Input {
                        documents: *documents,
                        hit: target.hit.as_deref(),
                        property: &property,
                        describe,
                    };
                    let findings = then.function.run(&input, &root_hit);
                    for (index, finding) in findings.into_iter().enumerate() {
                        let (mut found, mut place) =
                            diagnostic(rule, documents, &mut pointers, &root_hit, &target, finding);
                        if found.diagnostic.message.is_empty() && !describe {
                            // The rule's own text came out empty: the function's message
                            // stands in, as in Spectral, so it is written after all.
                            let described = Input {
                                describe: true,
                                ..input
                            };
                            if let Some(finding) = then
                                .function
                                .run(&described, &root_hit)
                                .into_iter()
                                .nth(index)
                            {
                                (found, place) = diagnostic(
                                    rule,
                                    documents,
                                    &mut pointers,
                                    &root_hit,
                                    &target,
                                    finding,
                                );
                            }
                        }
                        let declared = place.key.is_some() || place.path.is_empty();
                        let identity = (
                            std::ptr::from_ref(place.node) as usize,
                            place.is_key,
                            found.missing,
                        );
                        let mut same = first_at_place.get(&identity).copied();
                        let mut last = None;
                        while let Some(index) = same {
                            if out.get_mut(index).message == found.diagnostic.message {
                                break;
                            }
                            last = Some(index);
                            same = Some(out.next_at_place[index]).filter(|&i| i != usize::MAX);
                        }
                        match (same, last) {
                            (Some(index), _) => {
                                if declared {
                                    *out.get_mut(index) = found.diagnostic;
                                }
                            }
                            (None, Some(last)) => {
                                out.next_at_place[last] = out.push(found.diagnostic);
                            }
                            (None, None) => {
                                first_at_place.insert(identity, out.push(found.diagnostic));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// A key or index as text: what `{{property}}` prints.
fn seg_text<'w>(seg: Option<&Seg<'w>>) -> Cow<'w, str> {
    match seg {
        Some(Seg::Key(key)) => Cow::Borrowed(key),
        Some(Seg::Index(index)) => Cow::Owned(index.to_string()),
        None => Cow::Borrowed(""),
    }
}

fn targets<'a, 'w>(
    documents: &Documents<'w>,
    hit: &'a Hit<'w>,
    field: &Field,
) -> Vec<Target<'a, 'w>> {
    // A field only narrows an object; any other value is checked itself, as in Spectral.
    if hit.is_key || !hit.node.is_map() && !hit.node.is_seq() {
        return vec![Target::whole(Cow::Borrowed(hit))];
    }
    match field {
        Field::Whole => vec![Target::whole(Cow::Borrowed(hit))],
        Field::Keys => {
            let parent = hit.path.shared();
            hit.node
                .entries()
                .iter()
                .filter_map(|entry| {
                    let path = HitPath::under(&parent, Seg::Key(entry.key.scalar_text()?));
                    Some(Target::whole(Cow::Owned(Hit {
                        file: hit.file,
                        node: &entry.value,
                        key: Some(&entry.key),
                        path,
                        is_key: true,
                    })))
                })
                .collect()
        }
        Field::Path(segments) => {
            let mut current = Cow::Borrowed(hit);
            for (index, segment) in segments.iter().enumerate() {
                match documents.child(&current, segment) {
                    Some(next) => current = Cow::Owned(next),
                    None => {
                        return vec![Target {
                            hit: None,
                            anchor: current,
                            missing: segments[index..].to_vec(),
                        }]
                    }
                }
            }
            vec![Target::whole(current)]
        }
        Field::JsonPath(path) => {
            let found: Vec<Target<'a, 'w>> = documents
                .select(path, hit.clone())
                .into_iter()
                .map(|hit| Target::whole(Cow::Owned(hit)))
                .collect();
            if found.is_empty() {
                vec![Target {
                    hit: None,
                    anchor: Cow::Borrowed(hit),
                    missing: Vec::new(),
                }]
            } else {
                found
            }
        }
    }
}

/// A finding, and what of its path does not exist below the node it is shown at.
struct Found {
    diagnostic: Diagnostic,
    missing: Vec<String>,
}

/// The JSON pointer of the node the last match was found under: a rule's matches come in
/// document order, so the findings about one object's properties follow each other and write
/// its (long) pointer once.
#[derive(Default)]
struct Pointers<'w> {
    last: Option<(Arc<[Seg<'w>]>, String)>,
}

impl<'w> Pointers<'w> {
    /// Appends the pointer of `path` to `out`.
    fn push(&mut self, out: &mut String, path: &HitPath<'w>) {
        let (parent, step) = path.split();
        match &self.last {
            Some((last, text)) if Arc::ptr_eq(last, parent) => out.push_str(text),
            _ => {
                let mut text = String::new();
                push_pointer(&mut text, parent.iter());
                out.push_str(&text);
                // Kept with its path, so that the path cannot be freed and its address reused.
                self.last = Some((Arc::clone(parent), text));
            }
        }
        if let Some(step) = step {
            push_pointer_step(out, step);
        }
    }
}

/// A finding and the node it is shown at.
fn diagnostic<'a, 'w>(
    rule: &SpectralRule,
    documents: &Documents<'w>,
    pointers: &mut Pointers<'w>,
    root: &Hit<'w>,
    target: &'a Target<'_, 'w>,
    finding: Finding,
) -> (Found, Cow<'a, Hit<'w>>) {
    // Walk the function's path down from the value, as far as it exists.
    let mut anchor: Cow<'a, Hit<'w>> = Cow::Borrowed(&target.anchor);
    let mut value: Option<Cow<'a, Hit<'w>>> = target.hit.as_deref().map(Cow::Borrowed);
    let mut missing = target.missing.clone();
    for (index, segment) in finding.path.iter().enumerate() {
        let next = value.as_ref().and_then(|hit| documents.child(hit, segment));
        match next {
            Some(next) => {
                anchor = Cow::Owned(next.clone());
                value = Some(Cow::Owned(next));
            }
            None => {
                value = None;
                missing.extend(finding.path[index..].iter().cloned());
                break;
            }
        }
    }
    // `rule: #/path/to/it` under the code frame, written in one string.
    let mut label = String::with_capacity(rule.name.len() + 2);
    label.push_str(&rule.name);
    label.push_str(": ");
    pointers.push(&mut label, &anchor.path);
    for segment in &missing {
        label.push('/');
        push_pointer_segment(&mut label, segment);
    }
    // The placeholders print the path where the node is declared (see
    // `Documents::declared_path`), found only for a message that prints it.
    let declared = OnceCell::new();
    let declared = || {
        declared.get_or_init(|| {
            documents.declared_path(root.file, root.node, &anchor.path, anchor.is_key)
        })
    };
    let declared_pointer = OnceCell::new();
    let declared_pointer = || {
        declared_pointer.get_or_init(|| {
            let mut text = String::from("#");
            for segment in declared().iter().chain(&missing) {
                text.push('/');
                push_pointer_segment(&mut text, segment);
            }
            text
        })
    };
    let property = OnceCell::new();
    let property = || {
        property.get_or_init(|| match missing.last() {
            Some(segment) => segment.clone(),
            None => declared().last().cloned().unwrap_or_default(),
        })
    };
    let printed_value = OnceCell::new();
    // Each placeholder in turn, as chained `replace` calls would, skipping those not present.
    let fill = |template: &str, error: &str| {
        if !template.contains("{{") {
            return template.to_string();
        }
        let mut text = Cow::Borrowed(template);
        for placeholder in [
            "{{error}}",
            "{{property}}",
            "{{path}}",
            "{{description}}",
            "{{value}}",
        ] {
            if !text.contains(placeholder) {
                continue;
            }
            let with = match placeholder {
                "{{error}}" => error,
                "{{property}}" => property(),
                "{{path}}" => declared_pointer(),
                "{{description}}" => rule.description.as_deref().unwrap_or_default(),
                _ => printed_value.get_or_init(|| {
                    print_value(&value.as_ref().map_or(Value::Undefined, |hit| hit.value()))
                }),
            };
            text = Cow::Owned(text.replace(placeholder, with));
        }
        text.into_owned()
    };
    // A text without placeholders is used as it is: most rules' messages are fixed.
    let error = if finding.message.contains("{{") {
        Cow::Owned(fill(&finding.message, ""))
    } else {
        Cow::Borrowed(finding.message.as_str())
    };
    let message = match (&rule.message, &rule.description) {
        (Some(template), _) if template.contains("{{") => Cow::Owned(fill(template, &error)),
        (Some(template), _) => Cow::Borrowed(template.as_str()),
        (None, Some(description)) => Cow::Borrowed(description.as_str()),
        (None, None) => error.clone(),
    };
    let message = message.trim();
    let severity = match rule.level {
        Level::On(severity) => severity,
        Level::Off => Severity::Warning,
    };
    let mut diagnostic = Diagnostic::new(
        rule.id(),
        anchor.location(),
        if message.is_empty() {
            error.into_owned()
        } else {
            message.to_string()
        },
    )
    .with_severity(severity)
    .with_label(label);
    if let Some(url) = &rule.documentation_url {
        diagnostic = diagnostic.with_help(["see ", url].concat());
    }
    (
        Found {
            diagnostic,
            missing,
        },
        anchor,
    )
}
