"""Hand-made items, bank files and databases for the exam server's tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import proctor_console.models  # noqa: F401  (tables on Base.metadata, as in create_app)
import proctor_console.transparency.models  # noqa: F401  (the result log's tables)
from exam_server.db import make_engine, session_factory, upgrade
from question_bank.formats import BankFile
from question_bank.model import IRT, Item, Option, Status

TABLES = ("item", "item_version", "media", "exam", "exam_session", "participant",
          "sealed_package", "sealed_session", "audit_log", "attempt", "answer", "alert",
          "server_heartbeat", "result_log", "log_head", "proctor_user", "proctor_assignment")
HEAD = "0007_absent_results"  # the newest migration


def make_item(item_id: str = "TIU-0001", *, topic: str = "Analogi", variant: int = 0,
              status: Status = "draft", author: str | None = None,
              images: tuple[str, ...] = ()) -> Item:
    """A valid item of the section its id names (TWK, TIU: one 5-point option; TKP: 1–5).

    ``variant`` changes the stem (so the content hash); ``images`` are SHA-256 hex hashes
    referred to from the stem.
    """
    section = item_id.split("-", 1)[0]
    pictures = "".join(f"\n\n![gambar](sha256:{h})" for h in images)
    stem = f"Soal {item_id} versi {variant}: pilih jawaban yang **paling tepat**.{pictures}"
    if section == "TKP":
        points = [1, 2, 3, 4, 5]
    else:
        points = [0, 0, 5, 0, 0]
    options = tuple(Option(label, f"Pilihan {label} untuk {item_id}", p)
                    for label, p in zip("ABCDE", points, strict=True))
    return Item(id=item_id, section=section, topic=topic, stem=stem, options=options,
                explanation=f"Pembahasan {item_id}", difficulty="medium",
                irt=IRT(1.2, 0.25, 0.2), status=status, author=author)


def image(seed: int) -> tuple[str, tuple[str, bytes]]:
    """A fake PNG: ``(sha256 hex, (mime, bytes))``."""
    data = b"\x89PNG\r\n\x1a\n" + seed.to_bytes(4, "big") * 16
    return hashlib.sha256(data).hexdigest(), ("image/png", data)


def bank_file(*items: Item, media: dict[str, tuple[str, bytes]] | None = None) -> BankFile:
    """A bank file holding ``items`` (in order) and ``media``."""
    return BankFile(items=tuple(items), media=dict(media or {}))


def sample_items(n: int, *, status: Status = "draft", author: str = "penulis") -> list[Item]:
    """``n`` items spread over TWK, TIU and TKP."""
    sections = ("TWK", "TIU", "TKP")
    return [make_item(f"{sections[i % 3]}-{i:04d}", status=status, author=author)
            for i in range(n)]


@contextmanager
def migrated(url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """An engine on ``url`` upgraded to the latest migration, and its session factory."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield engine, session_factory(engine)
    finally:
        engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per Seleksi table."""
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())  # noqa: S608
                for t in TABLES}
