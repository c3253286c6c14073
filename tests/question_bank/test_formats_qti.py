"""QTI 2.1 packages: lossless round trip of our own export, foreign packages, rejections."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest

from question_bank.errors import ImportRejected
from question_bank.formats import read_bank, write_bank
from question_bank.formats.qti_markup import XmlRefused, parse_xml
from question_bank.model import IRT, Item, Option
from tests.question_bank.test_formats_tabular import break_deflate

PNG = b"\x89PNG\r\n\x1a\n" + b"grafik" * 30
PNG_HASH = hashlib.sha256(PNG).hexdigest()
QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def single(item_id: str, section: str, best: str, texts: str = "ABCDE", **kw: object) -> Item:
    opts = tuple(Option(lab, f"jawaban {lab}", 5 if lab == best else 0) for lab in texts)
    return Item(item_id, section, str(kw.pop("topic", "Analogi")), str(kw.pop("stem", "S?")),
                opts, **kw)  # type: ignore[arg-type]


ITEMS = [
    single("TIU-0001", "TIU", "E", stem=(
        f"Perhatikan **grafik** dan *tabel* berikut.\n\n![grafik 1](sha256:{PNG_HASH})\n\n"
        "| Tahun | Jumlah |\n| 2023 | 1.200 |\n| 2024 | 1.350 |\n\nBaris satu\nbaris  dua"),
        explanation="Kenaikan 150.\n\nJadi *12,5 %*.", difficulty="hard",
        irt=IRT(1.1, 0.4, 0.2), status="approved", author="Dewi Lestari"),
    single("TIU-0002", "TIU", "A", stem="Tanda * sendiri, **tidak tertutup, |a|b| rapat\n\n\n"
           "  spasi di depan & <tag> \"kutip\""),
    Item("TKP-0001", "TKP", "Sosial Budaya", "Sikap Anda ...",
         tuple(Option(lab, f"sikap {lab}", p) for lab, p in zip("ABCDE", [1, 3, 5, 4, 2],
                                                                strict=True)),
         status="retired"),
    single("TEKNIS-7", "TEKNIS", "B", topic="Jaringan", stem="Port SSH?"),
    Item("SOS-1", "SOSIOKULTURAL", "Keberagaman", "Sikap Anda?",
         tuple(Option(lab, f"x{lab}", p) for lab, p in zip("ABCD", [4, 1, 2, 3], strict=True))),
]
MEDIA = {PNG_HASH: ("image/png", PNG)}


def package(items: dict[str, str], manifest: str | None = None,
            extra: dict[str, bytes] | None = None) -> bytes:
    """A zip with a manifest listing ``items`` (href → XML) in order."""
    if manifest is None:
        resources = "".join(
            f'<resource identifier="R{i}" type="imsqti_item_xmlv2p1" href="{href}">'
            f'<file href="{href}"/></resource>' for i, href in enumerate(items))
        manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest xmlns='
                    f'"http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><resources>'
                    f"{resources}</resources></manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("imsmanifest.xml", manifest)
        for href, xml in items.items():
            z.writestr(href, xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


def foreign_item(ident: str, label: str | None, body: str, mapping: str,
                 choices: str = "") -> str:
    label_attr = f' label="{label}"' if label is not None else ""
    choices = choices or "".join(
        f'<simpleChoice identifier="choice_{c}">  Pilihan\n   {c}  </simpleChoice>'
        for c in "abcde")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{QTI}" identifier="{ident}" title="t"{label_attr}
    adaptive="false" timeDependent="false" toolName="OtherTool">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    {mapping}
  </responseDeclaration>
  <itemBody>
    {body}
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <prompt>Pilih yang   <em>paling</em> tepat.</prompt>
      {choices}
    </choiceInteraction>
  </itemBody>
</assessmentItem>"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        read_bank(path)
    return [str(p) for p in info.value.problems]


def test_round_trip_is_lossless_and_deterministic(tmp_path: Path) -> None:
    write_bank(tmp_path / "a.zip", "qti", ITEMS, MEDIA)
    write_bank(tmp_path / "b.zip", "qti", ITEMS, MEDIA)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    bank = read_bank(tmp_path / "a.zip")
    assert bank.items == tuple(ITEMS)
    assert bank.media == MEDIA


def test_export_is_standard_qti(tmp_path: Path) -> None:
    write_bank(tmp_path / "bank.zip", "qti", ITEMS[:1], MEDIA)
    with zipfile.ZipFile(tmp_path / "bank.zip") as z:
        assert z.namelist() == ["imsmanifest.xml", "items/TIU-0001.xml",
                                f"media/{PNG_HASH}.png"]
        item = parse_xml(z.read("items/TIU-0001.xml"))
    assert item.tag == f"{{{QTI}}}assessmentItem"
    entries = {e.get("mapKey"): e.get("mappedValue") for e in item.iter(f"{{{QTI}}}mapEntry")}
    assert entries == {"A": "0", "B": "0", "C": "0", "D": "0", "E": "5"}
    choices = [c.get("identifier") for c in item.iter(f"{{{QTI}}}simpleChoice")]
    assert choices == ["A", "B", "C", "D", "E"]
    assert item.find(f".//{{{QTI}}}table/{{{QTI}}}thead/{{{QTI}}}tr/{{{QTI}}}th") is not None
    img = item.find(f".//{{{QTI}}}img")
    assert img is not None
    assert img.get("src") == f"../media/{PNG_HASH}.png"


def test_foreign_package_with_label_convention_and_images(tmp_path: Path) -> None:
    mapping = "<mapping>" + "".join(
        f'<mapEntry mapKey="choice_{c}" mappedValue="{p}"/>'
        for c, p in zip("abcde", ["0", "5.0", "0", "0", "0"], strict=True)) + "</mapping>"
    correct_only = ('<correctResponse><value>choice_c</value></correctResponse>')
    items = {
        "q/one.xml": foreign_item("Q-1", "TWK/Pilar Negara",
                                  '<div><p>Lihat\n   gambar <img src="img/g.png" alt="g"/>'
                                  "</p></div>", mapping),
        "q/two.xml": foreign_item("Q-2", "TIU/Berhitung", "Berapa 2 + 2?", correct_only),
    }
    path = tmp_path / "lain.zip"
    path.write_bytes(package(items, extra={"q/img/g.png": PNG}))
    one, two = read_bank(path).items
    assert (one.id, one.section, one.topic, one.status) == ("Q-1", "TWK", "Pilar Negara", "draft")
    assert one.stem == f"Lihat gambar ![g](sha256:{PNG_HASH})\n\nPilih yang *paling* tepat."
    assert [(o.label, o.text, o.points) for o in one.options][:2] == [
        ("A", "Pilihan a", 0), ("B", "Pilihan b", 5)]
    assert two.stem == "Berapa 2 + 2?\n\nPilih yang *paling* tepat."
    assert two.points == {"A": 0, "B": 0, "C": 5, "D": 0, "E": 0}


def test_foreign_problems_are_all_listed(tmp_path: Path) -> None:
    good_map = "<mapping>" + "".join(
        f'<mapEntry mapKey="choice_{c}" mappedValue="{5 if c == "a" else 0}"/>'
        for c in "abcde") + "</mapping>"
    bad_map = good_map.replace('mappedValue="5"', 'mappedValue="2.5"')
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;">]><assessmentItem xmlns="' + QTI + '">&lol2;</assessmentItem>')
    text_entry = foreign_item("Q-5", "TWK/Integritas", "<p>Isi</p>", good_map).replace(
        "choiceInteraction", "textEntryInteraction")
    items = {
        "1.xml": foreign_item("Q-1", None, "<p>Tanpa bagian</p>", good_map),
        "2.xml": foreign_item("Q-2", "TWK/Integritas", "<p>Poin</p>", bad_map),
        "3.xml": bomb,
        "4.xml": foreign_item("Q-4", "TWK/Integritas", '<p><img src="hilang.png"/></p>',
                              good_map),
        "5.xml": text_entry,
        "6.xml": foreign_item("Q-1", "TWK/Integritas", "<p>Ganda</p>", good_map),
        "7.xml": foreign_item("Q-7", "TKP/Integritas", "<p>TKP</p>", good_map),
    }
    manifest_items = dict(items)
    path = tmp_path / "asing.zip"
    raw = package(manifest_items)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "imsmanifest.xml":  # one more resource, its file not in the zip
                data = data.replace(b"</resources>", b'<resource identifier="X" '
                                    b'type="imsqti_item_xmlv2p1" href="8.xml"/></resources>')
            dst.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    found = problems_of(path)
    text = "\n".join(found)
    assert ("asing.zip row 1, column assessmentItem@label: no section: give the resource "
            '<metadata><seleksi:item section="TWK"') in text
    assert "row 2, column mapEntry[A]: option A: '2.5' is not a whole number of points" in text
    assert "row 3, column assessmentItem: 3.xml holds a DOCTYPE or ENTITY declaration" in text
    assert "row 4, column img@src: image 'hilang.png' is not in the zip" in text
    assert ("row 5, column choiceInteraction: only items with one choiceInteraction can be "
            "imported (this item has: textEntryInteraction)") in text
    assert ("row 6, column assessmentItem@identifier: item id Q-1 appears twice, at rows 1 "
            "and 6") in text
    assert "row 7, column mapEntry[B]: 0 points is outside 1–5 for a TKP option" in text
    assert "row 8, column resource@href: item file '8.xml' is not in the zip" in text
    assert len(found) == 12  # row 1 also lacks a topic; row 7 has four options at 0


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.5", "this is a PDF document, not a QTI package"),
    (b"just text", "this is not a zip archive; a QTI 2.1 package is a .zip"),
])
def test_not_a_package(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "x.zip").write_bytes(content)
    (problem,) = problems_of(tmp_path / "x.zip")
    assert expected in problem


def test_zip_without_manifest_or_items(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "halo")
    (tmp_path / "a.zip").write_bytes(buffer.getvalue())
    assert "no imsmanifest.xml" in problems_of(tmp_path / "a.zip")[0]
    (tmp_path / "b.zip").write_bytes(package({}))
    assert "lists no QTI 2.x item" in problems_of(tmp_path / "b.zip")[0]


@pytest.mark.parametrize(("xml", "reason"), [
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "DOCTYPE or ENTITY"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><x/>', "only UTF-8 XML is read"),
    (b"<x>caf\xe9</x>", "not UTF-8"),
    (b"<x><y></x>", "not well-formed XML (line 1"),
])
def test_xml_guard(xml: bytes, reason: str) -> None:
    with pytest.raises(XmlRefused, match=re.escape(reason)):
        parse_xml(xml)


def test_a_damaged_member_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bank.zip"
    write_bank(path, "qti", ITEMS, MEDIA)
    break_deflate(path, "items/TIU-0002.xml")
    (problem,) = problems_of(path)
    assert problem.startswith("bank.zip: the file is damaged (items/TIU-0002.xml: ")


def test_a_package_over_the_unpacked_limit_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_bank(tmp_path / "bank.zip", "qti", ITEMS, MEDIA)
    monkeypatch.setattr("question_bank.formats.archive.MAX_UNPACKED", 1000)
    (problem,) = problems_of(tmp_path / "bank.zip")
    assert problem.startswith("bank.zip: the file unpacks to ")
    assert "over the limit of 1000" in problem


def test_format_modules_keep_the_house_size_limit() -> None:
    folder = Path(__file__).resolve().parents[2] / "question_bank" / "formats"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in folder.glob("*.py")}
    assert "qti.py" in sizes
    assert {name: n for name, n in sizes.items() if n > 400} == {}
