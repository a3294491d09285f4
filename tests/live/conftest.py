"""Fixtures of the live-market tests: a real mosquitto on a free 127.0.0.1 port, and a
real PostgreSQL server (Debian's ``postgresql``) for the ledger.

Where the ``mosquitto`` binary (or paho-mqtt), or PostgreSQL's ``initdb`` (or psycopg), is
missing the tests skip on a developer's machine but fail in CI (``CI=true``; ``.ci/run``
installs both with apt-get). Every broker is stopped by its PID when its test ends; the
PostgreSQL server (one per session, in a temporary folder, listening on 127.0.0.1 only,
run as user ``postgres`` when the tests run as root) is stopped at the end of the session.
"""

from __future__ import annotations

import glob
import json
import os
import queue
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _need(what: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{what} is missing, and CI=true: the live tests must run in CI")
    pytest.skip(f"{what} is not installed (apt-get install mosquitto mosquitto-clients; "
                "pip install 'elecbay[live]')")  # fmt: skip


@pytest.fixture(scope="session")
def mosquitto() -> str:
    """The mosquitto binary's path (skip or fail without it, see the module docstring)."""
    try:
        import paho.mqtt  # noqa: F401

        has_paho = True
    except ImportError:
        has_paho = False
    _need("paho-mqtt", has_paho)
    from elecbay_live.broker import find_mosquitto

    path = find_mosquitto()
    _need("mosquitto", path is not None)
    return str(path)


def _initdb() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server on a free 127.0.0.1 port: its URL without a database name."""
    try:
        import psycopg  # noqa: F401

        has_driver = True
    except ImportError:
        has_driver = False
    _need("psycopg (the live extra)", has_driver)
    bin_dir = _initdb()
    _need("PostgreSQL (apt-get install postgresql)", bin_dir is not None)
    from elecbay_live.broker import free_port

    root = Path(tempfile.mkdtemp(prefix="elecbay-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def pg(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    pg(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options,
       "start")  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server: str) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    import psycopg

    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_where(request: Any, tmp_path: Path) -> str:
    """A new ledger's location: an SQLite file, then a PostgreSQL database (each test
    using it runs on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return request.getfixturevalue("postgres_db")


def _in_process_statements(scenario: str, seed: int, spec: dict[str, str]) -> list[tuple]:
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env(scenario, **{"market.days": 1})
    policies = make_policies(env, spec, seed=seed)
    obs, _ = env.reset(seed=seed)
    t = 0
    while env.agents:
        actions = {a: policies[a].predict(obs[a], None, episode_start=t == 0)[0]
                   for a in env.agents}  # fmt: skip
        obs, *_ = env.step(actions)
        t += 1
    rows = [(r["period"], r["agent"], r["component"], r["mwh"], r["price"], str(r["amount"]))
            for r in env.engine.ledger.statements()]  # fmt: skip
    return sorted(rows)


@pytest.fixture
def in_process() -> Any:
    """``in_process(scenario, seed, spec) -> rows``: the statement lines ``(period, agent,
    component, mwh, price, amount)``, sorted, of one day of ``scenario`` stepped in-process
    with the policies ``spec`` (agent -> policy spec; the baseline elsewhere)."""
    return _in_process_statements


@pytest.fixture
def start_market(mosquitto: str, tmp_path: Path) -> Iterator[Any]:
    """``start_market(**config) -> Market``: a market (local broker, operator thread) in
    ``tmp_path``; every market and broker is closed, by PID, at the end of the test."""
    from elecbay_live.operator import ServeConfig
    from elecbay_live.service import Market

    markets: list[Any] = []

    def start(folder: Path | None = None, run: bool = True, ledger: str | None = None,
              **config: Any) -> Any:  # fmt: skip
        market = Market(folder or tmp_path / f"run{len(markets)}", ServeConfig(**config),
                        ledger=ledger)  # fmt: skip
        markets.append(market)
        return market.start() if run else market

    yield start
    for market in markets:
        market.close()
        if market.broker is not None and market.broker.proc is not None:
            raise AssertionError("the broker outlived its market")


class RawClient:
    """A plain MQTT client for tests: publishes what it is told, queues what it reads."""

    def __init__(self, url: str, user: str, password: str, will: Any = None) -> None:
        from elecbay_live.mqtt import connect_client

        self.got: queue.Queue[tuple[str, dict[str, Any] | bytes]] = queue.Queue()
        self.user = user
        self.tag = f"{user}-{uuid.uuid4().hex[:6]}"
        self.client = connect_client(url, user, password, f"test-{user}-{uuid.uuid4().hex[:6]}",
                                     on_message=self._on_message, will=will)  # fmt: skip
        self.n = 0
        self.kept: list[tuple[str, Any]] = []  # read, not yet taken by wait_for

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            body: Any = json.loads(msg.payload)
        except ValueError:
            body = msg.payload
        self.got.put((msg.topic, body))

    def subscribe(self, topic: str) -> int:
        """Subscribe; returns the broker's granted QoS (128: refused)."""
        import threading

        done = threading.Event()
        codes: list[Any] = []

        def on_subscribe(c: Any, u: Any, mid: Any, reason_codes: Any, props: Any) -> None:
            codes.extend(reason_codes)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=1)
        assert done.wait(5), "no SUBACK"
        return int(codes[0].value)

    def publish(self, topic: str, body: dict[str, Any] | bytes) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def order(self, **fields: Any) -> dict[str, Any]:
        self.n += 1
        return {"v": 1, "id": f"{self.tag}-{self.n}", **fields}

    def wait_for(self, kind: str, timeout_s: float = 30.0, **match: Any) -> dict[str, Any]:
        """The first message of type ``kind`` (whose fields equal ``match``) not yet
        taken; the others stay for later calls."""

        def fits(body: Any) -> bool:
            return isinstance(body, dict) and body.get("type") == kind and all(
                body.get(k) == v for k, v in match.items())  # fmt: skip

        for i, (_topic, body) in enumerate(self.kept):
            if fits(body):
                return self.kept.pop(i)[1]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                topic, body = self.got.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if fits(body):
                return body
            self.kept.append((topic, body))
        raise AssertionError(f"no {kind} message {match} within {timeout_s} s")

    def crash(self) -> None:
        """Drop the connection without a DISCONNECT (the broker sends the will)."""
        self.client.loop_stop()
        self.client.socket().close()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def raw_client() -> Iterator[Any]:
    """``raw_client(url, user, password) -> RawClient``, disconnected at the end."""
    made: list[RawClient] = []

    def make(url: str, user: str, password: str, will: Any = None) -> RawClient:
        made.append(RawClient(url, user, password, will))
        return made[-1]

    yield make
    for c in made:
        c.close()
