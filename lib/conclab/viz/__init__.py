"""The viz layer: every ``plot_*``, object-oriented matplotlib Figures, no pyplot."""
