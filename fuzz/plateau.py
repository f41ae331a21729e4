#!/usr/bin/env python3
"""Runs fuzz targets one after another, each until its coverage plateaus or a deadline passes.

A target has plateaued when libFuzzer has found no new coverage edge in routeguard's own code for
WINDOW seconds of the CPU time it used: on a shared machine a fuzzer that got little CPU has not
searched for long, however long it waited. Which code an edge is in comes from libFuzzer's
`-print_pcs` and `llvm-symbolizer` on the target's line tables (fuzz/Cargo.toml asks for them): an
edge whose source line is in `src/` is routeguard's; the others are in the standard library's
generic code instantiated for routeguard's types (sorting, hash tables) or in dependencies (parsers,
regex), which their own projects fuzz. Every new edge still counts in `cov` and is tallied by source
in the result; `--measure all` stops on any edge instead. Without a symbolizer or line tables, every
edge counts. Each run starts from the target's corpus with the dictionary, on one core at the lowest
priority (its scheduling group's too, so that it takes only CPU nothing else wants), and ends at the
plateau (interrupted, as Ctrl-C would), at the deadline, or on the first crash, timeout or
out-of-memory. One JSON line per target goes to stdout: executions, edges and features at the end,
when the last edge was found, wall and CPU seconds, corpus size, peak RSS and the artifacts written.
While a target runs, `TARGET.status` beside its log says every 30 seconds how long it has gone
without a new edge.

    fuzz/plateau.py --window 600 --until 09:50 [--cap SECONDS] TARGET...

Without --cap, each target gets an equal share of the time left until --until.

Build the targets first (`fuzz/run.sh 0` builds and seeds them).
"""

import argparse
import datetime
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OWN_SOURCE = os.path.realpath(os.path.join(HERE, "..", "src")) + os.sep
STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")
FINAL = re.compile(r"^stat::(\w+):\s+(\d+)")
PC_TABLE = re.compile(r"^INFO: Loaded 1 PC tables \(\d+ PCs\): \d+ \[(0x[0-9a-f]+),")
NEW_PC = re.compile(r"^\s*NEW_PC: (0x[0-9a-f]+)")
VERSION = re.compile(r"-\d+(\.\d+)*([-+].*)?$")


def section_addresses(binary):
    """The address an ELF64 binary gives each of its sections, by name (none if not ELF64)."""
    with open(binary, "rb") as elf:
        data = elf.read()
    if data[:5] != b"\x7fELF\x02":
        return {}
    shoff, = struct.unpack_from("<Q", data, 0x28)
    entry_size, count, names_index = struct.unpack_from("<HHH", data, 0x3A)
    def header(index):
        return struct.unpack_from("<IIQQQQ", data, shoff + index * entry_size)
    names_offset = header(names_index)[4]
    addresses = {}
    for index in range(count):
        name, _, _, address, _, _ = header(index)
        end = data.index(b"\0", names_offset + name)
        addresses[data[names_offset + name:end].decode()] = address
    return addresses


