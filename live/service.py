"""A whole market in one call: the local broker, the credentials and the operator.

:class:`Market` is what ``elecbay serve`` runs and what the tests and the benchmark
start: it writes ``credentials.json`` (mode 0600: one password per seat, per meter and
for the operator; the organiser hands each team its own) and ``ledger.sqlite`` into the
run folder (or writes the ledger to PostgreSQL when given a ``postgresql://`` URL),
starts mosquitto on 127.0.0.1 (or uses ``--broker``, whose administrator then installs
:func:`elecbay_live.broker.acl_text` and the passwords), and runs the operator in a
thread (:meth:`Market.start`) or in the caller's (:meth:`Market.run`).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from . import topics
from .assets import entrant_users
from .broker import LocalBroker, make_credentials
from .operator import Operator, ServeConfig


def seats_of(config: ServeConfig) -> list[str]:
    """The agent ids of the configured scenario."""
    from elecbay_env.config import load_scenario
    from elecbay_env.params import agents_of

    return agents_of(load_scenario(config.scenario, **{"market.days": config.days}))


class Market:
    """A market in ``folder``.

    Args:
        folder: the run folder (created): credentials, ledger, broker files.
        config: the market (:class:`ServeConfig`).
        broker_url: an existing broker (its ACL and passwords are the caller's); None
            starts a local mosquitto.
        port: the local broker's port (0: a free one).
        operator_password: needed with ``broker_url``.
        ledger: the ledger: None for ``folder/ledger.sqlite``, an SQLite path or a
            ``postgresql://`` URL (:mod:`.ledger_db`); resumed when it holds periods.
    """

    def __init__(self, folder: str | Path, config: ServeConfig, broker_url: str | None = None,
                 port: int = 0, operator_password: str | None = None,
                 ledger: str | Path | None = None) -> None:  # fmt: skip
        config.check()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.seats = seats_of(config)
        cred_path = self.folder / "credentials.json"
        if cred_path.exists():  # a restart keeps everyone's passwords
            self.credentials = json.loads(cred_path.read_text())
        else:
            users = [*self.seats, *entrant_users(config.entrants)]
            names = [topics.OPERATOR_USER, *users, *map(topics.meter_user, users)]
            self.credentials = make_credentials(names)
            cred_path.write_text(json.dumps(self.credentials, indent=1))
            os.chmod(cred_path, 0o600)
        self.broker: LocalBroker | None = None
        if broker_url is None:
            self.broker = LocalBroker(self.folder / "broker", self.credentials, port).start()
            broker_url = self.broker.url
        self.url = broker_url
        password = operator_password or self.credentials[topics.OPERATOR_USER]
        try:
            where = self.folder / "ledger.sqlite" if ledger is None else ledger
            self.operator = Operator(config, broker_url, password, where)
        except BaseException:
            self.stop_broker()
            raise
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def password(self, user: str) -> str:
        """The MQTT password of ``user`` (a seat id, ``meter.<seat>`` or ``operator``)."""
        return self.credentials[user]

    def run(self) -> None:
        """Play the episode in this thread."""
        self.operator.run()

    def _run(self) -> None:
        try:
            self.operator.run()
        except BaseException as exc:  # kept for join(); the thread must not die silently
            self.error = exc

    def start(self) -> Market:
        """Play the episode in a background thread."""
        self.thread = threading.Thread(target=self._run, name="elecbay-operator", daemon=True)
        self.thread.start()
        return self

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the background episode; re-raise its error."""
        if self.thread is not None:
            self.thread.join(timeout_s)
        if self.error is not None:
            raise self.error

    def stop_broker(self) -> None:
        """Stop the local broker (by its PID), if this market started one."""
        if self.broker is not None:
            self.broker.stop()

    def close(self) -> None:
        """Stop the operator, close the ledger, stop the local broker."""
        op = getattr(self, "operator", None)
        if op is not None:
            op.stop_event.set()
            if self.thread is not None:
                self.thread.join(10)
            op.close()
        self.stop_broker()

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
