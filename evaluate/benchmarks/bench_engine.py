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
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np
from elecbay_evaluate.benchmarks import benchtools
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_rate as _fmt_rate
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info

from elecbay_env import period as period_module
from elecbay_env.config import Scenario, load_scenario
from elecbay_env.draws import CHUNK_PERIODS
from elecbay_env.engine import Engine
from elecbay_env.orders import Orders, validate_orders
from elecbay_env.period import step_period
from elecbay_env.testing import random_orders

SCENARIO = "default"
MARKETS = (1, 256, 4_096)
TARGET_RATE = 100_000.0
"""Market-periods per second that ``Engine.step`` (validation on) must reach ..."""
TARGET_E = 4_096
"""... at this batch size."""
BLOCK = CHUNK_PERIODS
"""Periods per timed repetition: one chunk of the draw stream."""
ORDERS_SEED = 20_240_601
TABLE_HEADER = "Engine.step() throughput"
SCALING_E = 1_024
"""Batch size of the thread-scaling measurement ..."""
SCALING_THREADS = (1, 2)
TARGET_SCALING = 1.7
"""... where the kernel on 2 threads must be this many times faster than on 1."""


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _fmt_bytes(n: float) -> str:
    if abs(n) < 10_000:
        return f"{n:,.0f} B"
    if abs(n) < 10_000_000:
        return f"{n / 1024:,.1f} KiB"
    return f"{n / 1024**2:,.1f} MiB"


def build(scenario: Scenario, n_markets: int, validate: bool) -> tuple[Engine, Orders]:
    """An engine of E markets (no ledger), reset with seed 0, and one valid Orders."""
    eng = Engine(scenario, n_markets=n_markets, keep_ledger=False, validate=validate)
    eng.reset(seed=0)
    orders = random_orders(eng.params, eng.state, np.random.default_rng(ORDERS_SEED))
    validate_orders(eng.params, orders, eng.agents)
    return eng, orders


def market_orders(orders: Orders, e: int) -> Orders:
    """Market ``e``'s rows of a batch of orders, as orders of one market."""
    return Orders(*(np.ascontiguousarray(a[e : e + 1]) for a in orders))


def run_blocks(
    engines: Sequence[Engine],
    sweep: Callable[[], None],
    *,
    block: int,
    min_reps: int,
    max_reps: int,
    budget_s: float,
    stages: np.ndarray | None = None,
) -> dict[str, Any]:
    """Time ``sweep`` (one period of every engine in ``engines``) in blocks of ``block``.

    Before a block that would run past the end of the episode, every engine is reset
    (timed apart). Blocks continue until ``budget_s`` has passed and at least
    ``min_reps`` blocks exist, at most ``max_reps``. If ``stages`` is given, ``sweep``
    adds each stage's seconds to it; the per-period median of each stage comes back.
    The garbage collector is off while timing.
    """
    n_periods = engines[0].n_periods
    clock = time.perf_counter
    per_period: list[float] = []
    per_stage: list[np.ndarray] = []
    resets: list[float] = []
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        while len(per_period) < max_reps and (
            len(per_period) < min_reps or clock() - start < budget_s
        ):
            if int(engines[0].t.max()) + block > n_periods:
                t0 = clock()
                for k, eng in enumerate(engines):
                    eng.reset(seed=len(resets) * len(engines) + k)
                resets.append(clock() - t0)
            if stages is not None:
                stages[:] = 0.0
            t0 = clock()
            for _ in range(block):
                sweep()
            per_period.append((clock() - t0) / block)
            if stages is not None:
                per_stage.append(stages / block)
    finally:
        if gc_was_on:
            gc.enable()
    result: dict[str, Any] = {
        "period_s": statistics.median(per_period),
        "min_period_s": min(per_period),
        "blocks": len(per_period),
        "periods": len(per_period) * block,
        "resets": len(resets),
        "reset_s": statistics.median(resets) if resets else math.nan,
    }
    if stages is not None:
        result["stages_s"] = np.median(np.array(per_stage), axis=0).tolist()
    return result


# --------------------------------------------------------------------------------------
# Part 1: throughput, batch and loop of single markets
# --------------------------------------------------------------------------------------


def bench_batch(scenario: Scenario, e: int, validate: bool, timing: dict[str, Any]):
    """Median seconds per period of ``Engine.step`` on E markets."""
    eng, orders = build(scenario, e, validate)
    for _ in range(timing["warmup"]):
        eng.step(orders)
    return run_blocks(
        [eng],
        lambda: eng.step(orders),
        block=timing["block"],
        min_reps=timing["min_reps"],
        max_reps=timing["max_reps"],
        budget_s=timing["budget_s"],
    )


