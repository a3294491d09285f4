"""Timing for bench_clearing.py: clear() against argsort and Python, its stages, clear_batch.

:func:`median_time` times a call; :func:`bench_single` times ``clear`` against a bare
``numpy.argsort`` of both sides and :func:`reference_clear` (part 1),
:func:`breakdown` each stage of ``clear`` (:data:`STAGES`), :func:`bench_batch`
``clear_batch`` on E markets against a loop of ``clear`` (part 2).
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from elecbay_evaluate.benchmarks.clearing_reference import agrees, random_book, reference_clear

from elecbay_env.clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, clear, clear_batch

BATCH_BOOK = 50

ARGSORT_TARGET = 3.0
"""``clear`` must take at most this many times the bare argsort ..."""
ARGSORT_TARGET_MIN_N = 1_000
"""... for books of at least this many orders per side."""
THROUGHPUT_TARGET = 300_000.0
"""Markets per second that ``clear_batch`` must reach ..."""
THROUGHPUT_TARGET_E = 16_384
"""... at this batch size."""


def median_time(
    fn: Callable[[], object],
    *,
    budget_s: float,
    min_reps: int = 5,
    max_reps: int = 1_000,
    min_sample_s: float = 2e-4,
) -> tuple[float, int]:
    """Median seconds per call of ``fn`` and the number of calls timed.

    Calls too short for the timer run in loops of ``inner`` calls per sample (as
    ``timeit``); samples continue until ``budget_s`` has passed and at least
    ``min_reps`` samples exist, at most ``max_reps``. The garbage collector is off
    while timing.
    """
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    inner = max(1, math.ceil(min_sample_s / max(once, 1e-9)))
    samples: list[float] = []
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        while len(samples) < max_reps and (
            len(samples) < min_reps or time.perf_counter() - start < budget_s
        ):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples.append((time.perf_counter() - t0) / inner)
    finally:
        if gc_was_on:
            gc.enable()
    return statistics.median(samples), len(samples) * inner


def _argsort_sides(bid_price: np.ndarray, ask_price: np.ndarray) -> None:
    np.argsort(bid_price)
    np.argsort(ask_price)


def bench_single(sizes: Sequence[int], budget_s: float, py_max_n_full: int, py_reps_big: int):
    """Rows of part 1, one per N."""
    rng = np.random.default_rng(20_240_601)
    rows = []
    for n in sizes:
        bp, bq, ap, aq = random_book(rng, n)
        lists = (bp.tolist(), bq.tolist(), ap.tolist(), aq.tolist())

        res = clear(bp, bq, ap, aq)  # warm-up (compile / cache load) and reference result
        t_clear, reps_clear = median_time(partial(clear, bp, bq, ap, aq), budget_s=budget_s)
        t_sort, reps_sort = median_time(partial(_argsort_sides, bp, ap), budget_s=budget_s)

        ref = reference_clear(*lists)
        if not agrees(ref, res):
            raise AssertionError(
                f"N={n}: reference (price {ref[0]!r}, volume {ref[1]!r}) != clear "
                f"(price {res.price!r}, volume {res.volume!r})"
            )
        if n <= py_max_n_full:
            t_py, reps_py = median_time(partial(reference_clear, *lists), budget_s=budget_s)
        else:
            t_py, reps_py = median_time(
                partial(reference_clear, *lists),
                budget_s=0.0,
                min_reps=py_reps_big,
                max_reps=py_reps_big,
            )
        ratio = t_clear / t_sort
        target = n >= ARGSORT_TARGET_MIN_N
        rows.append(
            {
                "n": n,
                "clear_s": t_clear,
                "argsort_s": t_sort,
                "python_s": t_py,
                "clear_over_argsort": ratio,
                "python_over_clear": t_py / t_clear,
                "reps": {"clear": reps_clear, "argsort": reps_sort, "python": reps_py},
                "volume_mw": res.volume,
                "price": res.price,
                "reference_agrees": True,
                "target_applies": target,
                "pass": (ratio <= ARGSORT_TARGET) if target else None,
            }
        )
    return rows


def _staged_clear(c, chk, kern, bid_price, bid_qty, ask_price, ask_qty, marks: list[float]):
    """The body of ``clear`` -> ``clear_batch`` (uniform, default k and bounds), step by
    step, appending a ``perf_counter`` mark after each stage. Locals die on return, so
    memory is allocated and freed as in a real call."""
    clock = time.perf_counter
    marks.append(clock())
    bp = chk._as_float_array("bid_price", bid_price, 1)
    bq = chk._as_float_array("bid_qty", bid_qty, 1)
    ap = chk._as_float_array("ask_price", ask_price, 1)
    aq = chk._as_float_array("ask_qty", ask_qty, 1)
    bp = chk._as_float_array("bid_price", bp[None, :], 2)
    bq = chk._as_float_array("bid_qty", bq[None, :], 2)
    ap = chk._as_float_array("ask_price", ap[None, :], 2)
    aq = chk._as_float_array("ask_qty", aq[None, :], 2)
    marks.append(clock())
    pay_as_bid = chk._check_rule("uniform")
    kk = chk._per_market("k", 0.5, 1)
    chk._check_k(kk)
    floor = chk._per_market("price_floor", DEFAULT_PRICE_FLOOR, 1)
    cap = chk._per_market("price_cap", DEFAULT_PRICE_CAP, 1)
    chk._check_bounds(floor, cap)
    nb = chk._counts("n_bids", None, 1, bp.shape[1])
    na = chk._counts("n_asks", None, 1, ap.shape[1])
    marks.append(clock())
    chk._validate_side("bid", bp, bq, nb, floor, cap, False)
    chk._validate_side("ask", ap, aq, na, floor, cap, False)
    marks.append(clock())
    bid_order = c._sort_orders(bp, nb, descending=True)
    ask_order = c._sort_orders(ap, na, descending=False)
    marks.append(clock())
    price, volume, lo, hi = np.empty(1), np.empty(1), np.empty(1), np.empty(1)
    bid_fill, bid_paid = np.empty(bp.shape), np.empty(bp.shape)
    ask_fill, ask_paid = np.empty(ap.shape), np.empty(ap.shape)
    marks.append(clock())
    kern.clear_markets_serial(
        bp, bq, bid_order, nb, ap, aq, ask_order, na, kk, pay_as_bid, floor, cap,
        price, volume, lo, hi, bid_fill, ask_fill, bid_paid, ask_paid,
    )  # fmt: skip
    marks.append(clock())
    r = c.BatchClearingResult(price, volume, bid_fill, ask_fill, bid_paid, ask_paid, lo, hi)
    out = c.ClearingResult(
        float(r.price[0]), float(r.volume[0]), r.bid_fill[0], r.ask_fill[0],
        r.bid_price_paid[0], r.ask_price_received[0], float(r.price_lo[0]),
        float(r.price_hi[0]),
    )  # fmt: skip
    marks.append(clock())
    return out


STAGES = (
    "1 input arrays (_as_float_array x8)",
    "2 scalar args (k, floor, cap, counts)",
    "3 validation (_validate_side x2)",
    "4 sort (_sort_orders x2)",
    "5 output allocation (np.empty x8)",
    "6 kernel (clear_markets_serial)",
    "7 result tuples",
)


def _minor_faults() -> int:
    try:
        import resource
    except ImportError:  # not on Unix
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def breakdown(n: int, budget_s: float) -> dict[str, float]:
    """Median seconds of each stage of ``clear`` on a random book of ``n`` per side.

    Stages are timed in place (perf_counter marks inside one run of ``clear``'s body,
    rebuilt from the private helpers of ``elecbay_env.clearing`` and
    ``elecbay_env.clearing_checks``), so they add up to
    the call and include cache and page-fault effects; a few pieces are also timed
    alone. Raises ``ImportError``/``AttributeError``/``TypeError`` if those helpers
    have changed.
    """
    from elecbay_env import clearing as c
    from elecbay_env import clearing_checks as chk
    from elecbay_env.kernels import auction as kern

    rng = np.random.default_rng(n)
    bp, bq, ap, aq = random_book(rng, n)
    ref = clear(bp, bq, ap, aq)
    marks: list[float] = []
    got = _staged_clear(c, chk, kern, bp, bq, ap, aq, marks)
    if not (got.volume == ref.volume and got.price == ref.price):
        raise TypeError("the staged copy of clear() no longer matches clear()")

    per_stage: list[list[float]] = [[] for _ in STAGES]
    totals: list[float] = []
    start = time.perf_counter()
    while len(totals) < 5 or (time.perf_counter() - start < budget_s and len(totals) < 20_000):
        marks.clear()
        _staged_clear(c, chk, kern, bp, bq, ap, aq, marks)
        for s in range(len(STAGES)):
            per_stage[s].append(marks[s + 1] - marks[s])
        totals.append(marks[-1] - marks[0])
    parts = {"clear() total": median_time(partial(clear, bp, bq, ap, aq), budget_s=budget_s)[0]}
    parts["staged copy, total"] = statistics.median(totals)
    for name, samples in zip(STAGES, per_stage, strict=True):
        parts[name] = statistics.median(samples)

    # Pieces alone, for comparison.
    nb = np.full(1, n, dtype=np.int64)
    bid_order = c._sort_orders(bp[None, :], nb, descending=True)
    ask_order = c._sort_orders(ap[None, :], nb, descending=False)
    work = np.empty((4, n))

    def levels():
        kern._levels(bp, bq, bid_order[0], n, work[0], work[1])
        kern._levels(ap, aq, ask_order[0], n, work[2], work[3])

    levels()
    parts["  alone: np.argsort x2 (the baseline)"] = median_time(
        partial(_argsort_sides, bp, ap), budget_s=budget_s
    )[0]
    parts["  alone: _levels x2 (kernel's gather pass)"] = median_time(levels, budget_s=budget_s)[0]
    before = _minor_faults()
    for _ in range(20):
        clear(bp, bq, ap, aq)
    parts["minor page faults per clear() call"] = (_minor_faults() - before) / 20
    return parts


def bench_batch(markets: Sequence[int], budget_s: float, loop_max_e: int, loop_reps_big: int):
    """Rows of part 2, one per E."""
    rng = np.random.default_rng(7)
    big = max(markets)
    bp, bq, ap, aq = random_book(rng, BATCH_BOOK, shape=(big,))
    clear_batch(bp[:1], bq[:1], ap[:1], aq[:1])  # warm-up: serial path
    clear_batch(bp, bq, ap, aq)  # warm-up: parallel path (and thread pool start)
    per_loop_market = math.nan
    rows = []
    for e in markets:
        b = (bp[:e].copy(), bq[:e].copy(), ap[:e].copy(), aq[:e].copy())
        t_batch, reps = median_time(
            lambda b=b: clear_batch(*b), budget_s=budget_s, min_reps=7, max_reps=2_000
        )
        rows_ = [tuple(x[i] for x in b) for i in range(e)]

        def loop(rows_=rows_):
            for row in rows_:
                clear(*row)

        if e <= loop_max_e:
            t_loop, loop_reps = median_time(
                loop,
                budget_s=budget_s if e < 4_096 else 0.0,
                min_reps=5 if e < 4_096 else loop_reps_big,
                max_reps=1_000 if e < 4_096 else loop_reps_big,
            )
            per_loop_market = t_loop / e
            how = "measured"
        else:
            t_loop, loop_reps, how = per_loop_market * e, 0, "extrapolated"
        rate = e / t_batch
        rows.append(
            {
                "markets": e,
                "batch_s": t_batch,
                "markets_per_s": rate,
                "batch_reps": reps,
                "loop_s": t_loop,
                "loop": how,
                "loop_reps": loop_reps,
                "speedup": t_loop / t_batch,
                "target_applies": e == THROUGHPUT_TARGET_E,
                "pass": (rate >= THROUGHPUT_TARGET) if e == THROUGHPUT_TARGET_E else None,
            }
        )
    return rows
