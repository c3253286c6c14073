"""Images travel inside the sealed payload, encrypted with the papers they belong to."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from question_bank.errors import SealError
from question_bank.model import ItemVersion
from question_bank.papers import BankSnapshot, build_papers
from question_bank.roster import RosterEntry
from question_bank.sealing import open_session, read_manifest, seal_package
from question_bank.sealing_format import session_key
from tests.question_bank.factories import tiny_exam, tiny_pool

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SHA = hashlib.sha256(PNG).hexdigest()
SECRET = bytes(range(32))


def _with_image(pool: list[ItemVersion]) -> list[ItemVersion]:
    """Every TKP item shows the same picture in its stem."""
    out = []
    for v in pool:
        if v.item.section == "TKP":
            item = dataclasses.replace(v.item, stem=v.item.stem + f"\n\n![peta](sha256:{SHA})")
            v = ItemVersion(item, v.version)
        out.append(v)
    return out


def _seal(media: dict[str, tuple[str, bytes]]) -> tuple[bytes, Ed25519PrivateKey]:
    exam = tiny_exam(sessions=1)
    snapshot = BankSnapshot(_with_image(tiny_pool()), exam.blueprint)
    roster = [RosterEntry(f"{n}", f"Peserta {n}", "Analis", "umum", "S1") for n in range(1, 6)]
    papers = build_papers("seed", [r.participant for r in roster], snapshot)
    signing = Ed25519PrivateKey.generate()
    data = seal_package(exam, roster, papers, snapshot, SECRET, signing,
                        datetime(2026, 11, 23, tzinfo=UTC), media=media)
    return data, signing


def test_images_are_sealed_and_come_back_with_the_papers() -> None:
    data, signing = _seal({SHA: ("image/png", PNG)})
    assert PNG not in data  # encrypted, not readable before the release key
    package_id = read_manifest(data, signing.public_key()).package_id
    content = open_session(data, signing.public_key(), "S1",
                           session_key(SECRET, "tiny-exam", package_id, "S1"))
    assert content.media == {SHA: ("image/png", PNG)}


def test_an_image_the_bank_does_not_hold_refuses_the_seal() -> None:
    with pytest.raises(SealError, match=f"no image {SHA}"):
        _seal({})
