"""Concurrency Lab benchmark: how fast the course runs and how clearly it teaches.

    make bench                              # full run, writes bench/results.{md,json}
    python bench/run.py --quick --out DIR   # smoke run (seconds), used by the tests
    python bench/run.py --with-test-command # also time the whole test command (minutes)
    python bench/run.py --only io,cpu       # re-measure some sections, keep the others
    python bench/run.py --render            # rewrite results.md from results.json

It measures, side by side in one run, each figure as a ratio or against its
own limit: notebook execution times, the whole test command, the
CPU-bound process and thread speedups, the I/O-bound thread speedup up to 32
threads against the local corpus server, GIL-releasing C work with big and
small buffers, lock granularity in the letter counter, the start + join cost
of each start method, and the timeline's own overhead. Every figure is the
median of k repeats with its spread (min–max), next to the cores that other
programs were using while it was measured.

Only the standard library is imported at the top: under the spawn start
method a child process imports this file again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

RESULTS_MD = HERE / "results.md"
RESULTS_JSON = HERE / "results.json"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
SCHEMA = 1

SECTIONS = (
    "start",
    "cpu",
    "io",
    "c",
    "locks",
    "timeline",
    "panels",
    "notebooks",
    "tests",
)
TITLES = {
    "start": "Start methods: empty process, start + join",
    "cpu": "CPU-bound pure Python (count_primes)",
    "io": "I/O-bound: HTTP fetches from the local corpus server",
    "c": "GIL-releasing C work (hashlib sha256)",
    "locks": "Lock granularity (letter counter, threads)",
    "timeline": "Library overhead: runner with timeline vs without",
    "panels": "Panels: pressing Run to the redrawn plot (default settings)",
    "notebooks": "Notebook execution (fresh kernel, nbclient)",
    "tests": "The whole test command (make test: nox, noxfile.py)",
}

# The targets, each against its own limit.
NOTEBOOK_LIMIT_S = 20.0
# Notebooks whose issue set a longer limit: 12 runs other interpreters, 13 a
# Dask cluster.
NOTEBOOK_LIMITS_S = {"12_free_threading": 30.0, "13_dask": 40.0}
REDRAW_LIMIT_S = 3.0
TEST_COMMAND_LIMIT_S = 900.0  # the warm test command: under 15 min on 2 cores
PROCESS_EFFICIENCY = 0.9  # process speedup >= 0.9 × min(workers, usable cores)
IO_EFFICIENCY = 0.8  # I/O thread speedup >= 0.8 × threads, up to 32
TIMELINE_OVERHEAD = 0.05  # < 5 %


# --------------------------------------------------------------------------
# Statistics and ratio math (pure functions, tested in tests/test_bench.py)
# --------------------------------------------------------------------------


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median, quartiles and min–max of ``samples`` (at least one)."""
    if not samples:
        raise ValueError("samples must not be empty")
    values = sorted(float(v) for v in samples)
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = q3 = values[0]
    return {
        "median": statistics.median(values),
        "q1": q1,
        "q3": q3,
        "min": values[0],
        "max": values[-1],
        "n": len(values),
        "samples": [float(v) for v in samples],
    }


def speedup(baseline: float, parallel: float) -> float:
    """How many times faster ``parallel`` ran than ``baseline`` (seconds)."""
    if baseline <= 0 or parallel <= 0:
        raise ValueError("times must be > 0")
    return baseline / parallel


def paired_ratios(baseline: Sequence[float], other: Sequence[float]) -> list[float]:
    """Per-repeat speedups of ``other`` over ``baseline`` (measured interleaved)."""
    if len(baseline) != len(other):
        raise ValueError("baseline and other need the same number of repeats")
    return [speedup(b, o) for b, o in zip(baseline, other, strict=True)]


def ideal_speedup(workers: int, cores: int) -> int:
    """The best a pool of ``workers`` can do on ``cores`` cores."""
    return max(1, min(workers, cores))


def overhead(with_it: Sequence[float], without: Sequence[float]) -> list[float]:
    """Per-repeat relative extra time of ``with_it`` over ``without``."""
    if len(with_it) != len(without):
        raise ValueError("with_it and without need the same number of repeats")
    return [w / o - 1.0 for w, o in zip(with_it, without, strict=True)]


def judge(value: float | None, op: str | None, limit: float | None) -> str:
    """'pass' / 'miss' for a target, 'info' without one, 'error' without a value.

    Rows can also be 'stale' (carried over from an earlier run, see
    :func:`carry`): like 'error', a stale row never counts as met."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "error"
    if op is None or limit is None:
        return "info"
    ok = {
        ">=": value >= limit,
        ">": value > limit,
        "<": value < limit,
        "<=": value <= limit,
    }
    if op not in ok:
        raise ValueError(f"op must be one of {sorted(ok)}, got {op!r}")
    return "pass" if ok[op] else "miss"


def measurement(
    section: str,
    name: str,
    samples: Sequence[float],
    unit: str,
    *,
    op: str | None = None,
    limit: float | None = None,
    target: str = "",
    detail: str = "",
    source: str = "conclab",
    expect: tuple[float, float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One row of the table: a summary of ``samples`` and its verdict.

    ``op``/``limit`` is a target (pass/miss); ``expect`` an
    informative range the course's claims predict (as expected or not).
    """
    stats = summarize(samples)
    expected = None
    if expect is not None:
        expected = expect[0] <= stats["median"] <= expect[1]
    return {
        **extra,
        "expect": list(expect) if expect is not None else None,
        "expected": expected,
        "section": section,
        "name": name,
        "unit": unit,
        **stats,
        "op": op,
        "limit": limit,
        "target": target,
        "status": judge(stats["median"], op, limit),
        "detail": detail,
        "source": source,
    }


def error_row(section: str, name: str, message: str) -> dict[str, Any]:
    return {
        "section": section,
        "name": name,
        "unit": "",
        "median": None,
        "n": 0,
        "op": None,
        "limit": None,
        "target": "",
        "status": "error",
        "detail": message,
        "source": "",
    }


# --------------------------------------------------------------------------
# Formatting: the Markdown table and the README snippet
# --------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value * 100:+.1f} %"
    if unit == "ms":
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        if value >= 100:
            return fmt_duration(value)
        return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:.3g} {unit}".strip()


