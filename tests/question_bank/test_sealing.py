"""Sealed packages: round trip, release keys, every flipped bit caught and named."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from question_bank.errors import BankError, SealError
from question_bank.papers import BankSnapshot, Paper, build_papers
from question_bank.sealing import (
    match_keys,
    open_session,
    parse_release_key,
    read_manifest,
    release_key,
    seal_package,
    verify_package,
)
from question_bank.sealing_format import HEADER_SIZE, SIGNATURE_SIZE
from tests.question_bank.factories import tiny_exam, tiny_pool

SEED = "segel-2026"
MASTER = bytes(range(32))
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    participant: str
    name: str
    formation: str
    category: str
    session: str


ROSTER = [Entry(f"241100000000{i}", f"Peserta {i}", "Analis", "umum", f"S{1 + i % 2}")
          for i in range(1, 7)]
SIGNER = Ed25519PrivateKey.generate()
PUBLIC = SIGNER.public_key()


def seal(roster: list[Entry] = ROSTER, papers: list[Paper] | None = None,
         sessions: int = 2) -> tuple[bytes, list[Paper], BankSnapshot]:
    exam = tiny_exam(sessions)
    snapshot = BankSnapshot(tiny_pool(), exam.blueprint)
    if papers is None:
        papers = build_papers(SEED, [r.participant for r in roster], snapshot)
    return seal_package(exam, roster, papers, snapshot, MASTER, SIGNER, CREATED), papers, snapshot


def key(session: str, data: bytes) -> bytes:
    """The session key of one session of the package ``data``, through its release key."""
    return parse_release_key(release_key(MASTER, read_manifest(data, PUBLIC), session))


def test_round_trip() -> None:
    data, papers, snapshot = seal()
    manifest = read_manifest(data, PUBLIC)
    assert (manifest.exam_id, manifest.scheme_id) == ("tiny-exam", "skd-2024")
    assert manifest.bank_sha256 == snapshot.sha256
    assert manifest.created == CREATED
    assert manifest.blueprint == snapshot.blueprint
    assert [(s.id, s.participants) for s in manifest.sessions] == [("S1", 3), ("S2", 3)]
    assert [r.participant for r in manifest.roster] == [r.participant for r in ROSTER]
    assert manifest.roster[0].name == "Peserta 1"
    assert manifest.roster[0].session == "S2"
    content = open_session(data, PUBLIC, "S2", key("S2", data))
    expected = {p.participant: p for p in papers if p.participant in
                {r.participant for r in ROSTER if r.session == "S2"}}
    assert content.papers == expected
    used = {q.ref for p in expected.values() for q in p.questions}
    assert set(content.items) == used
    for ref, version in content.items.items():
        assert version.item.content() == snapshot.item(ref).item.content()
        assert version.item.points == snapshot.item(ref).item.points


def test_verify_lines_without_and_with_keys() -> None:
    data, _, _ = seal()
    report = verify_package(data, PUBLIC)
    assert report.sessions_opened == ()
    assert any("signature: valid" in line for line in report.lines)
    assert report.lines[-1].startswith("papers not checked")
    report = verify_package(data, PUBLIC, {"S1": key("S1", data), "S2": key("S2", data)})
    assert report.sessions_opened == ("S1", "S2")
    assert "3 papers follow the blueprint" in report.lines[-1]


def test_wrong_key_wrong_signer_unknown_session() -> None:
    data, _, _ = seal()
    with pytest.raises(SealError, match="session S1 payload: cannot decrypt: wrong release key"):
        open_session(data, PUBLIC, "S1", key("S2", data))
    with pytest.raises(SealError, match="^signature: the package names signing key"):
        read_manifest(data, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SealError, match="no session 'S9'"):
        verify_package(data, PUBLIC, {"S9": key("S1", data)})


def parts(data: bytes) -> list[tuple[int, int, str]]:
    manifest = read_manifest(data, PUBLIC)
    length = int.from_bytes(data[16:20], "big")
    start = HEADER_SIZE + length + SIGNATURE_SIZE
    out = [(0, HEADER_SIZE, "header"), (HEADER_SIZE, HEADER_SIZE + length, "manifest"),
           (HEADER_SIZE + length, start, "signature")]
    out += [(start + s.offset, start + s.offset + s.length, f"session {s.id} payload")
            for s in manifest.sessions]
    assert out[-1][1] == len(data)
    return out


def test_every_flipped_bit_fails_naming_its_part() -> None:
    data, _, _ = seal(ROSTER[:2], sessions=2)
    keys = {"S1": key("S1", data), "S2": key("S2", data)}
    checked = 0
    for lo, hi, part in parts(data):
        dense = part in ("header", "signature")
        for pos in range(lo, hi):
            for bit in (range(8) if dense else [pos % 8]):
                bad = bytearray(data)
                bad[pos] ^= 1 << bit
                with pytest.raises(SealError, match=f"^{re.escape(part)}"):
                    verify_package(bytes(bad), PUBLIC, keys)
                checked += 1
    assert checked > 2000
    with pytest.raises(SealError, match="^trailing bytes: 1 bytes"):
        verify_package(data + b"\0", PUBLIC)
    with pytest.raises(SealError, match="payload: truncated"):
        verify_package(data[:-1], PUBLIC)
    with pytest.raises(SealError, match="^header: the file is 10 bytes"):
        verify_package(data[:10], PUBLIC)


def test_papers_that_break_the_blueprint_fail_verify_with_key() -> None:
    roster = ROSTER[:2]
    _, papers, _ = seal(roster)
    good = papers[0]
    repeated = Paper.compact(good.participant, [good.refs[0], good.refs[0], *good.refs[2:]],
                             good.option_orders, good.sections)
    shuffled = Paper.compact(good.participant, good.refs,
                             ["AABCD", *good.option_orders[1:]], good.sections)
    swapped = Paper.compact(good.participant, [*good.refs[3:6], *good.refs[:3], *good.refs[6:]],
                            good.option_orders, good.sections)
    for bad, message in ((repeated, "an item appears twice"),
                         (shuffled, "an option order is not a permutation"),
                         (swapped, "a question is outside its blueprint section")):
        data, _, _ = seal(roster, [bad, papers[1]])
        verify_package(data, PUBLIC)  # signature and hashes are fine
        with pytest.raises(SealError, match=f"^session S2 papers: .*paper {good.participant}: "
                                            f"{message}"):
            verify_package(data, PUBLIC, {"S2": key("S2", data)})


def test_roster_and_papers_must_match() -> None:
    _, papers, _ = seal()
    with pytest.raises(BankError, match="papers and roster differ: 1 on the roster"):
        seal(ROSTER, papers[:-1])
    with pytest.raises(BankError, match="no session given; exam tiny-exam has sessions S1, S2"):
        seal([Entry("1", "A", "F", "umum", "")])
    with pytest.raises(BankError, match="participant 1 appears twice"):
        seal([Entry("1", "A", "F", "umum", "S1")] * 2)
    data, _, _ = seal([Entry("1", "A", "F", "umum", "")], sessions=1)
    assert read_manifest(data, PUBLIC).roster[0].session == "S1"


def test_release_keys() -> None:
    data, _, _ = seal()
    manifest = read_manifest(data, PUBLIC)
    text = release_key(MASTER, manifest, "S1")
    assert re.fullmatch(r"([A-Z2-7]{4}-){13}[A-Z2-7]{4}", text)
    assert text != release_key(MASTER, manifest, "S2")
    # a rebuilt package of the same exam has new keys: a leaked key does not open it
    rebuilt = read_manifest(seal()[0], PUBLIC)
    assert rebuilt.package_id != manifest.package_id
    assert release_key(MASTER, rebuilt, "S1") != text
    with pytest.raises(SealError, match="no session 'S9'"):
        release_key(MASTER, manifest, "S9")
    assert parse_release_key(text.lower().replace("-", " ")) == key("S1", data)
    assert len(key("S1", data)) == 32
    typo = text[:5] + ("B" if text[5] != "B" else "C") + text[6:]
    with pytest.raises(SealError, match="checksum does not match: a character was mistyped"):
        parse_release_key(typo)
    with pytest.raises(SealError, match="character 1 is '0'"):
        parse_release_key("0" + text[1:])
    with pytest.raises(SealError, match="this one has 55"):
        parse_release_key(text[:-1])


def test_release_keys_are_matched_to_their_sessions() -> None:
    data, _, _ = seal()
    manifest = read_manifest(data, PUBLIC)
    assert match_keys(data, manifest, [key("S2", data), key("S1", data)]) == {
        "S2": key("S2", data), "S1": key("S1", data)}
    with pytest.raises(SealError, match=r"key #2 opens no session of this package \(sessions: "
                                        r"S1, S2\)"):
        match_keys(data, manifest, [key("S1", data), bytes(32)])
