//! The command line: argument definitions and what each command does with the library.

mod custom;
mod governance;
mod progress;
mod write;

use crate::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::builder::{NonEmptyStringValueParser, PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, ArgMatches, Parser, Subcommand, ValueEnum};

use crate::catalog;
pub use crate::config::FailOn;
use crate::diagnostic::Severity;
use crate::lint::{lint, LintOptions, StdinInput, STDIN_PATH};
use crate::report::listing::{self, ListFormat as Listing};
use crate::report::{self, Format, Kind, Settings};
pub use governance::{BaselineCommand, BaselineWriteArgs, ConfigArgs, InitArgs, LimitArgs};

#[derive(Debug, Parser)]
#[command(
    name = "routeguard",
    version = env!("ROUTEGUARD_LONG_VERSION"),
    about = "Lints OpenAPI specs and API gateway configs for timeout, retry, fallback and documentation policy",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint files and folders (folders are walked respecting .gitignore)
    Lint(LintArgs),
    /// List every rule: id, default severity, one-line summary
    Rules(RulesArgs),
    /// Show the joined inventory: every gateway route with its operation and policy
    Routes(RoutesArgs),
    /// Write the governance scorecard: per API and overall, the share of routes meeting each
    /// policy, worst-case latency, findings and the riskiest routes
    Report(ScorecardArgs),
    /// Explain a rule: what it checks, why, how to fix it, its options and current settings
    Explain {
        /// The rule id, e.g. `operation-summary`
        rule: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Record today's findings, so that `lint --baseline` reports only new ones
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Write a commented starter config, routeguard.yaml, in the working directory
    Init(InitArgs),
    /// Print the JSON Schema of the config file (for editors)
    Schema,
    /// Print a shell completion script: `routeguard completions bash > /etc/bash_completion.d/routeguard`
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `routeguard man > routeguard.1 && man ./routeguard.1`
    Man,
    /// Run the bad and good examples of a rules test file against the config's rules
    /// (ruleset rules, policies and built-ins); exits with 1 when one fails
    TestRules {
        /// The test file: `tests: [{rule, bad: {files, findings}, good: {files}}]`
        #[arg(default_value = "routeguard-tests.yaml")]
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files and folders to lint, `-` for standard input [default: .]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub reports: Reports,
    /// Category of the SARIF analysis (`automationDetails.id`), so that several analyses of one
    /// commit (e.g. `openapi` and `gateways`) can be uploaded side by side
    #[arg(long, value_name = "CATEGORY", value_parser = NonEmptyStringValueParser::new())]
    pub sarif_category: Option<String>,
    /// Exit with 1 when a finding is at or above this severity [default: the config's
    /// `fail-on`, else error]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Project root: `$ref`s may not leave it [default: the enclosing git repository, else the
    /// working directory]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// When to use colour in the text report
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Report only the findings this baseline file does not record
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also list the findings that inline suppressions or the baseline accept
    #[arg(long)]
    pub show_suppressed: bool,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Reports for people print only the summary line; `-qq`: nothing (the exit code tells)
    #[arg(short, long, action = ArgAction::Count)]
    pub quiet: u8,
    /// Count the findings per rule and per severity instead of listing them; `=file`: per file
    /// too (text and concise reports)
    #[arg(long, value_name = "BY", value_enum, num_args = 0..=1, require_equals = true,
          default_missing_value = "rule")]
    pub statistics: Option<StatisticsBy>,
    /// Draw at most N findings in the text and concise reports, with a note of how many more
    /// there are (the other reports and the exit code count them all)
    #[arg(long, value_name = "N")]
    pub max_problems: Option<usize>,
    /// Keep at most N results in the SARIF report, errors first, then warnings, then infos; the
    /// run's `properties` say how many were left out. GitHub code scanning rejects a run of more
    /// than 25000
    #[arg(long, value_name = "N")]
    pub sarif_max_results: Option<usize>,
    /// Succeed when there is no file to lint, instead of exiting with 2 ("no files found")
    #[arg(long)]
    pub allow_empty: bool,
    /// Also list the files read but not linted (templates, other tools' files), with why
    #[arg(short, long)]
    pub verbose: bool,
    /// The name reports give standard input (read for the path `-`), e.g. `rendered.yaml`;
    /// its extension selects the syntax [default: <stdin>, read as YAML or JSON]
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `--select`, `--extend-select` and `--ignore`: rule ids or families, over the config.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectionArgs {
    /// Run only these rules: ids or families, comma-separated (`timeout,retry-unbounded`);
    /// files that cannot be read are reported whatever is selected
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Also run these rules (ids or families), besides those the config runs
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Do not run these rules (ids or families), whatever selects them
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
}

