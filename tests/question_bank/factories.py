"""Small builders of items, banks and blueprints for the question_bank tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from question_bank.blueprint import Blueprint, BlueprintSection, Cell
from question_bank.exam_definition import ExamDefinition, SessionDef
from question_bank.model import Item, ItemVersion, Option, Status
from scoring.scheme import load_scheme

WIB = timezone(timedelta(hours=7))
LABELS = "ABCDE"


def make_item(item_id: str, section: str, topic: str, difficulty: str | None = None,
              status: Status = "approved", best: int = 0) -> Item:
    """An item valid under SKD rules: single-best 5/0 for TWK/TIU, graded 1..5 for TKP."""
    if section == "TKP":
        points = [1 + (best + i) % 5 for i in range(5)]
    else:
        points = [5 if i == best % 5 else 0 for i in range(5)]
    return Item(id=item_id, section=section, topic=topic, difficulty=difficulty,
                stem=f"Soal {item_id}: pilih jawaban yang paling tepat.",
                options=tuple(Option(lab, f"Pilihan {lab} untuk {item_id}", p)
                              for lab, p in zip(LABELS, points, strict=True)),
                explanation=f"Pembahasan {item_id}", status=status)


def make_pool(cells: list[tuple[str, str, str | None, int]], version: int = 1,
              status: Status = "approved") -> list[ItemVersion]:
    """``n`` items for each (section, topic, difficulty, n); ids like ``TIU-T0D1-0003``."""
    pool = []
    for c, (section, topic, difficulty, n) in enumerate(cells):
        for i in range(n):
            item = make_item(f"{section}-C{c:02d}-{i:04d}", section, topic, difficulty,
                             status=status, best=i)
            pool.append(ItemVersion(item, version))
    return pool


def tiny_blueprint(shuffle: bool = True) -> Blueprint:
    """A three-section blueprint (not SKD counts) for fast paper tests."""
    return Blueprint(sections=(
        BlueprintSection("TWK", (Cell("TWK", "Nasionalisme", "easy", 2),
                                 Cell("TWK", "Nasionalisme", "hard", 1))),
        BlueprintSection("TIU", (Cell("TIU", "Berhitung", None, 3),)),
        BlueprintSection("TKP", (Cell("TKP", "Pelayanan Publik", None, 2),)),
    ), shuffle_options=shuffle, duration_minutes=30)


def tiny_pool() -> list[ItemVersion]:
    """A pool filling :func:`tiny_blueprint` with room to spare, plus a draft and a stranger."""
    pool = make_pool([("TWK", "Nasionalisme", "easy", 6), ("TWK", "Nasionalisme", "hard", 4),
                      ("TIU", "Berhitung", "medium", 5), ("TIU", "Berhitung", None, 4),
                      ("TKP", "Pelayanan Publik", None, 7)])
    pool += make_pool([("TIU", "Berhitung", "easy", 2)], status="draft")
    pool += make_pool([("TIU", "Analogi", "easy", 3)])
    return pool


def tiny_exam(sessions: int = 2, shuffle: bool = True) -> ExamDefinition:
    """An exam around :func:`tiny_blueprint` with ``sessions`` sessions S1, S2, ..."""
    start = datetime(2026, 11, 24, 8, 0, tzinfo=WIB)
    return ExamDefinition(
        id="tiny-exam", name="Ujian Kecil", scheme=load_scheme("skd-2024"),
        blueprint=tiny_blueprint(shuffle),
        sessions=tuple(SessionDef(f"S{i + 1}", "Kantor Regional", f"Ruang {i + 1}",
                                  start + timedelta(hours=2 * i), None)
                       for i in range(sessions)),
        source_sha256="0" * 64)
