"""The one Socket.IO server of the process (gevent, websocket first; see ARCHITECTURE.md)."""

from __future__ import annotations

import os
from typing import Any

from flask_socketio import SocketIO
from socketio import packet


class JsonOnly(dict[str, Any]):
    """A payload known to hold JSON data only (no bytes): its packets skip the binary scan.

    The candidate's paper (~2,000 nested values) is sent as one; python-socketio would
    otherwise walk it on every ``start`` to look for binary attachments.
    """


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

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        return has_bytes(data)


socketio = SocketIO(async_mode="gevent", serializer=Packet,
                    message_queue=os.environ.get("SELEKSI_MESSAGE_QUEUE") or None)
