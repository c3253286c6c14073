"""Every state change writes a row of the hash-chained audit log (issue 5 §4), shown through
the real interfaces: the ``seleksi`` commands, a ``seleksi serve`` process with Socket.IO
candidates, and the proctor console over HTTP; and ``seleksi audit verify`` names the FIRST
broken row when several are."""

from __future__ import annotations

import ast
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from exam_server.audit import verify_audit_chain
from exam_server.config import pin_key
from exam_server.db import make_engine, session_factory, upgrade
from exam_server.models import AuditLog
from exam_server.packages import import_package
from exam_server.sessions import issue_pins, session_token
from question_bank.keys import load_public_key
from tests.cli.conftest import ROOT, make_runner
from tests.protocol.console_http import ConsoleHttp, add_proctor, session_id
from tests.protocol.helpers import EXAM, SESSION, Candidate, Prepared, Sealed, Server

ROOM = f"{EXAM}/{SESSION}"
# The modules of the exam server that change a session, a participant or an attempt.
STATEFUL = ("login", "attempts", "journal", "integrity", "sessions", "proctoring", "timer",
            "rapid_answers", "packages")
# Their audit actions asserted by another test (this one's flow does not reach them).
ELSEWHERE = {
    "session.publish": "tests/protocol/test_room_control.py",
    "server.downtime": "tests/protocol/test_durability.py",
    "alert": "tests/proctor/test_alerts.py (rapid_answers)",
    "*.refused": "tests/protocol/test_clock_in_process.py (answer.refused: time_over)",
    "papers.build": "tests/cli/test_demo.py",
}
# A console action's audit row: the action as the console names it (its reason says it).
CONSOLE = {"session.start": "start", "session.pause": "pause", "session.resume": "resume",
           "attempt.extend": "extend",
           "participant.unlock": "unlock", "participant.reset_login": "reset_login",
           "attempt.finish_by_proctor": "finish", "participant.disqualify": "disqualify",
           "session.close": "close"}
# The audit actions this module's flow writes and asserts.
FLOW = {"papers.import", "session.open", "session.start", "session.pins", "user.add", "login",
        "start", "answer", "flag", "integrity", "finish", "login.refused", "user.login",
        *CONSOLE}


def _name(node: ast.expr, constants: dict[str, str]) -> str | None:
    """An action argument as text: a literal, a module constant, or an f-string as a pattern
    (``f"{op.kind}.refused"`` is ``*.refused``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "*" for v in node.values)
    return None


def audit_actions(module: Path) -> set[str]:
    """The actions a module appends to the audit log (``append_audit(action=…)`` and
    ``AuditEntry(actor, action, …)``)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.id if isinstance(node.func, ast.Name) else getattr(
            node.func, "attr", None)
        arg: ast.expr | None = None
        if callee in ("append_audit", "AuditEntry"):
            arg = next((k.value for k in node.keywords if k.arg == "action"), None)
            if arg is None and callee == "AuditEntry" and len(node.args) > 1:
                arg = node.args[1]
        if arg is not None:
            name = _name(arg, constants)
            assert name is not None, f"{module.name}:{node.lineno}: an action not in the code"
            found.add(name)
    return found


