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
4. Decomposes each gain by ledger component (``elecbay_env.kernels.ledger_codes``):
   the learner's row of the ledger summed over the episode, PPO minus baseline per
   component and per group (reserve = availability + balancing energy + performance
   adjustment; costs = production + start-up), the learner's volumes (forward,
   imbalance, balancing MWh) and realised forward price, and the market's change
   (mean clearing price, allocative efficiency, unserved energy, system cost): does a
   learner win by price (market power), by volume, or by balancing better?

Usage: ``python evaluate/benchmarks/bench_learning.py [--producer-steps N] [--broker-steps N]
[--seeds 20] [--out DIR] [--producer-model DIR] [--broker-model DIR] [--quick]``.
Outputs in ``--out``: ``learning.json`` (with ``decomposition``), ``learning.md``,
``training_curve.png`` and the models and the evaluator's reports.
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

from elecbay_env.roles import asset_names

EVAL_SEED0 = 100_000  # evaluation seeds start here; training uses seeds below 10_000

# groups of ledger components, by name (elecbay_env.kernels.ledger_codes.NAMES)
GROUPS: dict[str, tuple[str, ...]] = {
    "reserve (availability + balancing + performance)": (
        "availability", "balancing_energy", "performance_adjustment"),
    "costs (production + start-up)": ("production_cost", "startup_cost"),
}  # fmt: skip
VOLUMES = ("forward_energy", "imbalance", "balancing_energy")  # |MWh| summed per period
BROKER_VOLUMES = ("availability", "balancing_energy")  # summed over the parties' rows
MARKET = {  # market figures compared per seed: label -> EpisodeMetrics name
    "mean clearing price (per MWh)": "price_mean",
    "allocative efficiency": "efficiency",
    "unserved energy (MWh)": "unserved_mwh",
    "imbalance volume (MWh)": "imbalance_volume_mwh",
    "system cost: reserve + balancing + unserved + curtailment": "balancing_total_cost",
}


