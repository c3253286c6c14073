"""Accounts and log-in: argon2 hashes, lock-out, CSRF, cookie flags, `seleksi user add`."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from exam_server.models import AuditLog
from proctor_console.accounts import AccountError, add_user
from proctor_console.models import ProctorUser
from tests.cli.conftest import SELEKSI, make_runner
from tests.proctor.conftest import PASSWORD, Console, csrf_of
from tests.protocol.helpers import SESSION


def _login(console: Console, username: str, password: str) -> tuple[int, str]:
    client = console.ip.app.test_client()
    page = client.get("/proctor/login")
    r = client.post("/proctor/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(page.get_data(as_text=True))})
    return r.status_code, r.get_data(as_text=True)


def test_passwords_are_argon2_and_five_wrong_lock_the_account(console: Console) -> None:
    with console.ip.prepared.factory() as db:
        stored = db.scalars(select(ProctorUser.password_hash)
                            .where(ProctorUser.username == "pengawas1")).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored  # noqa: PT018
    for username in ("nobody", "admin"):  # an unknown name looks like a wrong password
        status, page = _login(console, username, "salah-sandi-123")
        assert status == 401 and "wrong user name or password" in page  # noqa: PT018
    for _ in range(5):
        status, page = _login(console, "pengawas1", "salah-sandi-123")
        assert status == 401 and "wrong user name or password" in page  # noqa: PT018
    status, page = _login(console, "pengawas1", PASSWORD)  # right, but locked now
    assert status == 401 and "locked" in page  # noqa: PT018
    console.ip.clock.advance(16 * 60)  # the lock-out lasts 15 minutes
    assert _login(console, "pengawas1", PASSWORD)[0] == 302
    with console.ip.prepared.factory() as db:
        actions = db.scalars(select(AuditLog.action).where(AuditLog.subject == "pengawas1")
                             ).all()
    assert actions == ["user.add", "user.locked", "user.login"]


def test_posts_without_the_csrf_token_are_refused(console: Console) -> None:
    client = console.ip.app.test_client()
    r = client.post("/proctor/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 400
    assert "CSRF" in r.get_data(as_text=True)
    admin = console.client("admin")
    r = admin.post(f"/proctor/api/sessions/{console.session_id}/pause",
                   json={"reason": "tanpa token"})
    assert r.status_code == 400  # a logged-in browser still needs the token
    # The candidates' login API takes bearer tokens, not cookies: not CSRF-checked (its own
    # JSON refusal, not the CSRF page).
    number = console.ip.prepared.numbers[0]
    r = client.post("/api/exam/login", json={"participant": number, "pin": "000000",
                                             "token": "ABCDEF"})
    assert r.status_code in (401, 403)
    assert r.get_json()["error"] in ("bad_credentials", "bad_token")


def test_session_cookie_is_httponly_strict_and_secure_over_tls(console: Console) -> None:
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = console.ip.app.test_client()
        page = client.get("/proctor/login", base_url=base)
        # Over TLS Flask-WTF also wants a same-origin Referer, as a browser sends it.
        r = client.post("/proctor/login", base_url=base,
                        headers={"Referer": f"{base}/proctor/login"}, data={
            "username": "admin", "password": PASSWORD,
            "csrf_token": csrf_of(page.get_data(as_text=True))})
        assert r.status_code == 302
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie  # noqa: PT018
        assert ("Secure" in cookie) is secure


def test_add_user_refuses_bad_accounts(console: Console) -> None:
    factory = console.ip.rt.factory
    cases = [({"username": "admin", "role": "admin"}, "exists already"),
             ({"username": "a b", "role": "admin"}, "user name"),
             ({"username": "x", "role": "boss"}, "--role"),
             ({"username": "x", "role": "proctor"}, "--session"),
             ({"username": "x", "role": "coordinator"}, "--site")]
    for fields, message in cases:
        with pytest.raises(AccountError, match=message):
            add_user(factory, password=PASSWORD, full_name="", actor="uji", **fields)
    with pytest.raises(AccountError, match="at least 10"):
        add_user(factory, "x", "pendek", role="admin", full_name="", actor="uji")


def test_user_add_command(console: Console) -> None:
    prepared = console.ip.prepared
    env = {**os.environ, "SELEKSI_INSTANCE": str(prepared.instance),
           "DATABASE_URL": prepared.url}
    added = subprocess.run([str(SELEKSI), "user", "add", "pengawas3", "--role", "proctor",
                            "--session", SESSION, "--password-stdin", "--name", "Tiga"],
                           input=PASSWORD + "\n", capture_output=True, text=True, check=False,
                           env=env)
    assert added.returncode == 0, added.stderr
    assert "pengawas3 (proctor) added: sessions JKT1-S1" in added.stdout
    assert _login(console, "pengawas3", PASSWORD)[0] == 302
    refused = make_runner(prepared.instance, prepared.url)(
        "user", "add", "pengawas4", "--role", "proctor", "--password-stdin", ok=False)
    assert refused.stderr == "seleksi: error: the password must have at least 10 characters\n"
