"""Pages that show program output match the program (scripts/main_command.py and
scripts/cda_page.py write them); exported prices are rounded; ``elecbay --version``."""

from __future__ import annotations

import configparser
import csv
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_command_page_shows_the_help_and_errors_the_program_prints() -> None:
    mc = _script("main_command")
    page = mc.PAGE.read_text()
    assert mc.block(page, "help") == mc.help_output(), "stale: run scripts/main_command.py"
    assert mc.block(page, "errors") == mc.error_output(), "stale: run scripts/main_command.py"


def test_main_command_page_shows_a_real_run() -> None:
    from elecbay_app.cli import (
        DEFAULT_DAYS,
        DEFAULT_SEED,
        build_env,
        format_summary,
        simulate,
        summarise,
    )

    mc = _script("main_command")
    example = mc.block(mc.PAGE.read_text(), "example")
    env = build_env("default", DEFAULT_DAYS)
    ep = simulate(env, DEFAULT_SEED, progress=False)
    assert format_summary(summarise(ep)) in example, "stale: run scripts/main_command.py"
    header = (
        f"elecbay run: scenario 'default', {DEFAULT_DAYS} days x 48 periods of 30 min, "
        f"seed {DEFAULT_SEED}, {len(env.possible_agents)} agents"
    )
    assert header in example


def test_cda_page_shows_what_the_program_prints() -> None:
    cp = _script("cda_page")
    page = cp.PAGE.read_text()
    for name, content in cp.blocks().items():
        assert cp.block(page, name) == content, f"docs/cda.md {name}: run scripts/cda_page.py"


def test_version_flag_prints_the_package_version(capsys) -> None:
    from elecbay_app.cli import main

    from elecbay_env import __version__

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert __version__ == cfg["metadata"]["version"]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"elecbay {__version__}"


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0


def test_exported_prices_are_rounded(tmp_path: Path) -> None:
    from elecbay_app.cli import main

    from elecbay_env.ledger import PRICE_PLACES

    out = tmp_path / "run"
    assert main(["run", "--days", "1", "--out", str(out), "--no-progress"]) == 0
    with open(out / "periods.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    cells = [r[c] for r in rows for c in ("clearing_price", "imbalance_price") if r[c]]
    assert cells and max(_decimals(c) for c in cells) <= PRICE_PLACES
    with open(out / "statements.csv", newline="") as f:
        prices = [r["price"] for r in csv.DictReader(f) if r["price"]]
    assert prices and max(_decimals(p) for p in prices) <= PRICE_PLACES
    records = json.loads((out / "statements.json").read_text())
    assert all(r["price"] is None or r["price"] == round(r["price"], PRICE_PLACES) for r in records)


@pytest.mark.parametrize("page", ["README.md", "docs/design.md"])
def test_numba_debug_switch_is_documented(page: str) -> None:
    text = (ROOT / page).read_text()
    assert re.search(r"NUMBA_DISABLE_JIT=1", text), page
