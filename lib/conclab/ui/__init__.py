"""The ui layer: interactive panels, an experiment object and a view object
each, built from ipywidgets core widgets around a PNG image."""
