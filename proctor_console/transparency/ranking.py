"""Publishing the ranking (``P/L``) of an exam in the public log, once every session is over.

The decision per candidate is logged at finish (``P`` passed the threshold, ``TL`` not), and
``TH`` when a session closes without them. Who goes on to the SKB is known only when every
session of the exam has ended: within each formation, those who passed are ranked (by total,
then the scheme's tie-break) and the top ``go_on_per_quota`` × quota go on (``P/L``; ties at
the cut all go on). :func:`rank_exam` computes that with ``scoring.results.decide_and_rank``
(the function ``seleksi score`` ranks with) on the scores the log holds, and appends a
``correction`` entry for every candidate whose code or rank is new: ``code`` ``P/L`` or ``P``,
``rank``, ``"correction": "rank"``, ``batch``, ``reason`` and ``corrects`` (their latest leaf).
Ranking the same way again appends nothing; new quotas append what they change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.db import serialise, transaction
from exam_server.models import Attempt, Exam, ExamSession, Participant
from proctor_console.transparency.appender import RESULT_LOG_LOCK, append_entries
from proctor_console.transparency.key_corrections import CorrectionRefused
from proctor_console.transparency.log_store import latest_entries, latest_head
from proctor_console.transparency.records import canonical_json
from scoring.files import Table
from scoring.inputs import roster_from_tables
from scoring.results import CODES, decide_and_rank
from scoring.services import load_scheme

ACTION = "ranked"
"""The audit action of a published ranking."""


@dataclass(frozen=True)
class Ranked:
    """What :func:`rank_exam` did: the batch id, candidates ranked, entries appended, counts."""

    batch: str
    candidates: int
    appended: int
    counts: dict[str, int]
    tree_size: int


def rank_exam(factory: sessionmaker[Session], exam_id: str, formations: Table, *,
              reason: str, actor: str, log_key: Ed25519PrivateKey, now: datetime) -> Ranked:
    """Rank the exam's logged results per formation and log every new ``P/L`` / ``P`` code.

    Parameters
    ----------
    formations
        ``formation,quota`` (``scoring.inputs.formations_from_table``): every formation of
        the exam's participants must have its quota.

    Raises
    ------
    CorrectionRefused
        No reason, an unknown exam, a session not yet closed, or a participant whose result
        is not in the log yet.
    InputError
        A formation without a quota, a malformed quota (naming the row).
    """
    if not reason.strip():
        raise CorrectionRefused("a reason is required: say what this ranking is")
    quotas = [list(row) for _, row in formations.rows]
    with transaction(factory) as db:
        serialise(db, RESULT_LOG_LOCK)
        exam = db.get(Exam, exam_id)
        if exam is None:
            raise CorrectionRefused(f"no exam {exam_id!r}")
        running = db.scalars(select(ExamSession.code).where(
            ExamSession.exam_id == exam_id,
            ExamSession.state.not_in(("closed", "published")))).all()
        if running:
            raise CorrectionRefused(f"session(s) {', '.join(sorted(running))} of exam {exam_id}"
                                    " are not closed: rank once every session is over")
        people = db.execute(select(Participant.id, Participant.number, Participant.formation,
                                   Participant.category, Attempt.id.label("attempt_id"))
                            .outerjoin(Attempt, Attempt.participant_id == Participant.id)
                            .where(Participant.exam_id == exam_id)
                            .order_by(Participant.number)).all()
        conn = db.connection()
        head = latest_head(conn)
        batch = hashlib.sha256(canonical_json({  # the same quotas on another log: another id
            "exam": exam_id, "formations": [list(formations.header), *quotas],
            "tree_size": 0 if head is None else head.tree_size})).hexdigest()[:24]
        latest = latest_entries(conn, [p.id for p in people])
        missing = [p.number for p in people if p.id not in latest]
        if missing:
            raise CorrectionRefused(f"{len(missing)} participant(s) of exam {exam_id} have no "
                                    f"result in the log yet (e.g. {missing[0]}): start `seleksi "
                                    "serve` so its appender logs them, then rank")
        scheme = load_scheme(exam.scheme)
        records = [latest[p.id][1] for p in people]
        roster = roster_from_tables(scheme, Table(
            f"the participants of exam {exam_id}", ("participant", "formation", "category",
                                                   "status"),
            [(i + 1, [p.number, p.formation, p.category,
                      "DIS" if r["code"] == "DIS" else ""])
             for i, (p, r) in enumerate(zip(people, records, strict=True))]), formations)
        totals = np.asarray([[int(r["sections"].get(c, 0)) for c in scheme.section_codes]
                             for r in records], dtype=np.int32).reshape(-1, len(scheme.sections))
        sat = np.asarray([r["code"] != "TH" for r in records], dtype=bool)
        results = decide_and_rank(scheme, roster, totals, sat)
        stamp = now.astimezone(UTC).isoformat(timespec="microseconds")
        appended: list[tuple[dict[str, Any], dict[str, Any]]] = []
        counts: dict[str, int] = dict.fromkeys(CODES, 0)
        for i, (p, record) in enumerate(zip(people, records, strict=True)):
            code, rank = CODES[int(results.code[i])], int(results.rank[i])
            counts[code] += 1
            if code not in ("P/L", "P") or (record["code"], record.get("rank")) == (code, rank):
                continue
            appended.append(({**{k: record[k] for k in ("exam", "session", "participant",
                                                          "sections", "total")},
                              "kind": "correction", "code": code, "rank": rank, "time": stamp,
                              "reason": reason, "corrects": latest[p.id][0],
                              "correction": "rank", "batch": batch},
                             {"kind": "correction", "attempt_id": p.attempt_id,
                              "participant_id": p.id, "correction": f"rank:{batch}"}))
        append_audit(db, actor=actor, action=ACTION, subject=exam_id, details={
            "batch": batch, "reason": reason, "counts": counts, "appended": len(appended),
            "formations": quotas})
        size = append_entries(conn, log_key, now, appended)
    return Ranked(batch, len(people), len(appended), counts, size)
