"""Exercise checkers and their answer keys (they may use the core layer)."""
