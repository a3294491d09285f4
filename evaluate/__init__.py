"""Evaluation, tournaments and benchmarks (installed as ``elecbay_evaluate``)."""
