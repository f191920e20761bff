"""conclab.viz.cluster: a task graph drawn from its dependencies; the task sizes."""

from __future__ import annotations

import pytest

import conclab as lab

dask = pytest.importorskip("dask", reason="notebook 13's extra: pip install -e .[dask]")


def tree():
    count = dask.delayed(lab.document_letters)
    add = dask.delayed(lab.add_counts)
    tables = [count(n, dask_key_name=f"count-{n}") for n in (1000, 1001, 1002, 1003)]
    left = add(tables[0], tables[1], dask_key_name="add-0")
    right = add(tables[2], tables[3], dask_key_name="add-1")
    return add(left, right, dask_key_name="total")


def test_layers_of_a_tree_follow_its_dependencies():
    layers = lab.graph_layers(tree())
    assert layers == [
        ["count-1000", "count-1001", "count-1002", "count-1003"],
        ["add-0", "add-1"],
        ["total"],
    ]


def test_layers_of_a_bag_reduction():
    import dask.bag as db

    bag = db.from_sequence(range(8), npartitions=4).map(abs).fold(max)
    layers = lab.graph_layers(bag)
    labels = [[lab.task_label(k) for k in layer] for layer in layers]
    assert [len(layer) for layer in layers] == [4, 4, 4, 1]
    assert labels[0] == [f"from_sequence {i}" for i in range(4)]
    assert all(label.startswith("abs ") for label in labels[1])
    assert labels[3][0].startswith("reduce-aggregate")


def test_task_label_strips_dask_tokens_only():
    assert lab.task_label("count-1003") == "count-1003"
    assert lab.task_label("merge_counts-" + "ab12" * 8) == "merge_counts"
    uuid = "1d4f1c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
    assert lab.task_label(f"add_counts-{uuid}") == "add_counts"
    assert lab.task_label(("from_sequence-" + "0" * 32, 2)) == "from_sequence 2"


def test_plot_task_graph_draws_one_box_per_task_and_one_arrow_per_edge():
    fig = lab.plot_task_graph(tree())
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts if t.get_text()]
    assert sorted(texts) == sorted(
        [
            "count-1000",
            "count-1001",
            "count-1002",
            "count-1003",
            "add-0",
            "add-1",
            "total",
        ]
    )
    arrows = [t for t in ax.texts if type(t).__name__ == "Annotation"]
    assert len(arrows) == 6  # one per dependency
    assert ax.get_title() == "7 tasks, 6 dependencies"
    assert lab.figure_png(fig).startswith(b"\x89PNG")


def test_plot_task_graph_takes_a_plain_graph_and_rejects_other_things():
    fig = lab.plot_task_graph({"a": 1, "b": (abs, "a")}, title="two")
    assert fig.axes[0].get_title() == "two"
    with pytest.raises(TypeError, match="Dask collection"):
        lab.plot_task_graph([1, 2])
    with pytest.raises(ValueError, match="no tasks"):
        lab.plot_task_graph({})


def rows():
    out = []
    for size, pool_wall, dask_wall in ((0.0001, 0.02, 0.2), (0.01, 0.12, 0.2)):
        out.append(lab.TaskSizeRow("process pool", 2, size, 16, pool_wall, 2))
        out.append(lab.TaskSizeRow("dask", 2, size, 16, dask_wall, 2))
    return out


def test_plot_task_sizes_has_speedup_and_overhead_per_engine():
    fig = lab.plot_task_sizes(rows(), title="test")
    left, right = fig.axes
    names = [line.get_label() for line in left.get_lines()]
    assert "process pool" in names and "dask" in names
    assert any(name.startswith("ideal: min(2 workers, 2 cores)") for name in names)
    dask_line = next(line for line in left.get_lines() if line.get_label() == "dask")
    assert list(dask_line.get_ydata()) == pytest.approx([16 * 0.0001 / 0.2, 0.8])
    assert right.get_yscale() == "log"
    assert [t.get_text() for t in left.get_xticklabels()] == ["0.1 ms", "10 ms"]
    assert fig._suptitle.get_text() == "test"


@pytest.mark.parametrize(
    "bad, error, words",
    [
        ([], ValueError, "rows must not be empty: run lab.task_size_sweep"),
        ("rows", TypeError, "rows must be a list of TaskSizeRow .*got str"),
        ([object()], TypeError, "rows.0. must be a TaskSizeRow; object lacks engine"),
    ],
)
def test_plot_task_sizes_validates(bad, error, words):
    with pytest.raises(error, match=words):
        lab.plot_task_sizes(bad)
