"""The exercises layer: checkers and their answer keys."""
