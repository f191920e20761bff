"""The ui layer: interactive panels (ipywidgets core widgets + PNG images)."""
