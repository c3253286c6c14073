"""Deterministic papers: which items, in which order, with which option order, per participant.

A paper is a pure function of (exam seed, participant number, blueprint, bank snapshot),
computed through the keyed stream of :mod:`question_bank.stream`. ``docs/papers.md``
specifies the algorithm exactly, with test vectors, so that anyone can rebuild a paper
without this code.

:func:`build_papers` is the batch form (numpy across participants, pool permutations
computed once per round); :func:`build_paper` calls it with one participant, so both forms
share one algorithm.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, dataclass

import numpy as np
from numpy.typing import NDArray

from question_bank.blueprint import Blueprint, Cell, approved, cell_members, check_blueprint
from question_bank.errors import BankError
from question_bank.model import ItemVersion, canonical_json
from question_bank.stream import Indices, fisher_yates, permutations, shuffle_rows, words_batch

INT64_SAFE = 2**62
MAX_TABLE_OPTIONS = 8


@dataclass(frozen=True)
class PaperQuestion:
    """Question ``number`` (1-based) of a paper: the item version and its option order.

    ``option_order`` lists the item's original option labels in display order: ``"CAEBD"``
    means the candidate's A is the item's C, the candidate's B the item's A, and so on.
    """

    number: int
    ref: str
    section: str
    option_order: str


class Paper:
    """One participant's paper: questions in order, numbered 1..N.

    Immutable, and behaves like a frozen dataclass with the fields ``participant`` and
    ``questions``. A paper from :func:`build_papers` keeps the compact form (refs,
    option orders) and builds its :class:`PaperQuestion` objects on first use, because
    10,000 papers hold over a million questions; :attr:`refs` and :attr:`option_orders`
    read the compact form without building them.
    """

    __slots__ = ("participant", "_questions", "_refs", "_orders", "_sections")
    participant: str
    _questions: tuple[PaperQuestion, ...] | None
    _refs: tuple[str, ...]
    _orders: tuple[str, ...]
    _sections: tuple[str, ...]

    def __init__(self, participant: str, questions: tuple[PaperQuestion, ...]) -> None:
        questions = tuple(questions)
        for i, q in enumerate(questions, 1):
            if q.number != i:
                raise ValueError(f"paper {participant}: question {i} is numbered {q.number}")
        self._set(participant, tuple(q.ref for q in questions),
                  tuple(q.option_order for q in questions),
                  tuple(q.section for q in questions), questions)

    @classmethod
    def compact(cls, participant: str, refs: Sequence[str], option_orders: Sequence[str],
                sections: Sequence[str]) -> Paper:
        """A paper from its compact form (question i+1 is ``refs[i]``, ``option_orders[i]``)."""
        if not len(refs) == len(option_orders) == len(sections):
            raise ValueError(f"paper {participant}: refs, option orders and sections differ "
                             f"in length")
        paper = cls.__new__(cls)
        paper._set(participant, tuple(refs), tuple(option_orders), tuple(sections), None)
        return paper

    def _set(self, participant: str, refs: tuple[str, ...], orders: tuple[str, ...],
             sections: tuple[str, ...], questions: tuple[PaperQuestion, ...] | None) -> None:
        for name, value in (("participant", participant), ("_refs", refs), ("_orders", orders),
                            ("_sections", sections), ("_questions", questions)):
            object.__setattr__(self, name, value)

    @property
    def questions(self) -> tuple[PaperQuestion, ...]:
        """The questions in order, numbered from 1."""
        if self._questions is None:
            built = tuple(map(PaperQuestion, range(1, len(self._refs) + 1), self._refs,
                              self._sections, self._orders))
            object.__setattr__(self, "_questions", built)
            return built
        return self._questions

    @property
    def refs(self) -> tuple[str, ...]:
        """The item version of each question, in question order."""
        return self._refs

    @property
    def option_orders(self) -> tuple[str, ...]:
        """The option order of each question, in question order."""
        return self._orders

    @property
    def sections(self) -> tuple[str, ...]:
        """The section of each question, in question order."""
        return self._sections

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        return (self.participant, self._refs, self._orders, self._sections)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Paper):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Paper(participant={self.participant!r}, questions={self.questions!r})"


class BankSnapshot:
    """The approved item versions a set of papers is drawn from, with the cell pools.

    Built once per exam: keeps the approved versions of ``pool`` (other statuses are
    dropped), checks that they fill ``blueprint`` (:func:`check_blueprint`), and
    precomputes each cell's pool sorted by item id.

    ``sha256`` is the SHA-256 (hex) of the canonical JSON of the list of
    ``[ref, content_hash]`` pairs of every approved version, sorted by ref.

    Raises
    ------
    BlueprintError
        A cell of the blueprint has too few approved items.
    BankError
        Two approved versions of the same item.
    """

    def __init__(self, pool: Sequence[ItemVersion], blueprint: Blueprint) -> None:
        versions = sorted(approved(pool), key=lambda v: v.item.id)
        seen: dict[str, str] = {}
        for v in versions:
            if v.item.id in seen:
                raise BankError(f"bank snapshot: item {v.item.id} is approved at two versions "
                                f"({seen[v.item.id]} and {v.ref}); retire one of them")
            seen[v.item.id] = v.ref
        check_blueprint(blueprint, versions)
        self.blueprint = blueprint
        self.versions: tuple[ItemVersion, ...] = tuple(versions)
        self.refs: tuple[str, ...] = tuple(v.ref for v in versions)
        self._index = {ref: i for i, ref in enumerate(self.refs)}
        self.cells: tuple[Cell, ...] = blueprint.cells
        self.cell_pools: tuple[Indices, ...] = tuple(
            np.array(m, dtype=np.intp) for m in cell_members(blueprint, versions))
        labels = ["".join(o.label for o in v.item.options) for v in versions]
        distinct = sorted(set(labels))
        self.label_sets: tuple[str, ...] = tuple(distinct)
        self.label_set_of: Indices = np.array([distinct.index(x) for x in labels]
                                              if len(distinct) > 1 else [0] * len(labels),
                                              dtype=np.intp)
        self.option_counts: Indices = np.array([len(x) for x in labels], dtype=np.intp)
        pairs = sorted([v.ref, v.item.content_hash] for v in versions)
        self.sha256: str = hashlib.sha256(canonical_json(pairs)).hexdigest()

    def __len__(self) -> int:
        return len(self.versions)

    def item(self, ref: str) -> ItemVersion:
        """The version named ``ref`` (``TIU-0042@3``); ``KeyError`` if not in the snapshot."""
        try:
            return self.versions[self._index[ref]]
        except KeyError:
            raise KeyError(f"{ref} is not an approved item version of this bank snapshot") \
                from None

    def index(self, ref: str) -> int:
        """Position of ``ref`` in :attr:`versions` (sorted by item id)."""
        return self._index[ref]


def slot_number(participant: str) -> int:
    """The exposure slot j of a participant number.

    The integer formed by its decimal digits (non-digits removed); with no digit at all,
    the first 8 bytes of SHA-256 of its UTF-8 as an unsigned big-endian integer.
    """
    digits = "".join(ch for ch in participant if "0" <= ch <= "9")
    if digits:
        return int(digits)
    return int.from_bytes(hashlib.sha256(participant.encode("utf-8")).digest()[:8], "big")


def _cell_label(cell: Cell, round_: int) -> str:
    return f"pool|{cell.section}|{cell.topic}|{cell.difficulty or '*'}|{round_}"


def _cell_items(seed: str, slots: NDArray[np.int64] | NDArray[np.object_], cell: Cell,
                pool: Indices) -> Indices:
    """Items of one cell for every participant: shape ``(participants, count)``."""
    n, k = len(pool), cell.count
    m = n // k
    rounds, windows = slots // m, slots % m
    distinct, which = np.unique(rounds, return_inverse=True)
    stream = words_batch(seed, [_cell_label(cell, int(r)) for r in distinct], n - 1)
    perms = permutations(stream, n)
    start = windows.astype(np.intp) * k
    picks: Indices = pool[perms[which.reshape(-1)[:, None], start[:, None] + np.arange(k)]]
    return picks


def _order_table(label_sets: Sequence[str], c: int) -> NDArray[np.object_]:
    """Option order text for every label set and every Fisher–Yates draw for ``c`` options.

    A draw is the indexes j_s = w_s mod (c - s), s = 0..c-2, coded in mixed radix as
    ((j_0 * (c-1) + j_1) * (c-2) + j_2) ...; entry ``set * c! + code`` is the order text.
    """
    draws: list[list[int]] = [[]]
    for s in range(c - 1):
        draws = [d + [j] for d in draws for j in range(c - s)]
    texts = [("".join(fisher_yates(labels, d)) if len(labels) == c else "")
             for labels in label_sets for d in draws]
    return np.array(texts, dtype=object)


def _option_orders(seed: str, participants: Sequence[str], items: Indices,
                   snapshot: BankSnapshot) -> NDArray[np.object_]:
    """Option order strings, shape ``(participants, questions)``.

    The words of ``options|<participant>`` are taken in question order, ``c - 1`` for a
    question with ``c`` options; the draws they give are looked up in :func:`_order_table`,
    which applies the same Fisher–Yates as :func:`question_bank.stream.fisher_yates`.
    """
    counts = snapshot.option_counts[items]
    label_sets = np.array(snapshot.label_sets, dtype=object)
    out: NDArray[np.object_] = label_sets[snapshot.label_set_of[items]]
    if not snapshot.blueprint.shuffle_options:
        return out
    steps = np.maximum(counts - 1, 0)
    ends = np.cumsum(steps, axis=1)
    total = int(ends[:, -1].max()) if ends.size else 0
    if total == 0:
        return out
    stream = words_batch(seed, [f"options|{p}" for p in participants], total)
    starts = ends - steps
    uniform = int(counts.min()) == int(counts.max())
    for c in np.unique(counts).tolist():
        if c < 2:
            continue
        if c > MAX_TABLE_OPTIONS:
            raise BankError(f"an item has {c} options; papers support at most "
                            f"{MAX_TABLE_OPTIONS}")
        if uniform:
            taken = stream.reshape(-1, c - 1)
            where = items.reshape(-1)
        else:
            rows, cols = np.nonzero(counts == c)
            taken = stream[rows[:, None], starts[rows, cols][:, None] + np.arange(c - 1)]
            where = items[rows, cols]
        code = np.zeros(len(taken), dtype=np.intp)
        for s in range(c - 1):
            code = code * (c - s) + (taken[:, s] % np.uint64(c - s)).astype(np.intp)
        code += snapshot.label_set_of[where] * math.factorial(c)
        texts = _order_table(snapshot.label_sets, c)[code]
        if uniform:
            return texts.reshape(counts.shape)
        out[rows, cols] = texts
    return out


def paper_items(seed: str, participants: Sequence[str], snapshot: BankSnapshot) -> Indices:
    """The items of every paper in question order, as positions in ``snapshot.versions``.

    Shape ``(participants, questions)``; the compact core of :func:`build_papers`.
    """
    ints = [slot_number(p) for p in participants]
    slots: NDArray[np.int64] | NDArray[np.object_]
    if max(ints, default=0) < INT64_SAFE:
        slots = np.array(ints, dtype=np.int64)
    else:
        slots = np.array(ints, dtype=object)
    blocks = []
    cell_no = 0
    for section in snapshot.blueprint.sections:
        parts = []
        for cell in section.cells:
            parts.append(_cell_items(seed, slots, cell, snapshot.cell_pools[cell_no]))
            cell_no += 1
        block = np.concatenate(parts, axis=1)
        labels = [f"order|{p}|{section.code}" for p in participants]
        shuffle_rows(block, words_batch(seed, labels, block.shape[1] - 1))
        blocks.append(block)
    return np.concatenate(blocks, axis=1)


def build_papers(seed: str, participants: Sequence[str], snapshot: BankSnapshot) -> list[Paper]:
    """The papers of ``participants`` (batch form; same papers as :func:`build_paper`)."""
    if not participants:
        return []
    items = paper_items(seed, participants, snapshot)
    orders = _option_orders(seed, participants, items, snapshot).tolist()
    refs = np.array(snapshot.refs, dtype=object)[items].tolist()
    sections = tuple(s.code for s in snapshot.blueprint.sections for _ in range(s.count))
    return [Paper.compact(p, r, o, sections)
            for p, r, o in zip(participants, refs, orders, strict=True)]


def build_paper(seed: str, participant: str, snapshot: BankSnapshot) -> Paper:
    """The paper of one participant (scalar form of :func:`build_papers`)."""
    return build_papers(seed, [participant], snapshot)[0]


def answer_key(paper: Paper, snapshot: BankSnapshot) -> list[dict[str, int]]:
    """Per question, the label the candidate sees to the points it gives.

    The candidate sees the item's labels in their stored order (A, B, C, ...); the i-th
    shown label stands for the option ``option_order[i]`` of the item.
    """
    keys = []
    for q in paper.questions:
        item = snapshot.item(q.ref).item
        points = item.points
        shown = [o.label for o in item.options]
        keys.append({shown[i]: points[orig] for i, orig in enumerate(q.option_order)})
    return keys
