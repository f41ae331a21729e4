//! The commands and arguments of the governance config: `--config`/`--no-config`, `init`,
//! and `baseline write`.

use std::path::PathBuf;

use clap::Subcommand;

use super::{emit, Outcome, RunError};
use crate::config::baseline::{self, Baseline};
use crate::config::{self, schema, Config, ConfigChoice, Preset};
use crate::lint::{lint, LintOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Use this config file instead of looking for routeguard.yaml or .routeguard.yaml in the
    /// working directory and its parents up to the repository root
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use no config file: the `recommended` preset and nothing else
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

impl ConfigArgs {
    fn choice(&self) -> ConfigChoice {
        match (&self.config, self.no_config) {
            (_, true) => ConfigChoice::Defaults,
            (Some(path), false) => ConfigChoice::File(path.clone()),
            (None, false) => ConfigChoice::Discover,
        }
    }
}

/// How much of each input a run reads and builds; see docs/security.md.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Memory, in MiB, that loading one file may use: a file whose tree would need more is
    /// reported (`input-refused`) and not read [default: the config's `memory-limit`, else 2048]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
    pub memory_limit: Option<u64>,
}

impl LimitArgs {
    /// The limits of a run: the flag's memory limit, else the config's, else the default.
    pub fn limits(&self, config: &Config) -> crate::source::Limits {
        crate::source::Limits::with_memory_limit(
            self.memory_limit
                .or(config.memory_limit)
                .unwrap_or(crate::source::DEFAULT_MEMORY_LIMIT_MIB),
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Record the findings of a run; findings recorded earlier for files outside this run are kept
    Write(BaselineWriteArgs),
}

#[derive(Debug, clap::Args)]
pub struct BaselineWriteArgs {
    /// Files and folders to lint [default: .]
    pub paths: Vec<PathBuf>,
    /// The baseline file to write (merged with what it already holds)
    #[arg(short, long, value_name = "FILE", default_value = baseline::DEFAULT_FILE)]
    pub output: PathBuf,
    /// Project root: `$ref`s may not leave it, and recorded paths are relative to it
    /// [default: the enclosing git repository, else the working directory]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The preset the starter config extends
    #[arg(long, default_value = "recommended", value_parser = clap::builder::PossibleValuesParser::new(crate::config::Preset::names()))]
    pub preset: String,
}

/// The config a command runs with.
pub fn load_config(args: &ConfigArgs) -> Result<Config, RunError> {
    config::load(&args.choice(), &working_directory()?).map_err(|error| RunError(error.to_string()))
}

/// The working directory, absolute and canonical.
pub fn working_directory() -> Result<PathBuf, RunError> {
    let cwd = std::env::current_dir()
        .map_err(|error| RunError(format!("cannot read the working directory: {error}")))?;
    Ok(std::fs::canonicalize(&cwd).unwrap_or(cwd))
}

pub fn preset_named(name: &str) -> Result<Preset, RunError> {
    Preset::parse(name).ok_or_else(|| {
        RunError(format!(
            "unknown preset `{name}`{}",
            crate::suggest::hint(name, Preset::names())
        ))
    })
}

/// `routeguard baseline write`.
pub fn write_baseline(args: &BaselineWriteArgs) -> Result<Outcome, RunError> {
    let mut config = load_config(&args.config)?;
    config.filter.skip(&args.output);
    let previous = if args.output.exists() {
        Some(
            Baseline::read(&args.output, &working_directory()?).map_err(|error| {
                RunError(format!("{error} (remove it to start a new baseline)"))
            })?,
        )
    } else {
        None
    };
    let outcome = lint(&LintOptions {
        paths: args.paths.clone(),
        root: args.root.clone(),
        limits: args.limits.limits(&config),
        config,
        baseline: None,
        progress: None,
        stdin: None,
    })
    .map_err(|error| RunError(error.to_string()))?;
    let recorded = Baseline::record(&outcome.workspace, &outcome.diagnostics, previous.as_ref());
    emit(Some(&args.output), &recorded.to_json())?;
    let total: u64 = recorded
        .findings
        .iter()
        .map(|entry| u64::from(entry.count))
        .sum();
    let kept = total.saturating_sub(outcome.diagnostics.len() as u64);
    let kept_note = if kept > 0 {
        format!(", {kept} kept from files outside this run")
    } else {
        String::new()
    };
    emit(
        None,
        &format!(
            "recorded {total} finding{} in {}{kept_note}\n",
            if total == 1 { "" } else { "s" },
            crate::source::slash_path(&args.output)
        ),
    )?;
    Ok(Outcome::Clean)
}

/// `routeguard init`: writes the starter config, never over an existing one.
pub fn init(args: &InitArgs) -> Result<Outcome, RunError> {
    let preset = preset_named(&args.preset)?;
    if let Some(existing) = config::FILE_NAMES
        .iter()
        .find(|name| std::path::Path::new(name).exists())
    {
        return Err(RunError(format!(
            "`{existing}` already exists; edit it, or remove it to start over"
        )));
    }
    let path = config::FILE_NAMES[0];
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, starter_config(preset).as_bytes())
        });
    written.map_err(|error| RunError(format!("cannot write `{path}`: {error}")))?;
    emit(
        None,
        &format!("wrote {path} (extends `{preset}`); `routeguard lint` now uses it\n"),
    )?;
    Ok(Outcome::Clean)
}

/// The commented starter config `init` writes.
pub fn starter_config(preset: Preset) -> String {
    format!(
        "\
# yaml-language-server: $schema={schema}
# routeguard configuration; every key is described in docs/configuration.md.

# The preset to start from: off | recommended | strict | all.
# `routeguard rules --preset NAME` lists what each one turns on.
extends: {preset}

# Folder walks lint only files matching `include` (everything when it is empty)
# and skip those matching `exclude`. Globs are relative to this file; files named
# on the command line are always linted.
include: []
exclude: [\"**/node_modules/**\"]

# The lowest severity that makes `routeguard lint` exit with 1:
# error | warning | info | never (`--fail-on` on the command line wins).
fail-on: error

# Per rule: a severity (error | warning | info | on | off), or a mapping of
# `severity` and the rule's options. `routeguard explain RULE` shows a rule's
# options and its current settings.
rules:
  # operation-description: warning
  # operation-summary: {{ max-length: 80 }}
  # operation-id: {{ style: camelCase }}

# Settings for some files or routes; later entries win.
overrides:
  # - files: [\"legacy/**\"]
  #   rules: {{ operation-description: off }}
  # - routes: [\"GET /health\", \"* /internal/**\"]
  #   rules: {{ error-responses: off }}

# Gateway layers a request passes in a row, front first, by configuration file.
# Without it, routes of one kind (edge, mesh, AI) are alternatives, such as
# dev and prod configurations of one gateway. Files no layer holds come behind.
layers:
  # - name: front-proxy
  #   files: [\"envoy/front/**\"]
  # - name: sidecars
  #   files: [\"envoy/sidecar/**\"]

# Inline suppressions (an x-routeguard-ignore list on an operation, or a YAML
# comment above a node naming the rule) should say why the finding is acceptable.
suppressions:
  require-reason: true
",
        schema = schema::SCHEMA_URL,
        preset = preset.name(),
    )
}
