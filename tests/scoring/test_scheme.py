"""Schemes are data: the shipped ones, and malformed files refused with file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.scheme import SchemeError, load_scheme, section_catalogue


@pytest.mark.parametrize(("scheme_id", "questions", "maximum", "minutes", "sections"), [
    ("skd-2024", 110, 550, 100, {"TWK": 30, "TIU": 35, "TKP": 45}),
    ("skd-2019", 100, 500, 90, {"TWK": 35, "TIU": 30, "TKP": 35}),
    ("skd-2018", 100, 500, 90, {"TWK": 35, "TIU": 30, "TKP": 35}),
    ("pppk-2024", 145, 670, 130, {"TEKNIS": 90, "MANAJERIAL": 25, "SOSIOKULTURAL": 20,
                                  "WAWANCARA": 10}),
])
def test_shipped_schemes(scheme_id: str, questions: int, maximum: int, minutes: int,
                         sections: dict[str, int]) -> None:
    scheme = load_scheme(scheme_id)
    assert (scheme.questions, scheme.max_score, scheme.duration_minutes) == (
        questions, maximum, minutes)
    assert {s.code: s.questions for s in scheme.sections} == sections


def test_skd_section_maxima_follow_the_rules() -> None:
    scheme = load_scheme("skd-2024")
    assert [s.max_score for s in scheme.sections] == [150, 175, 225]


def test_point_rules() -> None:
    catalogue = section_catalogue()
    twk, tkp = catalogue["TWK"], catalogue["TKP"]
    assert twk.check_points({"A": 0, "B": 5, "C": 0, "D": 0, "E": 0}) == []
    assert twk.check_points({"A": 5, "B": 5, "C": 0, "D": 0, "E": 0}) == [
        (None, "a TWK item needs exactly one option with 5 points, found 2")]
    assert twk.check_points({"A": 3, "B": 5, "C": 0, "D": 0, "E": 0}) == [
        ("A", "3 points is not allowed for a TWK option (only 5 or 0)")]
    assert tkp.check_points({"A": 1, "B": 2, "C": 3, "D": 4, "E": 7}) == [
        ("E", "7 points is outside 1–5 for a TKP option")]
    assert tkp.check_points({"A": 1, "B": 2, "C": 3, "D": 4}) == [
        ("E", "option E is missing (TKP needs A, B, C, D, E)")]
    manajerial = catalogue["MANAJERIAL"]
    assert manajerial.check_points({"A": 1, "B": 2, "C": 3, "D": 4}) == []


def test_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(SchemeError, match="unknown scheme 'skd-1999'.*skd-2024"):
        load_scheme("skd-1999")


@pytest.mark.parametrize(("text", "message"), [
    ('id = "x"\nduration_minutes = 10\n', r"mine\.toml: sections: missing"),
    ('id = "x"\nduration_minutes = -1\nsections = []\n', r"duration_minutes: must be positive"),
    ('id = "x"\nduration_minutes = 10\n[[sections]]\ncode = "A"\nquestions = 3\n'
     'rule = "best"\nmax_points = 5\n', r"sections\[0\]\.rule: must be 'single_best' or 'graded'"),
    ('id = "x"\nduration_minutes = 10\n[[sections]]\ncode = "A"\nquestions = "3"\n'
     'rule = "graded"\nmax_points = 5\n', r"sections\[0\]\.questions: must be an integer"),
    ('id = "x"\nduration_minutes = 10\ntie_break = ["B"]\n[[sections]]\ncode = "A"\n'
     'questions = 3\nrule = "graded"\nmax_points = 5\n', r"tie_break: each entry"),
    ("id = [", r"mine\.toml: not valid TOML"),
])
def test_malformed_scheme_is_refused_with_file_and_key(tmp_path: Path, text: str,
                                                       message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match=message):
        load_scheme(path)


def test_a_user_scheme_file_loads_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text('{"id": "mini", "duration_minutes": 5, "sections": [{"code": "A", '
                    '"questions": 2, "rule": "single_best", "max_points": 4}]}', encoding="utf-8")
    scheme = load_scheme(path)
    assert (scheme.id, scheme.max_score, scheme.tie_break) == ("mini", 8, ("total", "A"))
