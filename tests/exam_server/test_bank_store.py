"""The bank in the database: atomic idempotent imports, versions, maker–checker, pool, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from exam_server import bank_store as bs
from exam_server.audit import verify_audit_chain
from exam_server.bank_store import ImportSummary
from question_bank.errors import ImportRejected, WorkflowError
from tests.exam_server.factories import (
    bank_file,
    image,
    make_item,
    migrated,
    row_counts,
    sample_items,
)

Store = tuple[sa.Engine, sessionmaker[Session]]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with migrated(db_url) as pair:
        yield pair


def _audit(engine: sa.Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT actor, action, subject FROM audit_log ORDER BY id"))]


def test_import_then_reimport_changes_nothing(store: Store) -> None:
    engine, factory = store
    sha, media = image(1)
    items = [*sample_items(5, status="approved"), make_item("TIU-0900", images=(sha,))]
    bank = bank_file(*items, media={sha: media})

    first = bs.import_bank(factory, bank, imported_by="admin", source="bank.json")
    assert first == ImportSummary(created=6, new_versions=0, status_changed=0, unchanged=0,
                                  media_added=1)
    before = row_counts(engine)
    again = bs.import_bank(engine, bank, imported_by="admin", source="bank.json")
    assert again == ImportSummary(created=0, new_versions=0, status_changed=0, unchanged=6,
                                  media_added=0)
    after = row_counts(engine)
    assert {**after, "audit_log": 0} == {**before, "audit_log": 0}
    assert after["audit_log"] == before["audit_log"] + 1
    assert _audit(engine) == [("admin", "bank.import", "bank.json")] * 2
    assert verify_audit_chain(factory).ok


def test_author_defaults_to_the_importer(store: Store) -> None:
    _engine, factory = store
    bank = bank_file(make_item("TWK-0001", author="siti"), make_item("TWK-0002"))
    bs.import_bank(factory, bank, imported_by="admin", source="f.json")
    authors = {i.id: i.author for i in bs.export_bank(factory).items}
    assert authors == {"TWK-0001": "siti", "TWK-0002": "admin"}


def test_edited_file_makes_version_2_and_keeps_version_1(store: Store) -> None:
    _engine, factory = store
    v1 = make_item("TIU-0001", status="approved", author="siti")
    bs.import_bank(factory, bank_file(v1), imported_by="admin", source="a.json")
    v2 = make_item("TIU-0001", variant=1, status="draft", author="siti")
    summary = bs.import_bank(factory, bank_file(v2), imported_by="admin", source="b.json")
    assert summary.new_versions == 1
    assert bs.item_history(factory, "TIU-0001") == [
        (1, "approved", v1.content_hash), (2, "draft", v2.content_hash)]
    # version 2 is a draft: the item leaves new papers until it is approved again
    assert bs.approved_pool(factory) == []


def test_same_content_other_status_changes_the_status_only(store: Store) -> None:
    engine, factory = store
    item = make_item("TKP-0001", author="siti")
    bs.import_bank(factory, bank_file(item), imported_by="admin", source="a.json")
    approved = make_item("TKP-0001", author="siti", status="approved")
    summary = bs.import_bank(factory, bank_file(approved), imported_by="admin", source="b.json")
    assert (summary.status_changed, summary.new_versions, summary.unchanged) == (1, 0, 0)
    assert bs.item_history(factory, "TKP-0001") == [(1, "approved", item.content_hash)]
    with engine.connect() as conn:
        details = conn.execute(sa.text(
            "SELECT details FROM audit_log ORDER BY id DESC LIMIT 1")).scalar_one()
    assert "TKP-0001@1: draft -> approved" in str(details)


def test_a_bad_last_item_writes_nothing(store: Store) -> None:
    engine, factory = store
    bs.import_bank(factory, bank_file(make_item("TWK-0001")), imported_by="a", source="a")
    before = row_counts(engine)
    sha, media = image(7)
    missing = image(8)[0]
    bank = bank_file(make_item("TWK-0001", variant=2), *sample_items(20)[1:],
                     make_item("TIU-0999", images=(sha, missing)), media={sha: media})
    with pytest.raises(ImportRejected) as caught:
        bs.import_bank(factory, bank, imported_by="admin", source="soal.json")
    message = str(caught.value)
    assert "nothing written" in message
    assert "soal.json row 21, column media" in message
    assert f"item TIU-0999 refers to image(s) {missing}" in message
    assert row_counts(engine) == before


def test_image_already_in_the_bank_may_be_referred_to(store: Store) -> None:
    engine, factory = store
    sha, media = image(3)
    bs.import_bank(factory, bank_file(make_item("TIU-0001", images=(sha,)),
                                       media={sha: media}),
                   imported_by="a", source="a")
    summary = bs.import_bank(factory, bank_file(make_item("TIU-0002", images=(sha,))),
                             imported_by="a", source="b")
    assert (summary.created, summary.media_added) == (1, 0)
    assert row_counts(engine)["media"] == 1


def test_problems_are_all_reported_at_once(store: Store) -> None:
    engine, factory = store
    bs.import_bank(factory, bank_file(make_item("TIU-0001")), imported_by="a", source="a")
    before = row_counts(engine)
    moved = make_item("TWK-0001")
    moved = type(moved)(**{**moved.__dict__, "id": "TIU-0001"})  # same id, now in TWK
    sha, (mime, data) = image(4)
    bank = bank_file(moved, make_item("TKP-0001"), make_item("TKP-0001"),
                     media={sha: (mime, data + b"tampered")})
    with pytest.raises(ImportRejected) as caught:
        bs.import_bank(factory, bank, imported_by="admin", source="x.csv")
    reasons = [(p.row, p.column) for p in caught.value.problems]
    assert reasons == [(None, None), (1, "section"), (3, "id")]
    assert "cannot change section" in str(caught.value)
    assert row_counts(engine) == before


def test_maker_checker(store: Store) -> None:
    engine, factory = store
    bs.import_bank(factory, bank_file(make_item("TIU-0001", author="siti")),
                   imported_by="admin", source="a")
    with pytest.raises(WorkflowError, match="maker–checker"):
        bs.review_item(factory, "TIU-0001", reviewer="siti")
    bs.review_item(factory, "TIU-0001", reviewer="budi")
    with pytest.raises(WorkflowError,
                       match=r"as Siti: this version was written by siti, and maker–checker"):
        bs.approve_item(factory, "TIU-0001", approver=" Siti ")
    bs.approve_item(factory, "TIU-0001", approver="budi")
    assert bs.item_history(factory, "TIU-0001")[0][1] == "approved"
    assert [a[1] for a in _audit(engine)] == ["bank.import", "item.review", "item.approve"]


def test_workflow_refuses_wrong_states_clearly(store: Store) -> None:
    _engine, factory = store
    bs.import_bank(factory, bank_file(make_item("TIU-0001", author="siti")),
                   imported_by="admin", source="a")
    with pytest.raises(WorkflowError, match=r"cannot approve TIU-0001@1: it is draft; "
                                            r"only an item that is reviewed"):
        bs.approve_item(factory, "TIU-0001", approver="budi")
    with pytest.raises(WorkflowError, match="no such item"):
        bs.review_item(factory, "TIU-0404", reviewer="budi")
    bs.retire_item(factory, "TIU-0001", actor="admin")
    with pytest.raises(WorkflowError, match="it is retired"):
        bs.retire_item(factory, "TIU-0001", actor="admin")
    with pytest.raises(WorkflowError, match="it is retired"):
        bs.review_item(factory, "TIU-0001", reviewer="budi")


def test_edit_makes_a_draft_version_and_leaves_the_pool(store: Store) -> None:
    engine, factory = store
    bs.import_bank(factory, bank_file(*sample_items(3, status="approved")),
                   imported_by="admin", source="a")
    assert [v.ref for v in bs.approved_pool(factory)] == ["TIU-0001@1", "TKP-0002@1",
                                                          "TWK-0000@1"]
    edited = make_item("TKP-0002", variant=1)
    assert bs.edit_item(factory, edited, editor="rina") == 2
    assert [v.ref for v in bs.approved_pool(factory)] == ["TIU-0001@1", "TWK-0000@1"]
    with pytest.raises(WorkflowError, match="written by rina"):
        bs.review_item(factory, "TKP-0002", reviewer="rina")
    bs.review_item(factory, "TKP-0002", reviewer="penulis")  # the v1 author may check v2
    bs.approve_item(factory, "TKP-0002", approver="budi")
    pool = bs.approved_pool(factory)
    assert [v.ref for v in pool] == ["TIU-0001@1", "TKP-0002@2", "TWK-0000@1"]
    assert pool[1].item.content_hash == edited.content_hash
    assert pool[1].item.author == "rina"
    assert ("rina", "item.edit", "TKP-0002@2") in _audit(engine)


def test_edit_refusals(store: Store) -> None:
    engine, factory = store
    bs.import_bank(factory, bank_file(make_item("TIU-0001")), imported_by="a", source="a")
    before = row_counts(engine)
    with pytest.raises(WorkflowError, match="no such item"):
        bs.edit_item(factory, make_item("TIU-0404"), editor="rina")
    with pytest.raises(WorkflowError, match="identical"):
        bs.edit_item(factory, make_item("TIU-0001"), editor="rina")
    with pytest.raises(WorkflowError, match="does not hold"):
        bs.edit_item(factory, make_item("TIU-0001", images=(image(9)[0],)), editor="rina")
    moved = make_item("TWK-0001", variant=3)
    moved = type(moved)(**{**moved.__dict__, "id": "TIU-0001"})
    with pytest.raises(WorkflowError, match="cannot move it to TWK"):
        bs.edit_item(factory, moved, editor="rina")
    assert row_counts(engine) == before


def test_bank_counts_use_latest_versions(store: Store) -> None:
    _engine, factory = store
    assert bs.bank_counts(factory) == {}
    bs.import_bank(factory, bank_file(*sample_items(6, status="approved")),
                   imported_by="admin", source="a")
    bs.edit_item(factory, make_item("TIU-0001", variant=1), editor="rina")
    bs.retire_item(factory, "TKP-0005", actor="admin")
    assert bs.bank_counts(factory) == {"TWK": {"approved": 2},
                                       "TIU": {"approved": 1, "draft": 1},
                                       "TKP": {"approved": 1, "retired": 1}}


def test_export_then_import_into_a_fresh_database(store: Store, tmp_path: Path) -> None:
    _engine, factory = store
    sha, media = image(5)
    bs.import_bank(factory, bank_file(*sample_items(9, status="approved"),
                                      make_item("TIU-0100", images=(sha,), author="siti"),
                                      media=dict([(sha, media), image(6)])),
                   imported_by="admin", source="a")
    bs.edit_item(factory, make_item("TWK-0003", variant=1), editor="rina")
    bs.retire_item(factory, "TKP-0005", actor="admin")
    exported = bs.export_bank(factory)
    assert set(exported.media) == {sha}  # only what the items use

    with migrated(f"sqlite:///{tmp_path / 'fresh.db'}") as (_fresh, fresh):
        bs.import_bank(fresh, exported, imported_by="other", source="export.json")
        again = bs.export_bank(fresh)
        assert again == exported
        latest = {i.id: (i.content_hash, i.status, i.author) for i in again.items}
    assert latest["TWK-0003"] == (make_item("TWK-0003", variant=1).content_hash, "draft", "rina")
    assert latest["TKP-0005"][1] == "retired"
    assert latest["TIU-0100"][2] == "siti"
    assert [v.ref for v in bs.approved_pool(factory)] == sorted(
        f"{i}@1" for i, (_h, s, _a) in latest.items() if s == "approved")


def test_item_history_of_an_unknown_item(store: Store) -> None:
    _engine, factory = store
    with pytest.raises(WorkflowError, match="no item TIU-0404"):
        bs.item_history(factory, "TIU-0404")


def test_an_import_cannot_approve_the_importers_own_item(store: Store) -> None:
    engine, factory = store
    before = row_counts(engine)
    own = bank_file(make_item("TWK-0001", status="approved", author="alice"),
                    make_item("TWK-0002", status="reviewed"))  # no author: the importer's
    with pytest.raises(ImportRejected) as refused:
        bs.import_bank(factory, own, imported_by="Alice ", source="own.json")
    assert [str(p) for p in refused.value.problems] == [
        "own.json row 1, column status: item TWK-0001: approved needs an author other than the "
        "importer (Alice ): nobody checks their own item (maker–checker); name the author in "
        "the file, or import it as draft",
        "own.json row 2, column status: item TWK-0002: reviewed needs an author other than the "
        "importer (Alice ): nobody checks their own item (maker–checker); name the author in "
        "the file, or import it as draft"]
    assert row_counts(engine) == before
    # an edit by alice of someone else's approved item arrives approved only if she is not
    # named as its author
    bs.import_bank(factory, bank_file(make_item("TWK-0003", status="approved", author="siti")),
                   imported_by="alice", source="a.json")
    edited = make_item("TWK-0003", variant=1, status="approved", author="alice")
    with pytest.raises(ImportRejected, match="maker–checker"):
        bs.import_bank(factory, bank_file(edited), imported_by="alice", source="b.json")
    assert bs.item_history(factory, "TWK-0003")[-1][0] == 1


def test_an_import_never_moves_an_item_back_nor_revives_it(store: Store) -> None:
    _engine, factory = store
    old = make_item("TIU-0001", status="reviewed", author="siti")
    bs.import_bank(factory, bank_file(old), imported_by="admin", source="old.json")
    bs.approve_item(factory, "TIU-0001", approver="budi")
    with pytest.raises(ImportRejected, match=r"old\.json row 1, column status: item TIU-0001@1 "
                                             r"is approved in the bank and reviewed in this "
                                             r"file: an import never moves an item back"):
        bs.import_bank(factory, bank_file(old), imported_by="admin", source="old.json")
    bs.retire_item(factory, "TIU-0001", actor="budi")
    for again in (make_item("TIU-0001", status="approved", author="siti"),
                  make_item("TIU-0001", variant=2, status="draft", author="siti")):
        with pytest.raises(ImportRejected, match="item TIU-0001 is retired in the bank; an "
                                                 "import does not bring it back"):
            bs.import_bank(factory, bank_file(again), imported_by="admin", source="x.json")
    assert bs.item_history(factory, "TIU-0001") == [(1, "retired", old.content_hash)]