def fmt_spread(row: dict[str, Any]) -> str:
    if row.get("median") is None or row.get("n", 0) < 2:
        return "—" if row.get("median") is None else "(1 run)"
    return f"{fmt(row['min'], row['unit'])} – {fmt(row['max'], row['unit'])}"


RESULT_MARK = {
    "pass": "✅ pass",
    "miss": "❌ miss",
    "info": "—",
    "error": "⚠️ error",
    "stale": "⚠️ stale",
}
# statuses that fail a target: only "pass" meets one
NOT_MET = ("miss", "error", "stale")


def result_text(row: dict[str, Any]) -> str:
    if row["status"] == "info" and row.get("expected") is not None:
        return "as expected" if row["expected"] else "⚠️ not as expected"
    if row["status"] == "stale":
        return f"⚠️ stale (measured {row.get('measured', '?')})"
    return RESULT_MARK[row["status"]]


def has_target(row: dict[str, Any]) -> bool:
    """A row that a target judges: it has a limit, or it should have had a
    value and has none (error), or it is an old value (stale)."""
    return bool(row.get("op")) or row["status"] in ("error", "stale")


def carry(row: dict[str, Any], date: str) -> dict[str, Any]:
    """An earlier run's row, kept for reference but never as a verdict: a
    value measured under another date and machine line cannot meet a target
    of this run."""
    row = dict(row)
    if row["status"] != "stale":
        row["measured"] = date
        row["status"] = "stale" if has_target(row) else row["status"]
    row["carried"] = True
    return row


def rejudge(row: dict[str, Any], date: str) -> dict[str, Any]:
    """A stored row judged by today's rules (``--render``): a carried-over
    row is stale, a failed test command misses, and every start method has
    the CPU-bound target that rows once labelled "info" only."""
    row = dict(row)
    if row.get("carried") and row["status"] != "stale":
        row = carry(row, row.get("measured", date))
    found = re.match(
        r"(?:last measured [^;]*; )?exit (\d+)", str(row.get("detail", ""))
    )
    if row["section"] == "tests" and found and found[1] != "0":
        row["failed"] = f"exit {found[1]}"
        if row["status"] == "pass":
            row["status"] = "miss"
    info = re.match(r"info: ≥ ([\d.]+)× as above", str(row.get("target", "")))
    if row["section"] == "cpu" and info and row.get("median") is not None:
        row["op"], row["limit"] = ">=", float(info[1])
        row["target"] = f"≥ {info[1]}× (0.9 × ideal {row.get('ideal', '?')})"
        row["status"] = judge(row["median"], ">=", row["limit"])
    return row


def exit_status(report: dict[str, Any]) -> int:
    """0 when every row with a target passed; 1 when one was missed, could
    not be measured, or is stale. A --quick smoke run judges nothing."""
    if report.get("quick"):
        return 0
    return int(any(r["status"] in NOT_MET for r in report["rows"] if has_target(r)))


