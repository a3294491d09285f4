"""Benchmark of the call-auction clearing: ``clear`` against a sort and plain Python.

Run ``python evaluate/benchmarks/bench_clearing.py`` (about 15 s on two cores) or with
``--quick`` for a smoke run (a few seconds). It prints:

1. For books of N = 10 ... 100 000 orders per side (prices uniform on 0..200 rounded
   to 0.01, so ties occur; quantities uniform on 0.1..50 MW), the median wall time of
   :func:`elecbay_env.clearing.clear` (after a warm-up call, so Numba compile or
   cache-load time is excluded), of a bare ``numpy.argsort`` of the same prices (one
   argsort per side, N each: the sort that any clearing needs, a lower bound), and of
   the plain-Python reference clearing :func:`reference_clear` defined here, with the
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
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks import benchtools
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_rate as _fmt_rate
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info

from elecbay_env.clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, clear, clear_batch

SIZES = (10, 100, 1_000, 10_000, 100_000)
MARKETS = (1, 64, 1_024, 16_384)
BATCH_BOOK = 50
ARGSORT_TARGET = 3.0
"""``clear`` must take at most this many times the bare argsort ..."""
ARGSORT_TARGET_MIN_N = 1_000
"""... for books of at least this many orders per side."""
THROUGHPUT_TARGET = 300_000.0
"""Markets per second that ``clear_batch`` must reach ..."""
THROUGHPUT_TARGET_E = 16_384
"""... at this batch size."""
TABLE_HEADER = "clear() vs argsort vs plain Python"

RTOL = 1e-9
ATOL = 1e-9
"""Residual tolerances of the rule (as ``elecbay_env.kernels.auction``)."""


# --------------------------------------------------------------------------------------
# Plain-Python reference
# --------------------------------------------------------------------------------------


def _curve(price: Sequence[float], qty: Sequence[float], descending: bool):
    """Sorted order indices and the aggregated step curve ``[(level price, cum MW)]``."""
    live = [i for i in range(len(price)) if qty[i] > 0.0]
    order = sorted(live, key=price.__getitem__, reverse=descending)
    levels: list[list[float]] = []
    cum = 0.0
    for i in order:
        p = price[i]
        cum += qty[i]
        if levels and levels[-1][0] == p:
            levels[-1][1] = cum
        else:
            levels.append([p, cum])
    return levels


def _check_orders(side: str, price, qty, floor: float, cap: float) -> None:
    if len(price) != len(qty):
        raise ValueError(f"{side}: {len(price)} prices and {len(qty)} quantities")
    for p, q in zip(price, qty, strict=True):
        if not (math.isfinite(p) and floor <= p <= cap):
            raise ValueError(f"{side}_price={p!r}: outside [{floor}, {cap}] or not finite")
        if not (math.isfinite(q) and q >= 0.0):
            raise ValueError(f"{side}_qty={q!r}: must be finite and >= 0")


def _marginal(levels: list[list[float]], volume: float) -> int:
    tol = ATOL + RTOL * volume
    for j, (_, cum) in enumerate(levels):
        if cum >= volume - tol:
            return j
    return len(levels) - 1


def reference_clear(
    bid_price: Sequence[float],
    bid_qty: Sequence[float],
    ask_price: Sequence[float],
    ask_qty: Sequence[float],
    k: float = 0.5,
    price_floor: float = DEFAULT_PRICE_FLOOR,
    price_cap: float = DEFAULT_PRICE_CAP,
) -> tuple[float, float, list[float], list[float]]:
    """Uniform-price call auction in plain Python: ``(price, volume, bid_fill, ask_fill)``.

    The rule of :func:`elecbay_env.clearing.clear`: aggregate each side into price
    levels (``sorted``), walk the demand and supply curves while the bid level is at
    least the offer level and keep the largest crossing volume; orders strictly better
    than their side's marginal level fill fully and the marginal level shares the rest
    pro rata to quantity; the price is ``lo + k * (hi - lo)`` over the interval of
    supporting prices, clipped to ``[price_floor, price_cap]``. NaN price and zero
    volume when nothing trades. Inputs are sequences of floats (lists are fastest).
    """
    _check_orders("bid", bid_price, bid_qty, price_floor, price_cap)
    _check_orders("ask", ask_price, ask_qty, price_floor, price_cap)
    bids = _curve(bid_price, bid_qty, descending=True)
    asks = _curve(ask_price, ask_qty, descending=False)

    # Walk the merged curves: the volume is the largest min(demand, supply) over the
    # steps where the bid price still reaches the offer price.
    volume = 0.0
    i = j = 0
    while i < len(bids) and j < len(asks) and bids[i][0] >= asks[j][0]:
        demand, supply = bids[i][1], asks[j][1]
        volume = max(volume, min(demand, supply))
        if demand <= supply:
            i += 1
        if supply <= demand:
            j += 1
    if volume <= ATOL:
        return math.nan, 0.0, [0.0] * len(bid_price), [0.0] * len(ask_price)

    kb, ka = _marginal(bids, volume), _marginal(asks, volume)
    traded = min(volume, bids[kb][1], asks[ka][1])
    b_prev = bids[kb - 1][1] if kb > 0 else 0.0
    a_prev = asks[ka - 1][1] if ka > 0 else 0.0
    b_level, a_level = bids[kb][1] - b_prev, asks[ka][1] - a_prev
    fb = min(max((traded - b_prev) / b_level, 0.0), 1.0)
    fa = min(max((traded - a_prev) / a_level, 0.0), 1.0)

    # Supporting interval: [max(a_m, b_r), min(b_m, a_r)], where b_m / a_m are the
    # marginal levels and b_r / a_r the best prices left with unfilled volume.
    b_m, a_m = bids[kb][0], asks[ka][0]
    if bids[kb][1] - traded > max(RTOL * b_level, ATOL):
        b_r = b_m
    else:
        b_r = bids[kb + 1][0] if kb + 1 < len(bids) else -math.inf
    if asks[ka][1] - traded > max(RTOL * a_level, ATOL):
        a_r = a_m
    else:
        a_r = asks[ka + 1][0] if ka + 1 < len(asks) else math.inf
    hi = min(b_m, a_r)
    lo = min(max(a_m, b_r), hi)
    price = min(max(lo + k * (hi - lo), price_floor), price_cap)

    # Pro rata at the margin: better levels fill fully, the marginal level by fb / fa.
    bid_fill = [0.0] * len(bid_price)
    for t, (p, q) in enumerate(zip(bid_price, bid_qty, strict=True)):
        if q > 0.0 and p >= b_m:
            bid_fill[t] = q if p > b_m else q * fb
    ask_fill = [0.0] * len(ask_price)
    for t, (p, q) in enumerate(zip(ask_price, ask_qty, strict=True)):
        if q > 0.0 and p <= a_m:
            ask_fill[t] = q if p < a_m else q * fa
    return price, traded, bid_fill, ask_fill


def agrees(ref: tuple[float, float, Any, Any], res: Any, rtol: float = 1e-9) -> bool:
    """Whether a :func:`reference_clear` result matches a ``ClearingResult`` (volume, price).

    Sums over a tie level may run in another order, hence the relative tolerance.
    """
    price, volume = ref[0], ref[1]
    tol = rtol * max(1.0, abs(volume))
    if abs(volume - res.volume) > tol:
        return False
    if math.isnan(price) or math.isnan(res.price):
        return math.isnan(price) and math.isnan(res.price)
    return abs(price - res.price) <= rtol * max(1.0, abs(price))


def random_book(rng: np.random.Generator, n_bids: int, n_asks: int | None = None, shape=()):
    """Random orders: prices uniform on 0..200 to the cent (ties occur), 0.1..50 MW."""
    n_asks = n_bids if n_asks is None else n_asks
    bp = np.round(rng.uniform(0.0, 200.0, (*shape, n_bids)), 2)
    bq = rng.uniform(0.1, 50.0, (*shape, n_bids))
    ap = np.round(rng.uniform(0.0, 200.0, (*shape, n_asks)), 2)
    aq = rng.uniform(0.1, 50.0, (*shape, n_asks))
    return bp, bq, ap, aq


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Part 1: clear() against argsort and plain Python
# --------------------------------------------------------------------------------------


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


def _staged_clear(c, kern, bid_price, bid_qty, ask_price, ask_qty, marks: list[float]):
    """The body of ``clear`` -> ``clear_batch`` (uniform, default k and bounds), step by
    step, appending a ``perf_counter`` mark after each stage. Locals die on return, so
    memory is allocated and freed as in a real call."""
    clock = time.perf_counter
    marks.append(clock())
    bp = c._as_float_array("bid_price", bid_price, 1)
    bq = c._as_float_array("bid_qty", bid_qty, 1)
    ap = c._as_float_array("ask_price", ask_price, 1)
    aq = c._as_float_array("ask_qty", ask_qty, 1)
    bp = c._as_float_array("bid_price", bp[None, :], 2)
    bq = c._as_float_array("bid_qty", bq[None, :], 2)
    ap = c._as_float_array("ask_price", ap[None, :], 2)
    aq = c._as_float_array("ask_qty", aq[None, :], 2)
    marks.append(clock())
    pay_as_bid = c._check_rule("uniform")
    kk = c._per_market("k", 0.5, 1)
    c._check_k(kk)
    floor = c._per_market("price_floor", DEFAULT_PRICE_FLOOR, 1)
    cap = c._per_market("price_cap", DEFAULT_PRICE_CAP, 1)
    c._check_bounds(floor, cap)
    nb = c._counts("n_bids", None, 1, bp.shape[1])
    na = c._counts("n_asks", None, 1, ap.shape[1])
    marks.append(clock())
    c._validate_side("bid", bp, bq, nb, floor, cap, False)
    c._validate_side("ask", ap, aq, na, floor, cap, False)
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
    rebuilt from the private helpers of ``elecbay_env.clearing``), so they add up to
    the call and include cache and page-fault effects; a few pieces are also timed
    alone. Raises ``ImportError``/``AttributeError``/``TypeError`` if those helpers
    have changed.
    """
    from elecbay_env import clearing as c
    from elecbay_env.kernels import auction as kern

    rng = np.random.default_rng(n)
    bp, bq, ap, aq = random_book(rng, n)
    ref = clear(bp, bq, ap, aq)
    marks: list[float] = []
    got = _staged_clear(c, kern, bp, bq, ap, aq, marks)
    if not (got.volume == ref.volume and got.price == ref.price):
        raise TypeError("the staged copy of clear() no longer matches clear()")

    per_stage: list[list[float]] = [[] for _ in STAGES]
    totals: list[float] = []
    start = time.perf_counter()
    while len(totals) < 5 or (time.perf_counter() - start < budget_s and len(totals) < 20_000):
        marks.clear()
        _staged_clear(c, kern, bp, bq, ap, aq, marks)
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
