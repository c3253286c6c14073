"""Turn read tables into a key table, a roster and a batch of sheets, refusing bad rows.

Every refusal names the file, the row and the reason (:class:`InputError`).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from scoring.exceptions import InputError
from scoring.files import Rows, Table
from scoring.keytable import KeyTable, build_key
from scoring.results import Roster
from scoring.scheme import Scheme

INTEGER = re.compile(r"[+-]?[0-9]+(?:\.0*)?")


def parse_int(text: str, where: str, what: str) -> int:
    """The one integer parser of every input file: ``5``, ``-3`` or ``5.0`` (as a
    spreadsheet may write a whole number); ``InputError`` naming ``where`` for anything
    else (``2.5``, ``1e3``, empty)."""
    cell = text.strip()
    if not INTEGER.fullmatch(cell):
        raise InputError(f"{where}: {what} must be an integer, got {text!r}")
    return int(cell.split(".")[0])


def formations_from_table(formations: Table) -> tuple[list[str], list[int]]:
    """``formation,quota``: names in file order and their quota (a non-negative integer).

    Raises
    ------
    InputError
        An empty name, a formation twice, a quota that is not a whole number or negative.
    """
    fcols = formations.columns("formation", "quota")
    names: list[str] = []
    quota: list[int] = []
    first: dict[str, int] = {}
    for n, row in formations.rows:
        at = f"{formations.name} row {n}"
        name = row[fcols["formation"]]
        if not name:
            raise InputError(f"{at}: formation is empty")
        if name in first:
            raise InputError(f"{at}: formation {name!r} appears twice (first at row "
                             f"{first[name]})")
        first[name] = n
        q = parse_int(row[fcols["quota"]], at, "quota")
        if q < 0:
            raise InputError(f"{at}: quota must not be negative, got {q}")
        names.append(name)
        quota.append(q)
    return names, quota


def key_from_table(scheme: Scheme, table: Table) -> KeyTable:
    """``item_id,section,A,B,C,D,E``: the points each option gives.

    A cell is empty for an option the item's section does not have (``E`` in a
    four-option PPPK section); ``0`` there is accepted too.
    """
    labels = list(dict.fromkeys(o for s in scheme.sections for o in s.options))
    cols = table.columns("item_id", "section", *labels)
    ids: list[str] = []
    sections: list[str] = []
    points: list[dict[str, int]] = []
    where: list[str] = []
    for n, row in table.rows:
        at = f"{table.name} row {n}"
        iid, code = row[cols["item_id"]], row[cols["section"]]
        if not iid:
            raise InputError(f"{at}: item_id is empty")
        pts: dict[str, int] = {}
        own = scheme.section(code).options if code in scheme.section_codes else labels
        for label in labels:
            cell = row[cols[label]]
            if cell == "" or (label not in own and cell in ("0", "0.0")):
                continue
            pts[label] = parse_int(cell, at, f"points of option {label}")
        ids.append(iid)
        sections.append(code.upper())
        points.append(pts)
        where.append(at)
    if not ids:
        raise InputError(f"{table.name}: no items in the key")
    return build_key(scheme, ids, sections, points, where)


def roster_from_tables(scheme: Scheme, candidates: Table, formations: Table) -> Roster:
    """``participant,name,formation,category,status`` and ``formation,quota``.

    ``status`` is empty or ``DIS``; a category is read without regard to case and an
    empty one counts as ``umum``; the roster keeps the normalised name.
    """
    names, quota = formations_from_table(formations)
    findex = {f: i for i, f in enumerate(names)}
    ccols = candidates.columns("participant", "formation", "category",
                               optional=("name", "status"))
    pids: list[str] = []
    seen: dict[str, int] = {}
    given: list[str] = []
    form: list[int] = []
    cat: list[int] = []
    dis: list[bool] = []
    for n, row in candidates.rows:
        at = f"{candidates.name} row {n}"
        pid = row[ccols["participant"]]
        if not pid:
            raise InputError(f"{at}: participant is empty")
        if pid in seen:
            raise InputError(f"{at}: participant {pid!r} appears twice (first at row "
                             f"{seen[pid]})")
        seen[pid] = n
        f = row[ccols["formation"]]
        if f not in findex:
            raise InputError(f"{at}: formation {f!r} has no quota in {formations.name}")
        category = row[ccols["category"]]
        c = (category or "umum").strip().lower()
        if c not in scheme.categories:
            raise InputError(f"{at}: unknown category {category!r} for {scheme.id} "
                             f"(known: {', '.join(scheme.categories)})")
        status = row[ccols["status"]].upper() if "status" in ccols else ""
        if status not in ("", "DIS"):
            raise InputError(f"{at}: status must be empty or DIS, got "
                             f"{row[ccols['status']]!r}")
        pids.append(pid)
        given.append(c)
        form.append(findex[f])
        cat.append(scheme.categories.index(c))
        dis.append(status == "DIS")
    return Roster(participants=tuple(pids), categories_given=tuple(given),
                  formation=np.asarray(form, dtype=np.int32),
                  category=np.asarray(cat, dtype=np.int16),
                  disqualified=np.asarray(dis, dtype=bool),
                  formations=tuple(names), quota=np.asarray(quota, dtype=np.int32))


@dataclass(frozen=True, eq=False)
class Batch:
    """Sheets in roster order: ``items``, ``choices`` (see :mod:`scoring.sheets`), ``sat``.

    ``warnings`` lists papers whose section counts differ from the scheme (scored anyway).
    """

    items: NDArray[np.int32]
    choices: NDArray[np.int8]
    sat: NDArray[np.bool_]
    warnings: tuple[str, ...]


def batch_from_table(key: KeyTable, roster: Roster, table: Table,
                     key_name: str = "the key", roster_name: str = "the candidate list",
                     ) -> Batch:
    """:func:`read_batch` from a table already read whole."""
    cols = table.columns("participant", "item_id", "choice")
    return _batch(key, roster, table.name, cols, iter(table.rows), None, key_name,
                  roster_name)


def read_batch(key: KeyTable, roster: Roster, path: Path, key_name: str = "the key",
               roster_name: str = "the candidate list") -> Batch:
    """Stream ``participant,item_id,choice`` (CSV or XLSX) into a batch of sheets.

    One row per question given; an empty choice is blank, and so is a row that stops
    before the choice cell when ``choice`` is the last column (``p,item``). Rows go
    straight into integer arrays (participant, item and choice codes and the row number
    for messages): no row is kept as text.

    Raises
    ------
    InputError
        The first bad row, with file, row and reason: a participant not in the list, an
        unknown item, a choice the item does not have, a short row, or a participant and
        item twice.
    """
    with Rows(path) as rows:
        cols = rows.columns("participant", "item_id", "choice")
        return _batch(key, roster, rows.name, cols, iter(rows), rows, key_name, roster_name)


def _batch(key: KeyTable, roster: Roster, name: str, cols: dict[str, int],
           rows: Iterator[tuple[int, list[str]]], stream: Rows | None, key_name: str,
           roster_name: str) -> Batch:
    pc, ic, cc = cols["participant"], cols["item_id"], cols["choice"]
    width = 1 + max(pc, ic, cc)
    optional_last = stream is not None and cc == len(stream.header) - 1
    pindex = {p: i for i, p in enumerate(roster.participants)}
    pget, iget, cget = pindex.get, key.index.get, key.choice_codes.get
    part, item, number = array("q"), array("q"), array("q")
    choice = array("b")
    for n, row in rows:
        if stream is not None and len(row) != len(stream.header):
            row = stream.short_row(n, row, optional_last)
        elif len(row) < width:
            raise InputError(f"{name} row {n}: {len(row)} cell(s), the header has more")
        p, i, c = pget(row[pc]), iget(row[ic]), cget(row[cc])
        if p is None or i is None or c is None:
            p, i, c = _slow_row(key, name, n, row, (pc, ic, cc), pindex, key_name,
                                roster_name)
        part.append(p)
        item.append(i)
        choice.append(c)
        number.append(n)
    return _assemble(key, roster, name, np.frombuffer(part, dtype=np.int64),
                     np.frombuffer(item, dtype=np.int64),
                     np.frombuffer(choice, dtype=np.int8).copy(),
                     np.frombuffer(number, dtype=np.int64))


def _slow_row(key: KeyTable, name: str, n: int, row: list[str], at: tuple[int, int, int],
              pindex: dict[str, int], key_name: str, roster_name: str) -> tuple[int, int, int]:
    """A row the fast lookups missed: strip the cells and try again, or refuse it."""
    pc, ic, cc = at
    pid, iid, text = row[pc].strip(), row[ic].strip(), row[cc].strip()
    p, i, c = pindex.get(pid), key.index.get(iid), key.choice_codes.get(text)
    if p is None:
        raise InputError(f"{name} row {n}: participant {pid!r} is not in {roster_name}")
    if i is None:
        raise InputError(f"{name} row {n}: item {iid!r} is not in {key_name}")
    if c is None:
        raise InputError(f"{name} row {n}: choice {text!r} is not one of the options of "
                         f"item {iid!r} ({', '.join(_own(key, i))}, or empty for blank)")
    return p, i, c


def _own(key: KeyTable, i: int) -> list[str]:
    return [o for o, ok in zip(key.options, key.allowed[i], strict=True) if ok]


def _assemble(key: KeyTable, roster: Roster, name: str, part: NDArray[np.int64],
              item: NDArray[np.int64], choice: NDArray[np.int8],
              number: NDArray[np.int64]) -> Batch:
    valid = key.flat_valid[item * key.width + choice + 1]
    if not valid.all():
        r = int(np.flatnonzero(~valid)[0])
        i = int(item[r])
        raise InputError(f"{name} row {int(number[r])}: choice "
                         f"{key.options[int(choice[r])]!r} is not one of the options of item "
                         f"{key.item_ids[i]!r} ({', '.join(_own(key, i))}, or empty for blank)")
    m = part.size
    pair = part * (key.sentinel + 1) + item
    order = np.argsort(pair, kind="stable")
    dup = np.flatnonzero(pair[order][1:] == pair[order][:-1])
    if dup.size:
        first, again = order[dup[0]], order[dup[0] + 1]
        raise InputError(f"{name} row {int(number[again])}: participant "
                         f"{roster.participants[int(part[again])]!r} and item "
                         f"{key.item_ids[int(item[again])]!r} appear twice (first at row "
                         f"{int(number[first])})")
    n = len(roster.participants)
    counts = np.bincount(part, minlength=n)
    width = int(counts.max(initial=0))
    items = np.full((n, width), key.sentinel, dtype=np.int32)
    choices = np.full((n, width), -1, dtype=np.int8)
    by_part = np.argsort(part, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sp = part[by_part]
    pos = np.arange(m) - starts[sp]
    items[sp, pos] = item[by_part]
    choices[sp, pos] = choice[by_part]
    return Batch(items=items, choices=choices, sat=counts > 0,
                 warnings=_paper_warnings(key, roster, items, counts > 0))


def _paper_warnings(key: KeyTable, roster: Roster, items: NDArray[np.int32],
                    sat: NDArray[np.bool_]) -> tuple[str, ...]:
    scheme = key.scheme
    s = len(scheme.sections)
    sec = key.section[items].astype(np.int64)
    rows = np.repeat(np.arange(items.shape[0]), items.shape[1])
    flat = sec.ravel()
    keep = flat >= 0
    counts = np.bincount(rows[keep] * s + flat[keep], minlength=items.shape[0] * s)
    counts = counts.reshape(-1, s)
    want = np.array([x.questions for x in scheme.sections])
    odd = np.flatnonzero(sat & (counts != want).any(axis=1))
    if odd.size == 0:
        return ()
    i = int(odd[0])
    got = ", ".join(f"{c} {int(k)}" for c, k in zip(scheme.section_codes, counts[i],
                                                     strict=True))
    return (f"{odd.size} paper(s) differ from {scheme.id}'s section counts "
            f"(e.g. {roster.participants[i]}: {got}); scored as given",)
