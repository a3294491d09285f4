"""Where ``clear_zonal_batch``'s time goes, at the benchmark's E = 16 384 two-zone books.

``python -m elecbay_evaluate.benchmarks.zonal_profile`` times, in one run and alternated
(median of 7 after a warm-up): the whole call, ``clear_batch`` on the same orders, the
two row-wise argsorts, the input checks, the zonal kernel with threads and without, and,
serially, the kernel's first stages alone: the merged price grid and the per-(zone,
price) level totals (:mod:`elecbay_env.kernels.zonal_book`). Prints milliseconds per
batch and microseconds per market (docs/benchmarks.md, "Zonal clearing").
"""

from __future__ import annotations

import os
import statistics
import time

import numba
import numpy as np
from elecbay_evaluate.benchmarks.bench_zonal import two_zone_books

from elecbay_env import zonal as Z
from elecbay_env.clearing import clear_batch
from elecbay_env.kernels import zonal as K
from elecbay_env.kernels.zonal_book import add_levels, price_grid

E = 16_384


@numba.njit(cache=True)
def _grid_levels(bp, bq, bz, bo, nb, ap, aq, az, ao, na, isolated, levels):  # pragma: no cover
    """The kernel's price grid (and with ``levels`` the level totals) for every market."""
    total = 0
    for e in range(bp.shape[0]):
        grid = np.empty(nb[e] + na[e] + 1)
        b_gi = np.empty(bp.shape[1], dtype=np.int64)
        a_gi = np.empty(ap.shape[1], dtype=np.int64)
        m = price_grid(bp[e], bq[e], bz[e], bo[e], nb[e], ap[e], aq[e], az[e], ao[e], na[e],
                       isolated, grid, b_gi, a_gi)  # fmt: skip
        total += m
        if levels:
            z = isolated.shape[0]
            a_s, a_c = np.zeros((z, m + 1)), np.zeros((z, m + 1))
            b_s, b_c = np.zeros((z, m + 1)), np.zeros((z, m + 1))
            add_levels(a_gi, aq[e], az[e], ao[e], na[e], a_s, a_c)
            add_levels(b_gi, bq[e], bz[e], bo[e], nb[e], b_s, b_c)
    return total


def main() -> None:
    """Print the breakdown."""
    bp, bq, ap, aq, zone, cap = two_zone_books(np.random.default_rng(15), E)
    n = np.full(E, bp.shape[1])
    net = Z.network(2, [0], [1])
    bp, bq, ap, aq, kk, floor, capp = Z._batch_args(bp, bq, ap, aq, 0.5, -500.0, 6000.0)
    bz = Z._zones_of("bid_zone", zone, bp.shape, n, 2)
    cf = Z._caps("cap_forward", cap, E, 1, True)
    bo, ao = Z._sort_orders(bp, n, True), Z._sort_orders(ap, n, False)
    out = Z._run(bp, bq, bz, n, ap, aq, bz, n, net, cf, cf, kk, floor, capp)
    iso = np.zeros(2, np.bool_)

    def kernel(fn):
        fn(bp, bq, bz, bo, n, ap, aq, bz, ao, n, net.n_zones, net.isolated, net.bfs,
           net.parent, net.p_border, net.p_dir, net.child_ptr, net.children, cf, cf, kk, floor,
           capp, out.bid_fill, out.ask_fill, out.zone_price, out.zone_price_lo,
           out.zone_price_hi, out.zone_bought, out.zone_sold, out.flow, out.congestion_rent,
           out.volume)  # fmt: skip

    parts = {
        "clear_zonal_batch (all)": lambda: Z.clear_zonal_batch(
            bp, bq, zone, ap, aq, zone, 2, [0], [1], cap, cap
        ),
        "clear_batch (all, same orders)": lambda: clear_batch(bp, bq, ap, aq),
        "two row-wise argsorts": lambda: (
            Z._sort_orders(bp, n, True),
            Z._sort_orders(ap, n, False),
        ),
        "input checks": lambda: (
            Z._validate_side("bid", bp, bq, n, floor, capp, True),
            Z._validate_side("ask", ap, aq, n, floor, capp, True),
        ),
        "zonal kernel, threads": lambda: kernel(K.clear_zonal_markets),
        "zonal kernel, serial": lambda: kernel(K.clear_zonal_markets_serial),
        "  its price grid alone (serial)": lambda: _grid_levels(
            bp, bq, bz, bo, n, ap, aq, bz, ao, n, iso, False
        ),
        "  its grid + level totals (serial)": lambda: _grid_levels(
            bp, bq, bz, bo, n, ap, aq, bz, ao, n, iso, True
        ),
    }
    for f in parts.values():
        f()
    samples: dict[str, list[float]] = {k: [] for k in parts}
    for _ in range(7):
        for k, f in parts.items():
            t0 = time.perf_counter()
            f()
            samples[k].append(time.perf_counter() - t0)
    load = os.getloadavg()[0]
    print(f"E = {E:,}, load average {load:.1f}, numba threads {numba.get_num_threads()}")
    for k, s in samples.items():
        m = statistics.median(s)
        print(f"{k:36s} {m * 1e3:8.1f} ms {m / E * 1e6:7.2f} us/market")


if __name__ == "__main__":
    main()
