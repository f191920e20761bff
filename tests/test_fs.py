"""Tests of conclab.fs: the deterministic tree and the searches over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import conclab as lab


def test_tree_size() -> None:
    assert lab.tree_size(0, 5) == 1
    assert lab.tree_size(2, 3) == 1 + 3 + 9
    with pytest.raises(ValueError, match="depth"):
        lab.tree_size(-1, 2)


def test_make_tree_layout_and_expected(tmp_path: Path) -> None:
    root = tmp_path / "t"
    expected = lab.make_tree(root, depth=2, fanout=2, files_per_dir=2, plant_every=3)
    dirs = [d for d, _, _ in os.walk(root)]
    assert len(dirs) == lab.tree_size(2, 2) == 7
    # breadth-first order: root, dir_0, dir_1, dir_0/dir_0, ... planted at 0, 3, 6
    assert expected == sorted(
        ["findme.txt", "dir_0/dir_0/findme.txt", "dir_1/dir_1/findme.txt"]
    )
    for rel in expected:
        assert (root / rel).is_file()
    assert (root / "dir_1" / "file_1.txt").is_file()
    assert sum(len(files) for _, _, files in os.walk(root)) == 7 * 2 + 3


def test_make_tree_is_deterministic(tmp_path: Path) -> None:
    a = lab.make_tree(tmp_path / "a", 3, 3, 1, seed=2)
    b = lab.make_tree(tmp_path / "b", 3, 3, 1, seed=2)
    c = lab.make_tree(tmp_path / "c", 3, 3, 1, seed=1)
    assert a == b and a != c

    def listing(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))

    assert listing(tmp_path / "a") == listing(tmp_path / "b")


def test_make_tree_validates(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ValueError, match="empty"):
        lab.make_tree(tmp_path / "full")
    with pytest.raises(ValueError, match="20,000"):
        lab.make_tree(tmp_path / "big", depth=8, fanout=10)
    with pytest.raises(ValueError, match="target"):
        lab.make_tree(tmp_path / "t", target="a/b")
    with pytest.raises(ValueError, match="fanout"):
        lab.make_tree(tmp_path / "t", fanout=-1)
    with pytest.raises(TypeError, match="files_per_dir"):
        lab.make_tree(tmp_path / "t", files_per_dir="3")  # type: ignore[arg-type]


def test_temp_tree_is_removed_also_after_error() -> None:
    with lab.temp_tree(2, 2) as tree:
        root = tree.root
        assert root.is_dir()
        assert tree.directories == 7
        assert tree.files == 7 * 3 + len(tree.expected)
    assert not root.exists()
    with pytest.raises(RuntimeError), lab.temp_tree(1, 1) as tree:
        root = tree.root
        raise RuntimeError("boom")
    assert not root.exists()


@pytest.fixture(scope="module")
def tree():
    with lab.temp_tree(depth=3, fanout=3, files_per_dir=2, plant_every=4) as t:
        yield t


@pytest.mark.parametrize("name", list(lab.SEARCHES))
def test_every_search_finds_exactly_the_expected(tree, name) -> None:
    result = lab.SEARCHES[name](tree.root)
    assert isinstance(result, lab.SearchResult)
    matches, threads = result  # a (matches, threads) tuple
    expected_threads = {
        "thread per directory": range(tree.directories, tree.directories + 1),
        "pool of 4 threads": range(1, 5),
        "os.walk": range(0, 1),
        "os.scandir": range(0, 1),
    }
    assert threads in expected_threads[name]
    assert matches == tree.expected
    assert all(not os.path.isabs(m) and "\\" not in m for m in matches)


def test_thread_counts(tree) -> None:
    assert lab.search_thread_per_dir(tree.root).threads == tree.directories == 40
    assert 1 <= lab.search_pool(tree.root, workers=3).threads <= 3
    assert lab.search_walk(tree.root).threads == 0
    assert lab.search_scandir(tree.root).threads == 0


def test_searches_accept_str_root_and_other_names(tree) -> None:
    result = lab.search_pool(str(tree.root), "file_1.txt", workers=2)
    assert len(result.matches) == tree.directories
    assert lab.search_thread_per_dir(str(tree.root), "file_1.txt").matches == (
        result.matches
    )
    assert lab.search_walk(tree.root, "nothing.txt").matches == []


def test_delay_slows_each_listing(tree) -> None:
    # 40 directories x 5 ms: sequential waits them all; generous side by side
    slow = lab.search_scandir(tree.root, delay=0.005)
    pooled = lab.search_pool(tree.root, workers=8, delay=0.005)
    assert slow.matches == pooled.matches == tree.expected
    with pytest.raises(ValueError, match="delay"):
        lab.search_walk(tree.root, delay=-1)


def test_search_validation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="root"):
        lab.search_walk(tmp_path / "missing")
    with pytest.raises(TypeError, match="root"):
        lab.search_scandir(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="filename"):
        lab.search_thread_per_dir(tmp_path, "")
    with pytest.raises(ValueError, match="workers"):
        lab.search_pool(tmp_path, workers=0)


def test_check_search(tree, capsys) -> None:
    assert lab.check_search(lab.search_walk(tree.root), tree.expected) == True  # noqa: E712
    assert "✅ Correct" in capsys.readouterr().out
    wrong = [*tree.expected[1:], "elsewhere/findme.txt", "elsewhere/findme.txt"]
    assert lab.check_search(wrong, tree.expected) == False  # noqa: E712
    out = capsys.readouterr().out
    assert "1 missing" in out and "1 unexpected" in out and "1 duplicate" in out
    assert lab.check_search(["/abs/findme.txt"], ["/abs/findme.txt"]) == False  # noqa: E712
    with pytest.raises(TypeError):
        lab.check_search("findme.txt", tree.expected)


def test_plot_search_sweep() -> None:
    rows = [
        {"search": s, "directories": d, "seconds": 0.01 * d, "threads": d}
        for s in ("a", "b")
        for d in (10, 40)
    ]
    fig = lab.plot_search_sweep(rows, title="x")
    assert len(fig.axes) == 2
    with pytest.raises(ValueError):
        lab.plot_search_sweep([])


def test_search_sweep_rows() -> None:
    rows = lab.search_sweep(depths=(1, 2), fanout=2, files_per_dir=1)
    assert len(rows) == 2 * len(lab.SEARCHES)
    by = {(r["search"], r["depth"]): r for r in rows}
    assert by[("thread per directory", 2)]["threads"] == 7
    assert by[("os.walk", 1)]["directories"] == 3
    assert all(r["seconds"] >= 0 for r in rows)
    with pytest.raises(ValueError, match="depths"):
        lab.search_sweep(depths=())


def test_search_sweep_repeat() -> None:
    calls = []

    def counted(root, filename=lab.TARGET, *, delay=0.0):
        calls.append(delay)
        return lab.search_walk(root, filename, delay=delay)

    lab.search_sweep(depths=(1,), fanout=2, searches={"walk": counted})
    assert len(calls) == 3  # local disk: best of 3
    calls.clear()
    lab.search_sweep(depths=(1,), fanout=2, delay=0.001, searches={"walk": counted})
    assert len(calls) == 1  # slow disk: once
    calls.clear()
    lab.search_sweep(depths=(1,), fanout=2, searches={"walk": counted}, repeat=2)
    assert len(calls) == 2
    with pytest.raises(ValueError, match="repeat"):
        lab.search_sweep(depths=(1,), repeat=0)


def test_search_sweep_rejects_a_wrong_search() -> None:
    def wrong(root, filename=lab.TARGET, *, delay=0.0):
        return lab.SearchResult([], 0)

    with pytest.raises(AssertionError, match="wrong"):
        lab.search_sweep(depths=(1,), fanout=2, searches={"wrong": wrong})


@pytest.mark.parametrize("search", [lab.search_thread_per_dir, lab.search_pool])
def test_threaded_searches_never_wait_forever(tree, search) -> None:
    """A listing slower than the timeout ends in TimeoutError, not a hung cell."""
    with pytest.raises(TimeoutError, match=r"timeout=0\.05 s"):
        search(tree.root, delay=0.5, timeout=0.05)
    with pytest.raises(ValueError, match=r"timeout must be >= 0\.001"):
        search(tree.root, timeout=0)
