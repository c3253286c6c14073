"""What one session's sealed payload holds, and the checks of its papers.

The plaintext is zlib-compressed canonical JSON::

    {"format": "seleksi-session/1", "exam": <exam id>, "session": <session id>,
     "items":  [{"ref": "TIU-0042@3", "version": 3, "content_hash": <hex>,
                 "content": <Item.content()>}, ...]            # sorted by ref
     "papers": [{"participant": "2411...", "items": [i1, i2, ...],   # indexes into "items"
                 "options": "CAEBDBADCE..."}, ...],            # option orders, concatenated
     "media":  {<sha256 hex>: {"type": <mime>, "data": <base64>}, ...}}  # images the items use

``docs/sealed-package.md`` has the details.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from question_bank.blueprint import cell_members
from question_bank.errors import SealError
from question_bank.model import ItemVersion, canonical_json, check_item, item_from_content
from question_bank.papers import Paper
from question_bank.sealing_format import PAYLOAD_FORMAT, Manifest, SessionEntry

ZLIB_LEVEL = 1  # level 6 takes 8x the time for 14 % less size
MAX_LISTED = 10


@dataclass(frozen=True)
class DecodedSession:
    """A decrypted, checked session payload in compact form."""

    items: tuple[ItemVersion, ...]
    participants: tuple[str, ...]
    papers: NDArray[np.int64]
    options: tuple[str, ...]
    media: dict[str, tuple[str, bytes]]


def encode_payload(exam_id: str, session_id: str, versions: Sequence[ItemVersion],
                   papers: Sequence[Paper], media: Mapping[str, tuple[str, bytes]]) -> bytes:
    """Compressed plaintext of one session; ``versions`` are the items used, sorted by ref.

    ``media`` must hold every image the items refer to (sha256 -> (mime, bytes)); only those
    images go into the payload.
    """
    used = sorted({h for v in versions for h in v.item.image_refs()})
    missing = [h for h in used if h not in media]
    if missing:
        raise SealError(f"session {session_id}: the bank holds no image {missing[0]} that an "
                        f"item of the paper refers to; import the image with its item")
    index = {v.ref: i for i, v in enumerate(versions)}
    data = {
        "format": PAYLOAD_FORMAT, "exam": exam_id, "session": session_id,
        "items": [{"ref": v.ref, "version": v.version, "content_hash": v.item.content_hash,
                   "content": v.item.content()} for v in versions],
        "papers": [{"participant": p.participant, "items": [index[r] for r in p.refs],
                    "options": "".join(p.option_orders)} for p in papers],
        "media": {h: {"type": media[h][0], "data": base64.b64encode(media[h][1]).decode()}
                  for h in used},
    }
    return zlib.compress(canonical_json(data), ZLIB_LEVEL)


def _fail(where: str, problems: list[str]) -> None:
    if problems:
        more = len(problems) - MAX_LISTED
        lines = problems[:MAX_LISTED] + ([f"... and {more} more"] if more > 0 else [])
        raise SealError(f"{where}: " + "; ".join(lines))


def decode_session(plain: bytes, manifest: Manifest, entry: SessionEntry) -> DecodedSession:
    """Decompress, parse and check one session's plaintext against the manifest.

    Checks: every item's ref, content hash and answer key under the scheme's section
    rule; the participants are exactly the roster's for the session; every paper follows
    the blueprint (sections in order, cell counts), repeats no item, and its option orders
    are permutations of each item's option labels.

    Raises
    ------
    SealError
        ``session <id> ...: reason`` listing the problems found.
    """
    where = f"session {entry.id}"
    try:
        data: dict[str, Any] = json.loads(zlib.decompress(plain))
        raw_items, raw_papers = data["items"], data["papers"]
        if (data["format"], data["exam"], data["session"]) != (
                PAYLOAD_FORMAT, manifest.exam_id, entry.id):
            raise SealError(f"{where} payload: belongs to exam {data['exam']!r} session "
                            f"{data['session']!r}, format {data['format']!r}")
        items = tuple(_item(raw, manifest, where) for raw in raw_items)
        participants = tuple(str(p["participant"]) for p in raw_papers)
        rows = [p["items"] for p in raw_papers]
        options = tuple(str(p["options"]) for p in raw_papers)
        media = {str(h): (str(m["type"]), base64.b64decode(m["data"], validate=True))
                 for h, m in data["media"].items()}
    except SealError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, zlib.error,
            binascii.Error) as exc:
        raise SealError(f"{where} payload: not a valid session payload ({exc!r})") from exc
    counted = Counter(v.ref for v in items)
    problems = [f"item {r} appears twice" for r in sorted(r for r, n in counted.items() if n > 1)]
    problems += [f"image {h} does not match its SHA-256" for h, (_m, b) in sorted(media.items())
                 if hashlib.sha256(b).hexdigest() != h]
    problems += [f"{v.ref} refers to image {h}, which the payload does not hold"
                 for v in items for h in v.item.image_refs() if h not in media]
    _fail(f"{where} items", problems)
    _check_roster(manifest, entry, participants, len(items))
    questions = manifest.blueprint.questions
    bad = [f"paper {participants[i]} has {len(r)} questions, the blueprint {questions}"
           for i, r in enumerate(rows) if len(r) != questions]
    _fail(f"{where} papers", bad)
    papers = np.array(rows, dtype=np.int64).reshape(len(rows), questions)
    if papers.size and (papers.min() < 0 or papers.max() >= len(items)):
        _fail(f"{where} papers", ["an item index is outside the session's item list"])
    _fail(f"{where} papers", _check_papers(manifest, items, participants, papers, options))
    return DecodedSession(items, participants, papers, options, media)


def _item(raw: dict[str, Any], manifest: Manifest, where: str) -> ItemVersion:
    item = item_from_content(raw["content"], status="approved")
    version = ItemVersion(item, int(raw["version"]))
    if version.ref != raw["ref"]:
        raise SealError(f"{where} items: {raw['ref']} holds the content of {version.ref}")
    if item.content_hash != raw["content_hash"]:
        raise SealError(f"{where} items: {version.ref}: content does not match its hash")
    problems = check_item(item, {s.code: s for s in manifest.scheme_sections})
    if problems:
        raise SealError(f"{where} items: {version.ref}: " +
                        "; ".join(f"{f}: {r}" for f, r in problems))
    return version


def _check_roster(manifest: Manifest, entry: SessionEntry, participants: tuple[str, ...],
                  n_items: int) -> None:
    expected = [r.participant for r in manifest.roster if r.session == entry.id]
    problems = []
    if len(set(participants)) != len(participants):
        problems.append("a participant has two papers")
    missing = sorted(set(expected) - set(participants))
    extra = sorted(set(participants) - set(expected))
    problems += [f"no paper for {p}" for p in missing[:MAX_LISTED]]
    problems += [f"paper for {p}, who is not on the roster of the session" for p in extra]
    if len(participants) != entry.participants or n_items != entry.items:
        problems.append(f"holds {len(participants)} papers and {n_items} items, the manifest "
                        f"says {entry.participants} and {entry.items}")
    _fail(f"session {entry.id} roster", problems)


def _check_papers(manifest: Manifest, items: Sequence[ItemVersion],
                  participants: Sequence[str], papers: NDArray[np.int64],
                  options: Sequence[str]) -> list[str]:
    blueprint = manifest.blueprint
    problems: list[str] = []
    if not len(participants):
        return problems
    cells = blueprint.cells
    item_cell = np.full(len(items), -1, dtype=np.int64)
    for c, members in enumerate(cell_members(blueprint, items)):
        item_cell[members] = c
    codes = [s.code for s in blueprint.sections]
    item_section = np.array([codes.index(v.item.section) if v.item.section in codes else -1
                             for v in items], dtype=np.int64)
    wanted_section = np.repeat(np.arange(len(codes)), [s.count for s in blueprint.sections])
    for p in np.nonzero((item_section[papers] != wanted_section).any(axis=1))[0].tolist():
        problems.append(f"paper {participants[p]}: a question is outside its blueprint section")
    in_cell = item_cell[papers]
    for p in np.nonzero((in_cell < 0).any(axis=1))[0].tolist():
        problems.append(f"paper {participants[p]}: an item fits no blueprint cell")
    flat = (in_cell + 1) + np.arange(len(papers))[:, None] * (len(cells) + 1)
    counts = np.bincount(flat.ravel(), minlength=len(papers) * (len(cells) + 1))
    counts = counts.reshape(len(papers), len(cells) + 1)[:, 1:]
    wanted = np.array([c.count for c in cells], dtype=np.int64)
    for p in np.nonzero((counts != wanted).any(axis=1))[0].tolist():
        problems.append(f"paper {participants[p]}: cell counts differ from the blueprint")
    ordered = np.sort(papers, axis=1)
    for p in np.nonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))[0].tolist():
        problems.append(f"paper {participants[p]}: an item appears twice")
    problems += _check_options(items, participants, papers, options)
    return problems


def _check_options(items: Sequence[ItemVersion], participants: Sequence[str],
                   papers: NDArray[np.int64], options: Sequence[str]) -> list[str]:
    labels = ["".join(o.label for o in v.item.options) for v in items]
    n_opt = np.array([len(x) for x in labels], dtype=np.int64)
    cmax = int(n_opt.max()) if len(items) else 0
    lengths = n_opt[papers].sum(axis=1)
    actual = np.array([len(o) for o in options], dtype=np.int64)
    bad = np.nonzero(lengths != actual)[0].tolist()
    problems = [f"paper {participants[p]}: option orders have the wrong length" for p in bad]
    if problems or cmax == 0:
        return problems
    text = np.frombuffer("".join(options).encode("utf-32-le"), dtype=np.uint32)
    sorted_labels = np.zeros((len(items), cmax), dtype=np.uint32)
    for i, lab in enumerate(labels):
        sorted_labels[i, cmax - len(lab):] = sorted(ord(ch) for ch in lab)
    counts = n_opt[papers].ravel()
    starts = np.cumsum(counts) - counts
    offsets = np.arange(cmax)
    take = np.minimum(starts[:, None] + offsets, len(text) - 1)
    shown = np.where(offsets < counts[:, None], text[take], 0)
    shown.sort(axis=1)
    wrong = (shown != sorted_labels[papers.ravel()]).any(axis=1).reshape(papers.shape)
    for p in np.nonzero(wrong.any(axis=1))[0].tolist():
        problems.append(f"paper {participants[p]}: an option order is not a permutation of "
                        f"the item's options")
    return problems


def session_papers(decoded: DecodedSession, sections: Sequence[str]) -> dict[str, Paper]:
    """The decoded papers as :class:`Paper` objects, by participant."""
    refs = np.array([v.ref for v in decoded.items], dtype=object)
    n_opt = np.array([len(v.item.options) for v in decoded.items], dtype=np.int64)
    out = {}
    for p, row, text in zip(decoded.participants, decoded.papers, decoded.options, strict=True):
        ends = np.cumsum(n_opt[row]).tolist()
        orders = [text[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        out[p] = Paper.compact(p, refs[row].tolist(), orders, sections)
    return out
