//! Hostile input, as a stranger's pull request would bring it: every class of attack on the
//! runner ends in a located finding or a one-line error, within a generous deadline, with the
//! other files still linted. Inputs are generated here rather than committed as fixtures.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{at, located, Located};

/// Far above what any case takes; a case that hangs or goes quadratic does not finish in it.
const DEADLINE: Duration = Duration::from_secs(60);

/// A file that always yields one known finding: proof that the run went on past the hostile one.
const WITNESS: &str = "openapi: 3.0.3
info:
  title: Witness
  version: 1.0.0
paths:
  /w:
    get:
      summary: W
      description: W.
      responses:
        \"200\":
          description: OK.
        default:
          description: Error.
";

fn witness() -> Located {
    at("operation-id", "witness.yaml", 7, 5)
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A project root (it has a `.git`) holding `witness.yaml` and `files`.
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let mut all = vec![("witness.yaml", WITNESS.as_bytes())];
    all.extend_from_slice(files);
    crate::common::project(&all)
}

/// Runs the binary in `cwd` and waits at most [`DEADLINE`]: a run that does not end in time is
/// killed and the test fails. Output goes to files, so a large report cannot fill a pipe.
fn run(cwd: &Path, args: &[&str]) -> Outcome {
    run_within(cwd, args, DEADLINE)
}

/// [`run`] with its own deadline, for inputs large enough that a debug build on a busy machine
/// needs longer than [`DEADLINE`] even when the work is linear.
fn run_within(cwd: &Path, args: &[&str], deadline: Duration) -> Outcome {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let stdout_path = scratch.path().join("stdout");
    let stderr_path = scratch.path().join("stderr");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("routeguard"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("binary starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`routeguard {}` did not finish within {deadline:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |path: &Path| {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .expect("read output");
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Outcome {
        // Killed by a signal (a stack overflow aborts) has no code: -1 fails every assertion.
        code: status.code().unwrap_or(-1),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    }
}

/// `lint --format json ARGS`: exit code, findings and the parsed report.
fn lint(cwd: &Path, args: &[&str]) -> (i32, Vec<Located>, Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let outcome = run(cwd, &all);
    let report: Value = serde_json::from_str(&outcome.stdout).unwrap_or_else(|error| {
        panic!(
            "report is JSON ({error}); exit {}; stderr: {}",
            outcome.code, outcome.stderr
        )
    });
    (outcome.code, located(&report), report)
}

/// The deadline of runs over inputs large enough that a debug build on a busy machine needs
/// longer than [`DEADLINE`] even when the work is linear; a quadratic run takes many times it.
const LARGE_DEADLINE: Duration = Duration::from_secs(240);

/// `routes --format json --no-config .` over a large input: the routes, the run having
/// succeeded within [`LARGE_DEADLINE`].
fn large_routes(cwd: &Path) -> Vec<Value> {
    let args = ["routes", "--format", "json", "--no-config", "."];
    let outcome = run_within(cwd, &args, LARGE_DEADLINE);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let mut report: Value = serde_json::from_str(&outcome.stdout).expect("routes JSON");
    match report["routes"].take() {
        Value::Array(routes) => routes,
        other => panic!("routes is a list, not {other}"),
    }
}

/// `lint --format json --no-config .` over a large input, within [`LARGE_DEADLINE`]: the outcome
/// and its parsed report.
fn large_lint(cwd: &Path) -> (Outcome, Value) {
    let args = ["lint", "--format", "json", "--no-config", "."];
    let outcome = run_within(cwd, &args, LARGE_DEADLINE);
    let report = serde_json::from_str(&outcome.stdout).unwrap_or_else(|error| {
        panic!(
            "report is JSON ({error}); exit {}; stderr: {}",
            outcome.code, outcome.stderr
        )
    });
    (outcome, report)
}

/// The findings of `rule` in a JSON report, in its order.
fn of_rule<'r>(report: &'r Value, rule: &str) -> Vec<&'r Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == rule)
        .collect()
}

/// Asserts that each route, named by a prefix of `prefix` characters and its number, has the
/// timeout its generator gave it: `number % 10 + 1` seconds.
fn assert_timeouts_cycle_by_number(routes: &[Value], prefix: usize) {
    for route in routes {
        let name = route["name"].as_str().expect("name");
        let index: usize = name[prefix..].parse().expect("number");
        assert_eq!(route["timeout_ms"], (index % 10 + 1) * 1_000, "{route}");
    }
}

fn message_of<'r>(report: &'r Value, rule: &str) -> &'r str {
    report["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["rule"] == rule))
        .and_then(|d| d["message"].as_str())
        .unwrap_or_else(|| panic!("no `{rule}` finding in {report}"))
}

fn help_of<'r>(report: &'r Value, rule: &str) -> &'r str {
    report["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["rule"] == rule))
        .and_then(|d| d["help"].as_str())
        .unwrap_or_default()
}

// 1. Deep nesting: no stack overflow, on the main thread or rayon's 2 MiB stacks.

#[test]
fn deep_block_yaml_is_a_located_parse_error_in_a_walked_folder() {
    let deep = format!("{}x\n", "- ".repeat(5_000));
    let single = format!("{}x\n", "- ".repeat(20_000));
    let dir = project(&[
        ("walked/deep.yaml", deep.as_bytes()),
        ("deeper.yaml", single.as_bytes()),
    ]);
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![
            at("parse-error", "deeper.yaml", 1, 1025),
            at("parse-error", "walked/deep.yaml", 1, 1025),
            witness(),
        ]
    );
}

#[test]
fn deep_json_and_toml_are_located_parse_errors() {
    let json = format!("{}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let toml = format!("a = {}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let dir = project(&[
        ("deep.json", json.as_bytes()),
        ("deep.toml", toml.as_bytes()),
    ]);
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    let rules: Vec<(&str, &str)> = found
        .iter()
        .map(|(rule, file, _, _)| (rule.as_str(), file.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("parse-error", "deep.json"),
            ("parse-error", "deep.toml"),
            ("operation-id", "witness.yaml"),
        ]
    );
    assert_eq!(found[0], at("parse-error", "deep.json", 1, 513));
}

#[test]
fn a_deep_config_is_a_located_error_not_an_abort() {
    let deep = format!("{}1\n", "- ".repeat(20_000));
    let dir = project(&[("deep-config.yaml", deep.as_bytes())]);
    let outcome = run(dir.path(), &["lint", "--config", "deep-config.yaml", "."]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("deep-config.yaml:1:1025:")
            && outcome.stderr.contains("nesting deeper than 512"),
        "{}",
        outcome.stderr
    );
}

// Found by the `config` fuzz target: the CEL parser recovers from syntax errors in time and
// memory exponential in their number; forty of them grew by 60 MB a second.
#[test]
fn a_policy_of_many_syntax_errors_is_refused_at_the_first() {
    let config = format!(
        "policies:\n  - id: p\n    message: m\n    assert: \"{}\"\n",
        "--(-n--)".repeat(40)
    );
    let dir = project(&[("routeguard.yaml", config.as_bytes())]);
    let outcome = run(dir.path(), &["lint", "."]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "routeguard.yaml:4:13: policy `p`: `assert` is not valid CEL: Syntax error: unexpected `)` (line 1, column 8)"
        ),
        "{}",
        outcome.stderr
    );
}

// 2. Symlinks out of the project root are refused and never read.

#[cfg(unix)]
#[test]
fn an_input_symlink_out_of_the_root_is_refused_unread() {
    let outside = tempfile::tempdir().expect("outside");
    let secret = outside.path().join("secret.ini");
    std::fs::write(&secret, "api_key = hunter2\n").expect("write secret");
    let dir = project(&[]);
    std::os::unix::fs::symlink(&secret, dir.path().join("spec.yaml")).expect("symlink");
    std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("env.yaml")).expect("symlink");
    let outcome = run(
        dir.path(),
        &["lint", "spec.yaml", "env.yaml", "witness.yaml"],
    );
    assert_eq!(outcome.code, 1);
    assert!(!outcome.stdout.contains("hunter2"), "{}", outcome.stdout);
    let (code, found, report) = lint(dir.path(), &["spec.yaml", "env.yaml", "witness.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![
            at("input-refused", "env.yaml", 1, 1),
            at("input-refused", "spec.yaml", 1, 1),
            witness(),
        ]
    );
    assert!(message_of(&report, "input-refused").contains("leads out of the project root"));
    // A path typed outside the root is the user's own choice.
    let typed = secret.with_file_name("typed.yaml");
    std::fs::write(&typed, WITNESS).expect("write typed");
    let (_, found, _) = lint(dir.path(), &[typed.to_str().expect("utf-8 path")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "operation-id");
}

