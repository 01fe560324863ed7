"""Benchmarks: side-by-side speed and token measurements. Not part of the test suite; see README."""
