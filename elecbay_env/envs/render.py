"""Rendering: a text summary (``ansi``) and an RGB figure (``rgb_array``).

Reads the environment's last period (orders, outcome, price history); never writes
market state. The figure shows the supply and demand step curves of the last period
with the clearing point, and the price history of the episode.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class RenderedEnv(Protocol):
    """What rendering reads of an :class:`~elecbay_env.envs.parallel.ElecbayParallelEnv`
    (a protocol: the environment imports this module, not the other way round)."""

    engine: Any
    num_periods: int
    possible_agents: list[str]
    last_orders: Any
    last_outcome: Any
    history: dict[str, list[float]]
    _figure: Any


def render_ansi(env: RenderedEnv) -> str:
    """A few lines on the last period: prices, volumes, imbalance, each agent's reward."""
    out = env.last_outcome
    t = int(env.engine.t[0])
    if out is None:
        return f"elecbay: period {t} of {env.num_periods}, no period cleared yet"
    lines = [
        f"elecbay period {t - 1}/{env.num_periods}: clearing price {out.price[0]:.2f} per MWh, "
        f"volume {out.volume_mw[0]:.1f} MW",
        f"  imbalance price {out.imbalance_price[0]:.2f}, NIV {out.niv_mwh[0]:+.2f} MWh, "
        f"unserved {out.unserved_mwh[0]:.2f} MWh, curtailed {out.curtailed_mwh[0]:.2f} MWh",
    ]
    lines += zone_lines(env.engine.params, env.engine.scenario, out)
    zone = env.engine.params.zone[0]
    zonal = env.engine.params.n_zones > 1
    for i, agent in enumerate(env.possible_agents[: out.reward.shape[1]]):  # market rows
        where = f" z{zone[i]}" if zonal else ""
        lines.append(
            f"  {agent:<12}{where} contract {out.contract_mw[0, i]:+9.2f} MW  "
            f"metered {out.metered_mwh[0, i]:+9.2f} MWh  reward {out.reward[0, i]:+12.2f}"
        )
    return "\n".join(lines)


def zone_lines(params: Any, scenario: Any, out: Any) -> list[str]:
    """Zone prices, border flows and limits of market 0 ([] with one zone)."""
    if params.n_zones <= 1:
        return []
    prices = ", ".join(f"z{z} {p:.2f}" for z, p in enumerate(out.zone_price[0]))
    lines = [f"  zone prices {prices}; congestion rent {out.congestion_rent[0]:.2f}"]
    for b, border in enumerate(scenario.borders):
        flow = out.flow_mw[0, b]
        full = flow >= border.forward_mw - 1e-6 or flow <= -border.backward_mw + 1e-6
        lines.append(
            f"  border {border.name or b} z{border.from_zone}->z{border.to_zone}: flow "
            f"{flow:+.1f} MW (limits +{border.forward_mw:g}/-{border.backward_mw:g})"
            + (" FULL" if full else "")
        )
    return lines


def supply_demand_curves(step_price: np.ndarray, step_qty: np.ndarray):
    """Cumulative (MW, price) step curves: offers ascending, bids descending.

    Args:
        step_price, step_qty: (N, B) one market's steps (+ sell, - buy).

    Returns:
        ((supply_mw, supply_price), (demand_mw, demand_price)) arrays for ``plt.step``.
    """
    p = step_price.ravel()
    q = step_qty.ravel()
    sell = q > 0
    buy = q < 0
    s_order = np.argsort(p[sell], kind="stable")
    d_order = np.argsort(-p[buy], kind="stable")
    s_mw = np.concatenate([[0.0], np.cumsum(q[sell][s_order])])
    d_mw = np.concatenate([[0.0], np.cumsum(-q[buy][d_order])])
    s_p = np.concatenate([p[sell][s_order], p[sell][s_order][-1:]]) if sell.any() else np.zeros(1)
    d_p = np.concatenate([p[buy][d_order], p[buy][d_order][-1:]]) if buy.any() else np.zeros(1)
    return (s_mw, s_p), (d_mw, d_p)


def plot_period(ax, step_price: np.ndarray, step_qty: np.ndarray, price: float, volume: float):
    """Draw one period's supply and demand curves and the clearing point on ``ax``."""
    (s_mw, s_p), (d_mw, d_p) = supply_demand_curves(step_price, step_qty)
    ax.step(s_mw, s_p, where="post", label="supply (offers)", color="tab:blue")
    ax.step(d_mw, d_p, where="post", label="demand (bids)", color="tab:orange")
    if volume > 0 and np.isfinite(price):
        ax.plot([volume], [price], "ko", label=f"clearing {price:.1f} at {volume:.0f} MW")
    ax.set_xlabel("MW")
    ax.set_ylabel("currency per MWh")
    ax.legend(loc="best", fontsize=7)


def _figure(env: RenderedEnv):
    fig = getattr(env, "_figure", None)
    if fig is None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9, 3.6), dpi=80)
        env._figure = fig
    fig.clear()
    return fig


def render_rgb(env: RenderedEnv) -> np.ndarray:
    """(H, W, 3) uint8 image: supply and demand with the clearing point, price history."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure(env)
    canvas = FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    orders, out = env.last_orders, env.last_outcome
    if orders is not None and out is not None:
        plot_period(ax1, orders.step_price[0], orders.step_qty[0], out.price[0], out.volume_mw[0])
    ax1.set_title("last period: supply and demand", fontsize=9)
    prices = env.history.get("price", [])
    if prices:
        ax2.plot(np.arange(len(prices)), prices, label="clearing", lw=1)
        ax2.plot(np.arange(len(prices)), env.history["imbalance_price"], label="imbalance", lw=1)
        ax2.legend(fontsize=7)
    ax2.set_xlabel("period")
    ax2.set_ylabel("currency per MWh")
    ax2.set_title("price history", fontsize=9)
    fig.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def close_figures(env: RenderedEnv) -> None:
    """Drop the cached figure."""
    env._figure = None
