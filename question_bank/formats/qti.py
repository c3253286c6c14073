"""QTI 2.1 content packages: ``choiceInteraction`` items in a zip with ``imsmanifest.xml``.

Each item is one ``assessmentItem`` file (``items/<id>.xml``); its options are the
``simpleChoice`` elements, whose identifiers are the labels A–E, and the points per option
are ``responseDeclaration/mapping/mapEntry`` (``mapKey`` = choice identifier,
``mappedValue`` = points). Images are files in the zip (``media/<sha256>.<ext>``).

What QTI has no place for (section, topic, difficulty, status, author, IRT) travels in the
manifest: each item resource's ``<metadata>`` holds ``<seleksi:item section=… topic=…/>`` in
the namespace ``urn:seleksi:bank:1``. A foreign package without it may give the section
and topic in the item's ``label`` attribute as ``SECTION/topic``. See
``docs/bank-formats.md``. Export is deterministic (fixed zip timestamps and order).
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only used to build, parsing is guarded
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote

from question_bank.errors import BankError, ImportRejected, Problem
from question_bank.formats.base import (
    IMAGE_TYPES,
    BankFile,
    Located,
    as_status,
    extension_for,
    item_texts,
    reject_if,
    sha256_hex,
    sniff_other_format,
    used_media,
    validate,
)
from question_bank.formats.qti_markup import (
    XmlRefused,
    check_xml_text,
    local,
    namespace,
    parse_xml,
    read_blocks,
    read_inline,
    write_blocks,
    write_inline,
)
from question_bank.model import IRT, Item, Option
from scoring.scheme import section_catalogue

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_NAMESPACES = (QTI_NS, "http://www.imsglobal.org/xsd/imsqti_v2p2")
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
SELEKSI_NS = "urn:seleksi:bank:1"
TOOL = "Seleksi"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
MAX_UNPACKED = 512 * 1024 * 1024
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_META = f"{{{SELEKSI_NS}}}item"
_Flag = Callable[[str, str], None]


# ---------------------------------------------------------------- export

def write_qti(path: Path, items: Sequence[Item], media: Mapping[str, tuple[str, bytes]]) -> None:
    """Write a QTI 2.1 content package (zip) holding ``items`` and their images."""
    needed = used_media(items, media)
    names = {h: f"media/{h}{extension_for(mime)}" for h, (mime, _) in needed.items()}
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise BankError("cannot export QTI: item ids repeat "
                        f"({', '.join(sorted({x for x in ids if ids.count(x) > 1}))})")
    files: list[tuple[str, bytes]] = []
    manifest = _manifest(items, names)
    files.append(("imsmanifest.xml", manifest))
    for item in items:
        files.append((f"items/{item.id}.xml", _item_xml(item, names)))
    files += [(names[h], data) for h, (_, data) in needed.items()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def _xml_bytes(root: ET.Element) -> bytes:
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _manifest(items: Sequence[Item], names: Mapping[str, str]) -> bytes:
    root = ET.Element("manifest", {"xmlns": CP_NS, "xmlns:seleksi": SELEKSI_NS,
                                   "identifier": "seleksi-bank"})
    root.text = "\n"
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, "schemaversion").text = "1.0.0"
    meta.tail = "\n"
    ET.SubElement(root, "organizations").tail = "\n"
    resources = ET.SubElement(root, "resources")
    resources.text = "\n"
    for item in items:
        href = f"items/{item.id}.xml"
        res = ET.SubElement(resources, "resource", {
            "identifier": f"RES-{item.id}", "type": "imsqti_item_xmlv2p1", "href": href})
        attrs = {"section": item.section, "topic": item.topic, "status": item.status}
        if item.difficulty is not None:
            attrs["difficulty"] = item.difficulty
        if item.author is not None:
            attrs["author"] = item.author
        if item.irt is not None:
            attrs.update({"irt-a": repr(item.irt.a), "irt-b": repr(item.irt.b),
                          "irt-c": repr(item.irt.c)})
        ET.SubElement(ET.SubElement(res, "metadata"), "seleksi:item", attrs)
        ET.SubElement(res, "file", {"href": href})
        for digest in item.image_refs():
            ET.SubElement(res, "file", {"href": names[digest]})
        res.tail = "\n"
    resources.tail = "\n"
    return _xml_bytes(root)


def _item_xml(item: Item, names: Mapping[str, str]) -> bytes:
    for text in item_texts(item):
        if not check_xml_text(text):
            raise BankError(f"cannot export {item.id} as QTI: its text holds a control "
                            "character XML cannot store; remove it or export as JSON")

    def src(digest: str) -> str:
        return "../" + names[digest]

    def back(source: str, alt: str) -> str:
        return f"![{alt}](sha256:{posixpath.splitext(posixpath.basename(source))[0]})"

    root = ET.Element("assessmentItem", {
        "xmlns": QTI_NS, "identifier": item.id, "title": item.id,
        "label": f"{item.section}/{item.topic}", "adaptive": "false",
        "timeDependent": "false", "toolName": TOOL, "toolVersion": "1"})
    root.text = "\n"
    decl = ET.SubElement(root, "responseDeclaration", {
        "identifier": "RESPONSE", "cardinality": "single", "baseType": "identifier"})
    if item.options:
        best = max(item.options, key=lambda o: o.points)
        ET.SubElement(ET.SubElement(decl, "correctResponse"), "value").text = best.label
    mapping = ET.SubElement(decl, "mapping", {"defaultValue": "0"})
    for option in item.options:
        ET.SubElement(mapping, "mapEntry", {"mapKey": option.label,
                                            "mappedValue": str(option.points)})
    decl.tail = "\n"
    score = ET.SubElement(root, "outcomeDeclaration", {
        "identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    ET.SubElement(ET.SubElement(score, "defaultValue"), "value").text = "0"
    score.tail = "\n"
    if item.explanation:
        ET.SubElement(root, "outcomeDeclaration", {
            "identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier",
        }).tail = "\n"
    body = ET.SubElement(root, "itemBody")
    body.text = "\n"
    write_blocks(body, item.stem, src, back)
    choices = ET.SubElement(body, "choiceInteraction", {
        "responseIdentifier": "RESPONSE", "shuffle": "false", "maxChoices": "1"})
    choices.text = "\n"
    for option in item.options:
        choice = ET.SubElement(choices, "simpleChoice", {"identifier": option.label})
        write_inline(choice, option.text, False, src)
        choice.tail = "\n"
    choices.tail = "\n"
    body.tail = "\n"
    ET.SubElement(root, "responseProcessing", {"template": MAP_RESPONSE}).tail = "\n"
    if item.explanation:
        feedback = ET.SubElement(root, "modalFeedback", {
            "outcomeIdentifier": "FEEDBACK", "identifier": "EXPLANATION", "showHide": "show"})
        write_blocks(feedback, item.explanation, src, back)
        feedback.tail = "\n"
    return _xml_bytes(root)


# ---------------------------------------------------------------- import

class _Package:
    """The zip's files, read with a size limit, and the images found so far."""

    def __init__(self, raw: bytes, name: str) -> None:
        self.name = name
        self.media: dict[str, tuple[str, bytes]] = {}
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
        except zipfile.BadZipFile as exc:
            raise ImportRejected([Problem(name, f"not a readable zip archive ({exc})")]) from exc
        total = sum(i.file_size for i in archive.infolist())
        if total > MAX_UNPACKED:
            raise ImportRejected([Problem(name, f"the package unpacks to {total} bytes, over "
                                          f"the limit of {MAX_UNPACKED}")])
        self.archive = archive
        self.names = set(archive.namelist())

    def read(self, member: str) -> bytes | None:
        if member not in self.names:
            return None
        try:
            return self.archive.read(member)
        except (zipfile.BadZipFile, OSError, ValueError):
            return None


def read_qti(path: Path) -> BankFile:
    """Read a QTI 2.1 content package; ImportRejected lists every problem at once."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRejected([Problem(name, f"cannot read the file ({exc.strerror})")]) from exc
    if not raw.startswith(b"PK\x03\x04"):
        kind = sniff_other_format(raw, "a QTI package")
        raise ImportRejected([Problem(name, (kind or "this is not a zip archive") +
                                      "; a QTI 2.1 package is a .zip with imsmanifest.xml")])
    package = _Package(raw, name)
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
