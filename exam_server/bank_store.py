"""The question bank in the database: versions, review workflow, import, export, approved pool.

Every function here owns its transaction (pass a session factory or an engine). Item
versions are never deleted and never change except in their status; a content change is a
new version. Writes to the bank are serialised (PostgreSQL advisory lock; SQLite's write lock)
and each one appends an audit row in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import append_audit
from exam_server.db import factory_of, reading, serialise, transaction
from exam_server.models import BankItem, BankItemVersion, Media, utcnow
from question_bank.errors import ImportRejected, Problem, WorkflowError
from question_bank.formats import BankFile
from question_bank.model import STATUSES, Item, ItemVersion, item_from_content

BANK_LOCK = "seleksi.bank"
_CHUNK = 500  # ids per IN (...) query, well under every engine's parameter limit

Factory = sessionmaker[Session] | Engine


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, item by item (each item counts once)."""

    created: int
    new_versions: int
    status_changed: int
    unchanged: int
    media_added: int


# --- import --------------------------------------------------------------------------------


def import_bank(factory: Factory, bank: BankFile, *, imported_by: str,
                source: str) -> ImportSummary:
    """Import a bank file in one transaction: all of it, or (on any problem) nothing.

    A new item becomes version 1 with the file's status and author (default: the importer).
    An item whose latest version has the same content hash is unchanged, unless the file
    states another status, which is then set on that version. Different content makes a new
    version. Importing the same file twice changes nothing the second time.

    Raises
    ------
    ImportRejected
        Listing every problem at once (duplicate ids, a section changed, an image referred to
        that neither the file nor the bank holds, an image whose bytes do not match its hash);
        nothing was written.
    """
    with transaction(factory_of(factory)) as session:
        serialise(session, BANK_LOCK)
        ids = [item.id for item in bank.items]
        latest = _latest_versions(session, ids)
        sections = {i.id: i.section for i in _load(session, BankItem, BankItem.id, ids)}
        stored_media = _stored_media(session, _all_refs(bank.items) | set(bank.media))
        problems = _check_import(bank, source, sections, stored_media)
        problems += _check_statuses(bank, source, latest, imported_by)
        if problems:
            raise ImportRejected(problems)

        media_added = 0
        for sha, (mime, data) in bank.media.items():
            if sha not in stored_media:
                session.add(Media(sha256=sha, mime=mime, data=data))
                media_added += 1
        counts: Counter[str] = Counter()
        status_changes: list[str] = []
        now = utcnow()
        for item in bank.items:
            current = latest.get(item.id)
            if current is None:
                session.add(BankItem(id=item.id, section=item.section, topic=item.topic))
                session.add(_new_version(item, 1, author=item.author or imported_by,
                                         status=item.status, imported_by=imported_by))
                counts["created"] += 1
            elif current.content_hash != item.content_hash:
                _set_topic(session, item)
                session.add(_new_version(item, current.version + 1,
                                         author=item.author or imported_by,
                                         status=item.status, imported_by=imported_by))
                counts["new_versions"] += 1
            elif current.status != item.status:
                status_changes.append(f"{item.id}@{current.version}: "
                                      f"{current.status} -> {item.status}")
                current.status = item.status
                current.status_changed_at = now
                counts["status_changed"] += 1
            else:
                counts["unchanged"] += 1
        summary = ImportSummary(created=counts["created"], new_versions=counts["new_versions"],
                                status_changed=counts["status_changed"],
                                unchanged=counts["unchanged"], media_added=media_added)
        append_audit(session, actor=imported_by, action="bank.import", subject=source,
                     details={"source": source, "items": len(bank.items),
                              "media": len(bank.media), "summary": asdict(summary),
                              "status_changes": status_changes})
    return summary


