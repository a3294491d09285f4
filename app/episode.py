"""One episode of ``elecbay run``: play it, record it, summarise it, plot and write it.

:func:`build_env` makes the parallel environment of a scenario; :func:`simulate` plays one
episode with chosen policies (by default the baselines) and records every period in an
:class:`Episode` (T periods, N agents); :func:`summarise` and :func:`format_summary` give
the headline numbers; :func:`write_outputs` writes :data:`RUN_FILES`, the plot included
(:func:`plot_market`). Money in the scenario's currency, energies in MWh, powers in MW.
Re-exported from :mod:`elecbay_app.cli`.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from elecbay_env.ledger import round_price
from elecbay_env.roles import asset_names

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "RUN_FILES",
    "Episode",
    "build_env",
    "format_summary",
    "plot_market",
    "simulate",
    "summarise",
    "write_outputs",
]

DEFAULT_DAYS = 3
DEFAULT_SEED = 0
RUN_FILES = (
    "statements.csv",
    "statements.parquet",
    "statements.json",
    "meter_reads.csv",
    "meter_reads.parquet",
    "periods.csv",
    "summary.json",
    "market.png",
)
"""What ``elecbay run`` writes into its output folder."""


@dataclass
class Episode:
    """What one run of ``elecbay run`` recorded, period by period (T periods, N agents)."""

    env: Any  # the ElecbayParallelEnv (its ledger holds every statement and meter read)
    policies: dict[str, Any]
    seed: int
    elapsed_s: float
    price: np.ndarray  # (T,) clearing price, NaN where nothing traded (currency/MWh)
    volume_mw: np.ndarray  # (T,) traded volume (MW held over the period)
    imbalance_price: np.ndarray  # (T,) currency/MWh
    niv_mwh: np.ndarray  # (T,) net imbalance volume, + short
    unserved_mwh: np.ndarray  # (T,)
    curtailed_mwh: np.ndarray  # (T,)
    activated_up_mwh: np.ndarray  # (T,)
    activated_down_mwh: np.ndarray  # (T,)
    requirement_mw: np.ndarray  # (T, 2) broker's reserve requirement [up, down]
    reserved_mw: np.ndarray  # (T, 2) reserve procured [up, down]
    imbalance_mwh: np.ndarray  # (T, N) each party's imbalance
    imbalance_cash: np.ndarray  # (T, N) each party's imbalance settlement (+ received)
    reward: np.ndarray  # (T, N)
    step_price: np.ndarray  # (T, N, B) every forward step's price
    step_qty: np.ndarray  # (T, N, B) every forward step's MW (+ sell, - buy)


def build_env(
    config: str | None = "default", days: int = DEFAULT_DAYS, split: str | None = None
) -> Any:
    """The parallel environment of ``config`` (a shipped name or a YAML path) for ``days``;
    ``split`` chooses the split of a real-data scenario's dates.

    Raises:
        ScenarioError: the scenario cannot be loaded with ``days``.
        ValueError: a split the scenario cannot take.
    """
    from elecbay_env.envs.parallel import parallel_env

    return parallel_env(config, split=split, **{"market.days": days})


def simulate(
    env: Any,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    spec: Any = None,
    date: str | None = None,
) -> Episode:
    """Play one episode of ``env``; by default with the baseline policies.

    Args:
        env: an :class:`~elecbay_env.envs.parallel.ElecbayParallelEnv` (:func:`build_env`).
        seed: seed of the market's random generator (>= 0).
        date: for a real-data scenario, the episode's first day (None: drawn by the seed).
        progress: show a tqdm progress bar over periods on stderr.
        spec: policies, as :func:`elecbay_agents.registry.make_policies` takes them (None:
            truthful merit order for producers and consumers, the rule-based broker).
    """
    from elecbay_agents.registry import make_policies
    from tqdm import tqdm

    from elecbay_env.kernels.ledger_codes import IMBALANCE
    from elecbay_env.period import announce_compile

    # a cold kernel cache compiles on the first call (reset and the first period): say so,
    # and start the bar after the first period so that its rate and ETA are honest
    announce_compile(env.engine.params.n_markets)
    start = time.perf_counter()
    policies = make_policies(env, spec, seed=seed)
    obs, _ = env.reset(seed=seed, options=None if date is None else {"date": date})
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    n, t_max = len(env.possible_agents), env.num_periods
    b = env.codec.bid_steps
    rec = {
        name: np.zeros(shape)
        for name, shape in {
            "price": (t_max,), "volume_mw": (t_max,), "imbalance_price": (t_max,),
            "niv_mwh": (t_max,), "unserved_mwh": (t_max,), "curtailed_mwh": (t_max,),
            "activated_up_mwh": (t_max,), "activated_down_mwh": (t_max,),
            "requirement_mw": (t_max, 2), "reserved_mw": (t_max, 2),
            "imbalance_mwh": (t_max, n), "imbalance_cash": (t_max, n), "reward": (t_max, n),
            "step_price": (t_max, n, b), "step_qty": (t_max, n, b),
        }.items()
    }  # fmt: skip

    def play(t: int) -> None:
        nonlocal obs
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=t == 0
            )
        obs, _rewards, _term, _trunc, _infos = env.step(actions)
        out, orders = env.last_outcome, env.last_orders
        for name in ("price", "volume_mw", "imbalance_price", "niv_mwh", "unserved_mwh",
                     "curtailed_mwh", "activated_up_mwh", "activated_down_mwh"):  # fmt: skip
            rec[name][t] = getattr(out, name)[0]
        rec["requirement_mw"][t] = orders.req_mw[0]
        rec["reserved_mw"][t] = out.reserved_mw[0].sum(axis=0)
        rec["imbalance_mwh"][t] = out.imbalance_mwh[0]
        rec["imbalance_cash"][t] = out.ledger_amount[0, :, IMBALANCE]
        rec["reward"][t] = out.reward[0]
        rec["step_price"][t] = orders.step_price[0]
        rec["step_qty"][t] = orders.step_qty[0]

    play(0)
    with tqdm(total=t_max, initial=1, desc="periods", unit="period", disable=not progress,
              file=sys.stderr, dynamic_ncols=True) as bar:  # fmt: skip
        for t in range(1, t_max):
            play(t)
            bar.update(1)
    return Episode(env=env, policies=policies, seed=seed,
                   elapsed_s=time.perf_counter() - start, **rec)  # fmt: skip


def summarise(ep: Episode) -> dict[str, Any]:
    """The run's headline numbers (JSON-ready; money in the scenario's currency)."""
    env = ep.env
    period_h = env.engine.params.period_h
    agents = env.possible_agents
    broker = agents.index("broker_0")
    parties = [i for i in range(len(agents)) if i != broker]
    traded = ep.volume_mw > 0
    vol_mwh = ep.volume_mw * period_h
    profit = ep.reward.sum(axis=0)
    return {
        "scenario": env.scenario.name,
        "days": env.scenario.market.days,
        "seed": ep.seed,
        "periods": int(env.num_periods),
        "period_min": int(env.engine.params.period_min),
        "policies": {a: repr(p) for a, p in ep.policies.items()},
        "periods_traded": int(traded.sum()),
        "mean_clearing_price_per_mwh": float(ep.price[traded].mean()) if traded.any() else None,
        "volume_weighted_price_per_mwh": (
            float((ep.price[traded] * vol_mwh[traded]).sum() / vol_mwh[traded].sum())
            if traded.any()
            else None
        ),
        "max_clearing_price_per_mwh": float(ep.price[traded].max()) if traded.any() else None,
        "traded_volume_mwh": float(vol_mwh.sum()),
        "imbalance_volume_mwh": float(np.abs(ep.niv_mwh).sum()),
        "gross_party_imbalance_mwh": float(np.abs(ep.imbalance_mwh[:, parties]).sum()),
        "imbalance_cost": float(-ep.imbalance_cash[:, parties].sum()),
        "mean_imbalance_price_per_mwh": float(ep.imbalance_price.mean()),
        "unserved_energy_mwh": float(ep.unserved_mwh.sum()),
        "periods_with_unserved_energy": int((ep.unserved_mwh > 1e-9).sum()),
        "curtailed_energy_mwh": float(ep.curtailed_mwh.sum()),
        "reserve_requirement_up_mw_mean": float(ep.requirement_mw[:, 0].mean()),
        "reserve_procured_up_mw_mean": float(ep.reserved_mw[:, 0].mean()),
        "reserve_activated_up_mwh": float(ep.activated_up_mwh.sum()),
        "reserve_activated_down_mwh": float(ep.activated_down_mwh.sum()),
        "welfare": float(ep.reward.sum()),
        "profit": {a: float(profit[i]) for i, a in enumerate(agents)},
        "asset": asset_names(env.scenario),
        "elapsed_s": round(ep.elapsed_s, 3),
    }


def _num(x: float | None, places: int = 2) -> str:
    return "-" if x is None else f"{x:,.{places}f}"


def format_summary(s: dict[str, Any]) -> str:
    """The summary table ``elecbay run`` prints."""
    rows = [
        ("periods traded", f"{s['periods_traded']} of {s['periods']}", ""),
        ("mean clearing price", _num(s["mean_clearing_price_per_mwh"]), "per MWh"),
        ("volume-weighted price", _num(s["volume_weighted_price_per_mwh"]), "per MWh"),
        ("highest clearing price", _num(s["max_clearing_price_per_mwh"]), "per MWh"),
        ("traded volume", _num(s["traded_volume_mwh"], 1), "MWh"),
        ("imbalance volume (sum |NIV|)", _num(s["imbalance_volume_mwh"], 1), "MWh"),
        ("imbalance cost (paid by parties)", _num(s["imbalance_cost"]), ""),
        ("unserved energy", _num(s["unserved_energy_mwh"], 1),
         f"MWh ({s['periods_with_unserved_energy']} periods)"),
        ("curtailed energy", _num(s["curtailed_energy_mwh"], 1), "MWh"),
        ("reserve up: required / procured", f"{s['reserve_requirement_up_mw_mean']:,.1f} / "
         f"{s['reserve_procured_up_mw_mean']:,.1f}", "MW, mean"),
        ("welfare (sum of rewards)", _num(s["welfare"]), ""),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    lines = ["summary"]
    lines += [f"  {k:<{width}}  {v:>{vwidth}}  {u}".rstrip() for k, v, u in rows]
    lines.append("profit per agent (sum of rewards)")
    names = s["asset"]
    awidth = max(len(a) for a in s["profit"])
    nwidth = max(len(x) for x in names.values())
    for agent, value in s["profit"].items():
        lines.append(f"  {agent:<{awidth}}  {names[agent]:<{nwidth}}  {_num(value):>18}")
    return "\n".join(lines)


_PRICE_TICKS = (-1000.0, -100.0, 0.0, 25.0, 50.0, 75.0, 100.0, 250.0, 1000.0, 4000.0)


def _price_axis(ax: Any) -> None:
    """Linear up to 100 per MWh, logarithmic beyond (prices span the floor to the cap)."""
    ax.set_yscale("symlog", linthresh=100.0, linscale=2.0)
    lo, hi = ax.get_ylim()
    ax.set_yticks([t for t in _PRICE_TICKS if lo <= t <= hi])
    ax.set_yticklabels([f"{t:g}" for t in _PRICE_TICKS if lo <= t <= hi])


def plot_market(ep: Episode, path: Path, period: int) -> Path:
    """``market.png``: prices and volumes per period, and one period's supply and demand
    curves with the clearing point (:func:`elecbay_env.envs.render.plot_period`)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from elecbay_env.envs.render import plot_period

    period_h = ep.env.engine.params.period_h
    t = np.arange(len(ep.price))
    fig = Figure(figsize=(12, 7.5), dpi=100)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.6, 1.0))
    ax_p = fig.add_subplot(grid[0, 0])
    ax_v = fig.add_subplot(grid[1, 0], sharex=ax_p)
    ax_c = fig.add_subplot(grid[:, 1])
    ax_p.step(t, ep.price, where="mid", lw=1.2, label="clearing price")
    ax_p.plot(t, ep.imbalance_price, ".", ms=3, color="tab:red", alpha=0.6,
              label="imbalance price")  # fmt: skip
    _price_axis(ax_p)
    ax_p.set_ylabel("per MWh (log scale above 100)")
    ax_p.axvline(period, color="grey", lw=0.8, ls="--")
    ax_p.legend(fontsize=8, ncol=2, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False)
    fig.suptitle(f"elecbay run: scenario {ep.env.scenario.name!r}, seed {ep.seed}", fontsize=11)
    ax_v.bar(t, ep.volume_mw * period_h, width=1.0, color="tab:blue", alpha=0.6,
             label="traded volume")  # fmt: skip
    ax_v.bar(t, ep.unserved_mwh, width=1.0, color="tab:red", label="unserved energy")
    ax_v.plot(t, ep.niv_mwh, lw=0.8, color="k", label="net imbalance (+ short)")
    ax_v.axvline(period, color="grey", lw=0.8, ls="--")
    ax_v.set_xlabel("settlement period")
    ax_v.set_ylabel("MWh per period")
    ax_v.legend(fontsize=8, ncol=3, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False)
    plot_period(ax_c, ep.step_price[period], ep.step_qty[period], float(ep.price[period]),
                float(ep.volume_mw[period]))  # fmt: skip
    _price_axis(ax_c)
    ax_c.set_title(f"period {period}: supply and demand", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_outputs(ep: Episode, summary: dict[str, Any], out: Path, plot_period: int) -> list[Path]:
    """Write :data:`RUN_FILES` into ``out`` (created if missing); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    ledger = ep.env.engine.ledger
    written = [ledger.export(out / f"statements{sfx}") for sfx in (".csv", ".parquet", ".json")]
    written += [ledger.export(out / f"meter_reads{sfx}", what="meters")
                for sfx in (".csv", ".parquet")]  # fmt: skip
    columns = {
        "period": np.arange(len(ep.price)), "clearing_price": ep.price,
        "volume_mwh": ep.volume_mw * ep.env.engine.params.period_h,
        "imbalance_price": ep.imbalance_price, "niv_mwh": ep.niv_mwh,
        "unserved_mwh": ep.unserved_mwh, "curtailed_mwh": ep.curtailed_mwh,
        "reserve_required_up_mw": ep.requirement_mw[:, 0],
        "reserve_procured_up_mw": ep.reserved_mw[:, 0], "welfare": ep.reward.sum(axis=1),
    }  # fmt: skip
    lines = [",".join(columns)]
    for t in range(len(ep.price)):
        values = (v[t].item() for v in columns.values())
        lines.append(",".join("" if v != v else repr(round_price(v) if isinstance(v, float)
                                                       else v) for v in values))  # fmt: skip
    periods = out / "periods.csv"
    periods.write_text("\n".join(lines) + "\n")
    written.append(periods)
    path = out / "summary.json"
    path.write_text(json.dumps({**summary, "plot_period": plot_period,
                                "files": list(RUN_FILES)}, indent=1) + "\n")  # fmt: skip
    written.append(path)
    written.append(plot_market(ep, out / "market.png", plot_period))
    return written
