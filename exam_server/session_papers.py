"""Opened sessions held in memory: decrypted papers, the answer key, candidate payloads.

Before a session is opened nothing in the database can decrypt its papers. Opening keeps the
32-byte session key in the ``exam_session`` row until close, so any server process (or one
restarted after a crash) can decrypt the papers again without a human: :class:`PaperCache`
fills itself lazily from the stored package and that key. Closing clears the key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import ExamSession
from exam_server.packages import stored_package
from exam_server.realtime import JsonOnly
from exam_server.results import session_key_table
from question_bank.errors import SealError
from question_bank.papers import Paper
from question_bank.sealing import SessionContent, open_session
from scoring.services import KeyTable, Scheme, item_points, load_scheme


@dataclass
class OpenedSession:
    """One opened session's papers and answer key, with candidate payloads built on demand."""

    session_id: int
    exam_id: str
    code: str
    scheme: Scheme
    duration_minutes: int
    content: SessionContent
    key: KeyTable
    _payloads: dict[str, JsonOnly] = field(default_factory=dict)
    _labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _points: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    _options: dict[tuple[str, str], tuple[str, list[dict[str, str]]]] = field(
        default_factory=dict)
    _label_index: dict[str, dict[str, int]] = field(default_factory=dict)

    @functools.cached_property
    def section_codes(self) -> tuple[str, ...]:
        """The scheme's section codes in exam order (the order of every points tuple)."""
        return self.scheme.section_codes

    def paper(self, participant: str) -> Paper:
        """The participant's paper; ``KeyError`` if they have none in this session."""
        return self.content.papers[participant]

    def candidate_paper(self, participant: str) -> JsonOnly:
        """``{"questions": [{"no", "section", "text", "options": [{"label", "text"}]}]}``.

        Options in the candidate's order under the labels they see; no item id, ref or
        points anywhere.
        """
        if participant not in self._payloads:
            paper = self.paper(participant)
            questions = []
            for no, (ref, order, section) in enumerate(
                    zip(paper.refs, paper.option_orders, paper.sections, strict=True), start=1):
                stem, options = self._shown(ref, order)
                questions.append({"no": no, "section": section, "text": stem,
                                  "options": options})
            self._payloads[participant] = JsonOnly(questions=questions)
        return self._payloads[participant]

    def _shown(self, ref: str, order: str) -> tuple[str, list[dict[str, str]]]:
        """An item's stem and its options in ``order`` under the shown labels (shared by
        every paper that has the item in that order; never mutated)."""
        shown = self._options.get((ref, order))
        if shown is None:
            item = self.content.items[ref].item
            by_label = {o.label: o for o in item.options}
            labels = [o.label for o in item.options]
            shown = self._options[(ref, order)] = (item.stem, [
                {"label": labels[i], "text": by_label[orig].text}
                for i, orig in enumerate(order)])
        return shown

    def question_points(self, participant: str, no: int, label: str | None) -> tuple[int, ...]:
        """Per section (scheme order), the points of choosing shown ``label`` at question ``no``.

        From ``scoring.services.item_points``, the per-response points the scorer sums into
        section totals (all items and options of the session at once, on first use): an
        attempt's score is the sum of these over its questions (blank scores nothing).
        """
        if not label:
            return (0,) * len(self.section_codes)
        if not self._points:
            self._points = self._all_points()
        paper = self.paper(participant)
        ref, order = paper.refs[no - 1], paper.option_orders[no - 1]
        index = self._label_index.get(ref)
        if index is None:
            index = self._label_index[ref] = {
                o.label: i for i, o in enumerate(self.content.items[ref].item.options)}
        return self._points[(ref, order[index[label]])]

    def _all_points(self) -> dict[tuple[str, str], tuple[int, ...]]:
        key = self.key
        rows, options = np.nonzero(key.allowed[:key.sentinel])
        points = item_points(key, rows.astype(np.int32).reshape(1, -1),
                             options.astype(np.int8).reshape(1, -1))[0]
        width = len(self.section_codes)
        out: dict[tuple[str, str], tuple[int, ...]] = {}
        for row, option, value in zip(rows.tolist(), options.tolist(), points.tolist(),
                                      strict=True):
            sections = [0] * width
            sections[int(key.section[row])] = value
            out[(key.item_ids[row], key.options[option])] = tuple(sections)
        return out

    def warm(self) -> None:
        """Build every participant's candidate paper (and its JSON text as the ``start`` ack
        sends it), option labels and the points table now.

        A serving process does this at start-up, before it freezes its heap: the log-in
        burst then neither builds ~110 questions per candidate nor leaves them for the
        garbage collector to walk again and again, nor encodes ~50 KB of JSON per ``start``
        (~20 % of the server's CPU in a burst of 1,000 starts, py-spy).
        """
        for participant in self.content.papers:
            self.candidate_paper(participant).packet_text()
            self.option_labels(participant)
        if not self._points:
            self._points = self._all_points()

    def option_labels(self, participant: str) -> tuple[str, ...]:
        """Per question (index ``no - 1``), the labels the candidate may choose, as a string."""
        if participant not in self._labels:
            paper = self.paper(participant)
            self._labels[participant] = tuple(
                "".join(o.label for o in self.content.items[q.ref].item.options)
                for q in paper.questions)
        return self._labels[participant]


