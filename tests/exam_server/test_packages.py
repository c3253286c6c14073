"""Sealed packages in the exam server: import, replace, refuse, and stay sealed until opened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server import bank_store
from exam_server.db import make_engine, session_factory, transaction, upgrade
from exam_server.exams import load_exam
from exam_server.models import ExamSession, Participant, SealedSession
from exam_server.packages import build_package, import_package, stored_package
from question_bank.errors import BankError, SealError
from question_bank.formats import BankFile
from question_bank.keys import init_keys, load_master_secret, load_public_key
from question_bank.sample import sample_bank
from question_bank.sealing import open_session, read_manifest, release_key
from question_bank.sealing_format import parse_release_key

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "skd-2024-exam.toml"


@pytest.fixture
def bank(db_url: str, tmp_path: Path) -> tuple[sessionmaker[Session], Path]:
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    bank_store.import_bank(factory, BankFile(items=tuple(sample_bank(600)), media={}),
                           imported_by="tester", source="sample")
    load_exam(factory, EXAMPLE, actor="tester")
    init_keys(tmp_path / "keys")
    yield factory, tmp_path / "keys"
    engine.dispose()


def _roster(path: Path, numbers: range) -> Path:
    path.write_text("participant,name,formation,category,session\n" + "".join(
        f"{n},Peserta {n},Analis,umum,\n" for n in numbers), encoding="utf-8")
    return path


def test_import_keeps_papers_sealed_until_the_release_key(bank: tuple, tmp_path: Path) -> None:
    factory, keys = bank
    built = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "p.csv", range(1000, 1012)), seed="seed", keys_folder=keys, actor="bank")
    public = load_public_key(keys / "bank.pub")
    result = import_package(factory, built.data, public, actor="site", source="exam.seal")
    assert (result.participants, result.unchanged, result.replaced) == (12, False, False)
    # the database holds the package exactly as sealed, and no stem in the clear
    assert stored_package(factory, "skd-2024-demo") == built.data
    stem = sample_bank(600)[0].stem
    with factory() as db:
        blobs = db.scalars(select(SealedSession.ciphertext)).all()
        assert len(blobs) == 1
        assert stem.encode() not in blobs[0]
        assert db.scalar(select(Participant.name).where(Participant.number == "1003")) == (
            "Peserta 1003")
    # the release key opens it; a wrong key does not
    key = session_key_of(keys, built.data)
    content = open_session(stored_package(factory, "skd-2024-demo"), public, "JKT1-S1", key)
    assert sorted(content.papers) == [str(n) for n in range(1000, 1012)]
    assert all(len(p.questions) == 110 for p in content.papers.values())
    with pytest.raises(SealError, match="wrong release key"):
        open_session(built.data, public, "JKT1-S1", bytes(32))
    # the same file again changes nothing
    again = import_package(factory, built.data, public, actor="site", source="exam.seal")
    assert again.unchanged


def test_a_rebuilt_package_replaces_the_old_while_scheduled(bank: tuple, tmp_path: Path) -> None:
    factory, keys = bank
    public = load_public_key(keys / "bank.pub")
    first = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "a.csv", range(1, 6)), seed="s", keys_folder=keys, actor="bank")
    import_package(factory, first.data, public, actor="site", source="a.seal")
    second = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "b.csv", range(3, 9)), seed="s", keys_folder=keys, actor="bank",
        created=datetime(2026, 11, 23, tzinfo=UTC))
    result = import_package(factory, second.data, public, actor="site", source="b.seal")
    assert result.replaced
    with factory() as db:
        numbers = sorted(db.scalars(select(Participant.number)).all())
    assert numbers == [str(n) for n in range(3, 9)]
    assert stored_package(factory, "skd-2024-demo") == second.data
    # once the session is opened, a new package is refused and nothing changes
    with transaction(factory) as db:
        db.execute(update(ExamSession).values(state="opened"))
    with pytest.raises(SealError, match="already opened"):
        import_package(factory, first.data, public, actor="site", source="a.seal")
    assert stored_package(factory, "skd-2024-demo") == second.data


def test_changing_an_exam_after_sealing_is_refused(bank: tuple, tmp_path: Path) -> None:
    factory, keys = bank
    build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "p.csv", range(1, 3)), seed="s", keys_folder=keys, actor="bank")
    built = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "p.csv", range(1, 3)), seed="s", keys_folder=keys, actor="bank")
    import_package(factory, built.data, load_public_key(keys / "bank.pub"), actor="s",
                   source="x.seal")
    changed = tmp_path / "exam.toml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Ruang CAT 1", "Ruang CAT 2"),
                       encoding="utf-8")
    with pytest.raises(BankError, match="already has a sealed package"):
        load_exam(factory, changed, actor="tester")


def test_a_package_from_another_definition_is_refused(bank: tuple, tmp_path: Path,
                                                     db_url: str) -> None:
    factory, keys = bank
    built = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "p.csv", range(1, 3)), seed="s", keys_folder=keys, actor="bank")
    # a site whose database loaded a different definition of the same exam id
    other = make_engine(f"sqlite:///{tmp_path / 'site.db'}")
    upgrade(other)
    site = session_factory(other)
    changed = tmp_path / "exam.toml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Ruang CAT 1", "Ruang 9"),
                       encoding="utf-8")
    load_exam(site, changed, actor="site")
    with pytest.raises(SealError, match="another definition of exam skd-2024-demo"):
        import_package(site, built.data, load_public_key(keys / "bank.pub"), actor="s",
                       source="x.seal")
    with site() as db:
        assert db.scalars(select(Participant)).all() == []
    other.dispose()


def test_images_of_the_bank_travel_sealed_in_the_package(db_url: str, tmp_path: Path) -> None:
    import dataclasses
    import hashlib

    png = b"\x89PNG\r\n\x1a\n" + b"peta-indonesia" * 8
    sha = hashlib.sha256(png).hexdigest()
    items = [dataclasses.replace(i, stem=f"{i.stem}\n\n![peta](sha256:{sha})")
             if i.section == "TKP" else i for i in sample_bank(600)]
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    bank_store.import_bank(factory, BankFile(items=tuple(items), media={sha: ("image/png", png)}),
                           imported_by="tester", source="bank.json")
    load_exam(factory, EXAMPLE, actor="tester")
    init_keys(tmp_path / "keys")
    built = build_package(factory, exam_id="skd-2024-demo", roster_path=_roster(
        tmp_path / "p.csv", range(1, 4)), seed="s", keys_folder=tmp_path / "keys", actor="bank")
    assert png not in built.data
    key = session_key_of(tmp_path / "keys", built.data)
    content = open_session(built.data, load_public_key(tmp_path / "keys" / "bank.pub"),
                           "JKT1-S1", key)
    assert content.media == {sha: ("image/png", png)}
    engine.dispose()


def session_key_of(keys: Path, data: bytes) -> bytes:
    manifest = read_manifest(data, load_public_key(keys / "bank.pub"))
    return parse_release_key(release_key(load_master_secret(keys), manifest, "JKT1-S1"))
