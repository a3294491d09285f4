"""The message checks (:mod:`elecbay_live.messages`), without a broker.

Property: whatever bytes arrive, :func:`decode` returns a message whose every field is
present and of its type, or raises :class:`MessageError`; never anything else.
"""

from __future__ import annotations

import json
import math

import pytest
from elecbay_live import messages as m
from elecbay_live import topics
from hypothesis import given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_decode_accepts_well_formed_messages_or_raises_message_error(payload: bytes) -> None:
    try:
        msg = m.decode(payload)
    except m.MessageError as exc:
        assert exc.reason
        return
    schema = m.CLIENT_SCHEMA[msg["type"]]
    assert set(msg) <= {*schema, *m.COMMON} and msg["v"] == 1
    for name in schema:
        assert name in msg


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(sorted(m.CLIENT_SCHEMA)),
    period=st.integers(0, 10**6),
    interval=st.integers(0, 100),
    mwh=st.floats(allow_nan=False, allow_infinity=False),
    action=st.lists(st.floats(-5, 5), max_size=20),
)
def test_every_valid_message_of_the_schema_is_accepted(kind, period, interval, mwh,
                                                       action) -> None:  # fmt: skip
    values = {"seat": "producer_0", "client": "x", "period": period, "interval": interval,
              "mwh": mwh, "action": action, "role": "producer",
              "asset": {"type": "wind", "capacity_mw": mwh}}  # fmt: skip
    body = {"v": 1, "type": kind, "id": "a1", **{k: values[k] for k in m.CLIENT_SCHEMA[kind]}}
    assert m.decode(json.dumps(body).encode()) == body


@pytest.mark.parametrize("bad", [math.nan, math.inf, "1", None, True])
def test_check_action_names_the_field(bad) -> None:
    with pytest.raises(m.MessageError, match="action") as info:
        m.check_action([0.0, bad], 2, "r")
    assert info.value.field == "action" and info.value.ref == "r"
    with pytest.raises(m.MessageError, match="expected 3 numbers"):
        m.check_action([0.0], 3)


@pytest.mark.parametrize("version", [True, 1.0, "1", 2, None])
def test_the_version_must_be_the_integer_1(version) -> None:
    with pytest.raises(m.MessageError) as info:
        m.decode(json.dumps({"v": version, "type": "leave", "id": "a"}).encode())
    assert info.value.field == "v"


def test_server_messages_write_nan_as_null_and_carry_the_version() -> None:
    body = json.loads(m.encode("result", clearing_price=math.nan, volume_mw=1.5))
    assert body == {"v": 1, "type": "result", "clearing_price": None, "volume_mw": 1.5}


def test_topics_round_trip_and_refuse_strangers() -> None:
    assert topics.seat_of(topics.inbox("producer_3")) == ("in", "producer_3")
    assert topics.seat_of(topics.meter_topic("consumer_1")) == ("meter", "consumer_1")
    for other in ("elecbay/out/producer_3", "elecbay/in/a/b", "x/in/producer_3",
                  "elecbay/meter/producer_3"):  # fmt: skip
        assert topics.seat_of(other) is None
