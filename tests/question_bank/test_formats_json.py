"""Seleksi's JSON bank format: round trip, determinism, the schema, and every rejection."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank.errors import BankError, ImportRejected
from question_bank.formats import read_bank, write_bank
from question_bank.model import IRT, Item, Option

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"peta-indonesia" * 10
PNG_HASH = hashlib.sha256(PNG).hexdigest()


def twk(item_id: str, best: str = "B", **kw: Any) -> Item:
    opts = tuple(Option(lab, f"pilihan {lab}", 5 if lab == best else 0) for lab in "ABCDE")
    return Item(item_id, "TWK", kw.pop("topic", "Nasionalisme"), kw.pop("stem", "Soal?"), opts,
                **kw)


def tkp(item_id: str) -> Item:
    return Item(item_id, "TKP", "Pelayanan Publik", "Sikap Anda ...",
                tuple(Option(lab, f"sikap {lab}", p) for lab, p in zip("ABCDE", [3, 1, 5, 2, 4],
                                                                       strict=True)))


ITEMS = [
    twk("TWK-0001",
        stem=f"Perhatikan *peta*:\n\n![peta](sha256:{PNG_HASH})\n\n| a | b |\n| 1 | 2 |",
        explanation="Karena **jelas**.", difficulty="hard", irt=IRT(1.25, -0.5, 0.2),
        status="approved", author="budi"),
    tkp("TKP-0001"),
    Item("TEKNIS-1", "TEKNIS", "Jaringan", "Port HTTPS adalah ...",
         tuple(Option(lab, t, 5 if lab == "C" else 0)
               for lab, t in zip("ABCDE", ["21", "80", "443", "22", "25"], strict=True)),
         status="reviewed"),
    Item("MAN-1", "MANAJERIAL", "Kepemimpinan", "Tim Anda ...",
         tuple(Option(lab, f"x{lab}", p) for lab, p in zip("ABCD", [4, 2, 1, 3], strict=True))),
]
MEDIA = {PNG_HASH: ("image/png", PNG)}


def document(items: list[dict[str, Any]], media: dict[str, Any] | None = None) -> bytes:
    doc: dict[str, Any] = {"format": "seleksi-bank", "version": 1, "items": items}
    if media is not None:
        doc["media"] = media
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def raw_item(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "TWK-0001", "section": "TWK", "topic": "Integritas", "stem": "Soal?",
        "options": [{"label": lab, "text": f"p{lab}", "points": 5 if lab == "A" else 0}
                    for lab in "ABCDE"]}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not ...}


def rejected(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        read_bank(path)
    return [str(p) for p in info.value.problems]


def test_round_trip_keeps_items_status_author_and_media(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    write_bank(path, "json", ITEMS, MEDIA)
    bank = read_bank(path)
    assert bank.items == tuple(ITEMS)
    assert bank.media == MEDIA
    assert [i.status for i in bank.items] == ["approved", "draft", "reviewed", "draft"]


def test_export_is_deterministic_bytes(tmp_path: Path) -> None:
    extra = {"0" * 64: ("image/png", b"unused")}
    write_bank(tmp_path / "a.json", "json", ITEMS, MEDIA)
    write_bank(tmp_path / "b.json", "json", ITEMS, {**extra, **MEDIA})
    first = (tmp_path / "a.json").read_bytes()
    assert first == (tmp_path / "b.json").read_bytes()
    assert first.endswith(b"\n")
    assert "Perhatikan" in first.decode("utf-8")
    assert list(json.loads(first)["media"]) == [PNG_HASH]  # only the images items show


def test_status_defaults_to_draft_and_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + document([raw_item()]))
    (item,) = read_bank(path).items
    assert item.status == "draft"
    assert item.author is None
    assert item.difficulty is None


def _validate(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """A small JSON Schema checker for the keywords docs/bank.schema.json uses."""
    errors: list[str] = []
    kinds: dict[str, type | tuple[type, ...]] = {
        "object": dict, "array": list, "string": str, "null": type(None),
        "number": (int, float), "integer": int}
    if "type" in schema:
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(value, kinds[t]) and not isinstance(value, bool) for t in wanted):
            return [f"{where}: {value!r} is not {wanted}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in enum")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: below minimum")
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{where}: too few items")
    if isinstance(value, dict):
        errors += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        props, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
        for key, sub in value.items():
            if key in props:
                errors += _validate(props[key], sub, f"{where}.{key}")
            elif any(re.search(p, key) for p in patterns):
                pass
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += _validate(schema["additionalProperties"], sub, f"{where}.{key}")
        for pattern, sub in patterns.items():
            for key, v in value.items():
                if re.search(pattern, key):
                    errors += _validate(sub, v, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, sub in enumerate(value):
            errors += _validate(schema["items"], sub, f"{where}[{i}]")
    if "$ref" in schema:
        raise AssertionError("the hand checker does not follow $ref; inline the definition")
    return errors


def test_export_validates_against_the_documented_schema(tmp_path: Path) -> None:
    schema = json.loads((ROOT / "docs" / "bank.schema.json").read_text(encoding="utf-8"))
    path = tmp_path / "bank.json"
    write_bank(path, "json", ITEMS, MEDIA)
    doc = json.loads(path.read_bytes())
    try:
        import jsonschema
    except ImportError:
        assert _validate(schema, doc) == []
        broken = json.loads(json.dumps(doc))
        broken["items"][0]["options"][0]["points"] = "5"
        del broken["items"][1]["stem"]
        assert len(_validate(schema, broken)) == 2  # the checker itself can fail
    else:
        jsonschema.validate(doc, schema)


texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
words = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF),
                min_size=1, max_size=12)


@st.composite
def generated_items(draw: st.DrawFn) -> list[Item]:
    count = draw(st.integers(1, 4))
    items = []
    for n in range(count):
        best = draw(st.sampled_from("ABCDE"))
        opts = tuple(Option(lab, draw(texts.filter(str.strip)), 5 if lab == best else 0)
                     for lab in "ABCDE")
        irt = draw(st.none() | st.builds(IRT, st.floats(0.1, 3), st.floats(-3, 3),
                                         st.floats(0, 0.5)))
        items.append(Item(
            f"TIU-{n:04d}", "TIU", draw(words), draw(texts.filter(str.strip)), opts,
            explanation=draw(texts), difficulty=draw(st.sampled_from([None, "easy", "hard"])),
            irt=irt, status=draw(st.sampled_from(["draft", "reviewed", "approved", "retired"])),
            author=draw(st.none() | words)))
    return items


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=generated_items())
def test_property_round_trip(tmp_path: Path, items: list[Item]) -> None:
    path = tmp_path / "gen.json"
    write_bank(path, "json", items, {})
    assert read_bank(path).items == tuple(items)


def test_not_utf8_is_rejected_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(document([raw_item(stem="Soal tentang café")]).decode().encode("latin-1"))
    (problem,) = rejected(path)
    assert "latin.json: not UTF-8 text" in problem
    assert "save the JSON file as UTF-8" in problem


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n...", "this is a PDF document, not a JSON bank file"),
    (b"{not json", "not valid JSON"),
    (b'{"items": []}', 'not a Seleksi bank file'),
    (b'{"format": "seleksi-bank", "version": 9, "items": []}', "version 9 is not supported"),
])
def test_not_the_format_at_all(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bank.json"
    path.write_bytes(content)
    (problem,) = rejected(path)
    assert expected in problem


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "soal.json"
    good = raw_item(id="TWK-0002")
    items = [
        raw_item(id="TWK-0001"),
        good,
        raw_item(id="TWK-0001", topic="Bela Negara"),                       # 3 duplicate id
        raw_item(id="TWK-0004", options=raw_item()["options"][:4]),         # 4 option E missing
        raw_item(id="TWK-0005", stem="  "),                                 # 5 empty stem
        raw_item(id="XYZ-0006", section="XYZ"),                             # 6 unknown section
        raw_item(id="TKP-0007", section="TKP", options=[                    # 7 TKP 7 points
            {"label": lab, "text": "t", "points": p} for lab, p in zip("ABCDE", [1, 2, 3, 4, 7],
                                                                       strict=True)]),
        raw_item(id="TWK-0008", difficulty="sulit", status="published"),   # 8 two bad values
        raw_item(id="TWK-0009", options=[                                   # 9 non-integer
            {"label": lab, "text": "t", "points": 2.5 if lab == "A" else 0} for lab in "ABCDE"]),
        raw_item(id="TWK-0010", stem="Lihat ![x](sha256:" + "ab" * 32 + ")"),  # 10 no image
        raw_item(id="TWK-0011", options=...),                               # 11 no options
        raw_item(id="TWK-0012", colour="red"),                              # 12 unknown field
    ]
    path.write_bytes(document(items, {"cd" * 32: {"type": "image/png", "data":
                                                    base64.b64encode(b"x").decode()}}))
    problems = rejected(path)
    text = "\n".join(problems)
    assert "soal.json row 3, column id: item id TWK-0001 appears twice, at rows 1 and 3" in text
    assert "soal.json row 4, column options.E: option E is missing (TWK needs A, B, C, D, E)" \
        in text
    assert "row 5, column stem: the stem (question text) is empty" in text
    assert "row 6, column section: unknown section 'XYZ' (known: " in text
    assert "row 7, column options.E: 7 points is outside 1–5 for a TKP option" in text
    assert "row 8, column difficulty: 'sulit' is not one of easy, medium, hard" in text
    assert "row 8, column status: 'published' is not one of draft, reviewed" in text
    assert "row 9, column options.A.points: option A: points must be a whole number, got 2.5" \
        in text
    assert "row 10, column stem: image sha256:abababababab… is not in the file's \"media\"" in text
    assert "row 11, column options: missing field 'options'" in text
    assert "row 12, column colour: unknown field 'colour'" in text
    assert "column media.cdcdcdcdcdcdcdcd: media cdcdcdcdcdcd…: the bytes hash to" in text
    assert not any("row 2," in p for p in problems)
    assert len(problems) == 12


def test_unknown_suffix_names_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "soal.docx"
    path.write_bytes(b"whatever")
    (problem,) = rejected(path)
    assert "'.docx'" in problem
    assert ".json, .csv, .xlsx, .zip" in problem


@pytest.mark.parametrize(("fmt", "name", "suffix"), [
    ("json", "bank.txt", ".json"), ("qti", "bank.qti", ".zip"), ("qti", "bank", ".zip"),
    ("csv", "bank.json", ".csv"), ("xlsx", "bank.csv", ".xlsx"),
])
def test_export_suffix_must_be_the_one_import_reads(tmp_path: Path, fmt: str, name: str,
                                                   suffix: str) -> None:
    with pytest.raises(BankError, match=re.escape(f"must be named *{suffix}, got {name}")):
        write_bank(tmp_path / name, fmt, ITEMS[1:], {})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx", ".zip"])
def test_an_unreadable_file_is_one_problem_in_every_format(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / f"soal{suffix}"
    folder.mkdir()
    assert rejected(folder) == [f"soal{suffix}: cannot read the file (Is a directory)"]
    from question_bank.formats.base import read_file_bytes

    with pytest.raises(ImportRejected, match="cannot read the file"):
        read_file_bytes(tmp_path / "tidak-ada.json")
    (tmp_path / "ada.json").write_bytes(b"{}")
    assert read_file_bytes(tmp_path / "ada.json") == b"{}"
