"""QTI 2.1 content packages: ``choiceInteraction`` items in a zip with ``imsmanifest.xml``.

Each item is one ``assessmentItem`` file (``items/<id>.xml``); its options are the
``simpleChoice`` elements, whose identifiers are the labels A–E, and the points per option
are ``responseDeclaration/mapping/mapEntry`` (``mapKey`` = choice identifier,
``mappedValue`` = points). Images are files in the zip (``media/<sha256>.<ext>``).

What QTI has no place for (section, topic, difficulty, status, author, IRT) travels in the
manifest: each item resource's ``<metadata>`` holds ``<seleksi:item section=… topic=…/>`` in
the namespace ``urn:seleksi:bank:1``. See ``docs/bank-formats.md``. This module writes
packages (deterministically: fixed zip timestamps and order);
:mod:`question_bank.formats.qti_read` reads them.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET  # noqa: S405 - only used to build XML here
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from question_bank.errors import BankError
from question_bank.formats.base import extension_for, item_texts, used_media
from question_bank.formats.qti_markup import check_xml_text, write_blocks, write_inline
from question_bank.model import Item

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_NAMESPACES = (QTI_NS, "http://www.imsglobal.org/xsd/imsqti_v2p2")
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
SELEKSI_NS = "urn:seleksi:bank:1"
TOOL = "Seleksi"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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
