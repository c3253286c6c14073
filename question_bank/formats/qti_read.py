"""Reading QTI 2.1 content packages (the layout is described in :mod:`.qti`).

Only items with one single-answer ``choiceInteraction`` are read. Seleksi's fields come
from the manifest's ``<seleksi:item>`` metadata; a foreign package without it may give the
section and topic in the item's ``label`` attribute as ``SECTION/topic``. The zip is opened
with :mod:`question_bank.formats.archive` (size limit, damaged members named) and every XML
document is parsed by :func:`~question_bank.formats.qti_markup.parse_xml` (no DOCTYPE).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing goes through parse_xml
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote

from question_bank.errors import ImportRejected, Problem
from question_bank.formats.archive import open_zip, read_member
from question_bank.formats.base import (
    IMAGE_TYPES,
    BankFile,
    Located,
    as_status,
    read_file_bytes,
    reject_if,
    sha256_hex,
    sniff_other_format,
    validate,
)
from question_bank.formats.qti import QTI_NAMESPACES, SELEKSI_NS, TOOL
from question_bank.formats.qti_markup import (
    XmlRefused,
    local,
    namespace,
    parse_xml,
    read_blocks,
    read_inline,
)
from question_bank.model import IRT, Item, Option
from scoring.scheme import section_catalogue

_META = f"{{{SELEKSI_NS}}}item"
_Flag = Callable[[str, str], None]


class _Package:
    """The zip's files, read with a size limit, and the images found so far."""

    def __init__(self, raw: bytes, name: str) -> None:
        self.name = name
        self.media: dict[str, tuple[str, bytes]] = {}
        self.archive = open_zip(raw, name, "zip archive")
        self.names = set(self.archive.namelist())

    def read(self, member: str) -> bytes | None:
        """The member's bytes, ``None`` if absent; ImportRejected if it is damaged."""
        if member not in self.names:
            return None
        return read_member(self.archive, member, self.name)


def read_qti(path: Path) -> BankFile:
    """Read a QTI 2.1 content package; ImportRejected lists every problem at once."""
    name = path.name
    raw = read_file_bytes(path)
    if not raw.startswith(b"PK\x03\x04"):
        kind = sniff_other_format(raw, "a QTI package")
        raise ImportRejected([Problem(name, (kind or "this is not a zip archive") +
                                      "; a QTI 2.1 package is a .zip with imsmanifest.xml")])
    package = _Package(raw, name)
    with package.archive:
        return _read_package(package)


def _read_package(package: _Package) -> BankFile:
    name = package.name
    manifest_raw = package.read("imsmanifest.xml")
    if manifest_raw is None:
        raise ImportRejected([Problem(name, "no imsmanifest.xml at the top of the zip: not a "
                                      "QTI/IMS content package")])
    try:
        manifest = parse_xml(manifest_raw)
    except XmlRefused as exc:
        raise ImportRejected([Problem(name, f"imsmanifest.xml {exc}")]) from None
    resources = [r for r in manifest.iter() if local(r.tag) == "resource"
                 and r.get("type", "").startswith("imsqti_item_xmlv2p")]
    if not resources:
        raise ImportRejected([Problem(name, "imsmanifest.xml lists no QTI 2.x item "
                                      "(resource type imsqti_item_xmlv2p1)")])
    problems: list[Problem] = []
    located = [_read_resource(package, res, row, problems)
               for row, res in enumerate(resources, start=1)]
    found = [x for x in located if x is not None]
    problems += validate(name, found, "assessmentItem@identifier")
    reject_if(problems)
    return BankFile(tuple(x.item for x in found), package.media)


def _read_resource(package: _Package, res: ET.Element, row: int,
                   problems: list[Problem]) -> Located | None:
    def flag(column: str, reason: str) -> None:
        problems.append(Problem(package.name, reason, row, column))

    href = unquote(res.get("href", ""))
    raw = package.read(posixpath.normpath(href)) if href else None
    if raw is None:
        flag("resource@href", f"item file {href!r} is not in the zip")
        return None
    try:
        root = parse_xml(raw)
    except XmlRefused as exc:
        flag("assessmentItem", f"{href} {exc}")
        return None
    if local(root.tag) != "assessmentItem" or namespace(root.tag) not in QTI_NAMESPACES:
        flag("assessmentItem", f"{href} is not a QTI 2.1 assessmentItem (root "
                               f"{root.tag!r})")
        return None
    exact = root.get("toolName") == TOOL
    meta = next((m for m in res.iter(_META)), None)
    fields, source = _fields(meta, root)
    skip: set[str] = set()
    if not fields.get("section"):
        flag(source, "no section: give the resource <metadata><seleksi:item section=\"TWK\" "
                     f"topic=\"…\"/> (namespace {SELEKSI_NS}) or the assessmentItem "
                     "label=\"TWK/topic\"")
        skip.add("section")
    images = _Images(package, posixpath.dirname(href), flag)
    body = next((e for e in root if local(e.tag) == "itemBody"), None)
    interactions = [] if body is None else [
        e for e in body.iter() if local(e.tag).endswith("Interaction")]
    choice = next((e for e in interactions if local(e.tag) == "choiceInteraction"), None)
    options: list[Option] = []
    stem = ""
    if body is None or choice is None or len(interactions) != 1:
        kinds = ", ".join(local(e.tag) for e in interactions) or "none"
        flag("choiceInteraction", f"only items with one choiceInteraction can be imported "
                                  f"(this item has: {kinds})")
        skip |= {"stem", *"ABCDE", "points"}
    else:
        if choice.get("maxChoices", "1") != "1":
            flag("choiceInteraction@maxChoices", "only single-answer items (maxChoices=\"1\") "
                                                 "can be imported")
        stem = "\n\n".join(read_blocks(body, exact, images.markup))
        options = _options(root, choice, fields.get("section", ""), exact, images, flag, skip)
    explanation = "\n\n".join(b for fb in root if local(fb.tag) == "modalFeedback"
                              for b in read_blocks(fb, exact, images.markup))
    irt = _irt(fields, flag)
    item = Item(
        id=root.get("identifier", ""), section=fields.get("section", ""),
        topic=fields.get("topic", ""), stem=stem, options=tuple(options),
        explanation=explanation, difficulty=fields.get("difficulty"), irt=irt,
        status=as_status(fields.get("status") or "draft"), author=fields.get("author"),
    )

    def column_of(field: str, reason: str) -> str:
        if field == "id":
            return "assessmentItem@identifier"
        if field in ("section", "topic", "difficulty", "status"):
            return f"{source}@{field}" if source.startswith("seleksi") else source
        if field == "irt":
            return "seleksi:item@irt-a"
        if field == "stem":
            return "itemBody"
        if field == "points":
            return "mapping"
        return f"mapEntry[{field}]" if "points" in reason else f"simpleChoice[{field}]"

    return Located(item, row, column_of, frozenset(skip))


