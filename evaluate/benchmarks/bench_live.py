"""Benchmark of the live market: many agents over a real mosquitto, against the env.

Run ``python evaluate/benchmarks/bench_live.py`` (1 000 agents x 48 periods; a few
minutes on two busy cores) or ``--quick`` (50 agents, under a minute). Needs the ``live``
extra and Debian's mosquitto.

The market: the ``small`` scenario's units replicated into ``--agents`` seats (half
producers, half consumers, one broker; capacities scaled down so that the market stays
balanced), cleared in lockstep by :class:`elecbay_live.operator.Operator` on a local
mosquitto (``elecbay serve``'s setup: passwords, ACL, TCP_NODELAY). The agents are
:class:`elecbay_live.client.AgentPool` s in ``--workers`` processes (many seats per process,
one MQTT connection each), each ordering a fixed action (so that the figures measure the
market's plumbing, not a policy); ``--meters`` seats also run a smart meter sending six
5-minute reads per period. It prints:

* messages per second: every message the operator read or published, over the wall time
  of the 48 periods (registration excluded);
* gate-closure latency, p50 and p99: from opening a gate (publishing every observation)
  to the last order read (lockstep closes it then);
* orders lost: orders the agents sent that are not in the ledger as the agent's (must
  be 0), and periods that fell back to a default action;
* ledger rows written per second (time inside the ledger's transactions; SQLite, or
  PostgreSQL with ``--ledger postgresql://...``);
* baseline, measured in the same run: the in-process PettingZoo environment of the same
  scenario stepped with the same actions, in periods per second, and the ratio.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchtools import bench_parser, machine_info, write_json  # type: ignore[no-redef]
else:
    from .benchtools import bench_parser, machine_info, write_json


def scenario(n_agents: int) -> dict[str, Any]:
    """``small``'s units replicated into ``n_agents`` seats (>= 5), scaled to balance."""
    from importlib import resources

    base = yaml.safe_load(resources.files("elecbay_configs").joinpath("small.yaml").read_text())
    n_prod = (n_agents - 1) // 2
    n_cons = n_agents - 1 - n_prod
    out = copy.deepcopy(base)
    out["name"] = f"live_bench_{n_agents}"
    out["producers"], out["consumers"] = [], []
    for i in range(n_prod):
        unit = copy.deepcopy(base["producers"][i % 2])
        unit["name"] = f"{unit['name']}_{i}"
        unit["capacity_mw"] = unit["capacity_mw"] * 2 / n_prod
        if "min_stable_mw" in unit:
            unit["min_stable_mw"] = unit["min_stable_mw"] * 2 / n_prod
            unit["ramp_mw_per_min"] = unit["ramp_mw_per_min"] * 2 / n_prod
            unit["startup_cost"] = unit["startup_cost"] * 2 / n_prod
        out["producers"].append(unit)
    for i in range(n_cons):
        load = copy.deepcopy(base["consumers"][i % 2])
        load["name"] = f"{load['name']}_{i}"
        load["peak_mw"] = load["peak_mw"] * 2 / n_cons
        out["consumers"].append(load)
    return out


def _worker(url: str, seats: dict[str, tuple[str, list[float]]], meters: dict[str, str],
            done: Any) -> None:  # fmt: skip
    from elecbay_live.client import AgentPool
    from elecbay_live.meters import MeterPool

    pool = AgentPool(url, client_name="bench")
    for seat, (password, action) in seats.items():
        pool.add(seat, password, lambda obs, period, seat, a=action: a)
    mpool = MeterPool(url)
    for seat, password in meters.items():
        mpool.add(seat, password)

    def also_meters() -> bool:
        mpool.step(0.0)
        return False

    pool.run(timeout_s=3600, stop=also_meters)
    sent = sum(s.orders_sent for s in pool.seats.values())
    got = sum(len(s.statements) for s in pool.seats.values())
    bad = sum(len(s.rejections) for s in pool.seats.values())
    pool.close()
    mpool.close()
    done.put((sent, got, bad, mpool.sent))


def in_process(config: dict[str, Any], actions: dict[str, list[float]]) -> float:
    """Periods per second of the PettingZoo env stepped with ``actions`` (after a warm-up)."""
    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env(config)
    acts = {a: np.asarray(v, np.float32) for a, v in actions.items()}
    env.reset(seed=0)
    env.step(acts)  # warm-up: compile or cache load
    env.reset(seed=0)
    start = time.perf_counter()
    n = 0
    while env.agents:
        env.step(acts)
        n += 1
    return n / (time.perf_counter() - start)


