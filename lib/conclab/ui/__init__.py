"""The ui layer: interactive panels (ipywidgets core widgets around a PNG image)."""
