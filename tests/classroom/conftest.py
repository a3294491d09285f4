"""Fixtures of the classroom tests: a live server on a free 127.0.0.1 port, a browser.

The server tests need the ``classroom`` extra (fastapi, uvicorn, websockets, httpx); the
browser tests also need Playwright for Python and Debian's ``chromium``. Where one is
missing the tests skip on a developer's machine but fail in CI (``CI=true``; ``.ci/run``
installs chromium with apt-get).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest


def need(what: str, ok: bool, hint: str) -> None:
    """Skip without ``what``, or fail in CI."""
    if ok:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{what} is missing, and CI=true: the classroom tests must run in CI")
    pytest.skip(f"{what} is not installed ({hint})")


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def web() -> None:
    """The classroom extra (and httpx for FastAPI's test client)."""
    for mod in ("fastapi", "uvicorn", "websockets", "httpx"):
        need(mod, _has(mod), "pip install 'elecbay[classroom,dev]'")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium binary, with Playwright for Python to drive it."""
    need("playwright", _has("playwright"), "pip install 'elecbay[dev]'")
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need("chromium", path is not None, "apt-get install chromium chromium-driver")
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(web) -> Iterator[Any]:
    """``live_server(session) -> base URL``: uvicorn in a thread on 127.0.0.1; stopped at
    the end of the test."""
    import uvicorn
    from elecbay_classroom.server import create_app

    servers: list[tuple[Any, threading.Thread]] = []

    def start(session: Any) -> str:
        port = _free_port()
        config = uvicorn.Config(create_app(session), host="127.0.0.1", port=port,
                                ws="websockets-sansio", log_level="warning")  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the classroom server did not start")
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
