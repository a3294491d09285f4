"""Benchmark of the engine with a distribution constraint: market-periods per second vs none.

Run ``python -m elecbay_evaluate.benchmarks.bench_constraint`` (under a minute on two
cores after the kernels are compiled) or with ``--quick`` for a smoke run. The shipped
``constraint`` scenario (wind and solar behind a grid supply point export limit,
curtailed last-in-first-off every meter interval; configs/constraint.yaml) against the
same scenario with its ``distribution_constraints`` removed, and ``small`` with every
participant behind a 60 MW pro-rata export limit against ``small`` as shipped. At E
markets it times :meth:`elecbay_env.engine.Engine.step` (validation off, no ledger) on
one valid :class:`~elecbay_env.orders.Orders` drawn once with
:func:`elecbay_env.testing.random_orders` and submitted every period. After a warm-up
(compile or cache load), a repetition is a block of 16 periods (markets reset apart,
untimed, when an episode would end inside it); the figure is the median over blocks, per
period. The scenario without the constraint is the baseline, measured in the same run,
alternately with the constrained one.

Target (issue 16): with the constraint, at least half the market-periods/s without it
(``ratio >= 0.5``). ``--json PATH`` writes every figure; the exit status is 0 unless
``--strict`` and the target is missed.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.bench_zones_engine import BLOCK, _block
from elecbay_evaluate.benchmarks.benchtools import bench_parser, machine_info, write_json

from elecbay_env.config import load_scenario
from elecbay_env.engine import Engine
from elecbay_env.testing import random_orders

MARKETS = (256,)
QUICK_MARKETS = (32,)
RATIO_TARGET = 0.5
"""The constrained engine's market-periods/s must be at least this share of the plain one's."""
TABLE_HEADER = "Engine.step with a distribution constraint vs without"


def _pairs() -> list[tuple[str, Any, Any]]:
    shipped = load_scenario("constraint").model_dump()
    plain = {**shipped, "distribution_constraints": []}
    small = load_scenario("small").model_dump()
    names = [x["name"] for x in (*small["producers"], *small["consumers"])]
    for x in (*small["producers"], *small["consumers"]):
        x["firm"] = x["type"] != "thermal" if "type" in x else True
    limited = {**small, "distribution_constraints": [
        {"name": "gsp", "limit_mw": 60.0, "members": names, "allocation": "pro_rata"}
    ]}  # fmt: skip
    return [
        ("constraint (LIFO, 3 non-firm)", plain, shipped),
        ("small, all behind 60 MW", load_scenario("small").model_dump(), limited),
    ]


def bench(markets: Sequence[int], reps: int) -> list[dict[str, Any]]:
    rows = []
    for label, plain, constrained in _pairs():
        for e in markets:
            engines = []
            for sc in (plain, constrained):
                eng = Engine(sc, n_markets=e, keep_ledger=False, validate=False)
                eng.reset(seed=0)
                orders = random_orders(eng.params, eng.state, np.random.default_rng(0))
                eng.step(orders)  # warm-up: compile or cache load
                engines.append((eng, orders))
            times: list[list[float]] = [[], []]
            for _ in range(reps):
                for k, (eng, orders) in enumerate(engines):
                    times[k].append(_block(eng, orders))
            t_p, t_c = statistics.median(times[0]), statistics.median(times[1])
            ratio = t_p / t_c
            rows.append(
                {
                    "pair": label,
                    "markets": e,
                    "plain_s": t_p,
                    "constrained_s": t_c,
                    "plain_market_periods_per_s": e / t_p,
                    "constrained_market_periods_per_s": e / t_c,
                    "ratio": ratio,
                    "pass": ratio >= RATIO_TARGET,
                }
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(
        "bench_constraint.py",
        quick=f"E = {QUICK_MARKETS[0]}, a few blocks",
        strict="the target is missed",
        description=__doc__.splitlines()[0],
    )
    args = parser.parse_args(argv)
    info = machine_info()
    print(f"elecbay engine-with-constraint benchmark{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} "
        f"usable); numba {info['numba']} threads: {info['numba_num_threads']}; "
        f"numpy {info['numpy']}; python {info['python']}"
    )
    rows = bench(QUICK_MARKETS if args.quick else MARKETS, 3 if args.quick else 9)
    print(f"== {TABLE_HEADER}: market-periods/s, median of blocks of {BLOCK} periods ==")
    head = (
        f"{'scenario':<30} | {'E':>5} | {'without mkt-periods/s':>21} | "
        f"{'with mkt-periods/s':>18} | {'with/without':>12} | target"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['pair']:<30} | {r['markets']:>5,} | {r['plain_market_periods_per_s']:>21,.0f} | "
            f"{r['constrained_market_periods_per_s']:>18,.0f} | {r['ratio']:>11.2f}x | "
            f"{'PASS' if r['pass'] else 'FAIL'}"
        )
    print(f"target: with the constraint >= {RATIO_TARGET:g}x the market-periods/s without it")
    if args.json:
        write_json(args.json, {"machine": info, "rows": rows})
    missed = any(not r["pass"] for r in rows)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