def _flow(sealed: Sealed, db_url: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A session run through the CLI, a server and the console; the instance and who is who.

    The import and the PINs are set up by their services (actor ``ketua``) to spare two
    command processes; the session is opened with ``seleksi session open`` and started from
    the console, and everything after that goes through the server."""
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copytree(sealed.keys, instance / "keys")
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    import_package(factory, sealed.seal.read_bytes(), load_public_key(sealed.keys / "bank.pub"),
                   actor="ketua", source=sealed.seal.name)
    run = make_runner(instance, db_url)
    run("session", "open", SESSION, "--key", sealed.release_key, "--as", "ketua")
    pins = {c.participant: c.pin for c in issue_pins(factory, SESSION, actor="ketua",
                                                     key=pin_key(instance / "keys"))}
    who = dict(zip(("sitter", "extended", "moved", "locked"), sorted(pins), strict=False))
    add_proctor(factory, SESSION)
    sid = session_id(factory, SESSION)

    server = Server(instance, db_url).start()
    console: ConsoleHttp | None = None
    try:
        console = ConsoleHttp(server.base, "pengawas")
        status, body = console.act(sid, "start", reason="uji start")
        assert (status, body["ok"]) == (200, True), body
        token = session_token(factory, SESSION, datetime.now(UTC))
        for role in ("sitter", "extended", "moved"):
            r = server.login(who[role], pins[who[role]], token)
            assert r.status_code == 200, r.text
            c = Candidate(server, r.json()["token"])
            assert c.call("start")["ok"] is True
            if role == "sitter":
                assert c.call("answer", {"seq": 1, "q": 1, "choice": "A"})["ok"] is True
                assert c.call("flag", {"seq": 2, "q": 1, "flagged": True})["ok"] is True
                assert c.call("integrity", {"kind": "blur", "at": 1})["ok"] is True
                assert c.call("finish")["ok"] is True
        wrong = "000000" if pins[who["locked"]] != "000000" else "111111"
        assert server.login(who["locked"], wrong, token).json()["error"] == "bad_credentials"

        for action, fields in (("pause", {}), ("resume", {}),
                               ("extend", {"participant": who["extended"], "minutes": 5}),
                               ("unlock", {"participant": who["locked"]}),
                               ("reset_login", {"participant": who["moved"]}),
                               ("finish", {"participant": who["extended"]}),
                               ("disqualify", {"participant": who["moved"]}),
                               ("close", {})):
            status, body = console.act(sid, action, reason=f"uji {action}", **fields)
            assert (status, body["ok"]) == (200, True), (action, body)
            if action == "pause":
                time.sleep(0.05)
    finally:
        Candidate.close_all()
        if console is not None:
            console.close()
        server.stop()
        engine.dispose()
    return instance, who


def test_every_state_change_of_a_session_writes_an_audit_row(sealed: Sealed, db_url: str,
                                                             tmp_path: Path) -> None:
    instance, who = _flow(sealed, db_url, tmp_path)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditLog.action, AuditLog.actor, AuditLog.subject,
                                   AuditLog.details).order_by(AuditLog.id)).all()
    engine.dispose()
    person = {role: f"{EXAM}/{number}" for role, number in who.items()}
    expected = [
        ("papers.import", "ketua", EXAM), ("session.open", "ketua", ROOM),
        ("session.pins", "ketua", ROOM), ("user.add", "uji", "pengawas"),
        ("user.login", "pengawas", "pengawas"), ("session.start", "pengawas", ROOM),
        *[(action, "candidate", person[role]) for role in ("sitter", "extended", "moved")
          for action in ("login", "start")],
        ("answer", "candidate", person["sitter"]), ("flag", "candidate", person["sitter"]),
        ("integrity", "candidate", person["sitter"]), ("finish", "candidate", person["sitter"]),
        ("login.refused", "candidate", person["locked"]),
        ("session.pause", "pengawas", ROOM), ("session.resume", "pengawas", ROOM),
        ("attempt.extend", "pengawas", person["extended"]),
        ("participant.unlock", "pengawas", person["locked"]),
        ("participant.reset_login", "pengawas", person["moved"]),
        ("attempt.finish_by_proctor", "pengawas", person["extended"]),
        ("finish", "server", person["extended"]),  # the proctor's finish, done by the server
        ("participant.disqualify", "pengawas", person["moved"]),
        ("finish", "server", person["moved"]),  # disqualified while working: finished too
        ("session.close", "pengawas", ROOM),
    ]
    assert {action for action, *_ in expected} == FLOW
    written = [(action, actor, subject) for action, actor, subject, _ in rows]
    assert sorted(written) == sorted(expected)  # each change once, nothing else
    for action, _, _, details in rows:
        if action in CONSOLE:
            assert details["reason"] == f"uji {CONSOLE[action]}", (action, details)
    run = make_runner(instance, db_url)
    assert f"audit log: {len(rows)} rows, chain intact" in run("audit", "verify").stdout


def test_every_audit_action_of_the_exam_server_is_asserted_somewhere() -> None:
    """The actions are read from the code: a new state change that writes an audit row
    must join the flow above (or name the test that asserts it)."""
    code = set().union(*(audit_actions(ROOT / "exam_server" / f"{m}.py") for m in STATEFUL))
    assert {"login", "start", "answer", "session.open", "participant.reset_login"} <= code
    assert code == (FLOW - {"user.add", "user.login"}) | set(ELSEWHERE)
    console = audit_actions(ROOT / "proctor_console" / "accounts.py")
    assert {"user.add", "user.login"} <= console


def test_audit_verify_names_the_first_of_two_tampered_rows(prepared: Prepared) -> None:
    run = make_runner(prepared.instance, prepared.url)
    with prepared.factory() as db:
        rows = db.execute(select(AuditLog.id, AuditLog.action, AuditLog.subject)
                          .order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["papers.import", "session.open", "session.start",
                                        "session.pins"]
    assert verify_audit_chain(prepared.factory).ok
    first, second = rows[1], rows[3]

    def tamper(row: Any, subject: str) -> None:
        with prepared.factory.begin() as db:
            db.execute(update(AuditLog).where(AuditLog.id == row.id).values(subject=subject))

    tamper(second, "skd-2024-demo/JKT1-S9")  # the later row is changed first
    tamper(first, "skd-2024-demo/JKT1-S8")
    broken = run("audit", "verify", ok=False)
    assert broken.returncode == 1
    assert f"audit log broken at row {first.id} (2 rows checked)" in broken.stderr
    assert f"row {second.id}" not in broken.stderr
    tamper(first, first.subject)  # mended: now the other one is the first broken row
    broken = run("audit", "verify", ok=False)
    assert f"audit log broken at row {second.id} (4 rows checked)" in broken.stderr
    tamper(second, second.subject)
    assert verify_audit_chain(prepared.factory).ok
