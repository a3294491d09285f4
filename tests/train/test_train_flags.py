"""``elecbay train`` refuses bad values with exit 2 naming the flag; ``--help`` shows
every default (no torch needed: the checks run before training starts)."""

from __future__ import annotations

import pytest
from elecbay_app.cli import main


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--days", "0"], "--days"),
        (["--checkpoint-every", "-1"], "--checkpoint-every"),
        (["--torch-threads", "0"], "--torch-threads"),
        (["--timesteps", "0"], "--timesteps"),
        (["--n-markets", "0"], "--n-markets"),
        (["--seed", "-1"], "--seed"),
        (["--n-markets", "two"], "--n-markets"),
    ],
)
def test_bad_values_exit_2_naming_the_flag(argv, flag, capsys) -> None:
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("elecbay train: error:") and f"argument {flag}:" in err
    assert len(err.strip().splitlines()) == 1


def test_help_shows_every_default(capsys) -> None:
    from elecbay_train.train import build_parser

    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for action in build_parser()._actions:
        if action.option_strings and action.dest != "help":
            assert "(default:" in (action.help or ""), action.dest
    for shown in ("(default: 100000)", "(default: 16)", "(default: ppo)", "(default: 1)"):
        assert shown in text
    assert "``" not in text  # no docstring markup
