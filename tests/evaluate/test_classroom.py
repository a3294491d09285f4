"""The classroom experiments (:mod:`elecbay_evaluate.classroom`, ``elecbay classroom``).

Each command runs at a small size through the ``elecbay`` entry point; the tests read
what it wrote (``results.csv``: one row per seed and setting) and check the claims
the docs make, with margins: ZI-C traders reach high efficiency and beat ZI-U by a
clear margin; a higher markup and more withholding raise the mean price and lower
efficiency; more reserve costs more availability and leaves no more unserved energy.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from elecbay_app.cli import main
from elecbay_evaluate import classroom

PNG = b"\x89PNG\r\n\x1a\n"


def run(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["classroom", *argv])
    return code, buf.getvalue()


def results(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def means(rows: list[dict[str, str]], keys: tuple[str, ...], value: str) -> dict:
    """Mean of column ``value`` over seeds, per setting (the tuple of ``keys``)."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in rows:
        groups[tuple(float(r[k]) if k != "traders" else r[k] for k in keys)].append(float(r[value]))
    return {k: float(np.mean(v)) for k, v in groups.items()}


def check_outputs(out: Path, name: str, stdout: str, n_rows: int) -> list[dict[str, str]]:
    assert (out / f"{name}.png").read_bytes()[:8] == PNG
    table = (out / "table.txt").read_text()
    assert table.strip() and table.strip() in stdout
    assert str(out) in stdout
    rows = results(out)
    assert len(rows) == n_rows
    return rows


# ------------------------------------------------------------------------------ zi


def test_zi_market_equilibrium_by_hand() -> None:
    m = classroom.zi_market(10, 10)
    # values 160, 148.9, ..., 60; costs 40, 51.1, ..., 140: six pairs have value > cost
    assert m.quantity == 6
    assert m.price == pytest.approx(100.0)
    assert (m.price_lo, m.price_hi) == pytest.approx((140 - 400 / 9, 60 + 400 / 9))
    assert m.max_surplus == pytest.approx(sum(120 - 200 / 9 * i for i in range(6)))


def test_zi_c_trades_never_lose_and_seeds_reproduce() -> None:
    m = classroom.zi_market(8, 8)
    a = classroom.zi_session(m, constrained=True, seed=3, periods=4, steps=200)
    b = classroom.zi_session(m, constrained=True, seed=3, periods=4, steps=200)
    c = classroom.zi_session(m, constrained=True, seed=4, periods=4, steps=200)
    np.testing.assert_array_equal(a.price, b.price)
    assert not np.array_equal(a.price, c.price)
    # a ZI-C trade lies between the seller's cost and the buyer's value: never a loss
    assert a.price.size > 0 and np.all(a.surplus > 0)
    assert np.all((a.price >= m.costs.min()) & (a.price <= m.values.max()))
    assert np.all(a.surplus <= m.max_surplus + 1e-9)


def test_zi_command_zi_c_beats_zi_u(tmp_path: Path) -> None:
    out = tmp_path / "zi"
    code, stdout = run(["zi", "--quick", "--seeds", "6", "--out", str(out)])
    assert code == 0
    rows = check_outputs(out, "zi", stdout, n_rows=2 * 6)
    eff = means(rows, ("traders",), "efficiency")
    rms = means(rows, ("traders",), "rms_price_deviation")
    assert eff[("ZI-C",)] >= 0.9
    assert eff[("ZI-C",)] - eff[("ZI-U",)] >= 0.2
    assert rms[("ZI-C",)] < 0.7 * rms[("ZI-U",)]  # ZI-C prices stay nearer p*
    assert "ZI-C" in stdout and "efficiency %" in stdout


def test_zi_same_seed_same_results(tmp_path: Path) -> None:
    argv = ["zi", "--seeds", "2", "--periods", "2", "--buyers", "6", "--sellers", "7"]
    texts = []
    for name in ("a", "b"):
        assert run([*argv, "--out", str(tmp_path / name)])[0] == 0
        texts.append((tmp_path / name / "results.csv").read_text())
    assert texts[0] == texts[1]
    assert run([*argv, "--first-seed", "5", "--out", str(tmp_path / "c")])[0] == 0
    assert (tmp_path / "c" / "results.csv").read_text() != texts[0]


# --------------------------------------------------------------------- withholding


def test_withholding_raises_the_price_and_lowers_efficiency(tmp_path: Path) -> None:
    out = tmp_path / "wh"
    argv = ["withholding", "--quick", "--markups", "0,1", "--withholds", "0,0.4"]
    code, stdout = run([*argv, "--out", str(out)])
    assert code == 0
    rows = check_outputs(out, "withholding", stdout, n_rows=2 * 2 * 2)
    price = means(rows, ("markup", "withhold"), "mean_price")
    eff = means(rows, ("markup", "withhold"), "efficiency")
    # ccgt_1 offers at 54 per MWh; marked up 100 % it is priced above coal and OCGT
    assert price[(1.0, 0.0)] > price[(0.0, 0.0)] + 5.0
    assert price[(0.0, 0.4)] > price[(0.0, 0.0)] + 3.0
    assert price[(1.0, 0.4)] >= price[(1.0, 0.0)]
    assert eff[(1.0, 0.0)] < eff[(0.0, 0.0)] - 1e-3
    assert eff[(0.0, 0.4)] < eff[(0.0, 0.0)] - 2e-4
    assert "producer_2 (ccgt_1)" in stdout


# ------------------------------------------------------------------------- reserve


def test_reserve_trades_availability_against_unserved_energy(tmp_path: Path) -> None:
    out = tmp_path / "res"
    z = (0.0, 1.0, 4.0, 16.0)
    code, stdout = run(["reserve", "--quick", "--z", ",".join(map(str, z)), "--out", str(out)])
    assert code == 0
    rows = check_outputs(out, "reserve", stdout, n_rows=len(z) * 2)
    avail = [means(rows, ("z",), "availability_per_day")[(x,)] for x in z]
    unserved = [means(rows, ("z",), "unserved_cost_per_day")[(x,)] for x in z]
    total = [means(rows, ("z",), "total_per_day")[(x,)] for x in z]
    assert avail[0] == 0.0
    assert all(b > a * 1.5 for a, b in itertools.pairwise(avail))
    # weakly decreasing, 2 % tolerance; and z = 16 leaves far less than no reserve
    assert all(b <= a * 1.02 + 1.0 for a, b in itertools.pairwise(unserved))
    assert unserved[-1] < 0.5 * unserved[0]
    for r in rows:
        parts = float(r["availability_per_day"]) + float(r["balancing_per_day"])
        assert float(r["total_per_day"]) == pytest.approx(parts + float(r["unserved_cost_per_day"]))
    (marked,) = [line for line in stdout.splitlines() if line.endswith("<- min")]
    assert marked.split()[0] == f"{z[int(np.argmin(total))]:g}"


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["zi", "--z", "1"], "--z: applies to the reserve experiment"),
        (["reserve", "--seeds", "0"], "--seeds 0: must be at least 1"),
        (["withholding", "--withholds", "0,1.5"], "--withholds"),
        (["withholding", "--producer", "consumer_0"], "--producer consumer_0"),
        (["withholding", "--quick", "--producer", "producer_99"], "producer_99"),
        (["zi", "--markups", "a,b"], "comma-separated"),
    ],
)
def test_bad_options_exit_2(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    code, _ = run([*argv, "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_help_lists_the_experiments(capsys) -> None:
    assert main(["classroom", "--help"]) == 0
    text = capsys.readouterr().out
    for name in classroom.EXPERIMENTS:
        assert name in text