def run(n_agents: int, n_workers: int, n_meters: int, ledger: str | None = None) -> dict[str, Any]:
    """One live episode with ``n_agents`` remote seats; every figure as a dict."""
    from elecbay_live.operator import ServeConfig
    from elecbay_live.service import Market

    config = scenario(n_agents)
    folder = Path(tempfile.mkdtemp(prefix="bench_live_"))
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(config))
    t0 = time.perf_counter()
    market = Market(folder / "run", ServeConfig(scenario=str(path), seed=0, expect=n_agents,
                                                register_timeout_s=600, order_timeout_s=60,
                                                meter_timeout_s=30), ledger=ledger)  # fmt: skip
    setup_s = time.perf_counter() - t0
    op = market.operator
    rng = np.random.default_rng(0)
    actions = {s: rng.uniform(-1, 1, op.env.action_space(s).shape[0]).round(3).tolist()
               for s in op.seats}  # fmt: skip
    ctx = mp.get_context("spawn")
    done = ctx.Queue()
    procs = []
    for w in range(n_workers):
        mine = op.seats[w::n_workers]
        seats = {s: (market.password(s), actions[s]) for s in mine}
        meters = {s: market.password(f"meter.{s}") for s in mine if op.seats.index(s) < n_meters}
        procs.append(ctx.Process(target=_worker, args=(market.url, seats, meters, done)))
    for p in procs:
        p.start()
    market.start()
    while op.state == "registering":
        time.sleep(0.05)
    start = time.perf_counter()
    msgs0 = op.stats["messages"]
    market.join(3600)
    wall = time.perf_counter() - start
    results = [done.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    sent = sum(r[0] for r in results)
    orders = op.ledger.table("orders")
    from_agents = sum(1 for row in orders if row[3] == "agent")
    lat = sorted(op.gate_latency_s)
    published = op.n_periods * (3 * n_agents + 2) + n_meters * op.n_periods
    read = op.stats["messages"] - msgs0
    baseline = in_process(config, actions)
    figures = {
        "agents": n_agents, "workers": n_workers, "meters": n_meters,
        "ledger": "postgresql" if op.ledger.postgres else "sqlite",
        "periods": op.n_periods, "setup_s": setup_s, "wall_s": wall,
        "messages_read": read, "messages_published": published,
        "messages_per_s": (read + published) / wall,
        "gate_latency_p50_s": statistics.median(lat),
        "gate_latency_p99_s": lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))],
        "orders_sent": sent, "orders_in_ledger": from_agents, "orders_lost": sent - from_agents,
        "default_actions": len(orders) - from_agents,
        "statements_received": sum(r[1] for r in results),
        "rejections": sum(r[2] for r in results), "meter_reads_sent": sum(r[3] for r in results),
        "ledger_rows": op.ledger.rows_written,
        "ledger_rows_per_s": op.ledger.rows_written / max(op.ledger.write_s, 1e-9),
        "live_periods_per_s": op.n_periods / wall,
        "env_periods_per_s": baseline,
    }  # fmt: skip
    figures["env_over_live"] = baseline / figures["live_periods_per_s"]
    market.close()
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def report(f: dict[str, Any]) -> str:
    """The figures as the benchmark prints them."""
    return "\n".join([
        f"live market: {f['agents']} agents in {f['workers']} processes, {f['meters']} meters, "
        f"{f['periods']} periods (lockstep, local mosquitto); setup {f['setup_s']:.1f} s",
        f"  wall time of the episode          {f['wall_s']:10.2f} s",
        f"  messages per second               {f['messages_per_s']:10.0f}"
        f"   ({f['messages_read']} read, {f['messages_published']} published)",
        f"  gate-closure latency p50 / p99    {f['gate_latency_p50_s'] * 1e3:7.1f} / "
        f"{f['gate_latency_p99_s'] * 1e3:.1f} ms",
        f"  orders sent / in the ledger       {f['orders_sent']} / {f['orders_in_ledger']}"
        f"   lost: {f['orders_lost']}, default actions: {f['default_actions']}",
        f"  meter reads sent                  {f['meter_reads_sent']:10d}",
        f"  ledger rows written per second    {f['ledger_rows_per_s']:10.0f}"
        f"   ({f['ledger_rows']} rows, {f.get('ledger', 'sqlite')})",
        f"  live periods per second           {f['live_periods_per_s']:10.2f}",
        f"  in-process env periods per second {f['env_periods_per_s']:10.2f}"
        f"   (baseline, same run; {f['env_over_live']:.0f}x the live market)",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit status is 1 with ``--strict`` when an order was lost."""
    parser = bench_parser(
        "bench_live.py", quick="50 agents, under a minute", strict="an order is lost",
        description=__doc__.splitlines()[0],
    )  # fmt: skip
    parser.add_argument("--agents", type=int, default=None, help="seats (default 1000; quick 50)")
    parser.add_argument("--workers", type=int, default=4, help="agent processes (default 4)")
    parser.add_argument("--meters", type=int, default=None,
                        help="seats with a smart meter (default 100; quick 10)")  # fmt: skip
    parser.add_argument("--ledger", default=None, metavar="URL",
                        help="a PostgreSQL URL for the ledger (default: SQLite in a temp "
                        "folder); the database must be empty or hold this market")  # fmt: skip
    args = parser.parse_args(argv)
    n = args.agents or (50 if args.quick else 1000)
    meters = args.meters if args.meters is not None else (10 if args.quick else 100)
    figures = run(n, max(1, args.workers), min(meters, n), args.ledger)
    print(report(figures))
    if args.json:
        write_json(args.json, {"machine": machine_info(), "live": figures})
    return 1 if args.strict and figures["orders_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
