//! Output people read and the command-line conventions around it: `--format concise`, grouped
//! frames with one "rules involved" block, `--statistics`, `--quiet`, `--max-problems`,
//! `--select`/`--ignore`, globs, "no files found", `-o` by extension, completions, the man page,
//! colour variables and SARIF caps.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common;

use common::{repo, routeguard, run};

const DEMO: &str = "fixtures/demo";

/// The demo's findings as `(file:line:col, rule, route)` from the JSON report.
fn demo_findings(extra: &[&str]) -> Vec<(String, String, Option<String>)> {
    let mut args = vec!["lint", "--format", "json", DEMO];
    args.extend_from_slice(extra);
    let result = run(&repo(), &args);
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON report");
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                format!(
                    "{}:{}:{}",
                    d["file"].as_str().unwrap(),
                    d["line"],
                    d["column"]
                ),
                d["rule"].as_str().unwrap().to_string(),
                d["route"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn concise_is_one_line_per_finding_then_the_summary() {
    let result = run(&repo(), &["lint", "--format", "concise", DEMO]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let lines: Vec<&str> = result.stdout.lines().collect();
    let findings = demo_findings(&[]);
    assert_eq!(lines.len(), findings.len() + 1, "{}", result.stdout);
    for (line, (at, rule, route)) in lines.iter().zip(&findings) {
        assert!(line.starts_with(&format!("{at}: ")), "{line} / {at}");
        assert!(line.contains(&format!("[{rule}] ")), "{line}");
        // The route is named once: in the message, or after it when the message does not.
        if let Some(route) = route {
            assert_eq!(line.matches(route.as_str()).count(), 1, "{line}");
        }
    }
    assert_eq!(
        lines.last(),
        Some(&"8 errors, 23 warnings, 1 info in 6 files (6 operations)")
    );
    assert_eq!(
        lines[0],
        "fixtures/demo/gateway/istio.yaml:18:19: warning[retry-budget-exceeds-timeout] Istio \
         route `pets-api` (* /v1/pets*) in fixtures/demo/gateway/istio.yaml: 3 attempts × 2s + \
         98ms backoff = 6.098s exceeds the 6s timeout, so only 1 of its 2 retries can run to \
         their full per-try timeout"
    );
}

#[test]
fn text_groups_by_file_then_route_and_explains_each_rule_once() {
    let result = run(&repo(), &["lint", DEMO]);
    let text = &result.stdout;
    let findings = demo_findings(&[]);
    let rules: std::collections::BTreeSet<&str> =
        findings.iter().map(|(_, rule, _)| rule.as_str()).collect();
    let (frames, involved) = text.split_once("\nrules involved\n").expect("rules block");
    // Each rule's `why:` is written once, in the block at the end, never under a frame.
    assert!(!frames.contains("why:"), "{frames}");
    assert_eq!(
        involved.matches("    why: ").count(),
        rules.len(),
        "{involved}"
    );
    for rule in &rules {
        assert_eq!(
            involved.matches(&format!("\n  {rule} (")).count()
                + usize::from(involved.starts_with(&format!("  {rule} ("))),
            1,
            "{rule}"
        );
    }
    // A file's header comes once, before all its findings; a route's header once per file.
    let headers: Vec<&str> = frames
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.is_empty())
        .collect();
    assert_eq!(
        headers,
        [
            "fixtures/demo/gateway/istio.yaml",
            "fixtures/demo/gateway/kong.yaml",
            "fixtures/demo/gateway/litellm.yaml",
            "fixtures/demo/openapi.yaml",
            "fixtures/demo/paths/pet.yaml",
        ]
    );
    let kong = frames
        .split("fixtures/demo/gateway/kong.yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("kong group");
    assert_eq!(kong.matches("\n  * /v1/orders*\n").count(), 1, "{kong}");
    // Every finding's location starts a line, in the order of the JSON report within a route.
    for (at, _, _) in &findings {
        assert!(frames.contains(&format!(" {at}: ")), "{at}");
    }
}

#[test]
fn statistics_count_per_rule_and_severity_and_file() {
    let result = run(&repo(), &["lint", "--statistics", DEMO]);
    assert_eq!(result.code, 1);
    let findings = demo_findings(&[]);
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, rule, _) in &findings {
        *per_rule.entry(rule).or_default() += 1;
    }
    let lines: Vec<&str> = result.stdout.lines().collect();
    // Most frequent first, like ruff --statistics.
    let (top_rule, top_count) = per_rule
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .unwrap();
    assert!(
        lines[0]
            .trim_start()
            .starts_with(&format!("{top_count}  {top_rule} ")),
        "{}",
        result.stdout
    );
    for (rule, count) in &per_rule {
        assert!(
            lines
                .iter()
                .any(|line| line.trim_start().starts_with(&format!("{count}  {rule} "))),
            "{rule}: {}",
            result.stdout
        );
    }
    assert!(lines.iter().any(|line| line.trim() == "23  warning"));
    assert!(lines.iter().any(|line| line.trim() == "8  error"));
    assert!(!result.stdout.contains("fixtures/demo/gateway/kong.yaml"));
    let by_file = run(&repo(), &["lint", "--statistics=file", DEMO]);
    let kong = findings
        .iter()
        .filter(|(at, _, _)| at.starts_with("fixtures/demo/gateway/kong.yaml:"))
        .count();
    assert!(
        by_file
            .stdout
            .lines()
            .any(|line| line.trim() == format!("{kong}  fixtures/demo/gateway/kong.yaml")),
        "{}",
        by_file.stdout
    );
    assert!(by_file
        .stdout
        .ends_with("8 errors, 23 warnings, 1 info in 6 files (6 operations)\n"));
}

#[test]
fn quiet_prints_the_summary_and_twice_nothing() {
    let once = run(&repo(), &["lint", "-q", DEMO]);
    assert_eq!(once.code, 1);
    assert_eq!(
        once.stdout,
        "8 errors, 23 warnings, 1 info in 6 files (6 operations)\n"
    );
    let twice = run(&repo(), &["lint", "-qq", DEMO]);
    assert_eq!((twice.code, twice.stdout.as_str()), (1, ""));
    // Machine reports are complete whatever `-q` says.
    let json = run(&repo(), &["lint", "-qq", "--format", "json", DEMO]);
    assert!(json.stdout.contains("\"diagnostics\""));
}

#[test]
fn max_problems_cuts_with_a_note() {
    let result = run(
        &repo(),
        &["lint", "--format", "concise", "--max-problems", "4", DEMO],
    );
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", result.stdout);
    assert_eq!(lines[4], "28 more findings not shown (--max-problems 4)");
    assert_eq!(result.code, 1, "the exit code counts every finding");
    let text = run(&repo(), &["lint", "--max-problems", "1", DEMO]);
    assert!(text
        .stdout
        .contains("31 more findings not shown (--max-problems 1)"));
    assert_eq!(text.stdout.matches("    why: ").count(), 1);
}

#[test]
fn select_ignore_and_extend_select_take_ids_and_families() {
    let rules = |extra: &[&str]| -> std::collections::BTreeSet<String> {
        demo_findings(extra)
            .into_iter()
            .map(|(_, rule, _)| rule)
            .collect()
    };
    let all = rules(&[]);
    assert!(all.contains("retry-amplification") && all.contains("operation-summary"));
    assert_eq!(
        rules(&["--select", "retry-amplification"]),
        ["retry-amplification".to_string()].into()
    );
    let retry_family = rules(&["--select", "retry"]);
    assert!(retry_family.iter().all(|rule| rule.starts_with("retry")));
    assert!(retry_family.contains("retry-non-idempotent"));
    let ignored = rules(&["--ignore", "docs,retry-amplification"]);
    assert!(!ignored.contains("retry-amplification") && !ignored.contains("operation-summary"));
    assert!(ignored.contains("retry-excessive"));
    let both = rules(&["--select", "retry", "--ignore", "retry-excessive"]);
    assert!(!both.contains("retry-excessive") && both.contains("retry-amplification"));
    // A rule the recommended preset leaves off runs with --extend-select.
    let file = "fixtures/litellm/context-window-only.yaml";
    let off = run(&repo(), &["lint", "--format", "concise", file]);
    assert!(
        !off.stdout.contains("[fallback-trigger-scope]"),
        "{}",
        off.stdout
    );
    let on = run(
        &repo(),
        &[
            "lint",
            "--format",
            "concise",
            "--extend-select",
            "fallback-trigger-scope",
            file,
        ],
    );
    assert!(
        on.stdout
            .contains(&format!("{file}:14:7: info[fallback-trigger-scope] ")),
        "{}",
        on.stdout
    );
    let unknown = run(&repo(), &["lint", "--select", "retyr", DEMO]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("`retyr` is neither a rule nor a family"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn quoted_globs_are_expanded_and_nothing_to_lint_is_exit_2() {
    let glob = run(
        &repo(),
        &[
            "lint",
            "--format",
            "concise",
            "fixtures/demo/gateway/*.yaml",
        ],
    );
    assert_eq!(glob.code, 1, "{}", glob.stderr);
    assert!(glob.stdout.contains("fixtures/demo/gateway/kong.yaml:"));
    assert!(!glob.stdout.contains("fixtures/demo/openapi.yaml:"));
    assert!(
        glob.stdout.ends_with("in 3 files (0 operations)\n"),
        "{}",
        glob.stdout
    );
    let recursive = run(&repo(), &["lint", "-q", "fixtures/demo/**/kong.yaml"]);
    assert!(
        recursive.stdout.contains("in 1 file"),
        "{}",
        recursive.stdout
    );

    let none = run(&repo(), &["lint", "fixtures/demo/*.nothing"]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("no files found"), "{}", none.stderr);
    let empty = tempfile::tempdir().unwrap();
    let folder = run(empty.path(), &["lint", "."]);
    assert_eq!(folder.code, 2);
    assert!(folder.stderr.contains("no files found"));
    let allowed = run(empty.path(), &["lint", "--allow-empty", "."]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
}

#[test]
fn output_format_follows_the_extension_without_format() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join(DEMO);
    let demo = demo.to_str().unwrap();
    for (file, starts) in [
        ("r.json", "{\n  \"version\""),
        ("r.sarif", "{\n  \"$schema\""),
        ("r.xml", "<?xml"),
    ] {
        let path = dir.path().join(file);
        let result = run(&repo(), &["lint", "-q", demo, "-o", path.to_str().unwrap()]);
        assert_eq!(result.code, 1, "{}", result.stderr);
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.starts_with(starts), "{file}: {}", &written[..40]);
    }
    let html = dir.path().join("r.html");
    let refused = run(&repo(), &["lint", demo, "-o", html.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("cannot tell the format of"),
        "{}",
        refused.stderr
    );
    assert!(!html.exists());
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef routeguard"),
        ("fish", "complete -c routeguard"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[routeguard]"),
    ] {
        let result = run(&repo(), &["completions", shell]);
        assert_eq!(result.code, 0, "{shell}: {}", result.stderr);
        assert!(result.stdout.contains(marker), "{shell}");
        assert!(result.stdout.contains("max-problems"), "{shell}");
    }
    let man = run(&repo(), &["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &man.stdout[..80]
    );
    assert!(
        man.stdout.contains(".TH routeguard 1"),
        "{}",
        &man.stdout[..200]
    );
}

#[test]
fn colour_variables_are_honoured() {
    let colour = |vars: &[(&str, &str)], args: &[&str]| -> bool {
        let mut command = routeguard(&repo());
        command.env_remove("NO_COLOR");
        for (name, value) in vars {
            command.env(name, value);
        }
        let mut all = vec!["lint", "--format", "concise", DEMO];
        all.extend_from_slice(args);
        let output = command.args(all).output().expect("runs");
        String::from_utf8_lossy(&output.stdout).contains('\u{1b}')
    };
    assert!(!colour(&[], &[]), "not a terminal: no colour");
    assert!(colour(&[("FORCE_COLOR", "1")], &[]));
    assert!(!colour(
        &[("FORCE_COLOR", "0"), ("CLICOLOR_FORCE", "1")],
        &[]
    ));
    assert!(colour(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!colour(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!colour(&[("CLICOLOR", "0")], &[]));
    assert!(!colour(&[("FORCE_COLOR", "1")], &["--color", "never"]));
}

#[test]
fn sarif_max_results_keeps_the_most_severe_and_says_so() {
    let result = run(
        &repo(),
        &[
            "lint",
            "--format",
            "sarif",
            "--sarif-max-results",
            "10",
            DEMO,
        ],
    );
    let sarif: Value = serde_json::from_str(&result.stdout).unwrap();
    let run_ = &sarif["runs"][0];
    let levels: Vec<&str> = run_["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels.len(), 10);
    // 8 errors, then 2 of the 23 warnings; no note-level result.
    assert_eq!(levels.iter().filter(|level| **level == "error").count(), 8);
    assert_eq!(
        levels.iter().filter(|level| **level == "warning").count(),
        2
    );
    assert_eq!(run_["properties"]["omittedResults"], 22);
    assert_eq!(run_["properties"]["maxResults"], 10);
    let uncapped = run(&repo(), &["lint", "--format", "sarif", DEMO]);
    let uncapped: Value = serde_json::from_str(&uncapped.stdout).unwrap();
    assert!(uncapped["runs"][0].get("properties").is_none());
    assert_eq!(uncapped["runs"][0]["results"].as_array().unwrap().len(), 32);
}

#[test]
fn readme_commands_marked_runnable_run() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme
        .split("Runnable as they are")
        .nth(1)
        .and_then(|rest| rest.split("In your own project").next())
        .expect("the README's runnable block");
    let commands: Vec<&str> = block
        .lines()
        .filter_map(|line| line.strip_prefix("routeguard "))
        .map(|line| line.split("  #").next().unwrap_or(line).trim())
        .collect();
    assert!(commands.len() >= 5, "{block}");
    for command in commands {
        // Arguments are words, or one quoted word (a glob).
        let args: Vec<String> = command
            .split_whitespace()
            .map(|word| word.trim_matches('\'').to_string())
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = run(&repo(), &args);
        assert!(
            matches!(result.code, 0 | 1) && result.stderr.is_empty(),
            "routeguard {command}: exit {}, {}",
            result.code,
            result.stderr
        );
        assert!(!result.stdout.is_empty(), "routeguard {command}");
    }
    // Placeholders are written as placeholders, never as paths that look real.
    let own = readme
        .split("In your own project")
        .nth(1)
        .and_then(|rest| rest.split("```\n\n").next())
        .unwrap();
    assert!(own.contains("<paths>..."), "{own}");
    assert!(!own.contains("specs/"), "{own}");
}
