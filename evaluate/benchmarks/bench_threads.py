"""torch threads against Numba threads: PPO while the engine steps, timed.

Run ``python -m elecbay_evaluate.benchmarks.bench_threads`` (minutes on two busy cores;
``--quick``: a
smoke run). It trains stable-baselines3's PPO (``MlpPolicy``, CPU) in the producers'
seats of the ``default`` scenario shortened to one day, on elecbay's vectorised core
(:class:`~elecbay_train.vec_env.RoleVecEnv`, ``E`` markets stepped by the Numba kernel),
with every combination of torch threads (``torch.set_num_threads``) and Numba threads
(``numba.set_num_threads``, at most ``NUMBA_NUM_THREADS``). Each combination gets one
untimed warm-up rollout and update, then ``--rollouts`` timed ones; a callback splits
the time into collection (engine steps and policy forward passes) and the PPO update
(``n_epochs`` passes of minibatch gradient steps). Combinations run in turn, twice,
and the faster of the two runs is kept. The table prints seconds per rollout and per
update, and each row's ratio to the fastest.

``elecbay train`` sets ``torch.set_num_threads(1)`` (``--torch-threads``) after the
engine is built: Numba's threading layer starts its own pool, and two pools on two
cores spin against each other.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from typing import Any

import numba
import torch
from elecbay_train.vec_env import RoleVecEnv
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback

SEED = 0


class PhaseTimer(BaseCallback):
    """Seconds of each rollout's collection; the rest of ``learn`` is the update."""

    def __init__(self) -> None:
        super().__init__()
        self.collect: list[float] = []
        self._t0 = 0.0

    def _on_rollout_start(self) -> None:
        self._t0 = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.collect.append(time.perf_counter() - self._t0)

    def _on_step(self) -> bool:
        return True


def time_combo(
    model: PPO, torch_threads: int, numba_threads: int, rollouts: int
) -> dict[str, float]:
    """Seconds per rollout collected and per update with the given thread counts."""
    torch.set_num_threads(torch_threads)
    numba.set_num_threads(numba_threads)
    size = model.n_steps * model.n_envs
    timer = PhaseTimer()
    t0 = time.perf_counter()
    model.learn(rollouts * size, callback=timer, reset_num_timesteps=False)
    total = time.perf_counter() - t0
    collect = sum(timer.collect)
    return {
        "collect_s": collect / rollouts,
        "update_s": (total - collect) / rollouts,
        "learn_s": total / rollouts,
    }


def run(n_markets: int, rollouts: int, repeats: int) -> list[dict[str, Any]]:
    """Every (torch, Numba) thread combination, ``repeats`` times in turn; best kept."""
    venv = RoleVecEnv(
        "default",
        seats="producer",
        n_markets=n_markets,
        seed=SEED,
        reward_mode="learning",
        **{"market.days": 1},
    )
    n_steps = 48  # one episode per rollout
    size = n_steps * venv.num_envs
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=n_steps,
        batch_size=max(size // 4, 2),
        n_epochs=10,
        seed=SEED,
        device="cpu",
        verbose=0,
    )
    model.learn(size)  # warm-up: Numba caches, torch kernels, the first reset
    most = numba.config.NUMBA_NUM_THREADS
    counts = sorted({1, min(2, most)})
    combos = list(itertools.product(counts, counts))
    best: dict[tuple[int, int], dict[str, float]] = {}
    for _ in range(repeats):
        for t, n in combos:
            got = time_combo(model, t, n, rollouts)
            if (t, n) not in best or got["learn_s"] < best[(t, n)]["learn_s"]:
                best[(t, n)] = got
    rows = [
        {"torch_threads": t, "numba_threads": n, "agent_steps": size, **best[(t, n)]}
        for t, n in combos
    ]
    fastest = min(r["learn_s"] for r in rows)
    for r in rows:
        r["ratio"] = r["learn_s"] / fastest
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| torch threads | Numba threads | collect s/rollout | update s/rollout | "
        "learn s/rollout | x fastest |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['torch_threads']} | {r['numba_threads']} | {r['collect_s']:.2f} | "
            f"{r['update_s']:.2f} | {r['learn_s']:.2f} | {r['ratio']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markets", type=int, default=8, help="markets E (default 8)")
    parser.add_argument("--rollouts", type=int, default=1, help="timed rollouts per run")
    parser.add_argument("--repeats", type=int, default=2, help="runs per combination")
    parser.add_argument("--quick", action="store_true", help="4 markets, 1 rollout, 1 run")
    args = parser.parse_args(argv)
    if args.quick:
        args.markets, args.rollouts, args.repeats = 4, 1, 1
    rows = run(args.markets, args.rollouts, args.repeats)
    print(
        f"PPO (MlpPolicy) on RoleVecEnv('default', seats='producer', E={args.markets}, "
        f"one day); {rows[0]['agent_steps']} agent-steps per rollout; "
        f"cores: {os.cpu_count()}, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, "
        f"Numba threading layer: {numba.threading_layer()}, torch {torch.__version__}, "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(table(rows))
    slow = max(rows, key=lambda r: r["update_s"])
    quick = min(rows, key=lambda r: r["update_s"])
    print(
        f"update: {slow['update_s']:.2f} s with torch {slow['torch_threads']} / Numba "
        f"{slow['numba_threads']} threads against {quick['update_s']:.2f} s with torch "
        f"{quick['torch_threads']} / Numba {quick['numba_threads']} "
        f"({slow['update_s'] / quick['update_s']:.1f}x)"
    )


if __name__ == "__main__":
    main()
