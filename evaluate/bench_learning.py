"""Does learning pay? PPO against the baselines in the same seat, judged by the evaluator.

1. Trains PPO (``elecbay train``, the vectorised core) for a producer seat against the
   baseline opponents, and for the broker seat.
2. Plays the tournament evaluator over ``--seeds`` evaluation seeds (never used in
   training) with three line-ups on the default scenario: the baseline, the baseline
   with the PPO producer in its seat, the baseline with the PPO broker.
3. Prints, paired by seed: the PPO producer's profit minus merit order's in the same
   seat, and the rule-based broker's reserve + balancing + unserved-energy cost minus
   the PPO broker's, each with a 95% bootstrap interval (scipy), and whether the
   interval excludes zero.

Usage: ``python evaluate/bench_learning.py [--producer-steps N] [--broker-steps N]
[--seeds 20] [--out DIR] [--producer-model DIR] [--broker-model DIR] [--quick]``.
Outputs in ``--out``: ``learning.json``, ``learning.md``, ``training_curve.png`` and the
models and the evaluator's reports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

EVAL_SEED0 = 100_000  # evaluation seeds start here; training uses seeds below 10_000


def paired_ci(diff: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean of per-seed differences and its 95% bootstrap (BCa) interval."""
    from scipy.stats import bootstrap

    diff = np.asarray(diff, float)
    if diff.size < 2:
        return float(diff.mean()), float("nan"), float("nan")
    res = bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=9999,
                    method="BCa", random_state=np.random.default_rng(seed))  # fmt: skip
    ci = res.confidence_interval
    return float(diff.mean()), float(ci.low), float(ci.high)


def _train(seat: str, steps: int, out: Path, n_markets: int, seed: int) -> tuple[Path, float]:
    from elecbay_train.train import train

    start = time.perf_counter()
    train(None, [seat], None, "ppo", steps, seed, n_markets, out)
    return out, time.perf_counter() - start


