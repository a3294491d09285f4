"""Throughput of the tournament evaluator: episodes per minute, both cores against one.

Run ``python evaluate/benchmarks/bench_evaluator.py`` (about 20 s on two cores) or with ``--quick``
for a smoke run (a few seconds). It plays the same spec twice with
:func:`elecbay_evaluate.tournament.run_tournament`, first with ``workers=1`` (episodes
in this process, one after the other), then with ``--workers`` processes (default 2:
both cores of the reference machine), and prints episodes per minute of each and their
ratio. The figure is the wall time of ``run_tournament`` (checks, episodes,
summaries), after an untimed warm-up episode in this process (Numba kernels loaded);
the parallel run's time includes starting its worker processes (fresh interpreters that
import the package and load the cached kernels), as a user's run does. It also checks
that both runs gave identical results.

The default spec: the shipped ``default`` scenario over one week (336 periods, 13
agents), four entries (truthful, a marked-up CCGT, withholding producers,
budget-constrained zero intelligence) x 6 seeds = 24 episodes. ``--quick``: ``small``
over one day, 2 entries x 2 seeds. ``--spec PATH`` plays any spec instead; ``--json
PATH`` also writes the figures. Exit status 0 (1 if the results differ).

On the reference machine (2 cores, idle, Python 3.11)::

    tournament evaluator throughput: spec 'bench': default (market.days=7); 24 episodes
     workers    wall s  episodes/min  vs 1 worker
           1      9.99         144.2        1.00x
           2      5.74         250.8        1.74x
    identical results (1 vs 2 workers): yes

The shortfall from 2x is mostly the start of the two worker processes (about half a
second each: a fresh interpreter, the imports and the cached kernels) and the wait for
the last episode; other processes on the cores lower the ratio further (the load
average before the runs is printed for that reason).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

from elecbay_evaluate.tournament import (
    TournamentSpec,
    load_spec,
    make_tasks,
    run_episode,
    run_tournament,
)

TABLE_HEADER = "tournament evaluator throughput"

FULL_SPEC: dict[str, Any] = {
    "name": "bench",
    "scenarios": [{"name": "default", "overrides": {"market.days": 7}}],
    "n_seeds": 6,
    "entries": [
        {"name": "truthful", "policies": {"*": "merit_order"}},
        {"name": "markup_ccgt", "policies": {"producer_2": "markup:0.3"}},
        {"name": "withhold", "policies": {"producer": "withhold:0.3"}},
        {"name": "zi_c", "policies": {"*": "zi_c"}},
    ],
    "deterministic": False,
    "n_resamples": 1000,
}
"""The default benchmark spec (24 episodes of one week)."""

QUICK_SPEC: dict[str, Any] = {
    "name": "bench_quick",
    "scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
    "n_seeds": 2,
    "entries": [
        {"name": "truthful", "policies": {"*": "merit_order"}},
        {"name": "zi_c", "policies": {"*": "zi_c"}},
    ],
    "deterministic": False,
    "n_resamples": 200,
}
"""The ``--quick`` spec (4 episodes of one day)."""


def measure(spec: TournamentSpec, workers: int) -> dict[str, Any]:
    """One timed :func:`run_tournament` of ``spec`` on ``workers`` processes."""
    t0 = time.perf_counter()
    result = run_tournament(spec, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    n = len(result.episodes)
    return {
        "workers": result.workers,
        "episodes": n,
        "wall_s": wall,
        "episodes_per_min": 60.0 * n / wall,
        "fingerprint": repr((result.episodes, result.agents)),
    }


def format_table(spec: TournamentSpec, rows: list[dict[str, Any]]) -> str:
    """The printed comparison table (speed-up relative to the first row)."""
    base = rows[0]["episodes_per_min"]
    n_periods = ", ".join(
        f"{s.display} ({', '.join(f'{k}={v}' for k, v in s.overrides.items())})"
        for s in spec.scenarios
    )
    lines = [
        f"{TABLE_HEADER}: spec {spec.name!r}: {n_periods}; {rows[0]['episodes']} episodes",
        f"{'workers':>8} {'wall s':>9} {'episodes/min':>13} {'vs 1 worker':>12}",
    ]
    for r in rows:
        lines.append(f"{r['workers']:>8} {r['wall_s']:>9.2f} {r['episodes_per_min']:>13.1f} "
                     f"{r['episodes_per_min'] / base:>11.2f}x")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes of the parallel run (default: 2)")  # fmt: skip
    parser.add_argument("--spec", default=None, help="play this spec instead (YAML or name)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write JSON here")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec or (QUICK_SPEC if args.quick else FULL_SPEC))
    run_episode(make_tasks(spec)[0])  # warm-up: load the kernels in this process
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [measure(spec, 1), measure(spec, max(1, args.workers))]
    same = rows[0].pop("fingerprint") == rows[1].pop("fingerprint")
    print(format_table(spec, rows))
    print(f"identical results (1 vs {rows[1]['workers']} workers): {'yes' if same else 'NO'}")
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; load average before the runs {load:.2f} "
          "(other processes on the cores slow the parallel run most)")  # fmt: skip
    if args.json:
        data = {"spec": spec.model_dump(), "rows": rows, "identical": same,
                "ratio": rows[1]["episodes_per_min"] / rows[0]["episodes_per_min"],
                "cores": os.cpu_count(), "load_average": load}  # fmt: skip
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
