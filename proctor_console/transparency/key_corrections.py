"""Corrections of the answer key after the exam — a voided item, a re-key — into the stored
results and the public log.

A wrong key found after the exam is fixed in the open: :func:`correct_exam` re-scores every
finished attempt of the exam with the corrected key and, for every candidate whose result
changes, appends a ``correction`` entry to the result log (the new section scores, total and
code, the reason, ``corrects``: the leaf index of that candidate's latest entry) and stores
the new result on the attempt, so the scoreboard, the receipt page and the log agree.

Re-scoring runs the functions that scored the attempt at finish
(:func:`exam_server.results.attempt_score` and :func:`~exam_server.results.attempt_result`)
on the session's answer key corrected by ``scoring.corrections.apply_corrections`` (the
scheme's ``void`` policy for voided items). The key is always the original one corrected by
*every* correction of the exam so far — those recorded before (each batch is an audit row
``key_corrected`` whose details hold its corrections) and then the new ones; a later
correction of an item replaces an earlier one. So applying the same corrections again
changes no score and appends nothing.

One transaction, serialised with every other append to the log, appends the entries, signs
the new tree head, updates the attempts and writes the ``key_corrected`` audit row; an error
anywhere changes nothing. Disqualified candidates keep their ``DIS`` entry and are not
re-scored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.db import reading, serialise, transaction
from exam_server.models import Answer, Attempt, AuditLog, ExamSession, Participant
from exam_server.results import attempt_result, attempt_score, session_key_table
from exam_server.session_papers import open_content
from proctor_console.transparency.appender import RESULT_LOG_LOCK, append_entries
from proctor_console.transparency.log_store import latest_entries
from proctor_console.transparency.records import canonical_json
from question_bank.sealing_format import parse_release_key
from scoring.corrections import Correction, apply_corrections
from scoring.exceptions import InputError
from scoring.services import load_scheme

ACTION = "key_corrected"
"""The audit action of one batch of corrections (its details hold the corrections)."""

ATTEMPT = cast(Table, Attempt.__table__)


class CorrectionRefused(ValueError):
    """The corrections cannot be applied now (what is wrong and what to do is said)."""


@dataclass(frozen=True)
class Change:
    """One candidate whose result the corrections change."""

    session: str
    participant: str
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    corrects: int
    """The leaf index of the entry the new one corrects."""


@dataclass(frozen=True)
class KeyCorrection:
    """What :func:`correct_exam` did: the batch id, the candidates changed, the new size."""

    batch: str
    corrections: int
    rescored: int
    changes: tuple[Change, ...]
    tree_size: int


@dataclass(frozen=True)
class _Candidate:
    attempt_id: int
    participant_id: int
    session: str
    participant: str
    result: dict[str, Any]


def batch_id(exam_id: str, corrections: Sequence[Correction]) -> str:
    """The id of a batch: SHA-256 (hex, 24 digits) of the exam and its corrections."""
    body = canonical_json({"exam": exam_id, "corrections": [_plain(c) for c in corrections]})
    return hashlib.sha256(body).hexdigest()[:24]


def correct_exam(factory: sessionmaker[Session], exam_id: str,
                 corrections: Sequence[Correction], *, reason: str, actor: str,
                 public_key: Ed25519PublicKey, log_key: Ed25519PrivateKey, now: datetime,
                 release_keys: Mapping[str, str] | None = None) -> KeyCorrection:
    """Apply ``corrections`` to every finished result of the exam and log what changed.

    Parameters
    ----------
    corrections
        From ``scoring.corrections.corrections_from_table`` (item refs as in ``key.csv``
        of ``seleksi session export``, e.g. ``TIU-0042@3``).
    reason
        Why, in words: it goes into every correction entry and the audit row.
    release_keys
        Session code to release key, for sessions whose key is no longer stored (closed).

    Raises
    ------
    CorrectionRefused
        No reason, no corrections, an unknown exam, a session still running or results not
        yet in the log, or a closed session without its release key.
    InputError
        An item in no session of the exam, or re-key points the section rule refuses.
    SealError
        A release key that does not open its session.
    """
    if not reason.strip():
        raise CorrectionRefused("a reason is required: say why the key is corrected")
    if not corrections:
        raise CorrectionRefused("no corrections given")
    merged = {c.item_id: c for c in _recorded(factory, exam_id)}
    merged.update({c.item_id: c for c in corrections})
    batch = batch_id(exam_id, corrections)
    sessions, candidates, answers = _finished(factory, exam_id)
    new_results = _rescore(factory, exam_id, sessions, candidates, answers, list(merged.values()),
                           public_key, release_keys or {})
    with transaction(factory) as db:
        serialise(db, RESULT_LOG_LOCK)
        conn = db.connection()
        latest = latest_entries(conn, [c.participant_id for c in candidates])
        missing = [c for c in candidates if c.participant_id not in latest]
        if missing:
            raise CorrectionRefused(
                f"{len(missing)} finished result(s) of exam {exam_id} are not in the log yet "
                f"(e.g. participant {missing[0].participant}): start `seleksi serve` so its "
                "appender logs them, then correct")
        stamp = now.astimezone(UTC).isoformat(timespec="microseconds")
        changes: list[Change] = []
        records: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for c in candidates:
            leaf, record = latest[c.participant_id]
            new = new_results[c.attempt_id]
            if record["code"] == "DIS" or _same(record, new):
                continue
            records.append(({
                "kind": "correction", "exam": exam_id, "session": c.session,
                "participant": c.participant, "sections": new["sections"],
                "total": new["total"], "code": "P" if new["passed"] else "TL", "time": stamp,
                "reason": reason, "corrects": leaf, "correction": "key", "batch": batch},
                {"kind": "correction", "attempt_id": c.attempt_id,
                 "participant_id": c.participant_id, "correction": f"key:{batch}"}))
            changes.append(Change(c.session, c.participant, record, new, leaf))
            conn.execute(update(ATTEMPT).where(ATTEMPT.c.id == c.attempt_id).values(
                result={**c.result, **new,
                        "key_corrections": [*c.result.get("key_corrections", []), batch]}))
        append_audit(db, actor=actor, action=ACTION, subject=exam_id, details={
            "batch": batch, "reason": reason, "corrections": [_plain(c) for c in corrections],
            "rescored": len(candidates), "changed": len(changes)})
        tree_size = append_entries(conn, log_key, now, records)
    return KeyCorrection(batch, len(corrections), len(candidates), tuple(changes), tree_size)


def diff_rows(changes: Sequence[Change]) -> list[list[str]]:
    """The published diff: ``session,participant,corrects`` then ``old_X,new_X`` for every
    section, the total and the code."""
    codes = sorted({code for c in changes for code in c.new["sections"]})
    rows = [["session", "participant", "corrects",
             *[f"{w}_{x}" for x in (*codes, "total", "code") for w in ("old", "new")]]]
    for c in changes:
        new_code = "P" if c.new["passed"] else "TL"
        cells = [str(c.session), str(c.participant), str(c.corrects)]
        for code in codes:
            cells += [str(c.old["sections"].get(code, "")), str(c.new["sections"][code])]
        rows.append([*cells, str(c.old["total"]), str(c.new["total"]), str(c.old["code"]),
                     new_code])
    return rows


def _plain(c: Correction) -> dict[str, Any]:
    return {"item": c.item_id, "action": c.action, "points": dict(sorted(c.points.items()))}


def _recorded(factory: sessionmaker[Session], exam_id: str) -> list[Correction]:
    """The exam's corrections applied before, in the order they were applied."""
    with reading(factory) as db:
        rows = db.scalars(select(AuditLog.details).where(
            AuditLog.action == ACTION, AuditLog.subject == exam_id).order_by(AuditLog.id)).all()
    return [Correction(c["item"], c["action"], dict(c["points"]), f"recorded batch {d['batch']}")
            for d in rows for c in d["corrections"]]


