"""Merkle Tree Hash, audit paths and consistency proofs exactly as RFC 6962 §2.1 defines them.

The math
--------
For an ordered list of ``n`` inputs ``D[n] = {d(0), ..., d(n-1)}`` the Merkle Tree Hash is

- ``MTH({}) = SHA-256()`` (the hash of the empty string),
- ``MTH({d(0)}) = SHA-256(0x00 || d(0))`` (a *leaf hash*),
- ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` for ``n > 1``, where ``k`` is the
  largest power of two smaller than ``n`` (a *node hash*).

The 0x00 / 0x01 prefixes keep a leaf from ever being read as an inner node (no second
preimage). Because ``k`` is a power of two, the left part of every split is a *perfect* subtree
``D[i·2^h : (i+1)·2^h]``; only the right edge of the tree is ragged. A tree of ``n`` leaves is
therefore the perfect subtrees given by the binary digits of ``n`` (for ``n = 13 = 8 + 4 + 1``:
``D[0:8]``, ``D[8:12]``, ``D[12:13]``), folded from the right:
``MTH = H(P8, H(P4, P1))``.

:class:`MerkleTree` (defined in :mod:`.tree`) keeps the hash of every perfect subtree, so an
append costs ``O(log n)`` and a root, audit path or consistency proof, for the current size or
any earlier one, at most ``O(log^2 n)`` hash operations.

The module-level functions take a plain sequence of leaf hashes and cost ``O(n)``:
:func:`root` streams them with a stack of ``log2 n`` perfect-subtree hashes;
:func:`audit_path` and :func:`consistency_proof` build a :class:`MerkleTree` first.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), which compute
the same trees as RFC 6962 §2.1 with an iterative walk over the bits of the leaf index and
tree size. Verifiers return ``False`` for any malformed input rather than raise.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence

from proctor_console.transparency.tree import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    check_hash,
    leaf_hash,
    node_hash,
    split_point,
)

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "MerkleTree", "audit_path", "consistency_proof",
           "leaf_hash", "node_hash", "root", "split_point", "verify_consistency",
           "verify_inclusion"]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(value) == HASH_SIZE


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaves, in ``O(n)`` time and ``O(log n)`` memory.

    The leaves are folded into a stack of perfect-subtree hashes with strictly decreasing
    heights (a binary counter: after leaf ``c`` the stack holds one subtree per one-bit of
    ``c``; adding a leaf merges as many subtrees as ``c`` has trailing zero bits). At the end the
    stack is folded from the right, ``H(P_0, H(P_1, ... H(P_{j-1}, P_j)))``, which is exactly
    the RFC 6962 recursion, since each split point ``k`` is the size of the leftmost subtree.

    Parameters
    ----------
    leaf_hashes
        The leaf hashes (32 bytes each), in log order; any iterable, consumed once.

    Returns
    -------
    bytes
        ``MTH(D[n])``; :data:`EMPTY_ROOT` for no leaves.

    Raises
    ------
    MerkleError
        A leaf hash is not 32 bytes (the message gives its index).
    """
    stack: list[bytes] = []
    count = 0
    for value in leaf_hashes:
        node = value
        if type(node) is not bytes or len(node) != HASH_SIZE:
            node = check_hash(value, f"root: leaf hash {count}")
        count += 1
        carry = count
        while carry & 1 == 0:
            node = node_hash(stack.pop(), node)
            carry >>= 1
        stack.append(node)
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1]
    for left in reversed(stack[:-1]):
        acc = node_hash(left, acc)
    return acc


def audit_path(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """``PATH(index, D[n])`` (RFC 6962 §2.1.1) for the tree of these ``n`` leaf hashes.

    ``O(n)``: builds a :class:`MerkleTree`; for many paths over one log, keep the tree.

    Raises
    ------
    MerkleError
        ``index`` is not in ``0..n-1`` or a leaf hash is not 32 bytes.
    """
    return MerkleTree(leaf_hashes).audit_path(index)


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """``PROOF(m, D[n])`` (RFC 6962 §2.1.2): the tree of the first ``m`` leaves is a prefix.

    ``O(n)``: builds a :class:`MerkleTree`. Empty for ``m == 0`` and ``m == n``.

    Raises
    ------
    MerkleError
        ``m`` is not in ``0..n`` or a leaf hash is not 32 bytes.
    """
    return MerkleTree(leaf_hashes).consistency_proof(m)


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, path: Sequence[bytes],
                     root: bytes) -> bool:
    """Whether ``path`` proves leaf ``index`` of a tree of ``tree_size`` leaves is ``leaf_hash``.

    RFC 9162 §2.1.3.2. ``fn`` is the leaf's index and ``sn`` the last index at the current
    level; each path element is the sibling of the running hash ``r``. The sibling is on the
    left when ``fn`` is odd (a right child) or ``fn == sn`` (a right-edge node with no sibling
    at this level: it was promoted, so levels are skipped until ``fn`` is a right child). The
    proof must use up exactly the levels of the tree (``sn`` reaches 0 with the last element)
    and ``r`` must end equal to ``root``.

    ``tree_size`` must be the size the root was signed with, never a size taken from whoever
    supplies the proof: the same path can check out against the same root under another size
    (a path for leaf 0 of 3 leaves also walks as one in a tree of 4).

    Returns
    -------
    bool
        ``False`` for a wrong proof and for malformed input (index out of range, hashes not
        32 bytes); never raises.
    """
    if not (_is_int(index) and _is_int(tree_size) and 0 <= index < tree_size):
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(_is_hash(p) for p in path)):
        return False
    fn, sn = index, tree_size - 1
    r = bytes(leaf_hash)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, bytes(root))


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree of ``m`` leaves (``root_m``) is a prefix of the ``n`` one.

    RFC 9162 §2.1.4.2. The proof's nodes rebuild both roots at once: ``fr`` uses only the
    nodes inside the first ``m`` leaves, ``sr`` all of them. If ``m`` is a power of two the
    old tree is itself a node of the new one and the prover omitted it, so ``root_m`` is put in
    front. ``fn = m - 1`` walks up from the old tree's last leaf and ``sn = n - 1`` from the new
    tree's, as in inclusion verification; trailing one-bits of ``fn`` are dropped first since
    the proof starts at the largest complete subtree ending at leaf ``m - 1``.

    Edge cases (not defined by RFC 6962, handled as Certificate Transparency verifiers do):
    ``m == n`` holds with an empty proof and equal roots; ``m == 0`` holds with an empty proof
    and ``root_m`` equal to :data:`EMPTY_ROOT`; ``m > n`` never holds.

    Returns
    -------
    bool
        ``False`` for a wrong proof and for malformed input; never raises.
    """
    if not (_is_int(m) and _is_int(n) and 0 <= m <= n):
        return False
    if not (_is_hash(root_m) and _is_hash(root_n) and all(_is_hash(c) for c in proof)):
        return False
    old, new = bytes(root_m), bytes(root_n)
    if m == n:
        return len(proof) == 0 and hmac.compare_digest(old, new)
    if m == 0:
        return len(proof) == 0 and hmac.compare_digest(old, EMPTY_ROOT)
    if len(proof) == 0:
        return False
    path = [bytes(c) for c in proof]
    if m & (m - 1) == 0:
        path.insert(0, old)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, old) and hmac.compare_digest(sr, new)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