#[cfg(unix)]
#[test]
fn config_and_baseline_symlinks_out_of_the_root_are_refused() {
    let outside = tempfile::tempdir().expect("outside");
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "rules: {}\n").expect("write");
    let dir = project(&[]);
    std::os::unix::fs::symlink(&secret, dir.path().join("routeguard.yaml")).expect("symlink");
    std::os::unix::fs::symlink(&secret, dir.path().join("baseline.json")).expect("symlink");
    let outcome = run(dir.path(), &["lint", "."]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("cannot read config `")
            && outcome.stderr.contains("leads out of the project root"),
        "{}",
        outcome.stderr
    );
    let outcome = run(
        dir.path(),
        &["lint", "--no-config", "--baseline", "baseline.json", "."],
    );
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("cannot read baseline `baseline.json`: symlink leads out"),
        "{}",
        outcome.stderr
    );
}

// 3. Report writing never follows or replaces what was planted at the path.

#[cfg(unix)]
#[test]
fn a_report_is_never_written_through_a_planted_symlink() {
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").expect("write victim");
    let dir = project(&[]);
    std::os::unix::fs::symlink(&victim, dir.path().join("report.json")).expect("symlink");
    let outcome = run(
        dir.path(),
        &["lint", "--format", "json", "-o", "report.json", "."],
    );
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("is a symlink"),
        "{}",
        outcome.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n"
    );
    assert!(std::fs::symlink_metadata(dir.path().join("report.json"))
        .expect("link")
        .is_symlink());
}

#[cfg(unix)]
#[test]
fn reports_are_written_through_special_files_and_leave_no_temporary() {
    use std::os::unix::fs::FileTypeExt;
    let dir = project(&[]);
    let null_is_a_device = || {
        std::fs::metadata("/dev/null").is_ok_and(|metadata| metadata.file_type().is_char_device())
    };
    if null_is_a_device() {
        let outcome = run(
            dir.path(),
            &["lint", "--format", "json", "-o", "/dev/null", "."],
        );
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(null_is_a_device(), "/dev/null was replaced");
    }
    let outcome = run(
        dir.path(),
        &["lint", "--format", "json", "-o", "out/report.json", "."],
    );
    assert_eq!(outcome.code, 2, "the folder does not exist");
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let outcome = run(
        dir.path(),
        &["lint", "--format", "json", "-o", "out/report.json", "."],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, vec!["report.json".to_string()]);
}

#[cfg(unix)]
#[test]
fn a_report_goes_through_a_fifo_which_stays_a_fifo() {
    let dir = project(&[]);
    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        return;
    }
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read_to_string(reader_path));
    let outcome = run(
        dir.path(),
        &["lint", "--format", "json", "-o", "report.fifo", "."],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let received = reader.join().expect("reader").expect("read fifo");
    assert!(received.contains("\"operation-id\""), "{received}");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo)
        .expect("fifo")
        .file_type()
        .is_fifo());
}

// 4. Control characters are shown, never sent.

#[test]
fn terminal_controls_in_input_are_escaped_in_text_and_github_reports() {
    let spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  \"/a\\e]0;pwned\\a\\e[2J\":\n    get:\n      responses: {}\n";
    let name = "evil\u{1b}[31m.yaml";
    let dir = project(&[
        (name, spec.as_bytes()),
        ("openapi-raw.yaml", b"a: \x1b[2J\rb\n"),
    ]);
    let text = run(dir.path(), &["lint", "--color", "never", "."]);
    assert_eq!(text.code, 1, "openapi-raw.yaml does not parse");
    assert!(!text.stdout.contains('\u{1b}'), "{:?}", text.stdout);
    assert!(!text.stdout.contains('\u{7}'), "{:?}", text.stdout);
    assert!(
        text.stdout.contains("evil\\x1b[31m.yaml"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("/a\\x1b]0;pwned\\x07\\x1b[2J"),
        "{}",
        text.stdout
    );
    let github = run(dir.path(), &["lint", "--format", "github", "."]);
    assert!(!github.stdout.contains('\u{1b}'), "{:?}", github.stdout);
    assert!(
        github.stdout.contains("file=evil\\x1b[31m.yaml,"),
        "{}",
        github.stdout
    );
    let forged = github
        .stdout
        .split(['\n', '\r'])
        .filter(|line| line.starts_with("::"))
        .count();
    let findings = github
        .stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .count();
    assert_eq!(forged, findings, "one annotation per line, none forged");
}

#[test]
fn a_lone_cr_file_has_a_gutter_that_agrees_with_its_header() {
    let text = "a: 1\rb: 2\rc: 3\rd: 4\re: 5\rf: 6\rg: 7\rh: 8\ri: 9\rj: [\r";
    let dir = project(&[("cr.yaml", text.as_bytes())]);
    let outcome = run(dir.path(), &["lint", "--color", "never", "cr.yaml"]);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stdout.contains("cr.yaml:11:1: error[parse-error]"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("\n    11 │ \n"),
        "{}",
        outcome.stdout
    );
    assert!(!outcome.stdout.contains('\r'));
}

// 5. Regexes are compiled under small limits.

/// A Kong service whose routes follow, one `  - name: …` entry each.
const KONG_ROUTES: &str =
    "_format_version: \"3.0\"\nservices:\n- name: s\n  url: http://s\n  routes:\n";

#[test]
fn an_oversized_route_regex_is_an_invalid_value_and_many_regexes_stay_fast() {
    let mut kong = String::from(KONG_ROUTES);
    kong.push_str("  - name: huge\n    paths: ['~/(\\w{1000}){1000}']\n");
    for index in 0..300 {
        let _ = writeln!(
            kong,
            "  - name: r{index}\n    paths: ['~/r{index}/(?<id>[a-z0-9-]{{1,64}})/items/\\d+$']"
        );
    }
    let dir = project(&[("kong.yaml", kong.as_bytes())]);
    let (code, found, report) = lint(dir.path(), &["--no-config", "kong.yaml", "witness.yaml"]);
    assert_eq!(code, 1);
    let invalid: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "invalid-value")
        .collect();
    assert_eq!(invalid, vec![&at("invalid-value", "kong.yaml", 7, 13)]);
    assert!(found.contains(&witness()));
    assert!(message_of(&report, "invalid-value").contains("not a valid regular expression"));
}

#[test]
fn thousands_of_distinct_route_regexes_are_each_checked_and_the_run_ends() {
    // More distinct patterns than the cache keeps (1,024), and hundreds that each compile past
    // the limit: every refused one is reported at its own line.
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..2_000 {
        let _ = writeln!(
            kong,
            "  - name: ok{index}\n    paths: ['~/ok/{index}/(?<id>[a-z0-9-]{{1,64}})$']"
        );
    }
    let first_refused = kong.lines().count() + 2;
    for index in 0..300 {
        let _ = writeln!(
            kong,
            "  - name: big{index}\n    paths: ['~/\\w{{60}}/{index}$']"
        );
    }
    let dir = project(&[("kong.yaml", kong.as_bytes())]);
    let (code, found, _) = lint(dir.path(), &["--no-config", "kong.yaml", "witness.yaml"]);
    assert_eq!(code, 1);
    let refused: Vec<usize> = found
        .iter()
        .filter(|(rule, ..)| rule == "invalid-value")
        .map(|(_, _, line, _)| *line as usize)
        .collect();
    let expected: Vec<usize> = (0..300).map(|index| first_refused + 2 * index).collect();
    assert_eq!(refused, expected);
    assert!(found.contains(&witness()));
}

// 7. Anchors: only those aliases refer to are copied, and copies are charged to the alias budget.

/// 100 KB of flow mappings, 200 deep, each level anchored: copying every anchored subtree would
/// take millions of nodes. `aliases` refers to each level's anchor after the tree.
fn anchored_tree(aliases: bool) -> String {
    let siblings: Vec<String> = (0..60).map(|index| format!("s{index}: v")).collect();
    let mut yaml = String::from("root: ");
    for level in 0..200 {
        let _ = write!(yaml, "&a{level} {{{}, n: ", siblings.join(", "));
    }
    yaml.push('v');
    yaml.push_str(&"}".repeat(200));
    yaml.push('\n');
    if aliases {
        yaml.push_str("copies:\n");
        for level in 0..200 {
            let _ = writeln!(yaml, "  - *a{level}");
        }
    }
    yaml
}

#[test]
fn anchoring_every_level_of_a_wide_tree_without_aliases_copies_nothing() {
    let yaml = anchored_tree(false);
    let dir = project(&[("anchors.yaml", yaml.as_bytes())]);
    // 15 MiB is a budget of 28,086 nodes: the tree (24,401 nodes) fits in it, a copy of every
    // anchored level (2.4 million) would not.
    let (code, found, _) = lint(dir.path(), &["--memory-limit", "15", "."]);
    assert_eq!((code, found), (0, vec![witness()]));
    // An alias to the tenth level from the bottom copies those 1,220 nodes twice (the anchor's
    // copy and the alias's), and nothing else.
    let one_alias = format!("{yaml}copy: *a190\n");
    let dir = project(&[("anchors.yaml", one_alias.as_bytes())]);
    let (code, found, _) = lint(dir.path(), &["--memory-limit", "15", "."]);
    assert_eq!((code, found), (0, vec![witness()]));
    // 14 MiB (26,214 nodes) holds the tree but not the two copies as well (26,841).
    let (code, found, _) = lint(dir.path(), &["--memory-limit", "14", "."]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("input-refused", "anchors.yaml")
    );
    assert_eq!(found[1], witness());
}

