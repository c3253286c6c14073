"""The hash-chained audit log: appends link up, any tampering is found and named."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import (
    GENESIS_HASH,
    AuditEntry,
    append_audit,
    append_audit_batch,
    hash_text,
    row_hash,
    verify_audit_chain,
)
from exam_server.db import transaction
from question_bank.model import canonical_json
from tests.exam_server.factories import migrated


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[sa.Engine, sessionmaker[Session]]]:
    with migrated(db_url) as pair:
        yield pair


def _append(factory: sessionmaker[Session], n: int, actor: str = "pengawas") -> None:
    for i in range(n):
        with transaction(factory) as session:
            append_audit(session, actor=actor, action="session.open", subject=f"S{i}",
                         details={"i": i, "note": "Ruang CAT 1", "nested": {"b": [1, 2.5]}})


def test_appends_form_one_chain(store: tuple[sa.Engine, sessionmaker[Session]]) -> None:
    engine, factory = store
    assert verify_audit_chain(factory).ok
    _append(factory, 5)
    check = verify_audit_chain(engine)
    assert (check.ok, check.rows_checked, check.bad_row, check.reason) == (True, 5, None, None)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT prev_hash, hash FROM audit_log ORDER BY id")).all()
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))


def test_an_outsider_can_recompute_the_hash(store: tuple[sa.Engine, sessionmaker[Session]],
                                            ) -> None:
    """The recipe of docs/database.md, with nothing but hashlib and json."""
    engine, factory = store
    _append(factory, 3)
    with factory() as session:
        rows = session.execute(sa.text(
            "SELECT id, at, actor, action, subject, details, prev_hash, hash "
            "FROM audit_log ORDER BY id")).all()
    for row in rows:
        details = row.details if isinstance(row.details, dict) else json.loads(row.details)
        if isinstance(row.at, str):  # SQLite keeps the UTC wall time as text
            at = row.at.replace(" ", "T") + "+00:00"
        else:
            at = row.at.astimezone(UTC).isoformat(timespec="microseconds")
        body = {"id": row.id, "at": at, "actor": row.actor, "action": row.action,
                "subject": row.subject, "details": details, "prev_hash": row.prev_hash}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode()).hexdigest() == row.hash


@pytest.mark.parametrize(("column", "value"), [
    ("details", """'{"i": 99}'"""),
    ("actor", "'penyusup'"),
    ("action", "'session.close'"),
    ("hash", "'" + "f" * 64 + "'"),
])
def test_tampering_is_detected_naming_the_row(store: tuple[sa.Engine, sessionmaker[Session]],
                                              column: str, value: str) -> None:
    engine, factory = store
    _append(factory, 4)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE audit_log SET {column} = {value} WHERE id = 3"))  # noqa: S608
    check = verify_audit_chain(factory)
    assert not check.ok
    assert check.bad_row == 3
    assert check.reason is not None
    assert "audit row 3" in check.reason


def test_a_removed_row_is_detected_at_the_next(store: tuple[sa.Engine, sessionmaker[Session]],
                                               ) -> None:
    engine, factory = store
    _append(factory, 4)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = 2"))
    check = verify_audit_chain(factory)
    assert (check.ok, check.bad_row, check.rows_checked) == (False, 3, 2)
    assert check.reason is not None
    assert "prev_hash" in check.reason


def test_an_append_rolls_back_with_its_transaction(
        store: tuple[sa.Engine, sessionmaker[Session]]) -> None:
    _engine, factory = store
    _append(factory, 1)

    def failing_work() -> None:
        with transaction(factory) as session:
            append_audit(session, actor="a", action="x", subject="y", details={})
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError, match="failed"):
        failing_work()
    _append(factory, 1)
    check = verify_audit_chain(factory)
    assert (check.ok, check.rows_checked) == (True, 2)


def test_details_must_be_json_data(store: tuple[sa.Engine, sessionmaker[Session]]) -> None:
    _engine, factory = store
    with pytest.raises(ValueError, match="not JSON data"), transaction(factory) as session:
        append_audit(session, actor="a", action="x", subject="y", details={"b": b"bytes"})


def test_concurrent_appends_make_one_unbroken_chain(
        store: tuple[sa.Engine, sessionmaker[Session]]) -> None:
    _engine, factory = store
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            _append(factory, 10, actor=f"writer-{k}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = verify_audit_chain(factory)
    assert (check.ok, check.rows_checked) == (True, 60)


def _text(size: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=size)  # UTF-8 encodable


@given(actor=_text(20), action=_text(20), subject=_text(40),
       details=st.dictionaries(_text(8), st.recursive(
           st.none() | st.booleans() | st.integers() | _text(10)
           | st.floats(allow_nan=False, allow_infinity=False),
           lambda inner: st.lists(inner, max_size=3)
           | st.dictionaries(_text(5), inner, max_size=3), max_leaves=8),
           max_size=4),
       row_id=st.integers(min_value=1, max_value=2**62),
       prev=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_the_batch_hash_text_is_the_documented_canonical_json(
        actor: str, action: str, subject: str, details: dict[str, Any], row_id: int,
        prev: str) -> None:
    at = datetime(2026, 11, 24, 1, 0, 0, 123456, tzinfo=UTC)
    text = hash_text(id=row_id, at=at, actor=actor, action=action, subject=subject,
                     details_json=canonical_json(details).decode(), prev_hash=prev)
    assert hashlib.sha256(text).hexdigest() == row_hash(
        id=row_id, at=at, actor=actor, action=action, subject=subject, details=details,
        prev_hash=prev)


def test_a_batch_append_continues_the_chain_in_one_insert(
        store: tuple[sa.Engine, sessionmaker[Session]]) -> None:
    engine, factory = store
    _append(factory, 2)
    with transaction(factory) as session:
        out = append_audit_batch(session, [
            AuditEntry("candidate", "answer", f"E/{i}", {"q": i, "choice": "ÄB"[i % 2],
                                                         "seq": i}) for i in range(5)])
    _append(factory, 1)
    assert verify_audit_chain(engine).ok
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, hash FROM audit_log ORDER BY id")).all()
    assert [tuple(r) for r in rows[2:7]] == out
    assert [r.id for r in rows] == list(range(rows[0].id, rows[0].id + 8))
    with transaction(factory) as session:
        assert append_audit_batch(session, []) == []
