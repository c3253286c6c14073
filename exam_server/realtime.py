"""The one Socket.IO server of the process (gevent, websocket first; see ARCHITECTURE.md)."""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from flask import Flask, Request
from flask_socketio import SocketIO
from socketio import packet
from werkzeug.routing import MapAdapter

_TOKEN = secrets.token_hex(8)  # a placeholder no payload can contain by chance
PACKET_JSON_OPTIONS: dict[str, Any] = {"separators": (",", ":")}
"""The options python-socketio's ``Packet.encode`` passes to ``json.dumps``."""


class JsonOnly(dict[str, Any]):
    """A payload known to hold JSON data only (no bytes): its packets skip the binary scan.

    The candidate's paper (~2,000 nested values) is sent as one; python-socketio would
    otherwise walk it on every ``start`` to look for binary attachments. It must not be
    changed once sent: its JSON text is kept (:func:`dumps`) and sent again as it was.
    """

    def packet_text(self) -> str:
        """The JSON text a Socket.IO packet carries it as (:data:`PACKET_JSON_OPTIONS`)."""
        return self.json_text(**PACKET_JSON_OPTIONS)

    def json_text(self, **options: Any) -> str:
        """``json.dumps(self, **options)``, encoded once per set of options."""
        key = tuple(sorted(options.items()))
        cache: dict[Any, str] = self.__dict__.setdefault("_json_text", {})
        if key not in cache:
            cache[key] = json.dumps(self, **options)
        return cache[key]


def dumps(data: Any, **options: Any) -> str:
    """``json.dumps(data, **options)``, with every :class:`JsonOnly` among the packet's
    arguments (or their values) spliced in from its kept text instead of encoded again.

    A ``start`` ack is ~50 KB of JSON, nearly all of it the candidate's paper: encoding it
    once per participant instead of once per ``start`` saves ~0.4 ms of the loop each.
    """
    spliced: dict[str, str] = {}

    def swap(value: Any) -> Any:
        if isinstance(value, JsonOnly):
            token = f"__seleksi_json_{len(spliced)}_{_TOKEN}__"
            spliced[token] = value.json_text(**options)
            return token
        return value

    if isinstance(data, list) and any(isinstance(v, JsonOnly | dict) for v in data):
        data = [swap(v) if isinstance(v, JsonOnly) else
                {k: swap(x) for k, x in v.items()} if isinstance(v, dict) else v
                for v in data]
    text = json.dumps(data, **options)
    for token, raw in spliced.items():
        text = text.replace(f'"{token}"', raw, 1)
    return text


class _PacketJson:
    """The JSON module python-socketio packets use: :func:`dumps` and the usual ``loads``."""

    dumps = staticmethod(dumps)
    loads = staticmethod(packet.Packet.json.loads)


def has_bytes(data: Any) -> bool:
    """Whether ``data`` holds ``bytes``/``bytearray`` anywhere (python-socketio's rule:
    inside lists and dicts), without walking a :class:`JsonOnly`."""
    if isinstance(data, bytes | bytearray):
        return True
    if isinstance(data, JsonOnly):
        return False
    if isinstance(data, dict):
        data = data.values()
    elif not isinstance(data, list):
        return False
    for item in data:
        if type(item) in (str, int, bool, float) or item is None:
            continue
        if has_bytes(item):
            return True
    return False


class Packet(packet.Packet):  # type: ignore[misc]
    """python-socketio's JSON packet with a cheaper binary check (:func:`has_bytes`)."""

    json = _PacketJson

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        return has_bytes(data)


MAX_MESSAGE = 64 * 1024
"""Bytes a client's Socket.IO message may have (a candidate's are under 200): a larger one
closes its connection."""

socketio = SocketIO(async_mode="gevent", serializer=Packet, max_http_buffer_size=MAX_MESSAGE,
                    message_queue=os.environ.get("SELEKSI_MESSAGE_QUEUE") or None,
                    # one Redis pub/sub channel per deployment (tests give each run its own)
                    channel=os.environ.get("SELEKSI_MESSAGE_CHANNEL") or "seleksi")


RESERVED_EVENTS = ("connect", "disconnect")


def refuse_reserved_events(server: Any) -> None:
    """Drop a client's *event* named ``connect`` or ``disconnect``.

    python-socketio hands such an event to the namespace's ``on_connect``/``on_disconnect``
    like the real ones, so a client could re-run the connect (with another bearer) or mark
    itself disconnected while connected. Called on the server ``init_app`` made.
    """
    handle = server._handle_event  # noqa: SLF001 - the one place events enter

    def guarded(eio_sid: str, namespace: str | None, id: int | None, data: Any) -> Any:
        if isinstance(data, list) and data and data[0] in RESERVED_EVENTS:
            return None
        return handle(eio_sid, namespace, id, data)

    server._handle_event = guarded  # noqa: SLF001


SOCKETIO_PATH = "/socket.io/"


class SeleksiFlask(Flask):
    """Flask, without URL routing for Socket.IO events.

    Flask-SocketIO runs every event in ``app.request_context(environ)`` of the connection's
    hand-shake request (``/socket.io/…``). Flask then binds the URL map to that environ and
    matches the path against every route: a ``NotFound`` built and caught for each answer,
    since no view serves ``/socket.io/``. With the console's, the scoreboard's and the API's
    routes that was ~18 % of the server's CPU at 2,000 answers a second (py-spy, `bench/
    exam_load.py --n 2000`). No Socket.IO handler builds URLs or reads the matched rule, so
    an event's request gets no URL adapter, and Flask skips the match. (Flask-SocketIO's
    middleware sends every ``/socket.io/`` HTTP request to Engine.IO, never to a view.)
    """

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is not None and request.environ.get("PATH_INFO", "").startswith(
                SOCKETIO_PATH):
            return None
        return super().create_url_adapter(request)