def _check_import(bank: BankFile, source: str, sections: dict[str, str],
                  stored_media: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for sha, (_mime, data) in sorted(bank.media.items()):
        if hashlib.sha256(data).hexdigest() != sha:
            problems.append(Problem(source, f"image {sha} does not match the SHA-256 of its "
                                            "bytes: the file is damaged; export it again"))
    seen: dict[str, int] = {}
    for row, item in enumerate(bank.items, start=1):
        if item.id in seen:
            problems.append(Problem(source, f"item {item.id} appears twice (first at "
                                            f"{seen[item.id]}); keep one", row, "id"))
            continue
        seen[item.id] = row
        if item.status not in STATUSES:
            problems.append(Problem(source, f"item {item.id}: status {item.status!r} is not "
                                            f"one of {', '.join(STATUSES)}", row, "status"))
        old_section = sections.get(item.id)
        if old_section is not None and old_section != item.section:
            problems.append(Problem(
                source, f"item {item.id} is in section {old_section} in the bank and "
                        f"{item.section} in this file: an item cannot change section; "
                        "give it a new id", row, "section"))
        missing = [h for h in item.image_refs() if h not in bank.media and h not in stored_media]
        if missing:
            problems.append(Problem(
                source, f"item {item.id} refers to image(s) {', '.join(missing)} that are "
                        "neither in this file nor in the bank; add the image(s) to the file",
                row, "media"))
    return problems


def _check_statuses(bank: BankFile, source: str, latest: dict[str, BankItemVersion],
                    imported_by: str) -> list[Problem]:
    """The review workflow holds for imports too.

    A file may bring an item in as reviewed or approved only when someone other than the
    importer wrote it (maker–checker: nobody approves their own item by importing it); an
    import never moves an item back (approved → draft, say: an old export) and never brings
    a retired item back.
    """
    problems: list[Problem] = []
    for row, item in enumerate(bank.items, start=1):
        current = latest.get(item.id)
        if current is not None and current.status == "retired" and (
                current.content_hash != item.content_hash or item.status != "retired"):
            problems.append(Problem(source, f"item {item.id} is retired in the bank; an import "
                                            "does not bring it back: give it a new id",
                                    row, "status"))
            continue
        if (current is not None and current.content_hash == item.content_hash
                and STATUSES.index(item.status) < STATUSES.index(current.status)):
            problems.append(Problem(
                source, f"item {item.id}@{current.version} is {current.status} in the bank and "
                        f"{item.status} in this file: an import never moves an item back "
                        "(is this an old export?)", row, "status"))
            continue
        unchanged = current is not None and current.content_hash == item.content_hash and (
            current.status == item.status)
        if (not unchanged and item.status in ("reviewed", "approved")
                and _same_person(item.author or imported_by, imported_by)):
            problems.append(Problem(
                source, f"item {item.id}: {item.status} needs an author other than the importer "
                        f"({imported_by}): nobody checks their own item (maker–checker); name "
                        "the author in the file, or import it as draft", row, "status"))
    return problems


# --- the review workflow -------------------------------------------------------------------


def edit_item(factory: Factory, item: Item, *, editor: str) -> int:
    """Store an edit of an existing item as a new draft version by ``editor``; its number.

    The new version stays out of papers until reviewed and approved by others. Refuses an
    unknown id, a section change, an edit that changes nothing, or an unknown image.
    """
    with transaction(factory_of(factory)) as session:
        serialise(session, BANK_LOCK)
        current = _latest_or_refuse(session, item.id, "edit")
        stored = session.get(BankItem, item.id)
        if stored is not None and stored.section != item.section:
            raise WorkflowError(f"item {item.id} is in section {stored.section}: an edit cannot "
                                f"move it to {item.section}; make a new item instead")
        if current.content_hash == item.content_hash:
            raise WorkflowError(f"item {item.id}: the edit is identical to version "
                                f"{current.version}; nothing to store")
        missing = sorted(set(item.image_refs()) - _stored_media(session, item.image_refs()))
        if missing:
            raise WorkflowError(f"item {item.id} refers to image(s) {', '.join(missing)} that "
                                "the bank does not hold; import them first")
        _set_topic(session, item)
        version = current.version + 1
        session.add(_new_version(item, version, author=editor, status="draft",
                                 imported_by=None))
        append_audit(session, actor=editor, action="item.edit", subject=f"{item.id}@{version}",
                     details={"item": item.id, "version": version,
                              "content_hash": item.content_hash,
                              "previous": f"{item.id}@{current.version}"})
    return version


def review_item(factory: Factory, item_id: str, *, reviewer: str) -> None:
    """Mark the latest (draft) version reviewed; its author may not review it."""
    _step(factory, item_id, actor=reviewer, action="review", allowed=("draft",),
          to="reviewed", checker=True)


def approve_item(factory: Factory, item_id: str, *, approver: str) -> None:
    """Approve the latest (reviewed) version; its author may not approve it (maker–checker)."""
    _step(factory, item_id, actor=approver, action="approve", allowed=("reviewed",),
          to="approved", checker=True)


def retire_item(factory: Factory, item_id: str, *, actor: str) -> None:
    """Retire the latest version (from draft, reviewed or approved): no new paper uses it."""
    _step(factory, item_id, actor=actor, action="retire",
          allowed=("draft", "reviewed", "approved"), to="retired", checker=False)


def _step(factory: Factory, item_id: str, *, actor: str, action: str,
          allowed: tuple[str, ...], to: str, checker: bool) -> None:
    with transaction(factory_of(factory)) as session:
        serialise(session, BANK_LOCK)
        current = _latest_or_refuse(session, item_id, action)
        ref = f"{item_id}@{current.version}"
        if current.status not in allowed:
            raise WorkflowError(
                f"cannot {action} {ref}: it is {current.status}; only an item that is "
                f"{' or '.join(allowed)} can be {_past(action)} ({' / '.join(allowed)} -> {to})")
        if checker and _same_person(actor, current.author):
            raise WorkflowError(
                f"cannot {action} {ref} as {actor.strip()}: this version was written by "
                f"{current.author}, and maker–checker requires someone other than its "
                f"author to {action} it")
        before = current.status
        current.status = to
        current.status_changed_at = utcnow()
        if action == "review":
            current.reviewed_by = actor
        elif action == "approve":
            current.approved_by = actor
        append_audit(session, actor=actor, action=f"item.{action}", subject=ref,
                     details={"item": item_id, "version": current.version,
                              "from": before, "to": to})


def _past(action: str) -> str:
    return {"review": "reviewed", "approve": "approved", "retire": "retired"}[action]


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


# --- reading the bank ----------------------------------------------------------------------


def approved_pool(factory: Factory) -> list[ItemVersion]:
    """Items whose latest version is approved, at that version, sorted by item id.

    An item edited since its approval is left out until the new version is approved; papers
    already built keep naming the old version (``id@version``).
    """
    with reading(factory_of(factory)) as session:
        rows = _latest_versions(session, None, status="approved")
        return [ItemVersion(_to_item(v), v.version) for _, v in sorted(rows.items())]


def export_bank(factory: Factory) -> BankFile:
    """The latest version of every item (with status and author) and the images they use."""
    with reading(factory_of(factory)) as session:
        items = tuple(_to_item(v) for _, v in sorted(_latest_versions(session, None).items()))
        refs = _all_refs(items)
        media = {m.sha256: (m.mime, m.data) for m in _load(session, Media, Media.sha256, refs)}
    return BankFile(items=items, media=media)


def media_for(factory: Factory, hashes: Iterable[str]) -> dict[str, tuple[str, bytes]]:
    """The stored images with these content hashes, as ``sha256 -> (mime, bytes)``."""
    with reading(factory_of(factory)) as session:
        rows = _load(session, Media, Media.sha256, sorted(set(hashes)))
        return {m.sha256: (m.mime, m.data) for m in rows}


def item_history(factory: Factory, item_id: str) -> list[tuple[int, str, str]]:
    """Every version of an item, oldest first, as ``(version, status, content_hash)``."""
    with reading(factory_of(factory)) as session:
        rows = session.execute(
            select(BankItemVersion.version, BankItemVersion.status, BankItemVersion.content_hash)
            .where(BankItemVersion.item_id == item_id).order_by(BankItemVersion.version)).all()
    if not rows:
        raise WorkflowError(f"no item {item_id} in the bank")
    return [(v, s, h) for v, s, h in rows]


def bank_counts(factory: Factory) -> dict[str, dict[str, int]]:
    """Section → status → number of items, counting each item's latest version."""
    with reading(factory_of(factory)) as session:
        latest = _latest_subquery()
        rows = session.execute(
            select(BankItem.section, BankItemVersion.status, func.count())
            .join(BankItemVersion, BankItemVersion.item_id == BankItem.id)
            .join(latest, (latest.c.item_id == BankItemVersion.item_id)
                  & (latest.c.version == BankItemVersion.version))
            .group_by(BankItem.section, BankItemVersion.status)).all()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for section, status, n in rows:
        counts[section][status] = n
    return dict(counts)


# --- helpers -------------------------------------------------------------------------------


def _latest_subquery() -> Any:
    return (select(BankItemVersion.item_id, func.max(BankItemVersion.version).label("version"))
            .group_by(BankItemVersion.item_id).subquery())


def _latest_versions(session: Session, ids: Sequence[str] | None, *,
                     status: str | None = None) -> dict[str, BankItemVersion]:
    """Item id → its latest version, for ``ids`` (None: every item), optionally by status."""
    latest = _latest_subquery()
    query = select(BankItemVersion).join(
        latest, (latest.c.item_id == BankItemVersion.item_id)
        & (latest.c.version == BankItemVersion.version))
    if status is not None:
        query = query.where(BankItemVersion.status == status)
    if ids is None:
        return {v.item_id: v for v in session.scalars(query)}
    found: dict[str, BankItemVersion] = {}
    for chunk in _chunks(ids):
        found.update((v.item_id, v) for v in session.scalars(
            query.where(BankItemVersion.item_id.in_(chunk))))
    return found


def _latest_or_refuse(session: Session, item_id: str, action: str) -> BankItemVersion:
    current = _latest_versions(session, [item_id]).get(item_id)
    if current is None:
        raise WorkflowError(f"cannot {action} {item_id}: no such item in the bank "
                            "(check the id, or import the item first)")
    return current


def _load(session: Session, model: Any, column: Any, keys: Iterable[str]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(keys))):
        rows.extend(session.scalars(select(model).where(column.in_(chunk))))
    return rows


def _stored_media(session: Session, hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(hashes))):
        found.update(session.scalars(select(Media.sha256).where(Media.sha256.in_(chunk))))
    return found


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def _all_refs(items: Iterable[Item]) -> set[str]:
    return {h for item in items for h in item.image_refs()}


def _new_version(item: Item, version: int, *, author: str, status: str,
                 imported_by: str | None) -> BankItemVersion:
    now = utcnow()
    return BankItemVersion(item_id=item.id, version=version, content=item.content(),
                           content_hash=item.content_hash, status=status, author=author,
                           imported_by=imported_by, created_at=now, status_changed_at=now)


def _set_topic(session: Session, item: Item) -> None:
    stored = session.get(BankItem, item.id)
    if stored is not None and stored.topic != item.topic:
        stored.topic = item.topic


def _to_item(version: BankItemVersion) -> Item:
    status = version.status
    if status not in STATUSES:  # the CHECK constraint makes this unreachable
        raise WorkflowError(f"{version.item_id}@{version.version} has unknown status {status}")
    return item_from_content(version.content, status=status, author=version.author)