#[test]
fn aliasing_every_level_of_a_wide_tree_is_refused_not_copied() {
    let yaml = anchored_tree(true);
    let dir = project(&[("anchors.yaml", yaml.as_bytes())]);
    let (code, found, report) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], at("input-refused", "anchors.yaml", 1, 31_611));
    assert_eq!(found[1], witness());
    assert!(message_of(&report, "input-refused").contains("anchors and aliases"));
    assert!(!help_of(&report, "input-refused").contains("indentation"));
}

// 8. What was quadratic is linear.

#[test]
fn a_wide_merge_key_is_expanded_in_linear_time() {
    let mut yaml = String::from("base: &base\n");
    for index in 0..20_000 {
        let _ = writeln!(yaml, "  k{index}: {index}");
    }
    yaml.push_str("merged:\n  <<: *base\n");
    for index in 0..20_000 {
        let _ = writeln!(yaml, "  j{index}: {index}");
    }
    let dir = project(&[("merge.yaml", yaml.as_bytes())]);
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!((code, found), (0, vec![witness()]));
}

#[test]
fn long_ref_chains_and_wide_fan_in_resolve_in_linear_time() {
    let mut spec = String::from(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\n      summary: A\n      description: A.\n      responses:\n        '200':\n          description: OK.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/s0'}\n        default:\n          description: Error.\ncomponents:\n  schemas:\n",
    );
    for index in 0..10_000 {
        let _ = writeln!(
            spec,
            "    s{index}: {{$ref: '#/components/schemas/s{}'}}",
            index + 1
        );
    }
    spec.push_str("    s10000: {type: string}\n");
    for index in 0..20_000 {
        let _ = writeln!(
            spec,
            "    f{index}: {{$ref: '#/components/schemas/s10000'}}"
        );
    }
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (code, found, _) = lint(dir.path(), &["--no-config", "."]);
    assert_eq!(code, 0, "{found:?}");
    assert!(found.contains(&witness()));
}

#[test]
fn thirty_thousand_suppressions_match_in_linear_time() {
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for index in 0..10_000 {
        let _ = writeln!(
            spec,
            "  /p{index}:\n    get: # routeguard-ignore: operation-id — generated\n      summary: P\n      description: P.\n      x-routeguard-ignore: [{{rule: operation-id, reason: generated}}]\n      responses: {{'200': {{description: OK.}}, default: {{description: Error.}}}}"
        );
    }
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (code, found, report) = lint(dir.path(), &["--no-config", "."]);
    assert_eq!(code, 0);
    assert_eq!(found, vec![witness()]);
    assert_eq!(report["summary"]["suppressed"], 10_000);
}

#[test]
fn a_block_of_two_hundred_thousand_suppression_comments_is_read_in_linear_time() {
    // Every comment of a block applies to the line after it: the block is scanned once, not
    // once for each of its comments.
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /p:\n");
    for _ in 0..200_000 {
        spec.push_str("    # routeguard-ignore: operation-id — generated\n");
    }
    spec.push_str("    get:\n      summary: P\n      description: P.\n      responses: {'200': {description: OK.}, default: {description: Error.}}\n");
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (outcome, report) = large_lint(dir.path());
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(located(&report), vec![witness()]);
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[test]
fn a_hundred_thousand_misspelt_rule_names_are_each_reported_in_linear_time() {
    // Each name is compared with every rule id for a "did you mean": the comparisons share a
    // bound, so the first names get a suggestion and the run stays linear.
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n");
    for index in 0..100_000 {
        let _ = writeln!(spec, "# routeguard-ignore: timeout-misng{index} — why");
    }
    let _ = writeln!(spec, "# routeguard-ignore: {} — why", "x".repeat(100_000));
    spec.push_str("x-end: 1\n");
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (outcome, report) = large_lint(dir.path());
    let invalid = of_rule(&report, "suppression-invalid");
    assert_eq!(invalid.len(), 100_001, "{}", outcome.stderr);
    assert_eq!(
        (&invalid[0]["line"], &invalid[0]["column"]),
        (&4.into(), &22.into())
    );
    assert_eq!(
        invalid[0]["message"],
        "suppression names unknown rule `timeout-misng0`; did you mean `timeout-missing`?"
    );
    let last = invalid[100_000]["message"].as_str().expect("message");
    assert!(!last.contains("did you mean"), "{}", &last[..100]);
    assert!(located(&report).contains(&witness()));
}

#[test]
fn ten_thousand_fallbacks_to_misspelt_model_groups_are_reported_in_linear_time() {
    // Each unknown group is compared with every group for a suggestion, within a bound on the
    // work for the whole fallback graph.
    let mut config = String::from("router_settings:\n  fallbacks:\n");
    for index in 0..10_000 {
        let _ = writeln!(config, "  - {{group-{index:05}: [grup-{index:05}]}}");
    }
    config.push_str("model_list:\n");
    for index in 0..10_000 {
        let _ = writeln!(
            config,
            "- {{model_name: group-{index:05}, litellm_params: {{model: openai/gpt-{index}, timeout: 30}}}}"
        );
    }
    let dir = project(&[("litellm.yaml", config.as_bytes())]);
    let (outcome, report) = large_lint(dir.path());
    let invalid = of_rule(&report, "fallback-invalid");
    assert_eq!(invalid.len(), 10_000, "{}", outcome.stderr);
    assert_eq!(
        (&invalid[0]["line"], &invalid[0]["column"]),
        (&3.into(), &20.into())
    );
    assert!(
        invalid[0]["help"]
            .as_str()
            .is_some_and(|help| help.ends_with("or name an existing group (`group-00000`?)")),
        "{}",
        invalid[0]["help"]
    );
    assert!(located(&report).contains(&witness()));
}

#[test]
fn twenty_thousand_kong_prefix_routes_join_in_linear_time() {
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..20_000 {
        let _ = writeln!(spec, "  /s{index}/items:\n    get:\n      operationId: s{index}\n      responses: {{'200': {{description: OK.}}}}");
        let _ = writeln!(kong, "  - {{name: r{index}, paths: [/s{index}/]}}");
    }
    let dir = project(&[
        ("openapi.yaml", spec.as_bytes()),
        ("kong.yaml", kong.as_bytes()),
    ]);
    // A quadratic join takes minutes here; a linear one seconds (a debug build on a loaded
    // machine, up to a minute).
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), 20_000);
    for route in &routes {
        let name = route["name"].as_str().expect("name");
        let expected = format!("GET /s{}/items", &name[1..]);
        assert_eq!(
            route["operations"],
            serde_json::json!([expected]),
            "{route}"
        );
    }
}

#[test]
fn a_setting_shared_by_a_hundred_thousand_routes_is_one_finding_naming_twenty() {
    // Every route of the service lacks the service's timeout: one finding, found and worded in
    // linear time (a debug build, seconds; once minutes), naming the first twenty routes.
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..100_000 {
        let _ = writeln!(kong, "  - {{name: r{index}, paths: [/r{index}]}}");
    }
    let dir = project(&[("kong.yaml", kong.as_bytes())]);
    let args = ["lint", "--format", "json", "--no-config", "kong.yaml"];
    let outcome = run_within(dir.path(), &args, LARGE_DEADLINE);
    // Warnings only.
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let report: Value = serde_json::from_str(&outcome.stdout).expect("JSON report");
    let named: Vec<String> = (0..20).map(|index| format!("`r{index}`")).collect();
    let message = message_of(&report, "timeout-missing");
    let subject = format!(
        "Each of the Kong routes {} and 99980 others in kong.yaml is only bounded by",
        named.join(", ")
    );
    assert!(message.starts_with(&subject), "{message}");
    assert!(located(&report).contains(&at("timeout-missing", "kong.yaml", 3, 3)));
}

