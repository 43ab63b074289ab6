"""Benchmarks: one command each, printed figures next to baselines measured in the same run.

Not timed tests: nothing here runs under pytest. See ``bench/README.md``.
"""
