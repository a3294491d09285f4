"""(c) Reserve sizing: ``elecbay classroom reserve``.

The rule-based broker's reserve z trades availability cost against balancing-energy and
unserved-energy cost; the same seed meets every z with the same weather and outages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from elecbay_evaluate.classroom.common import (
    Outcome,
    days_text,
    errorbar,
    figure,
    fmt_ci,
    format_table,
    seed_text,
)
from elecbay_evaluate.classroom.episodes import play

RESERVE_Z = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Reserve levels of the rule-based broker, in standard deviations of the forecast error."""


@dataclass
class ReserveResult:
    """The reserve experiment: per z, per seed, costs per day (currency)."""

    scenario: str
    days: int
    seeds: list[int]
    z: list[float]
    voll: float  # value of lost load, currency per MWh
    availability: np.ndarray  # (Z, S) availability payments of the broker per day
    balancing: np.ndarray  # (Z, S) net balancing-energy payments of the broker per day
    unserved_mwh: np.ndarray  # (Z, S) unserved energy per day
    reserved_mw: np.ndarray  # (Z, S) mean up reserve procured

    @property
    def unserved_cost(self) -> np.ndarray:
        """(Z, S) value of lost load x unserved energy, per day."""
        return self.voll * self.unserved_mwh

    @property
    def total(self) -> np.ndarray:
        """(Z, S) availability + balancing energy + unserved-energy cost, per day."""
        return self.availability + self.balancing + self.unserved_cost

    @property
    def best(self) -> int:
        """Index of the z with the lowest mean total cost."""
        return int(np.argmin(self.total.mean(axis=1)))


def run_reserve(
    z: Sequence[float] = RESERVE_Z,
    days: int = 3,
    seeds: Sequence[int] = range(5),
    scenario: str = "default",
) -> ReserveResult:
    """Every z over every seed: merit-order traders, the rule-based broker holding
    exactly ``z x`` the forecast-error std, up and down (its largest-loss and ramping
    parts off: ``RuleBasedBroker(z=Z, largest_loss_frac=0, ramp_frac=0)``), so that z
    alone sizes the reserve.

    The seed fixes the forecast errors and forced outages, so every z meets the same
    weather and the same outages (common random numbers).
    """
    from elecbay_agents.registry import make_policies
    from elecbay_agents.rule_based_broker import RuleBasedBroker

    from elecbay_env.envs.parallel import parallel_env
    from elecbay_env.kernels.ledger_codes import AVAILABILITY, BALANCING

    env = parallel_env(scenario, **{"market.days": days})
    broker = env.possible_agents.index("broker_0")
    seeds = list(seeds)
    shape = (len(z), len(seeds))
    voll = float(env.scenario.market.value_of_lost_load_per_mwh)
    zeros = (np.zeros(shape) for _ in range(4))
    res = ReserveResult(scenario, days, seeds, [float(x) for x in z], voll, *zeros)
    for i, zi in enumerate(res.z):

        def broker_z(e, agent, zi=zi):
            return RuleBasedBroker(e, agent, z=zi, largest_loss_frac=0.0, ramp_frac=0.0)

        policies = make_policies(env, {"broker": broker_z})
        for j, seed in enumerate(seeds):
            ep = play(env, policies, seed)
            res.availability[i, j] = -ep.amount[broker, AVAILABILITY] / days
            res.balancing[i, j] = -ep.amount[broker, BALANCING] / days
            res.unserved_mwh[i, j] = ep.unserved_mwh / days
            res.reserved_mw[i, j] = ep.reserved_up_mw
    return res


