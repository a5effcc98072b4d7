"""Models: see the module docstrings."""
