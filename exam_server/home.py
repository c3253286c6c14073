"""The landing page: what this instance holds (bank, exams, sessions, sealed packages)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import bank_store
from exam_server.db import reading
from exam_server.models import Exam, ExamSession, Participant, SealedPackage

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Counts of the bank, and every exam with its sessions and packages."""
    factory: sessionmaker[Session] = current_app.extensions["seleksi.db"]
    counts = bank_store.bank_counts(factory)
    with reading(factory) as db:
        exams = db.scalars(select(Exam).order_by(Exam.id)).all()
        sessions = db.scalars(select(ExamSession).order_by(ExamSession.starts_at)).all()
        participants = dict(db.execute(
            select(Participant.session_id, func.count()).group_by(Participant.session_id)).all())
        packages = db.scalars(select(SealedPackage).order_by(SealedPackage.id)).all()
        return render_template("home.html", counts=counts, exams=exams, sessions=sessions,
                               participants=participants, packages=packages)
