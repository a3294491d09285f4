"""The ``elecbay`` command: ``elecbay run`` (the main job) and ``elecbay clear [BOOK]``.

``elecbay run`` plays a scenario (default: the shipped ``default``) for ``--days`` days
with the baseline policies -- truthful merit order for producers and consumers
(:class:`elecbay_agents.merit_order.MeritOrderPolicy`) and the rule-based broker
(:class:`elecbay_agents.rule_based_broker.RuleBasedBroker`) -- shows a progress bar
over settlement periods, prints a summary table and writes the ledger, the meter
reads, a summary and a plot into an output folder (``docs/main_command.md``).

``elecbay run --policy AGENT=SPEC`` plays chosen agents with other policies (any spec
of :mod:`elecbay_agents.registry`, trained models and import paths included); the
output folder is claimed and filled safely (:mod:`elecbay_env.outputs`).

``elecbay policies`` lists the built-in policy names, one line each.

``elecbay clear [BOOK]`` clears one order book given as YAML or CSV (default: the
embedded demonstration book ``configs/demo_book.yaml``), prints every order's fill and
the surplus, and with ``--plot`` draws the curves (:mod:`elecbay_app.clear_command`).

``elecbay cda [ORDERS]`` replays orders through the continuous double auction and prints
the trades (:mod:`elecbay_app.cda_command`, ``docs/cda.md``).

``elecbay --version`` prints the package version.

``elecbay classroom zi|withholding|reserve`` runs one of the classroom experiments of
:mod:`elecbay_evaluate.classroom` (``docs/classroom.md``).

``elecbay evaluate SPEC.yaml`` plays a tournament of policy line-ups over scenarios and
seeds (:mod:`elecbay_evaluate.tournament`, ``docs/evaluator.md``).

``elecbay train`` trains a stable-baselines3 learner on the vectorised core
(:mod:`elecbay_train.train`, ``docs/training.md``).

Bad options print one line ``elecbay <command>: error: ...`` and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from elecbay_env.errors import UsageError
from elecbay_env.ledger import round_price
from elecbay_env.splits import SPLITS

# ------------------------------------------------------------------------------ run

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


def _asset_names(env: Any) -> dict[str, str]:
    sc = env.scenario
    names = [p.name for p in sc.producers] + [c.name for c in sc.consumers] + ["balancing"]
    return dict(zip(env.possible_agents, names, strict=True))


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
        "asset": _asset_names(env),
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


def _default_out(scenario: str, seed: int) -> Path:
    """Base name of the default output folder (made unique when it is reserved)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{scenario}-seed{seed}-{stamp}"


