"""Benchmark of the engine with zones or day-ahead: market-periods per second vs one zone.

Run ``python -m elecbay_evaluate.benchmarks.bench_zones_engine`` (about a minute on two
cores after the kernels are compiled) or with ``--quick`` for a smoke run. For each
pair of scenarios, the single-zone one and its two-zone version
(``small`` and :func:`elecbay_evaluate.zones.two_zone_small` with a 50 MW border;
``gb2024`` and :func:`elecbay_env.gb_zones.gb2024_two_zone` across B6), at E markets
it times :meth:`elecbay_env.engine.Engine.step` (validation off, no ledger) on one
valid :class:`~elecbay_env.orders.Orders` drawn once with
:func:`elecbay_env.testing.random_orders` and submitted every period. After a warm-up
(compile or cache load, thread start), a repetition is a block of 16 periods (markets
reset apart, untimed, when an episode would end inside it); the figure is the median
over blocks, per period. The single-zone scenario is the baseline, measured in the same
run, alternately with the zonal one. A third pair, ``small`` over 8 days without and
with ``market.day_ahead`` (gate 11:00), times blocks of a whole day (48 periods) so that
each block holds one gate, whose day-ahead auction (:meth:`Engine.clear_day_ahead` on the
same curves) is timed with the periods.

Target (issue 15): the zonal engine at least half the single-zone figure
(``ratio >= 0.5``). ``--json PATH`` writes every figure; the exit status is 0 unless
``--strict`` and the target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import bench_parser, machine_info, write_json
from elecbay_evaluate.zones import two_zone_small

from elecbay_env.engine import Engine
from elecbay_env.gb_zones import gb2024_two_zone
from elecbay_env.testing import random_orders

MARKETS = (256,)
QUICK_MARKETS = (32,)
BLOCK = 16
RATIO_TARGET = 0.5
"""The zonal engine's market-periods/s must be at least this share of single-zone's."""
TABLE_HEADER = "Engine.step with zones or day-ahead vs one zone"


def _pairs() -> list[tuple[str, Any, Any]]:
    from elecbay_env.config import load_scenario

    days = {"market.days": 8}
    da = {"market.day_ahead": {"gate_hour": 11}}
    return [
        ("small / small in two zones", "small", two_zone_small(50.0)),
        ("gb2024 / GB two zones (B6)", "gb2024", gb2024_two_zone()),
        (
            "small / small with day-ahead",
            load_scenario("small", **days),
            load_scenario("small", **days, **da),
        ),
    ]


def _block(eng: Engine, orders, length: int = BLOCK) -> float:
    if np.any(eng.state.t + length > eng.n_periods):
        eng.reset(seed=None)
    t0 = time.perf_counter()
    for _ in range(length):
        if eng.params.da_slots and eng.day_ahead_gate().all():
            eng.clear_day_ahead(orders.step_price, orders.step_qty)
        eng.step(orders)
    return (time.perf_counter() - t0) / length


def bench(markets: Sequence[int], reps: int) -> list[dict[str, Any]]:
    rows = []
    for label, single, zonal in _pairs():
        for e in markets:
            engines = []
            for sc in (single, zonal):
                eng = Engine(sc, n_markets=e, keep_ledger=False, validate=False)
                eng.reset(seed=0)
                orders = random_orders(eng.params, eng.state, np.random.default_rng(0))
                eng.step(orders)  # warm-up: compile or cache load
                engines.append((eng, orders))
            length = 48 if "day-ahead" in label else BLOCK
            times: list[list[float]] = [[], []]
            for _ in range(reps):
                for k, (eng, orders) in enumerate(engines):
                    times[k].append(_block(eng, orders, length))
            t_s, t_z = statistics.median(times[0]), statistics.median(times[1])
            ratio = t_s / t_z
            rows.append(
                {
                    "pair": label,
                    "markets": e,
                    "single_s": t_s,
                    "zonal_s": t_z,
                    "single_market_periods_per_s": e / t_s,
                    "zonal_market_periods_per_s": e / t_z,
                    "ratio": ratio,
                    "pass": ratio >= RATIO_TARGET,
                }
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(
        "bench_zones_engine.py",
        quick=f"E = {QUICK_MARKETS[0]}, a few blocks",
        strict="the target is missed",
        description=__doc__.splitlines()[0],
    )
    args = parser.parse_args(argv)
    info = machine_info()
    print(f"elecbay engine-with-zones benchmark{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} "
        f"usable); numba {info['numba']} threads: {info['numba_num_threads']}; "
        f"numpy {info['numpy']}; python {info['python']}"
    )
    rows = bench(QUICK_MARKETS if args.quick else MARKETS, 3 if args.quick else 9)
    print(f"== {TABLE_HEADER}: market-periods/s, median of blocks of {BLOCK} periods "
          "(a day of 48 with day-ahead) ==")  # fmt: skip
    head = (
        f"{'scenarios (single / zonal)':<28} | {'E':>5} | {'single mkt-periods/s':>20} | "
        f"{'zonal mkt-periods/s':>19} | {'zonal/single':>12} | target"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['pair']:<28} | {r['markets']:>5,} | {r['single_market_periods_per_s']:>20,.0f} | "
            f"{r['zonal_market_periods_per_s']:>19,.0f} | {r['ratio']:>11.2f}x | "
            f"{'PASS' if r['pass'] else 'FAIL'}"
        )
    print(f"target: zonal >= {RATIO_TARGET:g}x the single-zone market-periods/s")
    if args.json:
        write_json(args.json, {"machine": info, "rows": rows})
    missed = any(not r["pass"] for r in rows)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
