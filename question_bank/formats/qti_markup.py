"""Seleksi stem markup to QTI XHTML and back, and XML parsing that refuses entity tricks.

Markup (``docs/bank-formats.md``): blocks separated by a blank line; a block whose every
line is ``| a | b |`` is a table (first row header); elsewhere ``**strong**``, ``*emphasis*``,
``![alt](sha256:<hex>)`` images and single newlines (``<br/>``).

Our own export is lossless: each block is converted, read back, and if the reading differs
from the original (unusual spacing, stray asterisks) the block is written again as plain
text with only images and line breaks marked up. Reading a package we wrote (``toolName``
``Seleksi``) keeps text exactly; reading a foreign package collapses white space the way a
browser shows it.

XML is parsed by :func:`parse_xml` with :mod:`xml.etree.ElementTree` after refusing any
DOCTYPE or ENTITY declaration (so no external entities and no entity expansion bombs) and
any encoding other than UTF-8 (so the check sees what the parser reads).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - guarded by parse_xml below
from collections.abc import Callable

#: Turns an image's ``src`` and alt text into markup (``![alt](sha256:…)``).
ImageReader = Callable[[str, str], str]

_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']")
_DANGER = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_RICH = re.compile(r"\*\*(.+?)\*\*|\*([^*\n]+?)\*|!\[([^\]\n]*)\]\(sha256:([0-9a-f]{64})\)")
_PLAIN = re.compile(r"()()!\[([^\]\n]*)\]\(sha256:([0-9a-f]{64})\)")
BLOCK_TAGS = {"p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
              "ul", "ol", "dl", "li", "hr", "choiceInteraction", "prompt"}


#: Why an XML document with a DTD is refused (its name goes before this).
DOCTYPE_REFUSED = ("holds a DOCTYPE or ENTITY declaration, which is refused (entity expansion "
                   "and external entities); remove it")


class XmlRefused(ValueError):
    """An XML document was malformed or refused; the message says why."""


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    """An element's namespace URI (``""`` if none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def parse_xml(raw: bytes) -> ET.Element:
    """Parse UTF-8 XML bytes, refusing DOCTYPE and ENTITY declarations.

    Raises
    ------
    XmlRefused
        Not UTF-8, another declared encoding, a DOCTYPE/ENTITY declaration, or not
        well-formed (the message gives line and column).
    """
    declared = _DECL_ENCODING.match(raw.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise XmlRefused(f"declares encoding {declared.group(1).decode('ascii', 'replace')}; "
                         "only UTF-8 XML is read")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise XmlRefused(f"not UTF-8 (byte {exc.start})") from None
    if _DANGER.search(text):
        raise XmlRefused(DOCTYPE_REFUSED)
    try:
        return ET.fromstring(raw.removeprefix(b"\xef\xbb\xbf"))  # noqa: S314 - guarded above
    except ET.ParseError as exc:
        line, col = exc.position
        raise XmlRefused(f"not well-formed XML (line {line}, column {col})") from None


def check_xml_text(text: str) -> bool:
    """Whether ``text`` can be stored in XML 1.0 (no control characters but tab/newlines)."""
    return not _XML_ILLEGAL.search(text)


def _append_text(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def write_inline(parent: ET.Element, text: str, rich: bool, image_src: Callable[[str], str],
                 ) -> None:
    """Append ``text`` as inline XHTML to ``parent`` (line breaks as ``<br/>``)."""
    pattern = _RICH if rich else _PLAIN
    pos = 0
    for m in pattern.finditer(text):
        _write_lines(parent, text[pos:m.start()])
        strong, em, alt, digest = m.groups()
        if digest is not None:
            ET.SubElement(parent, "img", {"src": image_src(digest), "alt": alt})
        else:
            child = ET.SubElement(parent, "strong" if strong is not None else "em")
            _write_lines(child, strong if strong is not None else em)
        pos = m.end()
    _write_lines(parent, text[pos:])


def _write_lines(parent: ET.Element, text: str) -> None:
    for i, line in enumerate(text.split("\n")):
        if i:
            ET.SubElement(parent, "br")
        _append_text(parent, line)


def read_inline(elem: ET.Element, exact: bool, image: ImageReader) -> str:
    """The markup of an element's inline content (text, ``em``, ``strong``, ``img``, ``br``)."""
    parts = [_ws(elem.text, exact)]
    for child in elem:
        tag = local(child.tag)
        if tag == "br":
            parts.append("\n")
        elif tag == "img":
            parts.append(image(child.get("src", ""), child.get("alt", "")))
        elif tag in ("em", "i"):
            parts.append(f"*{read_inline(child, exact, image)}*")
        elif tag in ("strong", "b"):
            parts.append(f"**{read_inline(child, exact, image)}**")
        else:
            parts.append(read_inline(child, exact, image))
        parts.append(_ws(child.tail, exact))
    out = "".join(parts)
    if not exact:
        out = "\n".join(line.strip() for line in out.split("\n"))
    return out


def _ws(text: str | None, exact: bool) -> str:
    if not text:
        return ""
    return text if exact else re.sub(r"\s+", " ", text)


def _table_rows(block: str) -> list[list[str]] | None:
    lines = block.split("\n")
    if not all(len(ln) >= 2 and ln.startswith("|") and ln.endswith("|") for ln in lines):
        return None
    return [[c.strip() for c in ln[1:-1].split("|")] for ln in lines]


def _table_markup(rows: list[list[str]]) -> str:
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def write_blocks(parent: ET.Element, text: str, image_src: Callable[[str], str],
                 image_back: ImageReader) -> None:
    """Append ``text`` as block XHTML (``p``, ``table``) to ``parent``, losslessly.

    ``image_back`` must invert ``image_src`` (it is used to check each block reads back).
    """
    for block in text.split("\n\n"):
        elem = _write_table(block, image_src) if block else None
        if elem is None or _read_table(elem, True, image_back) != block:
            elem = ET.Element("p")
            write_inline(elem, block, True, image_src)
            if read_inline(elem, True, image_back) != block:
                elem = ET.Element("p")
                write_inline(elem, block, False, image_src)
        elem.tail = "\n"
        parent.append(elem)


def _write_table(block: str, image_src: Callable[[str], str]) -> ET.Element | None:
    rows = _table_rows(block)
    if rows is None:
        return None
    table = ET.Element("table")
    for i, cells in enumerate(rows):
        group = ET.SubElement(table, "thead" if i == 0 else "tbody") if i < 2 else table[-1]
        tr = ET.SubElement(group, "tr")
        for cell in cells:
            write_inline(ET.SubElement(tr, "th" if i == 0 else "td"), cell, True, image_src)
    return table


def _read_table(table: ET.Element, exact: bool, image: ImageReader) -> str:
    rows = [[read_inline(cell, exact, image).strip() for cell in tr
             if local(cell.tag) in ("th", "td")]
            for tr in table.iter() if local(tr.tag) == "tr"]
    return _table_markup(rows)


def read_blocks(container: ET.Element, exact: bool, image: ImageReader,
                skip: Callable[[ET.Element], bool] = lambda e: False) -> list[str]:
    """The markup blocks of a container's content, in order.

    Block children become blocks; loose text and inline children between them are gathered
    into one paragraph. A ``choiceInteraction`` contributes only its ``prompt``; elements for
    which ``skip`` is true are left out.
    """
    blocks: list[str] = []
    loose = ET.Element("p")
    loose.text = container.text

    def flush() -> None:
        nonlocal loose
        if (loose.text or "").strip() or len(loose):
            text = read_inline(loose, exact, image)
            blocks.append(text if exact else text.strip())
        loose = ET.Element("p")

    for child in container:
        tag = local(child.tag)
        if skip(child):
            _append_text(loose, child.tail or "")
            continue
        if tag not in BLOCK_TAGS:
            loose.append(child)  # read with its tail by read_inline
            continue
        flush()
        if tag == "table":
            blocks.append(_read_table(child, exact, image))
        elif tag in ("div", "blockquote", "ul", "ol", "dl"):
            blocks += read_blocks(child, exact, image, skip)
        elif tag == "choiceInteraction":
            blocks += [read_inline(p, exact, image) for p in child if local(p.tag) == "prompt"]
        elif tag != "hr":
            blocks.append(read_inline(child, exact, image))
        loose.text = child.tail
    flush()
    return blocks if exact else [b for b in blocks if b.strip()]
