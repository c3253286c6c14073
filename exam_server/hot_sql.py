"""The answer journal's hot statements as driver SQL, executed without per-row type processing.

SQLAlchemy's ``executemany`` runs every parameter of every row through the column types'
bind processors (``UTCDateTime``, ``JSON``, ``Boolean``) and builds an execution context per
statement; for the journal's batches that cost more CPU than SQLite spent executing them.
Here the same statements are written once as SQL for the driver (``qmark`` for sqlite3,
``format`` for psycopg) and their parameters are converted up front, exactly as the column
types would: a timestamp is stored as its UTC wall time (SQLite, SQLAlchemy's ``DATETIME``
storage format) or passed timezone-aware (PostgreSQL); a JSON value as ``json.dumps`` of it
(the ``JSON`` type's serializer). Everything still runs on the caller's connection, inside
the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

_UPSERT_ANSWER = (
    "INSERT INTO answer (attempt_id, q, choice, answer_seq, flagged, flag_seq, updated_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (attempt_id, q) DO UPDATE SET choice = excluded.choice, "
    "answer_seq = excluded.answer_seq, flagged = excluded.flagged, "
    "flag_seq = excluded.flag_seq, updated_at = excluded.updated_at "
    "WHERE excluded.answer_seq >= answer.answer_seq AND excluded.flag_seq >= answer.flag_seq")
_LIVE_SCORE = "UPDATE attempt SET live_score = {j} WHERE id = {p}"
_CONNECTED = "UPDATE attempt SET connected_sid = {p}, connected_at = {p} WHERE id = {p}"
_BEARER = ("UPDATE attempt SET bearer_sha256 = {p}, bearer_issued_at = {p}, connected_sid = NULL, "
           "connected_at = NULL WHERE id = {p}")
_STARTED = ("UPDATE attempt SET state = 'working', started_at = {p}, deadline_at = {p} "
            "WHERE id = {p}")
_AUDIT_INSERT = ("INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, "
                 "hash) VALUES ({p}, {p}, {p}, {p}, {p}, {j}, {p}, {p})")
# A row-value IN scans the whole table on SQLite; a join on json_each uses the primary key.
_STORED_SQLITE = (
    "SELECT a.attempt_id, a.q, a.choice, a.answer_seq, a.flagged, a.flag_seq "
    "FROM json_each(?) AS k JOIN answer AS a "
    "ON a.attempt_id = json_extract(k.value, '$[0]') AND a.q = json_extract(k.value, '$[1]')")
_STORED_PG = (
    "SELECT a.attempt_id, a.q, a.choice, a.answer_seq, a.flagged, a.flag_seq "
    "FROM answer AS a JOIN unnest(%s::bigint[], %s::integer[]) AS k(attempt_id, q) "
    "ON a.attempt_id = k.attempt_id AND a.q = k.q")

_CHOICES_SQLITE = ("SELECT a.attempt_id, a.q, a.choice FROM json_each(?) AS k JOIN answer AS a "
                   "ON a.attempt_id = k.value WHERE a.choice IS NOT NULL")
_CHOICES_PG = ("SELECT attempt_id, q, choice FROM answer "
               "WHERE attempt_id = ANY(%s::bigint[]) AND choice IS NOT NULL")


@dataclass(frozen=True)
class HotSql:
    """The journal's statements in one dialect's driver SQL."""

    postgresql: bool
    upsert_answer: str
    live_score: str
    connected: str
    audit_insert: str
    bearer: str
    started: str

    def time(self, at: datetime) -> Any:
        """``at`` as the ``UTCDateTime`` column type binds it."""
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at.isoformat()} given to a UTC column")
        at = at.astimezone(UTC)
        if self.postgresql:
            return at
        return (f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:"
                f"{at.second:02d}.{at.microsecond:06d}")


def _build(postgresql: bool) -> HotSql:
    p, j = ("%s", "CAST(%s AS JSON)") if postgresql else ("?", "?")
    return HotSql(postgresql, *(s.format(p=p, j=j) for s in (
        _UPSERT_ANSWER, _LIVE_SCORE, _CONNECTED, _AUDIT_INSERT, _BEARER, _STARTED)))


_BY_DIALECT = {False: _build(False), True: _build(True)}


def hot_sql(conn: Connection) -> HotSql:
    """The statements for ``conn``'s dialect (SQLite or PostgreSQL)."""
    return _BY_DIALECT[conn.dialect.name == "postgresql"]


