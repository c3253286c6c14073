"""Migration 0006_disqualification adds its columns and index and steps back cleanly."""

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
        assert current_revision(engine) == HEAD == "0006_disqualification"
        assert added <= _columns(engine, "participant")
        assert "correction" in _columns(engine, "result_log")
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("result_log")}
        assert "uq_result_log_attempt_correction" in indexes
        downgrade(engine, "0005_proctor_accounts")
        assert not added & _columns(engine, "participant")
        assert "correction" not in _columns(engine, "result_log")
        upgrade(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