def bench_loop(scenario: Scenario, n: int, validate: bool, timing: dict[str, Any]):
    """Seconds per period of ``n`` single-market engines stepped one after another."""
    big, orders = build(scenario, n, validate)
    engines = []
    singles = []
    for e in range(n):
        eng = Engine(scenario, n_markets=1, keep_ledger=False, validate=validate)
        eng.reset(seed=e)
        engines.append(eng)
        singles.append(market_orders(orders, e))
    del big
    pairs = list(zip(engines, singles, strict=True))

    def sweep() -> None:
        for eng, o in pairs:
            eng.step(o)

    for _ in range(timing["warmup"]):
        sweep()
    return run_blocks(
        engines,
        sweep,
        block=timing["block"],
        min_reps=timing["min_reps"],
        max_reps=timing["max_reps"],
        budget_s=timing["budget_s"],
    )


def throughput_rows(scenario: Scenario, markets: Sequence[int], loop_subset: int, timing):
    """Rows of part 1: one per (E, validation)."""
    loops: dict[tuple[int, bool], dict[str, Any]] = {}
    rows = []
    for validate in (True, False):
        for e in markets:
            batch = bench_batch(scenario, e, validate, timing)
            n_loop = min(e, loop_subset)
            key = (n_loop, validate)
            if key not in loops:
                loops[key] = bench_loop(scenario, n_loop, validate, timing)
            loop = loops[key]
            loop_s = loop["period_s"] / n_loop * e
            how = "measured" if n_loop == e else f"extrap. {n_loop:,}"
            rate = e / batch["period_s"]
            target = e == TARGET_E and validate
            rows.append(
                {
                    "markets": e,
                    "validate": validate,
                    "period_s": batch["period_s"],
                    "market_periods_per_s": rate,
                    "us_per_market_period": batch["period_s"] / e * 1e6,
                    "blocks": batch["blocks"],
                    "periods_timed": batch["periods"],
                    "resets": batch["resets"],
                    "reset_s": batch["reset_s"],
                    "loop_s": loop_s,
                    "loop_markets_measured": n_loop,
                    "loop": how,
                    "loop_market_periods_per_s": e / loop_s,
                    "speedup": loop_s / batch["period_s"],
                    "target_applies": target,
                    "pass": (rate >= TARGET_RATE) if target else None,
                }
            )
    return rows


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

STAGES = ("validation", "draws", "kernel")


def bench_split(scenario: Scenario, e: int, timing: dict[str, Any]) -> dict[str, Any]:
    """Per-period medians of each stage of ``Engine.step``, run stage by stage."""
    eng, orders = build(scenario, e, True)
    params, state, outcome, agents = eng.params, eng.state, eng.outcome, eng.agents
    draws = eng.draws
    acc = np.zeros(len(STAGES))
    clock = time.perf_counter

    def sweep() -> None:
        t0 = clock()
        validate_orders(params, orders, agents)
        t1 = clock()
        d = draws.next()
        t2 = clock()
        step_period(params, state, orders, d, outcome)
        t3 = clock()
        acc[0] += t1 - t0
        acc[1] += t2 - t1
        acc[2] += t3 - t2

    for _ in range(timing["warmup"]):
        sweep()
    res = run_blocks(
        [eng],
        sweep,
        block=timing["block"],
        min_reps=timing["min_reps"],
        max_reps=timing["max_reps"],
        budget_s=timing["budget_s"],
        stages=acc,
    )
    return {"markets": e, **dict(zip(STAGES, res["stages_s"], strict=True)), **res}


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
# Part 3: memory per market
# --------------------------------------------------------------------------------------


def _array_bytes(obj: Any) -> int:
    """Bytes of the numpy arrays held by a named tuple or in an object's attributes."""
    values = obj if isinstance(obj, tuple) else vars(obj).values()
    return sum(v.nbytes for v in values if isinstance(v, np.ndarray))


def array_bytes(eng: Engine, orders: Orders) -> dict[str, int]:
    """Bytes of each group of arrays of an engine (the draw stream's buffers + one period)."""
    return {
        "params": _array_bytes(eng.params),
        "state": _array_bytes(eng.state),
        "orders": _array_bytes(orders),
        "outcome": _array_bytes(eng.outcome),
        "draws": _array_bytes(eng.draws) + _array_bytes(eng.draws.next()),
    }


