"""``elecbay serve`` and ``elecbay agent`` (app/live_command.py), and --speed timing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from elecbay_app.cli import main


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--speed", "0"], "--speed"),
        (["serve", "--days", "0"], "--days"),
        (["serve", "--lockstep", "--speed", "10"], "not allowed with"),
        (["serve", "--broker", "mqtt://127.0.0.1:1"], "--operator-password"),
        (["serve", "--house", "producer_0"], "--house"),
        (["serve", "--meter-tolerance", "-1"], "--meter-tolerance"),
        (["serve", "--registration-window", "x"], "--registration-window"),
        (
            [
                "agent",
                "--policy",
                "merit_order",
                "--seat",
                "producer_0",
                "--broker",
                "http://x",
                "--password",
                "p",
            ],
            "--broker",
        ),
        (
            [
                "agent",
                "--policy",
                "merit_order",
                "--seat",
                "producer_0",
                "--seat",
                "consumer_0",
                "--broker",
                "mqtt://127.0.0.1:1",
                "--password",
                "p",
            ],
            "--password",
        ),
        (["agent", "--seat", "producer_0", "--broker", "mqtt://127.0.0.1:1"], "--policy"),
    ],
)
def test_bad_options_exit_2_naming_the_option(argv, says, capsys) -> None:
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_help_exits_0(capsys) -> None:
    for command in ("serve", "agent"):
        assert main([command, "--help"]) == 0
    assert "--lockstep" in capsys.readouterr().out


def test_serve_and_agent_commands_play_an_episode(mosquitto, tmp_path) -> None:
    run = [sys.executable, "-m", "elecbay_app"]
    serve = subprocess.Popen([*run, "serve", "--out", str(tmp_path / "run"), "--expect", "1",
                              "--seed", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)  # fmt: skip
    try:
        first = serve.stdout.readline()
        url = re.search(r"mqtt://127\.0\.0\.1:\d+", first).group(0)
        agent = subprocess.run(
            [*run, "agent", "--policy", "markup:0.1", "--seat", "producer_0", "--seat",
             "consumer_0", "--broker", url, "--credentials", str(tmp_path / "run" /
             "credentials.json"), "--timeout", "300"],
            capture_output=True, text=True, timeout=400,
        )  # fmt: skip
        out, err = serve.communicate(timeout=120)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert agent.returncode == 0, agent.stderr
    for seat in ("producer_0", "consumer_0"):
        assert f"{seat}: registered; 48 orders, 48 statements, 0 rejections" in agent.stdout
    assert serve.returncode == 0, err
    assert "done: 48 periods" in out and "2 agents; 96 orders" in out


def test_speed_mode_closes_each_gate_on_the_clock(start_market) -> None:
    from elecbay_live.client import AgentPool

    speed = 1800 * 8  # a 30-minute period in 1/8 s
    market = start_market(scenario="small", lockstep=False, speed=speed, expect=1)
    width = market.operator.env.action_space("consumer_0").shape[0]
    pool = AgentPool(market.url)
    seat = pool.add("consumer_0", market.password("consumer_0"), lambda o, p, s: [0.0] * width)
    try:
        pool.run(timeout_s=120)
    finally:
        pool.close()
    market.join(30)
    op = market.operator
    assert op.ledger.last_period() == 47
    assert min(op.gate_latency_s) >= 30 * 60 / speed - 0.01  # never closed early
    assert len(seat.statements) == 48


def test_serve_refuses_the_run_folder_of_another_market(start_market, tmp_path, capsys) -> None:
    folder = tmp_path / "run"
    start_market(folder, run=False, scenario="small", seed=0).close()
    assert main(["serve", "--out", str(folder), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "another market" in err


def test_an_entrant_registers_and_plays_a_new_asset(mosquitto, tmp_path) -> None:
    """From the command line: serve with a window, agent --asset."""
    import json

    run = [sys.executable, "-m", "elecbay_app"]
    asset = tmp_path / "asset.json"
    asset.write_text(json.dumps({"role": "producer", "asset": {
        "type": "thermal", "name": "peaker", "technology": "ocgt", "capacity_mw": 80,
        "min_stable_mw": 10, "marginal_cost_per_mwh": 120, "ramp_mw_per_min": 8}}))  # fmt: skip
    serve = subprocess.Popen([*run, "serve", "--out", str(tmp_path / "run"), "--expect", "1",
                              "--registration-window", "120", "--entrants", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        url = re.search(r"mqtt://127\.0\.0\.1:\d+", serve.stdout.readline()).group(0)
        agent = subprocess.run(
            [*run, "agent", "--policy", "merit_order", "--seat", "entrant_0", "--asset",
             str(asset), "--broker", url, "--credentials",
             str(tmp_path / "run" / "credentials.json"), "--timeout", "300"],
            capture_output=True, text=True, timeout=400,
        )  # fmt: skip
        out, err = serve.communicate(timeout=120)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert agent.returncode == 0, agent.stderr
    assert "entrant_0: plays producer_2; 48 orders, 48 statements, 0 rejections" in agent.stdout
    assert serve.returncode == 0, err
    assert "done: 48 periods" in out and "1 agents; 48 orders" in out


def test_serve_names_an_unreachable_ledger_without_its_password(mosquitto, tmp_path,
                                                                capsys) -> None:  # fmt: skip
    pytest.importorskip("psycopg")
    from elecbay_live.broker import free_port

    url = f"postgresql://u:s3cret@127.0.0.1:{free_port()}/x?connect_timeout=2"
    assert main(["serve", "--out", str(tmp_path / "run"), "--ledger", url]) == 2
    err = capsys.readouterr().err
    assert "ledger postgresql://u:***@127.0.0.1" in err and "s3cret" not in err