def paired_ci(diff: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean of per-seed differences and its 95% bootstrap (BCa) interval."""
    from scipy.stats import bootstrap

    diff = np.asarray(diff, float)
    if diff.size < 2:
        return float(diff.mean()), float("nan"), float("nan")
    if np.ptp(diff) <= 1e-12 * max(1.0, float(np.abs(diff).max())):
        return float(diff.mean()), float(diff.mean()), float(diff.mean())  # no spread
    res = bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=9999,
                    method="BCa", random_state=np.random.default_rng(seed))  # fmt: skip
    ci = res.confidence_interval
    return float(diff.mean()), float(ci.low), float(ci.high)


def verdict(low: float, high: float) -> str:
    """Whether an interval of a gain excludes zero, and on which side."""
    return "yes" if low > 0 else ("yes (worse)" if high < 0 else "no")


def ledger_episode(task: Any) -> dict[str, Any]:
    """One episode, as the evaluator plays it (``tournament.run_episode``), plus every
    row's ledger summed over the episode: ``ledger`` ({agent: {component: amount}}) and
    ``ledger_mwh`` ({agent: {component: sum of |MWh| per period}})."""
    from elecbay_evaluate import tournament_episodes as te

    from elecbay_env.kernels.ledger_codes import NAMES

    n_agents = len(te._env(task.source, task.overrides).possible_agents)
    amount = np.zeros((n_agents, len(NAMES)))
    mwh = np.zeros_like(amount)

    def add(out: Any) -> None:
        amount[...] += out.ledger_amount[0, :, : len(NAMES)]
        mwh[...] += np.abs(out.ledger_mwh[0, :, : len(NAMES)])

    env, metrics = te.play_episode(task, on_period=add)

    def table(a: np.ndarray) -> dict[str, dict[str, float]]:
        return {ag: dict(zip(NAMES, map(float, row), strict=True))
                for ag, row in zip(env.possible_agents, a, strict=True)}  # fmt: skip

    return {
        "scenario": task.scenario,
        "entry": task.entry,
        "seed": task.seed,
        "n_periods": int(env.num_periods),
        **metrics.result(),
        "policy": {a: te.resolve_policy(env, task.policies, a) for a in env.possible_agents},
        "asset": asset_names(env.scenario),
        "ledger": table(amount),
        "ledger_mwh": table(mwh),
    }


def play(spec: dict[str, Any], workers: int) -> Any:
    """The evaluator's tournament over ``spec``, each episode with its ledger sums."""
    from concurrent.futures import ProcessPoolExecutor

    from elecbay_evaluate import tournament as tm

    spec_ = tm.load_spec(spec)
    tm.check_spec(spec_)
    tasks = tm.make_tasks(spec_)
    workers = max(1, min(workers, len(tasks)))
    start = time.perf_counter()
    if workers == 1:
        episodes = [ledger_episode(t) for t in tasks]
    else:
        with ProcessPoolExecutor(workers, mp_context=tm._pool_context()) as pool:
            episodes = list(pool.map(ledger_episode, tasks))
    episodes = [e for _, e in sorted(zip((t.key for t in tasks), episodes, strict=True))]
    result = tm.summarise(spec_, episodes)
    result.workers, result.elapsed_s = workers, time.perf_counter() - start
    return result


def decompose(base: list[dict], ppo: list[dict], seat: str) -> dict[str, Any]:
    """PPO minus baseline, paired by seed, for ``seat``'s ledger (every component, the
    :data:`GROUPS` and the total), its volumes and realised forward price, and the
    market (:data:`MARKET`). Each entry: ``{"baseline", "ppo", "diff", "ci"}``."""
    from elecbay_env.kernels.ledger_codes import NAMES

    assert [e["seed"] for e in base] == [e["seed"] for e in ppo]

    def row(fn) -> dict[str, Any]:
        b = np.array([fn(e) for e in base], float)
        q = np.array([fn(e) for e in ppo], float)
        mean, lo, hi = paired_ci(q - b)
        return {"baseline": float(b.mean()), "ppo": float(q.mean()), "diff": mean,
                "ci": [lo, hi]}  # fmt: skip

    ledger = {name: row(lambda e, n=name: e["ledger"][seat][n]) for name in NAMES}
    for label, names in GROUPS.items():
        ledger[label] = row(lambda e, ns=names: sum(e["ledger"][seat][n] for n in ns))
    ledger["total (= profit / reward)"] = row(lambda e: sum(e["ledger"][seat].values()))
    if seat.startswith("broker"):  # the broker's row has no MWh: what the parties held
        volume = {f"{name} (MWh, all parties)": row(
            lambda e, n=name: sum(v[n] for a, v in e["ledger_mwh"].items() if a != seat))
            for name in BROKER_VOLUMES}  # fmt: skip
    else:
        volume = {f"{name} (MWh)": row(lambda e, n=name: e["ledger_mwh"][seat][n])
                  for name in VOLUMES}  # fmt: skip

        def fwd_price(e: dict) -> float:
            q = e["ledger_mwh"][seat]["forward_energy"]
            return e["ledger"][seat]["forward_energy"] / q if q > 0 else 0.0

        volume["realised forward price (per MWh)"] = row(fwd_price)
    market = {label: row(lambda e, m=m: e[m]) for label, m in MARKET.items()}
    return {"seat": seat, "ledger": ledger, "volume": volume, "market": market}


def decomposition_lines(title: str, d: dict[str, Any]) -> list[str]:
    """A markdown table of :func:`decompose` (components zero in both line-ups left out)."""
    lines = [f"{title} ({d['seat']}'s ledger row; + = better for {d['seat']}):", "",
             "| item | baseline mean | PPO mean | PPO - baseline | 95% CI |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for section in ("ledger", "volume", "market"):
        for label, r in d[section].items():
            if section == "ledger" and abs(r["baseline"]) < 0.5 and abs(r["ppo"]) < 0.5:
                continue  # zero in both line-ups (up to rounding)
            fmt = ",.5f" if "efficiency" in label else (",.2f" if "per MWh" in label else ",.0f")
            lo, hi = r["ci"]
            lines.append(f"| {section}: {label} | {r['baseline']:{fmt}} | {r['ppo']:{fmt}} | "
                         f"{r['diff']:{fmt}} | [{lo:{fmt}}, {hi:{fmt}}] |")  # fmt: skip
    return lines


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
        with (folder / "progress.csv").open() as f:
            rows = list(csv.DictReader(f))
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
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override in evaluation, e.g. market.imbalance_pricing=dual",
    )
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
    from elecbay_evaluate.tournament import write_outputs

    scenario: dict[str, Any] = {"name": "default"}
    overrides: dict[str, Any] = {}
    if args.days:
        overrides["market.days"] = args.days
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key.strip()] = value.strip()
    if overrides:
        scenario["overrides"] = overrides
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
    result = play(spec, workers=args.workers)
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

    def episodes(entry: str) -> list[dict]:
        return sorted((e for e in result.episodes if e["entry"] == entry), key=lambda e: e["seed"])

    decomposition = {
        "producer": decompose(episodes("baseline"), episodes("ppo_producer"), args.producer),
        "broker": decompose(episodes("baseline"), episodes("ppo_broker"), "broker_0"),
    }
    curve = plot_curves(folders, out / "training_curve.png") if not args.quick else None

    lines = [
        f"evaluation: default scenario {overrides or ''}, {args.seeds} seeds from {EVAL_SEED0} "
        f"(training used seeds below 10,000), {eval_s:.0f} s",
        f"training: producer {steps_done['producer']:,} steps in {timings['producer']:.0f} s, "
        f"broker {steps_done['broker']:,} steps in {timings['broker']:.0f} s "
        f"({(timings['producer'] + timings['broker']) / 60:.1f} min of the 20-minute budget)",
        "",
        "| comparison | baseline mean | PPO mean | PPO - baseline (mean) | 95% CI | excludes 0 |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| profit of {args.producer} (merit order vs PPO) | {base_p.mean():,.0f} | "
        f"{ppo_p.mean():,.0f} | {gain[0]:,.0f} | [{gain[1]:,.0f}, {gain[2]:,.0f}] | "
        f"{verdict(gain[1], gain[2])} |",
        f"| reserve + balancing + unserved cost (rule-based vs PPO broker) | "
        f"{base_c.mean():,.0f} | {ppo_c.mean():,.0f} | {-saving[0]:,.0f} | "
        f"[{-saving[2]:,.0f}, {-saving[1]:,.0f}] | {verdict(saving[1], saving[2])} |",
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
    lines += ["", *decomposition_lines("PPO producer vs merit order", decomposition["producer"])]
    lines += ["", *decomposition_lines("PPO broker vs rule-based", decomposition["broker"])]
    text = "\n".join(lines)
    print(text)
    (out / "learning.md").write_text(text + "\n")
    (out / "learning.json").write_text(json.dumps({
        "producer_gain": gain, "broker_saving": saving, "seeds": args.seeds,
        "producer_profit": {"baseline": base_p.tolist(), "ppo": ppo_p.tolist()},
        "balancing_cost": {"baseline": base_c.tolist(), "ppo": ppo_c.tolist()},
        "decomposition": decomposition,
        "training_s": timings, "evaluation_s": eval_s, "curve": str(curve) if curve else None,
    }, indent=1))  # fmt: skip
    return 1 if args.strict and not (producer_pays and broker_pays) else 0


if __name__ == "__main__":
    sys.exit(main())