impl SelectionArgs {
    fn selection(&self) -> Result<crate::config::Selection, RunError> {
        let selection = crate::config::Selection {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
        };
        selection.validate().map_err(RunError)?;
        Ok(selection)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatisticsBy {
    /// Per rule and per severity
    Rule,
    /// Per rule, per severity and per file
    File,
}

#[derive(Debug, clap::Args)]
pub struct RoutesArgs {
    /// Files and folders to read [default: .]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, default_value = "table", value_parser = format_names(Kind::Routes))]
    pub format: String,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Project root, as for `lint`
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The name standard input (the path `-`) is given, as for `lint`
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct ScorecardArgs {
    /// Files and folders to read [default: .]
    pub paths: Vec<PathBuf>,
    /// Output format [default: from the extension of `-o`, else markdown]
    #[arg(long, value_parser = format_names(Kind::Scorecard))]
    pub format: Option<String>,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A scorecard written earlier with `--format json`: each figure shows its change since
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Project root, as for `lint`
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Succeed when there is no file to read, instead of exiting with 2 ("no files found")
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// List only the rules this preset turns on, with the severities and options it sets
    #[arg(long, value_name = "PRESET", value_parser = clap::builder::PossibleValuesParser::new(crate::config::Preset::names()))]
    pub preset: Option<String>,
    /// The config whose custom rules (rulesets, policies) are listed too
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The names `--format` takes for a command's reports, each with its one-line description.
fn format_names(kind: Kind) -> PossibleValuesParser {
    PossibleValuesParser::new(
        report::formats(kind).map(|format| PossibleValue::new(format.name).help(format.about)),
    )
}

/// One report of a run: its format and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub format: &'static Format,
    /// `None`: standard output.
    pub output: Option<PathBuf>,
}

/// The `--format` and `-o` values of a `lint` run, each with its position on the command line,
/// so that each `-o FILE` can be paired with the `--format` before it
/// (`--format sarif -o r.sarif --format text`); see [`Reports::requests`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    formats: Vec<(usize, &'static Format)>,
    outputs: Vec<(usize, PathBuf)>,
}

impl Reports {
    /// Each report to write and where, or why the arguments do not say that unambiguously.
    pub fn requests(&self) -> Result<Vec<ReportRequest>, String> {
        pair_reports(&self.formats, &self.outputs)
    }
}

const FORMAT_ARG: &str = "format";
const OUTPUT_ARG: &str = "output";

impl clap::Args for Reports {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                Arg::new(FORMAT_ARG)
                    .long("format")
                    .value_name("FORMAT")
                    .value_parser(format_names(Kind::Findings))
                    .action(ArgAction::Append)
                    .help(
                        "Report format; repeat it to write several reports from one run, each \
                         followed by its own `-o FILE` [default: text]",
                    ),
            )
            .arg(
                Arg::new(OUTPUT_ARG)
                    .short('o')
                    .long("output")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .action(ArgAction::Append)
                    .help(
                        "Write the report of the `--format` before it to FILE instead of \
                         standard output (at most one report goes to standard output)",
                    ),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

impl clap::FromArgMatches for Reports {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let formats = positioned::<String>(matches, FORMAT_ARG)
            .into_iter()
            .filter_map(|(position, name)| Some((position, report::format(Kind::Findings, &name)?)))
            .collect();
        Ok(Reports {
            formats,
            outputs: positioned(matches, OUTPUT_ARG),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Every value of argument `id`, each with its position on the command line.
fn positioned<T: Clone + Send + Sync + 'static>(matches: &ArgMatches, id: &str) -> Vec<(usize, T)> {
    matches
        .indices_of(id)
        .into_iter()
        .flatten()
        .zip(matches.get_many::<T>(id).into_iter().flatten().cloned())
        .collect()
}

/// Pairs each `-o` with the `--format` before it, given the position of every value on the
/// command line. Without `--format` there is one text report; a lone `--format` and a lone `-o`
/// belong together in either order.
fn pair_reports(
    formats: &[(usize, &'static Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<Vec<ReportRequest>, String> {
    if formats.is_empty() && !outputs.is_empty() {
        return infer_formats(outputs);
    }
    let default = [(0, &report::FORMATS[0])];
    let formats = if formats.is_empty() {
        &default[..]
    } else {
        formats
    };
    let mut reports: Vec<ReportRequest> = formats
        .iter()
        .map(|&(_, format)| ReportRequest {
            format,
            output: None,
        })
        .collect();
    if let ([report], [(_, output)]) = (reports.as_mut_slice(), outputs) {
        report.output = Some(output.clone());
        return Ok(reports);
    }
    for (position, output) in outputs {
        let owner = formats
            .iter()
            .rposition(|&(format_position, _)| format_position < *position);
        let Some(report) = owner.and_then(|owner| reports.get_mut(owner)) else {
            return Err(format!(
                "`-o {}` must follow the `--format` it is for, as in `--format sarif -o {0}`",
                output.display()
            ));
        };
        if let Some(previous) = &report.output {
            return Err(format!(
                "`--format {}` has two outputs, `{}` and `{}`; give each its own `--format`",
                report.format.name,
                previous.display(),
                output.display()
            ));
        }
        report.output = Some(output.clone());
    }
    let to_stdout: Vec<&ReportRequest> = reports.iter().filter(|r| r.output.is_none()).collect();
    if let [first, second, ..] = to_stdout.as_slice() {
        return Err(format!(
            "only one report can go to standard output, but `--format {}` and `--format {}` \
             both have no `-o FILE`",
            first.format.name, second.format.name
        ));
    }
    // `same.out`, `./same.out` and `/abs/same.out` are one file.
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut written_by: HashMap<PathBuf, &Format> = HashMap::default();
    for report in &reports {
        let Some(output) = &report.output else {
            continue;
        };
        let key = crate::source::normalize_path(&cwd.join(output));
        if let Some(first) = written_by.insert(key, report.format) {
            return Err(format!(
                "`{}` is the output of both `--format {}` and `--format {}`",
                output.display(),
                first.name,
                report.format.name
            ));
        }
    }
    Ok(reports)
}

/// Without `--format`, each `-o FILE` takes its format from the file's extension; one it does
/// not name is an error rather than a text report in a `.html` file.
fn infer_formats(outputs: &[(usize, PathBuf)]) -> Result<Vec<ReportRequest>, String> {
    outputs
        .iter()
        .map(|(_, output)| {
            let format = report::format_for_path(Kind::Findings, output).ok_or_else(|| {
                let known: Vec<String> = report::formats(Kind::Findings)
                    .flat_map(|format| {
                        format
                            .extensions
                            .iter()
                            .map(move |extension| format!(".{extension} ({})", format.name))
                    })
                    .collect();
                format!(
                    "cannot tell the format of `{}` from its extension; give `--format` \
                     (extensions known: {})",
                    output.display(),
                    known.join(", ")
                )
            })?;
            Ok(ReportRequest {
                format,
                output: Some(output.clone()),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

impl ListFormat {
    fn listing(self) -> Listing {
        match self {
            ListFormat::Text => Listing::Text,
            ListFormat::Json => Listing::Json,
        }
    }
}

/// `--fail-on`'s values: the config's [`FailOn`], spelled for the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> FailOn {
        match arg {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Info => FailOn::Info,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// How a command ended, mapped to the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: nothing at or above `--fail-on`.
    Clean,
    /// 1: at least one finding at or above `--fail-on`.
    Findings,
}

/// Why a command could not be carried out (exit code 2).
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

pub fn run(cli: Cli) -> Result<Outcome, RunError> {
    match cli.command {
        Command::Lint(args) => run_lint(&args),
        Command::Rules(args) => {
            let format = args.format.listing();
            match &args.preset {
                Some(name) => {
                    let preset = governance::preset_named(name)?;
                    write_output(None, |out| listing::preset(preset, format, out))?;
                }
                None => {
                    let config = governance::load_config(&args.config)?;
                    let custom = custom::listed(&config);
                    write_output(None, |out| listing::rules(format, &custom, out))?;
                }
            }
            Ok(Outcome::Clean)
        }
        Command::Routes(args) => {
            let config = governance::load_config(&args.config)?;
            let outcome = lint(&LintOptions {
                paths: args.paths.clone(),
                root: args.root.clone(),
                limits: args.limits.limits(&config),
                config,
                baseline: None,
                progress: None,
                stdin: read_stdin(&args.paths, args.stdin_filename.as_deref())?,
            })
            .map_err(|error| RunError(error.to_string()))?;
            let format = report::format(Kind::Routes, &args.format)
                .ok_or_else(|| RunError(format!("unknown format `{}`", args.format)))?;
            let routes = (format.build)(&Settings::default());
            write_output(args.output.as_deref(), |out| routes.emit(&outcome, out))?;
            Ok(Outcome::Clean)
        }
        Command::Report(args) => run_scorecard(&args),
        Command::Explain { rule, config } => {
            let config = governance::load_config(&config)?;
            if let Some(text) = custom::explain(&rule, &config) {
                write_output(None, |out| out.write_all(text.as_bytes()))?;
                return Ok(Outcome::Clean);
            }
            let meta = rule_named(&rule)?;
            write_output(None, |out| listing::explain(meta, Some(&config), out))?;
            Ok(Outcome::Clean)
        }
        Command::Baseline {
            command: BaselineCommand::Write(args),
        } => governance::write_baseline(&args),
        Command::Init(args) => governance::init(&args),
        Command::Schema => {
            emit(None, &crate::config::schema::render())?;
            Ok(Outcome::Clean)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            write_output(None, |out| {
                clap_complete::generate(shell, &mut command, "routeguard", out);
                Ok(())
            })?;
            Ok(Outcome::Clean)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            write_output(None, |out| clap_mangen::Man::new(command).render(out))?;
            Ok(Outcome::Clean)
        }
        Command::TestRules { file, config } => {
            let config = governance::load_config(&config)?;
            let (report, passed) = custom::test_rules(&file, &config)?;
            emit(None, &report)?;
            Ok(if passed {
                Outcome::Clean
            } else {
                Outcome::Findings
            })
        }
    }
}

/// `routeguard report`.
fn run_scorecard(args: &ScorecardArgs) -> Result<Outcome, RunError> {
    let format = match (&args.format, &args.output) {
        (Some(name), _) => report::format(Kind::Scorecard, name),
        (None, Some(output)) => Some(report::format_for_path(Kind::Scorecard, output).ok_or_else(
            || {
                RunError(format!(
                    "cannot tell the format of `{}` from its extension; give `--format` \
                     (.md markdown, .html html, .json json)",
                    output.display()
                ))
            },
        )?),
        (None, None) => report::format(Kind::Scorecard, "markdown"),
    }
    .ok_or_else(|| RunError("unknown scorecard format".to_string()))?;
    let previous = args
        .baseline
        .as_deref()
        .map(|path| {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|error| RunError(format!("cannot read `{shown}`: {error}")))?;
            report::scorecard::Scorecard::read(&text)
                .map(std::sync::Arc::new)
                .map_err(|error| RunError(format!("`{shown}` is not a scorecard: {error}")))
        })
        .transpose()?;
    let mut config = governance::load_config(&args.config)?;
    config.selection = args.selection.selection()?;
    for skipped in [&args.baseline, &args.output].into_iter().flatten() {
        config.filter.skip(skipped);
    }
    let progress = progress::for_run(0);
    let outcome = lint(&LintOptions {
        paths: args.paths.clone(),
        root: args.root.clone(),
        limits: args.limits.limits(&config),
        config,
        baseline: None,
        stdin: read_stdin(&args.paths, None)?,
        progress: progress
            .clone()
            .map(|bar| bar as std::sync::Arc<dyn crate::lint::Progress>),
    });
    if let Some(bar) = &progress {
        bar.finish();
    }
    let outcome = outcome.map_err(|error| RunError(error.to_string()))?;
    nonempty(&outcome, args.allow_empty)?;
    let scorecard = (format.build)(&Settings {
        previous_scorecard: previous,
        ..Settings::default()
    });
    write_output(args.output.as_deref(), |out| scorecard.emit(&outcome, out))?;
    Ok(Outcome::Clean)
}

/// The catalog entry of `rule`, or an error that suggests the nearest id.
fn rule_named(rule: &str) -> Result<&'static catalog::RuleMeta, RunError> {
    catalog::get(rule).ok_or_else(|| {
        let hint = crate::suggest::hint(rule, catalog::all().iter().map(|meta| meta.id.as_str()));
        RunError(format!(
            "unknown rule `{rule}`{hint} (`routeguard rules` lists them all)"
        ))
    })
}

fn run_lint(args: &LintArgs) -> Result<Outcome, RunError> {
    let reports = args.reports.requests().map_err(RunError)?;
    if args.sarif_category.is_some() && !reports.iter().any(|r| r.format.name == "sarif") {
        return Err(RunError(
            "`--sarif-category` applies to SARIF reports, but there is no `--format sarif`"
                .to_string(),
        ));
    }
    let mut config = governance::load_config(&args.config)?;
    config.selection = args.selection.selection()?;
    if let Some(baseline) = &args.baseline {
        config.filter.skip(baseline);
    }
    let threshold = args
        .fail_on
        .map(FailOn::from)
        .or(config.fail_on)
        .unwrap_or(FailOn::Error)
        .threshold();
    let cwd = governance::working_directory()?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|path| crate::config::baseline::Baseline::read(path, &cwd))
        .transpose()
        .map_err(|error| RunError(error.to_string()))?;
    let custom_rules: Vec<_> = config.custom.metas().cloned().collect();
    let progress = progress::for_run(args.quiet);
    let outcome = lint(&LintOptions {
        paths: args.paths.clone(),
        root: args.root.clone(),
        limits: args.limits.limits(&config),
        config,
        baseline,
        stdin: read_stdin(&args.paths, args.stdin_filename.as_deref())?,
        progress: progress
            .clone()
            .map(|bar| bar as std::sync::Arc<dyn crate::lint::Progress>),
    });
    if let Some(bar) = &progress {
        bar.finish();
    }
    let outcome = outcome.map_err(|error| RunError(error.to_string()))?;
    for notice in &outcome.notices {
        eprintln!("note: {notice}");
    }
    nonempty(&outcome, args.allow_empty)?;
    refuse_outputs_over_inputs(&reports, &outcome)?;
    // Files first and standard output last, so that a terminal ends with the report people read;
    // every report is attempted even when one cannot be written.
    let (files, stdout): (Vec<_>, Vec<_>) =
        reports.iter().partition(|request| request.output.is_some());
    let failures: Vec<String> = files
        .into_iter()
        .chain(stdout)
        .filter_map(|request| {
            let report = (request.format.build)(&Settings {
                custom_rules: custom_rules.clone(),
                ..settings(request, args, threshold)
            });
            let written = write_output(request.output.as_deref(), |out| report.emit(&outcome, out));
            for warning in report.warnings(&outcome) {
                eprintln!("routeguard: warning: {warning}");
            }
            written.err()
        })
        .map(|error| error.0)
        .collect();
    if !failures.is_empty() {
        return Err(RunError(failures.join("; ")));
    }
    let result = if outcome.fails(threshold) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    // The process ends with this run: freeing a large run's findings and documents node by
    // node costs more than the system reclaiming the process's memory at once.
    std::mem::forget(outcome);
    Ok(result)
}

/// A report written over a file the run just read would destroy the input it describes.
fn refuse_outputs_over_inputs(
    reports: &[ReportRequest],
    outcome: &crate::lint::LintOutcome,
) -> Result<(), RunError> {
    for output in reports.iter().filter_map(|report| report.output.as_deref()) {
        let Ok(canonical) = std::fs::canonicalize(output) else {
            continue;
        };
        if outcome.workspace.file_id(&canonical).is_some() {
            return Err(RunError(format!(
                "`{}` is one of the files being linted; write the report somewhere else",
                output.display()
            )));
        }
    }
    Ok(())
}

/// "no files found" (eslint's convention) for a run with nothing to lint, unless allowed: a
/// mistyped path or glob must not pass green.
fn nonempty(outcome: &report::Outcome, allow_empty: bool) -> Result<(), RunError> {
    let nothing = outcome.linted_files().next().is_none()
        && outcome.diagnostics.is_empty()
        && outcome.suppressed.is_empty();
    if nothing && !allow_empty {
        return Err(RunError(
            "no files found: no YAML, JSON or TOML file to lint in the paths given \
             (`--allow-empty` accepts that)"
                .to_string(),
        ));
    }
    Ok(())
}

/// Whether standard output gets colour: `--color`, else `FORCE_COLOR`, else `NO_COLOR`,
/// `CLICOLOR_FORCE`, `CLICOLOR=0` and whether it is a terminal, as anstream reads them.
fn stdout_color(choice: Color) -> bool {
    match choice {
        Color::Always => return true,
        Color::Never => return false,
        Color::Auto => {}
    }
    // FORCE_COLOR (Node's and many tools' convention): set and not `0`/`false` forces colour.
    if let Some(force) = std::env::var_os("FORCE_COLOR").filter(|value| !value.is_empty()) {
        return force != "0" && force != "false";
    }
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Standard input, when a path is `-`: read once, bounded like any file.
fn read_stdin(paths: &[PathBuf], name: Option<&Path>) -> Result<Option<StdinInput>, RunError> {
    use std::io::Read;
    if !paths.iter().any(|path| path.as_os_str() == STDIN_PATH) {
        return match name {
            Some(_) => Err(RunError(
                "`--stdin-filename` names standard input, which is read only when a path is `-`"
                    .to_string(),
            )),
            None => Ok(None),
        };
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(crate::source::MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| RunError(format!("cannot read standard input: {error}")))?;
    Ok(Some(StdinInput {
        name: name.map(Path::to_path_buf),
        bytes,
    }))
}

/// What the flags of a `lint` run tell the report `request`.
fn settings(request: &ReportRequest, args: &LintArgs, threshold: Option<Severity>) -> Settings {
    let color = match request.output {
        None => stdout_color(args.color),
        Some(_) => args.color == Color::Always,
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse::<usize>().ok())
        .filter(|&columns| columns >= 40)
        .unwrap_or(100);
    Settings {
        color,
        width,
        show_suppressed: args.show_suppressed,
        sarif_category: args.sarif_category.clone(),
        threshold,
        quiet: args.quiet,
        statistics: args.statistics.map(|by| match by {
            StatisticsBy::Rule => report::human::Statistics::Rule,
            StatisticsBy::File => report::human::Statistics::File,
        }),
        max_problems: args.max_problems,
        sarif_max_results: args.sarif_max_results,
        previous_scorecard: None,
        verbose: args.verbose,
        custom_rules: Vec::new(),
    }
}

/// Writes `text` to standard output, or to a file as [`write::write_report`] describes.
fn emit(output: Option<&Path>, text: &str) -> Result<(), RunError> {
    write_output(output, |out| out.write_all(text.as_bytes()))
}

/// Runs `write` on standard output, or on a file as [`write::write_report`] describes.
fn write_output(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), RunError> {
    let Some(path) = output else {
        let mut stdout = BufWriter::new(std::io::stdout().lock());
        return match write(&mut stdout).and_then(|()| stdout.flush()) {
            Ok(()) => Ok(()),
            // A closed pipe (`routeguard lint | head`) is the reader's choice, not a failure.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(error) => Err(RunError(format!("cannot write the report: {error}"))),
        };
    };
    write::write_report(path, write)
        .map_err(|error| RunError(format!("cannot write the report to {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(args: &[&str]) -> Result<Vec<ReportRequest>, String> {
        let cli = Cli::try_parse_from(["routeguard", "lint"].iter().chain(args))
            .map_err(|error| error.to_string())?;
        match cli.command {
            Command::Lint(lint) => lint.reports.requests(),
            other => Err(format!("parsed as {other:?}")),
        }
    }

    fn report(format: &str, output: Option<&str>) -> ReportRequest {
        ReportRequest {
            format: report::format(Kind::Findings, format).unwrap(),
            output: output.map(PathBuf::from),
        }
    }

    #[test]
    fn one_text_report_to_stdout_by_default() {
        assert_eq!(requests(&[]), Ok(vec![report("text", None)]));
        assert_eq!(
            requests(&["-o", "out.txt"]),
            Ok(vec![report("text", Some("out.txt"))])
        );
    }

    #[test]
    fn a_single_format_and_output_pair_in_either_order() {
        let expected = Ok(vec![report("json", Some("report.json"))]);
        assert_eq!(
            requests(&["--format", "json", "-o", "report.json"]),
            expected
        );
        assert_eq!(
            requests(&["-o", "report.json", "--format", "json"]),
            expected
        );
        assert_eq!(
            requests(&["--format=json", "--output=report.json"]),
            expected
        );
        assert_eq!(
            requests(&["--format", "json"]),
            Ok(vec![report("json", None)])
        );
    }

    #[test]
    fn each_output_belongs_to_the_format_before_it() {
        assert_eq!(
            requests(&[
                "--format",
                "sarif",
                "-o",
                "r.sarif",
                "--format",
                "text",
                "--format",
                "junit",
                "-o",
                "junit.xml",
                "fixtures",
            ]),
            Ok(vec![
                report("sarif", Some("r.sarif")),
                report("text", None),
                report("junit", Some("junit.xml")),
            ])
        );
    }

    #[test]
    fn ambiguous_pairings_are_refused() {
        let error = requests(&["--format", "sarif", "--format", "text"]).unwrap_err();
        assert!(
            error.contains("only one report can go to standard output"),
            "{error}"
        );
        let error = requests(&["-o", "a", "--format", "json", "--format", "text"]).unwrap_err();
        assert!(error.contains("must follow the `--format`"), "{error}");
        let error =
            requests(&["--format", "json", "-o", "a", "-o", "b", "--format", "text"]).unwrap_err();
        assert!(error.contains("has two outputs"), "{error}");
        let error = requests(&[
            "--format", "json", "-o", "a", "--format", "junit", "-o", "a",
        ])
        .unwrap_err();
        assert!(error.contains("is the output of both"), "{error}");
    }
}
