"""``elecbay classroom serve``: prints the join code and both links, binds to 127.0.0.1,
serves the pages; the batch experiments refuse serve's options."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from elecbay_app.cli import main

pytestmark = pytest.mark.usefixtures("web")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_the_code_and_links_and_serves(tmp_path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "elecbay_app.cli", "classroom", "serve", "--experiment",
           "gode_sunder", "--periods", "2", "--period-seconds", "30", "--bots", "zi-c:2",
           "--port", str(port)]  # fmt: skip
    log = (tmp_path / "out.txt").open("w+")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "out.txt").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert b"Join the market" in page
        out = (tmp_path / "out.txt").read_text()
        code = re.search(r"join code: (\d{6})", out).group(1)
        assert f"students:  http://127.0.0.1:{port}/?code={code}" in out
        assert re.search(rf"teacher:   http://127\.0\.0\.1:{port}/teacher\?key=\S{{16,}}", out)
        with socket.create_connection(("127.0.0.1", port)):
            pass  # bound to the loopback address (the default)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_options_are_checked(capsys) -> None:
    assert main(["classroom", "zi", "--port", "80"]) == 2
    assert "--port: applies to 'serve' only" in capsys.readouterr().err
    assert main(["classroom", "zi", "--scenario", "small"]) == 2
    assert "--scenario: applies to 'serve' only" in capsys.readouterr().err
    assert main(["classroom", "serve", "--scenario", "huge"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["classroom", "serve", "--experiment", "nope"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["classroom", "serve", "--bots", "genius"]) == 2
    assert "allowed kinds" in capsys.readouterr().err
    assert main(["classroom", "serve", "--period-seconds", "1"]) == 2
    assert "period-seconds" in capsys.readouterr().err
