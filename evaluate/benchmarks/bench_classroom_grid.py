"""Benchmark of the classroom's electricity experiment: the time a period's gate takes.

Run ``python evaluate/benchmarks/bench_classroom_grid.py`` (20 periods per scenario) or
``--quick`` (3). For each scenario (``small``, ``default``) a
:class:`~elecbay_classroom.grid_session.GridSession` with every seat held by a student
(each sends a merit-order-like curve: its cost or value, its step limit) is played in
process; it prints, per scenario:

* gate ms (median, max): :meth:`GridSession.end`, i.e. the bots' and defaults' actions,
  the efficiency replay (a deep copy of the env stepped with merit order) and
  ``env.step``;
* baseline, measured in the same run: ``env.step`` alone on a second env of the same
  scenario and seed with the actions the session used, in ms (median), and the ratio.

Nothing is timed in the tests (tests/classroom/test_grid.py checks the results).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchtools import bench_parser, machine_info, write_json  # type: ignore[no-redef]
else:
    from .benchtools import bench_parser, machine_info, write_json


def run(scenario: str, periods: int, seed: int = 0) -> dict[str, Any]:
    """Figures of one scenario (see the module docstring)."""
    from elecbay_classroom.config import SessionConfig
    from elecbay_classroom.grid_session import GridSession

    from elecbay_env.envs.parallel import parallel_env

    s = GridSession(SessionConfig("electricity", periods=periods, seed=seed, scenario=scenario))
    tokens = [s.join(s.join_code, f"s{k}").token for k in range(len(s.market.seats))]
    gate = []
    for _ in range(periods):
        s.start()
        for tok in tokens:
            seat = s.market.seats[s.student(tok).seat]
            s.students[tok].bucket.level = 10.0  # no rate limit in a benchmark
            s.order(tok, {"steps": [[seat.cost_or_value, seat.step_mw]]})
        t = time.perf_counter()
        s.end()
        gate.append(time.perf_counter() - t)
    env = parallel_env(scenario, info_statement=True)
    env.reset(seed=seed)
    base = []
    for rec in s.market.records:
        actions = {a: np.asarray(v) for a, v in rec["actions"].items()}
        t = time.perf_counter()
        env.step(actions)
        base.append(time.perf_counter() - t)
    gate_ms, base_ms = 1000 * statistics.median(gate[1:]), 1000 * statistics.median(base[1:])
    return {"scenario": scenario, "seats": len(s.market.seats), "periods": periods,
            "gate_ms_median": gate_ms, "gate_ms_max": 1000 * max(gate),
            "env_step_ms_median": base_ms, "ratio": gate_ms / base_ms}  # fmt: skip


def report(rows: list[dict[str, Any]]) -> str:
    head = "scenario  seats  periods  gate ms median  gate ms max  env.step ms  ratio"
    rule = "--------  -----  -------  --------------  -----------  -----------  -----"
    lines = [head, rule]
    for r in rows:
        lines.append(f"{r['scenario']:<8}  {r['seats']:>5}  {r['periods']:>7}  "
                     f"{r['gate_ms_median']:>14.1f}  {r['gate_ms_max']:>11.1f}  "
                     f"{r['env_step_ms_median']:>11.2f}  {r['ratio']:>5.1f}")  # fmt: skip
    lines.append("(the first period, which loads the kernels, is left out of the medians)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 unless ``--strict`` and a gate took over a second."""
    parser = bench_parser("bench_classroom_grid.py", quick="3 periods per scenario",
                          strict="a median gate takes over 1 s",
                          description=__doc__.splitlines()[0])  # fmt: skip
    parser.add_argument("--periods", type=int, default=None, help="default 20 (quick 3)")
    args = parser.parse_args(argv)
    periods = args.periods or (3 if args.quick else 20)
    rows = [run(sc, periods) for sc in ("small", "default")]
    print(report(rows))
    if args.json:
        write_json(args.json, {"machine": machine_info(), "classroom_grid": rows})
    return 1 if args.strict and any(r["gate_ms_median"] > 1000 for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