def open_content(factory: sessionmaker[Session], exam_id: str, code: str, key: bytes,
                 public_key: Ed25519PublicKey) -> SessionContent:
    """Decrypt and check one session of the exam's stored package (raises ``SealError``)."""
    return open_session(stored_package(factory, exam_id), public_key, code, key)


class PaperCache:
    """Per process: opened sessions by ``exam_session.id``, filled lazily from the database.

    ``public_key`` is called once, when the first session is decrypted in this process.
    """

    def __init__(self, factory: sessionmaker[Session],
                 public_key: Callable[[], Ed25519PublicKey]) -> None:
        self._factory = factory
        self._public_key_source = public_key
        self._public_key: Ed25519PublicKey | None = None
        self._sessions: dict[int, OpenedSession] = {}

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The bank's public key that packages are checked against."""
        if self._public_key is None:
            self._public_key = self._public_key_source()
        return self._public_key

    def get(self, session_id: int) -> OpenedSession:
        """The opened session; ``SealError`` if it is not open (no key in the database)."""
        opened = self._sessions.get(session_id)
        if opened is not None:
            return opened
        with reading(self._factory) as db:
            row = db.get(ExamSession, session_id)
            if row is None or row.session_key is None:
                raise SealError(f"session {session_id} is not open: its papers are sealed")
            exam_id, code, key = row.exam_id, row.code, row.session_key
            duration, scheme_id = row.duration_minutes, row.exam.scheme
        content = open_content(self._factory, exam_id, code, key, self.public_key)
        scheme = load_scheme(scheme_id)
        opened = OpenedSession(session_id=session_id, exam_id=exam_id, code=code, scheme=scheme,
                               duration_minutes=duration or scheme.duration_minutes,
                               content=content, key=session_key_table(scheme, content.items))
        self._sessions[session_id] = opened
        return opened

    def warm_open_sessions(self) -> int:
        """Open and :meth:`OpenedSession.warm` every session that is opened or running
        (those with their key in the database); how many. One that fails to open is
        skipped: it is opened (and its error shown) on first use, as without warming."""
        with reading(self._factory) as db:
            ids = db.scalars(select(ExamSession.id).where(
                ExamSession.session_key.is_not(None),
                ExamSession.state.in_(("opened", "running")))).all()
        warmed = 0
        for session_id in ids:
            try:
                self.get(session_id).warm()
            except SealError:
                continue
            warmed += 1
        return warmed

    def put(self, session_id: int, opened: OpenedSession) -> None:
        """Keep an opened session (after ``open`` decrypted it anyway)."""
        self._sessions[session_id] = opened

    def forget(self, session_id: int) -> None:
        """Drop a session (at close) so its papers leave this process's memory."""
        self._sessions.pop(session_id, None)
