"""Benchmark of the engine with participation rules: market-periods per second vs without.

Run ``python -m elecbay_evaluate.benchmarks.bench_participation`` (under a minute on two
cores after the kernels are compiled) or with ``--quick`` for a smoke run. At E markets
of ``small`` it times :meth:`elecbay_env.engine.Engine.step` (validation off, no ledger)
on one valid :class:`~elecbay_env.orders.Orders` drawn once with
:func:`elecbay_env.testing.random_orders` and submitted every period, without
participation rules (the baseline, measured in the same run, alternately) and with
them, twice: ``loose`` -- every participant under limits that never bind, reserve
pre-qualification with the defaults and ``market.options`` on (no option written):
the cost of the checks alone; ``binding`` -- limits that bind (``max_bid_mw`` 100,
``min_bid_mw`` 5, ``position_limit_mwh`` 400, clip) and pre-qualification that refuses
the households (``min_mw`` 20): the market then trades and procures less, which
changes the period's own cost too, so this ratio is not overhead alone.
A repetition is a block of 16 periods (markets reset apart, untimed, when an episode
would end inside it); the figure is the median over blocks, per period.

Target: with the loose rules at least half the baseline (``loose_ratio >= 0.5``). ``--json PATH``
writes every figure; the exit status is 0 unless ``--strict`` and the target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import bench_parser, machine_info, write_json

from elecbay_env.engine import Engine
from elecbay_env.registration import PrequalificationWarning
from elecbay_env.testing import random_orders

MARKETS = (1, 256)
QUICK_MARKETS = (32,)
BLOCK = 16
RATIO_TARGET = 0.5
"""With loose rules, market-periods/s must be at least this share of without."""
RISK = {"max_bid_mw": 100, "min_bid_mw": 5, "position_limit_mwh": 400}
LOOSE = {"max_bid_mw": 1e6, "min_bid_mw": 1e-6, "position_limit_mwh": 1e8}


def rules(binding: bool = True) -> dict[str, Any]:
    """The overrides that switch every participation rule on for ``small``."""
    over: dict[str, Any] = {
        "market.prequalification": {"reserve": {"min_mw": 20}} if binding else {},
        "market.options": {},
        "market.days": 7,
    }
    for who in ("producers.0", "producers.1", "consumers.0", "consumers.1"):
        over[f"{who}.risk"] = RISK if binding else LOOSE
    return over


def _block(eng: Engine, orders) -> float:
    if np.any(eng.state.t + BLOCK > eng.n_periods):
        eng.reset(seed=None)
    t0 = time.perf_counter()
    for _ in range(BLOCK):
        eng.step(orders)
    return (time.perf_counter() - t0) / BLOCK


def bench(markets: Sequence[int], reps: int) -> list[dict[str, Any]]:
    rows = []
    for e in markets:
        engines = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PrequalificationWarning)
            for over in ({"market.days": 7}, rules(False), rules(True)):
                eng = Engine("small", n_markets=e, keep_ledger=False, validate=False, **over)
                eng.reset(seed=0)
                orders = random_orders(eng.params, eng.state, np.random.default_rng(0))
                eng.step(orders)  # warm-up: compile or cache load
                engines.append((eng, orders))
        times: list[list[float]] = [[], [], []]
        for _ in range(reps):
            for k, (eng, orders) in enumerate(engines):
                times[k].append(_block(eng, orders))
        t_0, t_l, t_b = (statistics.median(t) for t in times)
        rows.append(
            {
                "markets": e,
                "without_s": t_0,
                "loose_s": t_l,
                "binding_s": t_b,
                "without_market_periods_per_s": e / t_0,
                "loose_market_periods_per_s": e / t_l,
                "binding_market_periods_per_s": e / t_b,
                "loose_ratio": t_0 / t_l,
                "binding_ratio": t_0 / t_b,
                "pass": t_0 / t_l >= RATIO_TARGET,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(
        "bench_participation.py",
        quick=f"E = {QUICK_MARKETS[0]}, a few blocks",
        strict="the target is missed",
        description=__doc__.splitlines()[0],
    )
    args = parser.parse_args(argv)
    info = machine_info()
    print(f"elecbay participation-rules benchmark{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} "
        f"usable); numba {info['numba']} threads: {info['numba_num_threads']}; "
        f"numpy {info['numpy']}; python {info['python']}"
    )
    rows = bench(QUICK_MARKETS if args.quick else MARKETS, 3 if args.quick else 9)
    print(f"== Engine.step on small with risk limits, pre-qualification and options vs "
          f"without: market-periods/s, median of blocks of {BLOCK} periods ==")  # fmt: skip
    head = f"{'E':>5} | {'without mkt-periods/s':>21} | {'loose':>9} | {'binding':>9} | "
    head += f"{'loose/without':>13} | {'binding/without':>15} | target"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['markets']:>5,} | {r['without_market_periods_per_s']:>21,.0f} | "
            f"{r['loose_market_periods_per_s']:>9,.0f} | "
            f"{r['binding_market_periods_per_s']:>9,.0f} | {r['loose_ratio']:>12.2f}x | "
            f"{r['binding_ratio']:>14.2f}x | {'PASS' if r['pass'] else 'FAIL'}"
        )
    print(f"target: loose rules >= {RATIO_TARGET:g}x the market-periods/s without")
    if args.json:
        write_json(args.json, {"machine": info, "rows": rows})
    missed = any(not r["pass"] for r in rows)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
