"""``elecbay serve`` and ``elecbay agent``: the live market over MQTT (docs/live_market.md).

``elecbay serve`` starts a local mosquitto on 127.0.0.1 (or uses ``--broker``), writes the
credentials and the SQLite ledger into the run folder and plays one episode, clearing
every period with the same engine as ``elecbay run``. ``elecbay agent`` plays one or more
seats with any policy spec against it. Both need the ``live`` extra (paho-mqtt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from elecbay_env.errors import UsageError

SERVE_HELP = """\
Run the market operator: a local mosquitto on 127.0.0.1 (a free port unless --port),
one password per seat and per meter in RUN/credentials.json (mode 0600: hand each team
its own), the ledger in RUN/ledger.sqlite. Seats no agent claims are played by the
baseline (or --house AGENT=SPEC). With --lockstep (the default) each gate closes when
every registered agent has ordered; with --speed X time runs X times faster than real
time. Restarted on the same RUN folder, it resumes after the last complete period.
docs/live_market.md documents the topics and messages."""

AGENT_HELP = """\
Play seats of a live market with a policy spec (a built-in name, sb3:DIR, or
my_pkg.rules:Cls / path/to/file.py:Cls). The password is --password or the seat's entry
in --credentials FILE (the operator's credentials.json)."""


def _pos_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``elecbay serve``."""
    p.add_argument(
        "--config",
        default="small",
        metavar="PATH|NAME",
        help="scenario: a shipped name or a YAML file (default: %(default)s)",
    )
    p.add_argument(
        "--days",
        type=_nonneg_int,
        default=1,
        metavar="N",
        help="days in the episode, >= 1 (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=_nonneg_int,
        default=0,
        metavar="S",
        help="the market's seed, >= 0 (default: %(default)s)",
    )
    timing = p.add_mutually_exclusive_group()
    timing.add_argument(
        "--lockstep",
        action="store_true",
        help="close each gate when every agent has ordered (the default)",
    )
    timing.add_argument(
        "--speed",
        type=_pos_float,
        default=None,
        metavar="X",
        help="accelerated real time: X market seconds per wall second "
        "(1800: a 30-minute period per second)",
    )
    p.add_argument(
        "--expect",
        type=_nonneg_int,
        default=0,
        metavar="N",
        help="wait for N agents before the first gate (default: %(default)s)",
    )
    p.add_argument(
        "--register-timeout",
        type=_pos_float,
        default=60.0,
        metavar="S",
        help="longest wait for them, seconds (default: %(default)s)",
    )
    p.add_argument(
        "--order-timeout",
        type=_pos_float,
        default=30.0,
        metavar="S",
        help="lockstep: longest wait for a silent agent (default: %(default)s)",
    )
    p.add_argument(
        "--meter-timeout",
        type=_pos_float,
        default=5.0,
        metavar="S",
        help="longest wait for meter reads after clearing (default: %(default)s)",
    )
    p.add_argument(
        "--house",
        action="append",
        default=[],
        metavar="AGENT=SPEC",
        help="policy of a seat no agent plays (default: the baseline); repeatable",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="run folder (default: runs/live-<scenario>-seed<S>)",
    )
    p.add_argument(
        "--port",
        type=_nonneg_int,
        default=0,
        metavar="P",
        help="the local broker's port on 127.0.0.1 (default: a free one)",
    )
    p.add_argument(
        "--broker",
        default=None,
        metavar="URL",
        help="use this broker (mqtt://host:port) instead of a local mosquitto; "
        "its ACL and passwords are then yours to install",
    )
    p.add_argument("--operator-password", default=None, metavar="PW",
                   help="with --broker: the password of MQTT user 'operator'")  # fmt: skip
    p.add_argument("--registration-window", type=_nonneg_float, default=0.0, metavar="S",
                   help="seconds before the market opens during which entrants register "
                   "new assets; closes early when every entrant slot is taken (default: "
                   "%(default)s, no window)")  # fmt: skip
    p.add_argument("--entrants", type=_nonneg_int, default=0, metavar="N",
                   help="entrant slots (users entrant_0 ..) in credentials.json: the most "
                   "new assets accepted (default: %(default)s)")  # fmt: skip
    p.add_argument("--ledger", default=None, metavar="PATH|URL",
                   help="the ledger: an SQLite file or postgresql://user@host:port/db "
                   "(default: RUN/ledger.sqlite)")  # fmt: skip
    p.add_argument("--meter-tolerance", type=_nonneg_float, default=0.001, metavar="MWH",
                   help="a meter read further than this from the check metering (MWh per "
                   "interval) is flagged disputed (default: %(default)s)")  # fmt: skip


def add_agent_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``elecbay agent``."""
    p.add_argument("--policy", required=True, metavar="SPEC", help="the policy spec")
    p.add_argument(
        "--seat",
        required=True,
        action="append",
        metavar="AGENT",
        help="the seat (agent id, e.g. producer_2); repeatable",
    )
    p.add_argument("--broker", required=True, metavar="URL", help="mqtt://host:port")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--password", metavar="PW", help="the seat's password (one seat)")
    who.add_argument(
        "--credentials",
        metavar="FILE",
        help="a JSON file of seat -> password (e.g. the operator's)",
    )
    p.add_argument(
        "--seed",
        type=_nonneg_int,
        default=0,
        metavar="S",
        help="seeds a stochastic policy with the seat id (default: %(default)s)",
    )
    p.add_argument("--asset", default=None, metavar="FILE",
                   help="as an entrant (--seat entrant_K): register this new asset, a JSON "
                   "file {\"role\": \"producer\"|\"consumer\", \"asset\": {scenario "
                   "entry}}, then play it")  # fmt: skip
    p.add_argument("--timeout", type=_pos_float, default=3600.0, metavar="S",
                   help="give up after S seconds (default: %(default)s)")  # fmt: skip


def _house(items: list[str]) -> dict[str, str]:
    spec = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(
                f"--house {item!r}: expected AGENT=SPEC, e.g. broker_0=rule_based_broker"
            )
        spec[key.strip()] = value.strip()
    return spec


def run_serve(args: argparse.Namespace) -> int:
    """``elecbay serve``."""
    try:
        from elecbay_live.broker import BrokerError
        from elecbay_live.ledger_db import LedgerMismatch
        from elecbay_live.operator import ServeConfig
        from elecbay_live.service import Market
    except ImportError as exc:
        raise UsageError(f"the live market needs the live extra (pip install "
                         f"'elecbay[live]'): {exc}") from None  # fmt: skip
    if args.days < 1:
        raise UsageError(f"--days {args.days}: must be at least 1")
    if args.broker is not None and not args.operator_password:
        raise UsageError("--broker: also give --operator-password (the 'operator' user's)")
    lockstep = args.speed is None
    config = ServeConfig(scenario=args.config, days=args.days, seed=args.seed,
                         lockstep=lockstep, speed=args.speed or 1800.0, expect=args.expect,
                         register_timeout_s=args.register_timeout,
                         order_timeout_s=args.order_timeout, meter_timeout_s=args.meter_timeout,
                         meter_tolerance_mwh=args.meter_tolerance,
                         registration_window_s=args.registration_window,
                         entrants=args.entrants,
                         house=_house(args.house))  # fmt: skip
    out = Path(args.out or f"runs/live-{Path(args.config).stem}-seed{args.seed}")
    try:
        market = Market(out, config, broker_url=args.broker, port=args.port,
                        operator_password=args.operator_password, ledger=args.ledger)  # fmt: skip
    except (BrokerError, ConnectionError) as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(f"--ledger: {exc}") from None
    except LedgerMismatch as exc:
        raise UsageError(f"--out {out}: {exc}") from None
    except ValueError as exc:
        raise UsageError("; ".join(str(exc).splitlines())) from None
    with market:
        op = market.operator
        print(
            f"elecbay serve: scenario {args.config!r}, {op.n_periods} periods, seed "
            f"{args.seed}, {len(op.seats)} seats; broker {market.url}",
            flush=True,
        )
        print(f"run folder {out}/: credentials.json; ledger {op.ledger.where}", flush=True)
        start = time.perf_counter()
        try:
            market.run()
        except KeyboardInterrupt:
            print("stopped; restart with the same --out to resume", file=sys.stderr)
            return 130
        s = op.stats
        print(f"done: {op.n_periods} periods in {time.perf_counter() - start:.2f} s; "
              f"{len(op.registered)} agents; {s['orders']} orders, {s['reads']} meter reads, "
              f"{s['rejected']} rejected; ledger {op.ledger.rows_written} rows")  # fmt: skip
    return 0


def _passwords(args: argparse.Namespace) -> dict[str, str]:
    if args.password is not None:
        if len(args.seat) != 1:
            raise UsageError("--password: give --credentials FILE to play several seats")
        return {args.seat[0]: args.password}
    try:
        creds = json.loads(Path(args.credentials).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--credentials {args.credentials}: {exc}") from None
    missing = [s for s in args.seat if s not in creds]
    if missing:
        raise UsageError(f"--credentials {args.credentials}: no password for {missing}")
    return {s: creds[s] for s in args.seat}


def run_agent(args: argparse.Namespace) -> int:
    """``elecbay agent``."""
    try:
        from elecbay_live.client import AgentPool, build_policy, fetch_status, policy_decider
        from elecbay_live.mqtt import parse_url
    except ImportError as exc:
        raise UsageError(f"the live market needs the live extra: {exc}") from None
    try:
        parse_url(args.broker)
    except ValueError as exc:
        raise UsageError(f"--broker: {exc}") from None
    passwords = _passwords(args)
    first = args.seat[0]
    try:
        status = fetch_status(args.broker, first, passwords[first])
    except (ConnectionError, TimeoutError, OSError) as exc:
        raise UsageError(f"--broker {args.broker}: {exc}") from None
    pool = AgentPool(args.broker, client_name=f"elecbay agent {args.policy}")
    if args.asset is not None:
        return _play_asset(args, pool, passwords, first)
    try:
        for seat in args.seat:
            if seat not in status["seats"]:
                raise UsageError(f"--seat {seat}: the market's seats are {status['seats']}")
            try:
                policy = build_policy(args.policy, seat, status["scenario"], status["days"],
                                      args.seed)  # fmt: skip
            except (ValueError, OSError, ImportError) as exc:
                raise UsageError(f"--policy {args.policy}: {exc}") from None
            pool.add(seat, passwords[seat], policy_decider(policy))
        pool.run(timeout_s=args.timeout)
    finally:
        pool.close()
    code = 0
    for s in pool.seats.values():
        total = sum(st["reward"] for st in s.statements)
        verdict = "registered" if s.registered else f"refused: {'; '.join(s.reasons)}"
        print(f"{s.seat}: {verdict}; {s.orders_sent} orders, {len(s.statements)} statements, "
              f"{len(s.rejections)} rejections; reward {total:,.2f}")  # fmt: skip
        code = code or (0 if s.registered else 1)
    return code


def _play_asset(args: argparse.Namespace, pool: Any, passwords: dict[str, str],
                user: str) -> int:  # fmt: skip
    """``elecbay agent --asset FILE --seat entrant_K``: register the asset, play it."""
    from elecbay_live.client import build_entrant_policy, fetch_status, policy_decider

    if len(args.seat) != 1:
        raise UsageError("--asset: give exactly one --seat (the entrant, e.g. entrant_0)")
    try:
        entry = json.loads(Path(args.asset).read_text())
        role, asset = entry["role"], entry["asset"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--asset {args.asset}: expected a JSON file {{\"role\": ..., "
                         f"\"asset\": {{...}}}}: {exc!r}") from None  # fmt: skip
    played: dict[str, Any] = {}

    def decide(obs: Any, period: int, seat: str) -> Any:
        if "policy" not in played:  # the asset's seat and market are known now
            status = fetch_status(args.broker, user, passwords[user])
            policy = build_entrant_policy(args.policy, status, pool.seats[user].plays, args.seed)
            played["policy"] = policy_decider(policy)
        return played["policy"](obs, period, seat)

    try:
        s = pool.add_asset(user, passwords[user], role, asset, decide)
        pool.run(timeout_s=args.timeout)
    finally:
        pool.close()
    total = sum(st["reward"] for st in s.statements)
    verdict = f"plays {s.plays}" if s.registered else f"refused: {'; '.join(s.reasons)}"
    print(f"{user}: {verdict}; {s.orders_sent} orders, {len(s.statements)} statements, "
          f"{len(s.rejections)} rejections; reward {total:,.2f}")  # fmt: skip
    return 0 if s.registered else 1


COMMANDS: tuple[tuple[str, str, str, Any, Any], ...] = (
    ("serve", "run a live market on MQTT (the operator service)", SERVE_HELP,
     add_serve_arguments, run_serve),
    ("agent", "play seats of a live market with a policy", AGENT_HELP,
     add_agent_arguments, run_agent),
)  # fmt: skip
"""(name, help, description, add_arguments, run) of each live subcommand, for the CLI."""
