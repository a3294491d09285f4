"""Throughput of the continuous double auction: order events per second.

Zero-intelligence-style order flow (Gode & Sunder 1993): each event is a bid or an
ask with a price drawn around a common mean and a random quantity, and about 10 % of
the events cancel a recent order (some of which have already traded, so the cancel
finds nothing). Orders priced far from the mean rarely trade or get cancelled, so
the book grows deep over the run (about 17 % of the events end up resting): a harder
case than a classroom book of a few thousand orders. The same events run through
both entry points of :class:`elecbay_env.cda.ContinuousDoubleAuction`:

* bulk: :meth:`~elecbay_env.cda.ContinuousDoubleAuction.process`, all events in one
  kernel call;
* one at a time: a Python loop of ``submit()`` / ``cancel()`` calls.

Each path runs once on a small batch first so Numba's compile (or cache load) is not
timed. Prints events per second and the ratio to the 100,000 events/s target.

Usage: ``python -m elecbay_evaluate.benchmarks.bench_cda [--events N] [--single-events N]``
(or ``python evaluate/benchmarks/bench_cda.py``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from elecbay_env.cda import CANCEL, SUBMIT, ContinuousDoubleAuction

TARGET_EVENTS_PER_S = 1e5


def zi_events(n: int, seed: int = 0, cancel_share: float = 0.1, mean: float = 50.0):
    """N random events: (kind, side, price, qty, owner, order_id) arrays.

    Prices are normal around ``mean`` (sd 10, currency per MWh, cent ticks); qty
    uniform in [0.1, 5] MW; a cancel targets one of the 2,000 orders submitted last.
    """
    rng = np.random.default_rng(seed)
    kind = np.where(rng.random(n) < cancel_share, CANCEL, SUBMIT)
    kind[0] = SUBMIT
    side = np.where(rng.random(n) < 0.5, 1, -1)
    price = np.round(rng.normal(mean, 10.0, n), 2)
    qty = np.round(rng.uniform(0.1, 5.0, n), 3)
    owner = rng.integers(0, 20, n)
    # The id of the k-th submit is k (a fresh auction); cancel one of the recent ones.
    submitted_before = np.cumsum(kind == SUBMIT) - (kind == SUBMIT)
    back = rng.integers(1, 2001, n)
    order_id = np.maximum(submitted_before - back, 0)
    return kind, side, price, qty, owner, order_id


def _depth(cda: ContinuousDoubleAuction) -> int:
    book = cda.book()
    return len(book.bids.order_id) + len(book.asks.order_id)


def bench_bulk(events, capacity: int) -> tuple[float, int, int]:
    """Seconds for one process() call on ``events``, trades made, orders left resting."""
    cda = ContinuousDoubleAuction(capacity=capacity)
    t0 = time.perf_counter()
    res = cda.process(*events)
    return time.perf_counter() - t0, len(res.trades.qty), _depth(cda)


def bench_single(events, capacity: int) -> tuple[float, int, int]:
    """As :func:`bench_bulk`, for a Python loop of submit()/cancel() calls."""
    kind, side, price, qty, owner, order_id = (a.tolist() for a in events)
    cda = ContinuousDoubleAuction(capacity=capacity)
    submit = cda.submit
    cancel = cda.cancel
    t0 = time.perf_counter()
    for k, s, p, q, o, i in zip(kind, side, price, qty, owner, order_id, strict=True):
        if k == SUBMIT:
            submit(s, p, q, o)
        else:
            cancel(i)
    return time.perf_counter() - t0, cda.n_trades, _depth(cda)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="bulk path events")
    parser.add_argument(
        "--single-events", type=int, default=100_000, help="one-at-a-time path events"
    )
    parser.add_argument("--capacity", type=int, default=1024, help="initial capacity")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)

    warm = zi_events(2_000, seed=1)
    bench_bulk(warm, args.capacity)
    bench_single(warm, args.capacity)

    rows = [
        ("bulk process()", bench_bulk, zi_events(args.events)),
        ("submit()/cancel() loop", bench_single, zi_events(args.single_events, seed=2)),
    ]
    for name, bench, events in rows:
        n = len(events[0])
        seconds, n_trades, depth = min(bench(events, args.capacity) for _ in range(args.repeats))
        rate = n / seconds
        print(
            f"{name:<23} {n:>9,d} events {n_trades:>9,d} trades {depth:>7,d} resting "
            f"{seconds:7.3f} s {rate:>11,.0f} events/s = {rate / TARGET_EVENTS_PER_S:5.1f}x target"
        )
    print(f"target: {TARGET_EVENTS_PER_S:,.0f} events/s")


if __name__ == "__main__":
    main()
