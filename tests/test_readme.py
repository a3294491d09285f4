"""The README's sample output of ``./run.sh`` is the program's (scripts/readme_output.py
writes it; this fails when they drift apart)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_shows_what_the_main_command_prints() -> None:
    from elecbay_app.cli import (
        DEFAULT_DAYS,
        DEFAULT_SEED,
        build_env,
        format_summary,
        simulate,
        summarise,
    )

    readme = (ROOT / "README.md").read_text()
    env = build_env("default", DEFAULT_DAYS)
    ep = simulate(env, DEFAULT_SEED, progress=False)
    summary = format_summary(summarise(ep))
    assert summary in readme, "README sample output is stale: run scripts/readme_output.py"
    header = (
        f"elecbay run: scenario 'default', {DEFAULT_DAYS} days x 48 periods of 30 min, "
        f"seed {DEFAULT_SEED}, {len(env.possible_agents)} agents"
    )
    assert header in readme


def test_readme_shows_the_real_data_run() -> None:
    from elecbay_app.cli import build_env, format_summary, simulate, summarise

    readme = (ROOT / "README.md").read_text()
    env = build_env("gb2024", 1, "test")
    ep = simulate(env, 0, progress=False)
    assert format_summary(summarise(ep)) in readme, (
        "README real-data sample is stale: run scripts/readme_output.py"
    )
    assert f"real data: UTC days {env.engine.dates[0]} to {env.engine.dates[0]}" in readme
