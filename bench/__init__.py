"""Benchmarks: they print and record figures (out/bench/results.json); they never fail on a slow machine."""
