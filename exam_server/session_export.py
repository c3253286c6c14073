"""A session's answers as the input files of ``seleksi score`` (``docs/scoring.md``).

The official result can be recomputed, and audited, away from the exam server: ``key.csv``
(the answer key of every item in the session, rows named by item ref ``TIU-0042@3``),
``responses.csv`` (one row per question of every candidate who started, the choice in the
item's *own* option label: the label the candidate saw mapped back through their paper's
option order; empty for a question left blank), ``candidates.csv`` (everyone on the session's
roster: who never started has no response rows and is coded ``TH``) and ``formations.csv``
(the session's formations with a quota). The papers are decrypted with the key stored while
the session is open, or with the release key given.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import reading
from exam_server.models import Answer, Attempt, Participant
from exam_server.results import original_labels
from exam_server.session_papers import open_content
from exam_server.sessions import SessionStateError, find_session
from question_bank.sealing_format import parse_release_key
from scoring.services import load_scheme

FILES = ("key.csv", "responses.csv", "candidates.csv", "formations.csv")


@dataclass(frozen=True)
class ExportedSession:
    """What :func:`export_session` wrote."""

    folder: Path
    scheme: str
    items: int
    candidates: int
    started: int
    formations: int


def export_session(factory: sessionmaker[Session], code: str, out: Path,
                   public_key: Ed25519PublicKey, *, quota: int = 1,
                   quotas: Mapping[str, int] | None = None, exam_id: str | None = None,
                   release_key: str | None = None) -> ExportedSession:
    """Write the session's ``key.csv``, ``responses.csv``, ``candidates.csv`` and
    ``formations.csv`` into ``out`` (made if missing).

    Parameters
    ----------
    quota, quotas
        Every formation's quota is ``quotas[formation]`` when given there, else ``quota``.
    release_key
        Needed only when the session's key is no longer stored (closed sessions).

    Raises
    ------
    SessionStateError
        The session is still scheduled, or its key is gone and no release key was given.
    SealError
        The papers cannot be decrypted with that key.
    """
    if quota < 1 or any(q < 1 for q in (quotas or {}).values()):
        raise ValueError("--quota: a formation's quota is a whole number ≥ 1")
    with reading(factory) as db:
        row = find_session(db, code, exam_id)
        exam, session_id, stored, scheme_id = row.exam_id, row.id, row.session_key, row.exam.scheme
        if row.state == "scheduled":
            raise SessionStateError(f"session {code} is scheduled: nobody has sat it yet")
        people = db.scalars(select(Participant).where(Participant.session_id == session_id)
                            .order_by(Participant.number)).all()
        roster = [(p.id, p.number, p.name, p.formation, p.category) for p in people]
        attempts = {a.participant_id: a.id for a in db.scalars(
            select(Attempt).where(Attempt.session_id == session_id,
                                  Attempt.started_at.is_not(None)))}
        answers: dict[int, dict[int, str | None]] = {}
        for a in db.scalars(select(Answer).where(Answer.attempt_id.in_(attempts.values()))):
            answers.setdefault(a.attempt_id, {})[a.q] = a.choice
    if stored is None and release_key is None:
        raise SessionStateError(f"session {code}'s key is no longer stored (the session is "
                                f"closed): give its release key with --key")
    key = parse_release_key(release_key) if release_key else stored
    assert key is not None  # noqa: S101 - checked above
    content = open_content(factory, exam, code, key, public_key)
    scheme = load_scheme(scheme_id)
    labels = sorted({label for s in scheme.sections for label in s.options})
    out.mkdir(parents=True, exist_ok=True)
    refs = sorted(content.items)
    _write(out / "key.csv", ["item_id", "section", *labels],
           [[ref, content.items[ref].item.section,
             *[content.items[ref].item.points.get(label, "") for label in labels]]
            for ref in refs])
    responses = []
    for pid, number, *_ in roster:
        attempt = attempts.get(pid)
        if attempt is None:
            continue
        paper = content.papers[number]
        chosen = original_labels(paper, content.items, answers.get(attempt, {}))
        responses += [[number, q.ref, choice or ""]
                      for q, choice in zip(paper.questions, chosen, strict=True)]
    _write(out / "responses.csv", ["participant", "item_id", "choice"], responses)
    _write(out / "candidates.csv", ["participant", "name", "formation", "category", "status"],
           [[number, name, formation, category, ""]
            for _, number, name, formation, category in roster])
    formations = sorted({r[3] for r in roster})
    _write(out / "formations.csv", ["formation", "quota"],
           [[f, (quotas or {}).get(f, quota)] for f in formations])
    return ExportedSession(out, scheme_id, len(refs), len(roster), len(attempts),
                           len(formations))


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)
    tmp.replace(path)
