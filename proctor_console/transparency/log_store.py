"""The stored log as the API reads it: signed heads, entries, proofs, a candidate's receipt.

The tables (``result_log``, ``log_head``) are the truth. Each process keeps a
:class:`TreeCache`: a :class:`~proctor_console.transparency.merkle.MerkleTree` of the leaf
hashes, caught up from ``result_log`` by leaf index whenever a request needs a size it does
not hold yet, so a proof costs one small query and ``O(log² n)`` hashes, however large the log,
and other processes' appends are picked up as they are signed.

Every read first takes the latest signed head, then the leaves it covers: an append writes
its leaves and its head in one transaction, so a head never covers a leaf not yet visible.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.clock import epoch_ms
from exam_server.db import reading
from proctor_console.transparency.exceptions import LogIntegrityError, LogQueryError
from proctor_console.transparency.keys import load_log_key
from proctor_console.transparency.merkle import EMPTY_ROOT, MerkleTree
from proctor_console.transparency.models import LogHead, ResultLogEntry
from proctor_console.transparency.records import (
    b64encode,
    parse_leaf_input,
    public_key_json,
    sign_tree_head,
)

LOG = cast(Table, ResultLogEntry.__table__)
HEAD = cast(Table, LogHead.__table__)
MAX_ENTRIES = 1000
"""``get-entries`` returns at most this many entries per call."""


@dataclass(frozen=True)
class StoredHead:
    """A row of ``log_head``: a signed tree head as stored."""

    tree_size: int
    timestamp: int
    root_hash: bytes
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        """The head as the API serves it (``get-sth``)."""
        return {"tree_size": self.tree_size, "timestamp": self.timestamp,
                "sha256_root_hash": b64encode(self.root_hash),
                "tree_head_signature": b64encode(self.signature)}


def latest_entries(conn: Connection, participant_ids: Sequence[int]
                   ) -> dict[int, tuple[int, dict[str, Any]]]:
    """Per participant, their newest entry in the log: ``(leaf index, record)``."""
    newest = (select(LOG.c.participant_id, func.max(LOG.c.leaf_index).label("leaf"))
              .where(LOG.c.participant_id.in_(participant_ids))
              .group_by(LOG.c.participant_id).subquery())
    rows = conn.execute(select(LOG.c.participant_id, LOG.c.leaf_index, LOG.c.leaf_input)
                        .join(newest, LOG.c.leaf_index == newest.c.leaf)).all()
    return {int(r.participant_id): (int(r.leaf_index), parse_leaf_input(bytes(r.leaf_input)))
            for r in rows}


def latest_head(conn: Connection) -> StoredHead | None:
    """The newest signed head (largest ``tree_size``), or None for a log never appended to."""
    row = conn.execute(select(HEAD.c.tree_size, HEAD.c.timestamp, HEAD.c.root_hash,
                              HEAD.c.signature)
                       .order_by(HEAD.c.tree_size.desc()).limit(1)).one_or_none()
    if row is None:
        return None
    return StoredHead(int(row.tree_size), int(row.timestamp), bytes(row.root_hash),
                      bytes(row.signature))


class TreeCache:
    """A process's Merkle tree of the log, caught up from ``result_log`` on demand.

    Extending happens under a lock and without I/O, so greenlets (or threads) that catch up
    at the same time never add a leaf twice: whoever comes second keeps only the rows past
    the size it finds.
    """

    def __init__(self) -> None:
        self.tree = MerkleTree()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every leaf (the next catch-up reads the table from the start)."""
        with self._lock:
            self.tree = MerkleTree()

    def catch_up(self, conn: Connection, size: int) -> MerkleTree:
        """The tree holding at least the first ``size`` leaves of the table.

        Raises
        ------
        LogIntegrityError
            The table lacks a leaf below ``size`` (its indexes have a gap or stop short).
        """
        tree = self.tree
        start = tree.size
        if start < size:
            rows = conn.execute(select(LOG.c.leaf_index, LOG.c.leaf_hash)
                                .where(LOG.c.leaf_index >= start, LOG.c.leaf_index < size)
                                .order_by(LOG.c.leaf_index)).all()
            with self._lock:
                tree = self.tree
                contiguous = [bytes(h) for k, (i, h) in enumerate(rows) if i == start + k]
                tree.extend(contiguous[tree.size - start:] if tree.size >= start else [])
        if tree.size < size:
            raise LogIntegrityError(
                f"result_log lacks entry {tree.size}: a signed head covers {size} entries, "
                "the table holds fewer (an entry was deleted); restore result_log from backup")
        return tree


