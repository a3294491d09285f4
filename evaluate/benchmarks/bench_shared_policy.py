"""One network for every prosumer of a community, against the self-consumption rule.

Issue 19, item 4: parameter sharing across many agents. A ``community`` scenario of
``--prosumers`` household assets (:func:`elecbay_env.community.community_scenario`,
rooftop solar on the GB 2024 solar capacity factor) trains **one** PPO network for all
its prosumers (:mod:`elecbay_train.shared_policy`: role indicator and per-prosumer
features in the observation, a residual on each prosumer's rule) on days of the
``train`` split. Then two line-ups play the same held-out ``test``-split days:

* **rules**: home batteries on the self-consumption rule, every other prosumer on the
  truthful merit-order bid (the network's zero action);
* **learned**: the shared network in every learning seat.

Two networks are trained (:data:`EXPERIMENTS`): one for every prosumer, and one for
the home batteries and rooftop solar only (the loads keep their truthful bids).

Market ``e`` of a line-up is seeded ``TEST_SEED0 + e`` and so draws the same date and
the same forecast errors in both: each difference is paired by seed and day, a mean
with a 95 % BCa bootstrap interval (scipy). Writes ``results.json`` and ``results.md``
into ``--out``; ``--doc FILE`` replaces the block between
``<!-- shared-policy:begin -->`` and ``<!-- shared-policy:end -->`` in FILE, and
``--json FILE`` copies the figures there (the committed copy
``docs/results/shared_policy.json`` is what a test re-renders and compares with
``docs/training.md``).

Usage: ``python evaluate/benchmarks/bench_shared_policy.py [--quick] [--out DIR]
[--prosumers N] [--steps N] [--n-markets E] [--test-days N] [--residual-scale X]
[--doc FILE] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.bench_gb2024_learning import _f, _row, paired

from elecbay_env.ledger import COMPONENTS

TRAIN_SEED, TEST_SEED0 = 1, 300_000  # training markets are seeded below 10,000
BEGIN, END = "<!-- shared-policy:begin -->", "<!-- shared-policy:end -->"
KIND_LABELS = {"battery": "home batteries", "solar": "rooftop solar", "home": "household loads",
               "ev": "EVs", "heat_pump": "heat pumps"}  # fmt: skip


EXPERIMENTS = {
    "all prosumers": ("home", "solar", "battery", "ev", "heat_pump"),
    "batteries and solar": ("battery", "solar"),
}
"""Label -> the kinds that learn (one network each); the other prosumers play their rule."""


def experiment(scenario: Any, kinds: Sequence[str], args: argparse.Namespace) -> dict[str, Any]:
    """Train one network for ``kinds``, then play both line-ups on the test days."""
    from elecbay_train.shared_policy import (
        SharedProsumerEnv,
        play_day,
        prosumer_kinds,
        train_shared,
    )

    t0 = time.perf_counter()
    model = train_shared(scenario, args.steps, args.n_markets, TRAIN_SEED, kinds,
                         args.residual_scale, split="train")  # fmt: skip
    train_s = time.perf_counter() - t0
    env = SharedProsumerEnv(scenario, args.test_days, 0, kinds, args.residual_scale, split="test")
    rules = play_day(env, None, TEST_SEED0)
    learned = play_day(env, model, TEST_SEED0)
    assert rules["dates"] == learned["dates"], "line-ups must share seeds and dates"
    by_kind = {}
    for kind in dict.fromkeys(env.kinds):
        cols = [i for i, k in enumerate(env.kinds) if k == kind]
        by_kind[kind] = {
            "seats": len(cols),
            "profit": paired(rules["profit"][:, cols].sum(1), learned["profit"][:, cols].sum(1)),
            "components": {  # where the difference comes from: mean over days, both line-ups
                name: [float(x["ledger"][:, cols, c].sum(1).mean()) for x in (rules, learned)]
                for c, name in enumerate(COMPONENTS)
                if np.any(rules["ledger"][:, cols, c]) or np.any(learned["ledger"][:, cols, c])
            },
        }
    horizon = int(env.core.engine.n_periods)
    agents = env.core.agents
    others = [agents.index(a) for a in prosumer_kinds(scenario) if a not in env.seats]
    prosumers = [agents.index(a) for a in prosumer_kinds(scenario)]
    rows = rules["row_profit"], learned["row_profit"]
    return {
        "kinds": list(kinds), "seats": env.n_seats, "features": list(env.feature_names),
        "samples": int(-(-args.steps // horizon) * horizon * args.n_markets * env.n_seats),
        "train_s": train_s, "test_dates": rules["dates"],
        "total": paired(rules["profit"].sum(1), learned["profit"].sum(1)), "by_kind": by_kind,
        "price": paired(rules["price"], learned["price"]),
        "others": paired(*(r[:, others].sum(1) for r in rows)) if others else None,
        "n_others": len(others),
        "community": paired(*(r[:, prosumers].sum(1) for r in rows)),
        "n_prosumers": len(prosumers),
    }  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every experiment of :data:`EXPERIMENTS`; returns the figures."""
    from elecbay_env.community import community_scenario

    scenario = community_scenario(args.prosumers, seed=0)
    t0 = time.perf_counter()
    exps = {label: experiment(scenario, kinds, args) for label, kinds in EXPERIMENTS.items()}
    dates = [e["test_dates"] for e in exps.values()]
    assert all(d == dates[0] for d in dates), "experiments must share the test days"
    return {
        "scenario": scenario.name, "prosumers": args.prosumers, "quick": bool(args.quick),
        "residual_scale": args.residual_scale, "test_dates": dates[0],
        "steps": {"train": args.steps, "n_markets": args.n_markets, "test_days": args.test_days},
        "experiments": exps, "elapsed_s": time.perf_counter() - t0,
    }  # fmt: skip


