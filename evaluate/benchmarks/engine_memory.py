"""Memory per market for bench_engine.py: array bytes per group, RSS and tracemalloc growth."""

from __future__ import annotations

import gc
import os
import resource
import sys
import tracemalloc
from collections.abc import Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import print_head
from elecbay_evaluate.benchmarks.engine_timing import build

from elecbay_env.config import Scenario
from elecbay_env.engine import Engine
from elecbay_env.orders import Orders


def _fmt_bytes(n: float) -> str:
    if abs(n) < 10_000:
        return f"{n:,.0f} B"
    if abs(n) < 10_000_000:
        return f"{n / 1024:,.1f} KiB"
    return f"{n / 1024**2:,.1f} MiB"


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