def fmt_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def render_table(rows: Sequence[dict[str, Any]], loads: dict[str, Any]) -> str:
    """The results as one Markdown table, grouped by section; each section's
    header row says how many cores other programs kept busy meanwhile."""
    lines = [
        "| measurement | median | spread (min – max) | k | target | result | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    current = None
    for row in rows:
        if row["section"] != current:
            current = row["section"]
            load = loads.get(current)
            load_text = (
                f"others' load {load:.2f} cores" if isinstance(load, float) else ""
            )
            title = TITLES.get(current, current)
            lines.append(f"| **{title}** | | | | | | {load_text} |")
        name = row["name"]
        notes = str(row.get("detail", "")).replace("|", "/")
        lines.append(
            f"| {name} | {fmt(row.get('median'), row['unit'])} | {fmt_spread(row)} "
            f"| {row.get('n', 0) or ''} | {row.get('target', '')} "
            f"| {result_text(row)} | {notes} |"
        )
    return "\n".join(lines)


TARGETS = (
    ("notebooks", "every notebook < 20 s (12: < 30 s, 13: < 40 s)"),
    ("panels", "main panels: Run to redrawn plot < 3 s"),
    ("tests", "whole test command passes in < 15 min"),
    ("cpu", "CPU-bound process speedup ≥ 0.9 × min(workers, cores)"),
    ("io", "I/O-bound thread speedup ≥ 0.8 × threads, up to 32"),
    ("timeline", "timeline overhead < 5 % (extra CPU time)"),
)


def target_summary(rows: Sequence[dict[str, Any]]) -> str:
    """One line per target: how many of its rows passed, and the worst case.
    A target is met only when every row it judges passed: a row that could
    not be measured (error) or was carried over from an earlier run (stale)
    leaves it not met."""
    lines = ["| target | result | worst case |", "| --- | --- | --- |"]
    for section, text in TARGETS:
        judged = [r for r in rows if r["section"] == section and has_target(r)]
        if not judged:
            lines.append(f"| {text} | ❌ not measured | |")
            continue
        measured = [r for r in judged if r["status"] in ("pass", "miss")]
        passed = [r for r in judged if r["status"] == "pass"]
        errors = [r for r in judged if r["status"] == "error"]
        stale = [r for r in judged if r["status"] == "stale"]
        mark = "✅ met" if len(passed) == len(judged) else "❌ not met"
        count = f"{len(passed)} of {len(judged)} passed"
        extra = (f", {len(errors)} not measured" if errors else "") + (
            f", {len(stale)} stale" if stale else ""
        )
        if measured:

            def margin(r: dict[str, Any]) -> float:
                value, limit = r["median"], r["limit"]
                if r["op"] in (">=", ">"):
                    return value / limit
                return limit / max(value, 1e-9)

            worst = min(measured, key=margin)
            worst_text = f"{worst['name']} {fmt(worst['median'], worst['unit'])}"
            if worst["status"] == "miss" and worst.get("failed"):
                worst_text += f" — {worst['failed']}"
        else:
            first = (errors or stale)[0]
            worst_text = f"{first['name']}: {result_text(first)}"
        lines.append(f"| {text} | {mark} ({count}{extra}) | {worst_text} |")
    return "\n".join(lines)


def build_text(m: dict[str, Any]) -> str:
    if "free" in str(m.get("build", "")):
        state = "enabled" if m.get("gil_enabled") else "disabled"
        return f"free-threaded build, GIL {state}"
    return "GIL build"


def machine_line(report: dict[str, Any]) -> str:
    m = report["machine"]
    free = m.get("free_cores_start")
    free_text = f", {free:.1f} free at the start" if free is not None else ""
    return (
        f"Measured {report['date']} on {m['platform']} ({m['cpu_model']}), "
        f"{m['usable_cores']} usable cores{free_text} "
        f"(load average {m['loadavg_start'][0]:.2f} → {m['loadavg_end'][0]:.2f}), "
        f"{m['implementation']} {m['python']} ({build_text(m)}), "
        f"start method {m['start_method']}. "
        f"`{report['command']}` took {fmt_duration(report['runtime_s'])}."
    )


def summary_lines(report: dict[str, Any]) -> list[str]:
    rows = report["rows"]
    counts = {s: sum(r["status"] == s for r in rows) for s in RESULT_MARK}
    lines = [
        f"Rows with a target: {counts['pass']} passed, {counts['miss']} missed"
        + (f", {counts['error']} not measured" if counts["error"] else "")
        + (f", {counts['stale']} stale" if counts["stale"] else "")
        + "."
        + (" Where and why:" if report.get("why") else "")
    ]
    for why in report.get("why", []):
        lines.append(f"- {why}")
    return lines


def report_body(report: dict[str, Any]) -> str:
    """The benchmark's Markdown: machine line, targets, misses, full table.

    This is exactly bench/results.md, which tools/stamp.py copies between the
    README's ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers, so it
    holds no markers and no top-level heading of its own.
    """
    parts = [
        machine_line(report),
        "Every figure is the median of k repeats with its min – max spread; "
        "“others' load” is the CPU that other programs used while that section "
        "ran (the targets assume an otherwise idle machine). Speedups are "
        "paired: each repeat runs the baseline and the variant back to back. The "
        "timeline overhead is judged on CPU time, which other programs barely "
        "disturb; its wall-clock ratio is in the notes.",
        "",
        target_summary(report["rows"]),
        "",
        *summary_lines(report),
        "",
        render_table(report["rows"], report.get("loads", {})),
        "",
        "Generated by `make bench` (bench/run.py) into `bench/results.md` and "
        "`bench/results.json`; do not edit by hand.",
    ]
    return "\n".join(parts)


def readme_section(report: dict[str, Any] | None = None) -> str:
    """The README's benchmark block, markers included (see :func:`embed`).

    Reads bench/results.json when ``report`` is None.
    """
    if report is None:
        report = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    return f"{START_MARK}\n{report_body(report)}\n{END_MARK}"


def embed(text: str, section: str) -> str:
    """Replace the bench block of ``text`` (markers included) with ``section``."""
    start = text.find(START_MARK)
    end = text.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError(f"text has no {START_MARK} … {END_MARK} block")
    return text[:start] + section + text[end + len(END_MARK) :]


def write_results(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write results.json and results.md into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "results.json"
    md_path = out_dir / "results.md"
    json_path.write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md_path.write_text(report_body(report) + "\n", encoding="utf-8")
    return md_path, json_path


# --------------------------------------------------------------------------
# The machine and its load
# --------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_report(probe_seconds: float = 1.0) -> dict[str, Any]:
    """Python, build, cores, and how many of them are free right now."""
    import psutil

    from conclab.core import env

    per_cpu = psutil.cpu_percent(interval=probe_seconds, percpu=True)
    report = env.environment_report()
    return {
        "python": report["python"],
        "implementation": report["implementation"],
        "build": report["build"],
        "gil_enabled": report["gil_enabled"],
        "platform": f"{platform.system()} {platform.release().split('-')[0]} "
        f"{platform.machine()}",
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": env.usable_cores(),
        "start_method": env.start_method(),
        "start_methods": report["start_methods"],
        "free_cores_start": sum(100.0 - p for p in per_cpu) / 100.0,
        "loadavg_start": list(os.getloadavg()),
    }


def _tree_cpu() -> float:
    """CPU seconds used by this process and its descendants (alive or reaped)."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _busy_seconds() -> float:
    import psutil

    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    # guest time is already counted in user time on Linux
    guest = getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
    return sum(t) - idle - guest


class LoadMeter:
    """Cores other programs kept busy while a block ran (machine busy − ours)."""

    def __init__(self) -> None:
        self.others: float | None = None

    def __enter__(self) -> LoadMeter:
        self._wall = time.perf_counter()
        self._busy = _busy_seconds()
        self._own = _tree_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        busy = _busy_seconds() - self._busy
        own = _tree_cpu() - self._own
        if wall > 0:
            self.others = max(0.0, (busy - own) / wall)


# --------------------------------------------------------------------------
# Timing helpers
# --------------------------------------------------------------------------


def wall_of(result: Any) -> float:
    return float(result.wall)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Hide prints of library demos (e.g. do_something) during timing."""
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):
        yield


class Config:
    """Sizes and repeats: full run vs --quick smoke run."""

    def __init__(self, quick: bool, repeats: int | None) -> None:
        self.quick = quick
        self.k = repeats or (1 if quick else 5)
        self.k_io = repeats or (1 if quick else 3)
        self.k_start = 3 if quick else 20
        # ~5 s of work sequentially: a spawn or forkserver pool's start-up
        # (~0.15 s: its workers start one after another, then import the
        # task's module) is amortised, as in any real use of a pool.
        self.primes_n = 3_000 if quick else 250_000
        self.primes_tasks = 4 if quick else 16
        self.io_latency = 0.01 if quick else 0.05
        self.io_tasks = 8 if quick else 64
        self.io_threads = (1, 2, 8) if quick else (1, 2, 4, 8, 16, 32)
        self.c_big = (1 << 20) if quick else (32 << 20)
        self.c_big_rounds = 1 if quick else 8
        self.c_small = (1 << 14) if quick else (16 << 20)
        self.c_small_rounds = 1 if quick else 4
        self.c_small_chunk = 64
        self.c_tasks = 2 if quick else 4
        self.lock_threads = 4
        self.lock_docs = 2 if quick else 20
        self.timeline_n = 2_000 if quick else 20_000
        self.timeline_tasks = 4 if quick else 40
        self.timeline_tiny_n = 50
        self.timeline_tiny_tasks = 100 if quick else 2_000


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

START_PROBE = """
import json, multiprocessing, os, sys, time
k = int(sys.argv[1])
out = {}
for method in multiprocessing.get_all_start_methods():
    ctx = multiprocessing.get_context(method)
    times = []
    for i in range(k + 1):
        p = ctx.Process(target=os.getpid)
        t0 = time.perf_counter()
        p.start()
        p.join()
        times.append(time.perf_counter() - t0)
    out[method] = times
print(json.dumps(out))
"""


def section_start(cfg: Config) -> list[dict[str, Any]]:
    """Start + join of an empty Process per start method, from a small parent
    whose ``__main__`` has no file (like a notebook kernel)."""
    proc = subprocess.run(
        [sys.executable, "-c", START_PROBE, str(cfg.k_start)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tempfile.gettempdir(),
    )
    if proc.returncode != 0:
        return [error_row("start", "start methods", proc.stderr.strip()[-300:])]
    data = json.loads(proc.stdout)
    rows = []
    order = ("fork", "forkserver", "spawn")
    for method in sorted(data, key=lambda m: order.index(m) if m in order else 9):
        times = data[method]
        first, rest = times[0], times[1:]
        rows.append(
            measurement(
                "start",
                f"{method}: start + join",
                rest,
                "ms",
                detail=f"first call {first * 1000:.1f} ms",
                source="stdlib",
            )
        )
    return rows


def section_cpu(cfg: Config, cores: int) -> list[dict[str, Any]]:
    """count_primes tasks: sequential vs processes (the target, under every
    start method of the platform) vs threads (information). The work is sized
    so that the pool's start-up is amortised (see :class:`Config`)."""
    from conclab import count_primes as task
    from conclab import gil_enabled, run, start_method

    inputs = [cfg.primes_n] * cfg.primes_tasks
    default = start_method()
    configs: list[tuple[str, int, str | None]] = [
        ("processes", 2, None),
        ("processes", 4, None),
        ("threads", 2, None),
        ("threads", 4, None),
    ]
    if not cfg.quick:
        configs += [
            ("processes", 2, m)
            for m in ("fork", "forkserver", "spawn")
            if m != default and m in multiprocessing_methods()
        ]
    if gil_enabled():  # measured: 0.63–1.04× on 2 cores
        thread_target, thread_expect = "info: ≈ 1 with the GIL (0.6–1.15)", (0.6, 1.15)
    else:
        thread_target, thread_expect = "info: > 1 without the GIL", (1.15, 99.0)
    seq: list[float] = []
    par: dict[tuple[str, int, str | None], list[float]] = {c: [] for c in configs}
    # the tasks' own run time (spans) in the pool, against the sequential run:
    # > 1 means the workers did not get a full core each
    slow: dict[tuple[str, int, str | None], list[float]] = {c: [] for c in configs}
    for _, _, method in configs:
        run(task, inputs[:2], mode="processes", workers=2, start_method=method)
    for _ in range(cfg.k):
        alone = run(task, inputs, mode="sequential")
        seq.append(wall_of(alone))
        for mode, w, method in configs:
            result = run(task, inputs, mode=mode, workers=w, start_method=method)
            par[(mode, w, method)].append(wall_of(result))
            if getattr(result, "busy", 0) and getattr(alone, "busy", 0):
                slow[(mode, w, method)].append(result.busy / alone.busy)
    rows = [
        measurement(
            "cpu",
            f"sequential, {len(inputs)} tasks × count_primes({cfg.primes_n})",
            seq,
            "s",
        )
    ]
    for (mode, w, method), times in par.items():
        ratios = paired_ratios(seq, times)
        wall = f"median wall {statistics.median(times):.2f} s"
        if mode == "threads":
            rows.append(
                measurement(
                    "cpu",
                    f"{w} threads: speedup",
                    ratios,
                    "×",
                    target=thread_target,
                    detail=wall,
                    expect=thread_expect,
                )
            )
            continue
        ideal = ideal_speedup(w, cores)
        limit = PROCESS_EFFICIENCY * ideal
        # w workers on fewer cores share them by design: allow for that
        slowdown = statistics.median(slow[(mode, w, method)] or [float("nan")]) * (
            ideal / w
        )
        extra = dict(
            seq_s=statistics.median(seq),
            par_s=statistics.median(times),
            ideal=ideal,
            task_slowdown=None if math.isnan(slowdown) else slowdown,
        )
        if not math.isnan(slowdown):
            wall += f"; each task ran {slowdown:.2f}× as long as alone" + (
                f" (allowing for {w} workers on {ideal} cores)" if w > ideal else ""
            )
        if method is None:
            rows.append(
                measurement(
                    "cpu",
                    f"{w} processes ({default}): speedup",
                    ratios,
                    "×",
                    op=">=",
                    limit=limit,
                    target=f"≥ {limit:.2f}× (0.9 × ideal {ideal})",
                    detail=wall,
                    **extra,
                )
            )
        else:
            rows.append(
                measurement(
                    "cpu",
                    f"{w} processes ({method}): speedup",
                    ratios,
                    "×",
                    op=">=",
                    limit=limit,
                    target=f"≥ {limit:.2f}× (0.9 × ideal {ideal})",
                    detail=wall + "; includes the pool's start-up",
                    **extra,
                )
            )
    return rows


def multiprocessing_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def section_io(cfg: Config) -> list[dict[str, Any]]:
    """GETs against the corpus server with a fixed latency: sequential vs
    threads. The server runs in a process of its own, as a real one would: in
    the client's process its request handling would share the client's GIL
    and eat into the overlap being measured (shown as information below)."""
    from conclab import fetch_text as fetch
    from conclab import run

    with corpus_server_apart(cfg.io_latency) as base:
        urls = [f"{base}/rfc/rfc{1000 + i % 20}.txt" for i in range(cfg.io_tasks)]
        seq, par = _io_runs(cfg, run, fetch, urls, cfg.io_threads)
    per_request = statistics.median(seq) / len(urls) - cfg.io_latency
    rows = [
        measurement(
            "io",
            f"sequential, {len(urls)} GETs × {cfg.io_latency * 1000:.0f} ms latency",
            seq,
            "s",
            detail=f"{per_request * 1000:.2f} ms per request on top of the latency",
        )
    ]
    for t, times in par.items():
        limit = IO_EFFICIENCY * t
        rows.append(
            measurement(
                "io",
                f"{t} thread{'s' if t > 1 else ''}: speedup",
                paired_ratios(seq, times),
                "×",
                op=">=",
                limit=limit,
                target=f"≥ {limit:.1f}× (0.8 × {t})",
                detail=f"median wall {statistics.median(times):.3f} s",
            )
        )
    rows[0]["per_request_s"] = per_request
    rows.append(_io_server_inside(cfg, run, fetch))
    return rows


def _io_runs(
    cfg: Config,
    run: Callable[..., Any],
    fetch: Callable[[str], str],
    urls: list[str],
    threads: Sequence[int],
) -> tuple[list[float], dict[int, list[float]]]:
    """k paired repeats: the sequential run, then each thread count."""
    run(fetch, urls[:4], mode="threads", workers=4)  # warm-up
    seq: list[float] = []
    par: dict[int, list[float]] = {t: [] for t in threads}
    for _ in range(cfg.k_io):
        seq.append(wall_of(run(fetch, urls, mode="sequential")))
        for t in threads:
            par[t].append(wall_of(run(fetch, urls, mode="threads", workers=t)))
    return seq, par


SERVER_APART = """
import sys
import conclab
import conclab as lab
with conclab.serve_corpus(latency=float(sys.argv[1])) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""


@contextmanager
def corpus_server_apart(latency: float) -> Iterator[str]:
    """The course's corpus server in a process of its own; yields its base
    URL. Closing its stdin stops it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_APART, str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = (proc.stdout.readline() if proc.stdout else "").strip()
        if not base.startswith("http://"):
            raise RuntimeError("the corpus server process did not start")
        yield base
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _io_server_inside(
    cfg: Config, run: Callable[..., Any], fetch: Callable[[str], str]
) -> dict[str, Any]:
    """The most threads again, with the server inside the client's process, as
    the notebooks run it: its threads share one GIL with the client's (info)."""
    from conclab import serve_corpus

    threads = max(cfg.io_threads)
    with serve_corpus(latency=cfg.io_latency) as server:
        urls = [server.url(1000 + i % 20) for i in range(cfg.io_tasks)]
        seq, par = _io_runs(cfg, run, fetch, urls, [threads])
    return measurement(
        "io",
        f"{threads} threads, server in the client's process: speedup",
        paired_ratios(seq, par[threads]),
        "×",
        target="info: the notebooks' set-up",
        detail=f"median wall {statistics.median(par[threads]):.3f} s; client and "
        "server share one GIL",
    )


def size_text(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def section_c(cfg: Config, cores: int) -> list[dict[str, Any]]:
    from conclab import hash_bytes, run

    ideal = ideal_speedup(2, cores)
    rows = []
    cases = [
        (
            f"big buffers ({size_text(cfg.c_big)} at once)",
            functools.partial(hash_bytes, chunk=0, rounds=cfg.c_big_rounds),
            cfg.c_big,
        ),
        (
            f"small pieces ({cfg.c_small_chunk} B of {size_text(cfg.c_small)})",
            functools.partial(
                hash_bytes, chunk=cfg.c_small_chunk, rounds=cfg.c_small_rounds
            ),
            cfg.c_small,
        ),
    ]
    for label, task, size in cases:
        inputs = [size] * cfg.c_tasks
        task(size)  # warm-up (and any buffer cache)
        seq, thr = [], []
        for _ in range(cfg.k):
            seq.append(wall_of(run(task, inputs, mode="sequential")))
            thr.append(wall_of(run(task, inputs, mode="threads", workers=2)))
        if "big" in label:  # measured: 1.8–2.0× with 2 threads on 2 cores
            target = f"info: ≥ {0.75 * ideal:.1f} (ideal {ideal})"
            expect = (0.75 * ideal, 99.0)
        else:  # pieces < 2048 bytes: hashlib keeps the GIL
            target, expect = "info: ≈ 1, holds the GIL (≤ 1.2)", (0.0, 1.2)
        rows.append(
            measurement(
                "c",
                f"2 threads, {label}: speedup",
                paired_ratios(seq, thr),
                "×",
                target=target,
                expect=expect,
                detail=f"sequential {statistics.median(seq):.3f} s "
                f"for {len(inputs)} tasks",
            )
        )
    return rows


def section_locks(cfg: Config) -> list[dict[str, Any]]:
    """The letter counter of notebook 05, one thread per document fetched from
    the local server (no latency): lock per character vs count locally, merge
    once (``conclab.count_letters_threads``)."""
    from conclab import count_letters_threads, serve_corpus

    fine = functools.partial(count_letters_threads, counter="lock per character")
    coarse = functools.partial(count_letters_threads, counter="local count, merge once")
    t_fine, t_coarse = [], []
    with serve_corpus(latency=0.0) as server:
        numbers = range(1000, 1000 + cfg.lock_docs)
        urls = [server.url(n) for n in numbers]
        if fine(urls) != coarse(urls):
            raise AssertionError("the two letter counters disagree")
        for _ in range(cfg.k):
            t_fine.append(timed(lambda: fine(urls)))
            t_coarse.append(timed(lambda: coarse(urls)))
    what = f"{len(urls)} documents, {len(urls)} threads"
    return [
        measurement("locks", f"lock per character, {what}", t_fine, "s"),
        measurement("locks", f"count locally, merge once, {what}", t_coarse, "s"),
        measurement(
            "locks",
            "local-then-merge speedup over lock per character",
            paired_ratios(t_fine, t_coarse),
            "×",
            target="info: > 1",
            expect=(1.0, 1e9),
        ),
    ]


def _plain(
    mode: str, task: Callable[[Any], Any], inputs: list[Any], method: str | None
) -> None:
    """The same work as ``runner.run`` without spans: a loop or a bare pool."""
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    if mode == "sequential":
        [task(x) for x in inputs]
        return
    if mode == "threads":
        pool: Any = ThreadPoolExecutor(2)
    else:
        from conclab import mp_context

        pool = ProcessPoolExecutor(2, mp_context=mp_context(method))
    with pool:
        list(pool.map(task, inputs))


def cpu_seconds() -> float:
    """CPU time of this process (all threads, ns resolution) plus its reaped
    children (a process pool's workers once it has shut down)."""
    total = time.process_time()
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += usage.ru_utime + usage.ru_stime
    except ImportError:  # Windows: children not counted
        pass
    return total


def _paired_overhead(
    run: Callable[..., Any],
    task: Callable[[Any], Any],
    inputs: list[Any],
    mode: str,
    k: int,
    method: str | None = None,
) -> dict[str, list[float]]:
    """k interleaved pairs with and without the timeline: wall and CPU seconds."""
    out: dict[str, list[float]] = {
        "wall_with": [], "wall_without": [], "cpu_with": [], "cpu_without": []
    }  # fmt: skip
    for i in range(k):
        # alternate the order so a drift in load hits both sides alike
        for side in ("without", "with") if i % 2 else ("with", "without"):
            c0, w0 = cpu_seconds(), time.perf_counter()
            if side == "without":
                _plain(mode, task, inputs, method)
            else:
                run(task, inputs, mode=mode, workers=2, start_method=method)
            out[f"wall_{side}"].append(time.perf_counter() - w0)
            out[f"cpu_{side}"].append(cpu_seconds() - c0)
    return out


def section_timeline(cfg: Config) -> list[dict[str, Any]]:
    """runner.run (records a span per task on the timeline) vs the same work
    without it; plus tiny tasks, where the per-task cost shows.

    Judged on CPU time (this process, its threads and its reaped children:
    processes use fork where it exists so the workers are children), which
    other programs on the machine barely disturb; the wall-clock ratio is in
    the notes."""
    from conclab import count_primes as task
    from conclab import run

    inputs = [cfg.timeline_n] * cfg.timeline_tasks
    k = cfg.k if cfg.quick else max(cfg.k, 7)
    fork = "fork" if "fork" in multiprocessing_methods() else None
    rows = []
    for mode in ("sequential", "threads", "processes"):
        method = fork if mode == "processes" else None
        m = _paired_overhead(run, task, inputs, mode, k, method)
        wall = statistics.median(overhead(m["wall_with"], m["wall_without"]))
        label = {"sequential": "sequential", "threads": "2 threads"}.get(
            mode, f"2 processes ({method or 'default'})"
        )
        rows.append(
            measurement(
                "timeline",
                f"{label}, {len(inputs)} tasks × count_primes({cfg.timeline_n}): "
                "extra CPU time",
                overhead(m["cpu_with"], m["cpu_without"]),
                "%",
                op="<",
                limit=TIMELINE_OVERHEAD,
                target="< +5 %",
                detail=f"wall clock {wall * 100:+.1f} % "
                f"(without the timeline {statistics.median(m['wall_without']):.3f} s)",
                wall_overhead=wall,
            )
        )
    tiny = [cfg.timeline_tiny_n] * cfg.timeline_tiny_tasks
    m = _paired_overhead(run, task, tiny, "sequential", k)
    extra = statistics.median(m["cpu_with"]) - statistics.median(m["cpu_without"])
    rows.append(
        measurement(
            "timeline",
            f"sequential, {len(tiny)} tiny tasks × count_primes({cfg.timeline_tiny_n})"
            ": extra CPU time",
            overhead(m["cpu_with"], m["cpu_without"]),
            "%",
            target="info: cost per task",
            detail=f"≈ {extra / len(tiny) * 1e6:.1f} µs per task (tasks of "
            f"{statistics.median(m['cpu_without']) / len(tiny) * 1e6:.0f} µs)",
        )
    )
    return rows


@functools.cache
def execute_tool() -> Any:
    """tools/execute.py, loaded by path (it is a script, not part of the
    library): its kernel manager runs every kernel on this interpreter."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "execute", ROOT / "tools" / "execute.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def quiet_fds() -> Iterator[Callable[[str], None]]:
    """Send fd 1 and 2 (kernels, their child processes) to /dev/null; yield a
    function that still prints to the real stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)

        def say(text: str) -> None:
            os.write(saved[0], text.encode())

        yield say
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def execute_notebook(path: Path, cwd: Path, method: str | None) -> float:
    """Run a copy of a notebook top to bottom in a fresh kernel; return seconds
    (kernel start included, as in nbval)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    saved = os.environ.get("CONCLAB_START_METHOD")
    if method is None:
        os.environ.pop("CONCLAB_START_METHOD", None)
    else:
        os.environ["CONCLAB_START_METHOD"] = method
    try:
        client = NotebookClient(  # stops at the first error (allow_errors=False)
            nb,
            timeout=120,
            kernel_manager_class=execute_tool().CurrentEnvKernelManager,
            resources={"metadata": {"path": str(cwd)}},
            record_timing=False,
            store_widget_state=False,
        )
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        if saved is None:
            os.environ.pop("CONCLAB_START_METHOD", None)
        else:
            os.environ["CONCLAB_START_METHOD"] = saved


def failure_text(exc: BaseException, where: Path) -> str:
    """The last line of a cell's error, without colour codes or temp paths."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).replace(str(where), "notebooks")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return f"{type(exc).__name__}: {last[:200]}"


def _panels() -> list[tuple[str, Callable[[], Any]]]:
    """The main panels, built as their notebooks build them, defaults kept."""
    import conclab as lab

    return [
        ("00 speedup panel (primes)", lambda: lab.speedup_panel(size=40_000)),
        (
            "07 producer/consumer panel",
            lambda: lab.figure_panel(
                lab.plot_producer_consumer,
                manual=True,
                produce_ms=(0.0, 10.0, 0.5),
                consume_ms=(0.0, 10.0, 0.5),
                capacity=(1, 10),
                consumers=(1, 4),
            ),
        ),
        (
            "08 tree searches panel",
            lambda: lab.figure_panel(
                lab.plot_tree_searches,
                manual=True,
                depth=(1, 4),
                fanout=(1, 5),
                delay_ms=(0.0, 5.0, 0.5),
            ),
        ),
    ]


def section_panels(cfg: Config) -> list[dict[str, Any]]:
    """Press Run (``run_button.click()``, what the browser's click calls in the
    kernel) and time until the panel's image holds the new plot; k presses
    per panel, the first one included (a student presses it once)."""
    rows = []
    for name, build in _panels():
        try:
            panel = build()
            button = panel.run_button
            samples = []
            for _ in range(cfg.k):
                before = panel.png
                start = time.perf_counter()
                button.click()
                samples.append(time.perf_counter() - start)
                error = getattr(panel, "error", None)
                if error is not None or panel.png == before:
                    raise RuntimeError(f"no new plot after Run: {error!r}")
            panel.close()
        except Exception as exc:  # a panel that fails is a finding
            rows.append(error_row("panels", name, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(
            measurement(
                "panels", name, samples, "s", op="<", limit=REDRAW_LIMIT_S,
                target=f"< {REDRAW_LIMIT_S:g} s", source="panel",
            )
        )  # fmt: skip
    return rows


def section_notebooks(methods: Sequence[str | None]) -> list[dict]:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        return [error_row("notebooks", "notebooks", "no notebooks/*.ipynb yet")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="conclab-bench-") as tmp:
        copy = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", copy)  # never touch the repo's files
        for nb in notebooks:
            for method in methods:
                label = nb.stem if method is None else f"{nb.stem} ({method})"
                with quiet_fds() as say:
                    say(f"  {label} … ")
                    try:
                        seconds = execute_notebook(copy / nb.name, copy, method)
                    except Exception as exc:  # a failing notebook is a finding
                        say("failed\n")
                        rows.append(
                            error_row("notebooks", label, failure_text(exc, copy))
                        )
                        continue
                    say(f"{seconds:.1f} s\n")
                limit = NOTEBOOK_LIMITS_S.get(nb.stem, NOTEBOOK_LIMIT_S)
                rows.append(
                    measurement(
                        "notebooks",
                        label,
                        [seconds],
                        "s",
                        op="<",
                        limit=limit,
                        target=f"< {limit:g} s",
                        source="notebook",
                    )
                )
    return rows


def parse_stages(stdout: str) -> tuple[str, list[tuple[str, str, float]]]:
    """The test command's summary (``python noxfile.py summary``): the
    "stages: …" line and (status, stage, seconds) for each stage."""
    tail = ""
    stages = []
    for line in stdout.split("summary")[-1].splitlines():
        words = line.split()
        if line.startswith("stages:"):
            tail = line.strip()
        elif len(words) >= 3 and words[0] in ("PASSED", "FAILED", "SKIPPED"):
            try:
                stages.append((words[0].lower(), words[1], float(words[2])))
            except ValueError:
                continue
    return tail, stages


def section_tests(previous: dict[str, Any] | None, run_it: bool) -> list[dict]:
    """Time the whole test command (``--with-test-command``); without it, show
    the last measured value as stale. A run that failed misses the target
    whatever its time: a fast red run is not a result."""
    name = "make test"
    if not run_it:
        for row in (previous or {}).get("rows", []):
            if row["section"] == "tests" and row.get("median") is not None:
                return [carry(row, (previous or {}).get("date", "?"))]
        return [error_row("tests", name, "not measured: run with --with-test-command")]
    start = time.perf_counter()
    proc = subprocess.run(
        ["make", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - start
    return [test_command_row(name, seconds, proc.returncode, proc.stdout)]


def test_command_row(
    name: str, seconds: float, returncode: int, stdout: str
) -> dict[str, Any]:
    """The test command's row: its time against the limit, and a miss
    whenever it exited non-zero, however fast it was."""
    tail, stages = parse_stages(stdout)
    stage_text = ", ".join(f"{n} {sec:.0f} s {st}" for st, n, sec in stages)
    row = measurement(
        "tests",
        name,
        [seconds],
        "s",
        op="<",
        limit=TEST_COMMAND_LIMIT_S,
        target=f"< {TEST_COMMAND_LIMIT_S / 60:.0f} min, exit 0",
        detail=f"exit {returncode}; {tail}; {stage_text}",
        source="command",
    )
    row["stages"] = stages
    if returncode != 0:
        row["status"] = "miss"
        row["failed"] = f"exit {returncode}: {tail or 'failed'}"
    return row


# --------------------------------------------------------------------------
# Why a target was missed, in plain words
# --------------------------------------------------------------------------


def explain(report: dict[str, Any]) -> list[str]:
    rows, loads = report["rows"], report.get("loads", {})
    cores = report["machine"]["usable_cores"]
    why = []

    def load_note(section: str) -> str:
        load = loads.get(section)
        if isinstance(load, float) and load >= 0.2:
            return (
                f" Other programs kept {load:.2f} of the {cores} cores busy "
                "during this section, so fewer cores were free than the ideal "
                "assumes."
            )
        return ""

    for row in rows:
        if row.get("expected") is False:
            lo, hi = row["expect"]
            bound = f"≥ {lo:g}" if hi >= 99 else f"{lo:g} – {hi:g}"
            why.append(
                f"(info) **{TITLES[row['section']].split(':')[0].split(' (')[0]}, "
                f"{row['name']}** = {fmt(row['median'], row['unit'])}, not in "
                f"the expected {bound}."
                + (
                    f" The pool took {row['par_s']:.2f} s where "
                    f"{row['seq_s'] / row['ideal']:.2f} s is ideal: each "
                    "worker of this start method starts a fresh interpreter (or "
                    "asks the fork server) and imports conclab before its first "
                    "task"
                    + (
                        f", and the tasks ran {row['task_slowdown']:.2f}× as long "
                        "as alone (shared cores)."
                        if (row.get("task_slowdown") or 0) > 1.2
                        else "."
                    )
                    if "par_s" in row and "fork)" not in row["name"]
                    else ""
                )
                + load_note(row["section"])
            )
            continue
        if row["status"] == "error":
            why.append(f"**{row['name']}**: not measured — {row['detail']}")
            continue
        if row["status"] == "stale":
            why.append(
                f"**{row['name']}**: stale — measured {row.get('measured', '?')} "
                "and not in this run, so it meets no target (re-measure it)."
            )
            continue
        if row["status"] != "miss":
            continue
        sec, value = row["section"], row["median"]
        if sec == "cpu":
            ideal_wall = row["seq_s"] / row["ideal"]
            slow = row.get("task_slowdown")
            if slow is not None and slow > 1.2:
                cause = (
                    f" The tasks themselves ran {slow:.2f}× as long inside the "
                    "pool as alone (their spans), so the workers did not get a "
                    "full core each: the cores were shared, not the pool slow."
                )
            elif "fork)" not in row["name"]:
                cause = (
                    " Each worker of this start method starts a fresh "
                    "interpreter (or asks the fork server) and imports conclab "
                    "before its first task; the rest is pickling and tasks not "
                    "dividing evenly."
                )
            else:
                cause = (
                    " The rest is pool start-up, pickling and tasks not "
                    "dividing evenly."
                )
            why.append(
                f"**CPU-bound {row['name']}** = {fmt(value, '×')} < "
                f"{fmt(row['limit'], '×')}: the pool took {row['par_s']:.2f} s "
                f"where {row['seq_s']:.2f} s / {row['ideal']} = {ideal_wall:.2f} s "
                "is ideal." + cause + load_note(sec)
            )
        elif sec == "io":
            seq = next(r for r in rows if r["section"] == "io")
            per_req = seq.get("per_request_s", 0.0)
            threads = int(row["name"].split()[0])
            lat = report["config"]["io_latency"]
            tasks = report["config"]["io_tasks"]
            floor = tasks * per_req
            sleep = math.ceil(tasks / threads) * lat
            why.append(
                f"**I/O {row['name']}** = {fmt(value, '×')} < "
                f"{fmt(row['limit'], '×')}: each request also costs "
                f"{per_req * 1000:.2f} ms of Python work in the client, "
                f"{floor:.3f} s for {tasks} requests that its threads cannot "
                f"overlap, against {sleep:.3f} s of latency left to overlap at "
                f"{threads} threads." + load_note(sec)
            )
        elif sec == "timeline":
            why.append(
                f"**Timeline overhead, {row['name']}** = {fmt(value, '%')}"
                + (f" (spread {fmt_spread(row)})" if row["n"] > 1 else "")
                + ": recording one span per task (two clock reads, a Span, the "
                "worker renaming) costs more than 5 % of these tasks." + load_note(sec)
            )
        elif sec == "notebooks":
            why.append(
                f"**Notebook {row['name']}** took {fmt(value, 's')} "
                f"(limit 20 s)." + load_note(sec)
            )
        elif sec == "tests":
            verdict = (
                f"failed ({row['failed']})"
                if row.get("failed")
                else f"took {fmt_duration(value)}"
            )
            why.append(
                f"**Test command** {verdict}; it must pass in under "
                f"{fmt_duration(TEST_COMMAND_LIMIT_S)}: {row['detail']}."
            )
    return why


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def load_previous(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--out", type=Path, help="directory for results.{md,json}")
    parser.add_argument("--repeats", type=int, help="k repeats per measurement")
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections of {','.join(SECTIONS)}"
    )
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument(
        "--notebook-methods",
        default="",
        help="start methods to execute the notebooks under "
        "(comma-separated; default: the course's default and spawn, the slowest)",
    )
    parser.add_argument(
        "--with-test-command",
        action="store_true",
        help="also time the whole test command, make test (takes minutes)",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite results.md from results.json (no measuring)",
    )
    args = parser.parse_args(argv)
    if args.render:
        out = args.out or HERE
        report = load_previous(out / "results.json")
        if report is None:
            parser.error("--render: no readable results.json there")
        report["rows"] = [
            rejudge(row, report.get("date", "?")) for row in report["rows"]
        ]
        report["why"] = explain(report)
        write_results(report, out)
        print(report_body(report))
        return exit_status(report)
    wanted = [s for s in args.only.split(",") if s]
    bad = set(wanted) - set(SECTIONS)
    if bad:
        parser.error(f"unknown section(s) {sorted(bad)}; choose from {SECTIONS}")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be >= 1")
    out_dir = args.out or (None if args.quick else HERE)
    previous = load_previous((out_dir or HERE) / "results.json")

    cfg = Config(args.quick, args.repeats)
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    print("machine …", flush=True)
    machine = machine_report(0.3 if args.quick else 1.0)
    cores = machine["usable_cores"]
    nb_methods = [m for m in args.notebook_methods.split(",") if m] or list(
        dict.fromkeys([machine["start_method"], "spawn"])
    )
    unknown = set(nb_methods) - set(machine["start_methods"])
    if unknown:
        parser.error(f"--notebook-methods: no start method(s) {sorted(unknown)} here")

    skip = set()
    if args.quick or args.no_notebooks:
        skip.add("notebooks")
    plan: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "start": lambda: section_start(cfg),
        "cpu": lambda: section_cpu(cfg, cores),
        "io": lambda: section_io(cfg),
        "c": lambda: section_c(cfg, cores),
        "locks": lambda: section_locks(cfg),
        "timeline": lambda: section_timeline(cfg),
        "panels": lambda: section_panels(cfg),
        "notebooks": lambda: section_notebooks(nb_methods),
        "tests": lambda: section_tests(previous, args.with_test_command),
    }
    rows: list[dict[str, Any]] = []
    loads: dict[str, float | None] = {}
    seconds: dict[str, float] = {}
    for name, action in plan.items():
        keep_old = (wanted and name not in wanted) or name in skip
        if keep_old:
            old = [r for r in (previous or {}).get("rows", []) if r["section"] == name]
            if wanted and old and not args.quick:
                when = (previous or {}).get("date", "?")
                rows.extend(carry(r, r.get("measured", when)) for r in old)
                loads[name] = (previous or {}).get("loads", {}).get(name)
            continue
        print(f"{TITLES[name]} …", flush=True)
        meter = LoadMeter()
        s0 = time.perf_counter()
        try:
            with meter, quiet_stdout() if name != "notebooks" else _null():
                new = action()
        except Exception as exc:  # one broken section must not sink the others
            new = [error_row(name, TITLES[name], f"{type(exc).__name__}: {exc}")]
        seconds[name] = time.perf_counter() - s0
        if name == "tests":
            loads[name] = None
            for row in new:
                if args.with_test_command and meter.others is not None:
                    # kept with the row, which later runs carry over
                    row["detail"] += f"; others' load {meter.others:.2f} cores"
        else:
            loads[name] = meter.others
        rows.extend(new)
        for row in new:
            print(
                f"  {row['name']}: {fmt(row.get('median'), row['unit'])} "
                f"{RESULT_MARK[row['status']]}",
                flush=True,
            )
    machine["loadavg_end"] = list(os.getloadavg())
    runtime = time.perf_counter() - t0
    given = list(argv if argv is not None else sys.argv[1:])
    if args.out is not None:  # no machine paths in the report
        given = [a if a != str(args.out) else "DIR" for a in given]
    command = " ".join(["python bench/run.py", *given])
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "make bench" if command == "python bench/run.py" else command,
        "runtime_s": runtime,
        "section_seconds": seconds,
        "quick": args.quick,
        "machine": machine,
        "config": dict(vars(cfg)),
        "loads": loads,
        "rows": rows,
    }
    report["config"]["io_threads"] = list(cfg.io_threads)
    report["why"] = explain(report)
    print()
    print(report_body(report))
    if out_dir is not None:
        md, js = write_results(report, out_dir)
        print(f"\nwrote {md.name} and {js.name}")
    status = exit_status(report)
    if status:
        print("bench: a target was missed, not measured or stale (exit 1)")
    return status


@contextmanager
def _null() -> Iterator[None]:
    yield


if __name__ == "__main__":
    sys.exit(main())