def _finished(factory: sessionmaker[Session], exam_id: str
              ) -> tuple[dict[str, tuple[bytes | None, str]], list[_Candidate],
                         dict[int, dict[int, str | None]]]:
    """The exam's sessions (code to stored key and scheme), its finished attempts, their
    answers; refused while an attempt is still working."""
    with reading(factory) as db:
        sessions = {s.code: (s.session_key, s.exam.scheme) for s in db.scalars(
            select(ExamSession).where(ExamSession.exam_id == exam_id))}
        if not sessions:
            raise CorrectionRefused(f"exam {exam_id!r} has no sessions (is the id right?)")
        working = db.scalar(select(func.count()).select_from(Attempt)
                            .join(Participant, Attempt.participant_id == Participant.id)
                            .where(Participant.exam_id == exam_id, Attempt.state == "working"))
        if working:
            raise CorrectionRefused(f"{working} attempt(s) of exam {exam_id} are still "
                                    "working: correct the key after every session has ended")
        rows = db.execute(
            select(Attempt.id, Attempt.participant_id, Attempt.result, Participant.number,
                   ExamSession.code)
            .join(Participant, Attempt.participant_id == Participant.id)
            .join(ExamSession, Attempt.session_id == ExamSession.id)
            .where(Participant.exam_id == exam_id, Attempt.state == "finished")
            .order_by(ExamSession.code, Participant.number)).all()
        candidates = [_Candidate(r.id, r.participant_id, r.code, r.number, dict(r.result or {}))
                      for r in rows]
        answers: dict[int, dict[int, str | None]] = {}
        for a in db.scalars(select(Answer).where(Answer.attempt_id.in_([c.attempt_id
                                                                        for c in candidates]))):
            answers.setdefault(a.attempt_id, {})[a.q] = a.choice
    return sessions, candidates, answers


