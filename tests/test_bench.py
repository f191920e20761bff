"""The benchmark's arithmetic and writers on tiny inputs, and a --quick smoke run.

No timing is asserted here: speed goals live in bench/run.py, which reports
ratios against their targets (``make bench``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_run", ROOT / "bench" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summarize_median_quartiles_and_range(bench):
    s = bench.summarize([3.0, 1.0, 2.0, 10.0, 4.0])
    assert s["median"] == 3.0
    assert (s["min"], s["max"], s["n"]) == (1.0, 10.0, 5)
    assert s["q1"] == 2.0 and s["q3"] == 4.0
    assert s["samples"] == [3.0, 1.0, 2.0, 10.0, 4.0]  # in measured order
    one = bench.summarize([0.5])
    assert one["median"] == one["q1"] == one["q3"] == 0.5
    with pytest.raises(ValueError):
        bench.summarize([])


def test_ratio_math(bench):
    assert bench.speedup(2.0, 0.5) == 4.0
    assert bench.paired_ratios([2.0, 3.0], [1.0, 1.5]) == [2.0, 2.0]
    assert bench.ideal_speedup(4, 2) == 2
    assert bench.ideal_speedup(1, 8) == 1
    assert bench.overhead([1.05, 2.0], [1.0, 2.0]) == pytest.approx([0.05, 0.0])
    with pytest.raises(ValueError):
        bench.speedup(1.0, 0.0)
    with pytest.raises(ValueError):
        bench.paired_ratios([1.0], [1.0, 2.0])


def test_judge(bench):
    assert bench.judge(1.9, ">=", 1.8) == "pass"
    assert bench.judge(1.7, ">=", 1.8) == "miss"
    assert bench.judge(0.04, "<", 0.05) == "pass"
    assert bench.judge(0.05, "<", 0.05) == "miss"
    assert bench.judge(1.0, None, None) == "info"
    assert bench.judge(None, "<", 1.0) == "error"
    with pytest.raises(ValueError):
        bench.judge(1.0, "~", 1.0)


def tiny_report(bench):
    rows = [
        bench.measurement(
            "cpu",
            "2 processes: speedup",
            [1.5, 1.6, 1.4],
            "×",
            op=">=",
            limit=1.8,
            target="≥ 1.80×",
            detail="median wall 0.50 s",
            seq_s=0.75,
            par_s=0.5,
            ideal=2,
        ),
        bench.measurement("start", "fork: start + join", [0.002, 0.003], "ms"),
        bench.measurement(
            "timeline",
            "sequential: extra time",
            [0.01, 0.02],
            "%",
            op="<",
            limit=0.05,
        ),
        bench.error_row("tests", "make test", "not measured"),
    ]
    report = {
        "date": "2026-01-01 00:00 UTC",
        "command": "make bench",
        "runtime_s": 75.0,
        "machine": {
            "platform": "Linux x86_64",
            "cpu_model": "a CPU",
            "usable_cores": 2,
            "free_cores_start": 1.9,
            "loadavg_start": [0.1, 0, 0],
            "loadavg_end": [0.2, 0, 0],
            "implementation": "CPython",
            "python": "3.11.7",
            "build": "standard (with the GIL)",
            "start_method": "fork",
        },
        "config": {"io_latency": 0.05, "io_tasks": 64},
        "loads": {"cpu": 0.5, "start": 0.0},
        "rows": rows,
    }
    report["why"] = bench.explain(report)
    return report


def test_writers_make_a_table_and_a_json_twin(bench, tmp_path):
    report = tiny_report(bench)
    md_path, json_path = bench.write_results(report, tmp_path)
    md = md_path.read_text(encoding="utf-8")
    # tools/stamp.py pastes the whole file between the README's markers
    assert bench.START_MARK not in md and bench.END_MARK not in md
    assert not md.startswith("#")
    assert "| 2 processes: speedup | 1.50× | 1.40× – 1.60× | 3 |" in md
    assert "❌ miss" in md and "✅ pass" in md and "⚠️ error" in md
    assert "others' load 0.50 cores" in md  # in that section's header row
    assert "| median wall 0.50 s |" in md  # the notes column
    assert "1 min 15 s" in md
    assert "¹" not in md and "bench_local" not in md  # no local equivalents
    assert "Rows with a target: 1 passed, 1 missed, 1 not measured." in md
    assert "| timeline overhead < 5 % (extra CPU time) | ✅ met (1 of 1 passed) |" in md
    assert "| CPU-bound process speedup ≥ 0.9 × min(workers, cores) | ❌ not met" in md
    # a target none of whose rows could be measured is not met either
    assert "| whole test command passes in < 15 min | ❌ not met (0 of 1 passed" in md
    assert "**CPU-bound 2 processes: speedup** = 1.50× < 1.80×: the pool" in md
    assert json.loads(json_path.read_text(encoding="utf-8")) == report


def test_readme_section_embeds_between_markers(bench):
    section = bench.readme_section(tiny_report(bench))
    assert section.startswith(bench.START_MARK) and section.endswith(bench.END_MARK)
    readme = f"# X\n\n{bench.START_MARK}\nold\n{bench.END_MARK}\n\nrest\n"
    new = bench.embed(readme, section)
    assert new.startswith("# X\n\n") and new.endswith("\n\nrest\n")
    assert "old" not in new and "1.50×" in new
    assert bench.embed(new, section) == new  # re-runnable
    with pytest.raises(ValueError):
        bench.embed("no markers", section)


def test_quick_smoke_run(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    sections = {row["section"] for row in report["rows"]}
    assert {"start", "cpu", "io", "c", "locks", "timeline", "panels"} <= sections
    errors = [r for r in report["rows"] if r["status"] == "error"]
    assert [r["section"] for r in errors] == ["tests"], errors
    assert str(tmp_path) not in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_parse_stages_reads_the_test_commands_summary(bench):
    out = (
        "lots of output\n==================== summary ====================\n"
        "PASSED   lint                   12.3 s\n"
        "FAILED   nbval-spawn            80.0 s\n"
        "SKIPPED  py3.10                  0.0 s  python3.10 not found\n"
        "stages: 1 passed, 1 failed, 1 skipped\n"
    )
    tail, stages = bench.parse_stages(out)
    assert tail == "stages: 1 passed, 1 failed, 1 skipped"
    assert stages == [
        ("passed", "lint", 12.3),
        ("failed", "nbval-spawn", 80.0),
        ("skipped", "py3.10", 0.0),
    ]


def test_no_check_on_time_alone_a_failed_test_command_misses(bench):
    out = "x\n==== summary ====\nstages: 7 passed, 1 failed, 0 skipped\n"
    fast_red = bench.test_command_row("make test", 60.0, 1, out)
    assert fast_red["status"] == "miss"
    assert "exit 1" in fast_red["failed"]
    slow_green = bench.test_command_row("make test", 2000.0, 0, out)
    assert slow_green["status"] == "miss" and "failed" not in slow_green
    ok = bench.test_command_row("make test", 60.0, 0, out)
    assert ok["status"] == "pass"
    report = tiny_report(bench)
    report["rows"] = [fast_red]
    assert "❌ not met" in bench.target_summary(report["rows"])
    assert "exit 1" in bench.target_summary(report["rows"])
    assert bench.exit_status(report) == 1


def test_carried_rows_are_stale_and_meet_no_target(bench):
    report = tiny_report(bench)
    passed = next(r for r in report["rows"] if r["status"] == "pass")
    old = bench.carry(passed, "2025-01-01 00:00 UTC")
    assert old["status"] == "stale" and old["measured"] == "2025-01-01 00:00 UTC"
    assert passed["status"] == "pass"  # the original is not changed
    assert bench.carry(old, "2026-06-06 00:00 UTC")["measured"] == old["measured"]
    info = bench.measurement("start", "fork: start + join", [0.002], "ms")
    assert bench.carry(info, "x")["status"] == "info"  # no target, nothing to judge
    summary = bench.target_summary([old])
    assert "❌ not met (0 of 1 passed, 1 stale)" in summary
    assert bench.exit_status({"rows": [old]}) == 1
    assert "stale (measured 2025-01-01 00:00 UTC)" in bench.result_text(old)


def test_exit_status_fails_on_any_missed_error_or_stale_target(bench):
    report = tiny_report(bench)  # one miss, one error
    assert bench.exit_status(report) == 1
    good = [r for r in report["rows"] if r["status"] in ("pass", "info")]
    assert bench.exit_status({"rows": good}) == 0
    assert bench.exit_status({"rows": report["rows"], "quick": True}) == 0


def test_readme_has_one_bench_block(bench):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(bench.START_MARK) == 1
    assert text.count(bench.END_MARK) == 1


def test_render_rejudges_stored_rows_by_todays_rules(bench):
    red = bench.measurement("tests", "make test", [500.0], "s", op="<", limit=900.0)
    red["detail"] = "exit 1; stages: 7 passed, 1 failed"
    assert red["status"] == "pass"  # what an older run stored
    assert bench.rejudge(red, "d")["status"] == "miss"
    info = bench.measurement(
        "cpu",
        "2 processes (spawn): speedup",
        [1.5],
        "×",
        target="info: ≥ 1.80× as above",
    )
    judged = bench.rejudge(info, "d")
    assert (judged["status"], judged["limit"]) == ("miss", 1.8)
    carried = dict(bench.measurement("io", "x", [30.0], "×", op=">=", limit=25.6))
    carried["carried"] = True
    assert bench.rejudge(carried, "2026-01-01")["status"] == "stale"


def test_a_panel_that_draws_nothing_new_is_an_error(bench, monkeypatch):
    class Stuck:
        png = b"same"
        error = None

        class run_button:  # stands in for the widget
            @staticmethod
            def click():
                pass

        def close(self):
            pass

    monkeypatch.setattr(bench, "_panels", lambda: [("stuck panel", Stuck)])
    (row,) = bench.section_panels(bench.Config(True, 1))
    assert row["status"] == "error" and "no new plot" in row["detail"], row
