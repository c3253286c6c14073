"""The RFC 6962 hashes and :class:`MerkleTree`, the stored, append-only form of the log's tree.

:class:`MerkleTree` keeps the hash of every perfect subtree, level by level (level ``h`` holds
``floor(n / 2^h)`` hashes of subtrees of ``2^h`` leaves, 32 bytes each in one ``bytearray``). A
perfect subtree never changes once complete, so an append adds at most ``log2 n`` hashes, and
the hash of any subtree that RFC 6962's recursion visits, for the current size or any earlier
one, is a fold of at most ``log2 n`` stored hashes. Roots, audit paths and consistency proofs
then cost ``O(log^2 n)`` hash operations at most, whatever the size.

Import these names from :mod:`proctor_console.transparency.merkle`, the public face.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from proctor_console.transparency.exceptions import MerkleError

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string: the root of a tree with no leaves."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(leaf_input: bytes) -> bytes:
    """The RFC 6962 leaf hash ``SHA-256(0x00 || leaf_input)``.

    Parameters
    ----------
    leaf_input
        The entry's bytes (for a result: the UTF-8 of its canonical JSON).

    Returns
    -------
    bytes
        32 bytes.
    """
    return hashlib.sha256(_LEAF_PREFIX + bytes(leaf_input)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 inner-node hash ``SHA-256(0x01 || left || right)``.

    Parameters
    ----------
    left, right
        The hashes of the left and right subtrees (32 bytes each).

    Returns
    -------
    bytes
        32 bytes.
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """``k``, the largest power of two strictly smaller than ``n`` (RFC 6962 §2.1), for ``n > 1``.

    Examples
    --------
    >>> [split_point(n) for n in (2, 3, 4, 5, 8, 9)]
    [1, 2, 2, 4, 4, 8]
    """
    if n < 2:
        raise MerkleError(f"split_point: a tree of {n} leaves has no split (needs n >= 2)")
    return 1 << ((n - 1).bit_length() - 1)


def check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise MerkleError(f"{what} must be {HASH_SIZE} bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise MerkleError(f"{what} must be {HASH_SIZE} bytes, got {len(value)} bytes")
    return bytes(value)


class MerkleTree:
    """An append-only RFC 6962 tree that stores the hash of every perfect subtree.

    Level ``h`` is one ``bytearray`` of ``floor(n / 2^h)`` hashes; entry ``i`` of level ``h``
    is ``MTH(D[i·2^h : (i+1)·2^h])``. About ``2n`` hashes in all (64 MB for a million
    leaves). Roots, audit paths and consistency proofs are answered for the current size or
    any earlier one (``tree_size``), as a log must for signed heads it published before.

    Parameters
    ----------
    leaf_hashes
        Leaf hashes to start with, in log order.

    Examples
    --------
    >>> tree = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])
    >>> tree.root() == node_hash(node_hash(leaf_hash(b"a"), leaf_hash(b"b")), leaf_hash(b"c"))
    True
    >>> tree.audit_path(1) == [leaf_hash(b"a"), leaf_hash(b"c")]
    True
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._size

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash at the end; return its index. ``O(log n)``, amortised ``O(1)``.

        When the new leaf's index ends in ``j`` one-bits, it completes ``j`` perfect subtrees
        (of 2, 4, …, ``2^j`` leaves), whose hashes are computed and stored now.
        """
        value = check_hash(leaf_hash, f"append: leaf hash {self._size}")
        index = self._size
        self._levels[0] += value
        self._size += 1
        level, i = 0, index
        while i & 1:
            row = self._levels[level]
            parent = node_hash(bytes(row[-2 * HASH_SIZE:-HASH_SIZE]), bytes(row[-HASH_SIZE:]))
            level += 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += parent
            i >>= 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append every leaf hash in order; in bulk, level by level (``O(k)`` for ``k`` leaves).

        Nothing is appended if any leaf hash is malformed.
        """
        added = bytearray()
        for value in leaf_hashes:
            if type(value) is not bytes or len(value) != HASH_SIZE:
                value = check_hash(value, f"extend: leaf hash {self._size + len(added) // 32}")
            added += value
        if not added:
            return
        self._levels[0] += added
        self._size += len(added) // HASH_SIZE
        level = 0
        while self._size >> (level + 1):
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            row, above = self._levels[level], self._levels[level + 1]
            have, want = len(above) // HASH_SIZE, self._size >> (level + 1)
            pair = 2 * HASH_SIZE  # node_hash of two adjacent stored hashes, inlined for speed
            above += b"".join(hashlib.sha256(_NODE_PREFIX + row[i * pair:(i + 1) * pair]).digest()
                              for i in range(have, want))
            level += 1

    def leaf_hash(self, index: int) -> bytes:
        """The stored hash of leaf ``index``."""
        self._check_index(index, self._size, "leaf_hash")
        return self._stored(0, index)

    def root(self, tree_size: int | None = None) -> bytes:
        """``MTH(D[0:tree_size])``; the current root by default. ``O(log n)``."""
        n = self._check_size(tree_size, "root")
        return self._subtree(0, n)

    def audit_path(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """``PATH(index, D[tree_size])`` of RFC 6962 §2.1.1, bottom to top.

        The audit path holds, for every split on the way from the root down to leaf
        ``index``, the hash of the subtree on the other side of the split: with
        ``k = split_point(n)``, ``PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])`` when
        ``m < k`` and ``PATH(m - k, D[k:n]) : MTH(D[0:k])`` otherwise; ``PATH(0, {d(0)}) = {}``.

        Raises
        ------
        MerkleError
            ``tree_size`` is larger than the tree or ``index`` is not below it.
        """
        n = self._check_size(tree_size, "audit_path")
        self._check_index(index, n, "audit_path")
        siblings: list[bytes] = []
        start, end = 0, n
        while end - start > 1:
            k = split_point(end - start)
            if index < start + k:
                siblings.append(self._subtree(start + k, end))
                end = start + k
            else:
                siblings.append(self._subtree(start, start + k))
                start += k
        siblings.reverse()
        return siblings

    def consistency_proof(self, m: int, tree_size: int | None = None) -> list[bytes]:
        """``PROOF(m, D[tree_size])`` of RFC 6962 §2.1.2.

        ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`` where ``SUBPROOF(m, D[m], true) = {}``,
        ``SUBPROOF(m, D[m], false) = {MTH(D[m])}`` and, for ``m < n`` and
        ``k = split_point(n)``: ``SUBPROOF(m, D[0:k], b) : MTH(D[k:n])`` when ``m <= k``,
        ``SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])`` otherwise. The flag ``b`` records
        whether the subtree being described is still a prefix of the old tree's root path,
        whose hash the verifier already knows.

        The RFC defines proofs for ``0 < m < n``; here ``m == n`` and ``m == 0`` give the
        empty proof, which ``verify_consistency`` accepts for those sizes.

        Raises
        ------
        MerkleError
            ``tree_size`` is larger than the tree or ``m`` is outside ``0..tree_size``.
        """
        n = self._check_size(tree_size, "consistency_proof")
        if not isinstance(m, int) or isinstance(m, bool) or not 0 <= m <= n:
            raise MerkleError(f"consistency_proof: first size {m!r} is outside 0..{n}"
                              f" (the second tree has {n} leaves)")
        if m in (0, n):
            return []
        proof: list[bytes] = []
        start, end, whole = 0, n, True
        while end - start != m:
            k = split_point(end - start)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start += k
                m -= k
                whole = False
        if not whole:
            proof.append(self._subtree(start, end))
        proof.reverse()
        return proof

    # -- internals ------------------------------------------------------------------------

    def _stored(self, level: int, i: int) -> bytes:
        return bytes(self._levels[level][i * HASH_SIZE:(i + 1) * HASH_SIZE])

    def _subtree(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` from stored perfect subtrees (``end <= size``).

        A perfect, aligned range is one stored hash. Any other range is split as RFC 6962
        splits it; for the ranges its recursion visits (``start`` a multiple of the left
        part's size) only the right part is ragged, so this folds at most ``log2 n`` hashes.
        """
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self._stored(n.bit_length() - 1, start // n)
        k = split_point(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _check_size(self, tree_size: int | None, what: str) -> int:
        if tree_size is None:
            return self._size
        if not isinstance(tree_size, int) or isinstance(tree_size, bool) or not (
                0 <= tree_size <= self._size):
            raise MerkleError(f"{what}: tree_size {tree_size!r} is outside 0..{self._size}"
                              f" (the log has {self._size} leaves)")
        return tree_size

    @staticmethod
    def _check_index(index: int, n: int, what: str) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n:
            valid = f"valid: 0..{n - 1}" if n else "it is empty"
            raise MerkleError(f"{what}: index {index!r} is outside a tree of {n} leaves ({valid})")
