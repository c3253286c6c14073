"""A ``start`` ack carries the candidate's paper as the JSON text made once (at warm-up)."""

from __future__ import annotations

from socketio import packet as sio_packet

from exam_server.realtime import JsonOnly, Packet


def _paper() -> JsonOnly:
    return JsonOnly(questions=[{"no": 1, "section": "TWK", "text": 'Soal "satu" — ü',
                                "options": [{"label": "A", "text": "ya"},
                                            {"label": "B", "text": "tidak"}]}])


def _ack(paper: object) -> list[object]:
    return [{"ok": True, "paper": paper, "answers": {}, "deadline": 1_700_000_000_000}]


def test_the_ack_packet_is_the_json_python_socketio_would_send() -> None:
    paper = _paper()
    ours = Packet(sio_packet.ACK, data=_ack(paper), namespace="/exam", id=7).encode()
    plain = sio_packet.Packet(sio_packet.ACK, data=_ack(dict(paper)), namespace="/exam",
                              id=7).encode()
    assert ours == plain


def test_the_ack_packet_uses_the_text_made_at_warm_up() -> None:
    paper = _paper()
    warm = paper.packet_text()  # what OpenedSession.warm makes for every participant
    paper["questions"].append({"no": 2})  # never done to a sent paper: shows what is reused
    ours = Packet(sio_packet.ACK, data=_ack(paper), namespace="/exam", id=7).encode()
    assert warm in ours
    assert '"no":2' not in ours
