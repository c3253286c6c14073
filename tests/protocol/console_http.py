"""A proctor's browser on a running server's console: logged in through the log-in form (with
its CSRF token) over real HTTP, acting through ``POST /proctor/api/sessions/<id>/<action>``
and reading the roster, as the console page does."""

from __future__ import annotations

import re
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.models import ExamSession
from proctor_console.accounts import add_user

PASSWORD = "rahasia-pengawas-1"  # noqa: S105 - a test account's password
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_proctor(factory: sessionmaker[Session], session: str,
                username: str = "pengawas") -> str:
    """A proctor account for ``session`` (password :data:`PASSWORD`); its name."""
    add_user(factory, username, PASSWORD, role="proctor", full_name="Bu Pengawas",
             actor="uji", sessions=(session,))
    return username


def session_id(factory: sessionmaker[Session], code: str) -> int:
    with factory() as db:
        found: int = db.scalars(select(ExamSession.id).where(ExamSession.code == code)).one()
        return found


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


class ConsoleHttp:
    """A logged-in console over HTTP; close it (its connection pool) when done."""

    def __init__(self, base: str, username: str, password: str = PASSWORD) -> None:
        self.base = base
        self.http = requests.Session()
        try:
            page = self.http.get(f"{base}/proctor/login", timeout=10).text
            r = self.http.post(f"{base}/proctor/login", timeout=10, allow_redirects=False,
                               data={"username": username, "password": password,
                                     "csrf_token": _csrf(page)})
            assert r.status_code == 302, r.text
            self.token = _csrf(self.http.get(f"{base}/proctor/", timeout=10).text)
        except BaseException:
            self.http.close()
            raise

    @property
    def cookie(self) -> str:
        """The console session's ``Cookie`` header (for a ``/proctor`` socket)."""
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())

    def act(self, session: int, action: str, **fields: Any) -> tuple[int, Any]:
        """Do ``action`` on the session; the reply's status and JSON."""
        r = self.http.post(f"{self.base}/proctor/api/sessions/{session}/{action}",
                           headers={"X-CSRFToken": self.token}, json=fields, timeout=30)
        return r.status_code, r.json()

    def roster(self, session: int) -> dict[str, dict[str, Any]]:
        """The roster's rows by participant number (``GET …/roster``)."""
        r = self.http.get(f"{self.base}/proctor/api/sessions/{session}/roster", timeout=10)
        assert r.status_code == 200, r.text
        return {row["participant"]: row for row in r.json()["rows"]}

    def close(self) -> None:
        self.http.close()
