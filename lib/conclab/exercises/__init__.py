"""Exercise checkers and their answer keys. Imports from ``core`` only."""
