"""The shell agent of docs/live_market.md (mosquitto_pub / mosquitto_sub) trades a whole
episode: it registers, answers every gate and receives every statement."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "live_market.md"
SEAT = "producer_1"


def shell_agent() -> str:
    text = DOC.read_text()
    match = re.search(r"<!-- live_market: shell_agent -->\n```bash\n(.*?)```", text, re.S)
    assert match, "the shell agent's code block is missing from docs/live_market.md"
    return match.group(1)


def test_the_docs_shell_agent_trades_an_episode(start_market, tmp_path) -> None:
    if shutil.which("mosquitto_pub") is None or shutil.which("mosquitto_sub") is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("mosquitto-clients missing, and CI=true")
        pytest.skip("mosquitto-clients is not installed")
    script = tmp_path / "agent.sh"
    script.write_text(shell_agent())
    market = start_market(scenario="small", expect=1, register_timeout_s=60)
    env = {**os.environ, "PORT": str(market.broker.port), "SEAT": SEAT,
           "PASSWORD": market.password(SEAT)}  # fmt: skip
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    market.join(30)
    statements = [line for line in done.stdout.splitlines() if '"type":"statement"' in line]
    assert len(statements) == 48 and '"type":"rejected"' not in done.stdout
    orders = [row for row in market.operator.ledger.table("orders") if row[1] == SEAT]
    assert [row[3] for row in orders] == ["agent"] * 48
    width = market.operator.env.action_space(SEAT).shape[0]
    assert all(json.loads(row[4]) == [0.5] * width for row in orders)
