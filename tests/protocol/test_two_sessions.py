"""Two sessions of one exam on one server: opening the first with its release key lets its
candidates in; the second stays sealed until its own key opens it (issue 5 §1)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from exam_server.config import pin_key
from exam_server.db import make_engine, session_factory, upgrade
from exam_server.exams import load_exam
from exam_server.models import ExamSession
from exam_server.packages import build_package, import_package
from exam_server.sessions import issue_pins, session_token, start_exam_session
from question_bank.keys import load_master_secret, load_public_key
from question_bank.sealing import read_manifest, release_key
from tests.cli.conftest import EXAMPLE, make_runner
from tests.protocol.helpers import Candidate, Sealed, Server

EXAM = "skd-dua-sesi"
FIRST, SECOND = "JKT1-S1", "JKT1-S2"
PER_SESSION = 3


@dataclass(frozen=True)
class TwoSessions:
    """A sealed package of one exam with two sessions, its keys folder and release keys."""

    seal: Path
    keys: Path
    release: dict[str, str]
    people: dict[str, list[str]]


@pytest.fixture(scope="module")
def two_sessions(sealed: Sealed, tmp_path_factory: pytest.TempPathFactory) -> TwoSessions:
    """Built once: the sealed fixture's bank, an exam with a second session, its package."""
    work = tmp_path_factory.mktemp("two-sessions")
    bank = work / "bank"
    shutil.copytree(sealed.keys.parent, bank)
    exam = work / "dua-sesi.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert 'id = "skd-2024-demo"\n' in text
    exam.write_text(text.replace('id = "skd-2024-demo"\n', f'id = "{EXAM}"\n', 1) + (
        f'\n[[sessions]]\nid = "{SECOND}"\nsite = "Kantor Regional V BKN Jakarta"\n'
        'room = "Ruang CAT 2"\nstarts_at = 2026-11-24T13:00:00+07:00\n'), encoding="utf-8")
    people = {code: [f"2412{i:09d}" for i in range(1 + k * PER_SESSION,
                                                   1 + (k + 1) * PER_SESSION)]
              for k, code in enumerate((FIRST, SECOND))}
    roster = work / "peserta.csv"
    roster.write_text("participant,name,formation,category,session\n" + "".join(
        f"{n},Peserta {n[-2:]},Analis Kebijakan,umum,{code}\n"
        for code, numbers in people.items() for n in numbers), encoding="utf-8")
    engine = make_engine(f"sqlite:///{bank / 'seleksi.db'}")
    try:
        factory = session_factory(engine)
        load_exam(factory, exam, actor="uji")
        built = build_package(factory, exam_id=EXAM, roster_path=roster, seed="dua",
                              keys_folder=bank / "keys", actor="uji", out=work / "dua.seal")
    finally:
        engine.dispose()
    assert built.sessions == (FIRST, SECOND)
    manifest = read_manifest(built.data, load_public_key(bank / "keys" / "bank.pub"))
    secret = load_master_secret(bank / "keys")
    return TwoSessions(work / "dua.seal", bank / "keys",
                       {code: release_key(secret, manifest, code) for code in people}, people)


def test_one_sessions_key_opens_it_alone(two_sessions: TwoSessions, tmp_path: Path) -> None:
    ts = two_sessions
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copytree(ts.keys, instance / "keys")
    url = f"sqlite:///{instance / 'seleksi.db'}"
    run = make_runner(instance, None)
    engine = make_engine(url)
    factory = session_factory(engine)
    server: Server | None = None
    try:
        upgrade(engine)
        import_package(factory, ts.seal.read_bytes(), load_public_key(ts.keys / "bank.pub"),
                       actor="uji", source=ts.seal.name)
        assert "opened" in run("session", "open", FIRST, "--key", ts.release[FIRST]).stdout
        start_exam_session(factory, FIRST, actor="uji", now=datetime.now(UTC))
        pins = {c.participant: c.pin for code in (FIRST, SECOND)
                for c in issue_pins(factory, code, actor="uji", key=pin_key(instance / "keys"))}

        # the first session's key does not open the second
        refused = run("session", "open", SECOND, "--key", ts.release[FIRST], ok=False)
        assert f"session {SECOND} payload: cannot decrypt: wrong release key" in refused.stderr
        assert "scheduled" in run("session", "token", SECOND, ok=False).stderr

        def state() -> dict[str, tuple[str, bool, bool]]:
            with factory() as db:
                return {s.code: (s.state, s.session_key is not None, s.token_secret is not None)
                        for s in db.scalars(select(ExamSession))}

        assert state() == {FIRST: ("running", True, True), SECOND: ("scheduled", False, False)}

        server = Server(instance, url).start()
        token = session_token(factory, FIRST, datetime.now(UTC))
        first, second = ts.people[FIRST][0], ts.people[SECOND][0]
        ok = server.login(first, pins[first], token)
        assert ok.status_code == 200, ok.text
        sitting = Candidate(server, ok.json()["token"])
        paper = sitting.call("start")
        assert paper["ok"] is True
        assert len(paper["paper"]["questions"]) == 110
        for who in ts.people[SECOND]:  # with the only token shown in the building
            r = server.login(who, pins[who], token)
            assert (r.status_code, r.json()["error"]) == (403, "session_not_running"), who
        assert state()[SECOND] == ("scheduled", False, False)

        # its own key opens it, on the running server, without a restart
        assert "opened" in run("session", "open", SECOND, "--key", ts.release[SECOND]).stdout
        start_exam_session(factory, SECOND, actor="uji", now=datetime.now(UTC))
        other = session_token(factory, SECOND, datetime.now(UTC))
        assert other != token  # each room its own token
        wrong_room = server.login(second, pins[second], token)
        assert (wrong_room.status_code, wrong_room.json()["error"]) == (401, "bad_token")
        r = server.login(second, pins[second], other)
        assert r.status_code == 200, r.text
        later = Candidate(server, r.json()["token"])
        theirs = later.call("start")
        assert theirs["ok"] is True
        assert theirs["participant"]["number"] == second
        assert len(theirs["paper"]["questions"]) == 110
        assert sitting.call("answer", {"seq": 1, "q": 1, "choice": "A"}) == {"ok": True,
                                                                             "seq": 1}
        later.close()
        sitting.close()
    finally:
        Candidate.close_all()
        if server is not None:
            server.stop()
        engine.dispose()
