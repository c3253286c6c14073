"""The session commands and ``seleksi audit verify`` on a real session's log."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import sqlalchemy as sa

from exam_server.db import make_engine
from exam_server.tokens import TOKEN_ALPHABET
from tests.cli.conftest import make_runner
from tests.protocol.helpers import SESSION, Candidate, Sealed, Server


def test_session_commands_then_audit_verify_names_a_tampered_row(sealed: Sealed,
                                                                 tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copytree(sealed.keys, instance / "keys")
    run = make_runner(instance, None)
    run("papers", "import", sealed.seal)
    assert "scheduled" in run("session", "list").stdout
    assert "scheduled" in run("session", "token", SESSION, ok=False).stderr

    wrong = sealed.release_key[:-1] + ("A" if sealed.release_key[-1] != "A" else "B")
    refused = run("session", "open", SESSION, "--key", wrong, ok=False).stderr
    assert "release key" in refused
    assert "opened" in run("session", "open", SESSION, "--key", sealed.release_key).stdout
    assert "already" not in run("session", "list").stdout
    token = run("session", "token", SESSION).stdout
    assert len(token.splitlines()) == 1
    assert len(token.strip()) == 6
    assert set(token.strip()) <= set(TOKEN_ALPHABET)
    assert "running" in run("session", "start", SESSION).stdout
    cards_file = tmp_path / "cards.csv"
    run("session", "pins", SESSION, "--out", cards_file)
    with cards_file.open(encoding="utf-8") as f:
        cards = list(csv.DictReader(f))
    assert len(cards) == sealed.participants
    assert list(cards[0]) == ["participant", "name", "pin", "session"]
    url = f"sqlite:///{instance / 'seleksi.db'}"
    engine = make_engine(url)
    with engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT pin_hash FROM participant")).scalars().all()
    assert all(h.startswith("hmac-sha256$") for h in hashes)
    assert not any(card["pin"] in h for card in cards for h in hashes)

    server = Server(instance, url).start()
    try:
        card = cards[0]
        r = server.login(card["participant"], card["pin"], token.strip())
        assert r.status_code == 200
        c = Candidate(server, r.json()["token"])
        c.call("start")
        for seq in range(1, 6):
            assert c.call("answer", {"seq": seq, "q": seq, "choice": "A"})["ok"] is True
        assert c.call("finish")["ok"] is True
        c.close()
    finally:
        Candidate.close_all()
        server.stop()
    assert "running" in run("session", "list").stdout
    ok = run("audit", "verify").stdout
    assert "chain intact" in ok

    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT id FROM audit_log WHERE action = 'answer' "
                                   "ORDER BY id LIMIT 1 OFFSET 2")).scalar_one()
        conn.execute(sa.text("UPDATE audit_log SET details = :d WHERE id = :id"),
                     {"d": '{"choice":"B","q":3,"seq":3}', "id": row})
    engine.dispose()
    broken = run("audit", "verify", ok=False)
    assert broken.returncode == 1
    assert f"row {row}" in broken.stderr
