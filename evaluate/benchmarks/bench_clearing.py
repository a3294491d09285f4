"""Benchmark of the call-auction clearing: ``clear`` against a sort and plain Python.

Run ``python evaluate/benchmarks/bench_clearing.py`` (about 15 s on two cores) or with
``--quick`` for a smoke run (a few seconds). It prints:

1. For books of N = 10 ... 100 000 orders per side (prices uniform on 0..200 rounded
   to 0.01, so ties occur; quantities uniform on 0.1..50 MW), the median wall time of
   :func:`elecbay_env.clearing.clear` (after a warm-up call, so Numba compile or
   cache-load time is excluded), of a bare ``numpy.argsort`` of the same prices (one
   argsort per side, N each: the sort that any clearing needs, a lower bound), and of
   the plain-Python reference clearing :func:`reference_clear`, with the
   ratios. The reference is checked against ``clear`` (volume and price) on every N
   where it runs. Target: ``clear`` within 3x of the argsort for N >= 1000.
2. The throughput of :func:`elecbay_env.clearing.clear_batch` in markets per second
   for E markets of 50 bids and 50 offers, and its speed-up over calling ``clear`` E
   times in a loop. Target: >= 300 000 markets/s at E = 16 384.

``--breakdown`` (default ``auto``: only for rows that miss the 3x target) times each
stage of ``clear`` in place, in a copy of its body built from the private helpers of
``elecbay_env.clearing``, and counts the minor page faults per call.
``--json PATH`` also writes every figure to PATH. The exit status is 0 unless the
reference disagrees with ``clear`` (or, with ``--strict``, a target is missed).

This script holds the tables and the command line; the reference lives in
:mod:`elecbay_evaluate.benchmarks.clearing_reference` and the timing in
:mod:`elecbay_evaluate.benchmarks.clearing_timing`, re-exported here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from elecbay_evaluate.benchmarks import benchtools
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_rate as _fmt_rate
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from elecbay_evaluate.benchmarks.clearing_reference import (
    ATOL,
    RTOL,
    agrees,
    random_book,
    reference_clear,
)
from elecbay_evaluate.benchmarks.clearing_timing import (
    ARGSORT_TARGET,
    ARGSORT_TARGET_MIN_N,
    BATCH_BOOK,
    STAGES,
    THROUGHPUT_TARGET,
    THROUGHPUT_TARGET_E,
    bench_batch,
    bench_single,
    breakdown,
    median_time,
)

from elecbay_env.clearing import clear

__all__ = [
    "ARGSORT_TARGET",
    "ARGSORT_TARGET_MIN_N",
    "ATOL",
    "BATCH_BOOK",
    "MARKETS",
    "RTOL",
    "SIZES",
    "STAGES",
    "TABLE_HEADER",
    "THROUGHPUT_TARGET",
    "THROUGHPUT_TARGET_E",
    "agrees",
    "bench_batch",
    "bench_single",
    "breakdown",
    "machine_info",
    "main",
    "median_time",
    "parse_args",
    "print_batch",
    "print_breakdown",
    "print_single",
    "random_book",
    "reference_clear",
]

SIZES = (10, 100, 1_000, 10_000, 100_000)
MARKETS = (1, 64, 1_024, 16_384)
TABLE_HEADER = "clear() vs argsort vs plain Python"


# --------------------------------------------------------------------------------------
# Part 1: clear() against argsort and plain Python
# --------------------------------------------------------------------------------------


def print_single(rows) -> None:
    print(f"== 1. {TABLE_HEADER} (median wall time per call) ==")
    print("   books: N bids + N offers, prices U(0, 200) to the cent, quantities U(0.1, 50) MW;")
    print("   argsort = np.argsort(bid_price) + np.argsort(ask_price), the sort clear needs;")
    print("   python = reference_clear() on lists (checked against clear: volume, price).")
    head = (
        f"{'N':>8} | {'clear':>10} | {'argsort':>10} | {'python':>10} | "
        f"{'clear/argsort':>13} | {'python/clear':>12} | {'py reps':>7} | target <= 3x"
    )
    print_head(head)
    for r in rows:
        verdict = benchtools.verdict(r["pass"], "n/a (N<1000)")
        print(
            f"{r['n']:>8,} | {_fmt_time(r['clear_s']):>10} | {_fmt_time(r['argsort_s']):>10} | "
            f"{_fmt_time(r['python_s']):>10} | {r['clear_over_argsort']:>12.2f}x | "
            f"{r['python_over_clear']:>11.1f}x | {r['reps']['python']:>7} | {verdict}"
        )


# --------------------------------------------------------------------------------------
# Breakdown of clear(): each stage timed alone through clearing.py's private helpers
# --------------------------------------------------------------------------------------


def print_breakdown(n: int, parts: dict[str, float]) -> None:
    total = parts["staged copy, total"]
    print(f"-- breakdown of clear() at N={n:,} (stages timed in place, medians) --")
    for name, v in parts.items():
        if name.startswith("minor"):
            print(f"   {name:<44} {v:>10.0f}")
        else:
            share = f"{100 * v / total:5.1f}%" if name[0].isdigit() else ""
            print(f"   {name:<44} {_fmt_time(v):>10}  {share}")


# --------------------------------------------------------------------------------------
# Part 2: clear_batch throughput
# --------------------------------------------------------------------------------------


def print_batch(rows) -> None:
    print(
        f"== 2. clear_batch() throughput, E markets of {BATCH_BOOK} bids + {BATCH_BOOK} offers "
        "(median) =="
    )
    print("   loop = `for e in range(E): clear(row e)` on the same books; speed-up = loop/batch.")
    head = (
        f"{'E':>7} | {'batch time':>10} | {'markets/s':>12} | {'loop time':>10} | "
        f"{'loop':>12} | {'speed-up':>8} | target >= 300k/s"
    )
    print_head(head)
    for r in rows:
        verdict = benchtools.verdict(r["pass"])
        print(
            f"{r['markets']:>7,} | {_fmt_time(r['batch_s']):>10} | "
            f"{_fmt_rate(r['markets_per_s']):>12} | {_fmt_time(r['loop_s']):>10} | "
            f"{r['loop']:>12} | {r['speedup']:>7.1f}x | {verdict}"
        )


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


machine_info = _machine_info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        "bench_clearing.py",
        quick="fewer repetitions, < ~20 s",
        strict="a timing target is missed",
        description=(
            "Benchmark elecbay's call-auction clearing: clear() against a bare argsort and "
            "a plain-Python reference, and clear_batch() throughput."
        ),
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        metavar="N",
        help=f"orders per side for part 1 (default: {' '.join(map(str, SIZES))})",
    )
    parser.add_argument(
        "--markets",
        type=int,
        nargs="+",
        default=list(MARKETS),
        metavar="E",
        help=f"batch sizes for part 2 (default: {' '.join(map(str, MARKETS))})",
    )
    parser.add_argument(
        "--breakdown",
        choices=("auto", "always", "never"),
        default="auto",
        help="time each stage of clear(): for rows missing the 3x target (auto), all, none",
    )
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or min(args.markets) < 1:
        parser.error("--sizes and --markets must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quick = args.quick
    budget = 0.05 if quick else 1.0
    t_start = time.perf_counter()

    info = machine_info()
    print(f"elecbay clearing benchmark{' (--quick)' if quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} usable); "
        f"numba {info['numba']} threads: {info['numba_num_threads']} "
        f"(NUMBA_NUM_THREADS={info['numba_config_threads']}); numpy {info['numpy']}; "
        f"python {info['python']}"
    )
    t0 = time.perf_counter()
    clear([30.0, 20.0], [1.0, 1.0], [10.0, 25.0], [1.0, 1.0])
    print(f"first call of clear() (compile or cache load): {_fmt_time(time.perf_counter() - t0)}")
    print()

    single = bench_single(
        args.sizes,
        budget_s=budget,
        py_max_n_full=1_000 if quick else 10_000,
        py_reps_big=1 if quick else 3,
    )
    print_single(single)
    print(
        f"   python reps: every N above {1_000 if quick else 10_000:,} limited to "
        f"{1 if quick else 3} repetition(s)."
    )

    breakdowns: dict[int, dict[str, float]] = {}
    for r in single:
        if args.breakdown == "always" or (args.breakdown == "auto" and r["pass"] is False):
            try:
                breakdowns[r["n"]] = breakdown(r["n"], 0.03 if quick else 0.3)
            except (ImportError, AttributeError, TypeError) as exc:
                print(f"   (breakdown unavailable, clearing.py internals changed: {exc})")
                break
    if breakdowns:
        print()
    for n, parts in breakdowns.items():
        print_breakdown(n, parts)
    print()

    batch = bench_batch(
        args.markets,
        budget_s=0.05 if quick else 1.0,
        loop_max_e=64 if quick else THROUGHPUT_TARGET_E,
        loop_reps_big=3,
    )
    print_batch(batch)
    if quick:
        print("   loop times above E=64 are extrapolated from the E=64 loop (--quick).")
    else:
        print("   loop times measured for every E (3 repetitions for E >= 4096).")
    print()

    verdicts = [r["pass"] for r in single + batch if r["pass"] is not None]
    missed = sum(1 for v in verdicts if not v)
    elapsed = time.perf_counter() - t_start
    print(
        f"targets: {len(verdicts) - missed}/{len(verdicts)} PASS "
        f"(clear <= {ARGSORT_TARGET:g}x argsort for N >= {ARGSORT_TARGET_MIN_N:,}; "
        f"clear_batch >= {THROUGHPUT_TARGET:,.0f} markets/s at E={THROUGHPUT_TARGET_E:,}); "
        f"run time {elapsed:.1f} s"
    )

    if args.json:
        payload = {
            "machine": info,
            "quick": quick,
            "targets": {
                "clear_over_argsort_max": ARGSORT_TARGET,
                "clear_over_argsort_min_n": ARGSORT_TARGET_MIN_N,
                "batch_markets_per_s_min": THROUGHPUT_TARGET,
                "batch_target_markets": THROUGHPUT_TARGET_E,
                "batch_book": BATCH_BOOK,
            },
            "single": single,
            "breakdown": {str(n): parts for n, parts in breakdowns.items()},
            "batch": batch,
            "run_time_s": elapsed,
        }
        write_json(args.json, payload)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