def _rescore(factory: sessionmaker[Session], exam_id: str,
             sessions: Mapping[str, tuple[bytes | None, str]], candidates: Sequence[_Candidate],
             answers: Mapping[int, Mapping[int, str | None]], corrections: Sequence[Correction],
             public_key: Ed25519PublicKey, release_keys: Mapping[str, str]
             ) -> dict[int, dict[str, Any]]:
    """Every finished attempt's result under the corrected key, by attempt id."""
    unknown = set(release_keys) - set(sessions)
    if unknown:
        raise CorrectionRefused(f"--key for {', '.join(sorted(unknown))}: no such session in "
                                f"exam {exam_id} (sessions: {', '.join(sorted(sessions))})")
    with reading(factory) as db:
        category = dict(db.execute(select(Participant.number, Participant.category)
                                   .where(Participant.exam_id == exam_id)).all())
    by_session: dict[str, list[_Candidate]] = {}
    for c in candidates:
        by_session.setdefault(c.session, []).append(c)
    found: set[str] = set()
    results: dict[int, dict[str, Any]] = {}
    for code, people in by_session.items():
        stored, scheme_id = sessions[code]
        if code in release_keys:
            key = parse_release_key(release_keys[code])
        elif stored is not None:
            key = stored
        else:
            raise CorrectionRefused(f"session {code} is closed (its key is no longer stored): "
                                    f"give its release key with --key {code}=RELEASE_KEY")
        content = open_content(factory, exam_id, code, key, public_key)
        scheme = load_scheme(scheme_id)
        original = session_key_table(scheme, content.items)
        mine = [c for c in corrections if c.item_id in original.index]
        found |= {c.item_id for c in mine}
        corrected = apply_corrections(original, mine)
        for c in people:
            score = attempt_score(corrected, content.papers[c.participant], content.items,
                                  answers.get(c.attempt_id, {}))
            results[c.attempt_id] = attempt_result(scheme, score, category[c.participant])
    for fix in corrections:
        if fix.item_id not in found and by_session:
            raise InputError(f"{fix.where or fix.item_id}: item {fix.item_id!r} was in no finished "
                             f"candidate's paper of exam {exam_id} (item refs as in key.csv of "
                             "`seleksi session export`, e.g. TIU-0042@3)")
    return results


def _same(record: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    passed = record["code"] in ("P", "P/L")  # P/L: passed, and ranked within the cut
    return bool(record["sections"] == new["sections"] and record["total"] == new["total"]
                and passed == new["passed"])
