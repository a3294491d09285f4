"""Benchmark of the zonal auction: ``clear_zonal_batch`` against ``clear_batch``.

Run ``python -m elecbay_evaluate.benchmarks.bench_zonal`` (about 20 s on two cores) or
with ``--quick``
for a smoke run. E two-zone markets, each with 50 bids and 50 offers per zone (prices
U(0, 200) to the cent with a third on multiples of 10, so ties occur; quantities
U(0.1, 50) MW; zone 0 offers 30 currency per MWh cheaper and the border's limit is
U(0, 300) MW each way, so it is full in about 40% of the markets). The same orders are
cleared as one zone by :func:`elecbay_env.clearing.clear_batch` in the same run (the
baseline). Prints the median wall time per batch (after a warm-up call), markets per
second of both, their ratio and how many markets had a full border.

Targets (issue 15): ``clear_zonal_batch`` >= 100 000 markets/s at E = 16 384, and at
most 3x the time of ``clear_batch`` on the same orders. ``--json PATH`` writes every
figure; the exit status is 0 unless ``--strict`` and a target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np
from elecbay_evaluate.benchmarks import benchtools
from elecbay_evaluate.benchmarks.benchtools import (
    bench_parser,
    machine_info,
    print_head,
    write_json,
)
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time

from elecbay_env.clearing import clear_batch
from elecbay_env.zonal import clear_zonal_batch

MARKETS = (1_024, 16_384)
PER_ZONE = 50
"""Bids and offers per zone."""
THROUGHPUT_TARGET = 100_000.0
"""Markets per second that ``clear_zonal_batch`` must reach at E = 16 384 ..."""
RATIO_TARGET = 3.0
"""... and at most this many times the time of ``clear_batch`` on the same orders."""
TARGET_E = 16_384
TABLE_HEADER = "clear_zonal_batch vs clear_batch"


def two_zone_books(rng: np.random.Generator, e: int):
    """(E, 100) bids and offers (50 per zone), their zones and the border limits (E, 1)."""
    n = 2 * PER_ZONE
    bp = np.round(rng.uniform(0.0, 200.0, (e, n)), 2)
    ap = np.round(rng.uniform(0.0, 200.0, (e, n)), 2)
    bp[:, ::3] = np.round(bp[:, ::3], -1)
    ap[:, ::3] = np.round(ap[:, ::3], -1)
    zone = np.repeat(np.arange(2), PER_ZONE)
    ap[:, :PER_ZONE] = np.maximum(ap[:, :PER_ZONE] - 30.0, 0.0)  # zone 0 is cheap
    bq = rng.uniform(0.1, 50.0, (e, n))
    aq = rng.uniform(0.1, 50.0, (e, n))
    cap = rng.uniform(0.0, 300.0, (e, 1))
    return bp, bq, ap, aq, zone, cap


def median_time(fn, reps: int) -> float:
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def bench(markets: Sequence[int], reps: int) -> list[dict]:
    rng = np.random.default_rng(15)
    rows = []
    for e in markets:
        bp, bq, ap, aq, zone, cap = two_zone_books(rng, e)

        def zonal(bp=bp, bq=bq, ap=ap, aq=aq, zone=zone, cap=cap):
            return clear_zonal_batch(bp, bq, zone, ap, aq, zone, 2, [0], [1], cap, cap)

        def single(bp=bp, bq=bq, ap=ap, aq=aq):
            return clear_batch(bp, bq, ap, aq)

        r = zonal()
        single()
        t_z = median_time(zonal, reps)
        t_s = median_time(single, reps)
        full = np.abs(r.flow[:, 0]) >= cap[:, 0] - 1e-9
        rows.append(
            {
                "markets": e,
                "zonal_s": t_z,
                "single_s": t_s,
                "zonal_markets_per_s": e / t_z,
                "single_markets_per_s": e / t_s,
                "ratio": t_z / t_s,
                "share_full_border": float(full.mean()),
                "pass": (e / t_z >= THROUGHPUT_TARGET and t_z / t_s <= RATIO_TARGET)
                if e == TARGET_E
                else None,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(
        "bench_zonal.py",
        quick="E = 1 024 only, a few seconds",
        strict="a target is missed",
        description=__doc__.splitlines()[0],
    )
    args = parser.parse_args(argv)
    info = machine_info()
    print(f"elecbay zonal clearing benchmark{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} "
        f"usable); numba {info['numba']} threads: {info['numba_num_threads']}; "
        f"numpy {info['numpy']}; python {info['python']}"
    )
    rows = bench(MARKETS[:1] if args.quick else MARKETS, 3 if args.quick else 9)
    print(f"== {TABLE_HEADER}: E two-zone markets of {PER_ZONE} + {PER_ZONE} orders per zone ==")
    head = (
        f"{'E':>7} | {'zonal':>9} | {'zonal mkts/s':>12} | {'single':>9} | "
        f"{'single mkts/s':>13} | {'zonal/single':>12} | {'full border':>11} | target"
    )
    print_head(head)
    for r in rows:
        verdict = benchtools.verdict(r["pass"])
        print(
            f"{r['markets']:>7,} | {_fmt_time(r['zonal_s']):>9} | "
            f"{r['zonal_markets_per_s']:>12,.0f} | {_fmt_time(r['single_s']):>9} | "
            f"{r['single_markets_per_s']:>13,.0f} | {r['ratio']:>11.2f}x | "
            f"{r['share_full_border']:>10.0%} | {verdict}"
        )
    print(
        f"targets at E={TARGET_E:,}: >= {THROUGHPUT_TARGET:,.0f} markets/s and "
        f"<= {RATIO_TARGET:g}x clear_batch on the same orders"
    )
    if args.json:
        write_json(args.json, {"machine": info, "rows": rows})
    missed = any(r["pass"] is False for r in rows)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
