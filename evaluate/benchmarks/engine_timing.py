"""Timing of the engine for bench_engine.py: periods in blocks, throughput, stages, threads.

:func:`run_blocks` times one period of E markets in blocks of periods (median seconds per
period); :func:`throughput_rows` compares ``Engine.step`` on E markets with a loop of E
single-market engines, :func:`bench_split` times each stage of a period and
:func:`bench_scaling` the kernel and ``Engine.step`` on 1 and 2 Numba threads.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np

from elecbay_env.config import Scenario
from elecbay_env.engine import Engine
from elecbay_env.orders import Orders, validate_orders
from elecbay_env.period import step_period
from elecbay_env.testing import random_orders

TARGET_RATE = 100_000.0
"""Market-periods per second that ``Engine.step`` (validation on) must reach ..."""
TARGET_E = 4_096
"""... at this batch size."""
ORDERS_SEED = 20_240_601
SCALING_THREADS = (1, 2)
TARGET_SCALING = 1.7
"""... where the kernel on 2 threads must be this many times faster than on 1."""


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
