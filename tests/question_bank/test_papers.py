"""Deterministic papers: known-answer vectors, an independent reimplementation, properties."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.blueprint import Blueprint
from question_bank.errors import BankError, BlueprintError
from question_bank.model import ItemVersion
from question_bank.papers import (
    BankSnapshot,
    Paper,
    PaperQuestion,
    answer_key,
    build_paper,
    build_papers,
    slot_number,
)
from tests.question_bank.factories import make_item, make_pool, tiny_blueprint, tiny_pool

SEED = "contoh-seed-2026"

# --- an independent implementation, written from docs/papers.md only --------------------


def doc_stream(seed: str, label: str) -> Iterator[int]:
    key = hmac.new(seed.encode("utf-8"), label.encode("utf-8"), hashlib.sha256).digest()
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (counter blocks)
    counter = 0
    while True:
        block = ecb.update(counter.to_bytes(16, "big"))
        yield int.from_bytes(block[:8], "big")
        yield int.from_bytes(block[8:], "big")
        counter += 1


def doc_shuffle(values: Sequence[object], stream: Iterator[int]) -> list[object]:
    a = list(values)
    for i in range(len(a) - 1, 0, -1):
        j = next(stream) % (i + 1)
        a[i], a[j] = a[j], a[i]
    return a


def doc_paper(seed: str, participant: str, pool: Sequence[ItemVersion],
              blueprint: Blueprint) -> list[tuple[str, str]]:
    snapshot = [v for v in pool if v.item.status == "approved"]
    digits = "".join(c for c in participant if c in "0123456789")
    j = int(digits) if digits else int.from_bytes(
        hashlib.sha256(participant.encode()).digest()[:8], "big")
    cells = [c for s in blueprint.sections for c in s.cells]
    taken: set[str] = set()
    paper: list[ItemVersion] = []
    for section in blueprint.sections:
        chosen: list[ItemVersion] = []
        for cell in section.cells:
            members = [v for v in snapshot if v.ref not in taken and cell.matches(v.item)]
            taken |= {v.ref for v in members}
            members.sort(key=lambda v: v.item.id)
            n, k = len(members), cell.count
            m = n // k
            r, w = j // m, j % m
            label = f"pool|{section.code}|{cell.topic}|{cell.difficulty or '*'}|{r}"
            perm = doc_shuffle(members, doc_stream(seed, label))
            chosen += perm[w * k:(w + 1) * k]  # type: ignore[arg-type]
        paper += doc_shuffle(chosen, doc_stream(seed, f"order|{participant}|{section.code}"))  # type: ignore[arg-type]
    assert len(cells) == sum(len(s.cells) for s in blueprint.sections)
    options = doc_stream(seed, f"options|{participant}")
    out = []
    for v in paper:
        labels = [o.label for o in v.item.options]
        order = doc_shuffle(labels, options) if blueprint.shuffle_options else labels
        out.append((v.ref, "".join(order)))  # type: ignore[arg-type]
    return out


def compact(paper: Paper) -> list[tuple[str, str]]:
    return [(q.ref, q.option_order) for q in paper.questions]


# --- known answers, pinned forever (docs/papers.md quotes the first one) -----------------

VECTORS = {
    "2411000000001": "TWK-C00-0002@1:AEDBC TWK-C01-0001@1:ECDAB TWK-C00-0004@1:ACEDB "
                     "TIU-C03-0001@1:CABED TIU-C02-0003@1:EDBCA TIU-C02-0000@1:DBECA "
                     "TKP-C04-0003@1:BDEAC TKP-C04-0001@1:ABDEC",
    "2411000000002": "TWK-C00-0000@1:ECBDA TWK-C00-0003@1:AEBDC TWK-C01-0000@1:AECDB "
                     "TIU-C02-0001@1:BDAEC TIU-C03-0000@1:CEADB TIU-C03-0003@1:DAECB "
                     "TKP-C04-0005@1:ECDAB TKP-C04-0000@1:CEDBA",
    "ABC": "TWK-C00-0003@1:DCBAE TWK-C01-0001@1:BCADE TWK-C00-0000@1:DACBE "
           "TIU-C03-0000@1:BEADC TIU-C02-0002@1:BCAED TIU-C02-0000@1:BECAD "
           "TKP-C04-0005@1:BECDA TKP-C04-0000@1:AEDBC",
}
SNAPSHOT_SHA256 = "8081170e8ee9560a62bd6350dcc92b7334a84616e3a56e04a4f84c8a91eded07"


@pytest.fixture(scope="module")
def snapshot() -> BankSnapshot:
    return BankSnapshot(tiny_pool(), tiny_blueprint())


def test_known_answer_vectors(snapshot: BankSnapshot) -> None:
    for participant, expected in VECTORS.items():
        paper = build_paper(SEED, participant, snapshot)
        got = " ".join(f"{q.ref}:{q.option_order}" for q in paper.questions)
        assert got == expected
        assert compact(paper) == doc_paper(SEED, participant, tiny_pool(), tiny_blueprint())


def test_snapshot_sha256_is_documented_hash(snapshot: BankSnapshot) -> None:
    pairs = sorted([v.ref, v.item.content_hash] for v in tiny_pool()
                   if v.item.status == "approved")
    raw = json.dumps(pairs, separators=(",", ":"), ensure_ascii=False).encode()
    assert snapshot.sha256 == hashlib.sha256(raw).hexdigest() == SNAPSHOT_SHA256
    changed = tiny_pool()
    changed[0] = ItemVersion(dataclasses.replace(changed[0].item, stem="Lain."), 2)
    assert BankSnapshot(changed, tiny_blueprint()).sha256 != snapshot.sha256


@settings(max_examples=25, deadline=None)
@given(seed=st.text(min_size=1, max_size=10),
       participants=st.lists(st.one_of(st.integers(0, 10**25).map(str),
                                       st.text(max_size=8)), min_size=1, max_size=6),
       shuffle=st.booleans())
def test_batch_scalar_and_reference_agree(seed: str, participants: list[str],
                                          shuffle: bool) -> None:
    blueprint = tiny_blueprint(shuffle)
    snap = BankSnapshot(tiny_pool(), blueprint)
    batch = build_papers(seed, participants, snap)
    for participant, paper in zip(participants, batch, strict=True):
        assert paper == build_paper(seed, participant, snap)
        assert compact(paper) == doc_paper(seed, participant, tiny_pool(), blueprint)


def test_papers_follow_the_blueprint_and_differ(snapshot: BankSnapshot) -> None:
    participants = [f"24110000{i:05d}" for i in range(300)]
    papers = build_papers(SEED, participants, snapshot)
    cells = snapshot.cells
    for paper in papers:
        refs = [q.ref for q in paper.questions]
        assert len(set(refs)) == len(refs) == 8
        assert [q.number for q in paper.questions] == list(range(1, 9))
        assert [q.section for q in paper.questions] == ["TWK"] * 3 + ["TIU"] * 3 + ["TKP"] * 2
        counts = Counter(next(i for i, c in enumerate(cells)
                              if c.matches(snapshot.item(r).item)) for r in refs)
        assert [counts[i] for i in range(len(cells))] == [c.count for c in cells]
        for q in paper.questions:
            assert snapshot.item(q.ref).item.status == "approved"
            assert sorted(q.option_order) == list("ABCDE")
    assert len({tuple(p.questions) for p in papers}) == len(papers)
    assert len({p.questions[0].option_order for p in papers}) > 20


def test_neighbours_share_no_item_within_a_round(snapshot: BankSnapshot) -> None:
    # Cell TIU/Berhitung/*: pool 9 (5 medium + 4 without difficulty), count 3: m = 3.
    papers = build_papers(SEED, [str(j) for j in range(30, 33)], snapshot)  # round 10
    tiu = [{q.ref for q in p.questions if q.section == "TIU"} for p in papers]
    assert not tiu[0] & tiu[1]
    assert not tiu[1] & tiu[2]
    assert not tiu[0] & tiu[2]
    assert len(tiu[0] | tiu[1] | tiu[2]) == 9


def test_slot_number() -> None:
    assert slot_number("24-110-0001") == 241100001
    assert slot_number("P007") == 7
    assert slot_number("abc") == int.from_bytes(hashlib.sha256(b"abc").digest()[:8], "big")


def test_answer_key_follows_displayed_labels(snapshot: BankSnapshot) -> None:
    paper = build_paper(SEED, "2411000000007", snapshot)
    keys = answer_key(paper, snapshot)
    for q, key in zip(paper.questions, keys, strict=True):
        points = snapshot.item(q.ref).item.points
        assert key == {shown: points[orig] for shown, orig in zip("ABCDE", q.option_order,
                                                                  strict=True)}
        if q.section != "TKP":
            assert sorted(key.values()) == [0, 0, 0, 0, 5]


def test_without_shuffle_options_stay_in_place() -> None:
    snap = BankSnapshot(tiny_pool(), tiny_blueprint(shuffle=False))
    paper = build_paper(SEED, "2411000000001", snap)
    assert {q.option_order for q in paper.questions} == {"ABCDE"}


def test_snapshot_refuses_short_banks_and_double_versions() -> None:
    pool = make_pool([("TWK", "Nasionalisme", "easy", 6), ("TWK", "Nasionalisme", "hard", 4),
                      ("TIU", "Berhitung", None, 3), ("TKP", "Pelayanan Publik", None, 1)])
    with pytest.raises(BlueprintError, match="TKP / Pelayanan Publik / any: needs 2"):
        BankSnapshot(pool, tiny_blueprint())
    twice = [*tiny_pool(), ItemVersion(tiny_pool()[0].item, 2)]
    with pytest.raises(BankError, match="approved at two versions"):
        BankSnapshot(twice, tiny_blueprint())


def test_paper_is_immutable_and_constructible(snapshot: BankSnapshot) -> None:
    built = build_paper(SEED, "2411000000001", snapshot)
    again = Paper(built.participant, built.questions)
    assert again == built
    assert hash(again) == hash(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.participant = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="numbered"):
        Paper("x", (PaperQuestion(2, "TWK-C00-0000@1", "TWK", "ABCDE"),))
    assert make_item("TIU-9", "TIU", "Analogi").points["A"] == 5
