"""MQTT topic names of a live market and the access-control patterns that guard them.

Every topic is under ``elecbay/``. A seat's MQTT user name is its agent id
(``producer_2``), an entrant's ``entrant_<k>`` (also once its new asset plays as an agent
id: the operator maps the two); a meter's is ``meter.<user>``; the market operator's is
``operator``.

=============================  =========  ============================================
topic                          written by read by
=============================  =========  ============================================
``elecbay/status``             operator   everyone (retained: the market's state)
``elecbay/public/result``      operator   everyone (each period's public results)
``elecbay/in/<seat>``          the seat   operator (registration, orders)
``elecbay/out/<seat>``         operator   the seat (acceptance, observations, statements,
                                          rejections)
``elecbay/meter/<meter>``      the meter  operator (5-minute reads)
``elecbay/meterfeed/<meter>``  operator   the meter (the simulated physical flows it
                                          measures)
=============================  =========  ============================================
"""

from __future__ import annotations

ROOT = "elecbay"
OPERATOR_USER = "operator"
STATUS = f"{ROOT}/status"
RESULT = f"{ROOT}/public/result"
METER_PREFIX = "meter."

ACL_PATTERNS = (
    f"pattern write {ROOT}/in/%u",
    f"pattern read {ROOT}/out/%u",
    f"pattern write {ROOT}/meter/%u",
    f"pattern read {ROOT}/meterfeed/%u",
    f"pattern read {STATUS}",
    f"pattern read {ROOT}/public/#",
)
"""mosquitto ``pattern`` lines (``%u``: the authenticated user name): each user writes only
its own inbox and reads only its own outbox; nobody but the operator writes elsewhere."""


def inbox(seat: str) -> str:
    """Where ``seat`` publishes (registration, orders)."""
    return f"{ROOT}/in/{seat}"


def outbox(seat: str) -> str:
    """Where the operator publishes to ``seat`` alone."""
    return f"{ROOT}/out/{seat}"


def meter_user(seat: str) -> str:
    """The MQTT user name of ``seat``'s meter."""
    return f"{METER_PREFIX}{seat}"


def meter_topic(seat: str) -> str:
    """Where ``seat``'s meter publishes its reads."""
    return f"{ROOT}/meter/{meter_user(seat)}"


def meter_feed(seat: str) -> str:
    """Where the operator publishes the flows ``seat``'s meter measures."""
    return f"{ROOT}/meterfeed/{meter_user(seat)}"


def seat_of(topic: str) -> tuple[str, str] | None:
    """``(kind, seat)`` of an incoming topic: ``("in", seat)`` or ``("meter", seat)``;
    None for any other topic."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != ROOT:
        return None
    if parts[1] == "in":
        return "in", parts[2]
    if parts[1] == "meter" and parts[2].startswith(METER_PREFIX):
        return "meter", parts[2][len(METER_PREFIX) :]
    return None
