"""The JSON messages of a live market: their schema (version 1) and the checks on input.

Every message is a JSON object with ``"v": 1`` (the schema version) and ``"type"``.
Messages from clients must also carry ``"id"``: a string of 1-64 characters unique per
sender, used to deduplicate (MQTT delivers at least once at QoS 1). The fields of each
type are :data:`CLIENT_SCHEMA` (what clients send; the operator checks them) and
:data:`SERVER_SCHEMA` (what the operator sends; documented in ``docs/live_market.md``).

A message that fails a check is answered with a ``rejected`` message on the sender's
outbox naming the field and what is allowed (:class:`MessageError`); nothing else
changes.
"""

from __future__ import annotations

import json
import math
from typing import Any

VERSION = 1
MAX_BYTES = 16384
"""Largest payload the operator reads (bytes); larger ones are rejected unread."""

# field -> (python type(s), description); every field listed is required
CLIENT_SCHEMA: dict[str, dict[str, tuple[Any, str]]] = {
    "register": {
        "seat": (str, "the agent id claimed, e.g. producer_2 (must be the MQTT user)"),
        "client": (str, "a free-form name of the agent program"),
    },
    "order": {
        "period": (int, "the period the order is for (the open gate's period)"),
        "action": (
            list,
            "the action: numbers in [-1, 1] (the seat's PettingZoo action "
            "space; values outside are clipped), length action_width",
        ),
    },
    "register_asset": {
        "role": (str, "producer or consumer"),
        "asset": (
            dict,
            "the asset's technical data: one producers[] or consumers[] entry of "
            "a scenario (type, name, capacity_mw, marginal_cost_per_mwh, zone, ...)",
        ),
        "client": (str, "a free-form name of the agent program"),
    },
    "leave": {},
    "meter_read": {
        "period": (int, "settlement period of the read"),
        "interval": (int, "meter interval within the period, 0 .. intervals - 1"),
        "mwh": (float, "net injection over the interval, MWh (+ exported, - imported)"),
    },
}
COMMON = {"v": "schema version (1)", "type": "message type", "id": "message id, 1-64 chars"}

SERVER_SCHEMA: dict[str, str] = {
    "status": "retained on elecbay/status: state (registration, registering, trading, done), "
    "period, n_periods, scenario, days, seats, lockstep, speed, assets (the new assets "
    "accepted so far: seat, role, asset)",
    "registered": "ref (the register id), accepted (bool), reasons (list of str), seat, "
    "action_width, observation_width, n_periods, period_min, meter_intervals",
    "gate_open": "period, observation (list of float, the PettingZoo observation), "
    "episode_start (bool), gate_closes_at (UNIX seconds, or null in lockstep)",
    "asset_registered": "ref (the register_asset id), accepted (bool), reasons (list of str: "
    "each names the field and what is allowed), seat (the agent id the asset plays as, or "
    "null)",
    "accepted": "ref (the order or read id), period",
    "rejected": "ref (the message id, or null if unreadable), field, reason",
    "statement": "period, lines ({component: {mwh, price, amount}}), reward, contract_mw, "
    "default_action (bool: the seat sent no order in time), estimated_reads and "
    "disputed_reads (int: its meter's intervals flagged so), settled_on (reads or check: "
    "what its imbalance settled on)",
    "result": "on elecbay/public/result: period, clearing_price (null: no trade), "
    "volume_mw, imbalance_price, niv_mwh",
    "meter_truth": "on elecbay/meterfeed/<meter>: period, mwh (list per interval)",
}


class MessageError(ValueError):
    """A client message failed a check: ``field`` is what was wrong (``None``: the whole
    payload), ``ref`` the message id when it could be read."""

    def __init__(self, field: str | None, reason: str, ref: str | None = None) -> None:
        super().__init__(f"{field or 'payload'}: {reason}")
        self.field = field
        self.reason = reason
        self.ref = ref


def encode(kind: str, **fields: Any) -> bytes:
    """A server message of type ``kind`` as compact JSON bytes (NaN written as null)."""
    body = {"v": VERSION, "type": kind, **fields}
    return json.dumps(_nan_to_none(body), separators=(",", ":"), allow_nan=False).encode()


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_nan_to_none(v) for v in x]
    return x


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def decode(payload: bytes, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Parse and check one client message.

    Returns:
        The message as a dict (every field present and of its type).

    Raises:
        MessageError: oversized, not UTF-8 JSON, not an object, a wrong version or type,
            a missing, unknown or mistyped field, a non-finite number.
    """
    if len(payload) > max_bytes:
        raise MessageError(None, f"{len(payload)} bytes; at most {max_bytes} allowed")
    try:
        msg = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MessageError(None, f"not valid JSON ({exc})") from None
    if not isinstance(msg, dict):
        raise MessageError(None, f"expected a JSON object, got {type(msg).__name__}")
    ref = msg.get("id") if isinstance(msg.get("id"), str) else None
    if type(msg.get("v")) is not int or msg["v"] != VERSION:
        raise MessageError("v", f"expected schema version {VERSION}, got {msg.get('v')!r}", ref)
    kind = msg.get("type")
    if kind not in CLIENT_SCHEMA:
        raise MessageError("type", f"expected one of {sorted(CLIENT_SCHEMA)}, got {kind!r}", ref)
    if ref is None or not 1 <= len(ref) <= 64:
        raise MessageError("id", "expected a string of 1 to 64 characters", ref)
    schema = CLIENT_SCHEMA[kind]
    unknown = sorted(set(msg) - set(schema) - set(COMMON))
    if unknown:
        raise MessageError(unknown[0], f"unknown field for {kind}; allowed: "
                           f"{sorted({*schema, *COMMON})}", ref)  # fmt: skip
    for name, (typ, _doc) in schema.items():
        if name not in msg:
            raise MessageError(name, f"missing (required for {kind})", ref)
        value = msg[name]
        if typ is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)
        elif typ is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, typ)
        if not ok:
            want = {float: "a finite number", int: "an integer >= 0"}.get(typ, typ.__name__)
            raise MessageError(name, f"expected {want}, got {value!r:.60}", ref)
    return msg


def check_action(values: list[Any], width: int, ref: str | None = None) -> list[float]:
    """An order's ``action``: ``width`` finite numbers.

    Raises:
        MessageError: naming ``action`` with the allowed length and values.
    """
    if len(values) != width:
        raise MessageError("action", f"expected {width} numbers, got {len(values)}", ref)
    for x in values:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise MessageError("action", f"every entry must be a finite number, got {x!r}", ref)
    return [float(x) for x in values]
