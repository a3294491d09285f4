"""Learning results on the ``gb2024`` test split (issue 13, item 5), paired by seed and date.

Three questions, each answered on test-split dates that training and tuning never saw
(the split is by ISO week, ``elecbay_env.splits``; a seed draws the same date in every
line-up, so line-ups are paired by seed and date):

1. **A PPO producer against the best tuned heuristic in the same seat.** The heuristic
   (``markup:M,W``: merit-order offers marked up by M, a fraction W withheld) is tuned
   by a grid search on the *validation* split; PPO trains on the *train* split against
   the baseline opponents; both then play the test split.
2. **All roles learning together** (``elecbay_train.multi_train``, self-play) against
   all-baseline play: price, welfare, markup over the truthful book, HHI.
3. **Exploitability**: a PPO best response for the seat, trained against the learned
   profile, replaces the learned policy in that seat; its gain is the exploitability.

Every difference is a seed-paired mean with a 95 % BCa bootstrap interval (scipy).
Writes ``results.json`` and ``results.md`` into ``--out``; ``--doc FILE`` replaces the
block between ``<!-- gb2024-learning:begin -->`` and ``<!-- gb2024-learning:end -->``
in FILE with the rendered results, and ``--json FILE`` copies the figures there (the
committed copy ``docs/results/gb2024_learning.json`` is what a test re-renders and
compares with ``docs/training.md``).

Usage: ``python evaluate/benchmarks/bench_gb2024_learning.py [--quick] [--out DIR]
[--seat producer_4] [--producer-steps N] [--marl-steps N] [--br-steps N]
[--val-seeds N] [--test-seeds N] [--workers N] [--doc FILE] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SCENARIO = "gb2024"
MARKUPS = (0.0, 0.1, 0.2, 0.35, 0.5)
WITHHOLDS = (0.0, 0.25, 0.5)
VAL_SEED0, TEST_SEED0 = 200_000, 300_000  # training seeds are below 10,000
BEGIN, END = "<!-- gb2024-learning:begin -->", "<!-- gb2024-learning:end -->"
MARKET = {  # label -> episode metric
    "mean clearing price (per MWh)": "price_mean",
    "welfare (currency per market-day)": "welfare",
    "markup over the truthful book (per MWh)": "markup_mean_per_mwh",
    "HHI of producers' metered energy": "hhi_mean",
    "Lerner index": "lerner_mean",
}


def paired(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """``b - a`` paired: mean, 95 % BCa interval, and seeds where ``b`` is above ``a``."""
    from scipy.stats import bootstrap

    d = np.asarray(b, float) - np.asarray(a, float)
    if d.size < 3 or np.ptp(d) == 0.0:
        lo = hi = float(d.mean()) if d.size else float("nan")
    else:
        ci = bootstrap((d,), np.mean, confidence_level=0.95, method="BCa", n_resamples=4000,
                       random_state=np.random.default_rng(0)).confidence_interval  # fmt: skip
        lo, hi = float(ci.low), float(ci.high)
    return {"a": float(np.mean(a)), "b": float(np.mean(b)), "diff": float(d.mean()),
            "low": lo, "high": hi, "b_above": int((d > 0).sum()), "n": int(d.size)}  # fmt: skip


def play(entries: Mapping[str, Mapping[str, str]], split: str, seed0: int, n: int,
         workers: int) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Every entry on ``n`` seeds from ``seed0`` of ``split``; episodes by entry, by seed."""
    from elecbay_evaluate.tournament import run_tournament

    spec = {"name": f"gb2024-{split}",
            "scenarios": [{"name": SCENARIO, "overrides": {"data.split": split, "market.days": 1}}],
            "seeds": list(range(seed0, seed0 + n)),
            "entries": [{"name": k, "policies": dict(v)} for k, v in entries.items()]}  # fmt: skip
    result = run_tournament(spec, workers=workers, progress=False)
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in entries}
    for e in sorted(result.episodes, key=lambda e: e["seed"]):
        out[e["entry"]].append(e)
    return out


def _profit(eps: list[dict[str, Any]], seat: str) -> list[float]:
    return [float(e["profit"][seat]) for e in eps]