def _fields(meta: ET.Element | None, root: ET.Element) -> tuple[dict[str, str], str]:
    if meta is not None:
        return dict(meta.attrib), "seleksi:item"
    label = root.get("label", "")
    section, _, topic = label.partition("/")
    fields = {"section": section.strip(), "topic": topic.strip()}
    return {k: v for k, v in fields.items() if v}, "assessmentItem@label"


def _irt(fields: Mapping[str, str], flag: _Flag) -> IRT | None:
    keys = [fields.get(k) for k in ("irt-a", "irt-b", "irt-c")]
    if not any(keys):
        return None
    try:
        return IRT(float(keys[0] or "x"), float(keys[1] or "x"), float(keys[2] or 0))
    except ValueError:
        flag("seleksi:item@irt-a", "irt-a and irt-b must be numbers (irt-c optional)")
        return None


class _Images:
    """Turns ``<img src>`` into ``sha256:`` references, collecting the bytes as media."""

    def __init__(self, package: _Package, folder: str, flag: _Flag) -> None:
        self.package, self.folder, self.flag = package, folder, flag

    def markup(self, src: str, alt: str) -> str:
        member = posixpath.normpath(posixpath.join(self.folder, unquote(src)))
        ext = posixpath.splitext(member)[1].lower()
        data = self.package.read(member)
        if data is None or ext not in IMAGE_TYPES:
            why = "is not in the zip" if data is None else "is not a known image type"
            self.flag("img@src", f"image {src!r} {why}")
            return f"![{alt}]({src})"
        digest = sha256_hex(data)
        self.package.media[digest] = (IMAGE_TYPES[ext], data)
        return f"![{alt}](sha256:{digest})"


def _options(root: ET.Element, choice: ET.Element, section: str, exact: bool,
             images: _Images, flag: _Flag, skip: set[str]) -> list[Option]:
    simple = [c for c in choice if local(c.tag) == "simpleChoice"]
    idents = [c.get("identifier", "") for c in simple]
    own = all(re.fullmatch(r"[A-Z]", x) for x in idents) and len(set(idents)) == len(idents)
    labels = {x: (x if own else chr(ord("A") + i)) for i, x in enumerate(idents)}
    decl = next((d for d in root if local(d.tag) == "responseDeclaration"
                 and d.get("identifier") == choice.get("responseIdentifier")), None)
    points: dict[str, int] = {}
    mapping = None if decl is None else next(
        (m for m in decl if local(m.tag) == "mapping"), None)
    if mapping is not None:
        default = _whole(mapping.get("defaultValue", "0"))
        for entry in mapping:
            key, value = entry.get("mapKey", ""), entry.get("mappedValue", "")
            label = labels.get(key)
            number = _whole(value)
            if label is None:
                flag("mapEntry@mapKey", f"mapEntry for {key!r}, which is no simpleChoice")
            elif number is None:
                flag(f"mapEntry[{label}]", f"option {label}: {value!r} is not a whole number "
                                           "of points")
                skip.add(label)
            else:
                points[label] = number
        for label in labels.values():
            points.setdefault(label, default if default is not None else 0)
    else:
        correct = [] if decl is None else [v.text or "" for v in decl.iter()
                                           if local(v.tag) == "value"
                                           and local(_parent_tag(decl, v)) == "correctResponse"]
        rule = section_catalogue().get(section)
        if not correct or rule is None or rule.rule != "single_best":
            flag("responseDeclaration", "no mapping of points per option (mapEntry) and no "
                                        "single correctResponse to derive them from")
            skip |= {*labels.values(), "points"}
        else:
            points = {lab: rule.max_points if key in correct else 0
                      for key, lab in labels.items()}
    return [Option(labels[x], read_inline(c, exact, images.markup), points.get(labels[x], 0))
            for x, c in zip(idents, simple, strict=True) if labels[x] not in skip]


def _parent_tag(root: ET.Element, target: ET.Element) -> str:
    for parent in root.iter():
        if target in list(parent):
            return parent.tag
    return ""


def _whole(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None
