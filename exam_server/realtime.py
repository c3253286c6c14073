"""The one Socket.IO server of the process (gevent, websocket first; see ARCHITECTURE.md)."""

from __future__ import annotations

import os

from flask_socketio import SocketIO

socketio = SocketIO(async_mode="gevent",
                    message_queue=os.environ.get("SELEKSI_MESSAGE_QUEUE") or None)
