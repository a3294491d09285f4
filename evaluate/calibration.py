"""Calibration of the ``gb2024`` scenario against real 2024 prices; writes docs/calibration.md.

Every day of a split is played once (one market per day, all in one batch) by the
baseline line-up (truthful merit-order traders, the rule-based broker), and the forward
clearing price is compared, period by period, with the market index price of the same
half-hour (``mid_price_gbp_per_mwh``)::

    python -m elecbay_evaluate.calibration            # report on the test weeks, write the page
    python -m elecbay_evaluate.calibration --fit      # fit the monthly gas index on train weeks
    python -m elecbay_evaluate.calibration --check    # exit 1 when a target is missed

The monthly gas index of ``configs/gb2024.yaml`` (``data.price_index``) is the only fitted
figure: :func:`fit_index` scales each month's factor by the ratio of the real to the
simulated mean price over that month's **train** days, a few times over. The report uses
the **test** days only. Targets (issue 12): mean absolute error <= 15 GBP/MWh and
correlation >= 0.6 on the test weeks; imbalance price at or above 500 GBP/MWh in well
under 1 % of periods.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from elecbay_env.config import load_scenario
from elecbay_env.datasets import load_dataset
from elecbay_env.engine import Engine
from elecbay_env.envs.codecs import Codec
from elecbay_env.envs.observations import observe, row_bounds
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.splits import split_days

# the scenario and the targets of issue 12 live with the page that states them
from .calibration_page import (
    CORR_TARGET,
    HIGH_IMBALANCE,
    HIGH_SHARE_TARGET,
    MAE_TARGET,
    SCENARIO,
    render_page,
)

FIT_ITERATIONS = 3


def with_index(factors: Sequence[float] | None, scenario: str = SCENARIO) -> Any:
    """The scenario, with the monthly gas index replaced by ``factors`` (12) if given."""
    if factors is None:
        return load_scenario(scenario)
    index = [{"name": "gas", "monthly": [float(f) for f in factors]}]
    return load_scenario(scenario, **{"data.price_index": index})


def play_days(scenario: Any, split: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Play every day of ``split`` once with the baseline line-up, one market per day.

    Returns:
        ``dates`` (D,) ``datetime64[D]``; ``price``, ``imbalance_price``, ``mid``
        (D, 48) GBP/MWh (``price`` NaN where nothing traded); ``unserved_mwh`` (D, 48).
    """
    from elecbay_agents.batched import batched_actions
    from elecbay_agents.registry import make_policies

    template = ElecbayParallelEnv(scenario)
    ds = load_dataset(template.scenario.data.csv, template.scenario.data.time_column)
    days = split_days(ds, split)
    agents = list(template.possible_agents)
    engine = Engine(template.scenario, n_markets=len(days), keep_ledger=False, validate=False)
    params, state = engine.params, engine.state
    tc = template.codec
    codec = Codec(params, price_range=tc.price_range, avail_hi=tc.avail_hi)
    bounds = row_bounds(params)
    policies = make_policies(template, None, seed=seed)
    widths = {a: template.observation_space(a).shape[0] for a in agents}
    engine.reset(seed=seed, dates=[str(d) for d in days])
    n, e = engine.n_periods, len(days)
    out_arrays = {k: np.zeros((e, n)) for k in ("price", "imbalance_price", "unserved_mwh")}
    pol_state: dict[str, Any] = dict.fromkeys(agents)
    for t in range(n):
        obs = observe(params, state, bounds)
        actions = batched_actions(policies, agents, obs, widths, pol_state, t == 0, codec.width)
        out = engine.step(codec.decode(actions))
        out_arrays["price"][:, t] = np.where(out.volume_mw > 0.0, out.price, np.nan)
        out_arrays["imbalance_price"][:, t] = out.imbalance_price
        out_arrays["unserved_mwh"][:, t] = out.unserved_mwh
    mid = ds.column("mid_price_gbp_per_mwh")
    rows = engine.state.start[:, None] + np.arange(n)[None, :]
    return {"dates": engine.dates, "mid": mid[rows], **out_arrays}


def fit_index(
    iterations: int = FIT_ITERATIONS, seed: int = 0, scenario: str = SCENARIO
) -> list[float]:
    """Monthly gas-index factors fitted on the **train** days only (12, January first).

    Each iteration plays every train day and multiplies month ``m``'s factor by
    ``mean(real price) / mean(simulated price)`` over the train days of month ``m``.
    """
    factors = np.ones(12)
    for _ in range(iterations):
        sim = play_days(with_index(factors, scenario), "train", seed)
        month = np.array([int(str(d)[5:7]) - 1 for d in sim["dates"]])
        for m in range(12):
            sel = month == m
            if sel.any():
                real = float(sim["mid"][sel].mean())
                model = float(np.nanmean(sim["price"][sel]))
                factors[m] *= real / model
    return [round(float(f), 3) for f in factors]


def figures(sim: dict[str, np.ndarray]) -> dict[str, Any]:
    """Error, correlation and imbalance-price figures of a played split."""
    price, mid, imb = sim["price"], sim["mid"], sim["imbalance_price"]
    ok = np.isfinite(price)
    err = price[ok] - mid[ok]
    fwd = np.where(ok, price, np.nan)
    return {
        "days": int(price.shape[0]),
        "periods": int(price.size),
        "periods_traded": int(ok.sum()),
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "bias": float(err.mean()),
        "corr": float(np.corrcoef(price[ok], mid[ok])[0, 1]),
        "mean_model": float(price[ok].mean()),
        "mean_real": float(mid.mean()),
        "daily_corr": float(np.corrcoef(np.nanmean(price, axis=1), mid.mean(axis=1))[0, 1]),
        "imbalance_share_ge_500": float((imb >= HIGH_IMBALANCE).mean()),
        "imbalance_share_le_0": float((imb <= 0.0).mean()),
        "imbalance_median_distance": float(np.nanmedian(np.abs(imb - fwd))),
        "unserved_mwh": float(sim["unserved_mwh"].sum()),
    }


def targets_met(fig: dict[str, Any]) -> dict[str, bool]:
    """Each target of issue 12, met or not."""
    return {
        f"mean absolute error <= {MAE_TARGET:g}": fig["mae"] <= MAE_TARGET,
        f"correlation >= {CORR_TARGET:g}": fig["corr"] >= CORR_TARGET,
        f"imbalance price >= 500 in under {HIGH_SHARE_TARGET:.0%} of periods": fig[
            "imbalance_share_ge_500"
        ]
        < HIGH_SHARE_TARGET,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m elecbay_evaluate.calibration", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--fit", action="store_true", help="fit the gas index on train days")
    parser.add_argument("--split", default="test", help="split to report on (default: test)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (default: 0)")
    parser.add_argument("--page", default=None, help="write the markdown page here")
    parser.add_argument("--img", default="docs/img", help="folder of the page's plots")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.fit:
        factors = fit_index(seed=args.seed)
        print("monthly: [" + ", ".join(f"{f:g}" for f in factors) + "]")
        return 0
    sim = play_days(with_index(None), args.split, args.seed)
    fig = figures(sim)
    text = render_page(sim, fig, split=args.split, seed=args.seed, img=args.img)
    if args.page:
        Path(args.page).write_text(text, encoding="utf-8")
        print(f"wrote {args.page}")
    else:
        print(text)
    met = targets_met(fig)
    return 1 if args.check and not all(met.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
