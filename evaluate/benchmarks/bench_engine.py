"""Benchmark of the settlement-period engine: market-periods per second for E markets.

Run ``python evaluate/benchmarks/bench_engine.py`` (about a minute on two cores) or with
``--quick`` for a smoke run (under 20 s). On the shipped ``default`` scenario
(4-step bid curves) and E = 1, 256, 4 096 markets it prints:

1. The throughput of :meth:`elecbay_env.engine.Engine.step` in market-periods per
   second, with validation on (the default) and off. The orders are one valid
   :class:`~elecbay_env.orders.Orders` object drawn once with
   :func:`elecbay_env.testing.random_orders` and submitted every period; the engine
   runs with ``keep_ledger=False``. Timing starts after a warm-up (Numba compile or
   cache load, thread-pool start, first touch of the arrays). A repetition is a block
   of 16 periods (one chunk of the draw stream, so each block pays one refill of every
   market's random numbers); the figure is the median over blocks, per period. When
   an episode would end inside a block, every market is reset before the block, and
   the reset is timed apart (reported, not counted in the throughput).
   Baseline, measured in the same run: the same engine built with E = 1, once per
   market, stepped E times in a Python loop (one period of each of E markets); for
   large E it is extrapolated from a measured subset of markets, as the table says.
   Target: at least 100 000 market-periods/s at E = 4 096 with validation on.
2. Where the time goes: the same periods run stage by stage as ``Engine.step`` does
   them, each stage timed: ``validate_orders`` (validation), ``engine.draws.next()``
   (draws) and ``step_period`` (the fused Numba kernel); "other" is ``Engine.step``
   minus the three (its checks and the copy of ``t``).
3. Memory per market: the bytes of the arrays in params, state, orders, outcome and
   the draw stream's buffers (plus one period's draws), divided by E; and, for the
   largest E, the growth of the resident set size (RSS) and of the memory traced by
   ``tracemalloc`` while building the engine, resetting it, drawing the orders and
   stepping once, divided by E (this includes the per-market random generators).

4. Thread scaling: at E = 1 024 (validation off), the fused kernel (``step_period``)
   and ``Engine.step`` on 1 and on 2 Numba threads (``numba.set_num_threads``), measured
   in the same run, alternately (1, 2, 1, 2; the better median of each count is kept),
   and the ratio. Target: the kernel at least 1.7x faster on 2 threads than on 1
   (checked where Numba has at least 2 threads).

``--json PATH`` also writes every figure to PATH. The exit status is 0 (or, with
``--strict``, 1 when the target is missed).

This script holds the tables and the command line; the measurements live in
:mod:`elecbay_evaluate.benchmarks.engine_timing` (parts 1, 2 and 4) and
:mod:`elecbay_evaluate.benchmarks.engine_memory` (part 3), and are re-exported here.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

from elecbay_evaluate.benchmarks import benchtools
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_rate as _fmt_rate
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from elecbay_evaluate.benchmarks.engine_memory import (
    array_bytes,
    bench_memory,
    print_memory,
)
from elecbay_evaluate.benchmarks.engine_timing import (
    ORDERS_SEED,
    SCALING_THREADS,
    STAGES,
    TARGET_E,
    TARGET_RATE,
    TARGET_SCALING,
    bench_batch,
    bench_loop,
    bench_scaling,
    bench_split,
    build,
    market_orders,
    run_blocks,
    throughput_rows,
)

from elecbay_env import period as period_module
from elecbay_env.config import load_scenario
from elecbay_env.draws import CHUNK_PERIODS

__all__ = [
    "BLOCK",
    "MARKETS",
    "ORDERS_SEED",
    "SCALING_E",
    "SCALING_THREADS",
    "SCENARIO",
    "STAGES",
    "TABLE_HEADER",
    "TARGET_E",
    "TARGET_RATE",
    "TARGET_SCALING",
    "array_bytes",
    "bench_batch",
    "bench_loop",
    "bench_memory",
    "bench_scaling",
    "bench_split",
    "build",
    "machine_info",
    "main",
    "market_orders",
    "parse_args",
    "print_memory",
    "print_scaling",
    "print_split",
    "print_throughput",
    "run_blocks",
    "throughput_rows",
]

SCENARIO = "default"
MARKETS = (1, 256, 4_096)
BLOCK = CHUNK_PERIODS
"""Periods per timed repetition: one chunk of the draw stream."""
TABLE_HEADER = "Engine.step() throughput"
SCALING_E = 1_024
"""Batch size of the thread-scaling measurement ..."""


# --------------------------------------------------------------------------------------
# Part 1: throughput, batch and loop of single markets
# --------------------------------------------------------------------------------------


def print_throughput(rows, timing) -> None:
    print(f"== 1. {TABLE_HEADER}, market-periods per second (median per period) ==")
    print(
        f"   one fixed valid Orders (random_orders), keep_ledger=False; blocks of "
        f"{timing['block']} periods, median over blocks; resets not timed."
    )
    print(
        "   loop = E single-market engines (E=1 each) stepped in a Python loop; "
        "speed-up = loop / batch."
    )
    head = (
        f"{'E':>6} | {'valid.':>6} | {'per period':>10} | {'mkt-periods/s':>13} | "
        f"{'us/mkt-per':>10} | {'loop time':>10} | {'loop':>14} | {'speed-up':>8} | "
        f"target >= {TARGET_RATE / 1000:,.0f}k/s"
    )
    print_head(head)
    for r in rows:
        verdict = benchtools.verdict(r["pass"])
        print(
            f"{r['markets']:>6,} | {'on' if r['validate'] else 'off':>6} | "
            f"{_fmt_time(r['period_s']):>10} | {_fmt_rate(r['market_periods_per_s']):>13} | "
            f"{r['us_per_market_period']:>10.2f} | {_fmt_time(r['loop_s']):>10} | "
            f"{r['loop']:>14} | {r['speedup']:>7.2f}x | {verdict}"
        )
    resets = [r for r in rows if r["resets"]]
    for r in resets:
        if r["validate"]:
            print(
                f"   reset() at E={r['markets']:,}: {_fmt_time(r['reset_s'])} per episode "
                f"(not in the figures above)"
            )


# --------------------------------------------------------------------------------------
# Part 2: where the time goes
# --------------------------------------------------------------------------------------


def print_split(splits, rows, timing) -> None:
    print("== 2. Where the time goes: one period, stage by stage (median per period) ==")
    if timing["block"] % CHUNK_PERIODS:
        print(
            f"   (blocks of {timing['block']} periods: the median may miss the refill of the "
            f"draw buffers, every {CHUNK_PERIODS} periods)"
        )
    print(
        "   validation = validate_orders; draws = engine.draws.next() (includes the refill of "
        f"each market's buffer every {CHUNK_PERIODS} periods);"
    )
    print(
        "   kernel = step_period (fused Numba kernel, parallel over markets for "
        f"E >= {getattr(period_module, '_PARALLEL_MIN_MARKETS', '?')}); "
        "other = Engine.step (validation on) - the three."
    )
    head = (
        f"{'E':>6} | {'validation':>16} | {'draws':>16} | {'kernel':>16} | "
        f"{'sum':>10} | {'Engine.step':>11} | {'other':>9} | {'kernel us/mkt':>13}"
    )
    print_head(head)
    step_on = {r["markets"]: r["period_s"] for r in rows if r["validate"]}
    for s in splits:
        total = sum(s[k] for k in STAGES)
        step = step_on.get(s["markets"], math.nan)
        s["sum_s"] = total
        s["engine_step_s"] = step
        s["other_s"] = step - total
        cells = [f"{_fmt_time(s[k]):>9} {100 * s[k] / total:4.1f}%" for k in STAGES]
        print(
            f"{s['markets']:>6,} | {cells[0]:>16} | {cells[1]:>16} | {cells[2]:>16} | "
            f"{_fmt_time(total):>10} | {_fmt_time(step):>11} | {_fmt_time(step - total):>9} | "
            f"{s['kernel'] / s['markets'] * 1e6:>13.2f}"
        )


# --------------------------------------------------------------------------------------
# Part 4: thread scaling
# --------------------------------------------------------------------------------------


def print_scaling(scaling: dict[str, Any]) -> None:
    e = scaling["markets"]
    print(f"== 4. Thread scaling at E={e:,} (validation off): 2 Numba threads against 1 ==")
    print(
        "   kernel = step_period (fused Numba kernel, one period's draws reused); "
        "Engine.step adds draws and checks (single-threaded). Measured 1, 2, 1, 2 threads; "
        "the better median of each kept."
    )
    head = (
        f"{'what':>12} | {'1 thread':>10} | {'mkt-periods/s':>13} | {'2 threads':>10} | "
        f"{'mkt-periods/s':>13} | {'ratio':>6}"
    )
    print_head(head)
    for r in scaling["rows"]:
        print(
            f"{r['what']:>12} | {_fmt_time(r['period_s_1_thread']):>10} | "
            f"{_fmt_rate(r['market_periods_per_s_1_thread']):>13} | "
            f"{_fmt_time(r['period_s_2_threads']):>10} | "
            f"{_fmt_rate(r['market_periods_per_s_2_threads']):>13} | {r['ratio']:>5.2f}x"
        )
    if scaling["pass"] is None:
        print(
            f"   (only {scaling['threads_available']} Numba thread: the 2-thread target "
            "is not checked)"
        )
    else:
        verdict = benchtools.verdict(scaling["pass"])
        print(
            f"   target: kernel ratio >= {scaling['target_ratio']:.1f}x: "
            f"{scaling['rows'][0]['ratio']:.2f}x {verdict}"
        )


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


machine_info = _machine_info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        "bench_engine.py",
        quick="fewer repetitions, < ~20 s",
        strict="the throughput target is missed",
        description=(
            "Benchmark elecbay's settlement-period engine: Engine.step() market-periods per "
            "second for E markets, against a Python loop of single-market engines; time "
            "split; memory per market."
        ),
    )
    parser.add_argument(
        "--markets",
        type=int,
        nargs="+",
        default=list(MARKETS),
        metavar="E",
        help=f"batch sizes (default: {' '.join(map(str, MARKETS))})",
    )
    parser.add_argument(
        "--loop-subset",
        type=int,
        default=None,
        metavar="N",
        help="most single-market engines the loop baseline measures; larger E is "
        "extrapolated (default: 256, --quick: 32)",
    )
    args = parser.parse_args(argv)
    if min(args.markets) < 1 or (args.loop_subset is not None and args.loop_subset < 1):
        parser.error("--markets and --loop-subset must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quick = args.quick
    timing = {
        "block": 4 if quick else BLOCK,
        "min_reps": 2 if quick else 3,
        "max_reps": 50 if quick else 400,
        "budget_s": 0.05 if quick else 1.0,
        "warmup": 1 if quick else 2,
    }
    loop_subset = args.loop_subset or (32 if quick else 256)
    t_start = time.perf_counter()

    info = machine_info()
    scenario = load_scenario(SCENARIO)
    print(f"elecbay engine benchmark{' (--quick)' if quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} usable); "
        f"numba {info['numba']} threads: {info['numba_num_threads']} "
        f"(NUMBA_NUM_THREADS={info['numba_config_threads']}); numpy {info['numpy']}; "
        f"python {info['python']}"
    )
    probe, probe_orders = build(scenario, 1, True)
    p = probe.params
    print(
        f"scenario {SCENARIO!r}: N={p.n_rows} rows (agents), B={p.bid_steps} bid steps, "
        f"M={p.n_meters} meter reads per period, T={p.n_periods} periods per episode"
    )
    t0 = time.perf_counter()
    probe.step(probe_orders)
    t_serial = time.perf_counter() - t0
    par_min = max(int(getattr(period_module, "_PARALLEL_MIN_MARKETS", 16)), 1)
    probe, probe_orders = build(scenario, par_min, True)
    t0 = time.perf_counter()
    probe.step(probe_orders)
    t_par = time.perf_counter() - t0
    del probe, probe_orders
    print(
        f"first step (compile or cache load): serial kernel {_fmt_time(t_serial)}, "
        f"parallel kernel (E={par_min}) {_fmt_time(t_par)}"
    )
    print()

    memory = bench_memory(scenario, args.markets)  # first: before large arrays come and go
    rows = throughput_rows(scenario, args.markets, loop_subset, timing)
    print_throughput(rows, timing)
    extrap = sorted({r["loop_markets_measured"] for r in rows if r["loop"] != "measured"})
    if extrap:
        print(
            f"   loop times for E > {loop_subset:,} are extrapolated linearly from "
            f"{', '.join(f'{n:,}' for n in extrap)} measured single-market engines."
        )
    print()

    splits = [bench_split(scenario, e, timing) for e in args.markets]
    print_split(splits, rows, timing)
    print()

    print_memory(memory)
    print()

    scaling = bench_scaling(scenario, SCALING_E, timing)
    print_scaling(scaling)
    print()

    verdicts = [r["pass"] for r in rows if r["pass"] is not None]
    if scaling["pass"] is not None:
        verdicts.append(scaling["pass"])
    missed = sum(1 for v in verdicts if not v)
    elapsed = time.perf_counter() - t_start
    best = [r for r in rows if r["target_applies"]]
    got = f" (got {_fmt_rate(best[0]['market_periods_per_s'])})" if best else ""
    print(
        f"targets: {len(verdicts) - missed}/{len(verdicts)} PASS "
        f"(Engine.step >= {TARGET_RATE:,.0f} market-periods/s at E={TARGET_E:,}, validation "
        f"on{got}; kernel 2 threads >= {TARGET_SCALING:.1f}x 1 thread at E={SCALING_E:,}); "
        f"run time {elapsed:.1f} s"
    )
    if not verdicts:
        print(f"   (no target checked: E={TARGET_E:,} not among --markets)")

    if args.json:
        payload = {
            "machine": info,
            "quick": quick,
            "scenario": SCENARIO,
            "timing": timing,
            "loop_subset": loop_subset,
            "targets": {"market_periods_per_s_min": TARGET_RATE, "target_markets": TARGET_E},
            "compile_s": {"serial": t_serial, "parallel": t_par},
            "throughput": rows,
            "split": splits,
            "memory": memory,
            "scaling": scaling,
            "run_time_s": elapsed,
        }
        write_json(args.json, payload)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