def _metric(eps: list[dict[str, Any]], name: str) -> list[float]:
    return [float(e[name]) for e in eps]


def _dates(eps: list[dict[str, Any]]) -> list[str]:
    return [str(e["date"]) for e in eps]


def tune(seat: str, n: int, workers: int) -> dict[str, Any]:
    """Grid search of ``markup:M,W`` for ``seat`` on the validation split (mean profit)."""
    entries = {f"markup:{m},{w}": {seat: f"markup:{m},{w}"} for m in MARKUPS for w in WITHHOLDS}
    eps = play(entries, "validation", VAL_SEED0, n, workers)
    means = {k: float(np.mean(_profit(v, seat))) for k, v in eps.items()}
    best = max(means, key=lambda k: (means[k], k == "markup:0.0,0.0"))
    return {"grid": means, "best": best, "seeds": n}


def _train_seat(seat: str, steps: int, out: Path, seed: int, n_markets: int,
                opponents: dict[str, str] | None = None) -> tuple[str, float]:  # fmt: skip
    from elecbay_train.train import train

    start = time.perf_counter()
    train(SCENARIO, [seat], opponents, "ppo", steps, seed, n_markets, out, reward_mode="learning",
          overrides={"data.split": "train", "market.days": 1})  # fmt: skip
    return f"sb3:{out}", time.perf_counter() - start


