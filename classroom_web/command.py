"""``elecbay classroom serve``: start a live class (docs/classroom.md, "Run a live class").

Prints the join code, the students' link and the teacher's link (with its secret key),
then serves until Ctrl-C. Binds to 127.0.0.1 unless ``--host`` says otherwise
(``--host 0.0.0.0`` opens it to the room's network).
"""

from __future__ import annotations

import argparse
from typing import Any

SERVE_OPTIONS = ("class_experiment", "period_seconds", "bots", "host", "port", "seed",
                 "allow_loss", "bot_interval", "scenario")  # fmt: skip
"""Destinations of the ``serve`` options (the batch experiments refuse them)."""


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` options (``--periods`` is shared with ``elecbay classroom zi``)."""
    from elecbay_classroom.session import EXPERIMENTS

    g = parser.add_argument_group("serve (a live class in the browser)")
    g.add_argument("--experiment", dest="class_experiment", choices=EXPERIMENTS, default=None,
                   help="serve: smith (Smith 1962 Test 1, CDA), gode_sunder (12 traders, CDA), "
                        "call (call auction), electricity (the environment, --scenario), "
                        "electricity_call (role cards, call auction), withholding "
                        "(default: smith)")  # fmt: skip
    g.add_argument(
        "--scenario",
        dest="scenario",
        choices=("small", "default"),
        default=None,
        help="serve, electricity: the scenario (default: small)",
    )
    g.add_argument("--period-seconds", type=float, default=None, metavar="S",
                   help="serve: length of a trading period (default: 180)")  # fmt: skip
    g.add_argument("--bots", default=None, metavar="LIST",
                   help="serve: bots on free seats, e.g. 'zi-c' (all), 'zi-c:4,merit:2'; "
                        "kinds zi-u, zi-c, merit, markup (default: none)")  # fmt: skip
    g.add_argument("--bot-interval", type=float, default=None, metavar="S",
                   help="serve: seconds between two bot orders (default: 0.5)")  # fmt: skip
    g.add_argument("--allow-loss", action="store_true", default=None,
                   help="serve: accept bids above value and asks below cost")  # fmt: skip
    g.add_argument("--seed", type=int, default=None, help="serve: the bots' seed (default: 0)")
    g.add_argument(
        "--host",
        default=None,
        help="serve: address to bind (default: 127.0.0.1; 0.0.0.0 for the room)",
    )
    g.add_argument("--port", type=int, default=None, help="serve: port (default: 8765)")


def banner(session: Any, host: str, port: int, key: str | None = None) -> str:
    """What ``serve`` prints before it serves: the join code and both links."""
    shown = "<this computer's address>" if host in ("0.0.0.0", "::") else host
    code = session.join_code
    return (
        f"elecbay classroom: {session.schedule.title}, {session.config.periods} periods of "
        f"{session.config.period_seconds:g} s\n"
        f"join code: {code}\n"
        f"students:  http://{shown}:{port}/?code={code}\n"
        f"teacher:   http://{shown}:{port}/teacher?key={key or session.teacher_key}\n"
        "Ctrl-C stops the class (export the CSV from the teacher's page first).\n"
    )


def serve(args: argparse.Namespace) -> int:
    """Run the class until Ctrl-C; returns 0."""
    from elecbay_env.errors import UsageError

    try:
        import uvicorn
        from elecbay_classroom.server import create_app
    except ImportError as exc:
        raise UsageError(f"serve needs the classroom extra (pip install 'elecbay[classroom]'): "
                         f"{exc}") from None  # fmt: skip
    from elecbay_classroom.grid_session import open_session
    from elecbay_classroom.session import SessionConfig, SessionError

    opts: dict[str, Any] = {"periods": args.periods or 5}
    if args.class_experiment is not None:
        opts["experiment"] = args.class_experiment
    for key in ("period_seconds", "bots", "seed", "allow_loss", "bot_interval", "scenario"):
        if getattr(args, key, None) is not None:
            opts[key] = getattr(args, key)
    try:
        session = open_session(SessionConfig(**opts))
    except (SessionError, ValueError) as exc:
        raise UsageError(f"--{str(exc).replace('_', '-')}") from None
    host = args.host or "127.0.0.1"
    port = 8765 if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: allowed range is 0..65535")
    print(banner(session, host, port), end="", flush=True)
    uvicorn.run(create_app(session), host=host, port=port, ws="websockets-sansio",
                log_level="warning")  # fmt: skip
    return 0
