"""What the server sends for ``/ujian`` (no browser): language choice, CSP, catalogues.

Fast checks beside the browser tests: the page opens in Indonesian whatever the browser
prefers, the switch is remembered in a cookie, no inline script could break the strict
Content-Security-Policy, and every text the page shows exists in English too.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from exam_server.app import create_app
from exam_server.candidate_page import LANGUAGE_COOKIE, STRINGS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "exam_server"
CATALOGUE = PACKAGE / "translations" / "en" / "LC_MESSAGES"
PROTOCOL_ERRORS = ("bad_token", "session_not_running", "time_over", "finished", "not_started",
                   "storage_unavailable")


@pytest.fixture
def app(instance: Path, sqlite_url: str) -> Flask:
    return create_app({"DATABASE_URL": sqlite_url})


class Scripts(HTMLParser):
    """Collects what a strict CSP would block: inline script bodies and ``on…=`` handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.sources: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.inline += [f"{tag} {name}" for name in names if name.startswith("on")]
        if tag == "script":
            self._in_script = True
            self.sources.append(names.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:40])


def test_indonesian_by_default_and_the_switch_is_remembered(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/ujian", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="id">' in html
    assert ">Nomor Peserta</label>" in html
    assert ">Masuk</button>" in html
    assert ">Ya, selesai</button>" in html

    switch = client.get("/ujian?lang=en")
    assert switch.status_code == 303
    assert switch.headers["Location"] == "/ujian"
    assert f"{LANGUAGE_COOKIE}=en" in switch.headers["Set-Cookie"]
    html = client.get("/ujian").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert ">Participant number</label>" in html
    assert ">Yes, finish</button>" in html
    assert '"nav_name": "Question {no}"' in html

    ignored = client.get("/ujian?lang=fr")
    assert ignored.status_code == 303
    assert "Set-Cookie" not in ignored.headers
    assert '<html lang="en">' in client.get("/ujian").get_data(as_text=True)
    client.get("/ujian?lang=id")
    assert '<html lang="id">' in client.get("/ujian").get_data(as_text=True)


def test_strict_csp_and_no_inline_script(app: Flask) -> None:
    page = app.test_client().get("/ujian")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe" not in policy
    assert page.headers["Cache-Control"] == "no-store"
    parser = Scripts()
    parser.feed(page.get_data(as_text=True))
    assert parser.inline == []
    assert parser.sources == ["/static/vendor/socket.io.min.js", "/static/ujian/main.js"]
    for source in ("ujian/main.js", "ujian/ujian.css"):
        with app.test_client().get(f"/static/{source}") as asset:
            assert asset.status_code == 200


def test_every_text_the_modules_use_exists() -> None:
    used: set[str] = set()
    for module in (PACKAGE / "static" / "ujian").glob("*.js"):
        used |= set(re.findall(r"\bt\(\s*\"(\w+)\"", module.read_text(encoding="utf-8")))
    used |= {f"save_{s}" for s in ("saved", "pending", "empty")}
    used |= {f"conn_{s}" for s in ("online", "connecting", "offline")}
    used |= {f"reason_{s}" for s in ("deadline", "proctor", "candidate")}
    used |= {f"err_{code}" for code in PROTOCOL_ERRORS}
    assert sorted(used - set(STRINGS)) == []
    assert sorted(set(STRINGS) - used) == []


def source_texts() -> set[str]:
    """Every translatable text of the page's Python module and templates (as pybabel sees)."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    texts: set[str] = set()
    for method, path in [("python", PACKAGE / "candidate_page.py"),
                         *(("jinja2.ext:babel_extract", t) for t in
                           (PACKAGE / "templates" / "ujian").glob("*.html"))]:
        for _, message, _, _ in extract_from_file(method, str(path), keywords=keywords):
            texts.add(message if isinstance(message, str) else message[0])
    return texts


def test_english_catalogue_is_complete_and_compiled() -> None:
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = read_po(f)
    untranslated = [m.id for m in po if m.id and not m.string]
    assert untranslated == []
    assert not any(m.fuzzy for m in po if m.id)
    assert sorted(source_texts() - {m.id for m in po}) == [], (
        "texts missing from the catalogue: see exam_server/translations/babel.cfg")
    mo_path = CATALOGUE / "messages.mo"
    if not mo_path.exists():
        pytest.fail("messages.mo is missing: pybabel compile -d exam_server/translations")
    with open(mo_path, "rb") as f:
        mo = read_mo(io.BytesIO(f.read()))
    stale = [m.id for m in po if m.id and mo.get(m.id) is None
             or m.id and mo[m.id].string != m.string]
    assert stale == [], "messages.mo is stale: pybabel compile -d exam_server/translations"