def _train_all(steps: int, out: Path, seed: int, n_markets: int) -> tuple[dict[str, str], float]:
    from elecbay_train.multi_train import train_multi

    start = time.perf_counter()
    train_multi(SCENARIO, "all", None, steps, seed, n_markets, out, verbose=0,
                overrides={"data.split": "train", "market.days": 1})  # fmt: skip
    roles = ("producer", "consumer", "broker")
    return {r: f"sb3:{out / r}" for r in roles}, time.perf_counter() - start


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The three experiments; returns the figures written to ``results.json``."""
    out, seat, w = Path(args.out), args.seat, args.workers
    res: dict[str, Any] = {"scenario": SCENARIO, "seat": seat, "quick": bool(args.quick)}
    t0 = time.perf_counter()
    res["tuning"] = tune(seat, args.val_seeds, w)
    best = res["tuning"]["best"]
    ppo, res["producer_train_s"] = _train_seat(seat, args.producer_steps, out / "ppo_producer",
                                               1, args.n_markets)  # fmt: skip
    learned, res["marl_train_s"] = _train_all(args.marl_steps, out / "marl", 2, args.n_markets)
    br, res["br_train_s"] = _train_seat(seat, args.br_steps, out / "best_response", 3,
                                        args.n_markets, opponents=dict(learned))  # fmt: skip
    entries = {"baseline": {}, "tuned": {seat: best}, "ppo": {seat: ppo},
               "learned": dict(learned), "learned+br": {**learned, seat: br}}  # fmt: skip
    eps = play(entries, "test", TEST_SEED0, args.test_seeds, w)
    dates = _dates(eps["baseline"])
    assert all(_dates(v) == dates for v in eps.values()), "line-ups must share seeds and dates"
    res["test_dates"] = dates
    res["seat_asset"] = eps["baseline"][0]["asset"][seat]
    prof = {k: _profit(v, seat) for k, v in eps.items()}
    res["producer"] = {"tuned_vs_baseline": paired(prof["baseline"], prof["tuned"]),
                       "ppo_vs_baseline": paired(prof["baseline"], prof["ppo"]),
                       "ppo_vs_tuned": paired(prof["tuned"], prof["ppo"])}  # fmt: skip
    res["all_roles"] = {label: paired(_metric(eps["baseline"], m), _metric(eps["learned"], m))
                        for label, m in MARKET.items()}  # fmt: skip
    res["exploitability"] = paired(prof["learned"], prof["learned+br"])
    res["steps"] = {"producer": args.producer_steps, "marl": args.marl_steps, "br": args.br_steps,
                    "n_markets": args.n_markets, "test_seeds": args.test_seeds}  # fmt: skip
    res["elapsed_s"] = time.perf_counter() - t0
    return res


def _f(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _row(label: str, p: Mapping[str, float]) -> str:
    excl = "yes" if p["low"] > 0 or p["high"] < 0 else "no"
    ci = f"[{_f(p['low'])}, {_f(p['high'])}]"
    return (f"| {label} | {_f(p['a'])} | {_f(p['b'])} | {_f(p['diff'])} | {ci} | "
            f"{p['b_above']} of {p['n']} | {excl} |")  # fmt: skip


def render(res: Mapping[str, Any]) -> str:
    """The results as Markdown (what ``--doc`` puts between the markers)."""
    seat, st = res["seat"], res["steps"]
    head = ("| comparison | A mean | B mean | B - A | 95% CI | seeds B > A | CI excludes 0 |\n"
            "| --- | --- | --- | --- | --- | --- | --- |")  # fmt: skip
    tun = res["tuning"]
    lines = [
        f"Seat `{seat}` ({res['seat_asset']}), `{res['scenario']}` one-day episodes; "
        f"{st['test_seeds']} test-split seeds (dates {min(res['test_dates'])} to "
        f"{max(res['test_dates'])}); PPO {st['producer']:,} market-periods for the producer, "
        f"{st['marl']:,} for all roles together, {st['br']:,} for the best response "
        f"({st['n_markets']} markets at once).",
        "",
        f"Tuned heuristic (validation split, {tun['seeds']} seeds, grid of "
        f"{len(tun['grid'])} `markup:M,W` settings): best `{tun['best']}` "
        f"(mean profit {_f(tun['grid'][tun['best']])} per day; truthful "
        f"{_f(tun['grid']['markup:0.0,0.0'])}).",
        "",
        "**1. One PPO producer against the tuned heuristic** (profit of the seat, currency "
        "per day):",
        "",
        head,
        _row("tuned heuristic (B) vs merit order (A)", res["producer"]["tuned_vs_baseline"]),
        _row("PPO (B) vs merit order (A)", res["producer"]["ppo_vs_baseline"]),
        _row("PPO (B) vs tuned heuristic (A)", res["producer"]["ppo_vs_tuned"]),
        "",
        "**2. All roles learning together (B) against all-baseline play (A)**:",
        "",
        head,
        *(_row(k, v) for k, v in res["all_roles"].items()),
        "",
        f"**3. Exploitability**: a best response in `{seat}` (B) against the learned "
        "profile, compared with the learned policy in that seat (A), profit per day:",
        "",
        head,
        _row(f"best response vs learned policy in {seat}", res["exploitability"]),
    ]
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, text: str) -> None:
    """Replace the marked block of ``doc`` with ``text``."""
    page = doc.read_text()
    i, j = page.index(BEGIN), page.index(END)
    doc.write_text(page[: i + len(BEGIN)] + "\n" + text + page[j:])


def doc_block(doc: Path) -> str:
    """The text between the markers of ``doc``."""
    page = doc.read_text()
    return page[page.index(BEGIN) + len(BEGIN) + 1 : page.index(END)]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/gb2024-learning")
    p.add_argument("--seat", default="producer_4")
    p.add_argument("--producer-steps", type=int, default=96_000)
    p.add_argument("--marl-steps", type=int, default=96_000)
    p.add_argument("--br-steps", type=int, default=96_000)
    p.add_argument("--n-markets", type=int, default=16)
    p.add_argument("--val-seeds", type=int, default=10)
    p.add_argument("--test-seeds", type=int, default=20)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--quick", action="store_true", help="tiny budgets: shows it runs")
    p.add_argument("--doc", type=Path, help="write the results into this page's marked block")
    p.add_argument("--json", type=Path, help="copy results.json here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.producer_steps = args.marl_steps = args.br_steps = 2 * 48 * 2
        args.n_markets, args.val_seeds, args.test_seeds = 2, 3, 3
    for name in ("producer_steps", "marl_steps", "br_steps", "n_markets", "val_seeds",
                 "test_seeds", "workers"):  # fmt: skip
        if getattr(args, name) < 1:
            print(f"--{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = run(args)
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    text = render(res)
    (out / "results.md").write_text(text)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    if args.doc is not None:
        write_doc(args.doc, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
