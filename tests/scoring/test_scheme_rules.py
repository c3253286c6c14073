"""Pass rules, categories and the void policy are typed and validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.exceptions import SchemeError
from scoring.rules import PassRule
from scoring.scheme import load_scheme

HEAD = ('id = "x"\nduration_minutes = 10\ntie_break = ["total"]\ngo_on_per_quota = 1\n'
        '[[sections]]\ncode = "A"\nquestions = 3\nrule = "single_best"\nmax_points = 5\n')


def test_shipped_pass_rules_are_typed() -> None:
    scheme = load_scheme("skd-2024")
    assert scheme.pass_rules == (
        PassRule("general", None, (("TWK", 65), ("TIU", 80), ("TKP", 166))),
        PassRule("special[0]", ("cumlaude", "diaspora"), (("total", 311), ("TIU", 85))),
        PassRule("special[1]", ("disabilitas", "papua", "daerah_tertinggal"),
                 (("total", 286), ("TIU", 60))))
    assert scheme.void == "credit"
    assert load_scheme("pppk-2024").pass_rules == ()
    assert load_scheme("skd-2018").pass_rules[0].describe() == "TWK ≥ 75, TIU ≥ 80, TKP ≥ 143"


@pytest.mark.parametrize(("tail", "message"), [
    ("[pass]\ngeneral = { B = 3 }\n", r"pass\.general\.B: not 'total' or a section code"),
    ("[pass]\ngeneral = { A = -1 }\n", r"pass\.general\.A: must be a non-negative integer"),
    ("[pass]\nbogus = 1\n", r"pass\.bogus: unknown key"),
    ("[[pass.special]]\ncategories = [\"papua\"]\nmin = { total = 3 }\n",
     r"pass\.special\[0\]\.categories: 'papua' is not in \[categories\] known"),
    ("[[pass.special]]\ncategories = [\"umum\"]\n", r"pass\.special\[0\]\.min: missing"),
    ("void = \"forget\"\n", r"void: must be 'credit' or 'remove'"),
    ("[categories]\nknown = [\"Umum\"]\n", r"categories\.known: must be a non-empty list"),
])
def test_malformed_pass_rules_are_refused(tmp_path: Path, tail: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    text = HEAD + tail if not tail.startswith("void") else "ranked_only = true\n" + tail + HEAD
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match=r"mine\.toml: " + message):
        load_scheme(path)
