"""Small pure helpers, one module per topic."""
