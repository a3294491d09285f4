"""What the benchmarks share: the machine they ran on, their options, JSON and tables."""

from __future__ import annotations

import argparse
import math
import os
import platform
from typing import Any

import numba
import numpy as np


def machine_info(**extra: Any) -> dict[str, Any]:
    """Versions, cores and thread counts (``extra`` entries appended, e.g. torch's)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "numba_num_threads": numba.get_num_threads(),
        "numba_config_threads": numba.config.NUMBA_NUM_THREADS,
        **extra,
    }


def fmt_time(seconds: float) -> str:
    """A duration as ``us``, ``ms`` or ``s`` with 3-4 significant figures (``-`` for NaN)."""
    if math.isnan(seconds):
        return "-"
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if abs(seconds) < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(rate: float) -> str:
    """A rate (per second) as a whole number with thousands separators."""
    return f"{rate:,.0f}"


def verdict(passed: bool | None, na: str = "n/a") -> str:
    """A target's verdict: ``PASS``, ``FAIL``, or ``na`` where it was not checked (None)."""
    return na if passed is None else ("PASS" if passed else "FAIL")


def print_head(head: str) -> None:
    """Print a table's header line and under it a rule of dashes as long."""
    print(head)
    print("-" * len(head))


def bench_parser(
    prog: str, *, quick: str, strict: str, description: str
) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark has: ``--quick`` (a smoke run,
    ``quick`` says how long), ``--json PATH`` and ``--strict`` (exit 1 when ``strict``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=f"short smoke run ({quick})")
    parser.add_argument("--json", metavar="PATH", help="also write all figures to PATH as JSON")
    parser.add_argument("--strict", action="store_true", help=f"exit 1 when {strict}")
    return parser


def write_json(path: str, payload: dict[str, Any]) -> None:
    """Write a benchmark's figures to ``path`` (``--json``) and say so."""
    import json

    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2, allow_nan=True)
    print(f"wrote {path}")
