"""Interactive panels: ipywidgets core widgets around a PNG image of a plot.

:class:`Panel` is what every panel shares (the image, the status line, how it
displays itself); :func:`figure_panel` turns any function that returns a
matplotlib ``Figure`` into a panel, with sliders, dropdowns or checkboxes for
its arguments, for the notebooks' own interactive plots (races, IPC, start
methods …). The speedup panel of ``00_start_here.ipynb`` is in
:mod:`conclab.ui.speedup`.

Why this shape: the plot is a ``widgets.Image`` holding PNG bytes rendered
from an object-oriented matplotlib ``Figure``, never an ``Output`` widget,
``interact`` or ``%matplotlib widget``. That works the same on ipywidgets
7.7.1 (Google Colab) and 8.x (JupyterLab, Notebook 7, VS Code), adds no
``<Figure …>`` text under nbval, and can be tested without a browser: set a
control's ``.value``, call ``panel.run_button.click()``, read
``panel.image.value``. A panel displays itself as the widget plus a static
``image/png`` of its current plot, so a stored notebook shows the picture
where widgets cannot render (GitHub, nbviewer, a notebook opened without a
kernel).

ipywidgets is imported inside the functions: a child process started with
spawn or forkserver imports ``conclab`` and never needs it.
"""

from __future__ import annotations

import base64
import inspect
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.env import in_colab
from ..core.validate import check_callable, check_int
from ..viz.figures import figure_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__: list[str] = ["FigurePanel", "figure_panel"]


#: The widget-view mimetype and payload; identical on ipywidgets 7 and 8.
_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

#: Resolution of the panels' images (a 12.5 x 4.8 inch sweep is ~1100 px wide).
PANEL_DPI = 90