#[test]
fn a_hundred_thousand_litellm_model_groups_are_read_in_linear_time() {
    // Each group's deployments, retry policy and aliases are looked up by name, not by a scan
    // of every deployment per group.
    let mut config = String::from(
        "router_settings:\n  model_group_alias: {alias-0: m0, alias-99999: m99999}\n  \
         model_group_retry_policy: {m1: {TimeoutErrorRetries: 1}}\nmodel_list:\n",
    );
    for index in 0..100_000 {
        let _ = writeln!(
            config,
            "- {{model_name: m{index}, litellm_params: {{model: openai/gpt-{index}, timeout: 30}}}}"
        );
    }
    let dir = project(&[("litellm.yaml", config.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), 100_000);
    assert_eq!(routes[99_999]["name"], "m99999");
}

#[test]
fn thirty_thousand_kong_services_find_their_upstreams_and_plugins_in_linear_time() {
    // Each service's upstream and each route's top-level plugin are looked up by name, not
    // found by a scan of every upstream and every plugin per service and per route.
    const SERVICES: usize = 30_000;
    let mut services = String::from("_format_version: \"3.0\"\nservices:\n");
    let mut plugins = String::from("plugins:\n");
    let mut upstreams = String::from("upstreams:\n");
    for index in 0..SERVICES {
        let _ = writeln!(services, "- {{name: s{index}, url: 'http://u{index}', read_timeout: 5000, retries: 2, routes: [{{name: r{index}, paths: [/r{index}]}}]}}");
        if index.is_multiple_of(2) {
            let _ = writeln!(plugins, "- {{name: request-termination, route: r{index}}}");
        }
        let _ = writeln!(
            upstreams,
            "- {{name: u{index}, healthchecks: {{active: {{healthy: {{interval: 5}}}}}}}}"
        );
    }
    // A top-level route naming the last service.
    services.push_str("routes:\n- {name: last, service: s29999, paths: [/last]}\n");
    let config = format!("{services}{plugins}{upstreams}");
    let dir = project(&[("kong.yaml", config.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), SERVICES + 1);
    for (index, route) in routes.iter().take(SERVICES).enumerate() {
        assert_eq!(route["name"], format!("r{index}"), "{route}");
        if index.is_multiple_of(2) {
            assert_eq!(route["fallback"], "static response", "{route}");
        } else {
            assert_eq!(route["health_check"], "active", "{route}");
            assert_eq!(route["max_retries"], 2, "{route}");
        }
    }
    assert_eq!(routes[SERVICES]["name"], "last");
    assert_eq!(routes[SERVICES]["health_check"], "active");
}

#[test]
fn twenty_thousand_ingresses_read_the_ingress_nginx_controller_config_in_linear_time() {
    // The controller's ConfigMap, which every Ingress reads, is looked for once per run, not
    // through every document of the run per Ingress.
    const INGRESSES: usize = 20_000;
    let mut yaml = String::new();
    for index in 0..INGRESSES {
        let _ = write!(yaml, "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: i{index}}}\nspec: {{ingressClassName: nginx, rules: [{{http: {{paths: [{{path: /r{index}, pathType: Prefix, backend: {{service: {{name: s{index}, port: {{number: 80}}}}}}}}]}}}}]}}\n");
    }
    yaml.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller}\ndata: {proxy-read-timeout: '7', proxy-next-upstream-tries: '2'}\n");
    let dir = project(&[("ingress.yaml", yaml.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), INGRESSES);
    for (index, route) in routes.iter().enumerate() {
        assert_eq!(route["name"], format!("i{index}.0.0"), "{route}");
        assert_eq!(route["per_try_timeout_ms"], 7_000, "{route}");
        assert_eq!(route["max_retries"], 1, "{route}");
    }
}

#[test]
fn thirty_thousand_apisix_routes_find_their_upstreams_and_services_in_linear_time() {
    // Each route's upstream, service and plugin config are looked up by id, not found by a
    // scan of every object of their kind per route.
    const ROUTES: usize = 30_000;
    let mut routes = String::from("routes:\n");
    let mut upstreams = String::from("upstreams:\n");
    let mut services = String::from("services:\n");
    for index in 0..ROUTES {
        let _ = writeln!(
            routes,
            "  - {{id: r{index}, uri: /r{index}, upstream_id: u{index}, service_id: s{index}}}"
        );
        let _ = writeln!(upstreams, "  - {{id: u{index}, retries: 2, timeout: {{connect: 1, send: 2, read: 3}}, nodes: {{'u{index}:80': 1}}}}");
        let _ = writeln!(
            services,
            "  - {{id: s{index}, plugins: {{limit-count: {{count: 10, time_window: 60}}}}}}"
        );
    }
    let config = format!("{routes}{upstreams}{services}#END\n");
    let dir = project(&[("apisix.yaml", config.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), ROUTES);
    for (index, route) in routes.iter().enumerate() {
        assert_eq!(route["name"], format!("r{index}"), "{route}");
        assert_eq!(route["per_try_timeout_ms"], 3_000, "{route}");
        assert_eq!(route["max_retries"], 2, "{route}");
        // 503 from the service's rate limit.
        assert_eq!(
            route["gateway_statuses"],
            serde_json::json!([503, 504]),
            "{route}"
        );
    }
}

#[test]
fn fifty_thousand_tyk_paths_merge_their_settings_in_linear_time() {
    // A path's hard timeout and circuit breaker are one endpoint, found by path and method,
    // not by a scan of the endpoints configured before it.
    const PATHS: usize = 50_000;
    let entry = |index: usize, settings: &str| {
        format!("{{\"path\": \"/p{index}\", \"method\": \"GET\", {settings}}}")
    };
    let timeouts: Vec<String> = (0..PATHS)
        .map(|index| entry(index, "\"timeout\": 5"))
        .collect();
    let breakers: Vec<String> = (0..PATHS)
        .map(|index| {
            entry(
                index,
                "\"threshold_percent\": 0.5, \"samples\": 20, \"return_to_service_after\": 30",
            )
        })
        .collect();
    let api = format!(
        "{{\"name\": \"a\", \"api_id\": \"a\", \"proxy\": {{\"listen_path\": \"/a/\", \"target_url\": \"http://a\"}}, \"version_data\": {{\"not_versioned\": true, \"versions\": {{\"Default\": {{\"name\": \"Default\", \"use_extended_paths\": true, \"extended_paths\": {{\"hard_timeouts\": [{}], \"circuit_breakers\": [{}]}}}}}}}}}}",
        timeouts.join(", "),
        breakers.join(", ")
    );
    let dir = project(&[("api.json", api.as_bytes())]);
    let routes = large_routes(dir.path());
    // Each path, and the rest of the listen path.
    assert_eq!(routes.len(), PATHS + 1);
    let mut paths = std::collections::HashSet::new();
    for route in routes.iter().filter(|route| route["path"] != "/*") {
        assert_eq!(route["timeout_ms"], 5_000, "{route}");
        assert_eq!(route["circuit_breaker"], "yes", "{route}");
        paths.insert(route["path"].as_str().expect("path").to_string());
    }
    // Tyk matches a path as a prefix.
    assert!((0..PATHS).all(|index| paths.contains(&format!("/p{index}*"))));
}

#[test]
fn forty_thousand_tyk_api_definitions_read_the_gateway_conf_in_linear_time() {
    // tyk.conf, which every API definition reads, is looked for once per run, not through
    // every file of the run per definition.
    const APIS: usize = 40_000;
    let definitions: Vec<(String, String)> = (0..APIS)
        .map(|index| {
            let api = format!("{{\"name\": \"a{index}\", \"api_id\": \"a{index}\", \"proxy\": {{\"listen_path\": \"/a{index}/\", \"target_url\": \"http://a{index}\"}}}}");
            (format!("api{index}.json"), api)
        })
        .collect();
    let mut files: Vec<(&str, &[u8])> = definitions
        .iter()
        .map(|(name, api)| (name.as_str(), api.as_bytes()))
        .collect();
    // Last in the walk, so that every earlier file is looked through to find it.
    let conf = br#"{"listen_port": 8080, "secret": "s", "proxy_default_timeout": 7}"#;
    files.push(("tyk.json", conf));
    let dir = project(&files);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), APIS);
    for route in &routes {
        assert_eq!(route["format"], "tyk", "{route}");
        assert_eq!(route["timeout_ms"], 7_000, "{route}");
    }
}

#[test]
fn twenty_thousand_spring_files_find_their_resilience4j_instances_in_linear_time() {
    // Each file's routes read the one `resilience4j` section of the run, found once, and
    // their instances are looked up in it by name, not by a scan of every instance per route.
    const FILES: usize = 20_000;
    let mut section = String::from("resilience4j:\n  timelimiter:\n    instances:\n");
    let routes: Vec<(String, String)> = (0..FILES)
        .map(|index| {
            let _ = writeln!(section, "      cb{index}: {{timeoutDuration: {}s}}", index % 10 + 1);
            let route = format!("spring:\n  cloud:\n    gateway:\n      server:\n        webflux:\n          routes:\n            - {{id: r{index}, uri: 'lb://s{index}', predicates: [Path=/r{index}/**], filters: [CircuitBreaker=cb{index}]}}\n");
            (format!("app{index}.yml"), route)
        })
        .collect();
    let mut files: Vec<(&str, &[u8])> = routes
        .iter()
        .map(|(name, route)| (name.as_str(), route.as_bytes()))
        .collect();
    files.push(("resilience.yml", section.as_bytes()));
    let dir = project(&files);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), FILES);
    assert_timeouts_cycle_by_number(&routes, 1);
}

