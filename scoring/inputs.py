"""Turn read tables into a key table, a roster and a batch of sheets, refusing bad rows.

Every refusal names the file, the row and the reason (:class:`InputError`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.exceptions import InputError
from scoring.files import Table
from scoring.keytable import KeyTable, build_key
from scoring.results import Roster
from scoring.scheme import Scheme


def parse_int(text: str, where: str, what: str) -> int:
    """An integer cell (``5`` or ``5.0``); ``InputError`` naming ``where`` otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise InputError(f"{where}: {what} must be an integer, got {text!r}")
    return int(value)


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

    ``status`` is empty or ``DIS``; an empty category counts as ``umum``.
    """
    fcols = formations.columns("formation", "quota")
    names: list[str] = []
    quota: list[int] = []
    for n, row in formations.rows:
        at = f"{formations.name} row {n}"
        name = row[fcols["formation"]]
        if not name:
            raise InputError(f"{at}: formation is empty")
        if name in names:
            raise InputError(f"{at}: formation {name!r} appears twice")
        q = parse_int(row[fcols["quota"]], at, "quota")
        if q < 0:
            raise InputError(f"{at}: quota must not be negative, got {q}")
        names.append(name)
        quota.append(q)
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
        given.append(category)
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
    """``participant,item_id,choice``: one row per question given; empty choice = blank."""
    cols = table.columns("participant", "item_id", "choice")
    pindex = {p: i for i, p in enumerate(roster.participants)}
    labels = {"": -1} | {o: i for i, o in enumerate(key.options)}
    labels |= {o.lower(): i for i, o in enumerate(key.options)}
    pc, ic, cc = cols["participant"], cols["item_id"], cols["choice"]
    m = len(table.rows)
    part = np.empty(m, dtype=np.int64)
    item = np.empty(m, dtype=np.int64)
    choice = np.empty(m, dtype=np.int8)
    for r, (n, row) in enumerate(table.rows):
        p, iid, ch = pindex.get(row[pc]), key.index.get(row[ic]), labels.get(row[cc])
        if p is None:
            raise InputError(f"{table.name} row {n}: participant {row[pc]!r} is not in "
                             f"{roster_name}")
        if iid is None:
            raise InputError(f"{table.name} row {n}: item {row[ic]!r} is not in {key_name}")
        if ch is None or (ch >= 0 and not key.allowed[iid, ch]):
            own = [o for o, ok in zip(key.options, key.allowed[iid], strict=True) if ok]
            raise InputError(f"{table.name} row {n}: choice {row[cc]!r} is not one of the "
                             f"options of item {row[ic]!r} ({', '.join(own)}, or empty for blank)")
        part[r], item[r], choice[r] = p, iid, ch
    n_items = key.sentinel + 1
    pair = part * n_items + item
    order = np.argsort(pair, kind="stable")
    dup = np.flatnonzero(pair[order][1:] == pair[order][:-1])
    if dup.size:
        first, again = order[dup[0]], order[dup[0] + 1]
        raise InputError(f"{table.name} row {table.rows[again][0]}: participant "
                         f"{table.rows[again][1][pc]!r} and item {table.rows[again][1][ic]!r} "
                         f"appear twice (first at row {table.rows[first][0]})")
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
