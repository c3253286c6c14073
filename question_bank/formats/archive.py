"""Zip containers (XLSX workbooks, QTI packages) opened with limits, damage named by member.

A zip is refused whole when it cannot be opened, when its members unpack to more than
:data:`MAX_UNPACKED` bytes, or when a member cannot be read back (a bad checksum, a broken
or cut-off deflate stream, encryption, an unknown compression method): the problem names
the file and the member, ``soal.xlsx: the file is damaged (xl/worksheets/sheet1.xml: …)``.
:func:`check_members` reads every member back and streams each XML member through expat
without building a tree, so that a truncated worksheet is named before a third-party reader
stumbles on it, and refuses any DOCTYPE (hence any ENTITY declaration), as QTI import does.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.parsers import expat

from question_bank.errors import ImportRejected, Problem
from question_bank.formats.qti_markup import DOCTYPE_REFUSED

#: The most bytes the members of an imported zip may unpack to (512 MiB).
MAX_UNPACKED = 512 * 1024 * 1024

#: What reading a damaged member raises.
MEMBER_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
    NotImplementedError)

_XML_SUFFIXES = (".xml", ".rels")
_CHUNK = 1 << 20


def damaged(file: str, member: str | None, detail: object) -> ImportRejected:
    """The refusal of a damaged zip ``file``, naming the ``member`` when known."""
    where = f"{member}: {detail}" if member else str(detail)
    return ImportRejected([Problem(file, f"the file is damaged ({where}); save or export it "
                                         "again from the program that made it")])


def open_zip(raw: bytes, file: str, what: str) -> zipfile.ZipFile:
    """Open the zip ``raw`` (the bytes of ``file``, a ``what``) within the unpacked limit.

    Raises
    ------
    ImportRejected
        Not a readable zip, or its members' sizes add up to more than :data:`MAX_UNPACKED`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ImportRejected([Problem(file, f"not a readable {what} ({exc})")]) from exc
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED:
        archive.close()
        raise ImportRejected([Problem(file, f"the file unpacks to {total} bytes, over the "
                                            f"limit of {MAX_UNPACKED} bytes")])
    return archive


def read_member(archive: zipfile.ZipFile, member: str, file: str) -> bytes:
    """The bytes of ``member``; ImportRejected naming ``file`` and the member if damaged."""
    try:
        return archive.read(member)
    except MEMBER_ERRORS as exc:
        raise damaged(file, member, exc) from exc


class _Doctype(Exception):
    """Raised from expat's DOCTYPE handler to stop at the declaration."""


def _refuse_doctype(*_args: object) -> None:
    raise _Doctype


def check_members(archive: zipfile.ZipFile, file: str) -> None:
    """Read every member back; ``.xml``/``.rels`` ones must be well-formed, without DOCTYPE.

    Raises
    ------
    ImportRejected
        The first member that is damaged, not well-formed or declares a DOCTYPE, by name.
    """
    for info in archive.infolist():
        if info.is_dir():
            continue
        parser = None
        if info.filename.lower().endswith(_XML_SUFFIXES):
            parser = expat.ParserCreate()
            parser.StartDoctypeDeclHandler = _refuse_doctype
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    if parser is not None:
                        parser.Parse(chunk, False)
            if parser is not None:
                parser.Parse(b"", True)
        except _Doctype:
            raise ImportRejected([Problem(file, f"{info.filename} {DOCTYPE_REFUSED}")]) from None
        except expat.ExpatError as exc:
            raise damaged(file, info.filename, f"not well-formed XML (line {exc.lineno}, "
                                               f"column {exc.offset})") from None
        except MEMBER_ERRORS as exc:
            raise damaged(file, info.filename, exc) from exc
