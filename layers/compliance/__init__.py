"""Continuous compliance: when a layer changes, re-check what depends on it and tell the right person."""
