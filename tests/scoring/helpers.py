"""Hand-made exam data: a fixed SKD key and answer sheets that reach chosen section scores."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scoring.keytable import KeyTable, build_key
from scoring.scheme import Scheme, load_scheme

LABELS = "ABCDE"


def skd_key_rows(scheme: Scheme) -> list[list[str]]:
    """Key rows: every single_best item has A correct; graded items give A 5 … E 1."""
    rows = [["item_id", "section", *LABELS]]
    for s in scheme.sections:
        for q in range(1, s.questions + 1):
            if s.rule == "single_best":
                pts = [s.max_points] + [0] * (len(s.options) - 1)
            else:
                pts = list(range(s.max_points, s.max_points - len(s.options), -1))
            cells = [str(p) for p in pts] + [""] * (5 - len(pts))
            rows.append([f"{s.code}{q:02d}", s.code, *cells])
    return rows


def key_table(scheme_id: str = "skd-2024") -> KeyTable:
    scheme = load_scheme(scheme_id)
    rows = skd_key_rows(scheme)[1:]
    return build_key(scheme, [r[0] for r in rows], [r[1] for r in rows],
                     [{k: int(v) for k, v in zip(LABELS, r[2:], strict=True) if v}
                      for r in rows])


def answers_for(scheme: Scheme, scores: Sequence[int]) -> list[tuple[str, str]]:
    """(item_id, choice) for every question so that each section scores exactly ``scores``.

    Uses the key of :func:`skd_key_rows`: a single_best section needs a multiple of its
    points; a graded one takes as many top answers as fit, then one answer for the rest,
    then blanks.
    """
    out: list[tuple[str, str]] = []
    for s, score in zip(scheme.sections, scores, strict=True):
        choices: list[str] = []
        if s.rule == "single_best":
            assert score % s.max_points == 0, f"{s.code} {score}"
            k = score // s.max_points
            choices = ["A"] * k + ["B"] * (s.questions - k)
        else:
            k, r = divmod(score, s.max_points)
            choices = ["A"] * k
            if r:
                choices.append(s.options[s.max_points - r])
            choices += [""] * (s.questions - len(choices))
        assert len(choices) == s.questions, f"{s.code} {score} does not fit"
        out += [(f"{s.code}{q:02d}", c) for q, c in enumerate(choices, 1)]
    return out


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_exam(folder: Path, scheme_id: str,
               candidates: Sequence[tuple[str, str, str, str, Sequence[int] | None]],
               formations: Sequence[tuple[str, int]]) -> dict[str, Path]:
    """Write key, responses, candidates and formations CSVs.

    ``candidates``: (participant, formation, category, status, section scores or None
    for absent).
    """
    scheme = load_scheme(scheme_id)
    folder.mkdir(parents=True, exist_ok=True)
    responses: list[list[object]] = [["participant", "item_id", "choice"]]
    for pid, _, _, _, scores in candidates:
        if scores is not None:
            responses += [[pid, item, c] for item, c in answers_for(scheme, scores)]
    return {
        "key": write_csv(folder / "key.csv", skd_key_rows(scheme)),
        "responses": write_csv(folder / "responses.csv", responses),
        "candidates": write_csv(folder / "candidates.csv", [
            ["participant", "name", "formation", "category", "status"],
            *[[pid, f"Peserta {pid}", f, cat, st] for pid, f, cat, st, _ in candidates]]),
        "formations": write_csv(folder / "formations.csv",
                                [["formation", "quota"], *[[f, q] for f, q in formations]]),
    }


def random_batch(key: KeyTable, n: int, seed: int,
                 width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Random papers (distinct items per row, padded to ``width``) and random choices."""
    rng = np.random.default_rng(seed)
    n_items = len(key.item_ids)
    q = width or n_items
    items = np.full((n, q), key.sentinel, dtype=np.int32)
    for r in range(n):
        k = int(rng.integers(1, min(q, n_items) + 1))
        items[r, :k] = rng.choice(n_items, size=k, replace=False)
    choices = rng.integers(-1, len(key.options), size=(n, q)).astype(np.int8)
    bad = (choices >= 0) & ~key.allowed[items, np.maximum(choices, 0)]
    choices[bad] = -1
    return items, choices
