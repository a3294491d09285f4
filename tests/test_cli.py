"""The ``elecbay`` command (:mod:`elecbay_app.cli`).

``elecbay run`` writes every listed file, and its summary agrees with what it wrote:
welfare and profits with the exported ledger (decimal amounts, 6 places: sums agree
within 1e-3), volumes and the imbalance cost with the statement lines, the meter
reads and periods with the run's length. ``--help`` exits 0; bad options exit 2
with one line on stderr. ``elecbay clear`` with no argument clears the demo book.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from elecbay_app.cli import RUN_FILES, main

from elecbay_env.kernels import ledger_codes as L

PERIODS = 48  # one day of the default scenario
AGENTS = 14  # 9 producers (two OCGTs), 4 consumers, the broker
METERS = 6


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["run", "--days", "1", "--out", str(out), "--no-progress"])
    assert code == 0
    return out, buf.getvalue()


def statements(out: Path) -> list[dict[str, str]]:
    with open(out / "statements.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_run_writes_every_listed_file(run_dir) -> None:
    out, stdout = run_dir
    assert set(RUN_FILES) <= {p.name for p in out.iterdir()}
    assert set(RUN_FILES) >= {
        "statements.csv", "statements.parquet", "statements.json", "meter_reads.csv",
        "meter_reads.parquet", "summary.json", "market.png",
    }  # fmt: skip
    for name in RUN_FILES:
        assert (out / name).stat().st_size > 0, name
    assert (out / "market.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in stdout
    assert "mean clearing price" in stdout
    assert "welfare (sum of rewards)" in stdout


def test_summary_agrees_with_the_ledger(run_dir) -> None:
    out, _ = run_dir
    summary = json.loads((out / "summary.json").read_text())
    lines = statements(out)
    assert summary["periods"] == PERIODS and summary["days"] == 1 and summary["seed"] == 0
    profit: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        profit[line["agent"]] += Decimal(line["amount"])
    # an agent with no line (a unit that never ran, here the second OCGT) made nothing
    assert set(profit) <= set(summary["profit"]) and len(summary["profit"]) == AGENTS
    assert len(profit) >= AGENTS - 1
    for agent, value in summary["profit"].items():
        assert float(profit[agent]) == pytest.approx(value, abs=1e-3), agent
    welfare = sum(profit.values())
    assert float(welfare) == pytest.approx(summary["welfare"], abs=1e-3)
    assert summary["welfare"] == pytest.approx(sum(summary["profit"].values()), abs=1e-6)
    # the broker's cash lines balance everyone else's: cash sums to zero
    cash_names = L.NAMES[: L.N_CASH]
    assert "residual_reallocation" in cash_names
    cash = sum(Decimal(x["amount"]) for x in lines if x["component"] in cash_names)
    assert cash == 0
    imbalance_paid = -sum(
        float(x["amount"]) for x in lines
        if x["component"] == "imbalance" and x["agent"] != "broker_0"
    )  # fmt: skip
    assert imbalance_paid == pytest.approx(summary["imbalance_cost"], abs=1e-3)
    sold = sum(float(x["mwh"]) for x in lines
               if x["component"] == "forward_energy" and float(x["mwh"]) > 0)  # fmt: skip
    assert sold == pytest.approx(summary["traded_volume_mwh"], rel=1e-9)
    unserved = sum(float(x["mwh"]) for x in lines if x["component"] == "unserved_energy_cost")
    assert unserved == pytest.approx(summary["unserved_energy_mwh"], abs=1e-9)
    assert summary["traded_volume_mwh"] > 0


def test_periods_file_agrees_with_the_summary(run_dir) -> None:
    out, _ = run_dir
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "periods.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["period"]) for r in rows] == list(range(PERIODS))
    assert sum(float(r["welfare"]) for r in rows) == pytest.approx(
        summary["welfare"], rel=1e-9, abs=PERIODS * 5e-7
    )
    # periods.csv rounds to 6 decimal places: each row may be off by 5e-7
    assert sum(abs(float(r["niv_mwh"])) for r in rows) == pytest.approx(
        summary["imbalance_volume_mwh"], rel=1e-9, abs=PERIODS * 5e-7
    )
    prices = [float(r["clearing_price"]) for r in rows if r["clearing_price"]]
    assert sum(prices) / len(prices) == pytest.approx(summary["mean_clearing_price_per_mwh"])


def test_other_formats_hold_the_same_records(run_dir) -> None:
    out, _ = run_dir
    n_lines = len(statements(out))
    assert pq.read_table(out / "statements.parquet").num_rows == n_lines
    assert len(json.loads((out / "statements.json").read_text())) == n_lines
    meters = pq.read_table(out / "meter_reads.parquet")
    assert meters.num_rows == PERIODS * AGENTS * METERS
    with open(out / "meter_reads.csv", newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == PERIODS * AGENTS * METERS


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path: Path, run_dir) -> None:
    out, _ = run_dir
    first = json.loads((out / "summary.json").read_text())
    for seed, same in ((0, True), (1, False)):
        target = tmp_path / f"seed{seed}"
        assert main(["run", "--days", "1", "--seed", str(seed), "--out", str(target),
                     "--no-progress"]) == 0  # fmt: skip
        again = json.loads((target / "summary.json").read_text())
        assert (again["welfare"] == first["welfare"]) is same
        assert (again["profit"] == first["profit"]) is same


def test_default_output_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--days", "1", "--seed", "4", "--no-progress"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("default-seed4-")
    assert (folder / "summary.json").is_file()
    assert str(Path("runs") / folder.name) in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["clear", "--help"]])
def test_help_exits_0(argv, capsys) -> None:
    assert main(argv) == 0
    text = capsys.readouterr().out
    if argv[0] == "run":
        for option in ("--config", "--days", "--seed", "--out", "--plot-period", "--no-progress"):
            assert option in text


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--days", "0"], "--days"),
        (["run", "--days", "-2"], "--days"),
        (["run", "--days", "two"], "--days"),
        (["run", "--seed", "-1"], "--seed"),
        (["run", "--config", "no_such_scenario"], "no_such_scenario"),
        (["run", "--config", "/nonexistent/scenario.yaml"], "not found"),
        (["run", "--days", "1", "--plot-period", "48"], "--plot-period"),
        (["run", "--bogus"], "--bogus"),
        (["run", "--out", __file__], "not a folder"),
        (["fly"], "fly"),
        ([], "required"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, needle, capsys, tmp_path) -> None:
    assert main([*argv, "--no-progress"] if argv[:1] == ["run"] else argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "error" in lines[0] and needle in lines[0]
    assert not (tmp_path / "runs").exists()


def test_clear_without_a_book_clears_the_demo_book(capsys) -> None:
    assert main(["clear"]) == 0
    out = capsys.readouterr().out
    assert "configs/demo_book.yaml (embedded)" in out
    assert "clearing price 62.00 per MWh" in out
