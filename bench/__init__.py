"""Benchmarks. ``python -m bench`` (``make bench``) runs the live-update fan-out benchmark."""