def stored_answers(conn: Connection, keys: Iterable[tuple[int, int]]
                   ) -> list[tuple[int, int, str | None, int, bool, int]]:
    """``(attempt_id, q, choice, answer_seq, flagged, flag_seq)`` of the stored rows among
    ``keys`` (``(attempt_id, q)`` pairs)."""
    ordered = sorted(keys)
    if not ordered:
        return []
    if hot_sql(conn).postgresql:
        rows = conn.exec_driver_sql(_STORED_PG, ([i for i, _ in ordered],
                                                 [q for _, q in ordered]))
    else:
        rows = conn.exec_driver_sql(_STORED_SQLITE, (json.dumps(ordered),))
    return [(int(i), int(q), c, int(s), bool(f), int(fs)) for i, q, c, s, f, fs in rows]


def choices_of(conn: Connection, attempt_ids: Sequence[int]
               ) -> dict[int, dict[int, str | None]]:
    """Attempt id → question → stored choice, for every answered question of the attempts
    (attempts without one are left out)."""
    if not attempt_ids:
        return {}
    if hot_sql(conn).postgresql:
        rows = conn.exec_driver_sql(_CHOICES_PG, (list(attempt_ids),))
    else:
        rows = conn.exec_driver_sql(_CHOICES_SQLITE, (json.dumps(list(attempt_ids)),))
    found: dict[int, dict[int, str | None]] = {}
    for attempt_id, q, choice in rows:
        found.setdefault(int(attempt_id), {})[int(q)] = choice
    return found


def upsert_answers(conn: Connection, rows: Sequence[tuple[int, int, str | None, int, bool, int]],
                   now: datetime) -> None:
    """Insert or update answer rows ``(attempt_id, q, choice, answer_seq, flagged, flag_seq)``
    in one ``executemany``; an update only lands when neither ``seq`` goes down."""
    if rows:
        sql = hot_sql(conn)
        at = sql.time(now)
        conn.exec_driver_sql(sql.upsert_answer, [(*row, at) for row in rows])


def set_live_scores(conn: Connection, scores: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """``attempt.live_score`` of each ``(attempt_id, score)``."""
    if scores:
        conn.exec_driver_sql(hot_sql(conn).live_score,
                             [(json.dumps(score), attempt_id) for attempt_id, score in scores])


def set_connected(conn: Connection, connections: Sequence[tuple[int, str]],
                  now: datetime) -> None:
    """``attempt.connected_sid`` / ``connected_at`` of each ``(attempt_id, sid)``."""
    if connections:
        sql = hot_sql(conn)
        at = sql.time(now)
        conn.exec_driver_sql(sql.connected, [(sid, at, attempt_id)
                                             for attempt_id, sid in connections])


def set_bearers(conn: Connection, bearers: Sequence[tuple[str, datetime, int]]) -> None:
    """A new bearer per ``(bearer_sha256, issued_at, attempt_id)``, in order; its attempt's
    connection is forgotten (log-in)."""
    if bearers:
        sql = hot_sql(conn)
        conn.exec_driver_sql(sql.bearer, [(digest, sql.time(at), attempt_id)
                                          for digest, at, attempt_id in bearers])


def set_started(conn: Connection, started: Sequence[tuple[int, datetime, datetime]]) -> None:
    """``state = 'working'`` with ``started_at`` and ``deadline_at`` per
    ``(attempt_id, started_at, deadline_at)`` (the first ``start``)."""
    if started:
        sql = hot_sql(conn)
        conn.exec_driver_sql(sql.started, [(sql.time(at), sql.time(deadline), attempt_id)
                                           for attempt_id, at, deadline in started])


def insert_audit_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert audit rows (dicts with every column, ``details_json`` the canonical JSON text
    of ``details``) in one ``executemany``."""
    if rows:
        sql = hot_sql(conn)
        conn.exec_driver_sql(sql.audit_insert, [
            (r["id"], sql.time(r["at"]), r["actor"], r["action"], r["subject"],
             r["details_json"], r["prev_hash"], r["hash"]) for r in rows])
