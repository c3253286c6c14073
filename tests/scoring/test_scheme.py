"""Schemes are data: the shipped ones, and malformed files refused with file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.exceptions import SchemeError
from scoring.scheme import load_scheme, section_catalogue


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
    path.write_text('{"id": "mini", "duration_minutes": 5, "tie_break": ["total", "A"], '
                    '"go_on_per_quota": 2, "ranked_only": true, "sections": [{"code": "A", '
                    '"questions": 2, "rule": "single_best", "max_points": 4}]}', encoding="utf-8")
    scheme = load_scheme(path)
    assert (scheme.id, scheme.max_score, scheme.tie_break) == ("mini", 8, ("total", "A"))


SKD = (Path(__file__).parents[2] / "scoring/schemes/skd-2024.toml").read_text("utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    # the review's case: both typos used to score everyone as passing with a 1 × quota cut
    ("go_on_per_quota", "go_on_per_qouta",
     r"go_on_per_qouta: unknown key \(known keys: id, name, duration_minutes.*\)"),
    ("[pass]", "[passes]", r"passes: unknown key \(known keys: id, .*pass, categories\)"),
    ("general = {", "generel = {", r"pass\.generel: unknown key \(known keys: general, "
                                   r"special\)"),
    ('categories = ["cumlaude"', 'categorie = ["cumlaude"',
     r"pass\.special\[0\]\.categorie: unknown key \(known keys: categories, min\)"),
    ("known = [", "know = [", r"categories\.know: unknown key \(known keys: known\)"),
    ("max_points = 5\n\n[[sections]]\ncode = \"TIU\"",
     "max_point = 5\n\n[[sections]]\ncode = \"TIU\"",
     r"sections\[0\]\.max_point: unknown key \(known keys: code, name, questions, rule, "
     r"max_points, min_points, options\)"),
    ('tie_break = ["total", "TKP", "TIU", "TWK"]\n', "", r"tie_break: missing"),
    ("go_on_per_quota = 3\n", "", r"go_on_per_quota: missing"),
    ("go_on_per_quota = 3\n", "go_on_per_quota = 3\nranked_only = true\n",
     r"ranked_only: true, but the scheme has \[pass\] thresholds"),
    ("max_points = 5\n\n[[sections]]\ncode = \"TIU\"",
     "max_points = 5\nmin_points = 1\n\n[[sections]]\ncode = \"TIU\"",
     r"sections\[0\]\.min_points: only a graded section has min_points"),
])
def test_a_misspelt_or_missing_key_is_refused_never_defaulted(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SKD
    path = tmp_path / "mine.toml"
    path.write_text(SKD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SchemeError, match=r"^mine\.toml: " + message):
        load_scheme(path)


def test_a_scheme_without_threshold_must_say_ranked_only(tmp_path: Path) -> None:
    head, _, _ = SKD.partition("[pass]")
    path = tmp_path / "mine.toml"
    path.write_text(head, encoding="utf-8")
    with pytest.raises(SchemeError, match=r"mine\.toml: pass: missing; give \[pass\] "
                                          r"thresholds, or write ranked_only = true"):
        load_scheme(path)
    path.write_text(head + "[pass]\n", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"pass: needs a general rule"):
        load_scheme(path)
    path.write_text(head.replace("go_on_per_quota = 3", "go_on_per_quota = 3\n"
                                 "ranked_only = true"), encoding="utf-8")
    assert load_scheme(path).pass_rules == ()


def test_the_scheme_module_reads_no_file() -> None:
    import inspect

    import scoring.scheme as scheme_module

    source = inspect.getsource(scheme_module)
    for io_call in ("read_text", "glob(", "open(", "SCHEME_DIR"):
        assert io_call not in source