def render(res: Mapping[str, Any]) -> str:
    """The results as Markdown (what ``--doc`` puts between the markers)."""
    st = res["steps"]
    head = ("| prosumers' profit (currency per day) | rules (A) | learned (B) | B - A "
            "| 95% CI | days B > A | CI excludes 0 |\n"
            "| --- | --- | --- | --- | --- | --- | --- |")  # fmt: skip
    lines = [
        f"`{res['scenario']}` ({res['prosumers']} prosumers, one-day episodes). Each network "
        f"trains with PPO on {st['train']:,} market-periods of {st['n_markets']} markets at "
        f"once on `train`-split days (residual scale {res['residual_scale']}); then the rules "
        f"(A) and the network (B) play the same {st['test_days']} `test`-split days (dates "
        f"{min(res['test_dates'])} to {max(res['test_dates'])}), paired by seed and day. "
        "Rules: home batteries self-consumption, every other prosumer the truthful bid.",
    ]
    for label, ex in res["experiments"].items():
        kinds = ", ".join(KIND_LABELS[k] for k in ex["kinds"])
        lines += [
            "",
            f"**One network for {label}** ({ex['seats']} seats: {kinds}; "
            f"{len(ex['features'])} features each; {ex['samples']:,} samples, "
            f"{ex['train_s'] / 60:.1f} minutes on a shared 2-core machine):",
            "",
            head,
            *(
                _row(f"{KIND_LABELS[k]} ({v['seats']})", v["profit"])
                for k, v in ex["by_kind"].items()
            ),
            _row(f"all {ex['seats']} learning seats", ex["total"]),
            *(
                [_row(f"the other {ex['n_others']} prosumers (rules in both)", ex["others"])]
                if ex["others"] is not None
                else []
            ),
            _row(f"every prosumer ({ex['n_prosumers']})", ex["community"]),
            "",
            f"Mean clearing price (currency per MWh): rules {_f(ex['price']['a'])}, learned "
            f"{_f(ex['price']['b'])} (B - A {_f(ex['price']['diff'])}, 95% CI "
            f"[{_f(ex['price']['low'])}, {_f(ex['price']['high'])}]). Home batteries' "
            "settlement by component (currency per day, rules -> learned): "
            + "; ".join(
                f"{name} {_f(a)} -> {_f(b)}"
                for name, (a, b) in ex["by_kind"]["battery"]["components"].items()
            )
            + ".",
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
    p.add_argument("--out", default="runs/shared-policy")
    p.add_argument("--prosumers", type=int, default=50)
    p.add_argument("--steps", type=int, default=4800, help="market-periods per market")
    p.add_argument("--n-markets", type=int, default=8)
    p.add_argument("--test-days", type=int, default=32)
    p.add_argument("--residual-scale", type=float, default=0.5)
    p.add_argument("--quick", action="store_true", help="tiny budgets: shows it runs")
    p.add_argument("--doc", type=Path, help="write the results into this page's marked block")
    p.add_argument("--json", type=Path, help="copy results.json here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.prosumers, args.steps, args.n_markets, args.test_days = 20, 48, 2, 3
    for name in ("prosumers", "steps", "n_markets", "test_days"):
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