def _policy_spec(env: Any, items: Sequence[str], seed: int) -> dict[str, Any] | None:
    """``--policy AGENT=SPEC`` options -> ``{agent: policy}`` built once (None: none given).

    Raises:
        UsageError: a malformed option, an unknown agent or role, or a spec that cannot
            be built for its agents.
    """
    if not items:
        return None
    from elecbay_agents.registry import make_policies

    spec: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--policy {item!r}: expected AGENT=SPEC, e.g. producer_0=markup:0.3")
        spec[key.strip()] = value.strip()
    try:
        return make_policies(env, spec, seed=seed)
    except (ValueError, TypeError, KeyError, OSError, ImportError) as exc:
        text = "; ".join(str(exc).splitlines())
        raise UsageError(f"--policy {' '.join(items)}: {text}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    from elecbay_env.config import ScenarioError

    if args.days < 1:
        raise UsageError(f"--days {args.days}: must be at least 1")
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be at least 0")
    if args.plot_period is not None and args.plot_period < 0:
        raise UsageError(f"--plot-period {args.plot_period}: must be at least 0")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder")
    from elecbay_env.outputs import OutputError, SafeOutput

    try:
        env = build_env(args.config, args.days, args.split)
    except ScenarioError as exc:
        raise UsageError("--config: " + "; ".join(str(exc).splitlines())) from None
    except ValueError as exc:
        raise UsageError(f"--split {args.split}: {exc}") from None
    if args.date is not None:
        try:
            env.engine.episodes.day_index(args.date)
        except ValueError as exc:
            raise UsageError(f"--date {args.date}: {exc}") from None
    if args.plot_period is not None and args.plot_period >= env.num_periods:
        raise UsageError(f"--plot-period {args.plot_period}: the run has periods 0 to "
                         f"{env.num_periods - 1}")  # fmt: skip
    policies = _policy_spec(env, args.policy, args.seed)
    try:
        target = SafeOutput.claim(args.out, _default_out(env.scenario.name, args.seed),
                                  overwrite=args.overwrite)  # fmt: skip
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    with target:
        return _run_into(args, env, policies, target)


def _run_into(args: argparse.Namespace, env: Any, policies: Any, target: Any) -> int:
    """Simulate, print and write into ``target`` (a claimed
    :class:`~elecbay_env.outputs.SafeOutput`, committed by the caller)."""
    m = env.scenario.market
    print(f"elecbay run: scenario {env.scenario.name!r}, {m.days} day{'s' * (m.days != 1)} x "
          f"{env.num_periods // m.days} periods of {m.period_min} min, seed {args.seed}, "
          f"{len(env.possible_agents)} agents", flush=True)  # fmt: skip
    ep = simulate(env, args.seed, progress=not args.no_progress, spec=policies, date=args.date)
    if env.engine.split is not None:
        first = env.engine.dates[0]
        last = first + np.timedelta64(m.days - 1, "D")
        how = (
            "chosen with --date"
            if args.date
            else f"drawn by the seed from split {env.engine.split!r}"
        )
        print(f"real data: UTC days {first} to {last}, {how}")
    period = int(np.argmax(ep.volume_mw)) if args.plot_period is None else args.plot_period
    if args.policy:
        chosen = "; ".join(args.policy)
        print(f"policies: {chosen}; the others: the baseline; {env.num_periods} periods in "
              f"{ep.elapsed_s:.2f} s")  # fmt: skip
    else:
        print("policies: truthful merit order (producers, consumers), rule-based broker "
              f"(z = {ep.policies['broker_0'].z:g}); {env.num_periods} periods in "
              f"{ep.elapsed_s:.2f} s")  # fmt: skip
    summary = summarise(ep)
    print(format_summary(summary))
    files = write_outputs(ep, summary, target.work, period)
    out = target.final
    print(f"wrote {len(files)} files to {out}/: {', '.join(f.name for f in files)}")
    print(f"(market.png shows supply and demand of period {period})")
    return 0


def _cmd_policies(args: argparse.Namespace) -> int:
    from elecbay_agents.registry import policy_lines

    print("policy specs (NAME[:ARGS]); docs/policies.md has the details")
    for line in policy_lines():
        print(f"  {line}")
    print("your own: MODULE:NAME[:ARGS] or path/to/file.py:NAME[:ARGS] (a class or function "
          "f(env, agent, *args) returning a policy, or a policy instance)")  # fmt: skip
    return 0


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Errors in one line (``elecbay run: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


RUN_HELP = """\
Play a market scenario with the baseline policies and report what happened.

Every producer and consumer bids truthfully (merit order: offers at marginal cost,
bids at value; storage by price thresholds); the broker buys reserve = z x the
standard deviation of the system's forecast error. One step is one settlement period.
Prints a summary (prices, volumes, imbalance, unserved energy, welfare, profit per
agent) and writes into the output folder: statements.csv/.parquet/.json (the
settlement ledger), meter_reads.csv/.parquet, periods.csv (one row per period),
summary.json and market.png (prices and volumes per period, and one period's supply
and demand curves with the clearing point).

--policy AGENT=SPEC plays chosen agents (an agent id, a role or '*') with another
policy: a built-in name ('elecbay policies'), a trained model (sb3:DIR) or your own
(my_pkg.rules:Cls or path/to/file.py:Cls). The files are written into a hidden
folder beside the output folder and moved into place when complete; while the run
works the output folder holds only a marker file INCOMPLETE."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``elecbay`` command."""
    parser = _Parser(
        prog="elecbay", description="elecbay: a multi-agent electricity-market environment."
    )
    from elecbay_env import __version__

    parser.add_argument("--version", action="version", version=f"elecbay {__version__}")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{run,clear,cda,policies,classroom,evaluate,train,serve,agent}",
    )
    run = sub.add_parser(
        "run", help="the main job: play a scenario with the baseline policies",
        description=RUN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    run.add_argument(
        "--config", default="default", metavar="PATH|NAME",
        help="scenario: a shipped name (default, small, ...) or a YAML file "
             "(default: %(default)s)",
    )  # fmt: skip
    run.add_argument("--days", type=_int, default=DEFAULT_DAYS, metavar="N",
                     help="days to simulate, >= 1 (default: %(default)s)")  # fmt: skip
    run.add_argument(
        "--seed",
        type=_int,
        default=DEFAULT_SEED,
        metavar="S",
        help="seed of the market's random numbers, >= 0 (default: %(default)s)",
    )
    run.add_argument(
        "--out", default=None, metavar="DIR",
        help="output folder, created if missing; must be empty unless --overwrite "
             "(default: a new runs/<scenario>-seed<S>-<timestamp>[-N])",
    )  # fmt: skip
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out (only once the run has finished)",
    )
    run.add_argument(
        "--policy", action="append", default=[], metavar="AGENT=SPEC",
        help="play AGENT (an agent id, a role or '*') with a policy spec instead of the "
             "baseline: a built-in name (elecbay policies), a trained model (sb3:DIR) or "
             "an import path (my_pkg.rules:Cls, path/to/file.py:Cls); repeatable",
    )  # fmt: skip
    run.add_argument(
        "--plot-period", type=_int, default=None, metavar="P",
        help="period whose supply and demand curves market.png shows "
             "(default: the period with the largest traded volume)",
    )  # fmt: skip
    run.add_argument("--split", default=None, choices=SPLITS, metavar="SPLIT",
                     help="real-data scenarios (gb2024): the split the seed draws the first "
                     f"day from ({', '.join(SPLITS)}; default: the scenario's)")  # fmt: skip
    run.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                     help="real-data scenarios: start on this UTC day instead")  # fmt: skip
    run.add_argument("--no-progress", action="store_true",
                     help="no progress bar (it goes to stderr)")  # fmt: skip
    run.set_defaults(func=_cmd_run)
    pol_help = "list the built-in policy names, one line each (docs/policies.md)"
    pol = sub.add_parser("policies", help=pol_help, description=pol_help)
    pol.set_defaults(func=_cmd_policies)
    from . import cda_command, clear_command, live_command

    for name, helptext, description, add_arguments, run in (
        ("clear", "clear one order book (YAML or CSV): fills, surplus, --plot",
         clear_command.CLEAR_HELP, clear_command.add_arguments, clear_command.run_command),
        ("cda", "replay orders through the continuous double auction, print the trades",
         cda_command.CDA_HELP, cda_command.add_arguments, cda_command.run_command),
    ):  # fmt: skip
        sp = sub.add_parser(name, help=helptext, description=description,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        add_arguments(sp)
        sp.set_defaults(func=run)
    from elecbay_evaluate import classroom, tournament
    from elecbay_train import train as training

    # subcommands whose modules own their arguments: (name, help, description, add, run)
    plugins = (
        ("classroom", "classroom experiments: zi, withholding, reserve",
         classroom.CLASSROOM_HELP, classroom.add_arguments, classroom.run_command),
        ("evaluate", "play a tournament of policies over seeds and report metrics",
         tournament.EVALUATE_HELP, tournament.add_arguments, tournament.main),
        ("train", "train a stable-baselines3 learner on the vectorised core",
         training.__doc__, training.build_parser, lambda a: training.main(args=a)),
    )  # fmt: skip
    for name, helptext, description, add_arguments, run in plugins + live_command.COMMANDS:
        sp = sub.add_parser(name, help=helptext, description=description,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        add_arguments(sp)
        sp.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``elecbay`` console script; returns the exit code.

    0 on success; 2 for a bad option, with one line on stderr naming it.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a parse error (2, already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"elecbay {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `elecbay run | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # `python -m elecbay_app.cli`; `python -m elecbay_app` also works
    sys.exit(main())