#[test]
fn a_forty_thousand_model_fallback_chain_is_searched_for_loops_without_recursion() {
    // The loops of a fallback graph are its strongly connected components, found without a
    // call per name on the stack: a chain of 40,000 model groups overflowed it (an abort).
    const GROUPS: usize = 40_000;
    let mut config = String::from("model_list:\n");
    for index in 0..GROUPS {
        let _ = writeln!(
            config,
            "- {{model_name: m{index}, litellm_params: {{model: openai/gpt-{index}, timeout: 30}}}}"
        );
    }
    config.push_str("litellm_settings:\n  fallbacks:\n");
    for index in 1..GROUPS {
        let _ = writeln!(config, "  - {{m{}: [m{index}]}}", index - 1);
    }
    let dir = project(&[("litellm.yaml", config.as_bytes())]);
    let args = ["lint", "--format", "json", "--no-config", "litellm.yaml"];
    let outcome = run_within(dir.path(), &args, LARGE_DEADLINE);
    // The chains LiteLLM follows (five fallbacks at most) multiply calls past the limit.
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let report: Value = serde_json::from_str(&outcome.stdout).expect("JSON report");
    let message = message_of(&report, "retry-amplification");
    assert!(
        message.contains("(m0 → m1 → m2 → m3 → m4 → m5)"),
        "{message}"
    );
    let found = located(&report);
    assert_eq!(
        found
            .iter()
            .filter(|(rule, ..)| rule == "retry-amplification")
            .count(),
        GROUPS - 3
    );
}

#[test]
fn a_hundred_thousand_portkey_fallback_targets_are_read_in_linear_time() {
    // The chain's targets, the conditional strategy's names and the breakers are kept in
    // sets, not lists searched once per target.
    const TARGETS: usize = 100_000;
    let targets: Vec<String> = (0..TARGETS)
        .map(|index| format!("{{\"provider\": \"openai\", \"api_key\": \"k\", \"override_params\": {{\"model\": \"m{index}\"}}}}"))
        .collect();
    let config = format!(
        "{{\"strategy\": {{\"mode\": \"fallback\"}}, \"targets\": [{}]}}",
        targets.join(", ")
    );
    let dir = project(&[("portkey.json", config.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0]["endpoints"], TARGETS);
    let chain = routes[0]["fallback_chain"].as_array().expect("chain");
    assert_eq!(chain.len(), TARGETS);
    assert_eq!(chain[TARGETS - 1], "m99999");
}

#[test]
fn a_hundred_and_fifty_thousand_traefik_routers_without_a_breaker_are_one_finding_in_linear_time() {
    // The routers of one service without a breaker are one finding naming the first twenty
    // and counting the others, the names and places kept in sets rather than lists searched
    // per router.
    const ROUTERS: usize = 150_000;
    let mut config = String::from("http:\n  routers:\n");
    for index in 0..ROUTERS {
        let _ = writeln!(
            config,
            "    r{index}: {{rule: 'PathPrefix(`/r{index}`)', service: s}}"
        );
    }
    config.push_str("  services:\n    s: {loadBalancer: {servers: [{url: 'http://s:80'}]}}\n");
    let dir = project(&[("traefik.yaml", config.as_bytes())]);
    let args = ["lint", "--format", "json", "--no-config", "traefik.yaml"];
    let outcome = run_within(dir.path(), &args, LARGE_DEADLINE);
    let report: Value = serde_json::from_str(&outcome.stdout).expect("JSON report");
    let finding = report["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["rule"] == "circuit-breaker-missing"))
        .expect("circuit-breaker-missing");
    let message = finding["message"].as_str().expect("message");
    // Traefik tries the longest rules first.
    assert!(message.starts_with("Traefik routers `r100000`, `r100001`, `r100002`"));
    assert!(message.ends_with("`r100019` and 149980 others send to service `s` without a circuit breaker: Traefik keeps sending their traffic to it while it fails"));
    assert_eq!(message.matches("`, `").count(), 19);
    // The first twenty, each where its breaker would be added.
    let related = finding["related"].as_array().expect("related");
    let lines: Vec<u64> = related
        .iter()
        .map(|related| related["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, (100_003..100_023).collect::<Vec<u64>>());
}

#[test]
fn twenty_five_thousand_descriptions_meet_the_hosts_of_as_many_routes_in_linear_time() {
    // Each route host finds the descriptions whose servers it meets through an index of their
    // hosts, not by meeting every host of every description.
    const APIS: usize = 25_000;
    let specs: Vec<(String, String)> = (0..APIS)
        .map(|index| {
            let spec = format!("openapi: 3.0.3\ninfo: {{title: t{index}, version: '1'}}\nservers: [{{url: 'https://api{index}.example.com'}}]\npaths:\n  /r{index}:\n    get:\n      operationId: op{index}\n      responses: {{'200': {{description: OK.}}}}\n");
            (format!("spec{index}.yaml"), spec)
        })
        .collect();
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..APIS {
        // Every route is on a host of its own but the first, on the first API's.
        let host = if index == 0 {
            "api0.example.com".to_string()
        } else {
            format!("other{index}.example.com")
        };
        let _ = writeln!(
            kong,
            "  - {{name: r{index}, hosts: [{host}], paths: [/r{index}]}}"
        );
    }
    let mut files: Vec<(&str, &[u8])> = specs
        .iter()
        .map(|(name, spec)| (name.as_str(), spec.as_bytes()))
        .collect();
    files.push(("kong.yaml", kong.as_bytes()));
    let dir = project(&files);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), APIS);
    assert_eq!(routes[0]["operations"], serde_json::json!(["GET /r0"]));
    assert_eq!(routes[0]["joined"][0]["host_match"], "exact");
    assert!(routes[1..]
        .iter()
        .all(|route| route["joined"] == serde_json::json!([])));
}

#[test]
fn a_hundred_thousand_tyk_oas_operations_find_their_middleware_in_linear_time() {
    // Each operation's middleware is looked up by operationId through an index of the
    // `operations` map, not by a scan of the map per operation.
    const OPERATIONS: usize = 100_000;
    let mut api = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for index in 0..OPERATIONS {
        let _ = writeln!(api, "  /r{index}:\n    get: {{operationId: op{index}, responses: {{'200': {{description: OK.}}}}}}");
    }
    api.push_str("x-tyk-api-gateway:\n  info: {name: t, state: {active: true}}\n  upstream: {url: 'http://u'}\n  server: {listenPath: {value: /}}\n  middleware:\n    operations:\n");
    for index in 0..OPERATIONS {
        let _ = writeln!(
            api,
            "      op{index}: {{enforceTimeout: {{enabled: true, value: {}}}}}",
            index % 10 + 1
        );
    }
    let dir = project(&[("api.yaml", api.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), OPERATIONS);
    assert_timeouts_cycle_by_number(&routes, 2);
}

#[test]
fn a_hundred_thousand_api_gateway_operations_find_their_named_backends_in_linear_time() {
    // Each operation's named backend is looked up through an index of
    // `x-google-api-management.backends`, not by a scan of them per operation.
    const OPERATIONS: usize = 100_000;
    let mut api = String::from(
        "openapi: 3.0.4\ninfo: {title: t, version: '1'}\nx-google-api-management:\n  backends:\n",
    );
    for index in 0..OPERATIONS {
        let _ = writeln!(
            api,
            "    b{index}: {{address: 'https://b{index}.a.run.app', deadline: {}.0}}",
            index % 10 + 1
        );
    }
    api.push_str("paths:\n");
    for index in 0..OPERATIONS {
        let _ = writeln!(api, "  /r{index}:\n    get: {{operationId: op{index}, x-google-backend: b{index}, responses: {{'200': {{description: OK.}}}}}}");
    }
    let dir = project(&[("api.yaml", api.as_bytes())]);
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), OPERATIONS);
    assert_timeouts_cycle_by_number(&routes, 2);
}

#[test]
fn a_hundred_and_fifty_thousand_traefik_routers_under_one_parent_are_read_in_linear_time() {
    // Whether a router is a parent is asked of a set, and each child's parent is looked up
    // through an index of the routers, not by a scan of them per router.
    const ROUTERS: usize = 150_000;
    let mut config = String::from(
        "http:\n  routers:\n    p: {rule: 'Host(`a.example.com`)', middlewares: [m]}\n",
    );
    for index in 0..ROUTERS {
        let _ = writeln!(
            config,
            "    r{index}: {{rule: 'PathPrefix(`/r{index}`)', parentRefs: [p], service: s}}"
        );
    }
    config.push_str("  middlewares:\n    m: {retry: {attempts: 2}}\n  services:\n    s: {loadBalancer: {servers: [{url: 'http://s:80'}]}}\n");
    let dir = project(&[("traefik.yaml", config.as_bytes())]);
    let routes = large_routes(dir.path());
    // The children are the routes, each with its parent's retry.
    assert_eq!(routes.len(), ROUTERS);
    assert!(routes.iter().all(|route| route["name"] != "p"));
    assert!(routes.iter().all(|route| route["max_retries"] == 1));
}

/// Gateway API manifests with `routes` HTTPRoutes behind one Envoy Gateway `Gateway`, every
/// even one targeted by a BackendTrafficPolicy of its own, every thousandth also a child of a
/// Service a Linkerd ServiceProfile configures; plus a policy that conflicts with another and
/// one that reaches nothing. Returns the text and the line of each HTTPRoute the ServiceProfile
/// takes over.
fn kubernetes_routes(routes: usize) -> (String, Vec<u64>) {
    let mut yaml = String::from(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge}\nspec:\n  gatewayClassName: eg\n  listeners: [{name: http, hostname: edge.example.com, port: 80, protocol: HTTP}]\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: edge}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge}]\n  timeout: {http: {requestTimeout: 6s}}\n---\napiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: mesh.default.svc.cluster.local}\nspec:\n  routes: [{name: all, condition: {pathRegex: /.*}, timeout: 2s}]\n",
    );
    let policy = |name: &str, route: &str| {
        format!("---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {{name: {name}}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: {route}}}]\n  timeout: {{http: {{requestTimeout: 4s}}}}\n")
    };
    let mut profiled = Vec::new();
    for index in 0..routes {
        let meshed = index % 1_000 == 999;
        let parents = if meshed {
            "[{name: edge}, {kind: Service, group: core, name: mesh}]"
        } else {
            "[{name: edge}]"
        };
        yaml.push_str("---\n");
        if meshed {
            profiled.push(yaml.lines().count() as u64 + 1);
        }
        let _ = write!(yaml, "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{index}}}\nspec:\n  parentRefs: {parents}\n  rules: [{{matches: [{{path: {{type: PathPrefix, value: /r{index}}}}}], retry: {{attempts: 2}}}}]\n");
        if index.is_multiple_of(2) {
            yaml.push_str(&policy(&format!("p{index}"), &format!("r{index}")));
        }
    }
    yaml.push_str(&policy("q0", "r0"));
    yaml.push_str(&policy("q1", "missing"));
    (yaml, profiled)
}

