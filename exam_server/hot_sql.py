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

They go to the driver's own cursor (:func:`fetch_all`, :func:`execute_many`), not through
``Connection.exec_driver_sql``, whose execution context, events and result object per
statement were ~10 % of the serving process's CPU at 1,000 answers a second (py-spy,
``bench/exam_load.py``). A driver error is raised as SQLAlchemy's wrapper of it, as
``exec_driver_sql`` would have raised it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from exam_server.models import read_utc, to_utc

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

    @property
    def mark(self) -> str:
        """The driver's parameter marker."""
        return "%s" if self.postgresql else "?"

    def read_time(self, value: Any) -> datetime | None:
        """A ``UTCDateTime`` column's value as that type reads it: timezone-aware UTC."""
        if value is None:
            return None
        at = datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text
        if not isinstance(at, datetime):
            raise TypeError(f"a timestamp column gave {value!r}")
        return read_utc(at)

    def time(self, at: datetime) -> Any:
        """``at`` as the ``UTCDateTime`` column type binds it."""
        at = to_utc(at)
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


def fetch_all(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """The rows of driver SQL ``sql`` run with ``params`` on ``conn``'s driver connection,
    inside ``conn``'s transaction (which must have begun)."""
    return _run(conn, sql, params, many=False)


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Driver SQL ``sql`` once per parameter row, as ``executemany`` on ``conn``'s driver
    connection, inside ``conn``'s transaction (which must have begun)."""
    _run(conn, sql, rows, many=True)


def _run(conn: Connection, sql: str, params: Any, *, many: bool) -> list[Any]:
    driver = conn.connection.dbapi_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    cursor = driver.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
            return []
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error,
                                  dialect=conn.dialect) from exc
    finally:
        cursor.close()


_BATCH_ATTEMPTS = (
    "SELECT attempt.id, attempt.state, attempt.deadline_at, attempt.live_score, "
    "exam_session.paused_at FROM attempt JOIN exam_session "
    "ON attempt.session_id = exam_session.id WHERE attempt.id IN ({ids}) ORDER BY attempt.id")


def batch_attempts(conn: Connection, ids: Sequence[int]
                   ) -> list[tuple[int, str, datetime | None, dict[str, Any] | None,
                               datetime | None]]:
    """``(id, state, deadline_at, live_score, paused_at)`` of the attempts ``ids`` (the
    session's ``paused_at``), in id order; on PostgreSQL locked ``FOR NO KEY UPDATE`` OF
    attempt (the batch changes no key of an attempt, so inserting a row that refers to one,
    an alert or an answer of another batch, need not wait for it, nor it for them)."""
    if not ids:
        return []
    sql = hot_sql(conn)
    marks = ", ".join([sql.mark] * len(ids))
    statement = _BATCH_ATTEMPTS.format(ids=marks)
    if sql.postgresql:
        statement += " FOR NO KEY UPDATE OF attempt"
    return [(int(i), state, sql.read_time(deadline), _json_value(live), sql.read_time(paused))
            for i, state, deadline, live, paused in fetch_all(conn, statement, list(ids))]


def _json_value(value: Any) -> Any:
    """A JSON column's value as read: psycopg decodes it, sqlite3 gives its text."""
    return json.loads(value) if isinstance(value, str) else value


def stored_answers(conn: Connection, keys: Iterable[tuple[int, int]]
                   ) -> list[tuple[int, int, str | None, int, bool, int]]:
    """``(attempt_id, q, choice, answer_seq, flagged, flag_seq)`` of the stored rows among
    ``keys`` (``(attempt_id, q)`` pairs)."""
    ordered = sorted(keys)
    if not ordered:
        return []
    if hot_sql(conn).postgresql:
        rows = fetch_all(conn, _STORED_PG, ([i for i, _ in ordered], [q for _, q in ordered]))
    else:
        rows = fetch_all(conn, _STORED_SQLITE, (json.dumps(ordered),))
    return [(int(i), int(q), c, int(s), bool(f), int(fs)) for i, q, c, s, f, fs in rows]


def choices_of(conn: Connection, attempt_ids: Sequence[int]
               ) -> dict[int, dict[int, str | None]]:
    """Attempt id → question → stored choice, for every answered question of the attempts
    (attempts without one are left out)."""
    if not attempt_ids:
        return {}
    if hot_sql(conn).postgresql:
        rows = fetch_all(conn, _CHOICES_PG, (list(attempt_ids),))
    else:
        rows = fetch_all(conn, _CHOICES_SQLITE, (json.dumps(list(attempt_ids)),))
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
        execute_many(conn, sql.upsert_answer, [(*row, at) for row in rows])


def set_live_scores(conn: Connection, scores: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """``attempt.live_score`` of each ``(attempt_id, score)``."""
    if scores:
        execute_many(conn, hot_sql(conn).live_score,
                     [(json.dumps(score), attempt_id) for attempt_id, score in scores])


def set_connected(conn: Connection, connections: Sequence[tuple[int, str]],
                  now: datetime) -> None:
    """``attempt.connected_sid`` / ``connected_at`` of each ``(attempt_id, sid)``."""
    if connections:
        sql = hot_sql(conn)
        at = sql.time(now)
        execute_many(conn, sql.connected, [(sid, at, attempt_id)
                                            for attempt_id, sid in connections])


def set_bearers(conn: Connection, bearers: Sequence[tuple[str, datetime, int]]) -> None:
    """A new bearer per ``(bearer_sha256, issued_at, attempt_id)``, in order; its attempt's
    connection is forgotten (log-in)."""
    if bearers:
        sql = hot_sql(conn)
        execute_many(conn, sql.bearer, [(digest, sql.time(at), attempt_id)
                                         for digest, at, attempt_id in bearers])


def set_started(conn: Connection, started: Sequence[tuple[int, datetime, datetime]]) -> None:
    """``state = 'working'`` with ``started_at`` and ``deadline_at`` per
    ``(attempt_id, started_at, deadline_at)`` (the first ``start``)."""
    if started:
        sql = hot_sql(conn)
        execute_many(conn, sql.started, [(sql.time(at), sql.time(deadline), attempt_id)
                                          for attempt_id, at, deadline in started])


def insert_audit_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert audit rows (dicts with every column, ``details_json`` the canonical JSON text
    of ``details``) in one ``executemany``."""
    if rows:
        sql = hot_sql(conn)
        times = {r["at"]: sql.time(r["at"]) for r in rows}  # the rows of a batch share one
        execute_many(conn, sql.audit_insert, [
            (r["id"], times[r["at"]], r["actor"], r["action"], r["subject"],
             r["details_json"], r["prev_hash"], r["hash"]) for r in rows])