def plot_curves(folders: dict[str, Path], path: Path) -> Path | None:
    """Episode reward (rollout/ep_rew_mean) against steps, one panel per model."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(folders), figsize=(5 * len(folders), 3.5), squeeze=False)
    for ax, (label, folder) in zip(axes[0], folders.items(), strict=True):
        rows = list(csv.DictReader((folder / "progress.csv").open()))
        xs = [float(r["time/total_timesteps"]) for r in rows if r.get("rollout/ep_rew_mean")]
        ys = [float(r["rollout/ep_rew_mean"]) for r in rows if r.get("rollout/ep_rew_mean")]
        ax.plot(xs, ys)
        ax.set_title(f"{label}: episode reward while training", fontsize=9)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("reward per episode (currency)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0 (``--strict``: 1 when learning does not pay)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--producer", default="producer_2", help="the producer seat (ccgt_1)")
    p.add_argument("--producer-steps", type=int, default=1_000_000)
    p.add_argument("--broker-steps", type=int, default=1_000_000)
    p.add_argument("--n-markets", type=int, default=16)
    p.add_argument("--seeds", type=int, default=20, help="evaluation seeds (>= 20 for the claim)")
    p.add_argument("--days", type=int, default=None, help="override market.days in evaluation")
    p.add_argument("--producer-model", default=None, help="reuse a trained producer (folder)")
    p.add_argument("--broker-model", default=None, help="reuse a trained broker (folder)")
    p.add_argument("--out", default="runs/bench_learning")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--quick", action="store_true", help="tiny budgets: a smoke run only")
    p.add_argument("--strict", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.producer_steps, args.broker_steps, args.seeds = 4096, 4096, 2
        args.days, args.n_markets = args.days or 1, 4
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    timings: dict[str, float] = {}
    steps_done: dict[str, int] = {}
    folders: dict[str, Path] = {}
    for label, seat, steps, given in (
        ("producer", args.producer, args.producer_steps, args.producer_model),
        ("broker", "broker_0", args.broker_steps, args.broker_model),
    ):
        if given:
            folders[label] = Path(given)
        else:
            folders[label], _ = _train(seat, steps, out / f"ppo_{label}", args.n_markets, seed=1)
        record = json.loads((folders[label] / "train_config.json").read_text())
        timings[label] = float(record["seconds"])
        steps_done[label] = int(record["timesteps"])
    from elecbay_evaluate.tournament import run_tournament, write_outputs

    scenario: dict[str, Any] = {"name": "default"}
    if args.days:
        scenario["overrides"] = {"market.days": args.days}
    spec = {
        "name": "learning",
        "scenarios": [scenario],
        "n_seeds": args.seeds,
        "seed0": EVAL_SEED0,
        "entries": [
            {"name": "baseline", "policies": {}},
            {"name": "ppo_producer", "policies": {args.producer: f"sb3:{folders['producer']}"}},
            {"name": "ppo_broker", "policies": {"broker_0": f"sb3:{folders['broker']}"}},
        ],
    }
    start = time.perf_counter()
    result = run_tournament(spec, workers=args.workers, progress=False)
    eval_s = time.perf_counter() - start
    write_outputs(result, out / "evaluation")

    def per_seed(entry: str, fn) -> np.ndarray:
        eps = sorted((e for e in result.episodes if e["entry"] == entry), key=lambda e: e["seed"])
        return np.array([fn(e) for e in eps])

    base_p = per_seed("baseline", lambda e: e["profit"][args.producer])
    ppo_p = per_seed("ppo_producer", lambda e: e["profit"][args.producer])
    base_c = per_seed("baseline", lambda e: e["balancing_total_cost"])
    ppo_c = per_seed("ppo_broker", lambda e: e["balancing_total_cost"])
    gain = paired_ci(ppo_p - base_p)
    saving = paired_ci(base_c - ppo_c)
    curve = plot_curves(folders, out / "training_curve.png") if not args.quick else None

    lines = [
        f"evaluation: default scenario, {args.seeds} seeds from {EVAL_SEED0} "
        f"(training used seeds below 10,000), {eval_s:.0f} s",
        f"training: producer {steps_done['producer']:,} steps in {timings['producer']:.0f} s, "
        f"broker {steps_done['broker']:,} steps in {timings['broker']:.0f} s "
        f"({(timings['producer'] + timings['broker']) / 60:.1f} min of the 20-minute budget)",
        "",
        "| comparison | baseline mean | PPO mean | PPO - baseline (mean) | 95% CI | excludes 0 |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| profit of {args.producer} (merit order vs PPO) | {base_p.mean():,.0f} | "
        f"{ppo_p.mean():,.0f} | {gain[0]:,.0f} | [{gain[1]:,.0f}, {gain[2]:,.0f}] | "
        f"{'yes' if gain[1] > 0 else 'no'} |",
        f"| reserve + balancing + unserved cost (rule-based vs PPO broker) | "
        f"{base_c.mean():,.0f} | {ppo_c.mean():,.0f} | {-saving[0]:,.0f} | "
        f"[{-saving[2]:,.0f}, {-saving[1]:,.0f}] | {'yes' if saving[1] > 0 else 'no'} |",
    ]
    producer_pays = gain[1] > 0
    broker_pays = saving[1] > 0
    lines += [
        "",
        f"learned producer beats merit order (CI excludes 0): "
        f"{'PASS' if producer_pays else 'FAIL'}",
        f"learned broker lowers reserve + balancing + unserved cost (CI excludes 0): "
        f"{'PASS' if broker_pays else 'FAIL'}",
    ]
    text = "\n".join(lines)
    print(text)
    (out / "learning.md").write_text(text + "\n")
    (out / "learning.json").write_text(json.dumps({
        "producer_gain": gain, "broker_saving": saving, "seeds": args.seeds,
        "producer_profit": {"baseline": base_p.tolist(), "ppo": ppo_p.tolist()},
        "balancing_cost": {"baseline": base_c.tolist(), "ppo": ppo_c.tolist()},
        "training_s": timings, "evaluation_s": eval_s, "curve": str(curve) if curve else None,
    }, indent=1))  # fmt: skip
    return 1 if args.strict and not (producer_pays and broker_pays) else 0


if __name__ == "__main__":
    sys.exit(main())
