"""Zones with transfer limits in the call auction: :func:`clear_zonal`, :func:`clear_zonal_batch`.

Each order belongs to a zone; borders join pairs of zones and carry at most
``cap_forward`` MW from ``border_from`` to ``border_to`` and ``cap_backward`` MW back.
The fills maximise welfare (sum of bid price x MW bought minus offer price x MW sold)
subject to one energy balance per zone and each border's limits. Each zone's price is
the k-point of its supporting interval given the flows, so prices are equal across a
border that is not full, power flows from the cheaper to the dearer zone across a full
one, and one zone without borders is exactly :func:`elecbay_env.clearing.clear`. The
borders must form a tree or a forest (a radial network); a meshed network is refused.
See docs/zones.md for the rules and a worked example, and
:mod:`elecbay_env.kernels.zonal` for the method.

Units: prices in currency per MWh, quantities and flows in MW over the period,
congestion rent in currency per hour (price difference x MW).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, _sort_orders
from .clearing_checks import (
    MAX_QTY,
    _batch_args,
    _counts,
    _one_book,
    _refuse_complex,
    _scalar_bounds,
    _scalar_in_unit_interval,
    _validate_side,
)
from .kernels.zonal import clear_zonal_markets, clear_zonal_markets_serial

_PARALLEL_MIN_MARKETS = 64


class ZonalClearingResult(NamedTuple):
    """Outcome of one zonal call auction (Z zones, B borders).

    Attributes:
        zone_price: (Z,) each zone's price, currency per MWh; NaN for a zone whose
            price area (the zones joined to it by borders that are not full) trades
            nothing and carries no flow.
        flow: (B,) MW over each border, positive from ``border_from`` to ``border_to``.
        bid_fill: (Nb,) MW bought by each bid.
        ask_fill: (Na,) MW sold by each offer.
        congestion_rent: (B,) ``(zone_price[to] - zone_price[from]) * flow``, currency
            per hour: never negative (flows go from cheap to dear), zero across a
            border that is not full, and 0 where a zone has no price (NaN: it trades
            nothing; its flow is then within rounding). The transmission owner's total
            is the sum.
        volume: MW bought in all zones (= MW sold, up to rounding).
        zone_bought, zone_sold: (Z,) MW bought and sold in each zone; the difference
            is the zone's net import over its borders.
        zone_price_lo, zone_price_hi: (Z,) the interval of the zone's supporting
            prices given the flows; ``zone_price = lo + k * (hi - lo)``.
    """

    zone_price: NDArray[np.float64]
    flow: NDArray[np.float64]
    bid_fill: NDArray[np.float64]
    ask_fill: NDArray[np.float64]
    congestion_rent: NDArray[np.float64]
    volume: float
    zone_bought: NDArray[np.float64]
    zone_sold: NDArray[np.float64]
    zone_price_lo: NDArray[np.float64]
    zone_price_hi: NDArray[np.float64]


class BatchZonalClearingResult(NamedTuple):
    """Outcome of E zonal auctions: :class:`ZonalClearingResult`'s fields with a
    leading E axis (``volume`` (E,), ``zone_*`` (E, Z), ``flow`` and
    ``congestion_rent`` (E, B), fills (E, Nb) and (E, Na), 0 in padded entries)."""

    zone_price: NDArray[np.float64]
    flow: NDArray[np.float64]
    bid_fill: NDArray[np.float64]
    ask_fill: NDArray[np.float64]
    congestion_rent: NDArray[np.float64]
    volume: NDArray[np.float64]
    zone_bought: NDArray[np.float64]
    zone_sold: NDArray[np.float64]
    zone_price_lo: NDArray[np.float64]
    zone_price_hi: NDArray[np.float64]


class Network(NamedTuple):
    """A checked radial network, as the kernel reads it (see ``clear_zonal_row``)."""

    n_zones: int
    border_from: NDArray[np.int64]
    border_to: NDArray[np.int64]
    isolated: NDArray[np.bool_]
    bfs: NDArray[np.int64]
    parent: NDArray[np.int64]
    p_border: NDArray[np.int64]
    p_dir: NDArray[np.int64]
    child_ptr: NDArray[np.int64]
    children: NDArray[np.int64]


def _n_zones(value: object) -> int:
    try:
        if isinstance(value, bool | np.bool_):
            raise TypeError
        n = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"n_zones={value!r}: allowed values are integers >= 1") from None
    if n < 1:
        raise ValueError(f"n_zones={n}: allowed values are integers >= 1")
    return n


def _int_array(name: str, value: ArrayLike) -> NDArray[np.int64]:
    _refuse_complex(name, value)
    arr = np.asarray(value)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer zone indices, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _zone_range(name: str, arr: NDArray[np.int64], n_zones: int, mask=None) -> None:
    bad = (arr < 0) | (arr >= n_zones)
    if mask is not None:
        bad &= mask
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        index = ", ".join(map(str, where))
        raise ValueError(
            f"{name}[{index}]={int(arr[where])}: allowed range is [0, n_zones - 1] = "
            f"[0, {n_zones - 1}]"
        )


def network(n_zones: int, border_from: ArrayLike, border_to: ArrayLike) -> Network:
    """Check a network and lay it out as trees, each rooted at its lowest zone.

    Raises:
        ValueError: for a bad ``n_zones``, zone indices outside ``[0, n_zones - 1]``,
            a border from a zone to itself, a duplicate border (either direction), or
            a cycle (meshed networks are not supported).
    """
    n = _n_zones(n_zones)
    b_from = _int_array("border_from", border_from)
    b_to = _int_array("border_to", border_to)
    if b_from.ndim != 1 or b_from.shape != b_to.shape:
        raise ValueError(
            f"border_from, border_to: expected two 1-D arrays of equal length, got shapes "
            f"{b_from.shape} and {b_to.shape}"
        )
    _zone_range("border_from", b_from, n)
    _zone_range("border_to", b_to, n)
    root = list(range(n))

    def find(z: int) -> int:
        while root[z] != z:
            root[z] = root[root[z]]
            z = root[z]
        return z

    seen: dict[tuple[int, int], int] = {}
    adj: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for b, (u, v) in enumerate(zip(b_from.tolist(), b_to.tolist(), strict=True)):
        if u == v:
            raise ValueError(
                f"border_from[{b}] = border_to[{b}] = {u}: a border from a zone to itself"
            )
        pair = (min(u, v), max(u, v))
        if pair in seen:
            raise ValueError(
                f"border {b} ({u}-{v}) repeats border {seen[pair]}: duplicate borders are "
                "not allowed (give one border with the combined limits)"
            )
        seen[pair] = b
        ru, rv = find(u), find(v)
        if ru == rv:
            raise ValueError(
                f"border {b} ({u}-{v}) closes a cycle: meshed networks are not supported; "
                "the borders must form a tree or a forest (a radial network)"
            )
        root[ru] = rv
        adj[u].append((v, b, 1))
        adj[v].append((u, b, -1))
    parent = np.full(n, -1, dtype=np.int64)
    p_border = np.full(n, -1, dtype=np.int64)
    p_dir = np.zeros(n, dtype=np.int64)
    bfs: list[int] = []
    done = [False] * n
    for start in range(n):
        if done[start]:
            continue
        done[start] = True
        head = len(bfs)
        bfs.append(start)
        while head < len(bfs):
            z = bfs[head]
            head += 1
            for other, b, direction in sorted(adj[z]):
                if not done[other]:
                    done[other] = True
                    parent[other], p_border[other] = z, b
                    p_dir[other] = -direction  # +1 when `other` is the border's `from`
                    bfs.append(other)
    counts = np.bincount(parent[parent >= 0], minlength=n)
    child_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    children = np.empty(max(n - 1, 0), dtype=np.int64)
    fill = child_ptr[:-1].copy()
    for z in bfs:
        q = parent[z]
        if q >= 0:
            children[fill[q]] = z
            fill[q] += 1
    isolated = np.array([not adj[z] for z in range(n)], dtype=np.bool_)
    return Network(n, b_from, b_to, isolated, np.array(bfs, dtype=np.int64), parent,
                   p_border, p_dir, child_ptr, children)  # fmt: skip


def _caps(name: str, value: ArrayLike, n_markets: int, n_borders: int, batched: bool):
    _refuse_complex(name, value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers (MW), got {value!r}") from None
    shapes = [(), (n_borders,)] + ([(n_markets, n_borders)] if batched else [])
    if arr.shape not in shapes:
        allowed = " or ".join(str(s) for s in shapes)
        raise ValueError(f"{name}: expected shape {allowed}, got {arr.shape}")
    out = np.ascontiguousarray(np.broadcast_to(arr, (n_markets, n_borders)))
    bad = ~((out >= 0.0) & (out <= MAX_QTY))  # NaN fails too
    if np.any(bad):
        e, b = (int(i) for i in np.argwhere(bad)[0])
        where = f"[{e}, {b}]" if batched and arr.ndim == 2 else f"[{b}]"
        raise ValueError(
            f"{name}{where}={float(out[e, b])!r}: allowed range is [0, {MAX_QTY:g}] MW"
        )
    return out


def _zones_of(name: str, value: ArrayLike, shape: tuple[int, ...], n, n_zones: int):
    arr = _int_array(name, value)
    if arr.shape != shape and not (len(shape) == 2 and arr.shape == shape[1:]):
        raise ValueError(f"{name}: expected shape {shape} (one zone per order), got {arr.shape}")
    arr = np.ascontiguousarray(np.broadcast_to(arr, shape))
    live = np.arange(shape[-1])[None, :] < n[:, None]
    _zone_range(name, arr, n_zones, live if len(shape) == 2 else live[0])
    return arr


def _run(bp, bq, bz, nb, ap, aq, az, na, net: Network, cap_f, cap_b, kk, floor, cap):
    e_markets = bp.shape[0]
    n_borders = net.border_from.shape[0]
    shape_z = (e_markets, net.n_zones)
    shape_b = (e_markets, n_borders)
    out = BatchZonalClearingResult(
        np.empty(shape_z), np.empty(shape_b), np.empty(bp.shape), np.empty(ap.shape),
        np.empty(shape_b), np.empty(e_markets), np.empty(shape_z), np.empty(shape_z),
        np.empty(shape_z), np.empty(shape_z),
    )  # fmt: skip
    run = clear_zonal_markets if e_markets >= _PARALLEL_MIN_MARKETS else clear_zonal_markets_serial
    run(
        bp, bq, bz, _sort_orders(bp, nb, True), nb, ap, aq, az, _sort_orders(ap, na, False), na,
        net.n_zones, net.isolated, net.bfs, net.parent, net.p_border, net.p_dir,
        net.child_ptr, net.children, cap_f, cap_b, kk, floor, cap,
        out.bid_fill, out.ask_fill, out.zone_price, out.zone_price_lo, out.zone_price_hi,
        out.zone_bought, out.zone_sold, out.flow, out.congestion_rent, out.volume,
    )  # fmt: skip
    return out


def clear_zonal(
    bid_price: ArrayLike,
    bid_qty: ArrayLike,
    bid_zone: ArrayLike,
    ask_price: ArrayLike,
    ask_qty: ArrayLike,
    ask_zone: ArrayLike,
    n_zones: int,
    border_from: ArrayLike,
    border_to: ArrayLike,
    cap_forward: ArrayLike,
    cap_backward: ArrayLike,
    k: float = 0.5,
    price_floor: float = DEFAULT_PRICE_FLOOR,
    price_cap: float = DEFAULT_PRICE_CAP,
) -> ZonalClearingResult:
    """Clear one zonal call auction (a batch of one through the batched kernel).

    Args:
        bid_price, bid_qty: (Nb,) bids: currency per MWh, MW (>= 0).
        bid_zone: (Nb,) integer zone of each bid, in ``[0, n_zones - 1]``.
        ask_price, ask_qty, ask_zone: (Na,) offers likewise.
        n_zones: Z >= 1.
        border_from, border_to: (B,) integer zones joined by each border; the borders
            must form a tree or a forest; no self-borders or duplicates.
        cap_forward: a number or (B,) most MW from ``border_from`` to ``border_to``.
        cap_backward: a number or (B,) most MW the other way; both in [0, 1e9].
        k: position of each price in its supporting interval, in [0, 1].
        price_floor, price_cap: bounds of every order price (currency per MWh).

    Returns:
        A :class:`ZonalClearingResult`. Inputs are never modified.

    Raises:
        ValueError: as :func:`elecbay_env.clearing.clear` (naming the argument and its
            allowed range), and for zone indices out of range, negative or non-finite
            limits, a border from a zone to itself, duplicate borders, and meshed
            networks (not supported).

    Example (two zones, a 1 MW border; the cheap offer is in zone 0, the bid in 1):
        >>> r = clear_zonal([50.0], [2.0], [1], [10.0, 40.0], [2.0, 2.0], [0, 1],
        ...                 2, [0], [1], 1.0, 1.0)
        >>> r.flow.tolist(), r.zone_price.tolist(), r.congestion_rent.tolist()
        ([1.0], [10.0, 40.0], [30.0])
    """
    bp, bq, ap, aq = _one_book(bid_price, bid_qty, ask_price, ask_qty)
    kk = _scalar_in_unit_interval(k)
    floor, cap = _scalar_bounds(price_floor, price_cap)
    net = network(n_zones, border_from, border_to)
    n_b = np.array([bp.shape[0]], dtype=np.int64)
    n_a = np.array([ap.shape[0]], dtype=np.int64)
    bz = _zones_of("bid_zone", bid_zone, bp.shape, n_b, net.n_zones)[None, :]
    az = _zones_of("ask_zone", ask_zone, ap.shape, n_a, net.n_zones)[None, :]
    cap_f = _caps("cap_forward", cap_forward, 1, net.border_from.shape[0], False)
    cap_b = _caps("cap_backward", cap_backward, 1, net.border_from.shape[0], False)
    floor_a, cap_a = np.array([floor]), np.array([cap])
    bp2, bq2, ap2, aq2 = bp[None, :], bq[None, :], ap[None, :], aq[None, :]
    _validate_side("bid", bp2, bq2, n_b, floor_a, cap_a, False)
    _validate_side("ask", ap2, aq2, n_a, floor_a, cap_a, False)
    r = _run(bp2, bq2, bz, n_b, ap2, aq2, az, n_a, net, cap_f, cap_b, np.array([kk]),
             floor_a, cap_a)  # fmt: skip
    return ZonalClearingResult(*(v[0] for v in r[:5]), float(r.volume[0]), *(v[0] for v in r[6:]))


def clear_zonal_batch(
    bid_price: ArrayLike,
    bid_qty: ArrayLike,
    bid_zone: ArrayLike,
    ask_price: ArrayLike,
    ask_qty: ArrayLike,
    ask_zone: ArrayLike,
    n_zones: int,
    border_from: ArrayLike,
    border_to: ArrayLike,
    cap_forward: ArrayLike,
    cap_backward: ArrayLike,
    n_bids: ArrayLike | None = None,
    n_asks: ArrayLike | None = None,
    k: ArrayLike = 0.5,
    price_floor: ArrayLike = DEFAULT_PRICE_FLOOR,
    price_cap: ArrayLike = DEFAULT_PRICE_CAP,
) -> BatchZonalClearingResult:
    """Clear E zonal auctions on one network at once, in parallel over markets.

    Args:
        bid_price, bid_qty: (E, Nb) bids, padded as in
            :func:`elecbay_env.clearing.clear_batch`.
        bid_zone: (E, Nb) or (Nb,) (the same for every market) integer zones.
        ask_price, ask_qty, ask_zone: offers likewise, (E, Na).
        n_zones, border_from, border_to: the network, shared by every market.
        cap_forward, cap_backward: a number, (B,) or (E, B) limits in MW.
        n_bids, n_asks: (E,) order counts; ``None`` means every column.
        k, price_floor, price_cap: numbers or (E,) values, as ``clear_batch``.

    Returns:
        A :class:`BatchZonalClearingResult`; row ``e`` equals :func:`clear_zonal` on
        row ``e``'s real orders.

    Raises:
        ValueError: as :func:`clear_zonal`, with the ``[row, column]`` of a bad entry.
    """
    bp, bq, ap, aq, kk, floor, cap = _batch_args(
        bid_price, bid_qty, ask_price, ask_qty, k, price_floor, price_cap
    )
    e_markets = bp.shape[0]
    net = network(n_zones, border_from, border_to)
    nb = _counts("n_bids", n_bids, e_markets, bp.shape[1])
    na = _counts("n_asks", n_asks, e_markets, ap.shape[1])
    bz = _zones_of("bid_zone", bid_zone, bp.shape, nb, net.n_zones)
    az = _zones_of("ask_zone", ask_zone, ap.shape, na, net.n_zones)
    n_borders = net.border_from.shape[0]
    cap_f = _caps("cap_forward", cap_forward, e_markets, n_borders, True)
    cap_b = _caps("cap_backward", cap_backward, e_markets, n_borders, True)
    _validate_side("bid", bp, bq, nb, floor, cap, True)
    _validate_side("ask", ap, aq, na, floor, cap, True)
    return _run(bp, bq, bz, nb, ap, aq, az, na, net, cap_f, cap_b, kk, floor, cap)
