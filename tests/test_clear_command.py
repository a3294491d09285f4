"""``elecbay clear`` and ``elecbay cda``: YAML and CSV books, surplus, plot, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from elecbay_app.cli import main

BOOK_YAML = """\
k: 0.5
bids:
  - {who: alice, price: 30, qty: 2}
  - {who: bob, price: 20, qty: 1}
asks:
  - {who: carol, price: 10, qty: 1}
  - {who: dave, price: 25, qty: 2}
"""
# By hand: demand 30 (2 MW), 20 (1 MW); supply 10 (1 MW), 25 (2 MW). At any price in
# (20, 30] demand is 2 MW; supply is 1 MW below 25 and 3 MW above, so the market clears
# only at exactly 25 (dave, partly filled, is the marginal seller): the supporting
# interval is [25, 25] whatever k. Two MW trade: alice's 2 MW against carol's 1 MW and
# 1 of dave's 2 MW. Surplus: alice 2 x (30 - 25) = 10; carol 1 x (25 - 10) = 15; dave
# 1 x (25 - 25) = 0; bob 0. Buyers 10, sellers 15, total 25.
BOOK_CSV = "side,who,price,qty\nbid,alice,30,2\nbid,bob,20,1\nask,carol,10,1\nask,dave,25,2\n"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("name", "text"), [("book.yaml", BOOK_YAML), ("book.csv", BOOK_CSV)])
def test_clear_prints_fills_and_hand_computed_surplus(tmp_path, capsys, name, text) -> None:
    assert main(["clear", _write(tmp_path, name, text)]) == 0
    out = capsys.readouterr().out
    assert (
        "clearing price 25.00 per MWh (supporting interval [25.00, 25.00]), volume 2.00 MW" in out
    )
    assert "  buyers            10.00" in out
    assert "  sellers           15.00" in out
    assert "  total             25.00" in out
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.split("surplus per trader")[1].splitlines()[2:]
    }
    assert rows["alice"] == ["2.00", "0.00", "10.00"]
    assert rows["carol"] == ["0.00", "1.00", "15.00"]
    assert rows["dave"] == ["0.00", "1.00", "0.00"]
    assert rows["bob"] == ["0.00", "0.00", "0.00"]


def test_clear_surplus_matches_the_api(tmp_path) -> None:
    from elecbay_app.clear_command import clear_book

    from elecbay_env.order_books import read_book

    c = clear_book(read_book(_write(tmp_path, "b.csv", BOOK_CSV)))
    assert c.buyers_surplus == pytest.approx(10.0)
    assert c.sellers_surplus == pytest.approx(15.0)
    c = clear_book(read_book(_write(tmp_path, "b.csv", BOOK_CSV)), pricing="pay_as_bid")
    # pay as bid: every filled order at its own price, so no one gains
    assert c.buyers_surplus == 0.0 and c.sellers_surplus == 0.0


def test_offers_is_an_alias_of_asks(tmp_path, capsys) -> None:
    text = BOOK_YAML.replace("asks:", "offers:")
    assert main(["clear", _write(tmp_path, "b.yaml", text)]) == 0
    assert "clearing price 25.00" in capsys.readouterr().out


def test_plot_file_is_written(tmp_path, capsys) -> None:
    png = tmp_path / "curves.png"
    assert main(["clear", _write(tmp_path, "b.yaml", BOOK_YAML), "--plot", str(png)]) == 0
    assert png.stat().st_size > 5000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_book_still_clears(capsys) -> None:
    assert main(["clear"]) == 0
    assert "configs/demo_book.yaml" in capsys.readouterr().out


MALFORMED = [
    ("empty.yaml", "", "empty"),
    ("empty.csv", "", "empty"),
    ("list.yaml", "- {price: 1, qty: 1}\n", "got a list"),
    ("csv_as.yaml", BOOK_CSV, "looks like CSV"),
    ("yaml_as.csv", BOOK_YAML, "looks like YAML"),
    ("typo.yaml", BOOK_YAML.replace("asks:", "askz:"), "unknown key 'askz'"),
    ("both.yaml", BOOK_YAML + "offers: []\n", "not both"),
    ("nolists.yaml", "k: 0.5\n", "missing keys 'bids' and 'asks'"),
    ("rowkey.yaml", "bids:\n  - {who: a, price: 1, qty: 1, colour: red}\n", "unknown key 'colour'"),
    ("noqty.yaml", "bids:\n  - {who: a, price: 1}\n", "missing key 'qty'"),
    ("text.yaml", "bids:\n  - {who: a, price: 1, qty: lots}\n", "qty='lots' is not a number"),
    ("neg.yaml", "bids:\n  - {who: a, price: 1, qty: -1}\n", "qty=-1.0 outside the allowed range"),
    ("nan.yaml", "bids:\n  - {who: a, price: .nan, qty: 1}\n", "must be finite"),
    ("huge.yaml", "asks:\n  - {who: a, price: 1, qty: 1e300}\n", "[0, 1e+09] MW"),
    ("bool.yaml", "asks:\n  - {who: a, price: true, qty: 1}\n", "price=True is not a number"),
    ("row.yaml", "bids:\n  - 5\n", "expected a mapping"),
    ("badk.yaml", BOOK_YAML.replace("k: 0.5", "k: 2"), "k=2"),
    ("nan.csv", "side,price,qty\nbid,nan,1\n", "must be finite"),
    ("under.csv", "side,price,qty\nbid,1_0,1\n", "price='1_0' is not a number"),
    ("dup.csv", "side,price,qty,qty\nbid,1,1,2\n", "duplicate column 'qty'"),
    ("col.csv", "side,price,amount\nbid,1,1\n", "unknown column 'amount'"),
    ("side.csv", "side,price,qty\nborrow,1,1\n", "side='borrow'"),
    ("cells.csv", "side,price,qty\nbid,1\n", "2 cells, the header has 3"),
    ("noside.csv", "price,qty\n1,1\n", "missing column 'side'"),
    ("bad.yaml", "bids: [\n", "not valid YAML"),
    ("book.txt", BOOK_CSV, "unknown suffix"),
]


@pytest.mark.parametrize(("name", "text", "needle"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_books_exit_2_with_one_line(tmp_path, capsys, name, text, needle) -> None:
    path = _write(tmp_path, name, text)
    assert main(["clear", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"elecbay clear: error: {path}")
    assert needle in err


def test_missing_file_exits_2(tmp_path, capsys) -> None:
    assert main(["clear", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


# ------------------------------------------------------------------------------ cda

ORDERS = """\
side,who,price,qty
ask,s1,50,10
ask,s2,40,5
bid,b1,45,8
bid,b2,60,10
ask,s3,55,4
"""
# By hand, price-time priority, trades at the resting order's price:
#   order 2 (bid 45 x 8) meets the best ask s2 40 x 5: 5 MW at 40; 3 MW of b1 rest at 45.
#   order 3 (bid 60 x 10) meets s1 50 x 10 (s2 is filled): 10 MW at 50.
#   order 4 (ask 55 x 4): the best bid is b1 at 45 < 55, so it rests.
# Surplus: b1 5 x (45 - 40) = 25; s2 0; b2 10 x (60 - 50) = 100; s1 0.


def test_cda_prints_the_hand_worked_trades(tmp_path, capsys) -> None:
    assert main(["cda", _write(tmp_path, "o.csv", ORDERS)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "5 orders, 2 trades" in out
    i = next(k for k, line in enumerate(lines) if line.startswith("trade"))
    assert lines[i + 1].split() == ["0", "2", "(bid)", "b1", "s2", "40.00", "5.00"]
    assert lines[i + 2].split() == ["1", "3", "(bid)", "b2", "s1", "50.00", "10.00"]
    assert "  bid  order   2  b1               45.00     3.00 MW" in out
    assert "  ask  order   4  s3               55.00     4.00 MW" in out
    per = out.split("surplus per trader")[1]
    assert "b1" in per and per.split("total")[1].split() == ["125.00"]


def test_cda_yaml_orders_and_errors(tmp_path, capsys) -> None:
    text = (
        "orders:\n  - {side: ask, who: s, price: 10, qty: 1}\n"
        "  - {side: buy, who: b, price: 12, qty: 1}\n"
    )
    assert main(["cda", _write(tmp_path, "o.yaml", text)]) == 0
    assert "2 orders, 1 trades" in capsys.readouterr().out
    bad = _write(tmp_path, "z.csv", "side,price,qty\nbid,1,0\n")
    assert main(["cda", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "qty=0.0 outside the allowed range (0, 1e+09] MW" in err
    bad = _write(tmp_path, "p.csv", "side,price,qty\nbid,9000,1\n")
    assert main(["cda", bad]) == 2
    assert "price_cap" in capsys.readouterr().err


def test_classroom_config_reaches_the_experiment(monkeypatch) -> None:
    import argparse

    from elecbay_evaluate.classroom import command

    seen = {}

    def fake(markups, withholds, days, seeds, agent, scenario):
        seen["scenario"] = scenario
        raise command.OptionError("stop")

    monkeypatch.setattr(command, "run_withholding", fake)
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["withholding", "--quick", "--config", "small"])
    with pytest.raises(Exception, match="stop"):
        command.run_command(args)
    assert seen["scenario"] == "small"
    assert main(["classroom", "zi", "--config", "small"]) == 2
