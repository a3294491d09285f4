"""Does PPO's value function learn? Raw currency rewards against learning rewards.

``python -m elecbay_evaluate.benchmarks.bench_reward_modes [--quick] [--json PATH]`` trains
stable-baselines3's PPO for the same number of steps, the same seed and the same seat
twice: once on raw rewards (currency, no normalisation: what a researcher following a
library's own tutorial feeds it) and once on ``reward_mode="learning"``
(:mod:`elecbay_env.rewards`). It prints, per run, the explained variance and the value
loss of the last update as stable-baselines3 logs them, and their ratio between the two
runs measured here. Target (issue 13): explained variance above 0.5 with learning
rewards in a short run.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elecbay_evaluate.benchmarks.benchtools import bench_parser, machine_info, write_json

SEATS = ("consumer_0", "producer_0")
TARGET_EV = 0.5


def train_once(seat: str, mode: str, steps: int, seed: int = 0) -> dict[str, float]:
    """PPO on ``small`` for ``steps`` steps in seat ``seat``; the last update's figures."""
    import torch
    from elecbay_train.vec_env import RoleVecEnv
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import configure

    torch.set_num_threads(1)
    venv = RoleVecEnv("small", [seat], 8, None, seed, reward_mode=mode)
    venv.seed(seed)
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=128, seed=seed, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        model.set_logger(configure(tmp, ["csv"]))
        start = time.perf_counter()
        model.learn(total_timesteps=steps)
        seconds = time.perf_counter() - start
        model.logger.close()
        with open(Path(tmp) / "progress.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    last = [r for r in rows if r.get("train/explained_variance")][-1]
    return {
        "explained_variance": float(last["train/explained_variance"]),
        "value_loss": float(last["train/value_loss"]),
        "seconds": seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(
        "python -m elecbay_evaluate.benchmarks.bench_reward_modes", quick="2 048 steps per run",
        strict="explained variance with learning rewards stays at or below 0.5",
        description=__doc__.split("\n\n")[0],
    )  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default 8 192)")
    args = parser.parse_args(argv)
    steps = args.steps or (2048 if args.quick else 8192)
    print(f"PPO on 'small', 8 markets, {steps} steps per run, seed 0")
    print(f"{'seat':12s} {'rewards':9s} {'explained var':>14s} {'value loss':>14s} {'s':>6s}")
    results: dict[str, Any] = {}
    ok = True
    for seat in SEATS:
        for mode in ("raw", "learning"):
            r = train_once(seat, mode, steps)
            results[f"{seat}/{mode}"] = r
            print(f"{seat:12s} {mode:9s} {r['explained_variance']:14.3f} "
                  f"{r['value_loss']:14.4g} {r['seconds']:6.1f}")  # fmt: skip
        raw, learn = results[f"{seat}/raw"], results[f"{seat}/learning"]
        ratio = raw["value_loss"] / max(learn["value_loss"], 1e-300)
        print(f"{seat:12s} value loss raw / learning: {ratio:.3g}")
        ok &= learn["explained_variance"] > TARGET_EV
    print(f"target: explained variance > {TARGET_EV} with learning rewards: "
          f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    if args.json:
        write_json(args.json, {"steps": steps, "results": results, "machine": machine_info()})
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
