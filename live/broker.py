"""A local mosquitto broker for one market: config, passwords, access control, process.

:class:`LocalBroker` writes a mosquitto config into a run folder and starts Debian's
``mosquitto`` (2.0) as a plain child process listening on 127.0.0.1 only, on a free port
by default. Its settings: ``persistence false`` (the market's durable record is the SQLite
ledger, not the broker), ``set_tcp_nodelay true`` (without it Nagle's algorithm about
triples the gate-closure latency), ``log_dest stderr``, no anonymous clients, a password
file with one user per seat (``producer_2``), per meter (``meter.producer_2``) and the
``operator``, and an ACL file (:func:`acl_text`) that lets a seat write only its own inbox
and read only its own outbox and the public topics. It is stopped by its PID.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from .topics import ACL_PATTERNS, OPERATOR_USER

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerError(RuntimeError):
    """The broker could not be started or reached."""


def find_mosquitto() -> str | None:
    """The mosquitto binary's path, or None when it is not installed."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_PATHS if os.access(p, os.X_OK)), None)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def acl_text() -> str:
    """The mosquitto ACL: the operator reads and writes everything under ``elecbay/``; a
    seat (user = agent id) writes ``elecbay/in/<seat>`` and reads ``elecbay/out/<seat>``;
    a meter (user ``meter.<seat>``) writes ``elecbay/meter/meter.<seat>``; everyone reads
    the public topics. What the ACL does not allow the broker drops (a publish) or refuses
    (a subscription)."""
    lines = [f"user {OPERATOR_USER}", "topic readwrite elecbay/#", ""]
    lines += list(ACL_PATTERNS)
    return "\n".join(lines) + "\n"


def write_password_file(path: Path, users: dict[str, str]) -> None:
    """Write ``users`` (name -> password) with ``mosquitto_passwd`` (hashed, never plain).

    Raises:
        BrokerError: ``mosquitto_passwd`` is missing or fails.
    """
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not os.access(tool, os.X_OK):
        raise BrokerError("mosquitto_passwd not found: apt-get install mosquitto")
    path.write_text("")
    plain = path.with_suffix(".plain")
    plain.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    os.chmod(plain, 0o600)
    try:
        subprocess.run([tool, "-U", str(plain)], check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BrokerError(f"mosquitto_passwd failed: {exc}") from None
    plain.replace(path)
    os.chmod(path, 0o600)


def make_credentials(names: Iterable[str]) -> dict[str, str]:
    """A fresh random password (32 hex characters) per user name."""
    return {name: secrets.token_hex(16) for name in names}


class LocalBroker:
    """mosquitto on 127.0.0.1:``port`` with the market's users and ACL.

    Args:
        folder: where the config, password and ACL files go (created).
        users: user name -> password (the operator's included).
        port: TCP port; 0 picks a free one.
        max_packet_kb: the broker drops larger messages (and disconnects the sender).
    """

    def __init__(
        self, folder: Path, users: dict[str, str], port: int = 0, max_packet_kb: int = 64
    ) -> None:
        self.folder = Path(folder)
        self.users = dict(users)
        self.port = port or free_port()
        self.max_packet_kb = int(max_packet_kb)
        self.proc: subprocess.Popen[bytes] | None = None
        self._configured = False

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:PORT``."""
        return f"mqtt://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        """Write ``mosquitto.conf``, ``passwords`` and ``acl`` into the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        pw, acl = self.folder / "passwords", self.folder / "acl"
        write_password_file(pw, self.users)
        acl.write_text(acl_text())
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {pw}\n"
            f"acl_file {acl}\n"
            "persistence false\n"
            "set_tcp_nodelay true\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\n"
            f"max_packet_size {self.max_packet_kb * 1024}\n"
            # run as whoever started it (as root mosquitto would switch to its own user,
            # which cannot read a private run folder)
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            "max_queued_messages 100000\n"
        )
        return conf

    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        """Start mosquitto and wait until it accepts connections.

        Raises:
            BrokerError: no mosquitto binary, or it exited or did not listen in time.
        """
        binary = find_mosquitto()
        if binary is None:
            raise BrokerError(
                "mosquitto not found: install it (apt-get install mosquitto mosquitto-clients)"
            )
        conf = self.folder / "mosquitto.conf"
        if not self._configured:  # a restart reuses the files (hashing takes seconds)
            conf = self.write_config()
            self._configured = True
        log = open(self.folder / "mosquitto.log", "wb")
        self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                text = (self.folder / "mosquitto.log").read_text(errors="replace")[-2000:]
                raise BrokerError(f"mosquitto exited ({self.proc.returncode}): {text}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.01)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on 127.0.0.1:{self.port} in {timeout_s} s")

    def stop(self) -> None:
        """Stop the broker by its PID (SIGTERM, then SIGKILL after 5 s)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def __enter__(self) -> LocalBroker:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
