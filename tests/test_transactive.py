"""The ledger as TeMIX products and states (issue 16 item 6): same money, the story told.

Random valid orders over a few periods of ``small`` and of a two-zone ``default``; the
statements are the oracle: each line is one TeMIX record with the same amount, and
the reserve is told as options (premium = availability, exercise = activation).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from elecbay_env.engine import Engine
from elecbay_env.testing import random_orders
from elecbay_env.transactive import COLUMNS, PRODUCTS, STATES, temix_records


def _engine(name: str, periods: int = 6, **over) -> Engine:
    eng = Engine(name, n_markets=2, **over)
    eng.reset(seed=2)
    rng = np.random.default_rng(2)
    for _ in range(periods):
        eng.step(random_orders(eng.params, eng.state, rng))
    return eng


@pytest.mark.parametrize("name", ["small", "default"])
def test_every_statement_line_is_one_record_with_the_same_money(name):
    eng = _engine(name)
    lines = eng.ledger.statements()
    recs = temix_records(eng.ledger)
    assert all(tuple(r) == COLUMNS for r in recs)
    assert {r["product"] for r in recs} <= set(PRODUCTS)
    assert {r["state"] for r in recs} <= set(STATES)
    money = [r for r in recs if r["amount"] is not None]
    key = lambda r: (r["market"], r["period"], r["agent"], r["amount"], r["mwh"])  # noqa: E731
    assert Counter(map(key, money)) == Counter(map(key, lines))


def test_reserve_is_told_as_options():
    eng = _engine("small")
    recs = temix_records(eng.ledger)
    lines = eng.ledger.statements()
    avail = [r for r in lines if r["component"] == "availability"]
    premium = [r for r in recs if r["product"] == "option_power" and r["event"] == "premium"]
    assert avail and len(premium) == len(avail)
    assert all(r["state"] == "transaction" for r in premium)
    for r in (r for r in recs if r["event"] == "exercise" and r["mwh"] != 0.0):
        assert r["state"] == "delivery" and r["option"] == ("call" if r["mwh"] > 0 else "put")
    procured = [r for r in recs if r["product"] == "option_power" and r["event"] == "trade"]
    reserved = sum(float(x[..., d].sum()) for x in eng.ledger.reserved for d in (0, 1))
    assert sum(r["mw"] for r in procured) == pytest.approx(reserved)
    tenders = [r for r in recs if r["state"] == "tender"]
    assert tenders and all(r["expires"] == r["period"] for r in tenders)
    published = [r for r in recs if r["state"] == "publish"]
    assert len(published) == sum(int(np.isfinite(p).sum()) for p in eng.ledger.published_prices)


def test_zonal_flows_are_transport():
    border = {"from_zone": 0, "to_zone": 1, "forward_mw": 50, "backward_mw": 50}
    zonal = {"market.zones": 2, "producers.0.zone": 1, "borders": [border]}
    eng = _engine("default", periods=3, **zonal)
    recs = temix_records(eng.ledger)
    rent = [r for r in recs if r["product"] == "transport"]
    assert rent and all(r["agent"] == "transmission_owner" for r in rent)
