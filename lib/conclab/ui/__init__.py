"""Interactive panels: ipywidgets core widgets around a ``widgets.Image`` of
PNG bytes (ipywidgets 7.7.1 and 8). Imports from ``core`` and ``viz``.
"""
