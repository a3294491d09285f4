"""The benchmarks (``docs/benchmarks.md``): speed, scaling, learning and market realism.

Each ``bench_<name>.py`` runs as a script (``.venv/bin/python
evaluate/benchmarks/bench_<name>.py``, ``--quick`` for a smoke run, ``--json PATH``) and
as a module (``python -m elecbay_evaluate.benchmarks.bench_<name>``);
:mod:`.benchtools` holds what they share (the parser, machine information, JSON).
Nothing in the libraries imports them.
"""
