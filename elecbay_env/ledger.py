"""The settlement ledger: one statement per agent and period, and its export.

Each statement line is one component (:mod:`elecbay_env.kernels.ledger_codes`) with
its MWh, price and amount (cash received positive). Exported amounts are decimals
with ``places`` digits (default 6); within each market and period the broker's cash
lines are written as minus the sum of everyone else's exported lines, so the exported
cash sums to exactly zero and every agent's lines add up to its reward to the cent.

Exported prices are rounded to :data:`PRICE_PLACES` decimal places (1e-6 currency per
MWh), far below any meaningful price difference, so that float32 noise from actions
(``53.999945521354675``) does not show in the files; the arrays in memory keep every
bit.

With zones (``market.zones > 1``) the congestion rent of each period is the
transmission owner's: one more statement line, agent :data:`TRANSMISSION_OWNER`,
component ``congestion_rent`` (MWh: the energy that flowed over all borders; amount:
the rent), and the exported cash of the agents and the transmission owner sums to
zero. A scenario with one zone has no such line.

With participation rules (docs/participation.md) a period may have extra lines:
zero-amount notices (``reserve_rejected``, ``flexibility_rejected``,
``curtailment_rejected``, ``risk_clipped``, ``risk_rejected``: the MWh an order lost)
and bilateral options (``option_premium``, ``option_exercise``, ``option_expired``),
which come in opposite pairs and so keep the exported cash at zero.
The ledger also keeps the orders the auction saw, the published prices and the
reserve procured, for :mod:`elecbay_env.transactive`.

Formats: CSV, JSON (records; decimals as strings) and Parquet (decimal128 columns)
through pyarrow. Meter reads export the same way.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .kernels.ledger_codes import FORWARD, N_CASH
from .kernels.ledger_codes import NAMES as COMPONENTS

if TYPE_CHECKING:
    import pyarrow as pa

    from .orders import Orders
    from .params import MarketParams
    from .period import PeriodOutcome

PRICE_PLACES = 6
"""Decimal places of exported prices (currency per MWh): a precision of 1e-6."""


def round_price(price: float) -> float | None:
    """``price`` (currency per MWh) rounded to :data:`PRICE_PLACES` places; None for NaN."""
    return None if price != price else round(float(price), PRICE_PLACES)


TRANSMISSION_OWNER = "transmission_owner"
"""The account the congestion rent of a zonal market goes to (not an agent)."""
CONGESTION_RENT = "congestion_rent"
"""Its one statement component."""

STATEMENT_COLUMNS = ("market", "period", "agent", "component", "mwh", "price", "amount")
METER_COLUMNS = ("market", "period", "interval", "agent", "mwh")


def _extra_lines(
    lines: list[dict[str, object]], market: int, period: int, places: int
) -> list[dict[str, object]]:
    """One market's extra lines as statement records; each amount is rounded half-even
    and the lines come in opposite pairs (options) or at zero (notices), so the
    exported cash still sums to zero."""
    q = Decimal(1).scaleb(-places)
    out = []
    for r in lines:
        if r["market"] != market:
            continue
        pr = r["price"]
        amount = Decimal(repr(float(r["amount"]))).quantize(q, ROUND_HALF_EVEN)  # type: ignore[arg-type]
        out.append(
            {
                "market": market,
                "period": period,
                "agent": r["agent"],
                "component": r["component"],
                "mwh": float(r["mwh"]),  # type: ignore[arg-type]
                "price": None if pr is None else round_price(float(pr)),  # type: ignore[arg-type]
                "amount": amount + 0,
            }
        )
    return out


class Ledger:
    """Statements and meter reads of every recorded period of E markets."""

    def __init__(self, agents: list[str], params: MarketParams) -> None:
        self.agents = list(agents)
        self.broker_row = self.agents.index("broker_0")
        self.n_meters = params.n_meters
        self.zonal = params.n_zones > 1
        self.period_h = params.period_h
        self.clear()

    def clear(self) -> None:
        """Forget every recorded period."""
        self._period: list[np.ndarray] = []
        self._mwh: list[np.ndarray] = []
        self._price: list[np.ndarray] = []
        self._amount: list[np.ndarray] = []
        self._meter: list[np.ndarray] = []
        self._reward: list[np.ndarray] = []
        self._rent: list[np.ndarray] = []
        self._flow_mwh: list[np.ndarray] = []
        self.extra: list[dict[str, object]] = []
        """Statement lines of optional mechanisms (flexibility payments,
        :mod:`elecbay_env.flexibility`), already balanced: appended to :meth:`statements`."""
        self._extra: list[list[dict[str, object]]] = []
        self._orders: list[tuple[np.ndarray, ...] | None] = []
        self._published: list[np.ndarray] = []
        self._reserved: list[np.ndarray] = []

    def record(
        self,
        period: np.ndarray,
        out: PeriodOutcome,
        extra: list[dict[str, object]] | None = None,
        orders: Orders | None = None,
    ) -> None:
        """Keep copies of one period's statements and meter reads for all E markets,
        its extra statement lines (participation notices and options,
        :mod:`elecbay_env.participation`) and the orders the auction saw (for
        :mod:`elecbay_env.transactive`)."""
        self._extra.append(list(extra or ()))
        self._orders.append(None if orders is None else tuple(a.copy() for a in orders))
        self._published.append(out.price.copy())
        self._reserved.append(out.reserved_mw.copy())
        self._period.append(np.array(period, copy=True))
        self._mwh.append(out.ledger_mwh.copy())
        self._price.append(out.ledger_price.copy())
        self._amount.append(out.ledger_amount.copy())
        self._meter.append(out.meter_mwh.copy())
        self._reward.append(out.reward.copy())
        self._rent.append(out.congestion_rent.copy())
        self._flow_mwh.append(np.abs(out.flow_mw).sum(axis=1) * self.period_h)

    def __len__(self) -> int:
        return len(self._period)

    @property
    def amounts(self) -> np.ndarray:
        """(P, E, N, C) every recorded amount (P recorded periods)."""
        return np.stack(self._amount) if self._amount else np.zeros((0, 0, 0, 0))

    @property
    def rewards(self) -> np.ndarray:
        """(P, E, N) every recorded reward."""
        return np.stack(self._reward) if self._reward else np.zeros((0, 0, 0))

    @property
    def congestion_rents(self) -> np.ndarray:
        """(P, E) the transmission owner's congestion rent of every recorded period
        (currency; zeros without zones)."""
        return np.stack(self._rent) if self._rent else np.zeros((0, 0))

    def decimal_rents(self, places: int = 6) -> list[list[Decimal]]:
        """The congestion rents as decimals, [period][market], rounded half-even."""
        q = Decimal(1).scaleb(-places)
        return [
            [Decimal(repr(float(x))).quantize(q, ROUND_HALF_EVEN) for x in rent]
            for rent in self._rent
        ]

    def decimal_amounts(self, places: int = 6) -> list[list[list[list[Decimal]]]]:
        """Amounts as decimals, [period][market][row][component], cash balanced.

        Every non-broker amount is rounded half-even to ``places`` digits; the broker's
        cash lines are minus the sum of the others' (and of the transmission owner's
        rent, :meth:`decimal_rents`, on the forward line), so each period's exported cash
        sums to exactly zero.
        """
        q = Decimal(1).scaleb(-places)
        rents = self.decimal_rents(places) if self.zonal else None
        result = []
        for p, amount in enumerate(self._amount):
            per_market = []
            for e in range(amount.shape[0]):
                rows = [
                    [Decimal(repr(float(x))).quantize(q, ROUND_HALF_EVEN) for x in amount[e, i]]
                    for i in range(amount.shape[1])
                ]
                b = self.broker_row
                for c in range(N_CASH):
                    rows[b][c] = -sum((rows[i][c] for i in range(len(rows)) if i != b), Decimal(0))
                if rents is not None:
                    rows[b][FORWARD] -= rents[p][e]
                per_market.append(rows)
            result.append(per_market)
        return result

    def statements(self, places: int = 6) -> list[dict[str, object]]:
        """Every statement line as a record (amount a :class:`~decimal.Decimal`, price
        rounded to :data:`PRICE_PLACES` places or None)."""
        records = []
        dec = self.decimal_amounts(places)
        rents = self.decimal_rents(places) if self.zonal else None
        for p, period in enumerate(self._period):
            mwh, price = self._mwh[p], self._price[p]
            for e in range(mwh.shape[0]):
                if rents is not None:
                    flow = float(self._flow_mwh[p][e])
                    records.append(
                        {
                            "market": e,
                            "period": int(period[e]),
                            "agent": TRANSMISSION_OWNER,
                            "component": CONGESTION_RENT,
                            "mwh": flow,
                            "price": round_price(float(self._rent[p][e]) / flow)
                            if flow > 0.0
                            else None,
                            "amount": rents[p][e],
                        }
                    )
                for i, agent in enumerate(self.agents):
                    for c, component in enumerate(COMPONENTS):
                        amount = dec[p][e][i][c]
                        if amount == 0 and mwh[e, i, c] == 0.0:
                            continue
                        pr = price[e, i, c]
                        records.append(
                            {
                                "market": e,
                                "period": int(period[e]),
                                "agent": agent,
                                "component": component,
                                "mwh": float(mwh[e, i, c]),
                                "price": round_price(pr),
                                "amount": amount,
                            }
                        )
                records += _extra_lines(self._extra[p], e, int(period[e]), places)
        return records + self.extra

    @property
    def extra_lines(self) -> list[list[dict[str, object]]]:
        """Per recorded period, its extra statement lines (floats, as recorded)."""
        return self._extra

    @property
    def published_prices(self) -> list[np.ndarray]:
        """Per recorded period, ``(E,)`` forward clearing prices (NaN: no trade)."""
        return self._published

    @property
    def reserved(self) -> list[np.ndarray]:
        """Per recorded period, ``(E, N, 2)`` reserve procured (MW, [up, down])."""
        return self._reserved

    @property
    def periods(self) -> list[np.ndarray]:
        """Per recorded period, ``(E,)`` its period index in each market."""
        return self._period

    @property
    def orders(self) -> list[tuple[np.ndarray, ...] | None]:
        """Per recorded period, the orders the auction saw (an :class:`~elecbay_env.
        orders.Orders` tuple of copies), or None where not given."""
        return self._orders

    def meter_reads(self) -> list[dict[str, object]]:
        """Every meter read as a record (MWh of net injection per interval)."""
        records = []
        for p, period in enumerate(self._period):
            meter = self._meter[p]
            for e in range(meter.shape[0]):
                for i, agent in enumerate(self.agents):
                    for m in range(meter.shape[2]):
                        records.append(
                            {
                                "market": e,
                                "period": int(period[e]),
                                "interval": m,
                                "agent": agent,
                                "mwh": float(meter[e, i, m]),
                            }
                        )
        return records

    def to_table(self, places: int = 6) -> pa.Table:
        """The statements as a pyarrow Table (``amount`` as decimal128(24, places))."""
        import pyarrow as pa

        records = self.statements(places)
        schema = pa.schema(
            [
                ("market", pa.int64()),
                ("period", pa.int64()),
                ("agent", pa.string()),
                ("component", pa.string()),
                ("mwh", pa.float64()),
                ("price", pa.float64()),
                ("amount", pa.decimal128(24, places)),
            ]
        )
        return pa.Table.from_pylist(records, schema=schema)

    def meter_table(self) -> pa.Table:
        """The meter reads as a pyarrow Table."""
        import pyarrow as pa

        return pa.Table.from_pylist(
            self.meter_reads(),
            schema=pa.schema(
                [
                    ("market", pa.int64()),
                    ("period", pa.int64()),
                    ("interval", pa.int64()),
                    ("agent", pa.string()),
                    ("mwh", pa.float64()),
                ]
            ),
        )

    def export(self, path: str | Path, what: str = "statements", places: int = 6) -> Path:
        """Write statements (or ``what="meters"``) to ``path``; the suffix picks the
        format: ``.csv``, ``.json`` or ``.parquet``.

        Raises:
            ValueError: an unknown suffix or ``what``.
        """
        path = Path(path)
        if what not in ("statements", "meters"):
            raise ValueError(f"what={what!r}: allowed values are 'statements', 'meters'")
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json", ".parquet"):
            raise ValueError(f"path={str(path)!r}: allowed suffixes are .csv, .json, .parquet")
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".json":
            records = self.statements(places) if what == "statements" else self.meter_reads()
            for r in records:
                if "amount" in r:
                    r["amount"] = str(r["amount"])
            path.write_text(json.dumps(records, indent=1))
            return path
        table = self.to_table(places) if what == "statements" else self.meter_table()
        if suffix == ".csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
        else:
            import pyarrow.parquet as pq

            pq.write_table(table, path)
        return path
