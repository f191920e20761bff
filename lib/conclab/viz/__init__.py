"""The viz layer: every ``plot_*``, as object-oriented matplotlib Figures."""
