"""The result log's tables: its entries (``result_log``) and its signed tree heads (``log_head``).

Created by migration ``exam_server/migrations/versions/0004_result_log.py`` (schema in
``docs/database.md``). The tables are the truth: a server process keeps a Merkle tree of the
leaf hashes in memory only as a cache, caught up from ``result_log`` by leaf index.

``result_log`` is append only. Leaf indexes run 0, 1, 2, … without a gap: every append takes
the ``seleksi.result_log`` lock (:func:`exam_server.db.serialise`) and numbers its leaves after
the last one. At most one ``result`` entry per attempt (a partial unique index); corrections
may name the same attempt again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.models import Base, utcnow

ENTRY_KINDS = ("result", "correction")


class ResultLogEntry(Base):
    """One leaf of the public result log: a record's canonical JSON and its RFC 6962 hash.

    ``leaf_input`` is the UTF-8 of the record's canonical JSON
    (:func:`proctor_console.transparency.records.leaf_input`); ``leaf_hash`` is
    ``SHA-256(0x00 || leaf_input)``, kept so proofs and look-ups by hash need no rehashing.
    ``attempt_id`` names the attempt a ``result`` (or a ``correction``) is about.
    """

    __tablename__ = "result_log"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('result', 'correction')", name="kind"),
        sa.Index("ix_result_log_leaf_hash", "leaf_hash"),
        sa.Index("ix_result_log_attempt_id", "attempt_id"),
        sa.Index("uq_result_log_attempt_result", "attempt_id", unique=True,
                 sqlite_where=sa.text("kind = 'result'"),
                 postgresql_where=sa.text("kind = 'result'")),
        sa.Index("uq_result_log_attempt_correction", "attempt_id", "correction", unique=True,
                 sqlite_where=sa.text("kind = 'correction'"),
                 postgresql_where=sa.text("kind = 'correction'")),
        sa.Index("uq_result_log_participant_result", "participant_id", unique=True,
                 sqlite_where=sa.text("kind = 'result'"),
                 postgresql_where=sa.text("kind = 'result'")),
    )

    leaf_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    leaf_input: Mapped[bytes] = mapped_column(sa.LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary)
    kind: Mapped[str] = mapped_column(sa.String(16))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempt.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What a correction corrects (0006_disqualification): "DIS" for a disqualification.
    correction: Mapped[str | None] = mapped_column(sa.String(32))
    # Whom the entry is about (0007_absent_results): a participant has one ``result`` entry,
    # their finished result or TH (absent), and no attempt when they never logged in.
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participant.id", name="fk_result_log_participant_id"))


class LogHead(Base):
    """A signed tree head: the log's size, root and the Ed25519 signature over them.

    One row per size the log has had (every append signs the new size). ``timestamp`` is
    milliseconds since the Unix epoch, as the API serves it; ``root_hash`` is
    ``MTH(D[tree_size])`` (32 bytes); ``signature`` covers the canonical JSON of
    ``{"sha256_root_hash", "timestamp", "tree_size"}``
    (:func:`proctor_console.transparency.records.sign_tree_head`).
    """

    __tablename__ = "log_head"

    tree_size: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary)
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
