#!/usr/bin/env python3
"""Runs Spectral and routeguard with the same real rulesets on the same specs and compares, per
ruleset, the share of its rules routeguard runs and, for each rule both run, the findings: same
JSON path, same count. Not run in CI: it needs Spectral (npm) and takes minutes.

    eval "$(../shared/bench/peers.sh)"          # or: npm i @stoplight/spectral-cli@6 in /tmp
    SPECTRAL=.../spectral benches/compare-spectral.py [ROUTEGUARD] [SPEC...]

Defaults: target/release/routeguard; the OpenAPI specs under fixtures/openapi and fixtures/demo.
Rulesets: every YAML or JSON file under fixtures/spectral that defines rules, or those under the
folders named in RULESETS (`RULESETS=bpce,redhat`). Prints a Markdown table (docs/custom-rules.md).
"""
import collections, glob, json, os, shutil, subprocess, sys, tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECTRAL = os.environ.get("SPECTRAL", "spectral")


def defined_rules(ruleset):
    data = yaml.safe_load(open(ruleset)) or {}
    return {name for name, rule in (data.get("rules") or {}).items()
            if isinstance(rule, dict) and "given" in rule}


def spectral_findings(ruleset, specs, rules):
    """(rule, file, line) → count, from Spectral's JSON output, one spec at a time so that a spec
    Spectral stops on leaves the others compared; and the specs it stopped on, with its error.
    routeguard's JSON report has no JSON path, so findings are matched by the line of the node
    the path leads to."""
    found = collections.Counter()
    failed = {}
    for spec in specs:
        out = subprocess.run([SPECTRAL, "lint", "--ruleset", ruleset, "--format", "json",
                              "--quiet", "--fail-severity", "error", spec],
                             capture_output=True, text=True)
        try:
            if out.returncode not in (0, 1):
                raise json.JSONDecodeError("Spectral failed", "", 0)
            results = json.loads(out.stdout or "[]")
        except json.JSONDecodeError:
            failed[spec] = (out.stderr.strip().splitlines() or ["no output"])[-1]
            continue
        for result in results:
            if result["code"] in rules:
                line = result["range"]["start"]["line"] + 1
                found[(result["code"], os.path.realpath(result["source"]), line)] += 1
    return found, failed


def routeguard_findings(binary, ruleset, specs, rules):
    """The same, from routeguard's JSON report."""
    project = tempfile.mkdtemp()
    try:
        os.mkdir(os.path.join(project, ".git"))
        with open(os.path.join(project, "routeguard.yaml"), "w") as config:
            config.write(f"extends: [off, {ruleset}]\n")
        listed = subprocess.run([binary, "rules", "--format", "json"], cwd=project,
                                capture_output=True, text=True)
        if listed.returncode != 0:
            # A ruleset routeguard refuses as a whole (as Spectral does) runs none of its rules.
            return set(), collections.Counter()
        running = {rule["id"] for rule in json.loads(listed.stdout)["rules"]
                   if rule["family"] == "custom"} & rules
        out = subprocess.run([binary, "lint", "--format", "json", "--root", "/",
                              "--config", os.path.join(project, "routeguard.yaml"), *specs],
                             capture_output=True, text=True, cwd=ROOT)
        report = json.loads(out.stdout)
        found = collections.Counter()
        for finding in report["diagnostics"]:
            if finding["rule"] in running:
                found[(finding["rule"], os.path.realpath(os.path.join(ROOT, finding["file"])),
                       finding["line"])] += 1
        return running, found
    finally:
        shutil.rmtree(project)


def runnable_copy(ruleset, running):
    """The ruleset reduced to the rules routeguard runs (without `extends`, `functions` and
    the rules that call them), so that Spectral runs the same rules without their JavaScript."""
    data = yaml.safe_load(open(ruleset)) or {}
    reduced = {key: value for key, value in data.items()
               if key in ("formats", "aliases", "documentationUrl")}
    reduced["rules"] = {name: rule for name, rule in (data.get("rules") or {}).items()
                        if name in running}
    handle, path = tempfile.mkstemp(suffix=".spectral.yaml")
    with os.fdopen(handle, "w") as out:
        yaml.safe_dump(reduced, out, sort_keys=False)
    return path


def main():
    binary = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(
        ROOT, "target/release/routeguard")
    specs = [os.path.abspath(spec) for spec in sys.argv[2:]] or sorted(
        glob.glob(os.path.join(ROOT, "fixtures/openapi/*.json"))
        + [os.path.join(ROOT, "fixtures/demo/openapi.yaml")])
    print(f"{len(specs)} specs\n")
    print("| ruleset | rules | run by routeguard | rules with equal findings | differing rules |")
    print("|---|---|---|---|---|")
    folders = os.environ.get("RULESETS", "").split(",")
    for ruleset in sorted(glob.glob(os.path.join(ROOT, "fixtures/spectral/**/*.*"),
                                    recursive=True)):
        if not ruleset.endswith((".yaml", ".yml", ".json")):
            continue
        if folders != [""] and not any(f"/fixtures/spectral/{folder}/" in ruleset
                                       for folder in folders):
            continue
        rules = defined_rules(ruleset)
        if not rules:
            continue
        running, _ = routeguard_findings(binary, ruleset, specs, rules)
        name = os.path.relpath(ruleset, ROOT)
        if not running:
            print(f"| `{name}` | {len(rules)} | 0 (0 %) | – | – |")
            continue
        reduced = runnable_copy(ruleset, running)
        _, ours = routeguard_findings(binary, reduced, specs, running)
        theirs, failed = spectral_findings(reduced, specs, running)
        os.remove(reduced)
        share = f"{len(running)} ({100 * len(running) // max(1, len(rules))} %)"
        if len(failed) == len(specs):
            error = next(iter(failed.values()))
            print(f"| `{name}` | {len(rules)} | {share} | Spectral failed: {error[:80]} | |")
            continue
        stopped = {os.path.realpath(spec) for spec in failed}
        ours = collections.Counter({key: count for key, count in ours.items()
                                    if key[1] not in stopped})
        for spec, error in failed.items():
            print(f"<!-- Spectral stopped on {os.path.basename(spec)}: {error[:120]} -->")
        differing = []
        for rule in sorted(running):
            mine = {key: count for key, count in ours.items() if key[0] == rule}
            spectral = {key: count for key, count in theirs.items() if key[0] == rule}
            if mine != spectral:
                differing.append(f"{rule} ({sum(mine.values())} vs {sum(spectral.values())})")
        equal = len(running) - len(differing)
        print(f"| `{name}` | {len(rules)} | {share} | {equal} | {', '.join(differing) or '–'} |")


if __name__ == "__main__":
    main()
