"""Migrations 0006_disqualification and 0007_absent_results add their columns and indexes and
step back cleanly."""

from __future__ import annotations

import sqlalchemy as sa

from exam_server.db import current_revision, downgrade, make_engine, upgrade
from tests.exam_server.factories import HEAD


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_disqualification_columns_come_and_go(db_url: str) -> None:
    engine = make_engine(db_url)
    added = {"disqualified_at", "disqualified_by", "disqualified_reason"}
    try:
        upgrade(engine)
        assert current_revision(engine) == HEAD == "0007_absent_results"
        assert added <= _columns(engine, "participant")
        assert {"correction", "participant_id"} <= _columns(engine, "result_log")
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("result_log")}
        assert {"uq_result_log_attempt_correction", "uq_result_log_participant_result"} <= indexes
        downgrade(engine, "0006_disqualification")
        assert "participant_id" not in _columns(engine, "result_log")
        assert "correction" in _columns(engine, "result_log")
        downgrade(engine, "0005_proctor_accounts")
        assert not added & _columns(engine, "participant")
        assert "correction" not in _columns(engine, "result_log")
        upgrade(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
