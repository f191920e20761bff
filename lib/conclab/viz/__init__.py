"""The viz layer: every ``plot_*``, object-oriented matplotlib Figures (no
pyplot). Imports from core, never from ui or exercises."""
