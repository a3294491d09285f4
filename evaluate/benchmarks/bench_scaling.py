"""Benchmark: time per market-period against the number of agents and bid steps.

Run ``python evaluate/benchmarks/bench_scaling.py`` (several minutes on two cores;
the first run also compiles the baseline's kernels, about two minutes) or with
``--quick`` for a smoke run. Scenarios are ``default`` replicated to N agents
(:func:`elecbay_env.testing.replicated_scenario`: N - 1 producers and consumers in the
base's proportion, and the broker), N from 5 to 5 000, with 1, 4 and 16 bid steps.

1. Engine: :meth:`elecbay_env.engine.Engine.step` (validation on, no ledger) with one
   :func:`elecbay_env.testing.random_orders` draw submitted every period, at batch
   E = 1 and 64; the figure is the fastest step time over repetitions (see
   :func:`_timed`) divided by E (time per market-period), in wall time and in CPU time
   of the process (which leaves out waiting for a core on a loaded machine). A forward
   book holds up to N x steps entries. ``shipped`` columns: the kernels' own sorts
   (:func:`elecbay_env.kernels.sorting.sort_row`: insertion, merge or radix sort by
   book size).
2. PettingZoo: ``env.step`` of the parallel env (E = 1, raw rewards) with one action
   per agent sampled once, for N up to 1 000 (5 000 in the full run).
3. Baseline, measured in the same run: the same tables in a child process whose kernels
   are compiled with :data:`elecbay_env.kernels.sorting.SMALL_SORT` above every book
   size, i.e. with the insertion sorts the period kernel used before (own Numba cache
   folder under the temporary directory, so the shipped cache is never touched). Runs
   whose insertion-sort time would exceed a few seconds are left out (``-``).
4. Where ``env.step``'s time goes at the target size: the fastest of each stage
   (actions dict to array, decoding, ``Engine.step``, the observation kernel, infos,
   observation dicts) over 40 periods, their sum and the fastest whole ``env.step``.
5. Fitted exponents: least squares slope of log(time) on log(N) over N >= 50, per
   (steps, E), for the engine and the baseline, on wall and on CPU time. Targets:
   every engine exponent <= 1.1; a 1 000-agent, 16-step period under 3 ms in the
   engine (E = 1) and under 6 ms through ``env.step`` (wall time).

``--json PATH`` writes every figure; ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import bench_parser, fmt_time, machine_info, write_json

AGENTS = (5, 13, 50, 200, 1_000, 5_000)
STEPS = (1, 4, 16)
BATCHES = (1, 64)
ENV_AGENTS = (13, 200, 1_000, 5_000)
QUICK_AGENTS = (5, 60, 120)
QUICK_STEPS = (1, 4)
QUICK_BATCHES = (1, 4)
QUICK_ENV_AGENTS = (5, 20)
FIT_FROM = 50
"""Exponents are fitted over N >= this many agents (below, fixed costs dominate)."""
TARGET_EXPONENT = 1.1
TARGET_ENGINE_S = 3e-3
TARGET_ENV_S = 6e-3
TARGET_CASE = (1_000, 16)
"""(agents, steps) of the per-period time targets."""
BASELINE_BUDGET = 3e8
"""Skip a baseline run when E x (N x steps)^2 exceeds this (insertion sort, seconds)."""
TABLE_HEADER = "Time per market-period against agents"
SEED = 0


def _timed(fn, min_reps: int, budget_s: float) -> tuple[float, float]:
    """Fastest wall and fastest CPU seconds of ``fn()`` over at least ``min_reps`` calls
    or ``budget_s``.

    The fastest repetition, not the median: on a shared machine other jobs only ever
    add time (the advice of Python's ``timeit``); the baseline is timed the same way.
    CPU time (``time.process_time``, every thread of the process) leaves out the time
    the process waited for a core, which dominates on a machine with more jobs than
    cores; it still counts slower memory when other jobs share the caches.
    """
    wall, cpu = [], []
    start = time.perf_counter()
    while len(wall) < min_reps or (time.perf_counter() - start < budget_s and len(wall) < 200):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def time_engine(n_agents: int, steps: int, n_markets: int, budget_s: float) -> tuple[float, float]:
    """Wall and CPU seconds per market-period of ``Engine.step`` (validation on, no
    ledger)."""
    from elecbay_env.engine import Engine
    from elecbay_env.testing import random_orders, replicated_scenario

    eng = Engine(replicated_scenario(n_agents, steps), n_markets=n_markets, keep_ledger=False)
    eng.reset(seed=SEED)
    orders = random_orders(eng.params, eng.state, np.random.default_rng(SEED))

    def step() -> None:
        if eng.t.max() >= eng.n_periods:
            eng.reset(seed=SEED)
        eng.step(orders)

    step()  # warm-up: compile or load the cache, first touch
    wall, cpu = _timed(step, 5, budget_s)
    return wall / n_markets, cpu / n_markets


def time_env(n_agents: int, steps: int, budget_s: float) -> float:
    """Seconds per period of the PettingZoo parallel env's ``step``."""
    from elecbay_env import parallel_env
    from elecbay_env.testing import replicated_scenario

    env = parallel_env(replicated_scenario(n_agents, steps))
    env.reset(seed=SEED)
    rng = np.random.default_rng(SEED)
    actions = {
        a: rng.uniform(-1, 1, env.action_space(a).shape).astype(np.float32) for a in env.agents
    }

    def step() -> None:
        if not env.agents:
            env.reset(seed=SEED)
        env.step(actions)

    step()
    return _timed(step, 5, budget_s)[0]


def env_split(n_agents: int, steps: int, reps: int) -> dict[str, float]:
    """Fastest seconds of each stage of ``env.step`` (the stages its body runs, from the
    env's helpers), and of the whole call, over ``reps`` periods."""
    from elecbay_env import parallel_env
    from elecbay_env.envs.observations import observe
    from elecbay_env.testing import replicated_scenario

    env = parallel_env(replicated_scenario(n_agents, steps))
    env.reset(seed=SEED)
    rng = np.random.default_rng(SEED)
    acts = {a: rng.uniform(-1, 1, env.action_space(a).shape) for a in env.agents}
    env.step(acts)
    names = ("actions", "decode", "engine", "observe", "infos", "observations")
    best = dict.fromkeys((*names, "sum of stages", "env.step"), math.inf)
    clock = time.perf_counter
    for _ in range(reps):
        if env.engine.t[0] + 2 > env.num_periods:
            env.reset(seed=SEED)
        marks = [clock()]
        env._load_actions(acts)
        marks.append(clock())
        orders = env.codec.decode(env._actions)
        marks.append(clock())
        out = env.engine.step(orders)
        marks.append(clock())
        env._obs = observe(env.engine.params, env.engine.state, env._bounds)
        marks.append(clock())
        env._infos(out)
        marks.append(clock())
        env._agent_obs()
        marks.append(clock())
        for name, a, b in zip(names, marks, marks[1:], strict=False):
            best[name] = min(best[name], b - a)
        t0 = clock()
        env.step(acts)
        best["env.step"] = min(best["env.step"], clock() - t0)
    best["sum of stages"] = sum(best[n] for n in names)
    return best


def measure(cfg: dict[str, Any]) -> dict[str, Any]:
    """Every engine and env timing of ``cfg`` (agents, steps, batches, env_agents)."""
    engine, env = [], []
    for steps in cfg["steps"]:
        for e in cfg["batches"]:
            for n in cfg["agents"]:
                if cfg["baseline"] and e * (n * steps) ** 2 > BASELINE_BUDGET:
                    continue
                sec, cpu = time_engine(n, steps, e, cfg["budget_s"])
                engine.append(
                    {"agents": n, "steps": steps, "markets": e, "period_s": sec, "cpu_s": cpu}
                )
        for n in cfg["env_agents"]:
            if cfg["baseline"] and (n * steps) ** 2 > BASELINE_BUDGET:
                continue
            env.append(
                {"agents": n, "steps": steps, "period_s": time_env(n, steps, cfg["budget_s"])}
            )
    return {"engine": engine, "env": env}


BASELINE_CHILD = """
import json, sys
from elecbay_env.kernels import sorting
sorting.SMALL_SORT = 1 << 62  # read when the kernels compile: insertion sorts everywhere
from elecbay_evaluate.benchmarks.bench_scaling import measure
print("RESULT " + json.dumps(measure(json.loads(sys.argv[1]))))
"""


def measure_baseline(cfg: dict[str, Any]) -> dict[str, Any]:
    """:func:`measure` in a child process with the insertion sorts (own Numba cache)."""
    cache = os.path.join(tempfile.gettempdir(), "elecbay-bench-insertion-sort-cache")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    env.pop("NUMBA_DISABLE_JIT", None)
    proc = subprocess.run(
        [sys.executable, "-c", BASELINE_CHILD, json.dumps({**cfg, "baseline": True})],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"baseline child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def exponent(points: list[tuple[int, float]]) -> float:
    """Least squares slope of log(seconds) on log(agents) over N >= FIT_FROM (NaN if
    fewer than two points)."""
    pts = [(n, s) for n, s in points if n >= FIT_FROM and s > 0]
    if len(pts) < 2:
        return math.nan
    x = np.log([n for n, _ in pts])
    y = np.log([s for _, s in pts])
    return float(np.polyfit(x, y, 1)[0])


def _lookup(rows: list[dict], field: str = "period_s", **key: int) -> float:
    for r in rows:
        if all(r[k] == v for k, v in key.items()):
            return r[field]
    return math.nan


def _ratio(old: float, new: float) -> str:
    return "-" if math.isnan(old) or math.isnan(new) else f"{old / new:.1f}x"


def report(cfg: dict[str, Any], new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Print the tables; return the exponents and the targets' verdicts."""
    print(f"\n{TABLE_HEADER} (Engine.step, validation on; per market-period)")
    print(f"{'':>5} | {'':>3} | {'':>6} | {'wall time':^30} | {'CPU time':^30}")
    cols = f"{'shipped':>10} | {'insertion':>10} | {'ratio':>6}"
    print(f"{'steps':>5} | {'E':>3} | {'agents':>6} | {cols} | {cols}")
    fits = []
    for steps in cfg["steps"]:
        for e in cfg["batches"]:
            for n in cfg["agents"]:
                parts = []
                for field in ("period_s", "cpu_s"):
                    a = _lookup(new["engine"], field, agents=n, steps=steps, markets=e)
                    b = _lookup(old["engine"], field, agents=n, steps=steps, markets=e)
                    parts.append(f"{fmt_time(a):>10} | {fmt_time(b):>10} | {_ratio(b, a):>6}")
                print(f"{steps:>5} | {e:>3} | {n:>6,} | {parts[0]} | {parts[1]}")
            pick = [r for r in new["engine"] if r["steps"] == steps and r["markets"] == e]
            base = [r for r in old["engine"] if r["steps"] == steps and r["markets"] == e]
            fit = {"steps": steps, "markets": e}
            for field, name in (("period_s", ""), ("cpu_s", "cpu_")):
                fit[f"{name}exponent"] = exponent([(r["agents"], r[field]) for r in pick])
                fit[f"{name}baseline_exponent"] = exponent([(r["agents"], r[field]) for r in base])
            fits.append(fit)
    print(f"\nFitted exponents (time ~ agents^x, N >= {FIT_FROM}; target x <= {TARGET_EXPONENT})")
    cols = f"{'shipped':>10} | {'insertion':>10}"
    print(f"{'steps':>5} | {'E':>3} | wall: {cols} | CPU: {cols}")
    for f in fits:
        print(f"{f['steps']:>5} | {f['markets']:>3} | wall: {f['exponent']:>10.2f} | "
              f"{f['baseline_exponent']:>10.2f} | CPU: {f['cpu_exponent']:>10.2f} | "
              f"{f['cpu_baseline_exponent']:>10.2f}")  # fmt: skip
    print("\nPettingZoo env.step (E = 1; per period)")
    print(f"{'steps':>5} | {'agents':>6} | {'shipped':>10} | {'insertion':>10} | ratio | "
          "env/engine")  # fmt: skip
    for steps in cfg["steps"]:
        for n in cfg["env_agents"]:
            a = _lookup(new["env"], agents=n, steps=steps)
            b = _lookup(old["env"], agents=n, steps=steps)
            eng = _lookup(new["engine"], agents=n, steps=steps, markets=1)
            print(f"{steps:>5} | {n:>6,} | {fmt_time(a):>10} | {fmt_time(b):>10} | "
                  f"{_ratio(b, a):>5} | {_ratio(a, eng)}")  # fmt: skip
    n, s = TARGET_CASE
    eng_s = _lookup(new["engine"], agents=n, steps=s, markets=1)
    env_s = _lookup(new["env"], agents=n, steps=s)
    fitted = [f["exponent"] for f in fits if not math.isnan(f["exponent"])]
    fitted_cpu = [f["cpu_exponent"] for f in fits if not math.isnan(f["cpu_exponent"])]
    checks = {
        "exponent": all(x <= TARGET_EXPONENT for x in fitted),
        "cpu_exponent": all(x <= TARGET_EXPONENT for x in fitted_cpu),
        "engine_1000x16": None if math.isnan(eng_s) else eng_s < TARGET_ENGINE_S,
        "env_1000x16": None if math.isnan(env_s) else env_s < TARGET_ENV_S,
    }  # fmt: skip
    verdict = {True: "PASS", False: "FAIL", None: "not run"}
    print(f"targets: exponents <= {TARGET_EXPONENT}: wall {verdict[checks['exponent']]}, "
          f"CPU {verdict[checks['cpu_exponent']]}; "
          f"{n}x{s} engine {fmt_time(eng_s)} < 3 ms: {verdict[checks['engine_1000x16']]}; "
          f"env.step {fmt_time(env_s)} < 6 ms: {verdict[checks['env_1000x16']]}")  # fmt: skip
    return {"fits": fits, "targets": checks}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(
        "bench_scaling.py", quick="tiny sizes, a minute or two (the baseline compiles)",
        strict="a target is missed", description=__doc__.splitlines()[0],
    )  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true", help="skip the insertion sort run")
    args = parser.parse_args(argv)
    q = args.quick
    cfg = {
        "agents": list(QUICK_AGENTS if q else AGENTS),
        "steps": list(QUICK_STEPS if q else STEPS),
        "batches": list(QUICK_BATCHES if q else BATCHES),
        "env_agents": list(QUICK_ENV_AGENTS if q else ENV_AGENTS),
        "budget_s": 0.05 if q else 0.6,
        "baseline": False,
    }
    info = machine_info()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    start = time.perf_counter()
    new = measure(cfg)
    old = {"engine": [], "env": []} if args.no_baseline else measure_baseline(cfg)
    summary = report(cfg, new, old)
    n, st = (TARGET_CASE[0], TARGET_CASE[1]) if not q else (QUICK_ENV_AGENTS[-1], 4)
    split = env_split(n, st, 40 if not q else 3)
    print(f"\nWhere env.step's time goes ({n} agents, {st} steps; fastest of each stage)")
    for name, sec in split.items():
        print(f"{name:>14} | {fmt_time(sec):>10}")
    summary["env_split"] = {"agents": n, "steps": st, "seconds": split}
    print(f"run time {time.perf_counter() - start:.1f} s")
    if args.json:
        write_json(args.json, {"machine": info, "config": cfg, "shipped": new,
                               "insertion_sort": old, **summary})  # fmt: skip
    missed = any(v is False for v in summary["targets"].values())
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