def _rss_bytes() -> tuple[int, str]:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"), "current RSS"
    except (OSError, ValueError, IndexError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale, "peak RSS"


def bench_memory(scenario: Scenario, markets: Sequence[int]) -> dict[str, Any]:
    """Array bytes per market for every E, and RSS / tracemalloc growth for the largest.

    The growth is measured first, before other large engines come and go in the process.
    """
    big = max(markets)

    def make() -> tuple[Engine, Orders]:
        eng, orders = build(scenario, big, True)
        eng.step(orders)
        return eng, orders

    gc.collect()
    rss0, rss_kind = _rss_bytes()
    made = make()
    gc.collect()
    rss1, _ = _rss_bytes()
    del made
    gc.collect()
    tracemalloc.start()
    traced0 = tracemalloc.get_traced_memory()[0]
    made = make()
    gc.collect()
    traced1 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del made
    rows = []
    for e in markets:
        eng, orders = build(scenario, e, True)
        parts = array_bytes(eng, orders)
        total = sum(parts.values())
        rows.append(
            {
                "markets": e,
                **parts,
                "total": total,
                "per_market": total / e,
            }
        )
        del eng, orders
    gc.collect()
    return {
        "rows": rows,
        "growth_markets": big,
        "rss_kind": rss_kind,
        "rss_growth": rss1 - rss0,
        "rss_growth_per_market": (rss1 - rss0) / big,
        "traced_growth": traced1 - traced0,
        "traced_growth_per_market": (traced1 - traced0) / big,
    }


def print_memory(mem: dict[str, Any]) -> None:
    print("== 3. Memory per market (array bytes / E) ==")
    print(
        "   params include the (N, T) forecast table shared by all markets; draws = the draw "
        "stream's buffers + one period's draws."
    )
    groups = ("params", "state", "orders", "outcome", "draws")
    head = f"{'E':>6} | " + " | ".join(f"{g:>10}" for g in groups) + f" | {'total/E':>10}"
    print_head(head)
    for r in mem["rows"]:
        e = r["markets"]
        cells = " | ".join(f"{_fmt_bytes(r[g] / e):>10}" for g in groups)
        print(f"{e:>6,} | {cells} | {_fmt_bytes(r['per_market']):>10}")
    e = mem["growth_markets"]
    print(
        f"   building E={e:,} (engine, reset, orders, one step): {mem['rss_kind']} growth "
        f"{_fmt_bytes(mem['rss_growth'])} = {_fmt_bytes(mem['rss_growth_per_market'])}/market; "
        f"tracemalloc {_fmt_bytes(mem['traced_growth'])} = "
        f"{_fmt_bytes(mem['traced_growth_per_market'])}/market"
    )
    print(
        "   (the growth also counts the per-market numpy Generators and Python objects that "
        "the array bytes leave out)"
    )


# --------------------------------------------------------------------------------------
# Part 4: thread scaling
# --------------------------------------------------------------------------------------


def bench_scaling(scenario: Scenario, e: int, timing: dict[str, Any]) -> dict[str, Any]:
    """Seconds per period of the kernel and of ``Engine.step`` on 1 and 2 threads."""
    available = numba.config.NUMBA_NUM_THREADS
    threads = [n for n in SCALING_THREADS if n <= available]
    before = numba.get_num_threads()
    eng, orders = build(scenario, e, False)
    params, state, outcome = eng.params, eng.state, eng.outcome
    draws = eng.draws.next()
    sweeps: dict[str, Callable[[], Any]] = {
        "kernel": lambda: step_period(params, state, orders, draws, outcome),
        "Engine.step": lambda: eng.step(orders),
    }
    best: dict[str, dict[int, float]] = {name: {} for name in sweeps}
    try:
        for _ in range(2):  # 1, 2, 1, 2 threads: drift hits both counts alike
            for n in threads:
                numba.set_num_threads(n)
                for name, sweep in sweeps.items():
                    for _ in range(timing["warmup"]):
                        sweep()
                    res = run_blocks(
                        [eng],
                        sweep,
                        block=timing["block"],
                        min_reps=timing["min_reps"],
                        max_reps=timing["max_reps"],
                        budget_s=timing["budget_s"],
                    )
                    got = best[name].get(n, math.inf)
                    best[name][n] = min(got, res["period_s"])
    finally:
        numba.set_num_threads(before)
    rows = []
    for name, by_n in best.items():
        one = by_n.get(1, math.nan)
        two = by_n.get(2, math.nan)
        rows.append(
            {
                "what": name,
                "markets": e,
                "period_s_1_thread": one,
                "period_s_2_threads": two,
                "market_periods_per_s_1_thread": e / one,
                "market_periods_per_s_2_threads": e / two,
                "ratio": one / two,
            }
        )
    kernel_ratio = rows[0]["ratio"]
    checked = len(threads) == 2
    return {
        "markets": e,
        "threads_available": available,
        "rows": rows,
        "target_ratio": TARGET_SCALING,
        "pass": (kernel_ratio >= TARGET_SCALING) if checked else None,
    }


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
