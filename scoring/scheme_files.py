"""Finding and reading scheme files: the scheme package's only file access.

Parsing and validation stay in :mod:`scoring.scheme`; this module globs the shipped folder
``scoring/schemes/`` and reads one file's text.
"""

from __future__ import annotations

from pathlib import Path

from scoring.exceptions import SchemeError
from scoring.scheme import Scheme, SectionRule, parse_scheme_text

SCHEME_DIR = Path(__file__).parent / "schemes"


def available_schemes() -> list[str]:
    """Ids of the schemes shipped in ``scoring/schemes/``."""
    return sorted(p.stem for p in SCHEME_DIR.glob("*.toml")) + sorted(
        p.stem for p in SCHEME_DIR.glob("*.json"))


def load_scheme(name_or_path: str | Path) -> Scheme:
    """Load a scheme by id (``skd-2024``) or by the path of a TOML/JSON file.

    Raises
    ------
    SchemeError
        Unknown id, unreadable file, or a malformed key; the message names the file,
        the key and the reason.
    """
    path = Path(name_or_path)
    if not path.suffix:
        candidates = [SCHEME_DIR / f"{name_or_path}.toml", SCHEME_DIR / f"{name_or_path}.json"]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise SchemeError(f"unknown scheme {str(name_or_path)!r}: known schemes are "
                              f"{', '.join(available_schemes())}, or give the path of a "
                              f".toml/.json scheme file")
        path = found[0]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemeError(f"{path}: cannot read scheme file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise SchemeError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc
    return parse_scheme_text(text, path.suffix.lower(), path.name)


def section_catalogue() -> dict[str, SectionRule]:
    """Every section code of the shipped schemes with its rule.

    The bank validates an item's option points by its section code alone, so a code must
    mean the same rule in every scheme that uses it (TWK is ``single_best`` 5/0 in SKD 2018,
    2019 and 2024 alike).

    Raises
    ------
    SchemeError
        Two schemes give the same section code different rules.
    """
    catalogue: dict[str, SectionRule] = {}
    owner: dict[str, str] = {}
    for sid in available_schemes():
        for s in load_scheme(sid).sections:
            known = catalogue.get(s.code)
            if known is None:
                catalogue[s.code], owner[s.code] = s, sid
            elif (known.rule, known.min_points, known.max_points, known.options) != (
                    s.rule, s.min_points, s.max_points, s.options):
                raise SchemeError(f"{sid}: sections.{s.code}: scores differently from the "
                                  f"same section in {owner[s.code]}; use another code")
    return catalogue
