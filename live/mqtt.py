"""paho-mqtt clients as the live market uses them: MQTT 3.1.1, QoS 1, TCP_NODELAY.

paho-mqtt 2.x with ``CallbackAPIVersion.VERSION2``. Nagle's algorithm is switched off on
every client socket (with it, small messages wait for acknowledgements and the
gate-closure latency about triples).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse


def parse_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` -> ``(host, port)`` (port 1883 when absent).

    Raises:
        ValueError: naming ``broker`` when the URL is not ``mqtt://host[:port]``.
    """
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise ValueError(f"broker={url!r}: expected mqtt://HOST[:PORT], e.g. mqtt://127.0.0.1:1883")
    try:
        port = parsed.port or 1883
    except ValueError:
        raise ValueError(f"broker={url!r}: the port must be 1 .. 65535") from None
    return parsed.hostname, port


def nodelay(sock: Any) -> None:
    """Switch Nagle's algorithm off on a client socket."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def new_client(user: str, password: str, client_id: str,
               on_message: Callable[..., None] | None = None) -> Any:  # fmt: skip
    """A paho client with credentials and callbacks (not connected)."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
    )
    client.username_pw_set(user, password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    if on_message is not None:
        client.on_message = on_message
    return client


def connect_client(
    url: str,
    user: str,
    password: str,
    client_id: str,
    on_message: Callable[..., None] | None = None,
    timeout_s: float = 10.0,
    will: tuple[str, bytes] | None = None,
    subscriptions: list[tuple[str, int]] | None = None,
    on_reconnect: Callable[[], None] | None = None,
) -> Any:
    """A connected client with its network thread running (``loop_start``), which
    reconnects after a lost connection (within 0.1-2 s) and then subscribes to
    ``subscriptions`` again and calls ``on_reconnect()``. ``will``: ``(topic, payload)``
    the broker publishes (QoS 1) if the connection drops uncleanly.

    Raises:
        ConnectionError: the broker refused the credentials or did not answer in time.
    """
    host, port = parse_url(url)
    client = new_client(user, password, client_id, on_message)
    ready = threading.Event()
    result: dict[str, Any] = {}

    def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        again = "reason" in result
        result["reason"] = reason
        nodelay(c.socket())
        if not reason.is_failure and subscriptions:
            c.subscribe(subscriptions)  # on every connect: a restarted broker forgot them
        ready.set()
        if again and not reason.is_failure and on_reconnect is not None:
            on_reconnect()

    client.on_connect = on_connect
    if will is not None:
        client.will_set(will[0], will[1], qos=1)
    client.reconnect_delay_set(min_delay=0.1, max_delay=2)
    client.connect(host, port, keepalive=60)
    client.loop_start()
    if not ready.wait(timeout_s) or result["reason"].is_failure:
        client.loop_stop()
        why = result.get("reason", "no answer")
        raise ConnectionError(f"MQTT connect to {url} as {user!r} failed: {why}")
    return client
