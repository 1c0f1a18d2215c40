"""Benchmark of the dashboard at scale: ``python -m bench`` (see docs/performance.md).

Not part of the test suite: it prints figures, it asserts nothing about time.
"""