#[test]
fn ten_thousand_http_routes_and_their_policies_attach_in_linear_time() {
    const ROUTES: usize = 10_000;
    let (yaml, profiled) = kubernetes_routes(ROUTES);
    let dir = project(&[("cluster.yaml", yaml.as_bytes())]);
    let line_of = |needle: &str| {
        let found = yaml.lines().position(|line| line == needle);
        found.map(|index| index as u64 + 1).expect(needle)
    };
    // Each lookup across the run's objects was a walk over all of them, per route: minutes
    // here, where the indexed lookups take seconds (a debug build on a loaded machine).
    let lint = run_within(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "--no-config",
            "--select",
            "policy-unattached,operation-id",
            "--fail-on",
            "warning",
            ".",
        ],
        LARGE_DEADLINE,
    );
    assert_eq!(lint.code, 1, "{}", lint.stderr);
    let report: Value = serde_json::from_str(&lint.stdout).expect("lint JSON");
    let mut expected: Vec<Located> = profiled
        .iter()
        .map(|&line| at("policy-unattached", "cluster.yaml", line, 1))
        .collect();
    // `q0` loses `r0` to `p0`, first by name (files carry no creation time); `q1` targets a
    // route that is not there.
    let q0 = line_of("metadata: {name: q0}") + 2;
    expected.push(at("policy-unattached", "cluster.yaml", q0, 16));
    expected.push(at(
        "policy-unattached",
        "cluster.yaml",
        line_of("metadata: {name: q1}") - 2,
        1,
    ));
    expected.push(witness());
    expected.sort();
    let mut found = located(&report);
    found.sort();
    assert_eq!(found, expected);

    let routes = large_routes(dir.path());
    // Every HTTPRoute but those the ServiceProfile takes over, and the profile's one route.
    assert_eq!(routes.len(), ROUTES - profiled.len() + 1);
    for route in &routes {
        let name = route["name"].as_str().expect("name");
        let Some(index) = name.strip_prefix('r') else {
            assert_eq!(
                (name, &route["format"]),
                ("all", &serde_json::json!("linkerd"))
            );
            continue;
        };
        let index: usize = index.parse().expect("route number");
        // A route's own policy wins over the Gateway's.
        let timeout = if index.is_multiple_of(2) {
            4_000
        } else {
            6_000
        };
        assert_eq!(route["format"], "envoy-gateway", "{route}");
        assert_eq!(route["timeout_ms"], timeout, "{route}");
        assert_eq!(route["max_retries"], 2, "{route}");
    }
}

#[test]
fn ten_thousand_kuma_routes_each_named_by_a_policy_are_found_in_linear_time() {
    const ROUTES: usize = 10_000;
    let mut yaml = String::new();
    for index in 0..ROUTES {
        let _ = write!(yaml, "---\napiVersion: kuma.io/v1alpha1\nkind: MeshHTTPRoute\nmetadata: {{name: r{index}}}\nspec:\n  to:\n    - targetRef: {{kind: MeshService, name: s{index}}}\n      rules: [{{matches: [{{path: {{type: PathPrefix, value: /r{index}}}}}], default: {{backendRefs: [{{kind: MeshService, name: s{index}}}]}}}}]\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata: {{name: t{index}}}\nspec:\n  to:\n    - targetRef: {{kind: MeshHTTPRoute, name: r{index}}}\n      default: {{http: {{requestTimeout: 3s}}}}\n");
    }
    let dir = project(&[("mesh.yaml", yaml.as_bytes())]);
    // Each policy's route was looked for through every file, and each named route checked
    // against all named before it.
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), ROUTES);
    for (index, route) in routes.iter().enumerate() {
        assert_eq!(route["format"], "kuma", "{route}");
        assert_eq!(route["path"], format!("/r{index}*"), "{route}");
        assert_eq!(route["timeout_ms"], 3_000, "{route}");
    }
}

#[test]
fn ten_thousand_kuma_services_with_outbound_and_inbound_policies_are_merged_in_linear_time() {
    const SERVICES: usize = 10_000;
    let mut yaml = String::new();
    for index in 0..SERVICES {
        // The outbound policy names the MeshService, the inbound one its `kuma.io/service` tag.
        let _ = write!(yaml, "---\napiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata: {{name: out{index}}}\nspec:\n  to:\n    - targetRef: {{kind: MeshService, name: s{index}}}\n      default: {{http: {{requestTimeout: 3s}}}}\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata: {{name: in{index}}}\nspec:\n  targetRef: {{kind: MeshService, name: s{index}_shop_svc_80}}\n  from:\n    - targetRef: {{kind: Mesh}}\n      default: {{http: {{requestTimeout: 2s}}}}\n");
    }
    let dir = project(&[("mesh.yaml", yaml.as_bytes())]);
    // Each service was checked against every service named before it, and each service's
    // configuration merged from every policy entry of the mesh.
    let routes = large_routes(dir.path());
    assert_eq!(routes.len(), SERVICES);
    let mut names = std::collections::HashSet::new();
    for route in &routes {
        assert_eq!(route["format"], "kuma", "{route}");
        // The service's own inbound timeout, shorter, bounds each retried attempt.
        assert_eq!(route["timeout_ms"], 3_000, "{route}");
        assert_eq!(route["per_try_timeout_ms"], 2_000, "{route}");
        names.insert(route["name"].as_str().expect("name").to_string());
    }
    assert!((0..SERVICES).all(|index| names.contains(&format!("s{index}"))));
}

// Found by the `structured` fuzz target: a 10 KB line of 3,328 Spring routes took 27 s to
// render as text, each finding's frame measuring the whole line. (Numbers, as the fuzzer wrote
// them: each is now an invalid route rather than a route.)
#[test]
fn many_findings_on_one_long_line_render_in_linear_time() {
    let routes = vec!["0"; 6_000].join(", ");
    let yaml = format!("spring.cloud.gateway:\n  routes: [{routes}]\n");
    let dir = project(&[("application.yml", yaml.as_bytes())]);
    let outcome = run(
        dir.path(),
        &["lint", "--no-config", "--format", "text", "."],
    );
    // Spring cannot bind a number as a route: each is an invalid value, at its place.
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(outcome
        .stdout
        .contains("application.yml:2:12: error[invalid-value]"));
    assert!(outcome
        .stdout
        .contains("application.yml:2:18009: error[invalid-value]"));
    assert!(outcome.stdout.contains("witness.yaml:7:5:"));
}

// 9. A node budget bounds each file's memory.

