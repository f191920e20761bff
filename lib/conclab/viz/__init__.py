"""Every ``plot_*``: object-oriented matplotlib Figures, never pyplot.
Imports from ``core`` only.
"""