class Sources:
    """Names the source of each new edge libFuzzer prints: `routeguard` for a line in `src/`,
    `std` for the standard library, a crate's name for a dependency's, `other` when unknown."""

    def __init__(self, binary):
        sections = section_addresses(binary)
        self.table = sections.get("__sancov_pcs")
        symbolizer = shutil.which("llvm-symbolizer")
        self.process = None
        self.offset = None
        # Where the edges counted as `other` are, for the result: a file of routeguard's would
        # mean the classification misses some of its edges.
        self.unknown = set()
        if self.table is not None and ".debug_line" in sections and symbolizer:
            self.process = subprocess.Popen(
                [symbolizer, "--obj=" + binary, "--output-style=LLVM"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def loaded(self, runtime_table):
        self.offset = runtime_table - self.table

    def source(self, pc):
        if self.process is None or self.offset is None:
            return "other"
        self.process.stdin.write(hex(pc - self.offset) + "\n")
        self.process.stdin.flush()
        frames = []
        while (line := self.process.stdout.readline().rstrip("\n")):
            frames.append(line)
        # Innermost frame first: its file is the edge's source line. Line 0 is code with no line
        # of its own (an inlined standard-library helper), which the line tables put in the file
        # of the crate that compiled it, routeguard's `lib.rs` for a dependency's generic code
        # instantiated there; the first frame outward that has a line is where it came from.
        locations = [frame.rsplit(":", 2) for frame in frames[1::2]]
        located = [place for place in locations if len(place) == 3 and place[1] != "0"]
        path = (located or locations or [["??"]])[0][0]
        if path.startswith(OWN_SOURCE):
            return "routeguard"
        if "/registry/src/" in path:
            folder = path.split("/registry/src/", 1)[1].split("/")[1]
            return VERSION.sub("", folder)
        if "/library/" in path or path.startswith("/rust/deps/"):
            # The standard library's sources, and the crates it vendors (its hash table).
            return "std"
        self.unknown.add(path)
        return "other"

    def close(self):
        if self.process:
            self.process.stdin.close()
            self.process.wait()


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("host: "))


def cpu_seconds(pid):
    """User and system CPU seconds `pid` has used so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lowest_group_priority():
    """With autogroup scheduling, nice only orders processes within one session's group: the
    group itself is lowered too, where the kernel allows it."""
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write("19")
    except OSError:
        pass


def run(target, window, deadline, log_dir, timeout, measure):
    binary = os.path.join(HERE, "target", host_triple(), "release", target)
    corpus = os.path.join(HERE, "corpus", target)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(os.path.join(HERE, "artifacts"), exist_ok=True)
    before = set(os.listdir(os.path.join(HERE, "artifacts")))
    command = [
        "nice", "-n", "19", binary, corpus, "-dict=" + os.path.join(HERE, "routeguard.dict"),
        "-rss_limit_mb=4096", f"-timeout={timeout}", "-print_final_stats=1",
        "-artifact_prefix=" + os.path.join(HERE, "artifacts", target + "-"),
    ]
    sources = Sources(binary) if measure == "own" else None
    if sources and sources.process:
        command.append("-print_pcs=1")
    else:
        measure = "all"
    started = time.monotonic()
    log_path = os.path.join(log_dir, target + ".log")
    status_path = os.path.join(log_dir, target + ".status")
    next_status = 0.0
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=HERE)
    stderr = process.stderr.fileno()
    state = {"cov": 0, "ft": 0, "execs": 0, "corpus": 0, "corpus_size": "", "last_edge": 0.0,
             "inited": False, "last_own_edge": 0.0, "own_new_edges": 0, "by_source": {},
             "sources": sources}
    final = {}
    stopped = None
    buffer = ""
    usage = None
    with open(log_path, "w") as log:
        while True:
            readable, _, _ = select.select([stderr], [], [], 1.0)
            chunk = os.read(stderr, 1 << 16).decode(errors="replace") if readable else ""
            if chunk:
                buffer += chunk
                *lines, buffer = buffer.split("\n")
                for line in lines:
                    log.write(line + "\n")
                    observe(line, state, final, cpu_seconds(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            used = cpu_seconds(process.pid)
            if time.monotonic() >= next_status:
                # Where the run stands, for whoever watches it: `TARGET.status` beside the log.
                next_status = time.monotonic() + 30
                with open(status_path, "w") as status_file:
                    json.dump({"cpu_s": round(used), "cov": state["cov"],
                               "last_new_edge_at_cpu_s": round(state["last_edge"]),
                               "last_new_own_edge_at_cpu_s": round(state["last_own_edge"]),
                               "without": round(used - last_edge(state, measure)),
                               "measure": measure, "window": window, "execs": state["execs"],
                               "new_edges_by_source": state["by_source"]}, status_file)
            if stopped is None and state["inited"] and used - last_edge(state, measure) >= window:
                stopped = "plateau"
            elif stopped is None and time.time() >= deadline:
                stopped = "deadline"
            if stopped:
                # As Ctrl-C: libFuzzer prints its final statistics and exits.
                process.send_signal(signal.SIGINT)
                _, status, usage = os.wait4(process.pid, 0)
                break
        process.returncode = os.waitstatus_to_exitcode(status)
        rest = process.stderr.read().decode(errors="replace")
        for line in (buffer + rest).split("\n"):
            log.write(line + "\n")
            observe(line, state, final, usage.ru_utime + usage.ru_stime)
    if sources:
        sources.close()
    wall = time.monotonic() - started
    cpu = usage.ru_utime + usage.ru_stime
    # Only this target's: fuzzers running side by side share the folder.
    artifacts = sorted(
        name for name in set(os.listdir(os.path.join(HERE, "artifacts"))) - before
        if name.startswith(target + "-")
    )
    files = os.listdir(corpus)
    return {
        "target": target,
        "ended": stopped or ("crash" if artifacts else "exit"),
        "exit_code": process.returncode,
        "wall_s": round(wall),
        "cpu_s": round(cpu),
        "execs": int(final.get("number_of_executed_units", state["execs"])),
        "cov": state["cov"],
        "ft": state["ft"],
        "last_new_edge_at_cpu_s": round(state["last_edge"]),
        "measure": measure,
        "own_new_edges": state["own_new_edges"] if measure == "own" else None,
        "last_new_own_edge_at_cpu_s": round(state["last_own_edge"]) if measure == "own" else None,
        "new_edges_by_source": state["by_source"],
        "other_sources": sorted(sources.unknown)[:20] if sources else [],
        "corpus_files": len(files),
        "corpus_bytes": sum(os.path.getsize(os.path.join(corpus, f)) for f in files),
        "peak_rss_mb": int(final.get("peak_rss_mb", 0)),
        "artifacts": artifacts,
        "log": log_path,
    }


def last_edge(state, measure):
    """When the last edge that counts for the plateau was found, in CPU seconds."""
    return state["last_own_edge"] if measure == "own" else state["last_edge"]


def observe(line, state, final, cpu_used):
    sources = state["sources"]
    table = PC_TABLE.match(line)
    if table and sources:
        sources.loaded(int(table.group(1), 16))
    new_pc = NEW_PC.match(line)
    if new_pc and sources:
        # libFuzzer prints the edges it finds after its corpus is loaded, once each.
        source = sources.source(int(new_pc.group(1), 16))
        state["by_source"][source] = state["by_source"].get(source, 0) + 1
        if source == "routeguard":
            state["own_new_edges"] += 1
            state["last_own_edge"] = cpu_used
        return
    status = STATUS.match(line)
    if status:
        execs, event, cov, ft, corpus, size = status.groups()
        if int(cov) > state["cov"]:
            state["last_edge"] = cpu_used
        if event == "INITED":
            # The window starts once the corpus is loaded: loading it finds no new edge.
            state["inited"] = True
            state["last_own_edge"] = cpu_used
        state.update(execs=int(execs), cov=max(state["cov"], int(cov)), ft=int(ft),
                     corpus=int(corpus), corpus_size=size)
    stat = FINAL.match(line)
    if stat:
        final[stat.group(1)] = stat.group(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=600,
                        help="CPU seconds without a new edge")
    parser.add_argument("--until", required=True, help="UTC HH:MM after which runs stop")
    parser.add_argument("--cap", type=int,
                        help="at most this many seconds per target [default: an equal share]")
    parser.add_argument("--timeout", type=int, default=20,
                        help="seconds of wall time one input may take (libFuzzer's -timeout); "
                             "raise it when the fuzzer gets only idle CPU")
    parser.add_argument("--logs", default="/tmp", help="folder for each target's libFuzzer log")
    parser.add_argument("--measure", choices=["own", "all"], default="own",
                        help="which new edges end the window: routeguard's own (the default) "
                             "or any")
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args()
    lowest_group_priority()
    hour, minute = map(int, args.until.split(":"))
    now = datetime.datetime.now(datetime.timezone.utc)
    until = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if until <= now:
        # A time already past today is tomorrow's: a run that crosses midnight.
        until += datetime.timedelta(days=1)
    until = until.timestamp()
    for index, target in enumerate(args.targets):
        # Without a cap, the time left is shared among the targets left, so that time a target
        # does not need (it plateaued) goes to those after it.
        share = (until - time.time()) / (len(args.targets) - index)
        deadline = min(until, time.time() + (share if args.cap is None else args.cap))
        if time.time() >= deadline:
            break
        result = run(target, args.window, deadline, args.logs, args.timeout, args.measure)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