#[test]
fn a_dense_file_over_the_memory_limit_is_refused_with_the_flag_named() {
    let yaml = format!("[{}]\n", vec!["1"; 20_000].join(","));
    let json = format!("[{}]\n", vec!["1"; 20_000].join(","));
    let dir = project(&[
        ("dense.yaml", yaml.as_bytes()),
        ("dense.json", json.as_bytes()),
    ]);
    let (code, found, report) = lint(dir.path(), &["--memory-limit", "1", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![
            at("input-refused", "dense.json", 1, 1),
            // 1 MiB is a budget of 1,872 nodes: the 1,873rd item, at column 2 × 1,872.
            at("input-refused", "dense.yaml", 1, 3_744),
            witness(),
        ]
    );
    assert!(message_of(&report, "input-refused").contains("--memory-limit"));
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!((code, found), (0, vec![witness()]));
}

/// The routes a file defines are charged under the memory limit beside its tree: a Traefik
/// rule of 256 alternatives is one node and 256 routes.
#[test]
fn a_file_defining_more_routes_than_the_memory_limit_allows_is_cut_where_they_stop_fitting() {
    let mut traefik = String::from(
        "http:\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://s'}]\n  routers:\n",
    );
    for router in 0..100 {
        let alternatives: Vec<String> = (0..256)
            .map(|index| format!("PathPrefix(`/{router}/{index}`)"))
            .collect();
        let _ = writeln!(
            traefik,
            "    r{router}:\n      rule: \"{}\"\n      service: s",
            alternatives.join(" || ")
        );
    }
    let dir = project(&[("traefik.yaml", traefik.as_bytes())]);
    let limit = ["--memory-limit", "32"];
    let (_, found, report) = lint(dir.path(), &[&limit[..], &["."]].concat());
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    let message = message_of(&report, "input-refused");
    assert!(help_of(&report, "input-refused").starts_with("split the file into several"));
    let admitted: usize = message
        .split_once("(`--memory-limit`): ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("a route count in {message}"));
    assert!((1..100 * 256).contains(&admitted), "{message}");
    // Refused at the router whose alternatives no longer fit, each router three lines long.
    let router = admitted / 256;
    assert_eq!(
        refused,
        vec![&at(
            "input-refused",
            "traefik.yaml",
            7 + 3 * router as u64,
            5
        )]
    );
    assert!(found.contains(&witness()));
    let outcome = run(
        dir.path(),
        &[
            &["routes", "--format", "json", "--no-config"][..],
            &limit,
            &["traefik.yaml"],
        ]
        .concat(),
    );
    let routes: Value = serde_json::from_str(&outcome.stdout).expect("routes JSON");
    assert_eq!(routes["routes"].as_array().map(Vec::len), Some(admitted));
    // Without the lower limit every route fits.
    let outcome = run(
        dir.path(),
        &["routes", "--format", "json", "--no-config", "traefik.yaml"],
    );
    let routes: Value = serde_json::from_str(&outcome.stdout).expect("routes JSON");
    assert_eq!(routes["routes"].as_array().map(Vec::len), Some(100 * 256));
}

/// Each path that refers to a path item copies its operations: thousands of `$ref`s to one
/// item with hundreds of responses are charged as the copies they make.
#[test]
fn operations_copied_through_thousands_of_refs_are_charged_and_cut() {
    let responses: Vec<String> = (100..400)
        .map(|status| format!("'{status}': {{description: D}}"))
        .collect();
    let mut spec = String::from("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n");
    for path in 0..2_000 {
        let _ = writeln!(
            spec,
            "  /p{path}: {{$ref: '#/components/pathItems/shared'}}"
        );
    }
    let _ = writeln!(
        spec,
        "components:\n  pathItems:\n    shared:\n      get: {{operationId: g, responses: {{{}}}}}",
        responses.join(", ")
    );
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (_, found, report) = lint(dir.path(), &["--memory-limit", "64", "."]);
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    let message = message_of(&report, "input-refused");
    assert!(
        message.contains("more operations than the memory limit allows"),
        "{message}"
    );
    let admitted: u64 = message
        .split_once("(`--memory-limit`): ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("an operation count in {message}"));
    // Refused at the path whose copy no longer fits: one path a line, from line 4.
    assert!((1..2_000).contains(&admitted), "{message}");
    assert_eq!(
        refused,
        vec![&at("input-refused", "openapi.yaml", 4 + admitted, 3)]
    );
    assert_eq!(report["summary"]["operations"], admitted + 1);
    assert!(found.contains(&witness()));
}

/// LiteLLM applies `default_fallbacks` to every model group: one list of 200 names over 2,000
/// groups is 400,000 edges, charged as they are made.
#[test]
fn a_default_fallback_list_over_thousands_of_groups_is_charged_and_cut() {
    let defaults: Vec<String> = (0..200).map(|index| format!("m{index}")).collect();
    let mut config = format!(
        "router_settings:\n  default_fallbacks: [{}]\nmodel_list:\n",
        defaults.join(", ")
    );
    for index in 0..2_000 {
        let _ = writeln!(
            config,
            "- {{model_name: m{index}, litellm_params: {{model: openai/gpt-{index}}}}}"
        );
    }
    let dir = project(&[("litellm.yaml", config.as_bytes())]);
    let (_, found, report) = lint(dir.path(), &["--memory-limit", "64", "."]);
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    assert_eq!(refused, vec![&at("input-refused", "litellm.yaml", 2, 3)]);
    let message = message_of(&report, "input-refused");
    assert!(message.starts_with("the file defines more fallbacks than the memory limit allows"));
    let admitted: usize = message
        .split_once("(`--memory-limit`): ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("an edge count in {message}"));
    // Whole lists, each group's, until they stop fitting.
    assert_eq!(admitted % 200, 0, "{message}");
    assert!((200..2_000 * 200).contains(&admitted), "{message}");
    assert!(found.contains(&witness()));
}

/// Routes and operations pair as their product: 500 Kong routes on `/` (told apart by a
/// header) against 501 operations (the witness's among them) are 250,500 pairs. Under 8 MiB,
/// 131,072 pairs fit: 261 whole routes' worth.
#[test]
fn route_operation_pairs_past_the_memory_limit_are_cut_at_a_route() {
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..500 {
        let _ = writeln!(spec, "  /p{index}:\n    get:\n      operationId: o{index}\n      responses: {{'200': {{description: OK.}}}}");
        let _ = writeln!(
            kong,
            "  - {{name: r{index}, paths: [/], headers: {{x-r: ['{index}']}}}}"
        );
    }
    let dir = project(&[
        ("openapi.yaml", spec.as_bytes()),
        ("kong.yaml", kong.as_bytes()),
    ]);
    let (_, found, report) = lint(dir.path(), &["--memory-limit", "8", "--no-config", "."]);
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    assert_eq!(refused, vec![&at("input-refused", "kong.yaml", 6 + 261, 6)]);
    assert!(message_of(&report, "input-refused").contains("the first 261 routes are checked"));
    assert!(found.contains(&witness()));
}

/// A route without a host may serve every API: 2,000 of them beside 201 descriptions are
/// 402,000 candidate pairs before any path is compared. Under 16 MiB, 262,144 fit: 1,304 routes'.
#[test]
fn routes_times_api_descriptions_past_the_memory_limit_are_cut_at_a_route() {
    let specs: Vec<(String, String)> = (0..200)
        .map(|index| {
            (
                format!("s{index}.yaml"),
                format!("openapi: 3.0.3\ninfo: {{title: t{index}, version: '1'}}\npaths:\n  /a{index}:\n    get:\n      operationId: o\n      responses: {{'200': {{description: OK.}}}}\n"),
            )
        })
        .collect();
    let mut kong = String::from(KONG_ROUTES);
    for index in 0..2_000 {
        let _ = writeln!(kong, "  - {{name: r{index}, paths: [/r{index}]}}");
    }
    let mut files: Vec<(&str, &[u8])> = specs
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_bytes()))
        .collect();
    files.push(("kong.yaml", kong.as_bytes()));
    let dir = project(&files);
    let (_, found, report) = lint(dir.path(), &["--memory-limit", "16", "--no-config", "."]);
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    assert_eq!(
        refused,
        vec![&at("input-refused", "kong.yaml", 6 + 1_304, 6)]
    );
    assert!(message_of(&report, "input-refused").contains("the first 1304 routes are checked"));
    assert!(found.contains(&witness()));
}

/// A ruleset comes with the pull request: twenty rules that flag every string of a 300-path
/// description find 6,000 things. Under 4 MiB the run keeps 4,096 ruleset findings.
#[test]
fn ruleset_findings_past_the_memory_limit_stop_with_a_finding() {
    let mut spec = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for index in 0..300 {
        let _ = writeln!(spec, "  /p{index}: {{get: {{summary: s{index}}}}}");
    }
    let mut ruleset = String::from("rules:\n");
    for index in 0..20 {
        let _ = writeln!(
            ruleset,
            "  r{index}:\n    given: \"$..*\"\n    then:\n      function: pattern\n      functionOptions: {{match: \"^zzz$\"}}"
        );
    }
    let dir = project(&[
        ("api.yaml", spec.as_bytes()),
        ("routeguard.yaml", b"{}\n"),
        (".spectral.yaml", ruleset.as_bytes()),
    ]);
    let (_, found, report) = lint(
        dir.path(),
        &["--memory-limit", "4", "api.yaml", "witness.yaml"],
    );
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    assert_eq!(refused, vec![&at("input-refused", "api.yaml", 1, 1)]);
    assert!(message_of(&report, "input-refused").contains("rule `r0` was stopped there"));
    assert!(help_of(&report, "input-refused").starts_with("narrow the rules' `given` paths"));
    let custom = found
        .iter()
        .filter(|(rule, ..)| {
            rule.strip_prefix('r')
                .is_some_and(|number| number.parse::<u32>().is_ok())
        })
        .count();
    assert!(
        (4_000..=4_096).contains(&custom),
        "{custom} ruleset findings"
    );
    assert!(found.contains(&witness()));
}

/// A `given` path keeps its first million matches: a document with more says so rather than
/// passing as checked.
#[test]
fn a_given_path_with_more_than_a_million_matches_is_reported_cut() {
    let spec = format!(
        "{{\"openapi\": \"3.0.3\", \"info\": {{\"title\": \"t\", \"version\": \"1\"}}, \"paths\": {{}}, \"x-values\": [{}]}}\n",
        vec!["1"; 1_000_100].join(",")
    );
    let ruleset =
        "rules:\n  every-value:\n    given: \"$..*\"\n    then:\n      function: truthy\n";
    let dir = project(&[
        ("api.json", spec.as_bytes()),
        ("routeguard.yaml", b"{}\n"),
        (".spectral.yaml", ruleset.as_bytes()),
    ]);
    let args = ["lint", "--format", "json", "api.json", "witness.yaml"];
    let outcome = run_within(dir.path(), &args, LARGE_DEADLINE);
    let report: Value = serde_json::from_str(&outcome.stdout).expect("JSON report");
    let found = located(&report);
    let refused: Vec<&Located> = found
        .iter()
        .filter(|(rule, ..)| rule == "input-refused")
        .collect();
    assert_eq!(refused, vec![&at("input-refused", "api.json", 1, 1)]);
    assert_eq!(
        message_of(&report, "input-refused"),
        "rule `every-value`: `$..*` matches more than 1000000 values in this document; the \
         first are checked, the rest are not"
    );
    assert!(found.contains(&witness()));
}

#[test]
fn the_config_lowers_the_memory_limit_and_the_flag_wins_over_it() {
    let json = format!("[{}]\n", vec!["1"; 20_000].join(","));
    let dir = project(&[
        ("dense.json", json.as_bytes()),
        ("routeguard.yaml", b"memory-limit: 1\n"),
    ]);
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![at("input-refused", "dense.json", 1, 1), witness()]
    );
    let (code, found, _) = lint(dir.path(), &["--memory-limit", "2048", "."]);
    assert_eq!((code, found), (0, vec![witness()]));
}

#[test]
fn a_config_cannot_raise_the_memory_limit() {
    let dir = project(&[("routeguard.yaml", b"fail-on: error\nmemory-limit: 4096\n")]);
    let outcome = run(dir.path(), &["lint", "."]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("routeguard.yaml:2:15:")
            && outcome.stderr.contains("must be at most 2048, found 4096")
            && outcome.stderr.contains("raise it with `--memory-limit`"),
        "{}",
        outcome.stderr
    );
    // The flag may raise it, and wins over the config's value.
    let dir = project(&[("routeguard.yaml", b"memory-limit: 1024\n")]);
    let outcome = run(dir.path(), &["lint", "--memory-limit", "4096", "."]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

// 10. FIFOs and devices are refused, never read.

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_as_input_config_and_baseline() {
    let dir = project(&[]);
    let made = Command::new("mkfifo")
        .arg(dir.path().join("pipe.yaml"))
        .status();
    if !made.is_ok_and(|status| status.success()) {
        return;
    }
    let (code, found, report) = lint(dir.path(), &["pipe.yaml", "/dev/zero", "witness.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        vec![
            at("input-refused", "/dev/zero", 1, 1),
            at("input-refused", "pipe.yaml", 1, 1),
            witness(),
        ]
    );
    assert!(message_of(&report, "input-refused").contains("is not read"));
    // A walk passes FIFOs by, as it does everything but regular files.
    let (_, found, _) = lint(dir.path(), &["."]);
    assert_eq!(found, vec![witness()]);
    let config = run(dir.path(), &["lint", "--config", "pipe.yaml", "."]);
    assert_eq!(config.code, 2);
    assert!(
        config.stderr.contains("a FIFO (named pipe) is not read"),
        "{}",
        config.stderr
    );
    let baseline = run(dir.path(), &["lint", "--baseline", "/dev/zero", "."]);
    assert_eq!(baseline.code, 2);
    assert!(
        baseline.stderr.contains("a character device is not read"),
        "{}",
        baseline.stderr
    );
}

// 11. `$ref` cycles of any length.

#[test]
fn a_ref_cycle_of_a_hundred_hops_is_reported() {
    let mut spec = String::from(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n",
    );
    for index in 0..100 {
        let _ = writeln!(
            spec,
            "    s{index}: {{$ref: '#/components/schemas/s{}'}}",
            (index + 1) % 100
        );
    }
    let dir = project(&[("openapi.yaml", spec.as_bytes())]);
    let (code, found, report) = lint(dir.path(), &["--no-config", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        found.len(),
        101,
        "each member of the cycle, and the witness"
    );
    assert_eq!(found[0], at("ref-unresolved", "openapi.yaml", 6, 16));
    assert!(message_of(&report, "ref-unresolved").contains("circular reference"));
    assert!(message_of(&report, "ref-unresolved").contains("… 35 more"));
}

// 12. Unreadable folders and ignore files that hide everything.

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_a_finding_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("locked/spec.yaml", WITNESS.as_bytes())]);
    let locked = dir.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read_dir(&locked).is_ok() {
        // Running as root: permissions do not apply, nothing to test.
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        return;
    }
    let (code, found, report) = lint(dir.path(), &["."]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(code, 1);
    assert_eq!(found, vec![at("input-refused", "locked", 1, 1), witness()]);
    assert!(message_of(&report, "input-refused").contains("permission denied"));
}

#[test]
fn an_ignore_file_that_hides_every_file_gets_a_notice() {
    let dir = project(&[
        ("specs/.gitignore", b"*.yaml\n"),
        ("specs/a.yaml", WITNESS.as_bytes()),
    ]);
    // Nothing is left to lint, which is "no files found" (exit 2); the note says why.
    let outcome = run(dir.path(), &["lint", "specs"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("no files found"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("note: `specs`: 1 YAML, JSON or TOML file is hidden by"),
        "{}",
        outcome.stderr
    );
}

// 13. JSON strings with raw control characters.

#[test]
fn raw_control_characters_in_json_strings_are_parse_errors() {
    let dir = project(&[(
        "ctl.json",
        b"{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"a\x01b\"}}",
    )]);
    let (code, found, report) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(found, vec![at("parse-error", "ctl.json", 1, 42), witness()]);
    assert!(message_of(&report, "parse-error").contains("U+0001"));
}

// 14. Output paths.

#[test]
fn outputs_are_checked_against_each_other_inputs_and_the_root() {
    let dir = project(&[]);
    let both = run(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "-o",
            "same.out",
            "--format",
            "sarif",
            "-o",
            "./same.out",
        ],
    );
    assert_eq!(both.code, 2);
    assert!(
        both.stderr.contains("is the output of both"),
        "{}",
        both.stderr
    );
    let over = run(
        dir.path(),
        &[
            "lint",
            "--format",
            "json",
            "-o",
            "witness.yaml",
            "witness.yaml",
        ],
    );
    assert_eq!(over.code, 2);
    assert!(
        over.stderr.contains("is one of the files being linted"),
        "{}",
        over.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("witness.yaml")).expect("witness"),
        WITNESS
    );
    let root = run(dir.path(), &["lint", "--root", "witness.yaml", "."]);
    assert_eq!(root.code, 2);
    assert!(root.stderr.contains("not a folder"), "{}", root.stderr);
}

// 16. Messages say what happened.

#[cfg(unix)]
#[test]
fn a_symlink_loop_says_so() {
    let dir = project(&[]);
    std::os::unix::fs::symlink("b.yaml", dir.path().join("a.yaml")).expect("symlink");
    std::os::unix::fs::symlink("a.yaml", dir.path().join("b.yaml")).expect("symlink");
    let outcome = run(dir.path(), &["lint", "a.yaml"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("symlink loop"),
        "{}",
        outcome.stderr
    );
    // Walking passes symlinks by: the loop does not stop the run.
    let (code, found, _) = lint(dir.path(), &["."]);
    assert_eq!((code, found), (0, vec![witness()]));
}

#[test]
fn a_huge_glob_list_is_a_readable_config_error() {
    let mut config = String::from("include:\n");
    for index in 0..3_000 {
        let alternatives: Vec<String> = (0..50).map(|j| format!("b{j}")).collect();
        let _ = writeln!(
            config,
            "  - \"**/a{{{}}}*[a-z]?x/**{index}\"",
            alternatives.join(",")
        );
    }
    let dir = project(&[("routeguard.yaml", config.as_bytes())]);
    let outcome = run(dir.path(), &["lint", "."]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains(
            "routeguard.yaml:2:3: the globs in `include` are too many or too complex to match together"
        ),
        "{}",
        outcome.stderr
    );
}
