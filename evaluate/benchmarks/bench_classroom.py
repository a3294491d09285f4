"""Load benchmark of the browser classroom: many students over WebSockets, plus bots.

Run ``python evaluate/benchmarks/bench_classroom.py`` (60 students and 6 ZI-C bots, 5
periods; about a minute) or ``--quick``. Needs the ``classroom`` extra.

The server (``elecbay classroom serve``'s app on uvicorn, ``--ws websockets-sansio``) runs
in its own process on 127.0.0.1; the students are WebSocket clients on one event loop in
this process. The market: 66 seats (33 buyers, 33 sellers, 10 units each, values and costs
evenly spread), a continuous double auction. Each student behaves like a ZI-C trader: it
sends an order for its next unit at a price drawn uniformly between the lowest allowed
price and its value (buyer) or its cost and the highest (seller), waits for the reply,
thinks ``--think`` seconds, and stops for the period once it has no unit left or sent
``--orders`` orders. The teacher (a WebSocket too) ends each period when every student is
done. It prints:

* orders per second: student orders answered, over the wall time of the periods;
* latency p50 / p99: from sending an order to reading its reply (ack or error);
* orders lost: orders sent without a reply, plus acknowledged orders missing from the
  server's record (the CSV export); must be 0;
* baseline, measured in the same run: the same market with bots only, in process (no
  network), in orders per second, and the ratio.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import multiprocessing as mp
import socket
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchtools import bench_parser, machine_info, write_json  # type: ignore[no-redef]
else:
    from .benchtools import bench_parser, machine_info, write_json

UNITS = 10
PRICE_RANGE = (0.0, 200.0)


def bench_schedule(seats: int) -> Any:
    """``seats`` seats, half buyers and half sellers, :data:`UNITS` units each."""
    from elecbay_classroom.schedules import BUYER, SELLER, Card, Schedule

    nb = seats // 2
    ns = seats - nb
    cards = [Card(BUYER, tuple(float(v) for v in np.linspace(190 - 2 * i, 60 - 2 * i, UNITS)))
             for i in range(nb)]  # fmt: skip
    cards += [Card(SELLER, tuple(float(c) for c in np.linspace(10 + 2 * j, 140 + 2 * j, UNITS)))
              for j in range(ns)]  # fmt: skip
    return Schedule("bench", f"load benchmark ({seats} seats)", "", tuple(cards), PRICE_RANGE)


def _serve(port: int, seats: int, bots: int, periods: int, out: Any) -> None:
    """The server process: a session on ``port``; sends (join code, teacher key) back."""
    import uvicorn
    from elecbay_classroom.server import create_app
    from elecbay_classroom.session import Session, SessionConfig

    config = SessionConfig("smith", periods=periods, period_seconds=3600, bots=f"zi-c:{bots}",
                           bot_interval=0.05)  # fmt: skip
    session = Session(config, schedule=bench_schedule(seats))
    session.bots = {seats - 1 - k: b for k, b in enumerate(session.bots.values())}
    out.put((session.join_code, session.teacher_key))
    uvicorn.run(create_app(session), host="127.0.0.1", port=port, ws="websockets-sansio",
                log_level="warning")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


async def _reader(ws: Any, box: asyncio.Queue) -> None:
    """Read every message of ``ws`` into ``box`` (so that pings are always answered)."""
    try:
        async for text in ws:
            box.put_nowait(json.loads(text))
    except Exception:  # closed
        pass


async def _student(base: str, token: str, seed: int, stats: dict[str, Any], go: Any,
                   orders: int, think: float, periods: int) -> None:  # fmt: skip
    from websockets.asyncio.client import connect

    rng = np.random.default_rng(seed)
    async with connect(f"{base.replace('http', 'ws')}/ws?token={token}", max_size=2**24) as ws:
        box: asyncio.Queue = asyncio.Queue()
        reader = asyncio.create_task(_reader(ws, box))
        me = None
        for period in range(1, periods + 1):
            await go[period].wait()
            sent = 0
            while sent < orders:
                while True:  # the latest state of this period: own units left
                    m = await box.get()
                    if m["type"] == "state":
                        me = m["me"]
                        if m["public"]["period"] == period and box.empty():
                            break
                if me["units_left"] <= 0:
                    break
                u = len(me["limits"]) - me["units_left"]
                lim = me["limits"][u]
                lo, hi = (PRICE_RANGE[0], lim) if me["side"] == "bid" else (lim, PRICE_RANGE[1])
                msg = {"type": "order", "id": f"{period}-{sent}", "side": me["side"],
                       "price": round(float(lo + rng.random() * (hi - lo)), 2)}  # fmt: skip
                t0 = time.perf_counter()
                await ws.send(json.dumps(msg))
                stats["sent"] += 1
                while True:
                    m = await box.get()
                    if m["type"] in ("ack", "error") and m.get("id") == msg["id"]:
                        break
                stats["latency"].append(time.perf_counter() - t0)
                stats["ack" if m["type"] == "ack" else "error"] += 1
                sent += 1
                await asyncio.sleep(think * (0.5 + rng.random()))
            stats["done"][period] += 1
        reader.cancel()


async def _class(base: str, key: str, tokens: list[str], periods: int, orders: int,
                 think: float) -> dict[str, Any]:  # fmt: skip
    from websockets.asyncio.client import connect

    stats: dict[str, Any] = {"sent": 0, "ack": 0, "error": 0, "latency": [],
                             "done": dict.fromkeys(range(1, periods + 1), 0)}  # fmt: skip
    go = {p: asyncio.Event() for p in range(1, periods + 1)}
    tasks = [asyncio.create_task(_student(base, tok, i, stats, go, orders, think, periods))
             for i, tok in enumerate(tokens)]  # fmt: skip
    async with connect(f"{base.replace('http', 'ws')}/ws/teacher?key={key}",
                       max_size=2**26) as teacher:  # fmt: skip
        reader = asyncio.create_task(_reader(teacher, asyncio.Queue()))
        await asyncio.sleep(1.0)  # every student connected
        start = time.perf_counter()
        for p in range(1, periods + 1):
            await teacher.send(json.dumps({"type": "start"}))
            go[p].set()
            while stats["done"][p] < len(tokens):
                await asyncio.sleep(0.05)
            await teacher.send(json.dumps({"type": "end"}))
        stats["wall"] = time.perf_counter() - start
        await asyncio.gather(*tasks)
        reader.cancel()
    return stats


def baseline(seats: int, periods: int, seed: int = 0) -> float:
    """Orders per second of the same market with ZI-C bots only, in process."""
    from elecbay_classroom.bots import Bot, run_bots_period
    from elecbay_classroom.market import ClassMarket

    market = ClassMarket(bench_schedule(seats), "cda")
    bots = {i: Bot("zi-c") for i in range(seats)}
    rng = np.random.default_rng(seed)
    run_bots_period(market, bots, rng, 50)  # warm
    n0 = len(market.orders)
    t0 = time.perf_counter()
    for _ in range(periods):
        run_bots_period(market, bots, rng, 20 * seats)
    return (len(market.orders) - n0) / (time.perf_counter() - t0)


def run(students: int, bots: int, periods: int, orders: int, think: float) -> dict[str, Any]:
    """Start the server process, join ``students``, trade ``periods`` periods; figures."""
    seats = students + bots
    port = _free_port()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(port, seats, bots, periods, q), daemon=True)
    proc.start()
    try:
        code, key = q.get(timeout=120)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/static/style.css", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        tokens = [_post(base + "/api/join", {"code": code, "name": f"s{i}"})["token"]
                  for i in range(students)]  # fmt: skip
        stats = asyncio.run(_class(base, key, tokens, periods, orders, think))
        with urllib.request.urlopen(f"{base}/api/teacher/export.csv?key={key}") as r:
            rows = list(csv.DictReader(io.StringIO(r.read().decode())))
    finally:
        proc.terminate()
        proc.join(timeout=10)
    recorded = sum(1 for r in rows if r["kind"] == "order" and r["source"] == "student")
    lat = np.array(stats["latency"]) * 1000.0
    answered = stats["ack"] + stats["error"]
    base_rate = baseline(seats, periods)
    rate = answered / stats["wall"]
    return {
        "students": students, "bots": bots, "periods": periods, "think_s": think,
        "wall_s": stats["wall"], "orders_sent": stats["sent"], "orders_acked": stats["ack"],
        "orders_refused": stats["error"], "orders_recorded": recorded,
        "bot_orders": sum(1 for r in rows if r["kind"] == "order" and r["source"] != "student"),
        "trades": sum(1 for r in rows if r["kind"] == "trade"),
        "orders_lost": (stats["sent"] - answered) + (stats["ack"] - recorded),
        "orders_per_s": rate, "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p99_ms": float(np.percentile(lat, 99)),
        "baseline_orders_per_s": base_rate, "ratio": base_rate / rate,
    }  # fmt: skip


def report(f: dict[str, Any]) -> str:
    return "\n".join([
        f"classroom: {f['students']} students (WebSockets) + {f['bots']} ZI-C bots, "
        f"{f['periods']} periods, think time {f['think_s']:g} s",
        f"  wall time of the periods            {f['wall_s']:8.2f} s",
        f"  orders per second                   {f['orders_per_s']:8.1f}",
        f"  latency p50 / p99            {f['latency_p50_ms']:7.1f} / {f['latency_p99_ms']:.1f} ms",
        f"  orders sent / answered / recorded   {f['orders_sent']} / "
        f"{f['orders_acked'] + f['orders_refused']} / {f['orders_recorded']}   "
        f"lost: {f['orders_lost']} (refused: {f['orders_refused']})",
        f"  bot orders, trades                  {f['bot_orders']}, {f['trades']}",
        f"  in-process market orders per second {f['baseline_orders_per_s']:8.0f}   "
        f"(baseline, same run; {f['ratio']:.0f}x the served class)",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status is 1 with ``--strict`` when an order was lost."""
    parser = bench_parser(
        "bench_classroom.py", quick="8 students, 2 periods", strict="an order is lost",
        description=__doc__.splitlines()[0],
    )  # fmt: skip
    parser.add_argument("--students", type=int, default=None, help="default 60 (quick 8)")
    parser.add_argument("--bots", type=int, default=6, help="ZI-C bots (default 6)")
    parser.add_argument("--periods", type=int, default=None, help="default 5 (quick 2)")
    parser.add_argument("--orders", type=int, default=20,
                        help="most orders per student and period (default 20)")  # fmt: skip
    parser.add_argument(
        "--think",
        type=float,
        default=0.25,
        help="mean seconds between a reply and the next order (default 0.25)",
    )
    args = parser.parse_args(argv)
    students = args.students or (8 if args.quick else 60)
    periods = args.periods or (2 if args.quick else 5)
    figures = run(students, max(0, args.bots), periods, args.orders, args.think)
    print(report(figures))
    if args.json:
        write_json(args.json, {"machine": machine_info(), "classroom": figures})
    return 1 if args.strict and figures["orders_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