@dataclass
class LogStore:
    """One process's view of the log: its key, its tree cache and the API's queries.

    Parameters
    ----------
    factory
        Sessions of the exam server's database.
    keys_folder
        Where ``log.key`` is (made there on first use).
    now
        The server's clock (``ExamRuntime.clock.now``), for the timestamp of a head.
    """

    factory: sessionmaker[Session]
    keys_folder: Path
    now: Callable[[], datetime]

    def __post_init__(self) -> None:
        self.cache = TreeCache()
        self._key: Ed25519PrivateKey | None = None

    def signing_key(self) -> Ed25519PrivateKey:
        """The log's Ed25519 key (``keys/log.key``), loaded once, made if missing."""
        if self._key is None:
            self._key = load_log_key(self.keys_folder)
        return self._key

    def public_key(self) -> dict[str, str]:
        """``{"ed25519": <base64 of the raw 32-byte public key>}``."""
        return public_key_json(self.signing_key().public_key())

    def signed_head(self) -> dict[str, Any]:
        """The newest signed head; for a log with no entry yet, size 0 signed now."""
        with reading(self.factory) as db:
            head = latest_head(db.connection())
        if head is None:
            return sign_tree_head(self.signing_key(), 0, epoch_ms(self.now()), EMPTY_ROOT)
        return head.to_json()

    def _tree(self, conn: Connection) -> tuple[MerkleTree, int]:
        head = latest_head(conn)
        size = 0 if head is None else head.tree_size
        return self.cache.catch_up(conn, size), size

    def consistency(self, first: int, second: int) -> list[bytes]:
        """``PROOF(first, D[second])``; both sizes at most the current signed size."""
        if first > second:
            raise LogQueryError(f"first={first} is larger than second={second}: a consistency "
                                "proof goes from an older (smaller) tree to a newer one")
        with reading(self.factory) as db:
            tree, size = self._tree(db.connection())
        _within(second, size, "second")
        return tree.consistency_proof(first, second)

    def proof_by_hash(self, leaf: bytes, tree_size: int) -> tuple[int, list[bytes]]:
        """The index of the first leaf whose hash is ``leaf`` and its audit path in the
        tree of ``tree_size`` leaves."""
        if tree_size < 1:
            raise LogQueryError(f"tree_size={tree_size}: an inclusion proof needs a tree of at "
                                "least one entry")
        with reading(self.factory) as db:
            conn = db.connection()
            tree, size = self._tree(conn)
            _within(tree_size, size, "tree_size")
            index = conn.execute(select(func.min(LOG.c.leaf_index))
                                 .where(LOG.c.leaf_hash == leaf)).scalar()
        if index is None or index >= tree_size:
            where = "in the log" if index is None else f"among its first {tree_size} entries"
            raise LogQueryError(f"no entry with leaf hash {b64encode(leaf)} {where}",
                                code="not_found", status=404)
        return int(index), tree.audit_path(int(index), tree_size)

    def entries(self, start: int, end: int) -> list[bytes]:
        """Leaf inputs ``start..end`` (inclusive), cut to the signed size and to
        :data:`MAX_ENTRIES` (RFC 6962 §4.6: a log may return fewer than asked)."""
        if start > end:
            raise LogQueryError(f"start={start} is after end={end} (both inclusive)")
        with reading(self.factory) as db:
            conn = db.connection()
            head = latest_head(conn)
            size = 0 if head is None else head.tree_size
            if start >= size:
                raise LogQueryError(f"start={start} is beyond the log: it holds {size} "
                                    f"entries (0..{size - 1})" if size else
                                    f"start={start}: the log holds no entries yet")
            last = min(end, size - 1, start + MAX_ENTRIES - 1)
            rows = conn.execute(select(LOG.c.leaf_index, LOG.c.leaf_input)
                                .where(LOG.c.leaf_index.between(start, last))
                                .order_by(LOG.c.leaf_index)).all()
        if [i for i, _ in rows] != list(range(start, last + 1)):
            raise LogIntegrityError(f"result_log lacks an entry in {start}..{last} that the "
                                    f"signed head of size {size} covers")
        return [bytes(data) for _, data in rows]

    def receipt(self, attempt_id: int) -> dict[str, Any] | None:
        """The attempt's receipt: its result's leaf and the newest signed head, or None
        while its result is not in the log yet."""
        with reading(self.factory) as db:
            conn = db.connection()
            head = latest_head(conn)
            leaf = conn.execute(select(LOG.c.leaf_index, LOG.c.leaf_hash)
                                .where(LOG.c.attempt_id == attempt_id,
                                       LOG.c.kind == "result")).one_or_none()
        if leaf is None or head is None or head.tree_size <= leaf.leaf_index:
            return None
        return {"leaf_index": leaf.leaf_index, "leaf_hash": b64encode(leaf.leaf_hash),
                **head.to_json()}


def _within(size: int, current: int, name: str) -> None:
    if size > current:
        raise LogQueryError(f"{name}={size} is beyond the log's current size {current} "
                            "(see get-sth)")