class Panel:
    """What both panels share: the VBox, the image, the status line, errors,
    and how the panel displays itself."""

    widget: Any
    image: Any
    status: Any
    error: BaseException | None

    def _make_image(self, png: bytes) -> Any:
        import ipywidgets as widgets

        return widgets.Image(
            value=png,
            format="png",
            layout=widgets.Layout(max_width="100%", height="auto"),
        )

    @property
    def png(self) -> bytes:
        """The image's PNG bytes (ipywidgets 8 keeps a memoryview, 7 bytes)."""
        return bytes(self.image.value)

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.status.value = f"❌ {type(exc).__name__}: {exc}"

    def _summary(self) -> str:
        return type(self).__name__

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, Any]:
        """The live widget, plus a static PNG and a text line as fallbacks.

        Frontends with ipywidgets (JupyterLab, Notebook 7, VS Code, Colab)
        render the widget; GitHub, VS Code and a stored notebook whose widget
        view was stripped (``make execute`` does) show the PNG. Inside Colab
        the PNG is left out. The text is deterministic (no model id), so
        nbval can compare it.
        """

        data: dict[str, Any] = {"text/plain": self._summary()}
        if not in_colab():
            # Colab renders live widgets only; no need to risk it picking the PNG
            data["image/png"] = base64.b64encode(self.png).decode("ascii")
        model_id = getattr(self.widget, "model_id", None)
        if model_id:
            data[_VIEW_MIME] = {
                "version_major": 2,
                "version_minor": 0,
                "model_id": model_id,
            }
        return data

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Publish :meth:`_repr_mimebundle_` as display data.

        IPython prefers this hook, for ``display(panel)`` and for ``panel`` as
        a cell's last expression alike, so the widget always goes out through
        the display publisher, as ipywidgets 7 does for its own widgets;
        Colab's widget hook only sees messages that go that way.
        """
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

    def close(self) -> None:
        """Close the widgets (frees their comms in the kernel)."""
        for child in _walk(self.widget):
            child.close()


def _walk(widget: Any) -> list[Any]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out.extend(_walk(child))
    return out


def _control(name: str, spec: Any, default: Any) -> Any:
    """The widget ``interact`` makes for ``spec``, by ipywidgets' own
    ``widget_from_abbrev``: (min, max[, step]) a slider, a list a dropdown,
    a bool a checkbox, a widget itself. Labelled ``name``, starting at
    ``default`` (``render``'s default), updated when a slider is released."""
    from ipywidgets import interactive

    try:
        widget = interactive.widget_from_abbrev(spec, default)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from exc
    if widget is None:
        raise TypeError(
            f"{name}: give (min, max[, step]) for a slider, a list for a dropdown, "
            f"True/False for a checkbox, or an ipywidgets widget; got {spec!r}"
        )
    if not widget.description:
        widget.description = name
    widget.style.description_width = "initial"
    if hasattr(widget, "continuous_update"):
        widget.continuous_update = False
    return widget


class FigurePanel(Panel):
    """A function drawn as a PNG, re-drawn when its controls change (see
    :func:`figure_panel`). Attributes: ``widget``, ``controls``, ``image``,
    ``status``, ``run_button`` (None when the panel redraws on every change),
    ``last`` (the last Figure), ``error``."""

    def __init__(
        self,
        render: Callable[..., Figure],
        controls: dict[str, Any],
        manual: bool = False,
        button: str = "Run",
        dpi: int = PANEL_DPI,
    ) -> None:
        import ipywidgets as widgets

        check_callable("render", render)
        self.render = render
        self.dpi = check_int("dpi", dpi, minimum=20, maximum=300)
        self.manual = bool(manual)
        self.error: BaseException | None = None
        self.last: Figure | None = None
        parameters: Mapping[str, inspect.Parameter]
        try:
            parameters = inspect.signature(render).parameters
        except (TypeError, ValueError):
            parameters = {}  # no signature: no defaults
        empty = inspect.Parameter.empty
        self.controls = {
            name: _control(name, spec, getattr(parameters.get(name), "default", empty))
            for name, spec in controls.items()
        }
        self.status = widgets.Label(value="", layout=widgets.Layout(width="100%"))
        self.run_button = (
            widgets.Button(description=button, button_style="primary", icon="play")
            if self.manual
            else None
        )
        self.image = self._make_image(b"")
        self.update()
        row = list(self.controls.values())
        bottom = [self.run_button, self.status] if self.run_button else [self.status]
        self.widget = widgets.VBox(
            [
                widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")),
                widgets.VBox(bottom),
                self.image,
            ]
        )
        if self.run_button is not None:
            self.run_button.on_click(self._on_click)
            for control in self.controls.values():
                control.observe(self._on_change_manual, names="value")
        else:
            for control in self.controls.values():
                control.observe(lambda _: self._safe_update(), names="value")

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values, as ``render`` receives them."""
        return {name: w.value for name, w in self.controls.items()}

    def _summary(self) -> str:
        name = getattr(self.render, "__name__", "render")
        args = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"Figure panel: {name}({args})"

    def update(self) -> Figure | None:
        """Call ``render(**values)`` and show its figure. Errors are shown in
        ``.status``, kept in ``.error`` and raised."""
        from matplotlib.figure import Figure

        self.error = None
        try:
            fig = self.render(**self.values)
            if not isinstance(fig, Figure):
                raise TypeError(
                    "render must return a matplotlib Figure (from lab.figure()), "
                    f"got {type(fig).__name__}"
                )
            self.image.value = figure_png(fig, dpi=self.dpi)
        except Exception as exc:
            self._fail(exc)
            raise
        self.last = fig
        self.status.value = ""
        return fig

    def run(self) -> Figure | None:
        """Same as pressing the button (or :meth:`update`)."""
        return self.update()

    def _safe_update(self) -> None:
        try:
            self.update()
        except Exception:
            traceback.print_exc(file=sys.stderr)

    def _on_change_manual(self, change: dict[str, Any]) -> None:
        self.status.value = "Settings changed: press Run."

    def _on_click(self, button: Any) -> None:
        button.disabled = True
        try:
            self._safe_update()
        finally:
            button.disabled = False


def figure_panel(
    render: Callable[..., Figure],
    manual: bool = False,
    button: str = "Run",
    **controls: Any,
) -> FigurePanel:
    """Controls for ``render``'s keyword arguments and its figure as an image.

    Each keyword names an argument of ``render`` and how to choose it:
    ``(min, max)`` or ``(min, max, step)`` gives an int or float slider, a
    list a dropdown, ``True``/``False`` a checkbox, a widget itself. The
    starting value is ``render``'s default for that argument when it has one.
    ``render(**values)`` must return a matplotlib ``Figure`` (build it with
    :func:`conclab.figure`). With ``manual=True`` it redraws only when the
    button is pressed: use that when ``render`` measures something. Example::

        def lost_updates(threads=2, iterations=100_000):
            ...
            return fig

        lab.figure_panel(lost_updates, manual=True, threads=(1, 8),
                         iterations=[10_000, 100_000, 1_000_000])
    """
    check_callable("render", render)
    if not controls:
        raise ValueError("figure_panel needs at least one control, e.g. n=(1, 10)")
    return FigurePanel(render, controls, manual=manual, button=button)