def reserve_table(res: ReserveResult) -> str:
    """The printed table of :func:`run_reserve`."""
    head = [
        "Reserve sizing: the rule-based broker holds z x the forecast-error std as reserve",
        f"scenario {res.scenario!r}, {days_text(res.days)}, {seed_text(res.seeds)}; "
        f"costs in thousands per day; VoLL {res.voll:,.0f} per MWh",
        "",
    ]
    rows = []
    for i, z in enumerate(res.z):
        rows.append([
            f"{z:g}", f"{res.reserved_mw[i].mean():,.1f}",
            f"{res.availability[i].mean() / 1e3:,.1f}", f"{res.balancing[i].mean() / 1e3:,.1f}",
            f"{res.unserved_mwh[i].mean():,.1f}", f"{res.unserved_cost[i].mean() / 1e3:,.1f}",
            fmt_ci(res.total[i] / 1e3, 1), "<- min" if i == res.best else "",
        ])  # fmt: skip
    headers = ["z", "reserve MW", "availability", "balancing energy", "unserved MWh",
               "unserved cost", "total", ""]  # fmt: skip
    foot = (
        "reserve MW: mean up reserve procured; availability: paid for reserve held; "
        "balancing energy: paid for activated\nreserve, net of what down activations pay back; "
        "unserved cost = VoLL x unserved MWh; total = the three costs,\n"
        "mean [95 % bootstrap interval over seeds]; other columns: means over seeds"
    )
    per_seed = ", ".join(f"{res.z[i]:g}" for i in np.argmin(res.total, axis=0))
    best = f"lowest total per seed (seeds in order) at z = {per_seed}"
    return "\n".join(head) + "\n" + format_table(headers, rows) + "\n" + foot + "\n" + best


def _plain_tick(value: float, _pos: object = None) -> str:
    """Axis numbers as plain figures (``-1``, ``10``), never ``-10^0``."""
    return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:g}"


def plot_reserve(res: ReserveResult, path: Path) -> Path:
    """Each cost vs z (log scale), and the total per seed and on average, minimum marked."""
    from matplotlib.ticker import FuncFormatter

    _plain = FuncFormatter(_plain_tick)
    fig = figure(12.5, 4.8)
    ax_c, ax_t = fig.subplots(1, 2)
    parts = {
        "availability": res.availability,
        "balancing energy (net)": res.balancing,
        "unserved energy (VoLL x MWh)": res.unserved_cost,
        "total": res.total,
    }
    styles = (("o-", "tab:blue"), ("s-", "tab:orange"), ("^-", "tab:red"), ("*--", "k"))
    for (label, data), (style, color) in zip(parts.items(), styles, strict=True):
        ax_c.plot(res.z, data.mean(axis=1) / 1e3, style, color=color, label=label)
    ax_c.set_yscale("symlog", linthresh=1.0)
    ax_c.yaxis.set_major_formatter(_plain)  # plain numbers, not -10^0
    ax_c.set(xlabel="reserve z (standard deviations of the forecast error)",
             ylabel="thousands per day\n(linear within +-1, log beyond)",
             title="costs vs reserve")  # fmt: skip
    ax_c.legend(fontsize=8)
    for j in range(len(res.seeds)):
        ax_t.plot(res.z, res.total[:, j] / 1e3, color="grey", lw=0.7, alpha=0.6,
                  label="one seed" if j == 0 else None)  # fmt: skip
    errorbar(ax_t, res.z, list(res.total / 1e3), fmt="ko-", label="mean, 95 % interval")
    b = res.best
    ax_t.plot([res.z[b]], [res.total[b].mean() / 1e3], "r*", ms=16,
              label=f"minimum: z = {res.z[b]:g}")  # fmt: skip
    ax_t.set_yscale("log")
    ax_t.yaxis.set_major_formatter(_plain)
    ax_t.set(xlabel="reserve z", ylabel="thousands per day (log scale)",
             title="total cost: availability + balancing + unserved")  # fmt: skip
    ax_t.legend(fontsize=8)
    fig.suptitle(f"Reserve sizing, scenario {res.scenario!r}: {seed_text(res.seeds)} x "
                 f"{days_text(res.days)}", fontsize=11)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def reserve_outcome(res: ReserveResult) -> Outcome:
    rows = [
        {"z": z, "seed": s, "reserved_up_mw": res.reserved_mw[i, j],
         "availability_per_day": res.availability[i, j], "balancing_per_day": res.balancing[i, j],
         "unserved_mwh_per_day": res.unserved_mwh[i, j],
         "unserved_cost_per_day": res.unserved_cost[i, j], "total_per_day": res.total[i, j]}
        for i, z in enumerate(res.z) for j, s in enumerate(res.seeds)
    ]  # fmt: skip
    return Outcome("reserve", reserve_table(res), rows, lambda p: plot_reserve(res, p), res)
