"""Benchmarks: one command each, printed figures next to baselines measured in the same run.

Not timed tests: pytest only runs them with tiny counts to see that every figure prints
(``tests/bench``), never to judge a speed. See ``bench/README.md``.
"""
